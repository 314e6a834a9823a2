//! The "Gate schedule" section without the DOM: its two figures, drawn on any plotters
//! backend so the canvas and "Download SVG" share one drawing, and the measured result
//! the section states in words, computed from the training log rather than written in.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::full_palette::{
    AMBER_600, BLUE_800, DEEPORANGE_700, GREEN_700, GREY_700, LIGHTBLUE_400, PINK_300, PURPLE_700,
};
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::figures::figure::{err, svg};
use mini::log::{LogEntry, Runs};

/// Size of a downloaded figure: wide enough for the key beside the axes.
pub const SIZE: (u32, u32) = (640, 320);

/// The key sits beside the axes, never over the lines it names.
const KEY_WIDTH: u32 = 168;

/// Logged steps whose losses are averaged: single steps are noisy, and by step 100 the
/// ablations have moved while the shipped gates are still opening.
pub const WINDOW: (usize, usize) = (100, 200);

/// Below this a gate still counts as closed: Adam's first steps move it by a hair.
const OPEN: f64 = 0.01;

/// Relative difference under which two losses count as the same: the logged losses are
/// per batch and wobble by a few percent.
const SAME: f64 = 0.05;

/// Per block, attention and a lighter colour of its hue for feed-forward.
const BLOCKS: [(RGBColor, RGBColor); 3] = [
    (BLUE_800, LIGHTBLUE_400),
    (DEEPORANGE_700, AMBER_600),
    (PURPLE_700, PINK_300),
];

type Area<DB> = DrawingArea<DB, Shift>;
/// One of a log entry's losses.
type Field = fn(&LogEntry) -> f64;
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A tick label with `decimals` places; never "-0.0", which reads as another number.
fn tick(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

/// `lo..hi` around `values` with 10 % to spare, always including 0 (a closed gate).
fn fitted(values: impl Iterator<Item = f64>, least: f64) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = ((hi - lo) * 0.1).max(least);
    (if lo < 0.0 { lo - pad } else { lo }, hi + pad)
}

/// Clears `root` and splits off the key's strip on the right, narrower on a small canvas.
fn split<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
) -> Result<(Area<DB>, Area<DB>), String> {
    root.fill(&WHITE).map_err(err)?;
    let (w, _) = root.dim_in_pixel();
    Ok(root.split_horizontally(w - KEY_WIDTH.min(w * 2 / 5)))
}

/// Axes over steps `0..end` and losses or gates `lo..hi`, in both figures' one style.
fn frame<'a, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, Shift>,
    end: usize,
    (lo, hi): (f64, f64),
    y_desc: &str,
) -> Result<Chart<'a, DB>, String> {
    let mut chart = ChartBuilder::on(plot)
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(52)
        .build_cartesian_2d(0.0..end.max(1) as f64, lo..hi)
        .map_err(err)?;
    let decimals = if hi - lo < 0.5 { 2 } else { 1 };
    chart
        .configure_mesh()
        .x_desc("training step")
        .y_desc(y_desc)
        .x_labels(7)
        .y_labels(6)
        .light_line_style(BLACK.mix(0.04))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| tick(*v, decimals))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// One sample stroke and label per line, level with the top of the axes.
fn key<DB: DrawingBackend>(
    side: &DrawingArea<DB, Shift>,
    entries: &[(String, ShapeStyle)],
) -> Result<(), String> {
    let font = ("sans-serif", 13)
        .into_font()
        .color(&BLACK.mix(0.8))
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (label, style)) in entries.iter().enumerate() {
        let y = 20 + 20 * i as i32;
        side.draw(&PathElement::new(vec![(6, y), (30, y)], *style))
            .map_err(err)?;
        side.draw(&Text::new(label.as_str(), (36, y), font.clone()))
            .map_err(err)?;
    }
    Ok(())
}

