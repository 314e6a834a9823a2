//! `cargo xtask test`: every check CI runs.

use anyhow::Result;
use xshell::{Shell, cmd};

use crate::install;

pub fn run(sh: &Shell) -> Result<()> {
    install::vulkan(sh)?;
    install::web_tools(sh)?;
    install::browser(sh)?;
    cmd!(sh, "cargo fmt --all --check").run()?;
    crate::deny::run(sh)?;
    cmd!(sh, "cargo clippy --workspace --all-targets -- -D warnings").run()?;
    // The page's DOM and canvas code exists only on wasm32: lint it there too, with
    // the trained mini-Flamingo the page will run.
    cmd!(
        sh,
        "cargo clippy -p app -p webgpu -p mini --lib --target wasm32-unknown-unknown -- -D warnings"
    )
    .run()?;
    // Includes the trainer's smoke run (crates/mini/tests/trainer.rs); never a retraining.
    cmd!(sh, "cargo test --workspace").run()?;
    // The same release build `serve` makes, then the browser tests against it.
    cmd!(sh, "trunk build --offline --release").run()?;
    let _web = sh.push_dir("web");
    cmd!(sh, "npm ci --no-audit --no-fund").run()?;
    cmd!(sh, "npm test").run()?;
    Ok(())
}
