//! The computation behind the page: a seeded resampler and gated block from
//! `crates/flamingo`, run on the chosen device, read back asynchronously. No DOM here.

use flamingo::burn::tensor::{Device, Tensor, TensorData};
use flamingo::{
    GatedCrossAttentionBlock, GatedCrossAttentionBlockConfig, Interleaved, MaskRule,
    PerceiverResampler, PerceiverResamplerConfig, ResamplerOutput, seeded,
};

use crate::auto_pick::Workload;
use crate::stand_in::{grid, patch_features, token_embeddings};
use crate::url_state::bounds;

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
    /// Side of the picture in pixels.
    pub size: usize,
    /// Width of features, latents and the toy language model.
    pub width: usize,
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

impl Request {
    /// The shapes that set this request's cost.
    pub fn workload(&self) -> Workload {
        let g = grid(self.size, self.patch);
        let frames = self.prompt.media_frames();
        Workload {
            k: self.k,
            depth: self.depth,
            patches: g * g * frames.iter().copied().max().unwrap_or(1),
            images: frames.len().max(1),
            tokens: self.prompt.segments.len(),
            dim: self.width,
        }
    }
}

/// What the page draws, all from one forward.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Patches N of the resampler's image.
    pub patches: usize,
    /// Patches per side.
    pub grid: usize,
    /// Tokens per image out of the resampler, read from its output's shape.
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

/// The sample pictures, decoded at one side length.
#[derive(Clone)]
pub struct Pictures {
    /// Side in pixels.
    pub size: usize,
    /// `size²` RGBA pictures; sequence image `i` shows picture `i % len`.
    pub rgba: Vec<Vec<u8>>,
}

/// What the resampler's output depends on; the gates and the mask rule are not in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ResamplerKey {
    width: usize,
    k: usize,
    depth: usize,
    patch: usize,
    size: usize,
    images: usize,
    frames: usize,
}

/// Models, inputs and the device they live on.
pub struct Lab {
    device: Device,
    pictures: Vec<Pictures>,
    resampler: Option<((usize, usize, usize), PerceiverResampler)>,
    block: Option<((MaskRule, usize), GatedCrossAttentionBlock)>,
    /// Patch features of every picture for one patch size, side and width: they
    /// change with those controls only, not with the gates or K.
    features: Option<((usize, usize, usize), Vec<Vec<f32>>)>,
    /// The last resampler output: moving a gate or the rule does not rerun it.
    resampled: Option<(ResamplerKey, ResamplerOutput)>,
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
    /// A lab reading `pictures`, one set per side length the page offers.
    pub fn new(device: Device, pictures: Vec<Pictures>) -> Self {
        assert!(
            pictures.iter().all(|p| !p.rgba.is_empty()),
            "at least one picture per size"
        );
        Self {
            device,
            pictures,
            resampler: None,
            block: None,
            features: None,
            resampled: None,
        }
    }

    fn resampler(&mut self, width: usize, k: usize, depth: usize) -> &PerceiverResampler {
        if self
            .resampler
            .as_ref()
            .is_none_or(|(key, _)| *key != (width, k, depth))
        {
            let (heads, dim_head) = bounds::heads(width);
            let config = PerceiverResamplerConfig::new(width)
                .with_depth(depth)
                .with_heads(heads)
                .with_dim_head(dim_head)
                .with_num_latents(k);
            let seed = SEED + (width * 1000 + k * 7 + depth) as u64;
            let model = seeded(seed, &self.device, |d| config.init(d));
            self.resampler = Some(((width, k, depth), model));
        }
        &self.resampler.as_ref().expect("just built").1
    }

