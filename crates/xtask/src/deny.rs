//! cargo-deny: licences, bans and sources always; RustSec advisories when the database can be had.

use anyhow::{Result, bail};
use xshell::{Shell, cmd};

/// Pinned so a new release's lints or config changes cannot turn `cargo xtask test` red by
/// themselves; `deny.toml` is written for this version's (version 2) format.
const CARGO_DENY_VERSION: &str = "0.20.2";

/// What cargo-deny 0.20 logs when it cannot clone or update the advisory database (no
/// network, no access to GitHub). A failed fetch ends its run before any crate is looked up,
/// so this never comes together with advisories found.
const FETCH_FAILED: &str = "failed to fetch advisory database";

/// cargo-deny at the pinned version; `cargo install` replaces any other version.
pub fn install(sh: &Shell) -> Result<()> {
    let installed = cmd!(sh, "cargo deny --version")
        .quiet()
        .ignore_stderr()
        .read()
        .unwrap_or_default();
    if installed.split_whitespace().nth(1) != Some(CARGO_DENY_VERSION) {
        eprintln!("xtask: installing cargo-deny {CARGO_DENY_VERSION}");
        cmd!(
            sh,
            "cargo install cargo-deny --version {CARGO_DENY_VERSION} --locked"
        )
        .run()?;
    }
    Ok(())
}

/// The checks in `deny.toml`. Licences, bans and sources need only crates already in cargo's
/// cache (`--locked`: the committed Cargo.lock is what is checked, and never rewritten), so
/// they must pass. Advisories need the RustSec database from GitHub, which some machines cannot
/// reach: then the check is skipped with one line, but advisories found do fail.
pub fn run(sh: &Shell) -> Result<()> {
    install(sh)?;
    // The duplicate-version warnings name their crates; the trees behind them add
    // hundreds of lines to every CI log.
    cmd!(
        sh,
        "cargo deny --locked check --hide-inclusion-graph licenses bans sources"
    )
    .run()?;

    let output = cmd!(sh, "cargo deny --locked --color never check advisories")
        .quiet()
        .ignore_status()
        .output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        return Ok(());
    }
    if stderr.contains(FETCH_FAILED) {
        // git's own reason (e.g. "Could not resolve host: github.com") says the most in one line.
        let reason = stderr
            .lines()
            .find_map(|l| l.strip_prefix("fatal: "))
            .unwrap_or(FETCH_FAILED);
        eprintln!(
            "xtask: cargo deny advisories skipped: the advisory database could not be fetched ({reason})"
        );
        return Ok(());
    }
    eprint!("{stderr}");
    bail!("cargo deny check advisories failed")
}
