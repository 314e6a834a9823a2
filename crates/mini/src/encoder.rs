//! The vision encoder: four convolutions from a 32 × 32 picture to an 8 × 8 grid of
//! patch features, the mini counterpart of Flamingo's NFNet.
//!
//! Pretrained (stage 1) to name the shape's colour and shape from the maximum of each
//! feature over its grid, through two linear heads that are then dropped; frozen
//! afterwards. (With the mean instead, shape accuracy stayed near chance: most
//! patches are background, and the evidence for a shape is a few edge patches.) The
//! grid, not the maximum, is what the resampler reads: each of the 64 patches sees a
//! 31-pixel window, so the shape's patches and the background's differ.

use burn::config::Config;
use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor, TensorData};

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

impl VisionEncoder {
    /// # Shapes
    /// - pixels: `[b, 3, 32, 32]` in `[-1, 1]` ([`pixels`]) → `[b, 64, dim]`, patches row-major
    pub fn forward(&self, pixels: Tensor<4>) -> Tensor<3> {
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
