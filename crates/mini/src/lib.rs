//! A mini-Flamingo, trained in Rust: it captions drawn scenes and learns a task from
//! the shots of a few-shot prompt.
//!
//! The paper's recipe at toy scale (Alayrac et al., *Flamingo*, arXiv:2204.14198): a
//! vision encoder and a causal language model pretrained apart and frozen, joined by
//! the core's [`flamingo::PerceiverResampler`] and [`flamingo::GatedCrossAttentionBlock`]s,
//! which alone are trained. It is a toy of the mechanism, not of Flamingo's quality.
//!
//! - [`scene`]: the drawn scenes (a contract) and their seeded generator; [`geometry`]: the
//!   shapes' signed distances; [`picture`]: any picture fitted to 32 × 32.
//! - [`vocab`]: words, captions and few-shot episodes.
//! - [`encoder`], [`language_model`], [`model`]: the modules and the Flamingo wiring.
//! - [`inference`], [`evaluate`]: greedy generation and seeded accuracies.
//! - [`weights`]: the shipped safetensors file; [`training`] (native only): the three stages;
//!   [`log`]: the record they leave.

pub mod data;
pub mod encoder;
pub mod evaluate;
pub mod geometry;
pub mod inference;
pub mod language_model;
pub mod log;
pub mod model;
pub mod picture;
pub mod scene;
#[cfg(any(feature = "training", not(target_arch = "wasm32")))]
pub mod training;
pub mod vocab;
pub mod weights;

pub use flamingo::Gating;
pub use model::{MiniFlamingo, MiniFlamingoConfig};
