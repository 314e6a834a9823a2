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

/// The most memory one configuration may need (`Request::memory_estimate`): a school
/// Chromebook or iPad gives a page about this much before it slows or is killed, and
/// the wasm32 address space holds 4 GiB in all.
pub const MEMORY_CAP: u64 = 1 << 30;

/// The refusal for a configuration over [`MEMORY_CAP`], or `None` under it.
pub fn over_memory_cap(estimate: u64) -> Option<String> {
    let mib = |b: u64| b.div_ceil(1 << 20);
    (estimate > MEMORY_CAP).then(|| {
        format!(
            "This configuration needs about {} MB, more than the {} MB the page allows itself, so it was not computed. Lower K, the depth, the width or the number of images, or use a larger patch.",
            mib(estimate),
            mib(MEMORY_CAP)
        )
    })
}

/// The page's caps in one sentence, as it states them beside the controls.
pub fn caps() -> String {
    let widths: Vec<String> = WIDTHS.iter().map(usize::to_string).collect();
    format!(
        "The page's caps: K {}–{}, depth {}–{}, patches of {}–{} px, width {}, up to {} tokens and {} images; a configuration needing more than {} MB is refused before it runs.",
        K.0,
        K.1,
        DEPTH.0,
        DEPTH.1,
        PATCH.0,
        PATCH.1,
        widths.join(", "),
        LEN.1,
        MAX_IMAGES,
        MEMORY_CAP >> 20
    )
}
