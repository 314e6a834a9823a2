//! The browser's figures natively (`web/bench/limit.mjs` gives them in wasm): burn's
//! matrix product and the benchmark sizes' modules, in GFLOP/s. For one core, as in the
//! browser:
//!
//!     RAYON_NUM_THREADS=1 cargo run --release -p matmul-limit --example native
//!
//! Prints one JSON object; `tools/bench/bench_torch.py --matmul` gives PyTorch's product.

use matmul_limit::{gflops_burn, gflops_module};

fn main() {
    let burn: Vec<String> = [128, 256, 512]
        .map(|n| format!("\"{n}\": {:.2}", gflops_burn(n)))
        .to_vec();
    let modules: Vec<String> = ["classroom", "mid", "openflamingo"]
        .iter()
        .enumerate()
        .map(|(i, size)| {
            format!(
                "\"{size}\": {{\"resampler\": {:.2}, \"block\": {:.2}}}",
                gflops_module(i as u32, 0),
                gflops_module(i as u32, 1)
            )
        })
        .collect();
    println!(
        "{{\"burn\": {{{}}}, \"modules\": {{{}}}}}",
        burn.join(", "),
        modules.join(", ")
    );
}
