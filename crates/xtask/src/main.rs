//! `cargo xtask <command>`: the project's two README commands and their helpers.
//! Each command installs what it needs and skips what is already there.

mod bench;
mod deny;
mod golden;
mod install;
mod serve;
mod test;
mod train;

use anyhow::{Result, bail};
use xshell::Shell;

const HELP: &str = "\
usage: cargo xtask <command>

  serve                 build the page and serve it at http://127.0.0.1:8080
  test                  fmt, clippy, every test (installs what is missing)
  train [--smoke]       train the mini-Flamingo on the CPU (assets/mini-flamingo.*);
                        --smoke: a few steps of each stage, written to target/mini-smoke
  bench                 BENCHMARKS.md: native CPU vs PyTorch, the page in Chromium
  golden check [SEEDS]  compare `flamingo forward` with OpenFlamingo 2.0.1 in PyTorch
                        on freshly generated cases (default seeds 1 2 3)
  golden write          regenerate the committed fixtures (seed 0)
";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    match args.first().map(String::as_str) {
        Some("serve") => serve::run(&sh),
        Some("test") => test::run(&sh),
        Some("train") => train::run(&sh, &args[1..]),
        Some("bench") => bench::run(&sh),
        Some("golden") => golden::run(&sh, &args[1..]),
        Some("help" | "--help" | "-h") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n{HELP}"),
    }
}

fn project_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}
