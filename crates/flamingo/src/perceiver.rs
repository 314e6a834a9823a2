//! The Perceiver resampler: K learned latents cross-attend to a variable number of
//! patch features and come out as K visual tokens per image (or per video).
//!
//! Ports `PerceiverAttention` and `PerceiverResampler` from OpenFlamingo 2.0.1
//! `open_flamingo/src/helpers.py`, itself from lucidrains/flamingo-pytorch.
//! Paper: Alayrac et al., *Flamingo*, §2.1 and appendix A.1.1 (arXiv:2204.14198).

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Device, Distribution, Tensor};

use crate::attention::attend;
use crate::feed_forward::{FeedForward, FeedForwardConfig};
use crate::linear::over_rows;
use crate::state_dict::{LoadError, StateDict};

/// Configuration of one resampler layer's attention.
#[derive(Config, Debug)]
pub struct PerceiverAttentionConfig {
    /// Width of patch features and latents.
    pub dim: usize,
    /// Width of one head.
    #[config(default = 64)]
    pub dim_head: usize,
    /// Number of heads.
    #[config(default = 8)]
    pub heads: usize,
}

/// Latents attend to the patches *and to themselves*: keys and values come from
/// `cat(media, latents)`, so one attention does the work of cross- and self-attention.
#[derive(Module, Debug)]
pub struct PerceiverAttention {
    norm_media: LayerNorm,
    norm_latents: LayerNorm,
    to_q: Linear,
    to_kv: Linear,
    to_out: Linear,
    heads: usize,
}

impl PerceiverAttentionConfig {
    /// A layer with burn's default initialisation.
    pub fn init(&self, device: &Device) -> PerceiverAttention {
        let inner = self.dim_head * self.heads;
        let linear = |i, o| LinearConfig::new(i, o).with_bias(false).init(device);
        PerceiverAttention {
            norm_media: LayerNormConfig::new(self.dim).init(device),
            norm_latents: LayerNormConfig::new(self.dim).init(device),
            to_q: linear(self.dim, inner),
            to_kv: linear(self.dim, 2 * inner),
            to_out: linear(inner, self.dim),
            heads: self.heads,
        }
    }

    /// Loads `{prefix}norm_media`, `norm_latents`, `to_q`, `to_kv`, `to_out`.
    pub fn load(
        &self,
        sd: &StateDict,
        prefix: &str,
        device: &Device,
    ) -> Result<PerceiverAttention, LoadError> {
        let inner = self.dim_head * self.heads;
        Ok(PerceiverAttention {
            norm_media: sd.layer_norm(&format!("{prefix}norm_media"), self.dim, device)?,
            norm_latents: sd.layer_norm(&format!("{prefix}norm_latents"), self.dim, device)?,
            to_q: sd.linear(&format!("{prefix}to_q"), self.dim, inner, device)?,
            to_kv: sd.linear(&format!("{prefix}to_kv"), self.dim, 2 * inner, device)?,
            to_out: sd.linear(&format!("{prefix}to_out"), inner, self.dim, device)?,
            heads: self.heads,
        })
    }
}

impl PerceiverAttention {
    /// Returns the update to add to the latents, and the attention weights.
    ///
    /// # Shapes
    /// - media: `[b, T, n, D]` (n = frames × patches), latents: `[b, T, K, D]`
    /// - returns (`[b, T, K, D]`, weights `[b, heads, T, K, n + K]`)
    pub fn forward(&self, media: Tensor<4>, latents: Tensor<4>) -> (Tensor<4>, Tensor<5>) {
        self.forward_with(self.media_keys(media), latents)
    }

    /// The media rows of `to_kv(cat(media, latents))`: they depend on the media and
    /// this layer's weights only, not on the latents.
    ///
    /// # Shapes
    /// - media: `[b, T, n, D]`; returns `[b, T, n, 2·inner]`
    pub fn media_keys(&self, media: Tensor<4>) -> Tensor<4> {
        over_rows(&self.to_kv, self.norm_media.forward(media))
    }

