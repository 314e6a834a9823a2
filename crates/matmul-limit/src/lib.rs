//! How close the page's arithmetic comes to what the browser can do (issue 24): in one
//! wasm module, run on one core by `web/bench/limit.mjs` in Chromium,
//! - [`gflops_kernel`]: a register-blocked f32 matrix product written here for wasm
//!   SIMD (packed panels, an `MR` × 8 block of accumulators);
//! - [`gflops_burn`]: burn's CPU backend's matrix product, as the page runs it;
//! - [`gflops_module`]: the benchmark's resampler and gated block (`benches/sizes`), the
//!   page's own modules at its sizes, counted in matrix-product FLOPs.
//!
//! Each takes plain numbers and returns GFLOP/s. Nothing here is on the page.

#[path = "../../flamingo/benches/sizes/mod.rs"]
#[allow(dead_code)]
mod sizes;

mod kernel;

use flamingo::Rng;
use flamingo::burn::tensor::{Device, Distribution, Tensor};
pub use kernel::{NR, matmul};
use mini::inference::{read, resolved};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::wasm_bindgen;

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn now_ms() -> f64;
}

#[cfg(not(target_arch = "wasm32"))]
fn now_ms() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1e3
}

/// GFLOP/s of `run` (which does `flops` operations), the median of five timings, each
/// repeating it for at least 100 ms after one untimed call.
pub fn gflops(flops: f64, mut run: impl FnMut()) -> f64 {
    run();
    let mut rates: Vec<f64> = (0..5)
        .map(|_| {
            let start = now_ms();
            let mut calls = 0;
            while calls == 0 || now_ms() - start < 100.0 {
                run();
                calls += 1;
            }
            flops * calls as f64 / ((now_ms() - start) / 1e3) / 1e9
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[2]
}

/// This crate's kernel, `n` × `n` by `n` × `n`, with `mr` rows per block (4 or 6); A
/// and C keep the rows that fill whole blocks.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
pub fn gflops_kernel(n: u32, mr: u32) -> f64 {
    let n = n as usize;
    let mr = if mr == 6 { 6 } else { 4 };
    let m = n - n % mr;
    let (a, b) = (Rng::new(1).normals(m * n), Rng::new(2).normals(n * n));
    let mut c = vec![0.0; m * n];
    let mut packed = Vec::new();
    let flops = 2.0 * m as f64 * (n as f64).powi(2);
    if mr == 6 {
        gflops(flops, || matmul::<6>(&a, &b, &mut c, m, n, n, &mut packed))
    } else {
        gflops(flops, || matmul::<4>(&a, &b, &mut c, m, n, n, &mut packed))
    }
}

/// burn's CPU backend's matrix product on `n` × `n` matrices, read back each time.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
pub fn gflops_burn(n: u32) -> f64 {
    let n = n as usize;
    let device = Device::flex();
    let normal = Distribution::Normal(0.0, 1.0);
    let (a, b) = (
        Tensor::<2>::random([n, n], normal, &device),
        Tensor::<2>::random([n, n], normal, &device),
    );
    gflops(2.0 * (n as f64).powi(3), || {
        let _ = resolved(read(a.clone().matmul(b.clone())));
    })
}

/// A benchmark size's module (0 classroom, 1 mid, 2 OpenFlamingo; module 0 the
/// resampler, 1 the gated block), its output read back each time.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
pub fn gflops_module(size: u32, module: u32) -> f64 {
    let Some(size) = sizes::SIZES.get(size as usize) else {
        return f64::NAN;
    };
    let case = size.case(&Device::flex());
    if module == 0 {
        gflops(size.resampler_flops(), || {
            let _ = resolved(read(case.resampler()));
        })
    } else {
        gflops(size.block_flops(), || {
            let _ = resolved(read(case.block()));
        })
    }
}

/// burn's linear (the page's `Linear::forward`): `[1, m, k]` by a `[k, n]` weight.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
pub fn gflops_linear(m: u32, k: u32, n: u32) -> f64 {
    let (m, k, n) = (m as usize, k as usize, n as usize);
    let device = Device::flex();
    let normal = Distribution::Normal(0.0, 1.0);
    let x = Tensor::<3>::random([1, m, k], normal, &device);
    let w = Tensor::<2>::random([k, n], normal, &device);
    // In f64: m · k · n passes 2³² at these widths, which wasm32's usize would wrap.
    gflops(2.0 * m as f64 * k as f64 * n as f64, || {
        let _ = resolved(read(flamingo::burn::tensor::module::linear(
            x.clone(),
            w.clone(),
            None,
        )));
    })
}