    fn block(&mut self, mode: MaskRule, width: usize) -> GatedCrossAttentionBlock {
        if self
            .block
            .as_ref()
            .is_none_or(|(key, _)| *key != (mode, width))
        {
            let (heads, dim_head) = bounds::heads(width);
            let config = GatedCrossAttentionBlockConfig::new(width, width)
                .with_heads(heads)
                .with_dim_head(dim_head)
                .with_only_attend_immediate_media(mode == MaskRule::MostRecent);
            // Same seed for both rules: only the mask differs.
            let seed = SEED + 1 + width as u64;
            self.block = Some((
                (mode, width),
                seeded(seed, &self.device, |d| config.init(d)),
            ));
        }
        self.block.as_ref().expect("just built").1.clone()
    }

    /// Patch features of every picture at this patch size and side.
    fn features(&mut self, patch: usize, size: usize, width: usize) -> Result<&[Vec<f32>], String> {
        if self
            .features
            .as_ref()
            .is_none_or(|(key, _)| *key != (patch, size, width))
        {
            let pictures = self
                .pictures
                .iter()
                .find(|p| p.size == size)
                .ok_or_else(|| format!("no {size} px pictures were loaded"))?;
            let per_picture = pictures
                .rgba
                .iter()
                .map(|rgba| patch_features(rgba, size, patch, width, SEED))
                .collect();
            self.features = Some(((patch, size, width), per_picture));
        }
        Ok(&self.features.as_ref().expect("just computed").1)
    }

    /// The resampler's output for every image of the sequence, reused while only
    /// the gates, the rule or the text change.
    fn resample(&mut self, r: &Request) -> Result<ResamplerOutput, String> {
        let n = grid(r.size, r.patch).pow(2);
        let media_frames = r.prompt.media_frames();
        let dim = r.width;
        let key = ResamplerKey {
            width: dim,
            k: r.k,
            depth: r.depth,
            patch: r.patch,
            size: r.size,
            images: media_frames.len().max(1),
            frames: media_frames.iter().copied().max().unwrap_or(1),
        };
        if let Some((cached, out)) = &self.resampled
            && *cached == key
        {
            return Ok(out.clone());
        }
        // Image j of the sequence, frame f: picture (j + f) % pictures. Image 0 is the resampler panel's.
        let per_picture = self.features(r.patch, r.size, dim)?;
        let mut features = Vec::with_capacity(key.images * key.frames * n * dim);
        for j in 0..key.images {
            for f in 0..key.frames {
                features.extend_from_slice(&per_picture[(j + f) % per_picture.len()]);
            }
        }
        let x = Tensor::<1>::from_data(
            TensorData::new(features, [key.images * key.frames * n * dim]),
            &self.device,
        )
        .reshape([1, key.images, key.frames, n, dim]);
        let out = self.resampler(dim, r.k, r.depth).forward_traced(x);
        self.resampled = Some((key, out.clone()));
        Ok(out)
    }

    /// One forward of everything the page shows.
    pub async fn run(&mut self, r: &Request) -> Result<Frame, String> {
        let g = grid(r.size, r.patch);
        let n = g * g;
        let frames = r.prompt.media_frames();
        let t_img = frames.len().max(1);
        let device = self.device.clone();
        let out = self.resample(r)?;
        let (heads, _) = bounds::heads(r.width);
        let dim = r.width;
        let layer = r.layer.min(out.attention.len() - 1);
        // [1, heads, T, K, F·N + K] → image 0, first frame's patches.
        let weights = out.attention[layer]
            .clone()
            .narrow(2, 0, 1)
            .narrow(4, 0, n)
            .reshape([heads, r.k, n]);
        let weights = match r.head {
            Some(h) => weights.narrow(0, h.min(heads - 1), 1),
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
        let embeddings = token_embeddings(&words, dim, SEED);
        let x =
            Tensor::<1>::from_data(TensorData::new(embeddings.clone(), [tokens * dim]), &device)
                .reshape([1, tokens, dim]);
        let media = out.latents;
        let tokens_per_image = media.dims()[2];
        let block = self.block(r.mode, dim).with_gates(r.alpha, r.ff);
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
            k: tokens_per_image,
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
