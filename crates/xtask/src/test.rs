//! `cargo xtask test`: every check CI runs.

use anyhow::{Result, ensure};
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
        "cargo clippy -p app -p webgpu -p trainer -p mini --lib --target wasm32-unknown-unknown -- -D warnings"
    )
    .run()?;
    // Includes the trainer's smoke run (crates/mini/tests/trainer.rs); never a retraining.
    cmd!(sh, "cargo test --workspace").run()?;
    // The same release build `serve` makes, then the browser tests against it.
    cmd!(sh, "trunk build --offline --release").run()?;
    test_page(sh)?;
    let _web = sh.push_dir("web");
    cmd!(sh, "npm ci --no-audit --no-fund").run()?;
    cmd!(sh, "npm test").run()?;
    Ok(())
}

/// The page with its test-only hooks (a panic button) in `dist-test/`, for
/// web/e2e/reliability.test.mjs. Only the page's own module takes the feature, from a
/// copy of index.html, so the WebGPU module is the release build's, not built again.
fn test_page(sh: &Shell) -> Result<()> {
    let page = sh.read_file("index.html")?;
    let app = r#"href="crates/app/Cargo.toml""#;
    let marked = page.replacen(
        app,
        &format!(r#"{app} data-cargo-features="test-hooks""#),
        1,
    );
    ensure!(
        marked != page,
        "index.html no longer links crates/app/Cargo.toml"
    );
    sh.write_file("index.test.html", marked)?;
    cmd!(
        sh,
        "trunk build index.test.html --offline --release --dist dist-test"
    )
    .run()?;
    Ok(())
}
