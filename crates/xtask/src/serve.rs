//! `cargo xtask serve`: the page at http://127.0.0.1:8080.

use anyhow::Result;
use xshell::{Shell, cmd};

use crate::install;

pub fn run(sh: &Shell) -> Result<()> {
    install::web_tools(sh)?;
    cmd!(
        sh,
        "trunk serve --offline --release --address 127.0.0.1 --port 8080"
    )
    .run()?;
    Ok(())
}
