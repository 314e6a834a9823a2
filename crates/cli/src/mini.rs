//! `flamingo mini …`: the trained mini-Flamingo from the command line, its weights
//! embedded. Every command prints one JSON object; a bad file is one line on stderr.

use std::io::Cursor;
use std::path::Path;

use anyhow::{Context, bail};
use flamingo::burn::tensor::Device;
use mini::evaluate::evaluate;
use mini::inference::{Step, caption, caption_text, few_shot, resolved};
use mini::scene::Picture;
use mini::vocab::{WORDS, is_attribute};
use mini::{Gating, MiniFlamingo, weights};
use serde_json::{Value, json};

pub const USAGE: &str = "usage: flamingo mini caption IMAGE [--scale S] | flamingo mini few-shot EPISODE.json [--scale S] | flamingo mini eval [--episodes N] [--seed S]";

/// What `flamingo mini --help` prints.
pub const HELP: &str = "\
usage: flamingo mini <command> [options]

The trained mini-Flamingo (its weights are built in). Each command prints one JSON object.

  caption IMAGE            caption a PNG or JPEG: \"a red circle and a blue square\", \"nothing\"
                           (padded to a square with its border's colour, averaged to 32 × 32)
  few-shot EPISODE.json    answer a few-shot episode:
                           {\"shots\": [{\"image\": \"a.png\", \"answer\": \"red\"}, …], \"query\": \"q.png\"}
                           (paths relative to the file; answers are colour or shape words)
  eval                     seeded accuracies: captions per look, background, two objects and
                           blank pictures; few-shot per task and 0–8 shots; at scale 1 and 0

options:
  --scale S                multiply every gate's α before its tanh (1: as trained; 0: the
                           frozen language model alone)
  --episodes N             pictures per caption set and episodes per cell (eval; default 200)
  --seed S                 the evaluation's seed (eval; default 0)
  -h, --help               this help
";

const WEIGHTS: &[u8] = include_bytes!("../../../assets/mini-flamingo.safetensors");

/// Pictures wider or taller than this are refused from their header, before decoding.
const MAX_SIDE: u32 = 8192;

fn model() -> anyhow::Result<MiniFlamingo> {
    let (model, _) = weights::load(WEIGHTS, &Device::flex()).context("embedded weights")?;
    Ok(model)
}

/// A picture file, decoded to RGB; the message names the file and what is wrong.
pub fn load_picture(path: &Path) -> anyhow::Result<Picture> {
    let name = path.display();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read image {name}"))?;
    if bytes.is_empty() {
        bail!("image {name} is empty");
    }
    let reader = image::ImageReader::new(Cursor::new(&bytes))
        .with_guessed_format()
        .with_context(|| format!("image {name}"))?;
    if reader.format().is_none() {
        bail!("{name} is not a PNG or JPEG image");
    }
    let (width, height) = reader
        .into_dimensions()
        .with_context(|| format!("image {name} has no readable size"))?;
    if width > MAX_SIDE || height > MAX_SIDE {
        bail!("image {name} is {width} × {height}; the most is {MAX_SIDE} on a side");
    }
    let decoded = image::load_from_memory(&bytes)
        .with_context(|| format!("image {name} cannot be decoded"))?
        .to_rgba8();
    Ok(Picture::from_rgba(
        decoded.width() as usize,
        decoded.height() as usize,
        decoded.as_raw(),
    ))
}

fn gating(scale: f32) -> Gating {
    Gating::Tanh { scale }
}

fn step_json(step: &Step) -> Value {
    json!({
        "word": step.word(),
        "probability": step.probability(),
        "top": step.top(5).into_iter().map(|(w, p)| json!([w, p])).collect::<Vec<_>>(),
    })
}

/// `tanh(scale·α)` of each block's gates.
fn gates_json(model: &MiniFlamingo, scale: f32) -> Value {
    let gates = model
        .bridge
        .gates(gating(scale))
        .into_iter()
        .map(|[attn, ff]| json!({ "attn": attn.into_scalar::<f32>(), "ff": ff.into_scalar::<f32>() }))
        .collect::<Vec<_>>();
    Value::Array(gates)
}

#[derive(Default)]
struct Options {
    scale: Option<f32>,
    episodes: Option<usize>,
    seed: Option<u64>,
}

/// Splits `--name value` options from positional arguments.
fn parse(args: &[String]) -> anyhow::Result<(Vec<&str>, Options)> {
    let mut positional = Vec::new();
    let mut options = Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .map(String::as_str)
                .with_context(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--scale" => {
                let v = value("--scale")?;
                let s: f32 = v
                    .parse()
                    .with_context(|| format!("--scale `{v}` is not a number"))?;
                if !s.is_finite() {
                    bail!("--scale must be a finite number, not {v}");
                }
                options.scale = Some(s);
            }
            "--episodes" => {
                let v = value("--episodes")?;
                let n: usize =
                    v.parse().ok().filter(|&n| n > 0).with_context(|| {
                        format!("--episodes `{v}` is not a positive whole number")
                    })?;
                options.episodes = Some(n);
            }
            "--seed" => {
                let v = value("--seed")?;
                options.seed = Some(
                    v.parse()
                        .with_context(|| format!("--seed `{v}` is not a whole number"))?,
                );
            }
            other if other.starts_with("--") => bail!("unknown option `{other}`; {USAGE}"),
            other => positional.push(other),
        }
    }
    Ok((positional, options))
}

