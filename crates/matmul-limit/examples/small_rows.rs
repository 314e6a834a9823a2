//! Why the OpenFlamingo-size gated block is slower natively than PyTorch's: its
//! feed-forward is a product of only 64 rows (the text tokens), and burn's CPU backend
//! splits such a product over the threads worse than it runs it on one. The same
//! product computed transposed, `(Wᵀ xᵀ)ᵀ`, has 8192 rows to split. Prints each
//! product's GFLOP/s both ways (median of 15) and whether the two agree bit for bit:
//!
//!     RAYON_NUM_THREADS=2 cargo run --release -p matmul-limit --example small_rows

use std::time::Instant;

use flamingo::burn::tensor::{Device, Distribution, Tensor};

fn median_seconds(run: impl Fn()) -> f64 {
    run();
    let mut times: Vec<f64> = (0..15)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let device = Device::flex();
    let normal = Distribution::Normal(0.0, 1.0);
    // The block's products at OpenFlamingo size (64 tokens, LM width 2048, 8 heads × 64,
    // visual width 1024), then wider inputs for comparison.
    for (m, k, n) in [
        (64usize, 2048usize, 8192usize),
        (64, 8192, 2048),
        (64, 2048, 512),
        (64, 1024, 1024),
        (128, 2048, 8192),
        (256, 2048, 8192),
    ] {
        let x = Tensor::<2>::random([m, k], normal, &device);
        let w = Tensor::<2>::random([k, n], normal, &device);
        let direct = || x.clone().matmul(w.clone()).into_data();
        let transposed = || {
            w.clone()
                .transpose()
                .matmul(x.clone().transpose())
                .transpose()
                .into_data()
        };
        let gflops = |seconds: f64| 2.0 * (m * k * n) as f64 / seconds / 1e9;
        println!(
            "{m} × {k} × {n}: direct {:.1} GFLOP/s, transposed {:.1} GFLOP/s, bit-equal {}",
            gflops(median_seconds(|| drop(direct()))),
            gflops(median_seconds(|| drop(transposed()))),
            direct() == transposed()
        );
    }
}
