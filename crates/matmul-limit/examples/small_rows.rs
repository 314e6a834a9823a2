//! Why the OpenFlamingo-size gated block is slower natively than PyTorch's: its
//! feed-forward is a product of only 64 rows (the text tokens), and burn's CPU backend
//! splits such a product over the threads worse than it runs it on one. The same
//! product computed transposed, `(Wᵀ xᵀ)ᵀ`, has 8192 rows to split. Prints each
//! product's GFLOP/s both ways (the crate's [`gflops`]: median of five timings of
//! at least 100 ms) and whether the two agree bit for bit:
//!
//!     RAYON_NUM_THREADS=2 cargo run --release -p matmul-limit --example small_rows

use flamingo::burn::tensor::{Device, Distribution, Tensor};
use matmul_limit::gflops;

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
        let flops = 2.0 * m as f64 * k as f64 * n as f64;
        println!(
            "{m} × {k} × {n}: direct {:.1} GFLOP/s, transposed {:.1} GFLOP/s, bit-equal {}",
            gflops(flops, || drop(direct())),
            gflops(flops, || drop(transposed())),
            direct() == transposed()
        );
    }
}
