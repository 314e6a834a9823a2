//! A small causal transformer: the language model Flamingo keeps frozen.
//!
//! GPT-style pre-norm layers (`x + attn(norm(x))`, `x + ff(norm(x))`) with learned
//! positions. The feed-forward is the core's [`FeedForward`] and the attention the
//! core's [`attend`], so the LM and the Flamingo blocks compute attention one way.
//! [`LanguageModel::layer`] runs one layer at a time, so the Flamingo wiring can insert
//! gated blocks between them and the logit lens can read out after each.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Bool, Device, Distribution, Int, Tensor, TensorData};
use flamingo::attention::attend;
use flamingo::{FeedForward, FeedForwardConfig};

/// Configuration of a [`LanguageModel`].
#[derive(Config, Debug)]
pub struct LanguageModelConfig {
    /// Number of words.
    pub vocab: usize,
    /// Longest sequence (learned positions).
    pub max_len: usize,
    /// Width of the hidden states.
    #[config(default = 64)]
    pub dim: usize,
    /// Number of decoder layers.
    #[config(default = 4)]
    pub depth: usize,
    /// Number of heads; each is `dim / heads` wide.
    #[config(default = 4)]
    pub heads: usize,
}

/// Causal self-attention over the tokens before and at each position.
#[derive(Module, Debug)]
pub struct SelfAttention {
    to_qkv: Linear,
    to_out: Linear,
    heads: usize,
}

/// One pre-norm decoder layer.
#[derive(Module, Debug)]
pub struct DecoderLayer {
    norm: LayerNorm,
    attn: SelfAttention,
    ff: FeedForward,
}

/// Embedding, decoder layers, final norm and the word head.
#[derive(Module, Debug)]
pub struct LanguageModel {
    embed: Embedding,
    positions: Param<Tensor<2>>,
    layers: Vec<DecoderLayer>,
    norm: LayerNorm,
    head: Linear,
}

impl LanguageModelConfig {
    pub fn init(&self, device: &Device) -> LanguageModel {
        assert_eq!(self.dim % self.heads, 0, "heads must divide the width");
        let linear = |i, o| LinearConfig::new(i, o).with_bias(false).init(device);
        LanguageModel {
            embed: EmbeddingConfig::new(self.vocab, self.dim).init(device),
            positions: Param::from_tensor(Tensor::random(
                [self.max_len, self.dim],
                Distribution::Normal(0.0, 0.02),
                device,
            )),
            layers: (0..self.depth)
                .map(|_| DecoderLayer {
                    norm: LayerNormConfig::new(self.dim).init(device),
                    attn: SelfAttention {
                        to_qkv: linear(self.dim, 3 * self.dim),
                        to_out: linear(self.dim, self.dim),
                        heads: self.heads,
                    },
                    ff: FeedForwardConfig::new(self.dim).init(device),
                })
                .collect(),
            norm: LayerNormConfig::new(self.dim).init(device),
            head: linear(self.dim, self.vocab),
        }
    }
}

/// `true` above the diagonal: position i may not attend to a later j.
pub fn causal_mask(len: usize, device: &Device) -> Tensor<4, Bool> {
    let flags = (0..len * len)
        .map(|k| k % len > k / len)
        .collect::<Vec<_>>();
    Tensor::from_data(TensorData::new(flags, [1, 1, len, len]), device)
}

impl SelfAttention {
    /// # Shapes
    /// - x: `[b, T, dim]`, blocked: `[1, 1, T, T]` → `[b, T, dim]`
    fn forward(&self, x: Tensor<3>, blocked: Tensor<4, Bool>) -> Tensor<3> {
        let [b, t, dim] = x.dims();
        let heads = self.heads;
        // b T (3 h d) -> 3 × b h T d
        let qkv = self
            .to_qkv
            .forward(x)
            .reshape([b, t, 3, heads, dim / heads])
            .permute([2, 0, 3, 1, 4]);
        let part = |i: usize| -> Tensor<4> {
            qkv.clone()
                .narrow(0, i, 1)
                .reshape([b, heads, t, dim / heads])
        };
        let blocked = blocked.expand([b, heads, t, t]);
        let (out, _) = attend(part(0), part(1), part(2), Some(blocked));
        self.to_out
            .forward(out.swap_dims(1, 2).reshape([b, t, dim]))
    }
}

impl LanguageModel {
    /// Word and position embeddings.
    ///
    /// # Shapes
    /// - tokens: `[b, T]` → `[b, T, dim]`
    pub fn embed(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        let [_, t] = tokens.dims();
        let positions = self.positions.val().narrow(0, 0, t).unsqueeze::<3>();
        self.embed.forward(tokens) + positions
    }

    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// Decoder layer `i`.
    ///
    /// # Shapes
    /// - x: `[b, T, dim]`, blocked: [`causal_mask`] of `T` → `[b, T, dim]`
    pub fn layer(&self, i: usize, x: Tensor<3>, blocked: Tensor<4, Bool>) -> Tensor<3> {
        let layer = &self.layers[i];
        let x = layer.attn.forward(layer.norm.forward(x.clone()), blocked) + x;
        layer.ff.forward(x.clone()) + x
    }

    /// Final norm and the word head: logits over the vocabulary.
    ///
    /// # Shapes
    /// - x: `[b, T, dim]` → `[b, T, vocab]`
    pub fn logits(&self, x: Tensor<3>) -> Tensor<3> {
        let [b, t, dim] = x.dims();
        let y = self
            .head
            .forward(self.norm.forward(x).reshape([b * t, dim]));
        let vocab = y.dims()[1];
        y.reshape([b, t, vocab])
    }

    /// The language model alone.
    ///
    /// # Shapes
    /// - tokens: `[b, T]` → `[b, T, vocab]`
    pub fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        let t = tokens.dims()[1];
        let blocked = causal_mask(t, &tokens.device());
        let mut x = self.embed(tokens);
        for i in 0..self.depth() {
            x = self.layer(i, x, blocked.clone());
        }
        self.logits(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flamingo::seeded;

    #[test]
    fn a_position_never_sees_the_tokens_after_it() {
        let device = Device::flex();
        let config = LanguageModelConfig::new(10, 8).with_dim(16).with_depth(2);
        let lm = seeded(4, &device, |d| config.init(d));
        let tokens = |ids: [i64; 6]| {
            Tensor::<2, Int>::from_data(TensorData::new(ids.to_vec(), [1, 6]), &device)
        };
        let a: Vec<f32> = lm
            .forward(tokens([1, 2, 3, 4, 5, 6]))
            .into_data()
            .try_to_vec()
            .unwrap();
        let b: Vec<f32> = lm
            .forward(tokens([1, 2, 3, 9, 9, 9]))
            .into_data()
            .try_to_vec()
            .unwrap();
        // Positions 0–2 have the same past; they must not feel the change at 3.
        assert_eq!(a[..3 * 10], b[..3 * 10]);
        assert_ne!(a[3 * 10..4 * 10], b[3 * 10..4 * 10]);
    }
}
