//! `cargo xtask train` runs this: the three stages and the two ablations on the CPU,
//! a progress bar per stage, then the weights and the training log under `assets/`.
//!
//! usage: train [OUT_DIR] [--smoke]   (`--smoke`: a few steps of each, for CI)

use std::io::Write;
use std::time::Instant;

use burn::tensor::Device;
use mini::evaluate::evaluate;
use mini::inference::resolved;
use mini::training::{LogEntry, Progress, StageRecord, TrainingConfig, train};
use mini::{Gating, weights};
use serde_json::json;

/// Draws one stage's bar on stderr, redrawn in place.
struct Bar {
    name: &'static str,
    steps: usize,
    start: Instant,
}

impl Bar {
    fn draw(&self, step: usize, loss: f64) {
        let width = 30;
        let filled = width * step / self.steps.max(1);
        eprint!(
            "\r{:<24} [{}{}] {step}/{} loss {loss:.4} {:.0}s ",
            self.name,
            "#".repeat(filled),
            " ".repeat(width - filled),
            self.steps,
            self.start.elapsed().as_secs_f64()
        );
        if step == self.steps {
            eprintln!();
        }
        let _ = std::io::stderr().flush();
    }
}

fn record(r: &StageRecord) -> serde_json::Value {
    serde_json::to_value(r).expect("plain data")
}

fn run(log: &[LogEntry]) -> serde_json::Value {
    serde_json::to_value(log).expect("plain data")
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let smoke = args.iter().any(|a| a == "--smoke");
    let out = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map_or("assets", String::as_str);
    let mut config = TrainingConfig::new();
    let episodes = if smoke {
        config = config
            .with_encoder_steps(3)
            .with_lm_steps(3)
            .with_flamingo_steps(3)
            .with_ablation_steps(2)
            .with_flamingo_batch(4)
            .with_log_every(1);
        2
    } else {
        200
    };

    let started = Instant::now();
    let mut bar: Option<Bar> = None;
    let mut progress = |p: &Progress| match *p {
        Progress::Stage { name, steps } => {
            bar = Some(Bar {
                name,
                steps,
                start: Instant::now(),
            })
        }
        Progress::Step { step, loss } => {
            if let Some(b) = &bar {
                b.draw(step, loss)
            }
        }
    };
    let device = Device::flex().autodiff();
    let trained = train(&config, &device, &mut progress);
    let training_seconds = started.elapsed().as_secs_f64();

    eprintln!("evaluating: {episodes} episodes per task and number of shots, at scale 1 and 0");
    let eval_start = Instant::now();
    let at_scale = |scale| {
        resolved(evaluate(
            &trained.model,
            episodes,
            0,
            Gating::Tanh { scale },
        ))
    };
    let (scale1, scale0) = (at_scale(1.0), at_scale(0.0));
    let eval_seconds = eval_start.elapsed().as_secs_f64();

    std::fs::create_dir_all(out)?;
    let bytes = weights::save(&trained.model, &config.model);
    let weights_path = format!("{out}/mini-flamingo.safetensors");
    std::fs::write(&weights_path, &bytes)?;
    let log = json!({
        "config": serde_json::from_str::<serde_json::Value>(&config.to_string())?,
        "machine": format!("{} CPU threads, burn {} CPU backend (flex)", std::thread::available_parallelism().map_or(1, |n| n.get()), "0.22.1"),
        "seconds": { "training": training_seconds, "evaluation": eval_seconds },
        "parameters": trained.model.parameters(),
        "stages": {
            "encoder": record(&trained.encoder),
            "encoder_accuracy": { "colour": trained.encoder_accuracy[0], "shape": trained.encoder_accuracy[1] },
            "lm": record(&trained.lm),
            "flamingo": record(&trained.flamingo),
        },
        "runs": {
            "trained": run(&trained.log),
            "ungated": { "record": record(&trained.ungated.0), "log": run(&trained.ungated.1) },
            "fast_gates": { "record": record(&trained.fast_gates.0), "log": run(&trained.fast_gates.1) },
        },
        "evaluation": { "seed": 0, "scale_1": scale1, "scale_0": scale0 },
    });
    let log_path = format!("{out}/mini-flamingo-training.json");
    std::fs::write(&log_path, serde_json::to_string_pretty(&log)? + "\n")?;
    eprintln!(
        "wrote {weights_path} ({} bytes) and {log_path}; training {training_seconds:.0} s, evaluation {eval_seconds:.0} s",
        bytes.len()
    );
    println!("{}", serde_json::to_string(&log["evaluation"])?);
    Ok(())
}
