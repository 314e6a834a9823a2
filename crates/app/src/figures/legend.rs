//! A line chart's key, placed where its lines leave room: of the corners allowed, the
//! one whose card hides the fewest points along the lines.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::figures::figure::err;

/// A chart with numbers on both axes, as the line figures draw.
pub(crate) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Points along a line, ten per segment, for telling what a legend would hide.
pub(crate) fn along(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    points
        .windows(2)
        .flat_map(|w| {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            (0..10).map(move |k| {
                let t = f64::from(k) / 10.0;
                (x0 + t * (x1 - x0), y0 + t * (y1 - y0))
            })
        })
        .chain(points.last().copied())
        .collect()
}

/// How many of `points` fall in the legend's `[x0, y0, x1, y1]` (the plotting area's pixels).
fn covered<'a, DB: DrawingBackend + 'a>(
    chart: &Chart<'a, DB>,
    [x0, y0, x1, y1]: [i32; 4],
    points: &[(f64, f64)],
) -> usize {
    let (bx, by) = chart.plotting_area().get_base_pixel();
    points
        .iter()
        .map(|p| chart.backend_coord(p))
        .filter(|&(x, y)| (x0..=x1).contains(&(x - bx)) && (y0..=y1).contains(&(y - by)))
        .count()
}

/// Where a legend sits in the plotting area.
#[derive(Clone, Copy)]
pub(crate) enum Corner {
    UpperLeft,
    UpperRight,
    LowerLeft,
    LowerRight,
}

impl Corner {
    /// In the order a tie is settled.
    pub(crate) const ALL: [Corner; 4] = [
        Corner::UpperLeft,
        Corner::LowerRight,
        Corner::LowerLeft,
        Corner::UpperRight,
    ];
}

/// The legend's card's width and height, from the backend's own measure of its labels.
fn legend_size<'a, DB: DrawingBackend + 'a>(
    chart: &Chart<'a, DB>,
    entries: &[(String, (RGBColor, u32))],
) -> Result<(i32, i32), String> {
    let area = chart.plotting_area().strip_coord_spec();
    let font = ("sans-serif", 12).into_font().color(&BLACK);
    let mut widest = 0;
    let mut tallest = 0;
    for (label, _) in entries {
        let (w, h) = area.estimate_text_size(label, &font).map_err(err)?;
        widest = widest.max(w as i32);
        tallest = tallest.max(h as i32);
    }
    Ok((
        LEGEND_PAD + LEGEND_SWATCH + LEGEND_GAP + widest + LEGEND_PAD,
        2 * LEGEND_PAD + (tallest + 4) * entries.len() as i32,
    ))
}

/// A `(w, h)` card at `corner` of a plotting area `(aw, ah)` pixels: `[x0, y0, x1, y1]`.
fn legend_box((w, h): (i32, i32), (aw, ah): (u32, u32), corner: Corner) -> [i32; 4] {
    let (right, bottom) = (aw as i32 - w - LEGEND_INSET, ah as i32 - h - LEGEND_INSET);
    let (x0, y0) = match corner {
        Corner::UpperLeft => (LEGEND_INSET, LEGEND_INSET),
        Corner::UpperRight => (right, LEGEND_INSET),
        Corner::LowerLeft => (LEGEND_INSET, bottom),
        Corner::LowerRight => (right, bottom),
    };
    [x0, y0, x0 + w, y0 + h]
}

/// A legend card's padding, sample line, gap before the label, and inset from the axes.
const LEGEND_PAD: i32 = 6;
const LEGEND_SWATCH: i32 = 16;
const LEGEND_GAP: i32 = 6;
const LEGEND_INSET: i32 = 10;

/// The legend of a line figure: a white card, lightly framed, a short line and a label
/// per series. Laid out here from the backend's own measure of its text (plotters'
/// series labels measure text by laying out the whole web page, every time).
pub(crate) fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &Chart<'a, DB>,
    entries: &[(String, (RGBColor, u32))],
    corners: &[Corner],
    avoid: &[(f64, f64)],
) -> Result<(), String> {
    if entries.is_empty() {
        return Ok(());
    }
    let area = chart.plotting_area().strip_coord_spec();
    let font = ("sans-serif", 12).into_font().color(&BLACK.mix(0.8));
    let size = legend_size(chart, entries)?;
    // Of `corners`, the first that hides the fewest of `avoid`.
    let [x0, y0, x1, y1] = corners
        .iter()
        .map(|&c| legend_box(size, area.dim_in_pixel(), c))
        .min_by_key(|&card| covered(chart, card, avoid))
        .unwrap_or_else(|| legend_box(size, area.dim_in_pixel(), Corner::UpperLeft));
    let (w, h) = (x1 - x0, y1 - y0);
    let row = (h - 2 * LEGEND_PAD) / entries.len() as i32;
    let (pad, swatch, gap) = (LEGEND_PAD, LEGEND_SWATCH, LEGEND_GAP);
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + w, y0 + h)],
        WHITE.mix(0.85).filled(),
    ))
    .map_err(err)?;
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + w, y0 + h)],
        BLACK.mix(0.3),
    ))
    .map_err(err)?;
    for (i, (label, (colour, width))) in entries.iter().enumerate() {
        let y = y0 + pad + row * i as i32 + row / 2;
        area.draw(&PathElement::new(
            vec![(x0 + pad, y), (x0 + pad + swatch, y)],
            colour.stroke_width(*width),
        ))
        .map_err(err)?;
        area.draw(&Text::new(
            label.as_str(),
            (x0 + pad + swatch + gap, y),
            font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    Ok(())
}