/// Each gate's `tanh` over training: all start at 0, so the frozen model starts intact.
pub fn gates<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    log: &[LogEntry],
) -> Result<(), String> {
    let (plot, side) = split(root)?;
    let end = log.iter().map(|e| e.step).max().unwrap_or(0);
    let values = log.iter().flat_map(|e| e.gates.iter().flatten().copied());
    let mut chart = frame(&plot, end, fitted(values, 0.05), "tanh(gate)")?;
    let zero = PathElement::new(vec![(0.0, 0.0), (end as f64, 0.0)], BLACK.mix(0.5));
    chart.draw_series([zero]).map_err(err)?;
    let blocks = log.iter().map(|e| e.gates.len()).max().unwrap_or(0);
    let mut entries = Vec::new();
    for b in 0..blocks {
        let (attention, feed_forward) = BLOCKS[b % BLOCKS.len()];
        for (g, (name, colour)) in [("attention", attention), ("feed-forward", feed_forward)]
            .into_iter()
            .enumerate()
        {
            let points = log
                .iter()
                .filter_map(|e| e.gates.get(b).map(|pair| (e.step as f64, pair[g])));
            let style = colour.stroke_width(2);
            chart
                .draw_series(LineSeries::new(points, style))
                .map_err(err)?;
            entries.push((format!("block {} {name}", b + 1), style));
        }
    }
    key(&side, &entries)
}

/// The three runs' losses over the ablations' steps: picture words thick, text-only thin.
pub fn losses<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    record: &Runs,
) -> Result<(), String> {
    let (plot, side) = split(root)?;
    let ablations = [&record.ungated.log, &record.fast_gates.log];
    let end = ablations.iter().flat_map(|log| log.iter().map(|e| e.step));
    let end = end.max().unwrap_or(0);
    // The shipped run is cut to the ablations' length so the three compare step for step.
    let runs = [
        ("tanh gate (shipped)", &record.trained, BLUE_800),
        ("no tanh gate", &record.ungated.log, DEEPORANGE_700),
        ("fast gates", &record.fast_gates.log, GREEN_700),
    ]
    .map(|(name, log, colour)| (name, &log[..log.partition_point(|e| e.step <= end)], colour));
    let values = runs
        .iter()
        .flat_map(|(_, log, _)| log.iter().flat_map(|e| [e.loss_image, e.loss_text]));
    let mut chart = frame(&plot, end, fitted(values, 0.1), "loss (cross-entropy)")?;
    let mut entries = Vec::new();
    for (name, log, colour) in runs {
        let lines: [(u32, Field); 2] = [(2, |e| e.loss_image), (1, |e| e.loss_text)];
        for (width, loss) in lines {
            let points = log.iter().map(|e| (e.step as f64, loss(e)));
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(width)))
                .map_err(err)?;
        }
        entries.push((name.to_string(), colour.stroke_width(3)));
    }
    entries.push(("picture words".into(), GREY_700.stroke_width(2)));
    entries.push(("text-only words".into(), GREY_700.stroke_width(1)));
    key(&side, &entries)
}

/// The gate figure as an SVG document.
pub fn gates_svg(log: &[LogEntry]) -> Result<String, String> {
    svg(SIZE, |root| gates(root, log))
}

/// The loss figure as an SVG document.
pub fn losses_svg(runs: &Runs) -> Result<String, String> {
    svg(SIZE, |root| losses(root, runs))
}

/// One run's numbers; NaN where its log has no step to measure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunOutcome {
    /// Loss over every token at step 0: how much the new blocks disturb the frozen model.
    pub start: f64,
    /// Mean `loss_image` over `WINDOW`: how fast the picture words are being learned.
    pub image: f64,
    /// Mean `loss_text` over `WINDOW`: whether the language model's own words suffered.
    pub text: f64,
}

impl RunOutcome {
    fn of(log: &[LogEntry]) -> RunOutcome {
        let (from, to) = WINDOW;
        let window: Vec<&LogEntry> = log
            .iter()
            .filter(|e| (from..=to).contains(&e.step))
            .collect();
        let mean = |f: Field| window.iter().map(|e| f(e)).sum::<f64>() / window.len() as f64;
        RunOutcome {
            start: log.first().map_or(f64::NAN, |e| e.loss),
            image: mean(|e| e.loss_image),
            text: mean(|e| e.loss_text),
        }
    }
}

/// What the gate ablations measured, for the sentence under the figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub shipped: RunOutcome,
    pub ungated: RunOutcome,
    pub fast_gates: RunOutcome,
    /// First logged step where a shipped gate is open (`|tanh| > 0.01`); `None` if never.
    pub gates_open_at: Option<usize>,
}

