//! The computation behind the page: a seeded resampler and gated block from
//! `crates/flamingo`, run on the chosen device, read back asynchronously. No DOM here.

use flamingo::burn::tensor::{Device, Tensor, TensorData};
use flamingo::{
    GatedCrossAttentionBlock, GatedCrossAttentionBlockConfig, Interleaved, MaskRule,
    PerceiverResampler, PerceiverResamplerConfig, seeded,
};

use crate::stand_in::{grid, patch_features, token_embeddings};

/// Width of patch features, latents and the toy language model.
pub const DIM: usize = 64;
/// Heads of every attention.
pub const HEADS: usize = 4;
/// Width of one head.
pub const DIM_HEAD: usize = 16;
/// Side of the sample images, in pixels.
pub const IMAGE_SIZE: usize = 224;
const SEED: u64 = 2022;

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Latents K.
    pub k: usize,
    /// Resampler depth.
    pub depth: usize,
    /// Patch size in pixels.
    pub patch: usize,
    /// Raw gates.
    pub alpha: f32,
    /// Raw feed-forward gate.
    pub ff: f32,
    /// The prompt.
    pub prompt: Interleaved,
    /// Mask rule.
    pub mode: MaskRule,
    /// Resampler layer to show (0-based).
    pub layer: usize,
    /// Head to show, or `None` for the mean over heads.
    pub head: Option<usize>,
}

/// What the page draws, all from one forward.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Patches N of the resampler's image.
    pub patches: usize,
    /// Patches per side.
    pub grid: usize,
    /// Latents K.
    pub k: usize,
    /// `K × N` attention of the latents to the patches (selected layer and head).
    pub resampler_attention: Vec<f32>,
    /// Tokens of the sequence.
    pub tokens: usize,
    /// Images in the sequence.
    pub images: usize,
    /// `tokens × images·K` cross-attention, mean over heads.
    pub cross_attention: Vec<f32>,
    /// max |y − x| over the block.
    pub identity_diff: f32,
    /// ‖y − x‖ / ‖x‖.
    pub visual_share: f32,
}

/// Models, inputs and the device they live on.
pub struct Lab {
    device: Device,
    samples: Vec<Vec<u8>>,
    resampler: Option<((usize, usize), PerceiverResampler)>,
    block: Option<(MaskRule, GatedCrossAttentionBlock)>,
    /// Patch features of every sample for one patch size: they change with the
    /// patch slider only, not with the gates or K.
    features: Option<(usize, Vec<Vec<f32>>)>,
}

async fn read(t: Tensor<3>) -> Result<Vec<f32>, String> {
    let data: TensorData = t
        .into_data_async()
        .await
        .map_err(|e| format!("readback failed: {e:?}"))?;
    data.try_to_vec::<f32>()
        .map_err(|e| format!("readback failed: {e:?}"))
}

impl Lab {
    /// `samples` are `IMAGE_SIZE²` RGBA pictures; sequence image `i` shows sample `i % len`.
    pub fn new(device: Device, samples: Vec<Vec<u8>>) -> Self {
        assert!(!samples.is_empty(), "at least one sample image");
        Self {
            device,
            samples,
            resampler: None,
            block: None,
            features: None,
        }
    }

    fn resampler(&mut self, k: usize, depth: usize) -> &PerceiverResampler {
        if self
            .resampler
            .as_ref()
            .is_none_or(|(key, _)| *key != (k, depth))
        {
            let config = PerceiverResamplerConfig::new(DIM)
                .with_depth(depth)
                .with_heads(HEADS)
                .with_dim_head(DIM_HEAD)
                .with_num_latents(k);
            let model = seeded(SEED + (k * 7 + depth) as u64, &self.device, |d| {
                config.init(d)
            });
            self.resampler = Some(((k, depth), model));
        }
        &self.resampler.as_ref().expect("just built").1
    }

    fn block(&mut self, mode: MaskRule) -> GatedCrossAttentionBlock {
        if self.block.as_ref().is_none_or(|(m, _)| *m != mode) {
            let config = GatedCrossAttentionBlockConfig::new(DIM, DIM)
                .with_heads(HEADS)
                .with_dim_head(DIM_HEAD)
                .with_only_attend_immediate_media(mode == MaskRule::MostRecent);
            // Same seed for both rules: only the mask differs.
            self.block = Some((mode, seeded(SEED + 1, &self.device, |d| config.init(d))));
        }
        self.block.as_ref().expect("just built").1.clone()
    }

