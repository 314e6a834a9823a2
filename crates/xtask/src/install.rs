//! Tools the commands need, installed when missing, skipped when present at the right version.

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

/// Trunk 0.22 needs a newer rustc than 1.95; 0.21.14 builds only with `--locked`.
const TRUNK_VERSION: &str = "0.21.14";

fn is_root(sh: &Shell) -> bool {
    cmd!(sh, "id -u")
        .quiet()
        .read()
        .map(|uid| uid.trim() == "0")
        .unwrap_or(false)
}

fn has_command(sh: &Shell, name: &str) -> bool {
    let script = format!("command -v {name}");
    cmd!(sh, "sh -c {script}")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .is_ok()
}

/// Debian packages, installed with apt-get when running as root.
pub fn debian_packages(sh: &Shell, packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            let format = "${Status}";
            let status = cmd!(sh, "dpkg-query -W --showformat {format} {p}")
                .quiet()
                .ignore_stderr()
                .read()
                .unwrap_or_default();
            !status.contains("install ok installed")
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root(sh) {
        bail!(
            "missing Debian packages: {}; install them with `sudo apt-get install {}`",
            missing.join(", "),
            missing.join(" ")
        );
    }
    eprintln!("xtask: installing Debian packages {}", missing.join(" "));
    cmd!(sh, "apt-get update -qq").run()?;
    cmd!(sh, "apt-get install -y -qq {missing...}")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()?;
    Ok(())
}

/// The wasm32 target for the page.
pub fn wasm_target(sh: &Shell) -> Result<()> {
    let installed = cmd!(sh, "rustup target list --installed").quiet().read()?;
    if !installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        cmd!(sh, "rustup target add wasm32-unknown-unknown").run()?;
    }
    Ok(())
}

fn version_of(sh: &Shell, tool: &str) -> Option<String> {
    cmd!(sh, "{tool} --version")
        .quiet()
        .ignore_stderr()
        .read()
        .ok()
}

/// The `wasm-bindgen` crate version in Cargo.lock; the CLI must equal it.
fn wasm_bindgen_version(sh: &Shell) -> Result<String> {
    let lock = sh.read_file("Cargo.lock").context("Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            let version = lines.next().context("version after name")?;
            return Ok(version
                .trim_start_matches("version = ")
                .trim_matches('"')
                .to_owned());
        }
    }
    bail!("wasm-bindgen is not in Cargo.lock")
}

/// Trunk and a wasm-bindgen CLI matching the crate, from crates.io.
pub fn web_tools(sh: &Shell) -> Result<()> {
    wasm_target(sh)?;
    node(sh)?;
    let has = |tool: &str, version: &str| {
        version_of(sh, tool).is_some_and(|v| v.split_whitespace().nth(1) == Some(version))
    };
    if !has("trunk", TRUNK_VERSION) {
        eprintln!("xtask: installing trunk {TRUNK_VERSION}");
        cmd!(sh, "cargo install trunk --version {TRUNK_VERSION} --locked").run()?;
    }
    let bindgen = wasm_bindgen_version(sh)?;
    if !has("wasm-bindgen", &bindgen) {
        // `--locked` wants a crate the registry no longer has, so not locked.
        eprintln!("xtask: installing wasm-bindgen-cli {bindgen}");
        cmd!(
            sh,
            "cargo install wasm-bindgen-cli --version {bindgen} --force"
        )
        .run()?;
    }
    Ok(())
}

/// The Vulkan loader and Mesa's lavapipe, so native wgpu runs without a GPU.
pub fn vulkan(sh: &Shell) -> Result<()> {
    debian_packages(sh, &["libvulkan1", "mesa-vulkan-drivers"])
}

/// A Python with PyTorch and OpenFlamingo 2.0.1's helpers, in a cache outside the repo.
pub fn golden_python(sh: &Shell) -> Result<std::path::PathBuf> {
    let home = std::env::var("HOME").context("HOME")?;
    let venv = std::path::Path::new(&home).join(".cache/flamingo/golden-venv");
    let python = venv.join("bin/python");
    let ready = cmd!(sh, "{python} -c 'import torch, einops, einops_exts, safetensors, importlib.util as u; assert u.find_spec(\"open_flamingo\")'")
        .quiet()
        .ignore_stderr()
        .run()
        .is_ok();
    if !ready {
        if !has_command(sh, "python3") {
            bail!("python3 is needed to run OpenFlamingo's reference");
        }
        eprintln!(
            "xtask: installing PyTorch and open-flamingo 2.0.1 into {}",
            venv.display()
        );
        cmd!(sh, "python3 -m venv {venv}").run()?;
        let pip = venv.join("bin/pip");
        cmd!(
            sh,
            "{pip} install -q torch einops einops-exts safetensors numpy"
        )
        .run()?;
        // --no-deps: its own dependencies (transformers, open_clip) are not needed for helpers.py.
        cmd!(sh, "{pip} install -q --no-deps open-flamingo==2.0.1").run()?;
    }
    Ok(python)
}

/// Node.js and npm: Trunk's post-build hook (`web/build/post-build.mjs`) and the
/// browser tests run on them.
pub fn node(sh: &Shell) -> Result<()> {
    if !has_command(sh, "node") || !has_command(sh, "npm") {
        debian_packages(sh, &["nodejs", "npm"])?;
    }
    Ok(())
}

/// Debian's Chromium for the browser tests; playwright-core drives it, never downloading a browser.
pub fn browser(sh: &Shell) -> Result<()> {
    // Firefox ESR (puppeteer-core, WebDriver BiDi) and WebKitGTK (WebKitWebDriver with
    // MiniBrowser, under Xvfb) for the other engines' tests (web/e2e/engines.test.mjs).
    debian_packages(
        sh,
        &["chromium", "firefox-esr", "webkit2gtk-driver", "xvfb"],
    )?;
    node(sh)
}
