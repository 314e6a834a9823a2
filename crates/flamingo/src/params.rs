//! Parameter counts from a configuration, and model presets with published figures.
//!
//! The counts follow the shapes of this crate's modules (OpenFlamingo's): every
//! Linear without bias, every LayerNorm with weight and bias, GELU feed-forwards of
//! width `ff_mult · dim`. The tests check them against the modules themselves.
//! Flamingo's own blocks differ in detail (squared-ReLU feed-forwards, other head
//! sizes), so its presets show the published figures beside ours rather than
//! claiming to match them.

use crate::cross_attention::GatedCrossAttentionBlockConfig;
use crate::perceiver::PerceiverResamplerConfig;

fn layer_norm(dim: usize) -> u64 {
    2 * dim as u64
}

fn feed_forward(dim: usize, ff_mult: usize) -> u64 {
    let (dim, hidden) = (dim as u64, (dim * ff_mult) as u64);
    layer_norm(dim as usize) + 2 * dim * hidden
}

/// Parameters of a [`PerceiverResampler`](crate::PerceiverResampler).
pub fn resampler(c: &PerceiverResamplerConfig) -> u64 {
    let (dim, inner) = (c.dim as u64, (c.dim_head * c.heads) as u64);
    // Two norms, to_q (dim→inner), to_kv (dim→2·inner), to_out (inner→dim).
    let attention = 2 * layer_norm(c.dim) + 4 * dim * inner;
    let embeddings =
        (c.num_latents + c.max_num_frames.unwrap_or(0) + c.max_num_media.unwrap_or(0)) as u64 * dim;
    embeddings + c.depth as u64 * (attention + feed_forward(c.dim, c.ff_mult)) + layer_norm(c.dim)
}

/// Parameters of one [`GatedCrossAttentionBlock`](crate::GatedCrossAttentionBlock).
pub fn gated_block(c: &GatedCrossAttentionBlockConfig) -> u64 {
    let (dim, visual, inner) = (
        c.dim as u64,
        c.dim_visual as u64,
        (c.dim_head * c.heads) as u64,
    );
    // norm, to_q (dim→inner), to_kv (visual→2·inner), to_out (inner→dim), two scalar gates.
    let attention = layer_norm(c.dim) + 2 * dim * inner + 2 * visual * inner;
    attention + 2 + feed_forward(c.dim, c.ff_mult)
}

/// How many gated blocks a language model of `layers` layers receives: OpenFlamingo
/// puts one before decoder layer `i` when `(i + 1) % cross_attn_every == 0`.
pub fn gated_block_count(layers: usize, cross_attn_every: usize) -> usize {
    assert!(
        cross_attn_every > 0,
        "cross-attention interval must be at least 1"
    );
    layers / cross_attn_every
}

/// Figures a paper or model card gives, for comparison with ours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Published {
    /// Total parameters as published.
    pub total: u64,
    /// Trained (resampler + gated blocks) parameters, where published.
    pub trained: Option<u64>,
    /// Where the figures come from.
    pub source: &'static str,
}

/// A whole model: frozen language model and vision encoder, trained bridge.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelPreset {
    /// Name, e.g. "OpenFlamingo-9B".
    pub name: &'static str,
    /// The frozen language model.
    pub lm_name: &'static str,
    /// Parameters of the frozen language model (as published for it).
    pub lm_params: u64,
    /// Hidden width of the language model.
    pub lm_width: usize,
    /// Decoder layers of the language model.
    pub lm_layers: usize,
    /// A gated block every this many layers.
    pub cross_attn_every: usize,
    /// The frozen vision encoder.
    pub vision_name: &'static str,
    /// Parameters of the frozen vision encoder (as published for it).
    pub vision_params: u64,
    /// Width of its patch features, which the resampler keeps.
    pub vision_width: usize,
    /// Resampler depth.
    pub resampler_depth: usize,
    /// Resampler latents K.
    pub num_latents: usize,
    /// Heads of every attention.
    pub heads: usize,
    /// Width of one head.
    pub dim_head: usize,
    /// What the paper or model card says.
    pub published: Published,
}

/// Frozen and trained parameters of a [`ModelPreset`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamCount {
    /// Language model and vision encoder: not trained.
    pub frozen: u64,
    /// The resampler.
    pub resampler: u64,
    /// All gated blocks together.
    pub gated_blocks: u64,
    /// How many gated blocks.
    pub gated_block_count: usize,
}

impl ParamCount {
    /// Resampler and gated blocks: what training updates.
    pub fn trained(&self) -> u64 {
        self.resampler + self.gated_blocks
    }

