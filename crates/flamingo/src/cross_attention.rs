//! Text attends to visual tokens: `MaskedCrossAttention` and the tanh-gated
//! `GatedCrossAttentionBlock` that Flamingo inserts between frozen LM layers.
//!
//! Ports OpenFlamingo 2.0.1 `open_flamingo/src/helpers.py`. Paper: Alayrac et al.,
//! *Flamingo*, §2.2 (GATED XATTN-DENSE) and §2.3 (per-image attention masking).
//!
//! # Where this differs from 2.0.1, on purpose
//! A text token with no visible image gets no visual input: zero attention, so an
//! exactly zero output, under both rules. In 2.0.1 that holds only with
//! `only_attend_immediate_media=True`; with `False`, text before the first image
//! attends uniformly to *every* image, future ones included, and a token whose image
//! count exceeds the images supplied also attends uniformly. Both leak information
//! a token cannot have seen, so this crate does not copy them.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Bool, Device, Tensor, TensorData};

use crate::attention::attend;
use crate::feed_forward::{FeedForward, FeedForwardConfig};
use crate::interleave::{MaskRule, MediaMask};
use crate::linear::over_rows;
use crate::state_dict::{LoadError, StateDict};

/// Configuration of a [`MaskedCrossAttention`]; field names are helpers.py's.
#[derive(Config, Debug)]
pub struct MaskedCrossAttentionConfig {
    /// Width of the language model's hidden states.
    pub dim: usize,
    /// Width of the resampled visual tokens.
    pub dim_visual: usize,
    /// Width of one head.
    #[config(default = 64)]
    pub dim_head: usize,
    /// Number of heads.
    #[config(default = 8)]
    pub heads: usize,
    /// `true`: a token sees only the most recent preceding image (Flamingo's choice);
    /// `false`: every preceding image.
    #[config(default = true)]
    pub only_attend_immediate_media: bool,
}

/// Queries from text, keys and values from the visual tokens of every image.
#[derive(Module, Debug)]
pub struct MaskedCrossAttention {
    norm: LayerNorm,
    to_q: Linear,
    to_kv: Linear,
    to_out: Linear,
    heads: usize,
    only_attend_immediate_media: bool,
}

/// What a cross-attention computes, with the weights the page draws.
#[derive(Debug, Clone)]
pub struct CrossAttentionOutput {
    /// `[b, T_txt, dim]`: the block's output (for the block) or the attention's (alone).
    pub output: Tensor<3>,
    /// `[b, heads, T_txt, T_img·n]`; column `j·n + l` is token `l` of image `j`.
    pub weights: Tensor<4>,
}

impl MaskedCrossAttentionConfig {
    /// A cross-attention with burn's default initialisation.
    pub fn init(&self, device: &Device) -> MaskedCrossAttention {
        let inner = self.dim_head * self.heads;
        let linear = |i, o| LinearConfig::new(i, o).with_bias(false).init(device);
        MaskedCrossAttention {
            norm: LayerNormConfig::new(self.dim).init(device),
            to_q: linear(self.dim, inner),
            to_kv: linear(self.dim_visual, 2 * inner),
            to_out: linear(inner, self.dim),
            heads: self.heads,
            only_attend_immediate_media: self.only_attend_immediate_media,
        }
    }

    /// Loads `{prefix}norm`, `to_q`, `to_kv`, `to_out`.
    pub fn load(
        &self,
        sd: &StateDict,
        prefix: &str,
        device: &Device,
    ) -> Result<MaskedCrossAttention, LoadError> {
        let inner = self.dim_head * self.heads;
        Ok(MaskedCrossAttention {
            norm: sd.layer_norm(&format!("{prefix}norm"), self.dim, device)?,
            to_q: sd.linear(&format!("{prefix}to_q"), self.dim, inner, device)?,
            to_kv: sd.linear(
                &format!("{prefix}to_kv"),
                self.dim_visual,
                2 * inner,
                device,
            )?,
            to_out: sd.linear(&format!("{prefix}to_out"), inner, self.dim, device)?,
            heads: self.heads,
            only_attend_immediate_media: self.only_attend_immediate_media,
        })
    }
}

impl MaskedCrossAttention {
    /// Which images a token may see.
    pub fn rule(&self) -> MaskRule {
        MaskRule::from_only_attend_immediate_media(self.only_attend_immediate_media)
    }

