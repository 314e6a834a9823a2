//! A seeded resampler and gated block from `crates/flamingo`, run on one device and
//! read back asynchronously, with caches so a slider recomputes only what it changes.

use flamingo::burn::tensor::{Device, Tensor, TensorData};
use flamingo::{
    GatedCrossAttentionBlock, GatedCrossAttentionBlockConfig, Interleaved, MaskRule, MediaKeys,
    PerceiverResampler, PerceiverResamplerConfig, ResamplerOutput, seeded,
};

use crate::bounds;
use crate::stand_in::{grid, patch_features, token_embeddings};

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

/// What the media's keys and values in the resampler depend on: not K, and a deeper
/// set serves a shallower resampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MediaKey {
    width: usize,
    patch: usize,
    size: usize,
    /// The run of the sequence's images: the first and how many.
    first: usize,
    images: usize,
    frames: usize,
}

/// What the resampler's output depends on; the gates and the mask rule are not in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ResamplerKey {
    media: MediaKey,
    k: usize,
    depth: usize,
}

/// One `N × width` feature matrix per picture, row-major.
type PerPicture = Vec<Vec<f32>>;

/// Models, inputs and the device they live on.
pub struct Lab {
    device: Device,
    pictures: Vec<Pictures>,
    /// The widest resampler the controls allow (K and depth at their maxima), per width.
    resampler: Option<(usize, PerceiverResampler)>,
    block: Option<((MaskRule, usize), GatedCrossAttentionBlock)>,
    /// Patch features of every picture for one patch size, side and width: they
    /// change with those controls only, not with the gates or K.
    features: Option<((usize, usize, usize), PerPicture)>,
    /// Every layer's keys and values of the media: moving K does not recompute them.
    media_keys: Option<(MediaKey, MediaKeys)>,
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
            media_keys: None,
            resampled: None,
        }
    }

    /// The resampler for K latents and `depth` layers: the first ones of one seeded
    /// resampler per width, so moving K or the depth changes only that.
    fn resampler(&mut self, width: usize, k: usize, depth: usize) -> PerceiverResampler {
        if self.resampler.as_ref().is_none_or(|(w, _)| *w != width) {
            let (heads, dim_head) = bounds::heads(width);
            let config = PerceiverResamplerConfig::new(width)
                .with_depth(bounds::DEPTH.1)
                .with_heads(heads)
                .with_dim_head(dim_head)
                .with_num_latents(bounds::K.1);
            let seed = SEED + (width * 1000) as u64;
            let model = seeded(seed, &self.device, |d| config.init(d));
            self.resampler = Some((width, model));
        }
        self.resampler
            .as_ref()
            .expect("just built")
            .1
            .truncated(k, depth)
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
    /// the gates, the rule or the text change; its media keys are reused while only
    /// K changes or the depth goes down.
    fn resample(
        &mut self,
        r: &Request,
        first: usize,
        images: usize,
    ) -> Result<ResamplerOutput, String> {
        let media = MediaKey {
            width: r.width,
            patch: r.patch,
            size: r.size,
            first,
            images,
            frames: r.prompt.media_frames().iter().copied().max().unwrap_or(1),
        };
        let key = ResamplerKey {
            media,
            k: r.k,
            depth: r.depth,
        };
        if let Some((cached, out)) = &self.resampled
            && *cached == key
        {
            return Ok(out.clone());
        }
        let resampler = self.resampler(r.width, r.k, r.depth);
        let keys = match &self.media_keys {
            Some((cached, keys)) if *cached == media && keys.depth() >= r.depth => keys.clone(),
            _ => {
                let keys = resampler.media_keys(self.media(media)?);
                self.media_keys = Some((media, keys.clone()));
                keys
            }
        };
        let out = resampler.forward_traced_with(&keys);
        self.resampled = Some((key, out.clone()));
        Ok(out)
    }

    /// The run's patch features, `[1, images, frames, N, width]`. Image j of the
    /// sequence, frame f: picture (j + f) % pictures. Image 0 is the resampler panel's.
    fn media(&mut self, m: MediaKey) -> Result<Tensor<5>, String> {
        let n = grid(m.size, m.patch).pow(2);
        let per_picture = self.features(m.patch, m.size, m.width)?;
        let mut features = Vec::with_capacity(m.images * m.frames * n * m.width);
        for j in m.first..m.first + m.images {
            for f in 0..m.frames {
                features.extend_from_slice(&per_picture[(j + f) % per_picture.len()]);
            }
        }
        Ok(Tensor::<1>::from_data(
            TensorData::new(features, [m.images * m.frames * n * m.width]),
            &self.device,
        )
        .reshape([1, m.images, m.frames, n, m.width]))
    }

    /// One forward of everything the page shows: every image's part, joined here.
    pub async fn run(&mut self, r: &Request) -> Result<Frame, String> {
        let part = self.part(r, 0, images_of(r)).await?;
        self.join(r, &[part]).await
    }

    /// The resampler's output for `images` of the sequence's images from `first`.
    pub async fn part(&mut self, r: &Request, first: usize, images: usize) -> Result<Part, String> {
        let all = images_of(r);
        if images == 0 || first + images > all {
            return Err(format!(
                "images {first}..{} asked of a sequence with {all}",
                first + images
            ));
        }
        let n = grid(r.size, r.patch).pow(2);
        let out = self.resample(r, first, images)?;
        let (heads, _) = bounds::heads(r.width);
        let attention = if first == 0 {
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
            read(weights).await?
        } else {
            Vec::new()
        };
        let [_, _, k, width] = out.latents.dims();
        Ok(Part {
            first,
            images,
            latents: read(out.latents.reshape([1, images * k, width])).await?,
            attention,
        })
    }

    /// The frame from every image's part, in order (from this lab or others with the
    /// same seeded weights): the gated block reads the parts' visual tokens.
    pub async fn join(&mut self, r: &Request, parts: &[Part]) -> Result<Frame, String> {
        let g = grid(r.size, r.patch);
        let n = g * g;
        let frames = r.prompt.media_frames();
        let t_img = images_of(r);
        let dim = r.width;
        let in_order = parts
            .iter()
            .scan(0, |next, p| {
                let ok = p.first == *next && p.images > 0;
                *next += p.images;
                Some(ok)
            })
            .all(|ok| ok);
        let covered: usize = parts.iter().map(|p| p.images).sum();
        if !in_order || covered != t_img {
            return Err(format!(
                "the parts cover {covered} of {t_img} images, or not in order"
            ));
        }
        let latents: Vec<f32> = parts
            .iter()
            .flat_map(|p| p.latents.iter().copied())
            .collect();
        let tokens_per_image = latents.len() / (t_img * dim);
        if tokens_per_image * t_img * dim != latents.len()
            || parts[0].attention.len() != tokens_per_image * n
        {
            return Err("the parts' sizes do not match the request".into());
        }
        let device = self.device.clone();
        let media = Tensor::<1>::from_data(
            TensorData::new(latents, [t_img * tokens_per_image * dim]),
            &device,
        )
        .reshape([1, t_img, tokens_per_image, dim]);

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
        let block = self.block(r.mode, dim).with_gates(r.alpha, r.ff);
        let xattn = block.forward(x, media, &[r.prompt.media_locations()]);
        let cross = xattn
            .weights
            .mean_dim(1)
            .reshape([1, tokens, t_img * tokens_per_image]);

        let cross_attention = read(cross).await?;
        // Readouts on the host, from the block's own output: no second pass, no device reduction.
        let y = read(xattn.output).await?;
        let readouts = Readouts::of(&embeddings, &y);
        Ok(Frame {
            patches: n,
            grid: g,
            k: tokens_per_image,
            resampler_attention: parts[0].attention.clone(),
            tokens,
            images: if frames.is_empty() { 0 } else { t_img },
            cross_attention: if frames.is_empty() {
                Vec::new()
            } else {
                cross_attention
            },
            readouts,
        })
    }
}

