//! The trained model's figures, drawn with plotters on any backend (the canvas on
//! screen, SVG for "Download SVG"): what each caption step chose from, the logit
//! lens, and few-shot accuracy against the number of shots.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::figures::figure::err;
pub use crate::figures::figure::svg;
use crate::figures::legend::{Chart, Corner, along, legend};
use lab::live_training::Curve;

/// One generated word: the word, the likeliest words at its step with their
/// probabilities (most likely first), and its probability after each LM layer.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFigure {
    pub word: String,
    pub top: Vec<(String, f32)>,
    pub lens: Vec<f32>,
}

/// Words shown per step in the bars.
pub const TOP: usize = 4;

/// Lines of the figures, in a palette that stays apart for colour-blind readers.
const LINES: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
];

/// For each step, its likeliest next words as horizontal bars; the chosen word's bar dark.
pub fn bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    steps: &[StepFigure],
    scale: f64,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let (w, h) = root.dim_in_pixel();
    let n = steps.len().max(1);
    let col = w as f64 / n as f64;
    let size = 12.0 * scale;
    let ink = BLACK.mix(0.8);
    let font = ("sans-serif", size).into_font().color(&ink);
    let head = (22.0 * scale) as i32;
    let row = ((h as f64 - head as f64) / TOP as f64).max(1.0);
    for (i, step) in steps.iter().enumerate() {
        let x0 = (i as f64 * col) as i32;
        let title = format!("step {}: {}", i + 1, step.word);
        root.draw(&Text::new(
            title,
            (x0 + 4, 4),
            font.clone().pos(Pos::new(HPos::Left, VPos::Top)),
        ))
        .map_err(err)?;
        let label_w = (64.0 * scale) as i32;
        let bar_max = (col - label_w as f64 - 44.0 * scale).max(4.0);
        for (j, (word, p)) in step.top.iter().take(TOP).enumerate() {
            let y = head + (j as f64 * row) as i32;
            let mid = y + (row / 2.0) as i32;
            root.draw(&Text::new(
                word.as_str(),
                (x0 + label_w - 4, mid),
                font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(err)?;
            let bx = x0 + label_w;
            let len = (p.clamp(0.0, 1.0) as f64 * bar_max) as i32;
            let colour = if *word == step.word {
                LINES[0]
            } else {
                LINES[4]
            };
            let pad = (row * 0.18) as i32;
            root.draw(&Rectangle::new(
                [(bx, y + pad), (bx + len.max(1), y + row as i32 - pad)],
                colour.filled(),
            ))
            .map_err(err)?;
            root.draw(&Text::new(
                format!("{p:.2}"),
                (bx + len + 4, mid),
                font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(err)?;
        }
    }
    Ok(())
}

/// Each generated word's probability after every LM layer, the layers with a gated
/// block before them marked: where the picture's information enters. On the page the
/// frame and the lines are two canvases, so a gate step redraws only the lines.
pub fn lens<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    steps: &[StepFigure],
    blocks_before: &[bool],
) -> Result<(), String> {
    lens_frame(root, blocks_before)?;
    lens_lines(root, steps, blocks_before)
}

/// The lens's axes, one tick per layer, at the same place for frame and lines.
fn lens_chart<'a, DB: DrawingBackend + 'a>(
    root: &'a DrawingArea<DB, Shift>,
    layers: usize,
) -> Result<Chart<'a, DB>, String> {
    ChartBuilder::on(root)
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(52)
        .build_cartesian_2d(0.5f64..layers.max(1) as f64 + 0.5, 0f64..1.05)
        .map_err(err)
}

/// What the lens shows whatever the words: axes, and where the gated blocks sit.
pub fn lens_frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    blocks_before: &[bool],
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let layers = blocks_before.len().max(1);
    let mut chart = lens_chart(root, layers)?;
    chart
        .configure_mesh()
        .x_desc("after LM layer")
        .y_desc("probability of the word")
        .x_labels(layers)
        .x_label_formatter(&|x| format!("{}", x.round() as i64))
        .y_labels(6)
        .disable_x_mesh()
        .draw()
        .map_err(err)?;
    for (i, _) in blocks_before.iter().enumerate().filter(|(_, b)| **b) {
        // The block sits between layer i and layer i + 1 (1-based: before layer i + 1).
        let x = i as f64 + 0.5;
        chart
            .draw_series(DashedLineSeries::new(
                [(x, 0.0), (x, 1.05)],
                6,
                4,
                BLACK.mix(0.5).stroke_width(1),
            ))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Text::new(
                "gated block",
                (x + 0.03, 1.02),
                ("sans-serif", 12).into_font().color(&BLACK.mix(0.6)),
            )))
            .map_err(err)?;
    }
    Ok(())
}

