//! The benchmark's forwards on a GPU through wgpu (natively Vulkan), beside burn's CPU
//! backend on every core of the same machine, with the same weights and inputs: times,
//! GFLOP/s, and how far the GPU's numbers are from the CPU's. Run where a GPU is lent
//! (see BENCHMARKS.md, "A GPU"); on a machine without one wgpu falls back to Mesa's
//! lavapipe, which says nothing about GPUs.
//!
//!     cargo run -p flamingo --example gpu_forward [runs]
//!
//! Prints a Markdown table, a row per size and module.

#[path = "../benches/sizes/mod.rs"]
mod sizes;

use flamingo::burn::tensor::{Device, DeviceKind, Tensor};
use sizes::SIZES;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn p95(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[(v.len() * 95).div_ceil(100) - 1]
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec().expect("f32 output")
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

struct Timing {
    cpu_ms: f64,
    first_gpu_ms: f64,
    latency: (f64, f64),
    queued_ms: f64,
    max_diff: f32,
    max_abs: f32,
}

struct Row {
    size: &'static str,
    module: &'static str,
    flops: f64,
    t: Timing,
}

/// Times one forward: on the CPU (median of `runs`), then on the GPU the first call
/// (kernels compiled, matmuls autotuned), the latency of a call that reads its result
/// back, and the time per call when `runs` calls are queued before one sync.
fn measure<const D: usize>(
    runs: usize,
    cpu: &dyn Fn() -> Tensor<D>,
    gpu: &dyn Fn() -> Tensor<D>,
    gpu_device: &Device,
) -> Timing {
    let reference = values(cpu());
    let cpu_ms = median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                let _ = values(cpu());
                ms(t)
            })
            .collect(),
    );
    let t = Instant::now();
    let first = values(gpu());
    let first_gpu_ms = ms(t);
    for _ in 0..10 {
        let _ = values(gpu());
    }
    let latencies: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let _ = values(gpu());
            ms(t)
        })
        .collect();
    let t = Instant::now();
    let outputs: Vec<Tensor<D>> = (0..runs).map(|_| gpu()).collect();
    gpu_device.sync().expect("GPU sync");
    let queued_ms = ms(t) / runs as f64;
    drop(outputs);
    let max_diff = reference
        .iter()
        .zip(&first)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    let max_abs = reference.iter().map(|a| a.abs()).fold(0.0, f32::max);
    Timing {
        cpu_ms,
        first_gpu_ms,
        latency: (median(latencies.clone()), p95(latencies)),
        queued_ms,
        max_diff,
        max_abs,
    }
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("runs: a number"))
        .unwrap_or(30);
    let cpu_device = Device::flex();
    let gpu_device = Device::wgpu(DeviceKind::DefaultDevice);
    eprintln!("wgpu device: {:?}", gpu_device.identity());
    let mut rows = Vec::new();
    for s in &SIZES {
        let on_cpu = s.case(&cpu_device);
        let on_gpu = s.case(&cpu_device).moved_to(&gpu_device);
        for module in ["resampler", "block"] {
            let (t, flops) = if module == "resampler" {
                let t = measure(
                    runs,
                    &|| on_cpu.resampler(),
                    &|| on_gpu.resampler(),
                    &gpu_device,
                );
                (t, s.resampler_flops())
            } else {
                let t = measure(runs, &|| on_cpu.block(), &|| on_gpu.block(), &gpu_device);
                (t, s.block_flops())
            };
            rows.push(Row {
                size: s.name,
                module,
                flops,
                t,
            });
        }
    }
    println!(
        "| size | module | GFLOP | CPU ms (all cores) | GPU first call ms | GPU call + readback p50 / p95 ms | GPU per call, {runs} queued, ms | GPU GFLOP/s (queued) | max |CPU − GPU| / max |CPU| |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {:.3} | {:.2} | {:.0} | {:.2} / {:.2} | {:.3} | {:.0} | {:.1e} |",
            r.size,
            r.module,
            r.flops / 1e9,
            r.t.cpu_ms,
            r.t.first_gpu_ms,
            r.t.latency.0,
            r.t.latency.1,
            r.t.queued_ms,
            r.flops / 1e9 / (r.t.queued_ms / 1e3),
            r.t.max_diff / r.t.max_abs
        );
    }
}
