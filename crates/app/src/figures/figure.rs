//! The page's figures drawn with plotters on any backend: the canvas on screen and
//! SVG for "Download SVG" share these functions, so the download is the figure.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::figures::heatmap::{Axis, Range, colour};

/// Where the cells sit inside a heatmap's axes, in CSS pixels: left, top, right, bottom.
pub const PLOT_INSETS: [u32; 4] = [56, 8, 12, 42];

/// A figure of `size` in a figure `room` CSS pixels wide, as it is drawn: as written
/// where the page would shrink it by less than a tenth, else 1.05 rooms wide in the same
/// shape, so its 12 px text shows at 11 px or more (written 640 px wide, in a phone's
/// 350 px it would show at 6).
pub fn narrowed((w, h): (u32, u32), room: f64) -> (u32, u32) {
    if f64::from(w) <= room * 1.1 || room < 1.0 {
        return (w, h);
    }
    let widest = (room * 1.05).round() as u32;
    let height = (f64::from(h) * f64::from(widest) / f64::from(w)).round() as u32;
    (widest, height)
}

/// A plotters drawing error as the page reports it.
pub fn err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> String {
    e.to_string()
}

/// A figure drawn by `draw` as an SVG document of `size`: every "Download SVG" is the
/// figure's own drawing function on this backend.
pub fn svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<(), String>,
) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(out)
}

/// Frame, ticks and titles around a `rows × cols` heatmap whose cells fill the area
/// inside `PLOT_INSETS × scale`.
pub fn axes<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rows: usize,
    cols: usize,
    x: &Axis,
    y: &Axis,
    scale: f64,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let (w, h) = root.dim_in_pixel();
    let [x0, y0, x1, y1] = cell_box(w, h, scale);
    // Ticks at cell centres; row 0 at the top.
    let at = |i: usize, n: usize, lo: i32, hi: i32| {
        lo + ((i as f64 + 0.5) / n.max(1) as f64 * (hi - lo) as f64) as i32
    };
    let ink = BLACK.mix(0.75);
    let size = 12.0 * scale;
    let font = ("sans-serif", size).into_font().color(&ink);
    let tick = (5.0 * scale) as i32;
    root.draw(&Rectangle::new(
        [(x0 - 1, y0 - 1), (x1, y1)],
        ink.stroke_width(1),
    ))
    .map_err(err)?;
    for (i, label) in &x.ticks {
        let cx = at(*i, cols, x0, x1);
        root.draw(&PathElement::new(vec![(cx, y1), (cx, y1 + tick)], ink))
            .map_err(err)?;
        let style = font.clone().pos(Pos::new(HPos::Center, VPos::Top));
        root.draw(&Text::new(label.as_str(), (cx, y1 + tick + 2), style))
            .map_err(err)?;
    }
    for (i, label) in &y.ticks {
        let cy = at(*i, rows, y0, y1);
        root.draw(&PathElement::new(vec![(x0 - tick, cy), (x0, cy)], ink))
            .map_err(err)?;
        let style = font.clone().pos(Pos::new(HPos::Right, VPos::Center));
        root.draw(&Text::new(label.as_str(), (x0 - tick - 2, cy), style))
            .map_err(err)?;
    }
    let title = font.clone().pos(Pos::new(HPos::Center, VPos::Bottom));
    root.draw(&Text::new(
        x.title.as_str(),
        ((x0 + x1) / 2, h as i32 - 2),
        title,
    ))
    .map_err(err)?;
    let title = ("sans-serif", size)
        .into_font()
        .transform(FontTransform::Rotate270)
        .color(&ink)
        .pos(Pos::new(HPos::Center, VPos::Top));
    root.draw(&Text::new(y.title.as_str(), (2, (y0 + y1) / 2), title))
        .map_err(err)
}

/// The cells' box inside a `w × h` figure: left, top, right, bottom.
pub fn cell_box(w: u32, h: u32, scale: f64) -> [i32; 4] {
    let [left, top, right, bottom] = PLOT_INSETS.map(|v| (v as f64 * scale).round() as i32);
    [left, top, w as i32 - right, h as i32 - bottom]
}

