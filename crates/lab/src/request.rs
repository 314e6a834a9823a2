//! What the page asks a lab for and what comes back: the request, the frame it
//! draws, one lab's part of a forward, how images are split across labs, and the
//! readouts comparing the block's output with its input.

use flamingo::{GatedCrossAttentionBlockConfig, Interleaved, MaskRule, PerceiverResamplerConfig};

use crate::bounds;
use crate::stand_in::grid;

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
    /// Bytes `labs` labs sharing this request hold at their peak, estimated from their
    /// largest allocations (f32 each): each lab's seeded weights, which are built for
    /// the largest K and depth at this width, and its patch features of every sample
    /// picture; the sequence's media, their keys and values in every layer, every
    /// layer's attention (kept for the heatmap) and one layer's in flight, which the
    /// labs share out. What it leaves out (the language-model side, the frame's
    /// readouts) is small beside these.
    pub fn memory_estimate(&self, pictures: usize, labs: usize) -> u64 {
        let (heads, dim_head) = bounds::heads(self.width);
        let inner = (heads * dim_head) as u64;
        let width = self.width as u64;
        let resampler = flamingo::params::resampler(
            &PerceiverResamplerConfig::new(self.width)
                .with_depth(bounds::DEPTH.1)
                .with_heads(heads)
                .with_dim_head(dim_head)
                .with_num_latents(bounds::K.1),
        );
        let block = flamingo::params::gated_block(
            &GatedCrossAttentionBlockConfig::new(self.width, self.width)
                .with_heads(heads)
                .with_dim_head(dim_head),
        );
        let n = grid(self.size, self.patch).pow(2) as u64;
        let frames = self.prompt.media_frames();
        // As `resample` lays them out: every image with the longest clip's frame count.
        let media = (frames.len().max(1) * frames.iter().copied().max().unwrap_or(1)) as u64;
        let (k, depth, heads) = (self.k as u64, self.depth as u64, heads as u64);
        let features = pictures as u64 * n * width;
        let sequence = media * n * width;
        let keys = bounds::DEPTH.1 as u64 * media * (n + k) * 2 * inner;
        let attention = (depth + 1) * heads * media * k * (n + k);
        4 * (labs.max(1) as u64 * (resampler + block + features) + sequence + keys + attention)
    }

    /// How many of `most` labs may share this request within [`bounds::MEMORY_CAP`]:
    /// each holds its own weights, so a wide model is shared by fewer. At least one;
    /// whether one fits is the page's check before it asks.
    pub fn labs_within_cap(&self, pictures: usize, most: usize) -> usize {
        (1..=most.max(1))
            .rev()
            .find(|&labs| self.memory_estimate(pictures, labs) <= bounds::MEMORY_CAP)
            .unwrap_or(1)
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
    /// How the block's output compares with its input.
    pub readouts: Readouts,
}

/// The sample pictures, decoded at one side length.
#[derive(Clone)]
pub struct Pictures {
    /// Side in pixels.
    pub size: usize,
    /// `size²` RGBA pictures; sequence image `i` shows picture `i % len`.
    pub rgba: Vec<Vec<u8>>,
}

/// One lab's share of a forward: the resampler's output for a run of the sequence's
/// images. The resampler reads each image on its own (the lab's, like OpenFlamingo's,
/// has no media-time embeddings), so labs holding the same seeded weights can each
/// resample some of the images and one of them join the parts ([`Lab::join`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// The first image of the run.
    pub first: usize,
    /// Images in the run.
    pub images: usize,
    /// `images × K × width` visual tokens.
    pub latents: Vec<f32>,
    /// `K × N` attention of the latents to image 0's patches (selected layer and
    /// head); empty unless the run starts at image 0.
    pub attention: Vec<f32>,
}

/// Runs of images for `workers` labs: contiguous, in order, as even as they can be,
/// never empty, so at most `images` of them.
pub fn split(images: usize, workers: usize) -> Vec<(usize, usize)> {
    let parts = workers.clamp(1, images.max(1));
    let (base, extra) = (images / parts, images % parts);
    let mut first = 0;
    (0..parts)
        .map(|i| {
            let count = base + usize::from(i < extra);
            first += count;
            (first - count, count)
        })
        .collect()
}

/// The block's output y against its input x, the language model's own hidden state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Readouts {
    /// max |y − x|.
    pub max_diff: f32,
    /// ‖y − x‖ / ‖x‖.
    pub visual_share: f32,
    /// Values where y and x have the same bits.
    pub identical: usize,
    /// Values compared.
    pub values: usize,
}

