//! The vision encoder: four convolutions from a 32 × 32 picture to an 8 × 8 grid of
//! patch features, the mini counterpart of Flamingo's NFNet, each patch's feature
//! carrying where the patch lies.
//!
//! Pretrained (stage 1) to name the colours and shapes in the picture from the maximum
//! of each feature over its grid, through two linear heads that are then dropped;
//! frozen afterwards. (With the mean instead, shape accuracy stayed near chance: most
//! patches are background, and the evidence for a shape is a few edge patches.) The
//! grid, not the maximum, is what the resampler reads: each of the 64 patches sees a
//! 17-pixel window, so an object's patches and the background's differ.
//!
//! The resampler has no positions of its own (OpenFlamingo's has none for patches: a
//! ViT's tokens carry theirs), and a convolution's features say little about where a
//! patch is; yet a caption names two objects left to right. So the encoder adds a fixed
//! code of the patch's column and row to its features ([`position_code`]), as a ViT
//! adds position embeddings; the pretraining heads read the features without it.

use burn::config::Config;
use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::{Device, Tensor, TensorData};
use flamingo::gelu::gelu;

use crate::scene::{Picture, SIDE};

/// Configuration of a [`VisionEncoder`].
#[derive(Config, Debug)]
pub struct VisionEncoderConfig {
    /// Width of a patch feature (and of the resampler).
    #[config(default = 32)]
    pub dim: usize,
}

/// `[b, 3, 32, 32]` pixels → `[b, 64, dim]` patch features.
#[derive(Module, Debug)]
pub struct VisionEncoder {
    conv1: Conv2d,
    conv2: Conv2d,
    conv3: Conv2d,
    conv4: Conv2d,
}

/// Side of the patch grid.
pub const GRID: usize = 8;

impl VisionEncoderConfig {
    pub fn init(&self, device: &Device) -> VisionEncoder {
        let conv = |i, o, stride| {
            Conv2dConfig::new([i, o], [3, 3])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        VisionEncoder {
            conv1: conv(3, 16, 1),
            conv2: conv(16, self.dim, 2),
            conv3: conv(self.dim, self.dim, 2),
            conv4: conv(self.dim, self.dim, 1),
        }
    }
}

/// The patches' fixed position code, `[64, dim]`: for frequencies k = 1 … dim/4,
/// sin and cos of the column's and of the row's phase `k·π·(2i + 1)/16`, i the patch's
/// index in its row or column. The phases are powers of one rotation by π/16, taken
/// with only `+ − ×`, so the code rounds the same natively and in wasm.
pub fn position_code(dim: usize) -> Vec<f32> {
    let frequencies = dim / 4;
    let most = frequencies * (2 * GRID - 1);
    // (cos, sin) of m·π/16 for m = 0 … most.
    let step = crate::geometry::cos_sin(std::f32::consts::PI / (2.0 * GRID as f32));
    let mut turns = Vec::with_capacity(most + 1);
    let mut at = (1.0f32, 0.0f32);
    for _ in 0..=most {
        turns.push(at);
        at = (at.0 * step.0 - at.1 * step.1, at.0 * step.1 + at.1 * step.0);
    }
    let mut code = vec![0.0; GRID * GRID * dim];
    for row in 0..GRID {
        for col in 0..GRID {
            let at = (row * GRID + col) * dim;
            for k in 1..=frequencies {
                let (cx, sx) = turns[k * (2 * col + 1)];
                let (cy, sy) = turns[k * (2 * row + 1)];
                code[at + 4 * (k - 1)..at + 4 * k].copy_from_slice(&[sx, cx, sy, cy]);
            }
        }
    }
    code
}

impl VisionEncoder {
    /// Patch features with their positions: what the resampler reads.
    ///
    /// # Shapes
    /// - pixels: `[b, 3, 32, 32]` in `[-1, 1]` ([`pixels`]) → `[b, 64, dim]`, patches row-major
    pub fn forward(&self, pixels: Tensor<4>) -> Tensor<3> {
        let features = self.features(pixels);
        let [_, v, dim] = features.dims();
        let code = Tensor::<2>::from_data(
            TensorData::new(position_code(dim), [v, dim]),
            &features.device(),
        );
        features + code.unsqueeze_dim(0)
    }

    /// The convolutions' features alone, `[b, 64, dim]`: what pretraining names colours
    /// and shapes from.
    pub fn features(&self, pixels: Tensor<4>) -> Tensor<3> {
        let x = gelu(self.conv1.forward(pixels));
        let x = gelu(self.conv2.forward(x));
        let x = gelu(self.conv3.forward(x));
        let x = self.conv4.forward(x);
        let [b, dim, h, w] = x.dims();
        x.reshape([b, dim, h * w]).swap_dims(1, 2)
    }
}

/// Pictures (already [`Picture::fit`] to 32 × 32) as the encoder's input, `[n, 3, 32, 32]`,
/// each channel mapped from 0..255 to -1..1.
pub fn pixels(pictures: &[Picture], device: &Device) -> Tensor<4> {
    let mut values = Vec::with_capacity(pictures.len() * 3 * SIDE * SIDE);
    for p in pictures {
        assert_eq!((p.width, p.height), (SIDE, SIDE), "fit the picture first");
        for c in 0..3 {
            values.extend(
                p.rgb[c..]
                    .iter()
                    .step_by(3)
                    .map(|&v| v as f32 / 127.5 - 1.0),
            );
        }
    }
    Tensor::from_data(
        TensorData::new(values, [pictures.len(), 3, SIDE, SIDE]),
        device,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_patch_has_its_own_position_code() {
        let code = position_code(32);
        assert_eq!(code.len(), 64 * 32);
        let patch = |i: usize| &code[i * 32..(i + 1) * 32];
        for i in 0..64 {
            for j in 0..i {
                let d: f32 = patch(i)
                    .iter()
                    .zip(patch(j))
                    .map(|(a, b)| (a - b).abs())
                    .sum();
                assert!(d > 0.1, "patches {i} and {j}");
            }
        }
        // Column 2's first frequency: sin and cos of 5π/16.
        let angle = 5.0 * std::f32::consts::PI / 16.0;
        assert!((patch(2)[0] - angle.sin()).abs() < 1e-5);
        assert!((patch(2)[1] - angle.cos()).abs() < 1e-5);
    }
}