    /// [`Self::forward`] with the media's keys and values already projected
    /// ([`Self::media_keys`]); the latents' rows are projected here.
    pub fn forward_with(
        &self,
        media_keys: Tensor<4>,
        latents: Tensor<4>,
    ) -> (Tensor<4>, Tensor<5>) {
        let [b, t, k, _] = latents.dims();
        let latents = self.norm_latents.forward(latents);

        let q = over_rows(&self.to_q, latents.clone());
        // Media first, then latents: column j < n of the weights is patch j. A linear
        // map acts on each row alone, so projecting the two parts apart is the same.
        let kv = Tensor::cat(vec![media_keys, over_rows(&self.to_kv, latents)], 2);
        let [kk, v]: [Tensor<4>; 2] = kv
            .chunk(2, 3)
            .try_into()
            .expect("to_kv has 2·inner outputs");

        let (out, weights) = attend(
            self.split_heads(q),
            self.split_heads(kk),
            self.split_heads(v),
            None,
        );
        // b h T K d -> b T K (h d)
        let [_, h, _, _, d] = out.dims();
        let out = out.permute([0, 2, 3, 1, 4]).reshape([b, t, k, h * d]);
        (over_rows(&self.to_out, out), weights)
    }

    /// `b T n (h d) -> b h T n d`
    fn split_heads(&self, x: Tensor<4>) -> Tensor<5> {
        let [b, t, n, inner] = x.dims();
        x.reshape([b, t, n, self.heads, inner / self.heads])
            .permute([0, 3, 1, 2, 4])
    }
}

/// Configuration of a [`PerceiverResampler`]; field names are helpers.py's.
#[derive(Config, Debug)]
pub struct PerceiverResamplerConfig {
    /// Width of patch features, latents and output tokens.
    pub dim: usize,
    /// Number of attention + feed-forward layers (Flamingo: 6).
    #[config(default = 6)]
    pub depth: usize,
    /// Width of one head.
    #[config(default = 64)]
    pub dim_head: usize,
    /// Number of heads.
    #[config(default = 8)]
    pub heads: usize,
    /// K, the number of learned latents and so of output tokens (Flamingo: 64).
    #[config(default = 64)]
    pub num_latents: usize,
    /// Length of the learned media-time embedding table; `None` leaves it out (OpenFlamingo does).
    pub max_num_media: Option<usize>,
    /// Length of the learned frame embedding table, for video; `None` leaves it out.
    pub max_num_frames: Option<usize>,
    /// Feed-forward hidden width is `dim · ff_mult`.
    #[config(default = 4)]
    pub ff_mult: usize,
}

/// Turns `(b, T, F, v, D)` patch features into `(b, T, K, D)` visual tokens.
#[derive(Module, Debug)]
pub struct PerceiverResampler {
    latents: Param<Tensor<2>>,
    frame_embs: Option<Param<Tensor<2>>>,
    media_time_embs: Option<Param<Tensor<3>>>,
    layers: Vec<(PerceiverAttention, FeedForward)>,
    norm: LayerNorm,
}

/// The resampled tokens and, per layer, the latents' attention weights.
#[derive(Debug, Clone)]
pub struct ResamplerOutput {
    /// `[b, T, K, D]`, after the final LayerNorm.
    pub latents: Tensor<4>,
    /// One `[b, heads, T, K, F·v + K]` tensor per layer; columns are patches
    /// (frame-major), then the latents themselves.
    pub attention: Vec<Tensor<5>>,
}

impl PerceiverResamplerConfig {
    fn attention(&self) -> PerceiverAttentionConfig {
        PerceiverAttentionConfig::new(self.dim)
            .with_dim_head(self.dim_head)
            .with_heads(self.heads)
    }

    fn feed_forward(&self) -> FeedForwardConfig {
        FeedForwardConfig::new(self.dim).with_ff_mult(self.ff_mult)
    }

    /// A resampler whose latents and embeddings are standard normal, as in helpers.py.
    pub fn init(&self, device: &Device) -> PerceiverResampler {
        let normal = Distribution::Normal(0.0, 1.0);
        PerceiverResampler {
            latents: Param::from_tensor(Tensor::random(
                [self.num_latents, self.dim],
                normal,
                device,
            )),
            frame_embs: self
                .max_num_frames
                .map(|f| Param::from_tensor(Tensor::random([f, self.dim], normal, device))),
            media_time_embs: self
                .max_num_media
                .map(|m| Param::from_tensor(Tensor::random([m, 1, self.dim], normal, device))),
            layers: (0..self.depth)
                .map(|_| {
                    (
                        self.attention().init(device),
                        self.feed_forward().init(device),
                    )
                })
                .collect(),
            norm: LayerNormConfig::new(self.dim).init(device),
        }
    }

