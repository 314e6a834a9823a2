//! Heatmap colouring: values to an RGBA buffer, one pixel per cell, that the page
//! puts on a canvas as `ImageData` and scales without smoothing. One `fill_rect`
//! per cell took about 26 s for 64×900 cells; a buffer takes milliseconds.

use std::sync::OnceLock;

use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};

/// The value range a colour scale spans.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// Value drawn darkest.
    pub min: f32,
    /// Value drawn brightest.
    pub max: f32,
}

impl Range {
    /// The finite extent of `values`; `[0, 1]` when there is none, widened when flat.
    pub fn of(values: &[f32]) -> Self {
        let (min, max) = values
            .iter()
            .filter(|v| v.is_finite())
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        if min > max {
            Self { min: 0.0, max: 1.0 }
        } else if min == max {
            Self {
                min,
                max: min + 1.0,
            }
        } else {
            Self { min, max }
        }
    }
}

/// Viridis (perceptually uniform, readable with every common colour-vision deficiency).
pub fn colour(value: f32, range: Range) -> [u8; 4] {
    let t = if value.is_finite() {
        ((value - range.min) / (range.max - range.min)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    // A NaN `t` (a flat range built by hand) casts to level 0.
    viridis()[(t * 255.0).round() as usize]
}

/// Viridis at 256 levels, as matplotlib tabulates it: a lookup per cell instead of
/// plotters' interpolation, which was most of a 64 × 900 heatmap's paint time.
fn viridis() -> &'static [[u8; 4]; 256] {
    static TABLE: OnceLock<[[u8; 4]; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        std::array::from_fn(|level| {
            let c = ViridisRGB.get_color_normalized(level as f32, 0.0, 255.0);
            [c.0, c.1, c.2, 255]
        })
    })
}

/// `rows × cols` row-major values as RGBA bytes.
pub fn rgba(values: &[f32], rows: usize, cols: usize, range: Range) -> Vec<u8> {
    assert_eq!(
        values.len(),
        rows * cols,
        "{rows}×{cols} heatmap needs {} values",
        rows * cols
    );
    let mut buf = Vec::with_capacity(4 * values.len());
    for &v in values {
        buf.extend_from_slice(&colour(v, range));
    }
    buf
}

/// One latent's attention over a `grid × grid` patch layout, as translucent RGBA
/// to lay over the picture: strong attention opaque, weak attention clear.
pub fn overlay(row: &[f32], grid: usize) -> Vec<u8> {
    assert_eq!(row.len(), grid * grid, "one weight per patch");
    let range = Range::of(row);
    row.iter()
        .flat_map(|&v| {
            let [r, g, b, _] = colour(v, range);
            let strength = ((v - range.min) / (range.max - range.min)).clamp(0.0, 1.0);
            [r, g, b, (40.0 + 190.0 * strength) as u8]
        })
        .collect()
}

/// One axis of a heatmap: a title and labelled ticks at cell indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// What the cells along this axis are.
    pub title: String,
    /// `(cell index, label)`, in order.
    pub ticks: Vec<(usize, String)>,
}

impl Axis {
    /// Cells numbered from `first`, at most about eight ticks on a 1-2-5 step.
    pub fn counting(title: &str, cells: usize, first: usize) -> Self {
        let step = [1, 2, 5]
            .into_iter()
            .flat_map(|m| (0..6).map(move |e| m * 10usize.pow(e)))
            .filter(|s| cells.div_ceil(*s) <= 8)
            .min()
            .unwrap_or(cells.max(1));
        Self {
            title: title.to_owned(),
            ticks: (0..cells)
                .step_by(step)
                .map(|i| (i, (i + first).to_string()))
                .collect(),
        }
    }

    /// Cells in consecutive blocks of `size`, one tick at the start of each, named `name 1`, `name 2`, …
    /// (`1`, `2`, … where `name` is empty: a vertical axis has room for a number only).
    pub fn blocks(title: &str, blocks: usize, size: usize, name: &str) -> Self {
        if blocks > 8 {
            return Self::counting(title, blocks * size, 0);
        }
        Self {
            title: title.to_owned(),
            ticks: (0..blocks)
                .map(|b| {
                    (
                        b * size,
                        format!("{name} {}", b + 1).trim_start().to_owned(),
                    )
                })
                .collect(),
        }
    }

