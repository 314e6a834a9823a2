//! Why the OpenFlamingo-size gated block is slower natively than PyTorch's: its
//! feed-forward is a product of only 64 rows (the text tokens), and burn's CPU backend
//! splits such a product over the threads worse than it runs it on one. The same
//! product computed transposed, `(Wᵀ xᵀ)ᵀ`, has 8192 rows to split; split by columns
//! into a batch of four products (as `flamingo`'s `over_rows` does natively), it runs one
//! product per thread. Prints each product's GFLOP/s each way (the crate's [`gflops`]:
//! median of five timings of at least 100 ms) and whether each agrees with the direct
//! product bit for bit:
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
        let by_columns = || {
            let blocks = w.clone().reshape([k, 4, n / 4]).swap_dims(0, 1);
            x.clone()
                .unsqueeze_dim::<3>(0)
                .matmul(blocks)
                .swap_dims(0, 1)
                .reshape([m, n])
                .into_data()
        };
        let flops = 2.0 * m as f64 * k as f64 * n as f64;
        println!(
            "{m} × {k} × {n}: direct {:.1}, transposed {:.1} (bit-equal {}), by columns {:.1} (bit-equal {}) GFLOP/s",
            gflops(flops, || drop(direct())),
            gflops(flops, || drop(transposed())),
            direct() == transposed(),
            gflops(flops, || drop(by_columns())),
            direct() == by_columns()
        );
    }
}
