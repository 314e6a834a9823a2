//! A `Linear` applied to every row of a batched input as one matrix product.
//!
//! burn runs a `Linear` on a 3-, 4- or 5-D input as one product per batch item: the
//! weight is packed again for each, and natively each small product is split over
//! the threads on its own. The modules here apply their projections to images ×
//! tokens rows, so folding every leading axis into the rows gives one product with
//! all of them. At OpenFlamingo size the resampler's feed-forward (2 images × 64
//! latents, 1024 → 4096) went from 14–17 ms to 5.5–6 ms natively (BENCHMARKS.md).
//!
//! A product of few rows is split by its columns instead, natively (see [`by_columns`]).

use burn::nn::Linear;
use burn::tensor::Tensor;

/// `linear.forward(x)`, with every axis but the last folded into the rows.
pub(crate) fn over_rows<const D: usize>(linear: &Linear, x: Tensor<D>) -> Tensor<D> {
    let mut dims = x.dims();
    let d_in = dims[D - 1];
    let rows = dims[..D - 1].iter().product::<usize>();
    let x = x.reshape([rows, d_in]);
    let y = match by_columns(linear, &x) {
        Some(parts) => split_by_columns(linear, x, parts),
        None => linear.forward(x),
    };
    dims[D - 1] = y.dims()[1];
    y.reshape(dims)
}

/// Into how many column blocks `linear.forward(x)` is split, if at all. burn's CPU backend
/// hands a large product to `gemm`, which shares out its work between the threads in
/// blocks of the depth; with under 128 rows (the gated block's text tokens) each block
/// holds so little that the second core gains nothing (BENCHMARKS.md). Split by columns,
/// the same product is a batch of products, which burn runs one per thread, each on one
/// core: every value is the same sum in the same order, so the same bits (the tests hold
/// it). Only with threads, on the plain CPU device: on one thread the split is slower,
/// and autodiff and WebGPU keep their own paths.
#[cfg(not(target_arch = "wasm32"))]
fn by_columns(linear: &Linear, x: &Tensor<2>) -> Option<usize> {
    const PARTS: usize = 4;
    let [rows, d_in] = x.dims();
    let d_out = linear.weight.dims()[1];
    // burn's CPU backend threads a product from 192³ multiply-adds, a batch of four of them
    // from 128³ in all.
    let threaded = rows * d_in * d_out >= 192 * 192 * 192;
    let split = threaded
        && rows < 128
        && d_out.is_multiple_of(PARTS)
        && rayon::current_num_threads() > 1
        && {
            let device = x.device();
            !device.is_autodiff() && device == burn::tensor::Device::flex()
        };
    split.then_some(PARTS)
}

/// The browser's wasm has one thread.
#[cfg(target_arch = "wasm32")]
fn by_columns(_: &Linear, _: &Tensor<2>) -> Option<usize> {
    None
}

/// `linear.forward(x)` for `x: [rows, d_in]` as `parts` products of `d_out / parts`
/// columns each, in one batched product: the weight's column blocks are strides of it,
/// not copies.
fn split_by_columns(linear: &Linear, x: Tensor<2>, parts: usize) -> Tensor<2> {
    let [rows, _] = x.dims();
    let [d_in, d_out] = linear.weight.dims();
    let blocks = linear
        .weight
        .val()
        .reshape([d_in, parts, d_out / parts])
        .swap_dims(0, 1);
    let y = x
        .unsqueeze_dim::<3>(0)
        .matmul(blocks)
        .swap_dims(0, 1)
        .reshape([rows, d_out]);
    match &linear.bias {
        Some(bias) => y + bias.val().unsqueeze(),
        None => y,
    }
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

    /// The gated block's products at OpenFlamingo and mid size (64 and 32 text tokens),
    /// split by columns, against burn's own product of the whole: the same bits.
    #[test]
    fn a_product_split_by_columns_is_the_same_product() {
        let device = Device::flex();
        let normal = Distribution::Normal(0.0, 1.0);
        for (rows, d_in, d_out, bias) in [
            (64, 2048, 512, false),
            (64, 512, 2048, false),
            (32, 256, 1024, true),
            (32, 1024, 256, false),
        ] {
            let linear = LinearConfig::new(d_in, d_out).with_bias(bias).init(&device);
            let x = Tensor::<2>::random([rows, d_in], normal, &device);
            // Split where burn's pool has threads (it has one under RAYON_NUM_THREADS=1).
            let threads = rayon::current_num_threads() > 1;
            assert_eq!(by_columns(&linear, &x), threads.then_some(4));
            let split = split_by_columns(&linear, x.clone(), 4);
            let split = split.into_data().try_to_vec::<f32>().unwrap();
            let whole = linear.forward(x).into_data().try_to_vec::<f32>().unwrap();
            let differ = split
                .iter()
                .zip(&whole)
                .filter(|(a, b)| a.to_bits() != b.to_bits());
            assert_eq!(differ.count(), 0, "[{rows}, {d_in}] × [{d_in}, {d_out}]");
        }
        // A small product and many rows keep burn's own path.
        for (rows, d_in, d_out) in [(64, 64, 256), (128, 2048, 512)] {
            let linear = LinearConfig::new(d_in, d_out).init(&device);
            let x = Tensor::<2>::random([rows, d_in], normal, &device);
            assert_eq!(by_columns(&linear, &x), None);
        }
    }
}
