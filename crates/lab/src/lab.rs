//! A seeded resampler and gated block from `crates/flamingo`, run on one device and
//! read back asynchronously, with caches so a slider recomputes only what it changes.

use flamingo::burn::tensor::{Device, Tensor, TensorData};
use flamingo::{
    GatedCrossAttentionBlock, GatedCrossAttentionBlockConfig, MaskRule, MediaKeys,
    PerceiverResampler, PerceiverResamplerConfig, ResamplerOutput, seeded,
};

use crate::bounds;
use crate::stand_in::{grid, patch_features, token_embeddings};

use crate::request::{Frame, Part, Pictures, Readouts, Request};

pub(crate) const SEED: u64 = 2022;

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

pub(crate) async fn read(t: Tensor<3>) -> Result<Vec<f32>, String> {
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

#[cfg(test)]
mod tests {
    use mini::inference::resolved;

    use super::*;
    use crate::request::tests::request;

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
