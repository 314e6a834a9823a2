//! The Flamingo wiring: frozen encoder → the core's Perceiver resampler → visual
//! tokens, read by the core's gated cross-attention blocks inserted before every
//! M-th layer of the frozen language model, under the "most recent image" mask.
//!
//! OpenFlamingo's rule for where blocks go: before decoder layer `i` when
//! `(i + 1) % cross_attn_every == 0` (`open_flamingo/src/flamingo_lm.py`).

use burn::config::Config;
use burn::module::{Module, ParamId};
use burn::tensor::{Device, Int, Tensor, TensorData};
use flamingo::{
    GatedCrossAttentionBlock, GatedCrossAttentionBlockConfig, Gating, PerceiverResampler,
    PerceiverResamplerConfig,
};
use serde::Serialize;

use crate::encoder::{GRID, VisionEncoder, VisionEncoderConfig, pixels};
use crate::language_model::{LanguageModel, LanguageModelConfig, causal_mask};
use crate::scene::Picture;
use crate::vocab::{IMAGE, MAX_LEN, PAD, WORDS};

/// Sizes of the whole mini-Flamingo; the defaults are the shipped model's.
#[derive(Config, Debug)]
pub struct MiniFlamingoConfig {
    #[config(default = "VisionEncoderConfig::new()")]
    pub encoder: VisionEncoderConfig,
    #[config(default = "LanguageModelConfig::new(WORDS.len(), MAX_LEN)")]
    pub lm: LanguageModelConfig,
    /// K, the visual tokens per image.
    #[config(default = 8)]
    pub num_latents: usize,
    #[config(default = 2)]
    pub resampler_depth: usize,
    /// Heads of the resampler and the blocks.
    #[config(default = 4)]
    pub heads: usize,
    #[config(default = 16)]
    pub dim_head: usize,
    /// M: a gated block before every M-th LM layer.
    #[config(default = 2)]
    pub cross_attn_every: usize,
}

/// What stage 3 trains: the resampler and the gated blocks.
#[derive(Module, Debug)]
pub struct Bridge {
    pub resampler: PerceiverResampler,
    pub blocks: Vec<GatedCrossAttentionBlock>,
}

/// The encoder and language model (frozen after their stages) and the bridge between them.
#[derive(Module, Debug)]
pub struct MiniFlamingo {
    pub encoder: VisionEncoder,
    pub lm: LanguageModel,
    pub bridge: Bridge,
    /// M: a block before LM layer i when `(i + 1) % M == 0`.
    pub cross_attn_every: usize,
}

impl MiniFlamingoConfig {
    pub fn resampler(&self) -> PerceiverResamplerConfig {
        PerceiverResamplerConfig::new(self.encoder.dim)
            .with_depth(self.resampler_depth)
            .with_num_latents(self.num_latents)
            .with_heads(self.heads)
            .with_dim_head(self.dim_head)
    }

    pub fn block(&self) -> GatedCrossAttentionBlockConfig {
        GatedCrossAttentionBlockConfig::new(self.lm.dim, self.encoder.dim)
            .with_heads(self.heads)
            .with_dim_head(self.dim_head)
    }

    /// How many gated blocks the LM's depth and M give.
    pub fn num_blocks(&self) -> usize {
        flamingo::params::gated_block_count(self.lm.depth, self.cross_attn_every)
    }

    pub fn init(&self, device: &Device) -> MiniFlamingo {
        MiniFlamingo {
            encoder: self.encoder.init(device),
            lm: self.lm.init(device),
            bridge: self.init_bridge(device),
            cross_attn_every: self.cross_attn_every,
        }
    }

    /// A fresh bridge, gates at 0.
    pub fn init_bridge(&self, device: &Device) -> Bridge {
        Bridge {
            resampler: self.resampler().init(device),
            blocks: (0..self.num_blocks())
                .map(|_| self.block().init(device))
                .collect(),
        }
    }
}

/// Parameter counts per part, as the page's calculator gives them for the real models.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Parameters {
    pub encoder: usize,
    pub lm: usize,
    pub resampler: usize,
    pub blocks: usize,
    /// Resampler and blocks: what stage 3 trains.
    pub trained: usize,
    /// Encoder and LM: frozen in stage 3.
    pub frozen: usize,
}

/// Token sequences right-padded with `<pad>` to the longest: `[b, T]`.
pub fn token_tensor(sequences: &[Vec<u32>], device: &Device) -> Tensor<2, Int> {
    let len = sequences.iter().map(Vec::len).max().unwrap_or(0);
    assert!(
        (1..=MAX_LEN).contains(&len),
        "sequences of 1..={MAX_LEN} tokens"
    );
    let flat = sequences
        .iter()
        .flat_map(|s| {
            s.iter()
                .map(|&t| t as i64)
                .chain(std::iter::repeat_n(PAD as i64, len - s.len()))
        })
        .collect();
    Tensor::from_data(TensorData::new(flat, [sequences.len(), len]), device)
}

