//! The benchmark's three sizes, the same shapes `tools/bench/bench_torch.py` gives
//! OpenFlamingo's modules, and the arithmetic each forward does (so a time becomes a
//! GFLOP/s that can be set beside what the machine can do).

use flamingo::burn::module::Module;
use flamingo::burn::tensor::{Device, Distribution, Tensor};
use flamingo::{
    GatedCrossAttentionBlock, GatedCrossAttentionBlockConfig, PerceiverResampler,
    PerceiverResamplerConfig, seeded,
};

/// One benchmark size: resampler shapes, then the block's language-model side.
pub struct Size {
    pub name: &'static str,
    pub k: usize,
    pub patches: usize,
    pub dim: usize,
    pub depth: usize,
    pub heads: usize,
    pub dim_head: usize,
    pub lm_dim: usize,
    pub tokens: usize,
}

/// Images per forward, single frames.
pub const IMAGES: usize = 2;

pub const SIZES: [Size; 3] = [
    Size {
        name: "classroom",
        k: 8,
        patches: 36,
        dim: 64,
        depth: 2,
        heads: 4,
        dim_head: 16,
        lm_dim: 64,
        tokens: 16,
    },
    Size {
        name: "mid",
        k: 64,
        patches: 196,
        dim: 256,
        depth: 6,
        heads: 8,
        dim_head: 32,
        lm_dim: 256,
        tokens: 32,
    },
    Size {
        name: "openflamingo",
        k: 64,
        patches: 256,
        dim: 1024,
        depth: 6,
        heads: 8,
        dim_head: 64,
        lm_dim: 2048,
        tokens: 64,
    },
];

/// The feed-forward's hidden width is four times its input, as in helpers.py.
const FF_MULT: usize = 4;

impl Size {
    fn inner(&self) -> usize {
        self.heads * self.dim_head
    }

    /// Floating-point operations of one resampler forward over [`IMAGES`] images, counting
    /// a multiply-add as two and only the matrix products (norms and softmax are a few
    /// per cent at these sizes and are left out, as is usual for GFLOP/s).
    ///
    /// Counted in `f64`: at OpenFlamingo's width a block's count passes 2³², which a
    /// 32-bit `usize` (wasm32) would wrap.
    #[allow(dead_code)] // the CPU bench reports times only
    pub fn resampler_flops(&self) -> f64 {
        let [k, n, d, inner] = [self.k, self.patches, self.dim, self.inner()].map(|x| x as f64);
        let keys = n + k;
        let ff = FF_MULT as f64;
        let per_layer = 2.0 * k * d * inner // queries from the latents
            + 2.0 * keys * d * 2.0 * inner // keys and values from patches and latents
            + 2.0 * 2.0 * k * keys * inner // scores, then the weighted sum of values
            + 2.0 * k * inner * d // output projection
            + 2.0 * 2.0 * k * d * ff * d; // feed-forward, two layers
        per_layer * (self.depth * IMAGES) as f64
    }

    /// The same count for one gated cross-attention block: the text attends to every
    /// image's K latents (the mask zeroes some afterwards, as in helpers.py).
    #[allow(dead_code)]
    pub fn block_flops(&self) -> f64 {
        let [t, lm, dv, inner] =
            [self.tokens, self.lm_dim, self.dim, self.inner()].map(|x| x as f64);
        let keys = (IMAGES * self.k) as f64;
        let ff = FF_MULT as f64;
        2.0 * t * lm * inner
            + 2.0 * keys * dv * 2.0 * inner
            + 2.0 * 2.0 * t * keys * inner
            + 2.0 * t * inner * lm
            + 2.0 * 2.0 * t * lm * ff * lm
    }
}

/// A size's two modules with seeded weights and random inputs, ready to run.
pub struct Case {
    resampler: PerceiverResampler,
    patches: Tensor<5>,
    block: GatedCrossAttentionBlock,
    text: Tensor<3>,
    media: Tensor<4>,
    locations: Vec<Vec<bool>>,
}

impl Size {
    pub fn case(&self, device: &Device) -> Case {
        let normal = |seed, shape: &[usize]| {
            seeded(seed, device, |d| {
                flamingo::burn::module::Param::from_tensor(Tensor::<1>::random(
                    [shape.iter().product::<usize>()],
                    Distribution::Normal(0.0, 1.0),
                    d,
                ))
            })
            .val()
        };
        let resampler = seeded(1, device, |d| {
            PerceiverResamplerConfig::new(self.dim)
                .with_depth(self.depth)
                .with_heads(self.heads)
                .with_dim_head(self.dim_head)
                .with_num_latents(self.k)
                .init(d)
        });
        // helpers.py initialises gates to 0, which makes the block's output its input.
        let block = seeded(2, device, |d| {
            GatedCrossAttentionBlockConfig::new(self.lm_dim, self.dim)
                .with_heads(self.heads)
                .with_dim_head(self.dim_head)
                .init(d)
        })
        .with_gates(0.5, 0.5);
        Case {
            resampler,
            patches: normal(3, &[IMAGES, self.patches, self.dim]).reshape([
                1,
                IMAGES,
                1,
                self.patches,
                self.dim,
            ]),
            block,
            text: normal(4, &[self.tokens, self.lm_dim]).reshape([1, self.tokens, self.lm_dim]),
            media: normal(5, &[IMAGES, self.k, self.dim]).reshape([1, IMAGES, self.k, self.dim]),
            // One image before the first token, the second halfway.
            locations: vec![
                (0..self.tokens)
                    .map(|t| t == 0 || t == self.tokens / 2)
                    .collect(),
            ],
        }
    }
}

impl Case {
    pub fn resampler(&self) -> Tensor<4> {
        self.resampler.forward(self.patches.clone())
    }

    pub fn block(&self) -> Tensor<3> {
        self.block
            .forward(self.text.clone(), self.media.clone(), &self.locations)
            .output
    }

    /// The same weights and inputs on another device.
    #[allow(dead_code)] // only the GPU comparison moves a case
    pub fn moved_to(self, device: &Device) -> Case {
        Case {
            resampler: self.resampler.to_device(device),
            patches: self.patches.to_device(device),
            block: self.block.to_device(device),
            text: self.text.to_device(device),
            media: self.media.to_device(device),
            locations: self.locations,
        }
    }
}