pub fn outcome(runs: &Runs) -> Outcome {
    let open = |e: &&LogEntry| e.gates.iter().flatten().any(|g| g.abs() > OPEN);
    Outcome {
        shipped: RunOutcome::of(&runs.trained),
        ungated: RunOutcome::of(&runs.ungated.log),
        fast_gates: RunOutcome::of(&runs.fast_gates.log),
        gates_open_at: runs.trained.iter().find(open).map(|e| e.step),
    }
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= SAME * a.abs().max(b.abs())
}

/// `words[0]` when `run` is about `shipped`, `words[1]` when lower, `words[2]` when higher.
fn compare(run: f64, shipped: f64, words: [&'static str; 3]) -> &'static str {
    match (same(run, shipped), run < shipped) {
        (true, _) => words[0],
        (false, true) => words[1],
        (false, false) => words[2],
    }
}

/// The measured result in words; every comparison follows the numbers, so a record
/// retrained with another outcome reads differently rather than wrongly.
pub fn sentence(o: &Outcome) -> String {
    let (s, u, f) = (o.shipped, o.ungated, o.fast_gates);
    let start = [
        "nearly the same loss as",
        "a lower loss than",
        "a higher loss than",
    ];
    let start = compare(u.start, s.start, start);
    let so = if same(u.start, s.start) {
        "so at this scale removing the gate barely disturbed the frozen model"
    } else {
        "so removing the gate changed the frozen model's output from the first step"
    };
    let open = match o.gates_open_at {
        Some(step) => format!("the shipped gates first leave 0 at step {step}"),
        None => "the shipped gates never leave 0".into(),
    };
    let text = if same(u.text, s.text) && same(f.text, s.text) {
        format!(
            "is about the same in all three runs ({:.3} with the tanh gate, {:.3} without, {:.3} \
             with fast gates), so no run got worse at the text",
            s.text, u.text, f.text
        )
    } else {
        let words = ["about the same", "lower", "higher"];
        format!(
            "is {} without the tanh gate ({:.3} vs {:.3}) and {} with fast gates ({:.3})",
            compare(u.text, s.text, words),
            u.text,
            s.text,
            compare(f.text, s.text, words),
            f.text
        )
    };
    let pace = ["about as fast", "faster", "slower"];
    let (from, to) = WINDOW;
    format!(
        "At step 0 the run without the tanh gate starts from {start} the run with it ({:.3} \
         vs {:.3}), {so}; {open}. Over steps {from}–{to} the loss of the words the text alone \
         decides {text}, while the picture words were learned {} without the tanh gate ({:.3} \
         vs {:.3}) and {} with fast gates ({:.3}).",
        u.start,
        s.start,
        compare(u.image, s.image, pace),
        u.image,
        s.image,
        compare(f.image, s.image, pace),
        f.image
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use mini::log::{Ablation, StageRecord, TrainingRecord};

    fn shipped() -> Runs {
        let json = include_str!("../../../../assets/mini-flamingo-training.json");
        TrainingRecord::parse(json).unwrap().runs
    }

    /// The window's mean written out longhand, apart from `RunOutcome::of`.
    fn window_mean(log: &[LogEntry], field: Field) -> f64 {
        let picked: Vec<f64> = log
            .iter()
            .filter(|e| e.step >= 100 && e.step <= 200)
            .map(field)
            .collect();
        assert_eq!(picked.len(), 11, "steps 100, 110, …, 200 are logged");
        picked.iter().sum::<f64>() / 11.0
    }

    #[test]
    fn the_outcome_and_sentence_come_from_the_shipped_log() {
        let runs = shipped();
        let o = outcome(&runs);
        let logs = [&runs.trained, &runs.ungated.log, &runs.fast_gates.log];
        for (got, log) in [o.shipped, o.ungated, o.fast_gates].into_iter().zip(logs) {
            assert_eq!(got.start, log[0].loss);
            assert!((got.image - window_mean(log, |e| e.loss_image)).abs() < 1e-12);
            assert!((got.text - window_mean(log, |e| e.loss_text)).abs() < 1e-12);
        }
        let open = runs.trained.iter().position(|e| {
            e.gates
                .iter()
                .any(|g| g[0].abs() > 0.01 || g[1].abs() > 0.01)
        });
        assert_eq!(o.gates_open_at, open.map(|i| runs.trained[i].step));
        assert!(o.gates_open_at.is_some_and(|step| step > 0));

        let words = sentence(&o);
        for run in [o.shipped, o.ungated, o.fast_gates] {
            for v in [run.image, run.text] {
                assert!(words.contains(&format!("{v:.3}")), "{v:.3} in {words}");
            }
        }
        for v in [o.shipped.start, o.ungated.start] {
            assert!(words.contains(&format!("{v:.3}")), "{v:.3} in {words}");
        }
        assert!(words.contains(&format!("step {}", o.gates_open_at.unwrap())));
    }

    /// Polylines with more than two points: the data, not ticks, key strokes or the 0 line.
    fn lines(svg: &str) -> usize {
        let long = |l: &&str| l.matches(',').count() > 2;
        svg.lines()
            .filter(|l| l.starts_with("<polyline"))
            .filter(long)
            .count()
    }

    #[test]
    fn the_svgs_have_their_labels_and_one_polyline_per_line() {
        let runs = shipped();
        let svg = gates_svg(&runs.trained).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        for label in [
            "training step",
            "tanh(gate)",
            "block 1 attention",
            "block 2 feed-forward",
        ] {
            assert!(svg.contains(label), "{label}");
        }
        assert!(!svg.contains("block 3"));
        assert_eq!(lines(&svg), 2 * 2);

        let svg = losses_svg(&runs).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        let labels = ["tanh gate (shipped)", "no tanh gate", "fast gates"];
        for label in labels
            .iter()
            .chain(&["training step", "loss (cross-entropy)"])
        {
            assert!(svg.contains(label), "{label}");
        }
        assert_eq!(lines(&svg), 3 * 2);
        // Nothing to draw still makes a figure.
        assert!(gates_svg(&[]).unwrap().starts_with("<svg"));
    }

    /// 31 logged steps with constant losses; the gates open after step 0.
    fn log(start: f64, image: f64, text: f64) -> Vec<LogEntry> {
        (0..=30)
            .map(|i| LogEntry {
                step: i * 10,
                loss: start,
                loss_image: image,
                loss_text: text,
                gates: vec![[if i == 0 { 0.0 } else { 0.1 }; 2]; 2],
            })
            .collect()
    }

    fn runs(trained: Vec<LogEntry>, ungated: Vec<LogEntry>, fast: Vec<LogEntry>) -> Runs {
        let ablation = |log: Vec<LogEntry>| Ablation {
            record: StageRecord {
                steps: 300,
                seconds: 1.0,
                final_loss: 0.0,
            },
            log,
        };
        Runs {
            trained,
            ungated: ablation(ungated),
            fast_gates: ablation(fast),
        }
    }

    #[test]
    fn the_wording_follows_the_numbers() {
        let o = outcome(&runs(
            log(0.5, 0.8, 0.1),
            log(0.9, 1.2, 0.3),
            log(0.5, 1.0, 0.102),
        ));
        assert_eq!(o.gates_open_at, Some(10));
        let words = sentence(&o);
        assert!(
            words.contains("a higher loss than the run with it (0.900 vs 0.500)"),
            "{words}"
        );
        assert!(words.contains("learned slower without"), "{words}");
        assert!(words.contains("slower with fast gates (1.000)"), "{words}");
        assert!(
            words.contains("higher without the tanh gate (0.300 vs 0.100)"),
            "{words}"
        );
        assert!(
            words.contains("about the same with fast gates (0.102)"),
            "{words}"
        );
        assert!(!words.contains("faster"), "{words}");

        let o = outcome(&runs(
            log(0.5, 1.4, 0.1),
            log(0.505, 0.86, 0.101),
            log(0.5, 1.39, 0.099),
        ));
        let words = sentence(&o);
        assert!(words.contains("nearly the same loss as the run with it (0.505 vs 0.500)"));
        assert!(
            words.contains("about the same in all three runs"),
            "{words}"
        );
        assert!(
            words.contains("faster without the tanh gate (0.860 vs 1.400)"),
            "{words}"
        );
        assert!(
            words.contains("about as fast with fast gates (1.390)"),
            "{words}"
        );
    }
}
