//! OpenFlamingo's `FeedForward(dim, mult)`:
//! `Sequential(LayerNorm(dim), Linear(dim, mult·dim, bias=False), GELU(), Linear(mult·dim, dim, bias=False))`.
//!
//! State-dict keys: `0.weight`, `0.bias` (the norm), `1.weight`, `3.weight`.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use crate::gelu::gelu;
use crate::linear::over_rows;
use crate::state_dict::{LoadError, StateDict};

/// Configuration of a [`FeedForward`].
#[derive(Config, Debug)]
pub struct FeedForwardConfig {
    /// Width of the input and output.
    pub dim: usize,
    /// Hidden width is `dim · ff_mult`.
    #[config(default = 4)]
    pub ff_mult: usize,
}

/// Pre-norm MLP used after every attention in the resampler and the gated block.
#[derive(Module, Debug)]
pub struct FeedForward {
    norm: LayerNorm,
    fc1: Linear,
    fc2: Linear,
}

impl FeedForwardConfig {
    /// A feed-forward with burn's default initialisation.
    pub fn init(&self, device: &Device) -> FeedForward {
        let hidden = self.dim * self.ff_mult;
        FeedForward {
            norm: LayerNormConfig::new(self.dim).init(device),
            fc1: LinearConfig::new(self.dim, hidden)
                .with_bias(false)
                .init(device),
            fc2: LinearConfig::new(hidden, self.dim)
                .with_bias(false)
                .init(device),
        }
    }

    /// Loads the PyTorch `nn.Sequential` stored under `prefix` (e.g. `ff.` or `layers.0.1.`).
    pub fn load(
        &self,
        sd: &StateDict,
        prefix: &str,
        device: &Device,
    ) -> Result<FeedForward, LoadError> {
        let hidden = self.dim * self.ff_mult;
        Ok(FeedForward {
            norm: sd.layer_norm(&format!("{prefix}0"), self.dim, device)?,
            fc1: sd.linear(&format!("{prefix}1"), self.dim, hidden, device)?,
            fc2: sd.linear(&format!("{prefix}3"), hidden, self.dim, device)?,
        })
    }
}

impl FeedForward {
    /// # Shapes
    /// - x: `[..., dim]` → `[..., dim]`
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let x = self.norm.forward(x);
        let x = gelu(over_rows(&self.fc1, x));
        over_rows(&self.fc2, x)
    }
}
