//! `flamingo mini` as a new user runs it, on pictures drawn by another program
//! (tiny-skia's rasteriser, not the crate's own), at 32 px and at 128 px, inside the
//! scene contract; and one clear line for every bad file.

use std::path::{Path, PathBuf};
use std::process::Command;

use mini::scene::{Colour, Rng, Shape};
use serde_json::{Value, json};
use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Rect, Transform};

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

/// A scene inside the contract, drawn with tiny-skia at `side` pixels (32 or a
/// multiple): grey background, one anti-aliased shape of side 10–24 (in 32-pixel
/// units), colour jitter ±20 and pixel noise ±6. Saved as PNG.
fn draw(shape: Shape, colour: Colour, side: u32, rng: &mut Rng, path: &Path) {
    let unit = side as f32 / 32.0;
    let grey = if rng.chance(0.5) {
        rng.between(0, 50)
    } else {
        rng.between(200, 255)
    } as u8;
    let mut pixmap = Pixmap::new(side, side).unwrap();
    pixmap.fill(Color::from_rgba8(grey, grey, grey, 255));
    let size = rng.between(10, 24) as f32;
    let x = rng.unit() * (32.0 - size) * unit;
    let y = rng.unit() * (32.0 - size) * unit;
    let s = size * unit;
    let [r, g, b] = colour
        .rgb()
        .map(|c| (c as i32 + rng.between(-20, 20)).clamp(0, 255) as u8);
    let mut paint = Paint::default();
    paint.set_color_rgba8(r, g, b, 255);
    paint.anti_alias = true;
    let path_of = match shape {
        Shape::Circle => PathBuilder::from_circle(x + s / 2.0, y + s / 2.0, s / 2.0).unwrap(),
        Shape::Square => PathBuilder::from_rect(Rect::from_xywh(x, y, s, s).unwrap()),
        Shape::Triangle => {
            let mut pb = PathBuilder::new();
            pb.move_to(x + s / 2.0, y);
            pb.line_to(x + s, y + s);
            pb.line_to(x, y + s);
            pb.close();
            pb.finish().unwrap()
        }
        Shape::Cross => {
            let mut pb = PathBuilder::new();
            pb.push_rect(Rect::from_xywh(x + s / 3.0, y, s / 3.0, s).unwrap());
            pb.push_rect(Rect::from_xywh(x, y + s / 3.0, s, s / 3.0).unwrap());
            pb.finish().unwrap()
        }
    };
    pixmap.fill_path(
        &path_of,
        &paint,
        FillRule::Winding,
        Transform::identity(),
        None,
    );
    // Opaque, so the premultiplied bytes are the colour; noise on R, G and B.
    for (i, v) in pixmap.data_mut().iter_mut().enumerate() {
        if i % 4 != 3 {
            *v = (*v as i32 + rng.between(-6, 6)).clamp(0, 255) as u8;
        }
    }
    pixmap.save_png(path).unwrap();
}

#[test]
fn a_drawn_blue_triangle_is_captioned_at_32_and_128_pixels() {
    let mut rng = Rng::new(1);
    for side in [32, 128] {
        let path = scratch(&format!("blue-triangle-{side}.png"));
        draw(Shape::Triangle, Colour::Blue, side, &mut rng, &path);
        let out = json_of(&["caption", path.to_str().unwrap()]);
        let caption = out["caption"].as_str().unwrap();
        assert!(
            caption.contains("blue") && caption.contains("triangle"),
            "{side} px: {caption}"
        );
        assert_eq!(out["gates"].as_array().unwrap().len(), 2);
    }
}

/// Caption accuracy (colour, shape) over `n` drawn scenes at one size; scene `i` has
/// the same geometry and colours at every size.
fn drawn_accuracy(side: u32, n: usize) -> (f64, f64) {
    let (mut colour, mut shape) = (0, 0);
    for i in 0..n {
        let (s, c) = (Shape::ALL[i % 4], Colour::ALL[i % 6]);
        let path = scratch(&format!("drawn-{side}-{i}.png"));
        draw(s, c, side, &mut Rng::new(1000 + i as u64), &path);
        let caption = json_of(&["caption", path.to_str().unwrap()])["caption"]
            .as_str()
            .unwrap()
            .to_owned();
        let words: Vec<&str> = caption.split(' ').collect();
        colour += words.contains(&c.word()) as usize;
        shape += words.contains(&s.word()) as usize;
    }
    (colour as f64 / n as f64, shape as f64 / n as f64)
}

#[test]
fn pictures_drawn_elsewhere_are_captioned_as_well_at_either_size() {
    let n = 48;
    let (small, large) = (drawn_accuracy(32, n), drawn_accuracy(128, n));
    eprintln!("drawn by tiny-skia, {n} scenes: 32 px {small:?}, 128 px {large:?} (colour, shape)");
    for (name, a, b) in [("colour", small.0, large.0), ("shape", small.1, large.1)] {
        assert!(a >= 0.9 && b >= 0.9, "{name}: 32 px {a}, 128 px {b}");
        assert!((a - b).abs() <= 0.05, "{name}: 32 px {a}, 128 px {b}");
    }
}

#[test]
fn few_shot_answers_follow_the_task_in_the_shots() {
    let mut rng = Rng::new(7);
    let dir = scratch("episode");
    std::fs::create_dir_all(&dir).unwrap();
    let picture = |name: &str, s, c, rng: &mut Rng| {
        draw(s, c, 64, rng, &dir.join(name));
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
        assert!(e["caption_colour"].is_f64() && e["caption_shape"].is_f64());
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
    draw(Shape::Circle, Colour::Red, 32, &mut Rng::new(2), &whole);
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
    draw(Shape::Square, Colour::Orange, 32, &mut Rng::new(4), &path);
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
