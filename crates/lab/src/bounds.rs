//! Bounds of every numeric control, and the sizes the lab builds its models for.

/// Gate parameters before tanh.
pub const GATE: (f32, f32) = (-4.0, 4.0);
/// The trained model's gate scale, which multiplies every learned α before its tanh.
pub const SCALE: (f32, f32) = (0.0, 2.0);
/// Shots of a few-shot episode.
pub const SHOTS: (usize, usize) = (0, 8);
/// Latents K.
pub const K: (usize, usize) = (1, 128);
/// Resampler depth.
pub const DEPTH: (usize, usize) = (1, 6);
/// Patch size in pixels.
pub const PATCH: (usize, usize) = (8, 56);
/// Sides of the sample picture the resampler can read: CLIP's 224 px and a 480 px one.
pub const SIZES: [usize; 2] = [224, 480];
/// Model widths: the page's classroom size, a mid size, and OpenFlamingo's visual width.
pub const WIDTHS: [usize; 3] = [64, 256, 1024];

/// Attention heads and head width for a model width.
pub fn heads(width: usize) -> (usize, usize) {
    match width {
        w if w <= 64 => (4, w / 4),
        w if w <= 256 => (8, w / 8),
        _ => (8, 64),
    }
}
/// Sequence length in tokens.
pub const LEN: (usize, usize) = (1, 48);
/// Images in the sequence.
pub const MAX_IMAGES: usize = 8;
