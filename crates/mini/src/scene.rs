//! The drawn scenes the mini-Flamingo sees: one filled shape on a grey background.
//!
//! This is a contract other code draws against (tests, the page, a user's own
//! drawings): 32 × 32 RGB; a grey background of level 0–50 or 200–255; one shape
//! (`circle`, `square`, `triangle` with its apex up, `cross` as a plus sign with bars
//! a third of its side thick) of side 10–24 px, fully inside the frame, edges
//! anti-aliased or not; its colour one of six centres with each channel jittered by
//! ±20; every channel of every pixel jittered by ±6. A picture of another size is
//! centre-cropped to a square and area-averaged to 32 × 32 ([`Picture::fit`]).
//!
//! The generator is pure and seeded by the core's [`Rng`] (SplitMix64), so the trainer, the tests, the CLI
//! and the page draw the same scene from the same seed on every platform.

use std::fmt;

pub use flamingo::Rng;

/// Side of the square picture the model sees.
pub const SIDE: usize = 32;

/// The four shapes, in vocabulary order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    Circle,
    Square,
    Triangle,
    Cross,
}

/// The six colours, in vocabulary order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colour {
    Red,
    Green,
    Blue,
    Yellow,
    Purple,
    Orange,
}

impl Shape {
    pub const ALL: [Shape; 4] = [Shape::Circle, Shape::Square, Shape::Triangle, Shape::Cross];

    pub fn word(self) -> &'static str {
        match self {
            Shape::Circle => "circle",
            Shape::Square => "square",
            Shape::Triangle => "triangle",
            Shape::Cross => "cross",
        }
    }

    /// Coverage test at a point `(u, v)` in the shape's own box, both in `[0, 1]`, `v` down.
    fn covers(self, u: f32, v: f32) -> bool {
        if !(0.0..=1.0).contains(&u) || !(0.0..=1.0).contains(&v) {
            return false;
        }
        match self {
            Shape::Circle => (u - 0.5).powi(2) + (v - 0.5).powi(2) <= 0.25,
            Shape::Square => true,
            // Apex at the top centre, base along the bottom edge.
            Shape::Triangle => (u - 0.5).abs() <= v / 2.0,
            // A plus sign whose bars are a third of the side thick.
            Shape::Cross => (u - 0.5).abs() <= 1.0 / 6.0 || (v - 0.5).abs() <= 1.0 / 6.0,
        }
    }
}

