//! `cargo xtask test`: every check CI runs.

use anyhow::Result;
use xshell::{Shell, cmd};

use crate::install;

pub fn run(sh: &Shell) -> Result<()> {
    install::vulkan(sh)?;
    install::web_tools(sh)?;
    cmd!(sh, "cargo fmt --all --check").run()?;
    cmd!(sh, "cargo clippy --workspace --all-targets -- -D warnings").run()?;
    cmd!(
        sh,
        "cargo clippy -p app --target wasm32-unknown-unknown -- -D warnings"
    )
    .run()?;
    cmd!(sh, "cargo test --workspace").run()?;
    // The page must build; its browser tests come with it.
    cmd!(sh, "trunk build --offline").run()?;
    Ok(())
}