    /// The label of the tick at `cell`, if there is one.
    pub fn label(&self, cell: usize) -> Option<&str> {
        self.ticks
            .iter()
            .find(|(c, _)| *c == cell)
            .map(|(_, l)| l.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_of_the_range_are_viridis_ends() {
        let r = Range { min: 0.0, max: 1.0 };
        // Viridis runs from dark purple to yellow.
        let [r0, g0, b0, _] = colour(0.0, r);
        let [r1, g1, b1, _] = colour(1.0, r);
        assert!(b0 > g0 && r0 < 100, "dark purple: {r0} {g0} {b0}");
        assert!(r1 > 200 && g1 > 200 && b1 < 100, "yellow: {r1} {g1} {b1}");
        assert_eq!(colour(-5.0, r), colour(0.0, r), "clamped below");
        assert_eq!(colour(f32::NAN, r), colour(0.0, r));
    }

    #[test]
    fn the_table_stays_within_a_step_of_plotters_viridis() {
        let r = Range {
            min: -2.0,
            max: 3.0,
        };
        for i in 0..=1000 {
            let v = -2.0 + 5.0 * i as f32 / 1000.0;
            let exact = ViridisRGB.get_color_normalized(v, r.min, r.max);
            let [red, green, blue, alpha] = colour(v, r);
            let off = [
                red.abs_diff(exact.0),
                green.abs_diff(exact.1),
                blue.abs_diff(exact.2),
            ];
            assert!(off.iter().all(|&d| d <= 2), "{v}: {off:?}");
            assert_eq!(alpha, 255);
        }
        let exact_end = ViridisRGB.get_color_normalized(3.0, r.min, r.max);
        assert_eq!(colour(3.0, r)[..3], [exact_end.0, exact_end.1, exact_end.2]);
    }

    #[test]
    fn buffer_is_one_pixel_per_cell_in_row_major_order() {
        let buf = rgba(&[0.0, 1.0, 1.0, 0.0], 2, 2, Range { min: 0.0, max: 1.0 });
        assert_eq!(buf.len(), 16);
        assert_eq!(buf[0..4], buf[12..16]);
        assert_eq!(buf[4..8], buf[8..12]);
        assert_ne!(buf[0..4], buf[4..8]);
    }

    #[test]
    fn range_ignores_non_finite_and_widens_flat_data() {
        assert_eq!(
            Range::of(&[2.0, f32::NAN, -1.0]),
            Range {
                min: -1.0,
                max: 2.0
            }
        );
        assert_eq!(Range::of(&[3.0, 3.0]), Range { min: 3.0, max: 4.0 });
        assert_eq!(Range::of(&[]), Range { min: 0.0, max: 1.0 });
    }

    #[test]
    fn overlay_makes_the_strongest_patch_the_most_opaque() {
        let px = overlay(&[0.1, 0.7, 0.2, 0.0], 2);
        let alpha: Vec<u8> = px.chunks(4).map(|p| p[3]).collect();
        assert_eq!(alpha.iter().max(), Some(&alpha[1]));
        assert_eq!(alpha.iter().min(), Some(&alpha[3]));
    }

    #[test]
    fn counting_axes_keep_few_round_ticks() {
        let a = Axis::counting("patch", 900, 1);
        assert!(a.ticks.len() <= 8 && a.ticks.len() >= 4, "{:?}", a.ticks);
        assert_eq!(a.ticks[0], (0, "1".to_owned()));
        assert_eq!(a.ticks[1].0, 200, "1-2-5 step");
        let small = Axis::counting("latent", 3, 0);
        assert_eq!(
            small.ticks.iter().map(|t| t.0).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
        assert!(Axis::counting("none", 0, 0).ticks.is_empty());
        assert_eq!(small.label(2), Some("2"));
        assert_eq!(small.label(3), None);
    }

    #[test]
    fn block_axes_name_each_image() {
        let a = Axis::blocks("visual token", 3, 8, "image");
        assert_eq!(
            a.ticks,
            vec![
                (0, "image 1".to_owned()),
                (8, "image 2".to_owned()),
                (16, "image 3".to_owned())
            ]
        );
        let numbered = Axis::blocks("frame", 2, 4, "");
        assert_eq!(
            numbered.ticks,
            vec![(0, "1".to_owned()), (4, "2".to_owned())]
        );
    }
}