    /// # Shapes
    /// - x: `[b, T_txt, dim]` text hidden states
    /// - media: `[b, T_img, n, dim_visual]` visual tokens (n = K after the resampler)
    /// - media_locations: `b` rows of `T_txt` flags, `true` at each `<image>` token
    ///
    /// # Panics
    /// If `media_locations` is not `b × T_txt`.
    pub fn forward(
        &self,
        x: Tensor<3>,
        media: Tensor<4>,
        media_locations: &[Vec<bool>],
    ) -> CrossAttentionOutput {
        let [b, t_txt, _] = x.dims();
        let [_, t_img, n, d_visual] = media.dims();
        assert_eq!(
            media_locations.len(),
            b,
            "media_locations needs one row per batch item"
        );
        let blocked = self.blocked(media_locations, t_txt, t_img, n, &x.device());

        let q = over_rows(&self.to_q, self.norm.forward(x));
        let media = media.reshape([b, t_img * n, d_visual]);
        let kv = over_rows(&self.to_kv, media);
        let [k, v]: [Tensor<3>; 2] = kv
            .chunk(2, 2)
            .try_into()
            .expect("to_kv has 2·inner outputs");

        let (out, weights) = attend(
            self.split_heads(q),
            self.split_heads(k),
            self.split_heads(v),
            Some(blocked),
        );
        // b h n d -> b n (h d)
        let [_, h, _, d] = out.dims();
        let out = out.swap_dims(1, 2).reshape([b, t_txt, h * d]);
        CrossAttentionOutput {
            output: over_rows(&self.to_out, out),
            weights,
        }
    }

    /// `[b, heads, T_txt, T_img·n]`, `true` where a token may *not* attend: the
    /// [`MediaMask`] the page draws, widened from images to their n tokens. This is
    /// the one place OpenFlamingo's "may attend" turns into burn's "blocked".
    fn blocked(
        &self,
        media_locations: &[Vec<bool>],
        t_txt: usize,
        t_img: usize,
        n: usize,
        device: &Device,
    ) -> Tensor<4, Bool> {
        let mut flags = Vec::with_capacity(media_locations.len() * t_txt * t_img * n);
        for row in media_locations {
            assert_eq!(
                row.len(),
                t_txt,
                "media_locations rows must be T_txt = {t_txt} long"
            );
            let mask = MediaMask::new(row, t_img, self.rule());
            for i in 0..t_txt {
                for j in 0..t_img {
                    flags.extend(std::iter::repeat_n(!mask.allowed(i, j), n));
                }
            }
        }
        let b = media_locations.len();
        Tensor::<4, Bool>::from_data(TensorData::new(flags, [b, 1, t_txt, t_img * n]), device)
            .repeat_dim(1, self.heads)
    }

    /// `b n (h d) -> b h n d`
    fn split_heads(&self, x: Tensor<3>) -> Tensor<4> {
        let [b, n, inner] = x.dims();
        x.reshape([b, n, self.heads, inner / self.heads])
            .swap_dims(1, 2)
    }
}

/// Configuration of a [`GatedCrossAttentionBlock`]; field names are helpers.py's.
#[derive(Config, Debug)]
pub struct GatedCrossAttentionBlockConfig {
    /// Width of the language model's hidden states.
    pub dim: usize,
    /// Width of the resampled visual tokens.
    pub dim_visual: usize,
    /// Width of one head.
    #[config(default = 64)]
    pub dim_head: usize,
    /// Number of heads.
    #[config(default = 8)]
    pub heads: usize,
    /// Feed-forward hidden width is `dim · ff_mult`.
    #[config(default = 4)]
    pub ff_mult: usize,
    /// See [`MaskedCrossAttentionConfig::only_attend_immediate_media`].
    #[config(default = true)]
    pub only_attend_immediate_media: bool,
}

/// `x = tanh(attn_gate)·xattn(x, media) + x; x = tanh(ff_gate)·ff(x) + x`.
///
/// Both gates start at 0, so a freshly inserted block is the identity and the
/// frozen language model is exactly itself until training opens the gates.
#[derive(Module, Debug)]
pub struct GatedCrossAttentionBlock {
    attn: MaskedCrossAttention,
    /// α of the attention's gate, shape `[1]`, before its tanh.
    pub attn_gate: Param<Tensor<1>>,
    ff: FeedForward,
    /// α of the feed-forward's gate, shape `[1]`, before its tanh.
    pub ff_gate: Param<Tensor<1>>,
}

