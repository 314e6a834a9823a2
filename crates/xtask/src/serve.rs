//! `cargo xtask serve`: the page at http://127.0.0.1:8080, as a site would serve it.
//!
//! A clean release build (`trunk build`, no live-reload script, unlike `trunk serve`),
//! then `web/serve-dist.mjs`, which sends the headers PUBLISHING.md asks of a host:
//! the CSP, nosniff, and immutable caching for content-hashed files.

use anyhow::Result;
use xshell::{Shell, cmd};

use crate::install;

pub fn run(sh: &Shell) -> Result<()> {
    install::web_tools(sh)?;
    cmd!(sh, "trunk build --offline --release").run()?;
    cmd!(sh, "node web/serve-dist.mjs 8080").run()?;
    Ok(())
}