/// Token sequences with their pictures, padded to one length: a model's input.
#[derive(Debug, Clone)]
pub struct Batch {
    /// `[b, T]`, right-padded with `<pad>`.
    pub tokens: Tensor<2, Int>,
    /// The ids before padding.
    pub ids: Vec<Vec<u32>>,
    /// `[n, 3, 32, 32]`: every sequence's pictures, in order.
    pub pixels: Tensor<4>,
    /// Pictures per sequence.
    pub counts: Vec<usize>,
}

impl Batch {
    /// # Panics
    /// If a sequence's `<image>` markers and pictures differ in number, or a sequence
    /// is empty or longer than the LM's positions.
    pub fn new(sequences: &[(&[u32], &[Picture])], device: &Device) -> Batch {
        let tokens: Vec<&[u32]> = sequences.iter().map(|(t, _)| *t).collect();
        let text = Batch::text(&tokens, device);
        let mut pictures = Vec::new();
        for ((_, seq_pictures), &markers) in sequences.iter().zip(&text.counts) {
            assert_eq!(markers, seq_pictures.len(), "one picture per <image>");
            pictures.extend(seq_pictures.iter().cloned());
        }
        Batch {
            pixels: pixels(&pictures, device),
            ..text
        }
    }

    /// The tokens alone, for [`MiniFlamingo::decode`] with visual tokens made already
    /// (by [`MiniFlamingo::media`] of a batch that had the pictures): no pixels are made,
    /// so this batch's own `media` has none to encode.
    pub fn text(sequences: &[&[u32]], device: &Device) -> Batch {
        let ids: Vec<Vec<u32>> = sequences.iter().map(|t| t.to_vec()).collect();
        Batch {
            tokens: token_tensor(&ids, device),
            counts: ids
                .iter()
                .map(|t| t.iter().filter(|&&x| x == IMAGE).count())
                .collect(),
            ids,
            pixels: pixels(&[], device),
        }
    }

    /// `media_locations` rows, padded like the tokens.
    pub fn media_locations(&self) -> Vec<Vec<bool>> {
        let len = self.tokens.dims()[1];
        self.ids
            .iter()
            .map(|ids| (0..len).map(|i| ids.get(i) == Some(&IMAGE)).collect())
            .collect()
    }
}

/// A forward's results, with what the page draws.
#[derive(Debug, Clone)]
pub struct Output {
    /// `[b, T, vocab]`.
    pub logits: Tensor<3>,
    /// After each LM layer (and the block before it, if any): `[b, T, dim]`, for the logit lens.
    pub hidden: Vec<Tensor<3>>,
    /// Per block, the text's attention over visual tokens, `[b, heads, T, T_img·K]`.
    pub cross_attention: Vec<Tensor<4>>,
    /// Per block, its input (the language model's own hidden state) and its output,
    /// `[b, T, dim]`: how much the picture changed the text.
    pub block_io: Vec<(Tensor<3>, Tensor<3>)>,
    /// Per resampler layer, the latents' attention, `[1, heads, n, K, 64 + K]`.
    pub resampler_attention: Vec<Tensor<5>>,
}

impl Bridge {
    /// Both gates' parameter ids of every block: what the fast-gate ablation steps apart.
    pub fn gate_ids(&self) -> Vec<ParamId> {
        self.blocks
            .iter()
            .flat_map(|b| [b.attn_gate.id, b.ff_gate.id])
            .collect()
    }

    /// What each block's attention and feed-forward are multiplied by under `gating`:
    /// `[tanh(scale·attn_gate), tanh(scale·ff_gate)]` for tanh gates.
    pub fn gates(&self, gating: Gating) -> Vec<[Tensor<1>; 2]> {
        self.blocks
            .iter()
            .map(|b| [b.attn_gate.val(), b.ff_gate.val()].map(|alpha| gating.weight(alpha)))
            .collect()
    }
}

impl MiniFlamingo {
    pub fn parameters(&self) -> Parameters {
        let (encoder, lm) = (self.encoder.num_params(), self.lm.num_params());
        let resampler = self.bridge.resampler.num_params();
        let blocks = self.bridge.blocks.num_params();
        Parameters {
            encoder,
            lm,
            resampler,
            blocks,
            trained: resampler + blocks,
            frozen: encoder + lm,
        }
    }

    /// Where the weights live.
    pub fn device(&self) -> Device {
        self.devices()
            .into_iter()
            .next()
            .expect("a model has parameters")
    }