impl Readouts {
    /// With both gates at 0, y is x bit for bit: `identical == values`.
    pub fn of(x: &[f32], y: &[f32]) -> Self {
        let (mut max, mut diff, mut norm, mut identical) = (0f32, 0f64, 0f64, 0);
        for (a, b) in x.iter().zip(y) {
            let d = b - a;
            max = max.max(d.abs());
            diff += (d as f64).powi(2);
            norm += (*a as f64).powi(2);
            identical += usize::from(a.to_bits() == b.to_bits());
        }
        Self {
            max_diff: max,
            visual_share: (diff.sqrt() / norm.sqrt()) as f32,
            identical,
            values: x.len().min(y.len()),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use flamingo::PerceiverResamplerConfig;

    use super::*;

    pub(crate) fn request(k: usize, alpha: f32) -> Request {
        Request {
            k,
            depth: 2,
            patch: 56,
            size: bounds::SIZES[0],
            width: 64,
            alpha,
            ff: alpha,
            prompt: Interleaved::parse("a <image> cat b <image> dog"),
            mode: MaskRule::MostRecent,
            layer: 1,
            head: None,
        }
    }

    #[test]
    fn the_memory_cap_refuses_only_the_largest_configurations() {
        let estimate = |width, k, depth, patch, size, images: usize| {
            let prompt = (0..images)
                .map(|_| "<image> a")
                .collect::<Vec<_>>()
                .join(" ");
            let r = Request {
                width,
                k,
                depth,
                patch,
                size,
                prompt: Interleaved::parse(&prompt),
                ..request(8, 1.0)
            };
            r.memory_estimate(3, 1)
        };
        let mb = |b: u64| b / (1 << 20);
        // The classroom size is small; the mid size the benchmarks use fits easily.
        assert!(mb(estimate(64, 8, 2, 16, 224, 2)) < 10);
        let mid = estimate(256, 64, 6, 16, 480, 3);
        assert!(bounds::over_memory_cap(mid).is_none(), "{} MB", mb(mid));
        // OpenFlamingo's width, every latent, the finest patches, eight images: refused.
        let largest = estimate(1024, 128, 6, 8, 480, 8);
        let refusal = bounds::over_memory_cap(largest).expect("over the cap");
        assert!(
            refusal.starts_with("This configuration needs about"),
            "{refusal}"
        );
        assert!(refusal.contains("1024 MB"), "{refusal}");
        // More of anything never needs less.
        assert!(estimate(1024, 128, 6, 8, 480, 4) < largest);
        assert!(estimate(1024, 64, 6, 8, 480, 8) < largest);
        assert!(estimate(1024, 128, 6, 16, 480, 8) < largest);
    }

    #[test]
    fn wide_models_are_shared_by_fewer_labs_each_holding_its_weights() {
        let r = |width, images: usize| Request {
            width,
            k: 64,
            depth: 6,
            patch: 16,
            size: 224,
            prompt: Interleaved::parse(&"<image> a ".repeat(images)),
            ..request(8, 1.0)
        };
        // Each lab adds its own weights and features; the sequence's share does not grow.
        let (one, two) = (
            r(1024, 4).memory_estimate(3, 1),
            r(1024, 4).memory_estimate(3, 2),
        );
        let weights = 4
            * (flamingo::params::resampler(
                &PerceiverResamplerConfig::new(1024)
                    .with_depth(6)
                    .with_heads(8)
                    .with_dim_head(64)
                    .with_num_latents(128),
            ));
        assert!(two - one > weights, "{one} {two} {weights}");
        // The mid size shares across every worker; OpenFlamingo's width across fewer than four.
        assert_eq!(r(256, 4).labs_within_cap(3, 4), 4);
        let wide = r(1024, 4).labs_within_cap(3, 4);
        assert!((1..4).contains(&wide), "{wide}");
        assert!(r(1024, 4).memory_estimate(3, wide) <= bounds::MEMORY_CAP);
        assert!(r(1024, 4).memory_estimate(3, wide + 1) > bounds::MEMORY_CAP);
        assert_eq!(r(256, 4).labs_within_cap(3, 0), 1);
    }

    #[test]
    fn split_gives_every_image_once_in_order_and_as_evenly_as_it_can() {
        assert_eq!(split(3, 2), vec![(0, 2), (2, 1)]);
        assert_eq!(split(8, 3), vec![(0, 3), (3, 3), (6, 2)]);
        assert_eq!(split(2, 8), vec![(0, 1), (1, 1)]);
        assert_eq!(split(1, 1), vec![(0, 1)]);
        assert_eq!(split(5, 0), vec![(0, 5)]);
        for images in 1..=8 {
            for workers in 1..=8 {
                let runs = split(images, workers);
                assert_eq!(runs.len(), images.min(workers));
                let counts: Vec<usize> = runs.iter().map(|r| r.1).collect();
                let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
                assert!(*lo >= 1 && hi - lo <= 1, "{runs:?}");
                let mut next = 0;
                for (first, count) in runs {
                    assert_eq!(first, next);
                    next += count;
                }
                assert_eq!(next, images);
            }
        }
    }
}
