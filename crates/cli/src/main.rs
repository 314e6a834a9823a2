//! `flamingo forward IN.safetensors OUT.safetensors`: run one OpenFlamingo module
//! on burn's CPU backend, so its output can be compared with PyTorch's.
//! `flamingo mini …`: the trained mini-Flamingo ([`mini`]).

mod mini;

use std::process::ExitCode;

use anyhow::{Context, bail};
use flamingo::burn::tensor::Device;
use flamingo::forward_case::ForwardCase;
use flamingo::state_dict::write_f32;

const USAGE: &str = "usage: flamingo forward IN.safetensors OUT.safetensors";

/// What `flamingo --help` prints.
const HELP: &str = "\
usage: flamingo <command> …

  forward IN.safetensors OUT.safetensors
        run one OpenFlamingo 2.0.1 module (perceiver_resampler or
        gated_cross_attention_block) on burn's CPU backend: IN holds its state_dict,
        inputs and metadata (see README.md), OUT gets the output tensor `out`
  mini caption | few-shot | eval
        the trained mini-Flamingo; `flamingo mini --help` for more
  -h, --help
        this help
";

fn run(args: &[String]) -> anyhow::Result<()> {
    match args.first().map(String::as_str) {
        Some("mini") => return mini::run(&args[1..]),
        Some("--help" | "-h" | "help") => {
            print!("{HELP}");
            return Ok(());
        }
        _ => {}
    }
    let [command, input, output] = args else {
        bail!("{USAGE} | {}", mini::USAGE.trim_start_matches("usage: "))
    };
    if command != "forward" {
        bail!("unknown command `{command}`; {USAGE}");
    }
    let bytes = std::fs::read(input).with_context(|| format!("cannot read {input}"))?;
    let case = ForwardCase::load(&bytes, &Device::flex()).with_context(|| input.clone())?;
    let out = case.forward();
    let values = out
        .try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    std::fs::write(output, write_f32("out", out.shape().as_slice(), &values))
        .with_context(|| format!("cannot write {output}"))?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the context chain, outermost first.
            eprintln!("flamingo: {e:#}");
            ExitCode::FAILURE
        }
    }
}