/// How a [`GatedCrossAttentionBlock`] weighs its two branches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gating {
    /// Flamingo's gate, `tanh(scale·α)`: scale 1 is the block as trained, 0 closes
    /// it exactly (the frozen LM alone), values between show the gate opening.
    Tanh {
        /// Multiplies α before its tanh.
        scale: f32,
    },
    /// No gate at all, `y = xattn(x) + x`: the paper's ablation (Flamingo, table 3),
    /// which disturbs the frozen LM from the first training step.
    Ungated,
}

impl Gating {
    /// What a branch is multiplied by, for a gate whose parameter is `alpha` (`[1]`).
    pub fn weight(self, alpha: Tensor<1>) -> Tensor<1> {
        match self {
            Gating::Tanh { scale } => (alpha * scale).tanh(),
            Gating::Ungated => alpha.ones_like(),
        }
    }
}

impl Default for Gating {
    fn default() -> Self {
        Gating::Tanh { scale: 1.0 }
    }
}

impl GatedCrossAttentionBlockConfig {
    fn attention(&self) -> MaskedCrossAttentionConfig {
        MaskedCrossAttentionConfig::new(self.dim, self.dim_visual)
            .with_dim_head(self.dim_head)
            .with_heads(self.heads)
            .with_only_attend_immediate_media(self.only_attend_immediate_media)
    }

    fn feed_forward(&self) -> FeedForwardConfig {
        FeedForwardConfig::new(self.dim).with_ff_mult(self.ff_mult)
    }

    /// A block with both gates at 0.
    pub fn init(&self, device: &Device) -> GatedCrossAttentionBlock {
        GatedCrossAttentionBlock {
            attn: self.attention().init(device),
            attn_gate: Param::from_tensor(Tensor::zeros([1], device)),
            ff: self.feed_forward().init(device),
            ff_gate: Param::from_tensor(Tensor::zeros([1], device)),
        }
    }

    /// Loads a PyTorch `GatedCrossAttentionBlock.state_dict()`: `attn.*`, `attn_gate`, `ff.*`, `ff_gate`.
    pub fn load(
        &self,
        sd: &StateDict,
        device: &Device,
    ) -> Result<GatedCrossAttentionBlock, LoadError> {
        Ok(GatedCrossAttentionBlock {
            attn: self.attention().load(sd, "attn.", device)?,
            attn_gate: Param::from_tensor(sd.tensor("attn_gate", [1], device)?),
            ff: self.feed_forward().load(sd, "ff.", device)?,
            ff_gate: Param::from_tensor(sd.tensor("ff_gate", [1], device)?),
        })
    }
}

impl GatedCrossAttentionBlock {
    /// Sets the raw gate parameters (before tanh); the page's sliders call this.
    pub fn with_gates(mut self, attn_gate: f32, ff_gate: f32) -> Self {
        let device = self.attn_gate.device();
        self.attn_gate = Param::from_tensor(Tensor::from_floats([attn_gate], &device));
        self.ff_gate = Param::from_tensor(Tensor::from_floats([ff_gate], &device));
        self
    }

    /// # Shapes
    /// - x: `[b, T_txt, dim]`, media: `[b, T_img, n, dim_visual]`,
    ///   media_locations: `b` rows of `T_txt` flags
    /// - returns `[b, T_txt, dim]` and the cross-attention weights
    pub fn forward(
        &self,
        x: Tensor<3>,
        media: Tensor<4>,
        media_locations: &[Vec<bool>],
    ) -> CrossAttentionOutput {
        self.forward_gated(x, media, media_locations, Gating::default())
    }

    /// [`Self::forward`] with the gates weighed as `gating` says. `Tanh { scale: 1.0 }`
    /// is `forward` bit for bit (`α·1` is `α`).
    pub fn forward_gated(
        &self,
        x: Tensor<3>,
        media: Tensor<4>,
        media_locations: &[Vec<bool>],
        gating: Gating,
    ) -> CrossAttentionOutput {
        let gate =
            |alpha: &Param<Tensor<1>>| -> Tensor<3> { gating.weight(alpha.val()).unsqueeze() };
        let xattn = self.attn.forward(x.clone(), media, media_locations);
        let x = xattn.output * gate(&self.attn_gate) + x;
        let x = self.ff.forward(x.clone()) * gate(&self.ff_gate) + x;
        CrossAttentionOutput {
            output: x,
            weights: xattn.weights,
        }
    }
}
