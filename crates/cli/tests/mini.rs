//! `flamingo mini` as a new user runs it, on pictures drawn by another program
//! (tiny-skia's rasteriser, not the crate's own) the way students draw them (paint
//! colours on paper; filled, outlined, hand-drawn, turned; anywhere on canvases of 32,
//! 128 and 512 px, square and 16:9); its help; and one clear line for every bad file.

use std::path::{Path, PathBuf};
use std::process::Command;

use mini::scene::{Colour, Rng, Shape};
use serde_json::{Value, json};
use tiny_skia::{Color, FillRule, LineCap, Paint, PathBuilder, Pixmap, Stroke, Transform};

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mini");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Runs `flamingo mini ARGS`: (success, stdout, stderr).
fn mini(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_flamingo"))
        .arg("mini")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json_of(args: &[&str]) -> Value {
    let (ok, stdout, stderr) = mini(args);
    assert!(ok, "{args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap()
}

/// How a student draws: the looks of the scene contract, drawn by tiny-skia.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    Filled,
    Outline,
    HandDrawn,
    Rotated,
}

const STYLES: [Style; 4] = [
    Style::Filled,
    Style::Outline,
    Style::HandDrawn,
    Style::Rotated,
];

/// A paint program's colours for each word (and the contract's centre).
fn paint(colour: Colour, rng: &mut Rng) -> [u8; 3] {
    let choices: &[[u8; 3]] = match colour {
        Colour::Red => &[[255, 0, 0], [237, 28, 36]],
        Colour::Green => &[[0, 128, 0], [0, 255, 0], [34, 177, 76]],
        Colour::Blue => &[[0, 0, 255], [63, 72, 204]],
        Colour::Yellow => &[[255, 255, 0], [255, 242, 0]],
        Colour::Purple => &[[128, 0, 128], [163, 73, 164]],
        Colour::Orange => &[[255, 165, 0], [255, 127, 39]],
    };
    if rng.chance(0.2) {
        colour.rgb()
    } else {
        choices[rng.below(choices.len())]
    }
}

/// The outline of a shape in its own box `[-0.5, 0.5]²` (y down), as points to join.
fn outline_points(shape: Shape) -> Vec<(f32, f32)> {
    let corners: Vec<(f32, f32)> = match shape {
        Shape::Circle => {
            return (0..48)
                .map(|i| {
                    let a = i as f32 / 48.0 * std::f32::consts::TAU;
                    (0.5 * a.cos(), 0.5 * a.sin())
                })
                .collect();
        }
        Shape::Square => vec![(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)],
        Shape::Triangle => vec![(0.0, -0.5), (0.5, 0.5), (-0.5, 0.5)],
        Shape::Cross => {
            let t = 1.0 / 6.0;
            vec![
                (-t, -0.5),
                (t, -0.5),
                (t, -t),
                (0.5, -t),
                (0.5, t),
                (t, t),
                (t, 0.5),
                (-t, 0.5),
                (-t, t),
                (-0.5, t),
                (-0.5, -t),
                (-t, -t),
            ]
        }
    };
    // Each edge in eight pieces, so that a hand's wobble bends it.
    (0..corners.len())
        .flat_map(|i| {
            let (a, b) = (corners[i], corners[(i + 1) % corners.len()]);
            (0..8).map(move |k| {
                let t = k as f32 / 8.0;
                (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
            })
        })
        .collect()
}

/// One shape drawn by tiny-skia on a `width × height` canvas the way a student draws it
/// in a paint program: white or near-white paper, a paint colour, the shape anywhere
/// (side 10–22 in the model's 32-pixel units, less where the short side is shorter; fully
/// inside), filled or outlined, by a
/// steady hand or a wobbly one. Saved as PNG.
fn draw(
    shape: Shape,
    colour: Colour,
    style: Style,
    (width, height): (u32, u32),
    rng: &mut Rng,
    path: &Path,
) {
    // One model pixel in canvas pixels: the longer side becomes 32.
    let unit = width.max(height) as f32 / 32.0;
    let mut pixmap = Pixmap::new(width, height).unwrap();
    let paper = 255 - rng.between(0, 10) as u8;
    pixmap.fill(Color::from_rgba8(
        paper,
        paper,
        paper.saturating_sub(4),
        255,
    ));
    let size = (10 + rng.between(0, 12)) as f32 * unit;
    let degrees = match style {
        Style::Rotated => (8.0 + 12.0 * rng.unit()) * if rng.chance(0.5) { 1.0 } else { -1.0 },
        Style::HandDrawn => 30.0 * rng.unit() - 15.0,
        _ => 0.0,
    };
    let outlined = match style {
        Style::Filled => false,
        Style::Outline => true,
        _ => rng.chance(0.5),
    };
    let stroke_width = (1.5 + 2.0 * rng.unit()) * unit;
    // On a 16:9 canvas a side of 22 would not fit the short side: the shape is kept inside
    // (it was cut off at the edge before, against this function's word).
    let size = size.min((width.min(height) as f32 - 2.0 * stroke_width) / 1.35);
    // Room for the turned box and the stroke.
    let half = size / 2.0 * 1.35 + stroke_width;
    let cx = half + rng.unit() * (width as f32 - 2.0 * half).max(0.0);
    let cy = half + rng.unit() * (height as f32 - 2.0 * half).max(0.0);
    let [r, g, b] = paint(colour, rng);
    let mut ink = Paint::default();
    ink.set_color_rgba8(r, g, b, 255);
    ink.anti_alias = true;
    let turn = Transform::from_rotate_at(degrees, cx, cy);
    let at = |(u, v): (f32, f32)| (cx + u * size, cy + v * size);

    if style == Style::HandDrawn {
        // A wobbly edge: the points pushed in and out by a few slow waves.
        let waves: Vec<(f32, f32, f32)> = (2..5)
            .map(|k| (k as f32, (rng.unit() - 0.5) * 0.05, rng.unit() * 6.3))
            .collect();
        let points: Vec<(f32, f32)> = outline_points(shape)
            .into_iter()
            .map(|(u, v)| {
                let angle = v.atan2(u);
                let push: f32 = waves
                    .iter()
                    .map(|(k, a, p)| a * (k * angle + p).sin())
                    .sum();
                let r = (u * u + v * v).sqrt().max(1e-6);
                at((u * (1.0 + push / r), v * (1.0 + push / r)))
            })
            .collect();
        if outlined {
            // Stroke by stroke, each a little wider or narrower.
            for i in 0..points.len() {
                let (a, b) = (points[i], points[(i + 1) % points.len()]);
                let mut pb = PathBuilder::new();
                pb.move_to(a.0, a.1);
                pb.line_to(b.0, b.1);
                let stroke = Stroke {
                    width: stroke_width * (0.7 + 0.6 * rng.unit()),
                    line_cap: LineCap::Round,
                    ..Stroke::default()
                };
                pixmap.stroke_path(&pb.finish().unwrap(), &ink, &stroke, turn, None);
            }
        } else {
            let mut pb = PathBuilder::new();
            pb.move_to(points[0].0, points[0].1);
            for p in &points[1..] {
                pb.line_to(p.0, p.1);
            }
            pb.close();
            pixmap.fill_path(&pb.finish().unwrap(), &ink, FillRule::Winding, turn, None);
        }
    } else {
        let mut pb = PathBuilder::new();
        let points = outline_points(shape);
        if shape == Shape::Circle {
            pb.push_circle(cx, cy, size / 2.0);
        } else if shape == Shape::Cross && outlined && rng.chance(0.5) {
            // A plus sign as most people draw it: two strokes.
            let (l, r) = (at((-0.5, 0.0)), at((0.5, 0.0)));
            let (t, b) = (at((0.0, -0.5)), at((0.0, 0.5)));
            pb.move_to(l.0, l.1);
            pb.line_to(r.0, r.1);
            pb.move_to(t.0, t.1);
            pb.line_to(b.0, b.1);
        } else {
            let first = at(points[0]);
            pb.move_to(first.0, first.1);
            for &p in &points[1..] {
                let (x, y) = at(p);
                pb.line_to(x, y);
            }
            pb.close();
        }
        let shape_path = pb.finish().unwrap();
        if outlined {
            let stroke = Stroke {
                width: stroke_width,
                ..Stroke::default()
            };
            pixmap.stroke_path(&shape_path, &ink, &stroke, turn, None);
        } else {
            pixmap.fill_path(&shape_path, &ink, FillRule::Winding, turn, None);
        }
    }
    pixmap.save_png(path).unwrap();
}

#[test]
fn a_drawn_blue_triangle_is_captioned_at_32_and_128_pixels() {
    let mut rng = Rng::new(1);
    for side in [32, 128] {
        let path = scratch(&format!("blue-triangle-{side}.png"));
        draw(
            Shape::Triangle,
            Colour::Blue,
            Style::Filled,
            (side, side),
            &mut rng,
            &path,
        );
        let out = json_of(&["caption", path.to_str().unwrap()]);
        let caption = out["caption"].as_str().unwrap();
        assert!(
            caption.contains("blue") && caption.contains("triangle"),
            "{side} px: {caption}"
        );
        assert_eq!(out["gates"].as_array().unwrap().len(), 2);
    }
}

/// Canvases: 32, 128 and 512 px, square and 16:9.
const CANVASES: [(u32, u32); 6] = [
    (32, 32),
    (128, 128),
    (512, 512),
    (32, 18),
    (128, 72),
    (512, 288),
];

/// The share of `n` drawings in one style on one canvas whose caption names their
/// colour and their shape.
fn drawn_accuracy(style: Style, canvas: (u32, u32), n: usize) -> f64 {
    let right = (0..n)
        .filter(|&i| {
            let (s, c) = (Shape::ALL[i % 4], Colour::ALL[i % 6]);
            let path = scratch(&format!(
                "drawn-{style:?}-{}x{}-{i}.png",
                canvas.0, canvas.1
            ));
            let seed = 1000 + i as u64 + 100 * canvas.0 as u64 + 7 * canvas.1 as u64;
            draw(s, c, style, canvas, &mut Rng::new(seed), &path);
            let caption = json_of(&["caption", path.to_str().unwrap()])["caption"]
                .as_str()
                .unwrap()
                .to_owned();
            let words: Vec<&str> = caption.split(' ').collect();
            let ok = words.contains(&c.word()) && words.contains(&s.word());
            if !ok {
                eprintln!("{style:?} {canvas:?} #{i}: {c} {s} read as \"{caption}\"");
            }
            ok
        })
        .count();
    right as f64 / n as f64
}

#[test]
fn pictures_drawn_elsewhere_are_captioned_in_every_style_on_every_canvas() {
    let n = 12;
    let cells: Vec<(Style, (u32, u32))> = STYLES
        .iter()
        .flat_map(|&s| CANVASES.map(|c| (s, c)))
        .collect();
    // The CLI runs once per picture: two threads keep the test short.
    let results: Vec<(Style, (u32, u32), f64)> = std::thread::scope(|scope| {
        let halves: Vec<_> = cells
            .chunks(cells.len() / 2)
            .map(|half| {
                scope.spawn(move || {
                    half.iter()
                        .map(|&(s, c)| (s, c, drawn_accuracy(s, c, n)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    for (style, canvas, a) in &results {
        eprintln!("drawn by tiny-skia, {n} per cell: {style:?} {canvas:?}: {a:.3}");
    }
    let low: Vec<_> = results.iter().filter(|r| r.2 < 0.9).collect();
    assert!(low.is_empty(), "colour and shape below 0.9: {low:?}");
}

#[test]
fn few_shot_answers_follow_the_task_in_the_shots() {
    let mut rng = Rng::new(7);
    let dir = scratch("episode");
    std::fs::create_dir_all(&dir).unwrap();
    let picture = |name: &str, s, c, rng: &mut Rng| {
        draw(s, c, Style::Filled, (64, 64), rng, &dir.join(name));
        name.to_owned()
    };
    let shots = [
        (
            picture("a.png", Shape::Square, Colour::Red, &mut rng),
            Shape::Square,
            Colour::Red,
        ),
        (
            picture("b.png", Shape::Circle, Colour::Green, &mut rng),
            Shape::Circle,
            Colour::Green,
        ),
    ];
    let query = picture("q.png", Shape::Cross, Colour::Purple, &mut rng);
    for (task, expected) in [("colour", "purple"), ("shape", "cross")] {
        let episode = json!({
            "shots": shots.iter().map(|(image, s, c)| json!({
                "image": image,
                "answer": if task == "colour" { c.word() } else { s.word() },
            })).collect::<Vec<_>>(),
            "query": query,
        });
        let file = dir.join(format!("{task}.json"));
        std::fs::write(&file, episode.to_string()).unwrap();
        let out = json_of(&["few-shot", file.to_str().unwrap()]);
        assert_eq!(out["answer"], expected, "{task}: {out}");
        assert_eq!(out["shots"], 2);
    }
}

#[test]
fn eval_reports_every_accuracy_at_both_scales() {
    let out = json_of(&["eval", "--episodes", "4", "--seed", "3"]);
    for scale in ["scale_1", "scale_0"] {
        let e = &out[scale];
        for set in [
            "filled",
            "outline",
            "hand-drawn",
            "rotated",
            "two objects",
            "blank",
        ] {
            assert!(e["captions"][set]["objects"].is_f64(), "{set}");
        }
        assert!(e["captions"]["paper background"]["colour"].is_f64());
        for task in ["colour", "shape"] {
            assert_eq!(
                e["few_shot"][task].as_array().unwrap().len(),
                9,
                "shots 0–8"
            );
        }
        assert_eq!(e["few_shot_mean"].as_array().unwrap().len(), 9);
    }
    assert_eq!(out["episodes"], 4);
}

#[test]
fn bad_files_and_arguments_get_one_line_each() {
    let text = scratch("notes.png");
    std::fs::write(&text, "these are not pixels").unwrap();
    let empty = scratch("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let whole = scratch("whole.png");
    draw(
        Shape::Circle,
        Colour::Red,
        Style::Filled,
        (32, 32),
        &mut Rng::new(2),
        &whole,
    );
    let bytes = std::fs::read(&whole).unwrap();
    let truncated = scratch("truncated.png");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let bad_json = scratch("bad.json");
    std::fs::write(&bad_json, "{\"shots\": [").unwrap();
    let unknown_word = scratch("unknown.json");
    std::fs::write(
        &unknown_word,
        json!({"shots": [{"image": "whole.png", "answer": "teal"}], "query": "whole.png"})
            .to_string(),
    )
    .unwrap();
    let missing_image = scratch("missing-image.json");
    std::fs::write(
        &missing_image,
        json!({"shots": [], "query": "nowhere.png"}).to_string(),
    )
    .unwrap();
    let s = |p: &PathBuf| p.to_str().unwrap().to_owned();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["caption".into(), "/no/such/file.png".into()],
            "cannot read image",
        ),
        (vec!["caption".into(), s(&text)], "not a PNG or JPEG"),
        (vec!["caption".into(), s(&empty)], "is empty"),
        (vec!["caption".into(), s(&truncated)], "cannot be decoded"),
        (vec!["few-shot".into(), s(&bad_json)], "not valid JSON"),
        (
            vec!["few-shot".into(), s(&unknown_word)],
            "`teal` is not a colour or shape word",
        ),
        (vec!["few-shot".into(), s(&missing_image)], "nowhere.png"),
        (
            vec!["caption".into(), s(&whole), "--scale".into(), "NaN".into()],
            "finite",
        ),
        (
            vec!["eval".into(), "--episodes".into(), "0".into()],
            "positive whole number",
        ),
        (vec!["paint".into()], "usage: flamingo mini"),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, _, stderr) = mini(&args);
        assert!(!ok, "{args:?} should fail");
        assert!(
            stderr.starts_with("flamingo: ") && stderr.trim_end().lines().count() == 1,
            "{args:?}: one line, got {stderr:?}"
        );
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn scale_zero_closes_the_gates_and_one_is_as_trained() {
    let path = scratch("scale.png");
    draw(
        Shape::Square,
        Colour::Orange,
        Style::Filled,
        (32, 32),
        &mut Rng::new(4),
        &path,
    );
    let p = path.to_str().unwrap();
    let closed = json_of(&["caption", p, "--scale", "0"]);
    for gate in closed["gates"].as_array().unwrap() {
        assert_eq!(gate["attn"], 0.0);
        assert_eq!(gate["ff"], 0.0);
    }
    let open = json_of(&["caption", p, "--scale", "1"]);
    assert!(open["gates"][0]["attn"].as_f64().unwrap() != 0.0);
    assert_eq!(json_of(&["caption", p])["caption"], open["caption"]);
}

#[test]
fn help_prints_the_usage_and_succeeds() {
    for args in [vec!["--help"], vec!["-h"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_flamingo"))
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("forward IN.safetensors") && text.contains("mini"),
            "{text}"
        );
    }
    let (ok, text, _) = mini(&["--help"]);
    assert!(ok);
    for command in ["caption IMAGE", "few-shot EPISODE.json", "eval", "--scale"] {
        assert!(text.contains(command), "{command}: {text}");
    }
}