    /// Everything.
    pub fn total(&self) -> u64 {
        self.frozen + self.trained()
    }

    /// Trained share of the total, in [0, 1].
    pub fn trained_fraction(&self) -> f64 {
        self.trained() as f64 / self.total() as f64
    }
}

const OPENFLAMINGO: &str = "Awadalla et al., OpenFlamingo, arXiv:2308.01390, Table 1 (the total is the size in the model's name)";
const FLAMINGO: &str =
    "Alayrac et al., Flamingo, arXiv:2204.14198, appendix Table 5 (parameter counts)";
const CLIP_VIT_L14: (&str, u64, usize) = ("CLIP ViT-L/14", 304_000_000, 1024);
const NFNET_F6: (&str, u64, usize) = ("NFNet-F6", 435_000_000, 1536);

impl ModelPreset {
    /// The resampler this preset implies.
    pub fn resampler(&self) -> PerceiverResamplerConfig {
        PerceiverResamplerConfig::new(self.vision_width)
            .with_depth(self.resampler_depth)
            .with_num_latents(self.num_latents)
            .with_heads(self.heads)
            .with_dim_head(self.dim_head)
    }

    /// One gated block of this preset.
    pub fn gated_block(&self) -> GatedCrossAttentionBlockConfig {
        GatedCrossAttentionBlockConfig::new(self.lm_width, self.vision_width)
            .with_heads(self.heads)
            .with_dim_head(self.dim_head)
    }

    /// The same model with a language model of another width and depth. The frozen
    /// LM's parameters scale with layers × width², as a transformer layer's do
    /// (about 12·d² each); the published size is the starting point.
    pub fn with_lm_shape(mut self, width: usize, layers: usize) -> Self {
        let scale = (layers * width * width) as f64
            / (self.lm_layers * self.lm_width * self.lm_width) as f64;
        self.lm_params = (self.lm_params as f64 * scale).round() as u64;
        self.lm_width = width;
        self.lm_layers = layers;
        self
    }

    /// Counts with this crate's module shapes.
    pub fn count(&self) -> ParamCount {
        let blocks = gated_block_count(self.lm_layers, self.cross_attn_every);
        ParamCount {
            frozen: self.lm_params + self.vision_params,
            resampler: resampler(&self.resampler()),
            gated_blocks: blocks as u64 * gated_block(&self.gated_block()),
            gated_block_count: blocks,
        }
    }

    /// OpenFlamingo-3B: CLIP ViT-L/14 and MPT-1B (2048 wide, 24 layers), a block every layer.
    pub fn openflamingo_3b() -> Self {
        Self::openflamingo(
            "OpenFlamingo-3B",
            "MPT-1B",
            1_300_000_000,
            2048,
            24,
            1,
            3_000_000_000,
        )
    }

    /// OpenFlamingo-4B: RedPajama-INCITE-3B (2560 wide, 32 layers), a block every second layer.
    pub fn openflamingo_4b() -> Self {
        Self::openflamingo(
            "OpenFlamingo-4B",
            "RedPajama-INCITE-3B",
            2_800_000_000,
            2560,
            32,
            2,
            4_000_000_000,
        )
    }

    /// OpenFlamingo-9B: MPT-7B (4096 wide, 32 layers), a block every fourth layer.
    pub fn openflamingo_9b() -> Self {
        Self::openflamingo(
            "OpenFlamingo-9B",
            "MPT-7B",
            6_700_000_000,
            4096,
            32,
            4,
            9_000_000_000,
        )
    }

    fn openflamingo(
        name: &'static str,
        lm_name: &'static str,
        lm_params: u64,
        lm_width: usize,
        lm_layers: usize,
        cross_attn_every: usize,
        total: u64,
    ) -> Self {
        let (vision_name, vision_params, vision_width) = CLIP_VIT_L14;
        Self {
            name,
            lm_name,
            lm_params,
            lm_width,
            lm_layers,
            cross_attn_every,
            vision_name,
            vision_params,
            vision_width,
            resampler_depth: 6,
            num_latents: 64,
            heads: 8,
            dim_head: 64,
            published: Published {
                total,
                trained: None,
                source: OPENFLAMINGO,
            },
        }
    }

    /// Flamingo-3B: Chinchilla-style 1.4B LM (2048 wide, 24 layers), a block every layer.
    pub fn flamingo_3b() -> Self {
        Self::flamingo(
            "Flamingo-3B",
            1_400_000_000,
            2048,
            24,
            1,
            16,
            3_200_000_000,
            194_000_000 + 1_200_000_000,
        )
    }

