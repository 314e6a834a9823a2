//! `cargo xtask golden`: OpenFlamingo 2.0.1 in PyTorch against `flamingo forward`.

use anyhow::{Result, bail};
use xshell::{Shell, cmd};

use crate::install;

const SCRIPT: &str = "tools/golden/golden.py";
const FIXTURES: &str = "crates/flamingo/tests/golden";

pub fn run(sh: &Shell, args: &[String]) -> Result<()> {
    let python = install::golden_python(sh)?;
    match args.first().map(String::as_str) {
        Some("write") => {
            cmd!(sh, "{python} {SCRIPT} write {FIXTURES} --seed 0").run()?;
        }
        Some("check") => {
            let seeds: Vec<&str> = if args.len() > 1 {
                args[1..].iter().map(String::as_str).collect()
            } else {
                vec!["1", "2", "3"]
            };
            cmd!(sh, "cargo build -p flamingo-cli").run()?;
            let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
            let binary = format!("{target}/debug/flamingo");
            let seed_flags: Vec<String> = seeds
                .iter()
                .flat_map(|s| ["--seed".to_owned(), s.to_string()])
                .collect();
            cmd!(sh, "{python} {SCRIPT} check {binary} {seed_flags...}").run()?;
        }
        _ => bail!("usage: cargo xtask golden write | check [SEEDS...]"),
    }
    Ok(())
}