impl Colour {
    pub const ALL: [Colour; 6] = [
        Colour::Red,
        Colour::Green,
        Colour::Blue,
        Colour::Yellow,
        Colour::Purple,
        Colour::Orange,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Colour::Red => "red",
            Colour::Green => "green",
            Colour::Blue => "blue",
            Colour::Yellow => "yellow",
            Colour::Purple => "purple",
            Colour::Orange => "orange",
        }
    }

    /// The colour's centre; a scene jitters each channel by ±20 around it.
    pub fn rgb(self) -> [u8; 3] {
        match self {
            Colour::Red => [220, 40, 40],
            Colour::Green => [40, 170, 60],
            Colour::Blue => [40, 80, 220],
            Colour::Yellow => [230, 210, 40],
            Colour::Purple => [150, 60, 200],
            Colour::Orange => [245, 140, 30],
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// Everything that decides a scene's pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    pub shape: Shape,
    pub colour: Colour,
    /// Side of the shape's box in pixels, 10–24.
    pub size: f32,
    /// Top-left corner of the shape's box; the box lies inside the frame.
    pub x: f32,
    pub y: f32,
    /// The fill after its ±20 jitter.
    pub fill: [u8; 3],
    /// Grey level, 0–50 or 200–255.
    pub background: u8,
    pub antialiased: bool,
    /// Seeds the ±6 per-channel pixel noise.
    pub noise_seed: u64,
}

impl Scene {
    /// A scene drawn at random inside the contract.
    pub fn sample(rng: &mut Rng) -> Scene {
        let shape = Shape::ALL[rng.below(4)];
        let colour = Colour::ALL[rng.below(6)];
        Scene::with(rng, shape, colour)
    }

    /// A random scene of the given shape and colour.
    pub fn with(rng: &mut Rng, shape: Shape, colour: Colour) -> Scene {
        let size = 10.0 + 14.0 * rng.unit();
        let room = SIDE as f32 - size;
        let x = room * rng.unit();
        let y = room * rng.unit();
        let fill = colour
            .rgb()
            .map(|c| (c as i32 + rng.between(-20, 20)).clamp(0, 255) as u8);
        let background = if rng.chance(0.5) {
            rng.between(0, 50)
        } else {
            rng.between(200, 255)
        } as u8;
        Scene {
            shape,
            colour,
            size,
            x,
            y,
            fill,
            background,
            antialiased: rng.chance(0.5),
            noise_seed: rng.next_u64(),
        }
    }

    /// The shape's share of pixel `(px, py)`: 4 × 4 samples when anti-aliased,
    /// the pixel's centre otherwise.
    fn coverage(&self, px: usize, py: usize) -> f32 {
        let samples: &[f32] = if self.antialiased {
            &[0.125, 0.375, 0.625, 0.875]
        } else {
            &[0.5]
        };
        let mut hits = 0;
        for sy in samples {
            for sx in samples {
                let u = (px as f32 + sx - self.x) / self.size;
                let v = (py as f32 + sy - self.y) / self.size;
                hits += self.shape.covers(u, v) as usize;
            }
        }
        hits as f32 / (samples.len() * samples.len()) as f32
    }

    /// The 32 × 32 picture.
    pub fn render(&self) -> Picture {
        let mut noise = Rng::new(self.noise_seed);
        let mut rgb = Vec::with_capacity(SIDE * SIDE * 3);
        for py in 0..SIDE {
            for px in 0..SIDE {
                let c = self.coverage(px, py);
                for fill in self.fill {
                    let v = self.background as f32 * (1.0 - c) + fill as f32 * c;
                    let v = v.round() as i32 + noise.between(-6, 6);
                    rgb.push(v.clamp(0, 255) as u8);
                }
            }
        }
        Picture {
            width: SIDE,
            height: SIDE,
            rgb,
        }
    }
}

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

    /// What the model sees of any picture: the centred square, area-averaged to 32 × 32.
    /// A 32 × 32 picture comes back unchanged.
    ///
    /// # Panics
    /// If the picture is empty or `rgb` does not hold `width · height · 3` bytes.
    pub fn fit(&self) -> Picture {
        assert!(
            self.width > 0 && self.height > 0,
            "a picture needs at least one pixel"
        );
        assert_eq!(self.rgb.len(), self.width * self.height * 3, "RGB bytes");
        let side = self.width.min(self.height);
        let (x0, y0) = ((self.width - side) / 2, (self.height - side) / 2);
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
                        let at = ((y0 + sy) * self.width + x0 + sx) * 3;
                        for (c, s) in sum.iter_mut().enumerate() {
                            *s += w * self.rgb[at + c] as f64;
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

    #[test]
    fn rgba_lies_on_white() {
        let rgba = [10, 200, 30, 255, 0, 0, 0, 0, 255, 0, 0, 128];
        let p = Picture::from_rgba(3, 1, &rgba);
        assert_eq!(p.rgb, [10, 200, 30, 255, 255, 255, 255, 127, 127]);
    }

    #[test]
    fn the_same_seed_draws_the_same_scene() {
        let a = Scene::sample(&mut Rng::new(7));
        let b = Scene::sample(&mut Rng::new(7));
        assert_eq!(a, b);
        assert_eq!(a.render(), b.render());
        assert_ne!(a, Scene::sample(&mut Rng::new(8)));
    }

    #[test]
    fn scenes_stay_inside_the_contract() {
        let mut rng = Rng::new(1);
        for _ in 0..2000 {
            let s = Scene::sample(&mut rng);
            assert!((10.0..=24.0).contains(&s.size));
            assert!(s.x >= 0.0 && s.y >= 0.0);
            assert!(s.x + s.size <= SIDE as f32 && s.y + s.size <= SIDE as f32);
            assert!(s.background <= 50 || s.background >= 200);
            for (f, c) in s.fill.iter().zip(s.colour.rgb()) {
                assert!((*f as i32 - c as i32).abs() <= 20);
            }
        }
    }

    #[test]
    fn a_shape_is_drawn_in_its_colour_on_its_background() {
        let mut rng = Rng::new(3);
        let scene = Scene {
            x: 4.0,
            y: 6.0,
            size: 20.0,
            ..Scene::with(&mut rng, Shape::Square, Colour::Blue)
        };
        let p = scene.render();
        let at = |x: usize, y: usize| &p.rgb[(y * SIDE + x) * 3..][..3];
        for (c, f) in at(14, 16).iter().zip(scene.fill) {
            assert!((*c as i32 - f as i32).abs() <= 6, "inside: {c} vs {f}");
        }
        for c in at(1, 1) {
            assert!((*c as i32 - scene.background as i32).abs() <= 6);
        }
    }

    #[test]
    fn shapes_cover_the_areas_geometry_gives() {
        // Fractions of the box: circle π/4, square 1, triangle 1/2, cross 5/9.
        for (shape, area) in [
            (Shape::Circle, std::f32::consts::FRAC_PI_4),
            (Shape::Square, 1.0),
            (Shape::Triangle, 0.5),
            (Shape::Cross, 5.0 / 9.0),
        ] {
            let n = 300;
            let inside = (0..n * n)
                .filter(|i| {
                    let (u, v) = ((i % n) as f32 + 0.5, (i / n) as f32 + 0.5);
                    shape.covers(u / n as f32, v / n as f32)
                })
                .count();
            let share = inside as f32 / (n * n) as f32;
            assert!((share - area).abs() < 0.01, "{shape}: {share} vs {area}");
        }
        // The triangle points up: its top row is narrower than its bottom row.
        assert!(!Shape::Triangle.covers(0.2, 0.1) && Shape::Triangle.covers(0.2, 0.9));
    }

    #[test]
    fn fitting_crops_the_centre_and_averages_areas() {
        // 96 × 64: the centre 64 × 64 square, each output pixel the mean of 2 × 2.
        let (w, h) = (96, 64);
        let rgb = (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w, i / w);
                let v = if !(16..80).contains(&x) {
                    255
                } else {
                    ((x + y) % 2 * 100) as u8
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
        assert!(
            fitted.rgb.iter().all(|&v| v == 50),
            "the crop drops the white bands"
        );

        // 3 × 3 → 32: upsampling copies each source pixel's value.
        let small = Picture {
            width: 3,
            height: 3,
            rgb: (0..9u8).flat_map(|v| [v * 20; 3]).collect(),
        };
        let up = small.fit();
        assert_eq!(up.rgb[0], 0);
        assert_eq!(up.rgb[(31 * 32 + 31) * 3], 160);

        let scene = Scene::sample(&mut Rng::new(5)).render();
        assert_eq!(scene.fit(), scene);
    }
}