    /// Flamingo-9B: 7B LM (4096 wide, 40 layers), a block every fourth layer.
    pub fn flamingo_9b() -> Self {
        Self::flamingo(
            "Flamingo-9B",
            7_100_000_000,
            4096,
            40,
            4,
            32,
            9_300_000_000,
            194_000_000 + 1_600_000_000,
        )
    }

    /// Flamingo (80B): Chinchilla 70B (8192 wide, 80 layers), a block every seventh layer.
    pub fn flamingo_80b() -> Self {
        Self::flamingo(
            "Flamingo-80B",
            70_000_000_000,
            8192,
            80,
            7,
            64,
            80_000_000_000,
            194_000_000 + 10_000_000_000,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn flamingo(
        name: &'static str,
        lm_params: u64,
        lm_width: usize,
        lm_layers: usize,
        cross_attn_every: usize,
        heads: usize,
        total: u64,
        trained: u64,
    ) -> Self {
        let (vision_name, vision_params, vision_width) = NFNET_F6;
        Self {
            name,
            lm_name: "Chinchilla-style LM",
            lm_params,
            lm_width,
            lm_layers,
            cross_attn_every,
            vision_name,
            vision_params,
            vision_width,
            resampler_depth: 6,
            num_latents: 64,
            heads,
            dim_head: 128,
            published: Published {
                total,
                trained: Some(trained),
                source: FLAMINGO,
            },
        }
    }

    /// Every preset, in the order the page lists them.
    pub fn all() -> Vec<Self> {
        vec![
            Self::openflamingo_3b(),
            Self::openflamingo_4b(),
            Self::openflamingo_9b(),
            Self::flamingo_3b(),
            Self::flamingo_9b(),
            Self::flamingo_80b(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeded;
    use burn::module::Module;
    use burn::tensor::Device;

    #[test]
    fn counts_equal_the_modules_built() {
        let device = Device::flex();
        let configs = [
            PerceiverResamplerConfig::new(24)
                .with_depth(2)
                .with_heads(3)
                .with_dim_head(5)
                .with_num_latents(7),
            PerceiverResamplerConfig::new(16)
                .with_depth(1)
                .with_num_latents(3)
                .with_max_num_media(Some(4))
                .with_max_num_frames(Some(6))
                .with_ff_mult(2),
        ];
        for c in configs {
            assert_eq!(
                resampler(&c),
                seeded(0, &device, |d| c.init(d)).num_params() as u64,
                "{c:?}"
            );
        }
        let block = GatedCrossAttentionBlockConfig::new(20, 12)
            .with_heads(2)
            .with_dim_head(6)
            .with_ff_mult(3);
        assert_eq!(
            gated_block(&block),
            seeded(0, &device, |d| block.init(d)).num_params() as u64
        );
    }

    #[test]
    fn openflamingo_reference_figures() {
        // From the shapes in helpers.py: resampler at width 1024, depth 6, K 64, 8×64 heads.
        assert_eq!(resampler(&PerceiverResamplerConfig::new(1024)), 63_019_008);
        for d in [2048u64, 2560, 4096] {
            let c = GatedCrossAttentionBlockConfig::new(d as usize, 1024);
            assert_eq!(gated_block(&c), 8 * d * d + 1028 * d + 1_048_578);
        }
        let blocks: Vec<usize> = [
            ModelPreset::openflamingo_3b(),
            ModelPreset::openflamingo_4b(),
            ModelPreset::openflamingo_9b(),
        ]
        .iter()
        .map(|p| p.count().gated_block_count)
        .collect();
        assert_eq!(blocks, [24, 16, 8]);
    }

    #[test]
    fn a_resized_lm_scales_its_frozen_count_and_its_blocks() {
        let base = ModelPreset::openflamingo_9b();
        let same = base.clone().with_lm_shape(base.lm_width, base.lm_layers);
        assert_eq!(same, base);
        let wide = base
            .clone()
            .with_lm_shape(2 * base.lm_width, base.lm_layers / 2);
        assert_eq!(wide.lm_params, 2 * base.lm_params);
        assert_eq!(wide.count().gated_block_count, 4);
        assert_eq!(
            wide.count().gated_blocks,
            4 * gated_block(&GatedCrossAttentionBlockConfig::new(8192, 1024))
        );
    }

    #[test]
    fn presets_land_near_their_published_totals() {
        for preset in ModelPreset::all() {
            let count = preset.count();
            let ratio = count.total() as f64 / preset.published.total as f64;
            assert!(
                (0.8..1.25).contains(&ratio),
                "{}: ours {} vs published {}",
                preset.name,
                count.total(),
                preset.published.total
            );
            assert!(count.trained_fraction() > 0.0 && count.trained_fraction() < 0.5);
        }
    }
}