/// The lens's lines, one per generated word, and their legend, over its frame.
pub fn lens_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    steps: &[StepFigure],
    blocks_before: &[bool],
) -> Result<(), String> {
    let mut chart = lens_chart(root, blocks_before.len())?;
    let mut entries = Vec::new();
    let mut drawn = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let colour = LINES[i % LINES.len()];
        let points: Vec<(f64, f64)> = step
            .lens
            .iter()
            .enumerate()
            .map(|(l, &p)| (l as f64 + 1.0, p as f64))
            .collect();
        drawn.extend(along(&points));
        dotted_line(&mut chart, points, (colour, 2))?;
        entries.push((format!("{}. {}", i + 1, step.word), (colour, 2)));
    }
    // The words' lines can pass anywhere: the key goes where it hides the least of them.
    legend(&chart, &entries, &Corner::ALL, &drawn)
}

/// A line with a dot at each of its points.
fn dotted_line<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    points: Vec<(f64, f64)>,
    (colour, width): (RGBColor, u32),
) -> Result<(), String> {
    chart
        .draw_series(LineSeries::new(points.clone(), colour.stroke_width(width)))
        .map_err(err)?;
    chart
        .draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, colour.filled())),
        )
        .map_err(err)?;
    Ok(())
}

/// The training figure's shortest step axis.
const FEWEST_STEPS: f64 = 10.0;

/// A run's colour in the training figure and its legend, picked by the run's number.
pub fn run_colour(number: usize) -> (u8, u8, u8) {
    LINES[number % LINES.len()].rgb()
}

