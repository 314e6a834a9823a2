//! The scaled dot-product that both Flamingo blocks share.
//!
//! helpers.py writes it twice (in `PerceiverAttention` and `MaskedCrossAttention`):
//! `q * dim_head**-0.5`, `sim = q·kᵀ`, masked scores filled with `-finfo(float32).max`,
//! softmax over the keys, then `attn·v`.

use burn::tensor::{Bool, Tensor, activation::softmax};

/// Attention over the last two axes; heads, batch and time are leading axes.
///
/// `blocked` uses burn's convention, `true` = may not attend. A query row whose
/// every key is blocked gets weights of exactly 0, so its output is exactly 0:
/// a text token with no visible image receives no visual input. Blocked weights
/// in other rows underflow to 0 already; filling them again makes that exact by
/// construction rather than by the luck of `exp`.
///
/// # Shapes
/// - q: `[.., i, d]`, k and v: `[.., j, d]`, blocked: `[.., i, j]`
/// - returns (context `[.., i, d]`, weights `[.., i, j]`)
pub fn attend<const D: usize>(
    q: Tensor<D>,
    k: Tensor<D>,
    v: Tensor<D>,
    blocked: Option<Tensor<D, Bool>>,
) -> (Tensor<D>, Tensor<D>) {
    let dim_head = q.dims()[D - 1];
    let q = q * (dim_head as f64).powf(-0.5);
    let sim = q.matmul(k.transpose());
    let weights = match blocked {
        None => softmax(sim, D - 1),
        Some(blocked) => {
            softmax(sim.mask_fill(blocked.clone(), -f32::MAX), D - 1).mask_fill(blocked, 0.0)
        }
    };
    (weights.clone().matmul(v), weights)
}