    /// Loads a PyTorch `PerceiverResampler.state_dict()`: `latents`, `frame_embs`,
    /// `media_time_embs`, `layers.{i}.0.*` (attention), `layers.{i}.1.*` (feed-forward), `norm.*`.
    pub fn load(&self, sd: &StateDict, device: &Device) -> Result<PerceiverResampler, LoadError> {
        let layers = (0..self.depth)
            .map(|i| {
                Ok((
                    self.attention()
                        .load(sd, &format!("layers.{i}.0."), device)?,
                    self.feed_forward()
                        .load(sd, &format!("layers.{i}.1."), device)?,
                ))
            })
            .collect::<Result<_, LoadError>>()?;
        Ok(PerceiverResampler {
            latents: Param::from_tensor(sd.tensor(
                "latents",
                [self.num_latents, self.dim],
                device,
            )?),
            frame_embs: self
                .max_num_frames
                .map(|f| {
                    sd.tensor("frame_embs", [f, self.dim], device)
                        .map(Param::from_tensor)
                })
                .transpose()?,
            media_time_embs: self
                .max_num_media
                .map(|m| {
                    sd.tensor("media_time_embs", [m, 1, self.dim], device)
                        .map(Param::from_tensor)
                })
                .transpose()?,
            layers,
            norm: sd.layer_norm("norm", self.dim, device)?,
        })
    }
}

impl PerceiverResampler {
    /// # Shapes
    /// - x: `[b, T, F, v, D]`: batch, media items, frames per item, patches per frame
    /// - returns `[b, T, K, D]`
    pub fn forward(&self, x: Tensor<5>) -> Tensor<4> {
        self.forward_traced(x).latents
    }

    /// The first `num_latents` latents and the first `depth` layers of this resampler:
    /// a smaller resampler with the same weights, so changing K or the depth changes
    /// only that, not every other weight.
    ///
    /// # Panics
    /// If it asks for more latents or layers than this resampler has.
    pub fn truncated(&self, num_latents: usize, depth: usize) -> Self {
        let [k, _] = self.latents.dims();
        assert!(
            (1..=k).contains(&num_latents) && (1..=self.layers.len()).contains(&depth),
            "asked for {num_latents} latents and {depth} layers of a resampler with {k} and {}",
            self.layers.len()
        );
        Self {
            latents: Param::from_tensor(self.latents.val().narrow(0, 0, num_latents)),
            frame_embs: self.frame_embs.clone(),
            media_time_embs: self.media_time_embs.clone(),
            layers: self.layers[..depth].to_vec(),
            norm: self.norm.clone(),
        }
    }

    /// The same weights without frame and media-time embeddings, to show what they add.
    pub fn without_time_embeddings(mut self) -> Self {
        self.frame_embs = None;
        self.media_time_embs = None;
        self
    }

    /// The same forward, keeping every layer's attention weights for display.
    ///
    /// # Panics
    /// If there are more frames or media items than the embedding tables hold.
    pub fn forward_traced(&self, x: Tensor<5>) -> ResamplerOutput {
        self.forward_traced_with(&self.media_keys(x))
    }

    /// Every layer's media keys and values ([`PerceiverAttention::media_keys`]) after
    /// the time embeddings: what a forward needs of the media. They do not depend on
    /// the latents, so one computation serves every K, and the first `depth` of them
    /// serve a resampler [`Self::truncated`] to `depth` layers.
    ///
    /// # Panics
    /// If there are more frames or media items than the embedding tables hold.
    pub fn media_keys(&self, x: Tensor<5>) -> MediaKeys {
        let x = self.embed(x);
        MediaKeys(
            self.layers
                .iter()
                .map(|(attn, _)| attn.media_keys(x.clone()))
                .collect(),
        )
    }

    /// [`Self::forward_traced`] from media keys computed before, by this resampler or
    /// by a deeper one with the same weights.
    ///
    /// # Panics
    /// If `keys` holds fewer layers than this resampler has.
    pub fn forward_traced_with(&self, keys: &MediaKeys) -> ResamplerOutput {
        assert!(
            keys.depth() >= self.layers.len(),
            "media keys for {} layers, the resampler has {}",
            keys.depth(),
            self.layers.len()
        );
        let [b, t, _, _] = keys.0[0].dims();
        let [k, d] = self.latents.dims();
        let mut latents = self
            .latents
            .val()
            .reshape([1, 1, k, d])
            .repeat_dim(0, b)
            .repeat_dim(1, t);
        let mut attention = Vec::with_capacity(self.layers.len());
        for ((attn, ff), media_keys) in self.layers.iter().zip(&keys.0) {
            let (update, weights) = attn.forward_with(media_keys.clone(), latents.clone());
            latents = update + latents;
            latents = ff.forward(latents.clone()) + latents;
            attention.push(weights);
        }
        ResamplerOutput {
            latents: self.norm.forward(latents),
            attention,
        }
    }