/// The episode file: `{"shots": [{"image": "a.png", "answer": "red"}, …], "query": "q.png"}`.
fn load_episode(path: &Path) -> anyhow::Result<(Vec<(Picture, u32)>, Picture)> {
    let name = path.display();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read episode {name}"))?;
    let value: Value =
        serde_json::from_str(&text).with_context(|| format!("episode {name} is not valid JSON"))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let image = |v: &Value, what: &str| -> anyhow::Result<Picture> {
        let file = v
            .as_str()
            .with_context(|| format!("episode {name}: {what} must be an image path"))?;
        load_picture(&dir.join(file))
    };
    let shots = value
        .get("shots")
        .and_then(Value::as_array)
        .with_context(|| format!("episode {name} needs a \"shots\" list"))?;
    if shots.len() > mini::vocab::MAX_SHOTS {
        bail!(
            "episode {name} has {} shots; the model reads at most {}",
            shots.len(),
            mini::vocab::MAX_SHOTS
        );
    }
    let shots = shots
        .iter()
        .enumerate()
        .map(|(i, shot)| {
            let picture = image(&shot["image"], &format!("shot {i}'s \"image\""))?;
            let word = shot["answer"]
                .as_str()
                .with_context(|| format!("episode {name}: shot {i} needs an \"answer\" word"))?;
            let token = WORDS
                .iter()
                .position(|w| *w == word)
                .map(|t| t as u32)
                .filter(|&t| is_attribute(t))
                .with_context(|| {
                    format!("episode {name}: shot {i}'s answer `{word}` is not a colour or shape word the model knows")
                })?;
            Ok((picture, token))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let query = image(&value["query"], "\"query\"")?;
    Ok((shots, query))
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    if args.iter().any(|a| a == "--help" || a == "-h") || args.first().is_some_and(|a| a == "help")
    {
        print!("{HELP}");
        return Ok(());
    }
    let (positional, options) = parse(args)?;
    let scale = options.scale.unwrap_or(1.0);
    let out = match positional.as_slice() {
        ["caption", image] => {
            let picture = load_picture(Path::new(image))?;
            let model = model()?;
            let steps = resolved(caption(&model, &picture, gating(scale)));
            json!({
                "caption": caption_text(&steps),
                "scale": scale,
                "gates": gates_json(&model, scale),
                "words": steps.iter().map(step_json).collect::<Vec<_>>(),
            })
        }
        ["few-shot", episode] => {
            let (shots, query) = load_episode(Path::new(episode))?;
            let model = model()?;
            let step = resolved(few_shot(&model, &shots, &query, gating(scale)));
            let mut out = step_json(&step);
            out["answer"] = json!(step.word());
            out["shots"] = json!(shots.len());
            out["scale"] = json!(scale);
            out
        }
        ["eval"] => {
            let (n, seed) = (options.episodes.unwrap_or(200), options.seed.unwrap_or(0));
            let model = model()?;
            json!({
                "episodes": n,
                "seed": seed,
                "scale_1": resolved(evaluate(&model, n, seed, gating(1.0))),
                "scale_0": resolved(evaluate(&model, n, seed, gating(0.0))),
            })
        }
        _ => bail!("{USAGE}"),
    };
    println!("{out}");
    Ok(())
}