/// Runs' losses by step, on the same axes, each thinned to at most `most` points: per run
/// (its number picks its colour), the loss over the words the picture decides (colour,
/// shape), thick, and over the words text alone decides, thin. While the gates are near 0
/// the first stays flat. The legend is the page's own (HTML), readable at any width.
pub fn training_losses<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    runs: &[Curve],
    most: usize,
) -> Result<(), String> {
    let runs: Vec<_> = runs.iter().map(|c| (c.number, c.thinned(most))).collect();
    root.fill(&WHITE).map_err(err)?;
    let points = || runs.iter().flat_map(|r| r.1.iter());
    // Before a run has ten steps the axis still counts ten, so its ticks are whole steps.
    let last = points().map(|p| p.0).fold(FEWEST_STEPS, f64::max);
    let top = points()
        .flat_map(|p| [p.1, p.2])
        .filter(|l| l.is_finite())
        .fold(0.5f64, f64::max)
        * 1.05;
    let mut chart = ChartBuilder::on(root)
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(52)
        .build_cartesian_2d(0f64..last, 0f64..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc("loss (cross-entropy)")
        .x_labels(6)
        .x_label_formatter(&|x| format!("{}", x.round() as i64))
        .y_labels(6)
        .draw()
        .map_err(err)?;
    for (number, points) in &runs {
        let (r, g, b) = run_colour(*number);
        let colour = RGBColor(r, g, b);
        for (picture, width) in [(true, 3), (false, 1)] {
            let line = points
                .iter()
                .map(|p| (p.0, if picture { p.1 } else { p.2 }))
                .filter(|p| p.1.is_finite());
            chart
                .draw_series(LineSeries::new(line, colour.stroke_width(width)))
                .map_err(err)?;
        }
    }
    Ok(())
}

/// Accuracy per number of shots: each task and their mean, where measured.
pub fn accuracy<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    measured: &[Option<([f64; 2], f64)>],
    tasks: [&str; 2],
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let last = measured.len().saturating_sub(1).max(1) as f64;
    let mut chart = ChartBuilder::on(root)
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(52)
        .build_cartesian_2d(-0.3f64..last + 0.3, 0f64..1.05)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("shots (examples in the prompt)")
        .y_desc("accuracy")
        .x_labels(measured.len().max(2))
        .x_label_formatter(&|x| format!("{}", x.round() as i64))
        .y_labels(6)
        .draw()
        .map_err(err)?;
    // Lines 0 and 1 are the tasks, 2 their mean.
    let series = |line: usize| -> Vec<(f64, f64)> {
        measured
            .iter()
            .enumerate()
            .filter_map(|(k, m)| {
                m.map(|(per, mean)| (k as f64, if line < 2 { per[line] } else { mean }))
            })
            .collect()
    };
    let names = [
        format!("{} task", tasks[0]),
        format!("{} task", tasks[1]),
        "mean of both".into(),
    ];
    let styles = [(LINES[1], 1), (LINES[2], 1), (LINES[0], 3)];
    for (line, style) in styles.into_iter().enumerate() {
        dotted_line(&mut chart, series(line), style)?;
    }
    let entries: Vec<_> = names.into_iter().zip(styles).collect();
    legend(&chart, &entries, &[Corner::LowerRight], &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps() -> Vec<StepFigure> {
        vec![
            StepFigure {
                word: "blue".into(),
                top: vec![("blue".into(), 0.9), ("red".into(), 0.05)],
                lens: vec![0.1, 0.2, 0.6, 0.9],
            },
            StepFigure {
                word: "triangle".into(),
                top: vec![("triangle".into(), 0.8), ("square".into(), 0.1)],
                lens: vec![0.05, 0.3, 0.5, 0.8],
            },
        ]
    }

    #[test]
    fn bars_draw_one_rect_per_word_with_its_probability() {
        let out = svg((640, 200), |r| bars(r, &steps(), 1.0)).unwrap();
        // The background and four bars.
        assert_eq!(out.matches("<rect").count(), 1 + 4, "{out}");
        for text in ["step 1: blue", "step 2: triangle", "0.90", "0.10", "square"] {
            assert!(out.contains(text), "{text}");
        }
    }

    #[test]
    fn the_lens_has_a_line_per_word_and_marks_the_blocks() {
        let out = svg((640, 320), |r| {
            lens(r, &steps(), &[false, true, false, true])
        })
        .unwrap();
        assert_eq!(out.matches("gated block").count(), 2);
        assert!(out.contains("1. blue") && out.contains("2. triangle"));
        assert!(out.matches("<polyline").count() >= 2);
    }

    /// The lens's key goes to the corner its lines leave free: below lines that stay
    /// near 1, above lines that stay near 0.
    #[test]
    fn the_lens_key_hides_the_fewest_points_of_its_lines() {
        let flat = |p: f32| {
            vec![StepFigure {
                word: "red".into(),
                top: vec![("red".into(), p)],
                lens: vec![p; 4],
            }]
        };
        // The key's card: the one rectangle drawn in white at 0.85.
        let card_top = |out: &str| -> f64 {
            let line = out
                .lines()
                .find(|l| l.starts_with("<rect") && l.contains("opacity=\"0.85\""))
                .unwrap_or_else(|| panic!("no key in {out}"));
            let y = line
                .split("y=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap();
            y.parse().unwrap()
        };
        let draw = |p| {
            svg((640, 300), |r| {
                lens(r, &flat(p), &[false, true, false, true])
            })
            .unwrap()
        };
        assert!(card_top(&draw(0.98)) > 150.0, "below lines near 1");
        assert!(card_top(&draw(0.02)) < 100.0, "above lines near 0");
    }

    #[test]
    fn training_losses_draw_each_run_thick_and_thin_in_its_colour() {
        let points = vec![(0, 1.2, 0.15), (1, 1.25, 0.14), (2, 0.9, 0.12)];
        let run = |number, label: &str| Curve {
            number,
            label: label.to_owned(),
            points: points.clone(),
        };
        let runs = [run(0, "rate 0.003"), run(1, "rate 0.01")];
        let out = svg((640, 300), |r| training_losses(r, &runs, 300)).unwrap();
        let lines = |width: &str| {
            out.lines()
                .filter(|l| {
                    l.starts_with("<polyline") && l.contains(&format!(r#"stroke-width="{width}""#))
                })
                .count()
        };
        // Per run a thick line and a thin one (the axes are 1 px wide too), in its colour.
        assert_eq!(lines("3"), 2, "{out}");
        assert!(lines("1") >= 2);
        for number in [0, 1] {
            let (r, g, b) = run_colour(number);
            let colour = format!("#{r:02X}{g:02X}{b:02X}");
            assert_eq!(out.matches(&colour).count(), 2, "{colour} in {out}");
        }
    }

    /// Tick labels of an SVG figure, in order.
    fn labels(svg: &str) -> Vec<&str> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                t.split_once('>')
                    .map(|(_, rest)| rest.split('<').next().unwrap_or("").trim())
            })
            .collect()
    }

    /// Before anything is measured or trained the axes already count what will come,
    /// in whole shots and steps, no tick label twice.
    #[test]
    fn empty_figures_count_whole_shots_and_steps() {
        let out = svg((640, 300), |r| accuracy(r, &[None; 9], ["colour", "shape"])).unwrap();
        let shots = labels(&out);
        for k in 0..=8 {
            assert!(shots.contains(&k.to_string().as_str()), "{k} in {shots:?}");
        }
        let out = svg((640, 300), |r| training_losses(r, &[], 300)).unwrap();
        let steps: Vec<_> = labels(&out)
            .into_iter()
            .filter(|l| l.parse::<i64>().is_ok())
            .collect();
        let mut unique = steps.clone();
        unique.dedup();
        assert_eq!(unique, steps, "{out}");
        assert!(steps.contains(&"10"), "{steps:?}");
    }

    #[test]
    fn accuracy_plots_only_what_was_measured() {
        let mut measured = vec![None; 9];
        measured[0] = Some(([0.9, 0.1], 0.5));
        measured[1] = Some(([1.0, 0.98], 0.99));
        let out = svg((640, 320), |r| accuracy(r, &measured, ["colour", "shape"])).unwrap();
        assert!(out.contains("colour task") && out.contains("mean of both"));
        // Two measured points per line, three lines.
        assert_eq!(out.matches("<circle").count(), 6, "{out}");
    }
}
