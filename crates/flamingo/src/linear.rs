//! A `Linear` applied to every row of a batched input as one matrix product.
//!
//! burn runs a `Linear` on a 3-, 4- or 5-D input as one product per batch item: the
//! weight is packed again for each, and natively each small product is split over
//! the threads on its own. The modules here apply their projections to images ×
//! tokens rows, so folding every leading axis into the rows gives one product with
//! all of them. At OpenFlamingo size the resampler's feed-forward (2 images × 64
//! latents, 1024 → 4096) went from 14–17 ms to 5.5–6 ms natively (BENCHMARKS.md).

use burn::nn::Linear;
use burn::tensor::Tensor;

/// `linear.forward(x)`, with every axis but the last folded into the rows.
pub(crate) fn over_rows<const D: usize>(linear: &Linear, x: Tensor<D>) -> Tensor<D> {
    let mut dims = x.dims();
    let d_in = dims[D - 1];
    let rows = dims[..D - 1].iter().product::<usize>();
    let y = linear.forward(x.reshape([rows, d_in]));
    dims[D - 1] = y.dims()[1];
    y.reshape(dims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::LinearConfig;
    use burn::tensor::{Device, Distribution};

    #[test]
    fn folding_the_rows_changes_no_value() {
        let device = Device::flex();
        let linear = LinearConfig::new(24, 40).init(&device);
        let x = Tensor::<4>::random([2, 3, 37, 24], Distribution::Normal(0.0, 1.0), &device);
        let folded = over_rows(&linear, x.clone());
        assert_eq!(folded.dims(), [2, 3, 37, 40]);
        folded
            .into_data()
            .assert_approx_eq::<f32>(&linear.forward(x).into_data(), Default::default());
    }
}