/// `y = tanh(x)` over the gate's range, with the current gate marked.
pub fn tanh<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, alpha: f32) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(root)
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(52)
        .build_cartesian_2d(-4f32..4f32, -1.1f32..1.1f32)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("alpha")
        .y_desc("tanh(alpha)")
        .x_labels(9)
        .y_labels(5)
        .draw()
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(
            (0..=160)
                .map(|i| -4.0 + i as f32 * 0.05)
                .map(|x| (x, x.tanh())),
            &BLUE,
        ))
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(Circle::new(
            (alpha, alpha.tanh()),
            6,
            RED.filled(),
        )))
        .map_err(err)?;
    Ok(())
}

/// Size of a downloaded heatmap: wide enough for one pixel per column where it can be.
fn heatmap_size(rows: usize, cols: usize) -> (u32, u32) {
    let [l, t, r, b] = PLOT_INSETS;
    let side = |n: usize, lo: usize, hi: usize| n.clamp(lo, hi) as u32;
    (side(cols, 640, 1200) + l + r, side(rows, 360, 720) + t + b)
}

/// A heatmap with its axes as an SVG document.
pub fn heatmap_svg(
    values: &[f32],
    rows: usize,
    cols: usize,
    x: &Axis,
    y: &Axis,
) -> Result<String, String> {
    let (w, h) = heatmap_size(rows, cols);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        axes(&root, rows, cols, x, y, 1.0)?;
        let [x0, y0, x1, y1] = cell_box(w, h, 1.0);
        let range = Range::of(values);
        let (cw, ch) = (
            (x1 - x0) as f64 / cols.max(1) as f64,
            (y1 - y0) as f64 / rows.max(1) as f64,
        );
        for r in 0..rows {
            for c in 0..cols {
                let [red, green, blue, _] = colour(values[r * cols + c], range);
                let at = |i: usize, size: f64, lo: i32| lo + (i as f64 * size).round() as i32;
                root.draw(&Rectangle::new(
                    [
                        (at(c, cw, x0), at(r, ch, y0)),
                        (at(c + 1, cw, x0), at(r + 1, ch, y0)),
                    ],
                    RGBColor(red, green, blue).filled(),
                ))
                .map_err(err)?;
            }
        }
        root.present().map_err(err)?;
    }
    Ok(out)
}

/// The tanh plot as an SVG document.
pub fn tanh_svg(alpha: f32) -> Result<String, String> {
    svg((360, 220), |root| tanh(root, alpha))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heatmap_svg_has_one_rect_per_cell_and_its_labels() {
        let values: Vec<f32> = (0..6).map(|v| v as f32).collect();
        let svg = heatmap_svg(
            &values,
            2,
            3,
            &Axis::counting("patch", 3, 1),
            &Axis::counting("latent", 2, 1),
        )
        .unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        // One background rect, the frame, and six cells.
        let cells = svg.matches("<rect").count();
        assert_eq!(cells, 1 + 1 + 6, "{svg}");
        assert!(
            svg.contains("\npatch\n") && svg.contains("\nlatent\n"),
            "{svg}"
        );
        // The lowest and highest values get the colour map's two ends.
        let [r, g, b, _] = colour(5.0, Range::of(&values));
        assert!(svg.contains(&format!("#{r:02X}{g:02X}{b:02X}")), "{svg}");
    }

    #[test]
    fn a_figure_with_less_room_is_drawn_narrower_in_the_same_shape() {
        // A phone's column, and the trained panel's on a tablet.
        assert_eq!(narrowed((640, 300), 352.0), (370, 173));
        assert_eq!(narrowed((640, 160), 380.0), (399, 100));
        // Room enough, or nearly: as written; and before any layout.
        assert_eq!(narrowed((640, 300), 598.0), (640, 300));
        assert_eq!(narrowed((360, 220), 352.0), (360, 220));
        assert_eq!(narrowed((640, 300), 0.0), (640, 300));
    }

    #[test]
    fn the_tanh_svg_marks_the_gate() {
        let svg = tanh_svg(0.5).unwrap();
        assert!(svg.contains("<circle") && svg.contains("tanh(alpha)"));
        assert!(svg.contains("<polyline"));
    }
}