    /// One forward of everything the page shows.
    pub async fn run(&mut self, r: &Request) -> Result<Frame, String> {
        let g = grid(IMAGE_SIZE, r.patch);
        let n = g * g;
        let frames = r.prompt.media_frames();
        let t_img = frames.len().max(1);
        // Image j of the sequence, frame f: sample (j + f) % samples. Image 0 is the resampler panel's.
        if self
            .features
            .as_ref()
            .is_none_or(|(patch, _)| *patch != r.patch)
        {
            let per_sample = self
                .samples
                .iter()
                .map(|s| patch_features(s, IMAGE_SIZE, r.patch, DIM, SEED))
                .collect();
            self.features = Some((r.patch, per_sample));
        }
        let per_sample = &self.features.as_ref().expect("just computed").1;
        let mut features = Vec::with_capacity(t_img * n * DIM);
        let max_frames = frames.iter().copied().max().unwrap_or(1);
        for j in 0..t_img {
            for f in 0..max_frames {
                features.extend_from_slice(&per_sample[(j + f) % per_sample.len()]);
            }
        }
        let device = self.device.clone();
        let x = Tensor::<1>::from_data(
            TensorData::new(features, [t_img * max_frames * n * DIM]),
            &device,
        )
        .reshape([1, t_img, max_frames, n, DIM]);
        let resampler = self.resampler(r.k, r.depth);
        let out = resampler.forward_traced(x);
        let layer = r.layer.min(out.attention.len() - 1);
        // [1, heads, T, K, F·N + K] → image 0, first frame's patches.
        let weights = out.attention[layer]
            .clone()
            .narrow(2, 0, 1)
            .narrow(4, 0, n)
            .reshape([HEADS, r.k, n]);
        let weights = match r.head {
            Some(h) => weights.narrow(0, h.min(HEADS - 1), 1),
            None => weights.mean_dim(0),
        };

        let words: Vec<String> = r
            .prompt
            .segments
            .iter()
            .map(|s| match s {
                flamingo::Segment::Text(w) => w.clone(),
                flamingo::Segment::Media { .. } => "<image>".into(),
            })
            .collect();
        let tokens = words.len();
        let embeddings = token_embeddings(&words, DIM, SEED);
        let x =
            Tensor::<1>::from_data(TensorData::new(embeddings.clone(), [tokens * DIM]), &device)
                .reshape([1, tokens, DIM]);
        let media = out.latents;
        let block = self.block(r.mode).with_gates(r.alpha, r.ff);
        let xattn = block.forward(x, media, &[r.prompt.media_locations()]);
        let cross = xattn.weights.mean_dim(1).reshape([1, tokens, t_img * r.k]);

        let resampler_attention = read(weights).await?;
        let cross_attention = read(cross).await?;
        // Readouts on the host, from the block's own output: no second pass, no device reduction.
        let y = read(xattn.output).await?;
        let (identity_diff, visual_share) = readouts(&embeddings, &y);
        Ok(Frame {
            patches: n,
            grid: g,
            k: r.k,
            resampler_attention,
            tokens,
            images: if frames.is_empty() { 0 } else { t_img },
            cross_attention: if frames.is_empty() {
                Vec::new()
            } else {
                cross_attention
            },
            identity_diff,
            visual_share,
        })
    }
}

/// max |y − x| and ‖y − x‖ / ‖x‖. With both gates at 0, y is x bit for bit and the first is exactly 0.
pub fn readouts(x: &[f32], y: &[f32]) -> (f32, f32) {
    let (mut max, mut diff, mut norm) = (0f32, 0f64, 0f64);
    for (a, b) in x.iter().zip(y) {
        let d = b - a;
        max = max.max(d.abs());
        diff += (d as f64).powi(2);
        norm += (*a as f64).powi(2);
    }
    (max, (diff.sqrt() / norm.sqrt()) as f32)
}