    /// Time embeddings added, frames and patches made one token axis:
    /// `[b, T, F, v, D]` → `[b, T, F·v, D]`.
    fn embed(&self, x: Tensor<5>) -> Tensor<4> {
        let [b, t, f, v, d] = x.dims();
        let mut x = x;
        if let Some(frame_embs) = &self.frame_embs {
            let [max_frames, _] = frame_embs.dims();
            assert!(
                f <= max_frames,
                "{f} frames but frame_embs holds {max_frames}"
            );
            x = x + frame_embs.val().narrow(0, 0, f).reshape([1, 1, f, 1, d]);
        }
        let mut x: Tensor<4> = x.reshape([b, t, f * v, d]);
        if let Some(media_time_embs) = &self.media_time_embs {
            let [max_media, _, _] = media_time_embs.dims();
            assert!(
                t <= max_media,
                "{t} media items but media_time_embs holds {max_media}"
            );
            x = x + media_time_embs.val().narrow(0, 0, t).unsqueeze_dim::<4>(0);
        }
        x
    }
}

/// Each layer's keys and values of the media, `[b, T, n, 2·inner]`, from
/// [`PerceiverResampler::media_keys`].
#[derive(Clone, Debug)]
pub struct MediaKeys(Vec<Tensor<4>>);

impl MediaKeys {
    /// Layers these keys serve.
    pub fn depth(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Module;

    /// Width 16, 3 layers, 2 heads of 4, 6 latents: small enough to compare exactly.
    fn small() -> PerceiverResamplerConfig {
        PerceiverResamplerConfig::new(16)
            .with_depth(3)
            .with_heads(2)
            .with_dim_head(4)
            .with_num_latents(6)
    }

    #[test]
    fn a_truncated_resampler_keeps_the_weights_it_keeps() {
        let device = Device::flex();
        let config = small();
        let full = config.init(&device);
        let x = Tensor::<5>::random([1, 1, 1, 5, 16], Distribution::Normal(0.0, 1.0), &device);
        let same = full.truncated(6, 3).forward(x.clone());
        assert_eq!(
            same.into_data().try_to_vec::<f32>().unwrap(),
            full.forward(x.clone())
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()
        );
        let small = full.truncated(4, 2);
        let expected = crate::params::resampler(&config.clone().with_num_latents(4).with_depth(2));
        assert_eq!(small.num_params() as u64, expected);
        assert_eq!(small.forward(x).dims(), [1, 1, 4, 16]);
        assert_eq!(
            small.latents.val().into_data().try_to_vec::<f32>().unwrap(),
            full.latents
                .val()
                .narrow(0, 0, 4)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()
        );
    }

    #[test]
    fn media_keys_of_the_deepest_resampler_serve_every_k_and_depth() {
        let device = Device::flex();
        let full = small().init(&device);
        let x = Tensor::<5>::random([1, 2, 1, 5, 16], Distribution::Normal(0.0, 1.0), &device);
        let keys = full.media_keys(x.clone());
        assert_eq!(keys.depth(), 3);
        for (k, depth) in [(6, 3), (2, 1), (4, 2)] {
            let small = full.truncated(k, depth);
            let values = |t: Tensor<4>| t.into_data().try_to_vec::<f32>().unwrap();
            assert_eq!(
                values(small.forward_traced_with(&keys).latents),
                values(small.forward(x.clone())),
                "K {k}, depth {depth}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "media keys for 1 layers, the resampler has 3")]
    fn too_few_media_keys_are_refused() {
        let device = Device::flex();
        let full = small().init(&device);
        let x = Tensor::<5>::random([1, 1, 1, 5, 16], Distribution::Normal(0.0, 1.0), &device);
        let keys = full.truncated(6, 1).media_keys(x);
        let _ = full.forward_traced_with(&keys);
    }
}
