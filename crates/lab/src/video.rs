//! The video demonstration: one picture as a clip of identical frames through a
//! seeded resampler, per frame or flattened, with and without temporal embeddings.

use flamingo::burn::tensor::{Device, Tensor, TensorData};
use flamingo::{PerceiverResamplerConfig, seeded};

use crate::bounds;
use crate::lab::{SEED, read};
use crate::stand_in::{grid, patch_features};

/// How a clip's frames reach the resampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoMode {
    /// Each frame resampled on its own (frames on helpers.py's T axis, media-time
    /// embeddings): T·K tokens, the count the lesson gives.
    PerFrame,
    /// Frames flattened into one set of keys (helpers.py's F axis, frame embeddings):
    /// K tokens for the clip, as the Flamingo paper describes.
    Flattened,
}

/// The video demonstration's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    /// Visual tokens for the clip, read from the output's shape.
    pub tokens: usize,
    /// Last layer's attention, mean over heads, `rows × cols`.
    pub attention: Vec<f32>,
    /// Rows of `attention`.
    pub rows: usize,
    /// Columns of `attention`.
    pub cols: usize,
    /// Patches per frame.
    pub patches: usize,
    /// How far frame 2's result is from frame 1's (tokens, or attention on its
    /// patches); `None` for a single frame.
    pub frame_diff: Option<f32>,
}

/// Latents, depth and width of the video demonstration: the classroom size.
pub const CLIP_MODEL: (usize, usize, usize) = (8, 2, 64);
/// Patch size of the video demonstration: a 224 px frame gives 7 × 7 patches.
pub const CLIP_PATCH: usize = 32;

/// One frame's patch features for the video demonstration, and how many patches.
pub fn clip_features(rgba: &[u8], size: usize) -> (Vec<f32>, usize) {
    (
        patch_features(rgba, size, CLIP_PATCH, CLIP_MODEL.2, SEED),
        grid(size, CLIP_PATCH).pow(2),
    )
}
/// Most frames the clip can have.
pub const MAX_FRAMES: usize = 8;

/// A clip of `frames` copies of one picture's patch features (`n × width`, width
/// `CLIP_MODEL.2`): identical frames, so only the temporal embeddings can tell them apart.
pub async fn clip(
    device: &Device,
    features: &[f32],
    n: usize,
    frames: usize,
    mode: VideoMode,
    embeddings: bool,
) -> Result<Clip, String> {
    let (k, depth, dim) = CLIP_MODEL;
    let frames = frames.clamp(1, MAX_FRAMES);
    let (heads, dim_head) = bounds::heads(dim);
    let config = PerceiverResamplerConfig::new(dim)
        .with_depth(depth)
        .with_heads(heads)
        .with_dim_head(dim_head)
        .with_num_latents(k)
        .with_max_num_frames(Some(MAX_FRAMES))
        .with_max_num_media(Some(MAX_FRAMES));
    let model = seeded(SEED + 7, device, |d| config.init(d));
    let model = if embeddings {
        model
    } else {
        model.without_time_embeddings()
    };
    let data: Vec<f32> = (0..frames).flat_map(|_| features.iter().copied()).collect();
    let x = Tensor::<1>::from_data(TensorData::new(data, [frames * n * dim]), device);
    let (t, f) = match mode {
        VideoMode::PerFrame => (frames, 1),
        VideoMode::Flattened => (1, frames),
    };
    let out = model.forward_traced(x.reshape([1, t, f, n, dim]));
    let tokens = out.latents.dims()[1] * out.latents.dims()[2];
    let weights = out.attention[depth - 1]
        .clone()
        .mean_dim(1)
        .narrow(4, 0, f * n)
        .reshape([1, t * k, f * n]);
    let attention = read(weights).await?;
    let frame_diff = match (mode, frames) {
        (_, 1) => None,
        (VideoMode::PerFrame, _) => {
            let latents = read(out.latents.reshape([1, t * k, dim])).await?;
            let block = k * dim;
            Some(max_abs_diff(&latents[..block], &latents[block..2 * block]))
        }
        (VideoMode::Flattened, _) => {
            let cols = f * n;
            let (first, second): (Vec<f32>, Vec<f32>) = (0..k)
                .flat_map(|r| (0..n).map(move |c| (r, c)))
                .map(|(r, c)| (attention[r * cols + c], attention[r * cols + n + c]))
                .unzip();
            Some(max_abs_diff(&first, &second))
        }
    };
    Ok(Clip {
        tokens,
        attention,
        rows: t * k,
        cols: f * n,
        patches: n,
        frame_diff,
    })
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
