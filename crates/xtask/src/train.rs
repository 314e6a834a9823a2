//! `cargo xtask train`: the mini-Flamingo's three stages and two ablations on the CPU,
//! writing `assets/mini-flamingo.safetensors` and `assets/mini-flamingo-training.json`.
//! Compiling comes first and is not counted in the training time the log records.

use anyhow::Result;
use xshell::{Shell, cmd};

pub fn run(sh: &Shell, args: &[String]) -> Result<()> {
    let smoke = args.iter().any(|a| a == "--smoke");
    let out = if smoke { "target/mini-smoke" } else { "assets" };
    cmd!(sh, "cargo build --release -p mini --bin train").run()?;
    cmd!(
        sh,
        "cargo run --release --quiet -p mini --bin train -- {out} {args...}"
    )
    .run()?;
    Ok(())
}