    /// The block inserted before LM layer `i`, if any.
    fn block_before(&self, i: usize) -> Option<&GatedCrossAttentionBlock> {
        (i + 1)
            .is_multiple_of(self.cross_attn_every)
            .then(|| self.bridge.blocks.get((i + 1) / self.cross_attn_every - 1))
            .flatten()
    }

    /// Per sequence, its visual tokens: `[b, T_img, K, dim]`, T_img the most any
    /// sequence has; missing images are zeros the mask never lets a token see.
    /// Also the resampler's attention for display.
    pub fn media(&self, batch: &Batch) -> (Tensor<4>, Vec<Tensor<5>>) {
        self.resample(self.encoder.forward(batch.pixels.clone()), &batch.counts)
    }

    /// [`MiniFlamingo::media`] from the encoder's patch features of every picture,
    /// `[n, 64, dim]`, and the pictures per sequence.
    pub fn resample(&self, patches: Tensor<3>, counts: &[usize]) -> (Tensor<4>, Vec<Tensor<5>>) {
        let [n, v, d] = patches.dims();
        debug_assert_eq!(v, GRID * GRID);
        let resampled = self
            .bridge
            .resampler
            .forward_traced(patches.reshape([1, n, 1, v, d]));
        let [_, _, k, _] = resampled.latents.dims();
        let device = resampled.latents.device();
        let rows = Tensor::cat(
            vec![
                resampled.latents.reshape([n, k * d]),
                Tensor::zeros([1, k * d], &device),
            ],
            0,
        );
        let t_img = counts.iter().copied().max().unwrap_or(0).max(1);
        let mut index = Vec::with_capacity(counts.len() * t_img);
        let mut first = 0;
        for &count in counts {
            index.extend((0..t_img).map(|j| {
                if j < count {
                    (first + j) as i64
                } else {
                    n as i64
                }
            }));
            first += count;
        }
        let index =
            Tensor::<1, Int>::from_data(TensorData::new(index, [counts.len() * t_img]), &device);
        let media = rows.select(0, index).reshape([counts.len(), t_img, k, d]);
        (media, resampled.attention)
    }

    /// The Flamingo forward.
    pub fn forward(&self, batch: &Batch, gating: Gating) -> Output {
        let (media, resampler_attention) = self.media(batch);
        Output {
            resampler_attention,
            ..self.decode(batch, media, gating)
        }
    }

    /// The language model and its gated blocks reading visual tokens already made:
    /// the page keeps a picture's media while the gate scale moves. The output's
    /// `resampler_attention` is empty.
    pub fn decode(&self, batch: &Batch, media: Tensor<4>, gating: Gating) -> Output {
        let locations = batch.media_locations();
        let t = batch.tokens.dims()[1];
        let blocked = causal_mask(t, &batch.tokens.device());
        let mut x = self.lm.embed(batch.tokens.clone());
        let mut hidden = Vec::with_capacity(self.lm.depth());
        let mut cross_attention = Vec::new();
        let mut block_io = Vec::new();
        for i in 0..self.lm.depth() {
            if let Some(block) = self.block_before(i) {
                let out = block.forward_gated(x.clone(), media.clone(), &locations, gating);
                block_io.push((x, out.output.clone()));
                x = out.output;
                cross_attention.push(out.weights);
            }
            x = self.lm.layer(i, x, blocked.clone());
            hidden.push(x.clone());
        }
        Output {
            logits: self.lm.logits(x),
            hidden,
            cross_attention,
            block_io,
            resampler_attention: Vec::new(),
        }
    }

    /// Whether a gated block sits before LM layer `i`: where the logit lens marks one.
    pub fn has_block_before(&self, i: usize) -> bool {
        self.block_before(i).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flamingo::params;

    #[test]
    fn the_trained_part_counts_as_the_calculator_counts_it() {
        let config = MiniFlamingoConfig::new();
        let p = flamingo::seeded(0, &Device::flex(), |d| config.init(d)).parameters();
        assert_eq!(p.resampler as u64, params::resampler(&config.resampler()));
        assert_eq!(
            p.blocks as u64,
            config.num_blocks() as u64 * params::gated_block(&config.block())
        );
        assert_eq!(config.num_blocks(), 2);
        assert_eq!(
            p.trained + p.frozen,
            p.encoder + p.lm + p.resampler + p.blocks
        );
    }

    #[test]
    fn blocks_sit_before_every_second_layer() {
        let model = flamingo::seeded(0, &Device::flex(), |d| MiniFlamingoConfig::new().init(d));
        let before: Vec<bool> = (0..4).map(|i| model.block_before(i).is_some()).collect();
        assert_eq!(before, [false, true, false, true]);
    }
}