/// Images the resampler reads for a request: one stands in where the prompt has none,
/// so the resampler panel always has a picture.
fn images_of(r: &Request) -> usize {
    r.prompt.media_frames().len().max(1)
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

#[cfg(test)]
mod tests {
    use mini::inference::resolved;

    use super::*;

    fn lab() -> Lab {
        let size = bounds::SIZES[0];
        let picture = |shift: usize| {
            (0..size * size * 4)
                .map(|i| ((i * 7 + shift) % 251) as u8)
                .collect()
        };
        Lab::new(
            Device::flex(),
            vec![Pictures {
                size,
                rgba: vec![picture(0), picture(90)],
            }],
        )
    }

    fn request(k: usize, alpha: f32) -> Request {
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
    fn a_frame_has_the_shapes_the_page_draws() {
        let frame = resolved(lab().run(&request(8, 1.0))).unwrap();
        assert_eq!((frame.grid, frame.patches, frame.k), (4, 16, 8));
        assert_eq!(frame.resampler_attention.len(), 8 * 16);
        assert_eq!((frame.tokens, frame.images), (6, 2));
        assert_eq!(frame.cross_attention.len(), 6 * 2 * 8);
        // Mean over heads of a softmax: each latent's row over patches and latents sums to 1,
        // so its patches' share is at most 1.
        for row in frame.resampler_attention.chunks(16) {
            let share: f32 = row.iter().sum();
            assert!(share > 0.0 && share <= 1.0 + 1e-6, "{share}");
        }
    }

    #[test]
    fn closed_gates_give_the_language_model_bit_for_bit() {
        let frame = resolved(lab().run(&request(8, 0.0))).unwrap();
        let r = frame.readouts;
        assert_eq!((r.identical, r.max_diff), (r.values, 0.0));
        let open = resolved(lab().run(&request(8, 1.0))).unwrap().readouts;
        assert!(open.max_diff > 0.0 && open.identical < open.values);
    }

    /// Moving K, the depth or a gate reuses the media's keys, the resampler's output or
    /// the block; the frame must be the one a fresh lab computes.
    #[test]
    fn cached_results_equal_a_fresh_labs() {
        let mut warm = lab();
        for r in [request(12, 1.0), request(5, 1.0), request(5, -2.0)] {
            let cached = resolved(warm.run(&r)).unwrap();
            let fresh = resolved(lab().run(&r)).unwrap();
            assert_eq!(cached, fresh, "k {} alpha {}", r.k, r.alpha);
        }
        let shallow = Request {
            depth: 1,
            layer: 0,
            ..request(5, 1.0)
        };
        assert_eq!(
            resolved(warm.run(&shallow)).unwrap(),
            resolved(lab().run(&shallow)).unwrap()
        );
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

    #[test]
    fn parts_that_miss_an_image_or_come_out_of_order_are_refused() {
        let r = request(8, 1.0);
        let mut l = lab();
        let a = resolved(l.part(&r, 0, 1)).unwrap();
        let b = resolved(l.part(&r, 1, 1)).unwrap();
        for parts in [
            vec![a.clone()],
            vec![b.clone(), a.clone()],
            vec![a.clone(), a.clone()],
        ] {
            let e = resolved(l.join(&r, &parts)).unwrap_err();
            assert!(e.contains("cover"), "{e}");
        }
        let e = resolved(l.part(&r, 1, 2)).unwrap_err();
        assert!(e.contains("images 1..3 asked of a sequence with 2"), "{e}");
        let wrong_k = resolved(l.part(&request(5, 1.0), 1, 1)).unwrap();
        let e = resolved(l.join(&r, &[a, wrong_k])).unwrap_err();
        assert!(e.contains("do not match"), "{e}");
    }

    #[test]
    fn a_size_without_pictures_is_refused_with_a_message() {
        let r = Request {
            size: bounds::SIZES[1],
            ..request(8, 1.0)
        };
        let e = resolved(lab().run(&r)).unwrap_err();
        assert!(e.contains("no 480 px pictures"), "{e}");
    }
}
