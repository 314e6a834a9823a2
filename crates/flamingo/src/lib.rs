//! Flamingo's vision–language bridge, computed on [burn].
//!
//! The blocks follow OpenFlamingo 2.0.1's `open_flamingo/src/helpers.py`
//! (Alayrac et al., *Flamingo*, arXiv:2204.14198; Awadalla et al., *OpenFlamingo*,
//! arXiv:2308.01390), with its parameter names, so a PyTorch `state_dict` loads
//! key for key. Where 2.0.1 behaves in a way a teaching tool should not copy, the
//! module that differs says so in its docs.
//!
//! - [`attention`]: the scaled dot-product both blocks (and a small LM) share.
//! - [`feed_forward`]: the LayerNorm → Linear → GELU → Linear block.
//! - [`gelu`]: GELU with burn's CPU bits, four values at a time.
//! - [`perceiver`]: the Perceiver resampler, N patches in, K latents out.
//! - [`cross_attention`]: masked cross-attention and the tanh-gated block.
//! - [`interleave`]: interleaved sequences, `media_locations` and the text × image mask.
//! - [`params`]: parameter counts and model presets.
//! - [`lineage`]: which Flamingo elements a model's config shows.
//! - [`state_dict`], [`forward_case`]: PyTorch weights and test cases from safetensors.
//! - [`seeded`]: seeded random weights, identical on every backend.
//! - [`rng`]: a seeded generator for inputs (stand-in pictures, drawn scenes), identical everywhere.

pub mod attention;
pub mod cross_attention;
pub mod feed_forward;
pub mod forward_case;
pub mod gelu;
pub mod interleave;
pub mod lineage;
mod linear;
pub mod params;
pub mod perceiver;
pub mod rng;
mod seeded;
pub mod state_dict;

pub use burn;
pub use cross_attention::{
    CrossAttentionOutput, GatedCrossAttentionBlock, GatedCrossAttentionBlockConfig, Gating,
    MaskedCrossAttention, MaskedCrossAttentionConfig,
};
pub use feed_forward::{FeedForward, FeedForwardConfig};
pub use interleave::{Interleaved, MaskRule, MediaMask, Segment};
pub use perceiver::{
    MediaKeys, PerceiverAttention, PerceiverAttentionConfig, PerceiverResampler,
    PerceiverResamplerConfig, ResamplerOutput,
};
pub use rng::Rng;
pub use seeded::{seeded, taking_turns};
