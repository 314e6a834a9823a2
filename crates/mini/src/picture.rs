//! Any picture as the model sees it: 8-bit RGB, padded to a square with its border's
//! colour and area-averaged to 32 × 32. The CLI and the page call the same [`Picture::fit`].

use crate::scene::SIDE;

/// An RGB picture, 8 bits per channel, rows top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub width: usize,
    pub height: usize,
    /// `width · height · 3` bytes.
    pub rgb: Vec<u8>,
}

impl Picture {
    /// A picture from RGBA bytes, as a browser's canvas or an image decoder gives
    /// them, laid on white: a transparent pixel looks white on the page, and the
    /// model should see what the student sees.
    ///
    /// # Panics
    /// If `rgba` does not hold `width · height · 4` bytes.
    pub fn from_rgba(width: usize, height: usize, rgba: &[u8]) -> Picture {
        assert_eq!(rgba.len(), width * height * 4, "RGBA bytes");
        let rgb = rgba
            .chunks_exact(4)
            .flat_map(|p| {
                let a = p[3] as u32;
                [0, 1, 2].map(|c| ((p[c] as u32 * a + 255 * (255 - a) + 127) / 255) as u8)
            })
            .collect();
        Picture { width, height, rgb }
    }

    /// The colour of the picture's edge: each channel's median over the outermost
    /// pixels, so a shape touching the edge does not tint the padding.
    pub fn border_colour(&self) -> [u8; 3] {
        let (w, h) = (self.width, self.height);
        let edge = (0..w)
            .flat_map(|x| [(x, 0), (x, h - 1)])
            .chain((0..h).flat_map(|y| [(0, y), (w - 1, y)]));
        let mut channels = [Vec::new(), Vec::new(), Vec::new()];
        for (x, y) in edge {
            for (c, values) in channels.iter_mut().enumerate() {
                values.push(self.rgb[(y * w + x) * 3 + c]);
            }
        }
        channels.map(|mut v| {
            v.sort_unstable();
            v[v.len() / 2]
        })
    }

    /// What the model sees of any picture: the whole of it, padded to a square with its
    /// [`border_colour`](Self::border_colour) (centred), area-averaged to 32 × 32. A
    /// 32 × 32 picture comes back unchanged.
    ///
    /// # Panics
    /// If the picture is empty or `rgb` does not hold `width · height · 3` bytes.
    pub fn fit(&self) -> Picture {
        assert!(
            self.width > 0 && self.height > 0,
            "a picture needs at least one pixel"
        );
        assert_eq!(self.rgb.len(), self.width * self.height * 3, "RGB bytes");
        let side = self.width.max(self.height);
        let (x0, y0) = ((side - self.width) / 2, (side - self.height) / 2);
        let pad = self.border_colour();
        let pixel = |sx: usize, sy: usize| -> [u8; 3] {
            if sx < x0 || sy < y0 || sx >= x0 + self.width || sy >= y0 + self.height {
                return pad;
            }
            let at = ((sy - y0) * self.width + sx - x0) * 3;
            [self.rgb[at], self.rgb[at + 1], self.rgb[at + 2]]
        };
        // Output pixel i covers source [i·side/32, (i+1)·side/32); each source pixel
        // adds its overlap with that span, so every source pixel counts by its area.
        let weights = spans(side, SIDE);
        let mut rgb = Vec::with_capacity(SIDE * SIDE * 3);
        for row in &weights {
            for col in &weights {
                let mut sum = [0.0f64; 3];
                let mut area = 0.0f64;
                for &(sy, wy) in row {
                    for &(sx, wx) in col {
                        let w = wy * wx;
                        for (s, v) in sum.iter_mut().zip(pixel(sx, sy)) {
                            *s += w * v as f64;
                        }
                        area += w;
                    }
                }
                rgb.extend(sum.map(|s| (s / area).round().clamp(0.0, 255.0) as u8));
            }
        }
        Picture {
            width: SIDE,
            height: SIDE,
            rgb,
        }
    }
}

/// For each of `to` output cells, the source indices in `0..from` it overlaps and by how much.
fn spans(from: usize, to: usize) -> Vec<Vec<(usize, f64)>> {
    let scale = from as f64 / to as f64;
    (0..to)
        .map(|i| {
            let (start, end) = (i as f64 * scale, (i + 1) as f64 * scale);
            (start.floor() as usize..(end.ceil() as usize).min(from))
                .map(|s| {
                    let overlap = end.min(s as f64 + 1.0) - start.max(s as f64);
                    (s, overlap)
                })
                .filter(|&(_, w)| w > 0.0)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Rng, Scene};

    #[test]
    fn rgba_lies_on_white() {
        let rgba = [10, 200, 30, 255, 0, 0, 0, 0, 255, 0, 0, 128];
        let p = Picture::from_rgba(3, 1, &rgba);
        assert_eq!(p.rgb, [10, 200, 30, 255, 255, 255, 255, 127, 127]);
    }

    #[test]
    fn fitting_pads_with_the_border_and_averages_areas() {
        // 128 × 64 white with a black 16 × 16 square at the far left: padded to 128²
        // (32 white rows above and below), each output pixel the mean of 4 × 4.
        let (w, h) = (128, 64);
        let rgb = (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w, i / w);
                let v = if x < 16 && (24..40).contains(&y) {
                    0
                } else {
                    255
                };
                [v, v, v]
            })
            .collect();
        let fitted = Picture {
            width: w,
            height: h,
            rgb,
        }
        .fit();
        assert_eq!((fitted.width, fitted.height), (32, 32));
        let at = |x: usize, y: usize| fitted.rgb[(y * 32 + x) * 3];
        // The square is still there (a centre crop would have cut it off), 4 × 4 output pixels.
        let dark = (0..32 * 32).filter(|&i| fitted.rgb[i * 3] == 0).count();
        assert_eq!(dark, 16);
        assert_eq!(at(0, 14), 0);
        assert_eq!(at(3, 17), 0);
        // The padding is the border's white.
        assert_eq!(at(16, 0), 255);
        assert_eq!(at(16, 31), 255);

        // 3 × 3 → 32: upsampling copies each source pixel's value.
        let small = Picture {
            width: 3,
            height: 3,
            rgb: (0..9u8).flat_map(|v| [v * 20; 3]).collect(),
        };
        let up = small.fit();
        assert_eq!(up.rgb[0], 0);
        assert_eq!(up.rgb[(31 * 32 + 31) * 3], 160);

        let scene = Scene::sample_any(&mut Rng::new(5)).render();
        assert_eq!(scene.fit(), scene);
    }

    #[test]
    fn the_border_colour_ignores_a_shape_touching_the_edge() {
        // 10 × 4 grey with a red run along part of the top edge.
        let rgb = (0..40)
            .flat_map(|i| if i < 4 { [255, 0, 0] } else { [90, 90, 90] })
            .collect();
        let p = Picture {
            width: 10,
            height: 4,
            rgb,
        };
        assert_eq!(p.border_colour(), [90, 90, 90]);
    }
}
