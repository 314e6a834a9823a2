//! What stands in for the frozen parts until trained weights exist: patch features
//! from pixels instead of a vision encoder, and word embeddings drawn from a fixed
//! seed instead of a language model's table. Everything is deterministic, so a URL
//! always gives the same picture.

pub use flamingo::Rng;

/// Raw features per patch: mean RGB, RGB spread, and sin/cos of the row and column.
pub const RAW_FEATURES: usize = 10;

/// Patches per side of a `size`-pixel square image cut into `patch`-pixel squares
/// (a partial patch at the edge is dropped, as a ViT's stem drops it).
pub fn grid(size: usize, patch: usize) -> usize {
    size / patch.max(1)
}

/// Stand-in vision encoder: `grid²` patch features of width `dim`, row-major over
/// patches. `pixels` is `size × size` RGBA. A fixed random projection (seeded)
/// maps the raw features to `dim`.
pub fn patch_features(pixels: &[u8], size: usize, patch: usize, dim: usize, seed: u64) -> Vec<f32> {
    assert_eq!(pixels.len(), size * size * 4, "{size}×{size} RGBA");
    let g = grid(size, patch);
    let projection = Rng::new(seed).normals(RAW_FEATURES * dim);
    let scale = 1.0 / (RAW_FEATURES as f32).sqrt();
    let mut out = Vec::with_capacity(g * g * dim);
    for row in 0..g {
        for col in 0..g {
            let raw = raw_features(pixels, size, patch, row, col, g);
            out.extend((0..dim).map(|d| {
                scale
                    * (0..RAW_FEATURES)
                        .map(|f| raw[f] * projection[f * dim + d])
                        .sum::<f32>()
            }));
        }
    }
    out
}

fn raw_features(
    pixels: &[u8],
    size: usize,
    patch: usize,
    row: usize,
    col: usize,
    g: usize,
) -> [f32; RAW_FEATURES] {
    let (mut sum, mut sq) = ([0f32; 3], [0f32; 3]);
    for y in row * patch..(row + 1) * patch {
        for x in col * patch..(col + 1) * patch {
            let p = &pixels[(y * size + x) * 4..][..3];
            for c in 0..3 {
                let v = p[c] as f32 / 255.0;
                sum[c] += v;
                sq[c] += v * v;
            }
        }
    }
    let n = (patch * patch) as f32;
    let mean = sum.map(|s| s / n);
    let spread: Vec<f32> = (0..3)
        .map(|c| (sq[c] / n - mean[c] * mean[c]).max(0.0).sqrt())
        .collect();
    let angle = |i: usize| std::f32::consts::PI * (i as f32 + 0.5) / g as f32;
    [
        2.0 * mean[0] - 1.0,
        2.0 * mean[1] - 1.0,
        2.0 * mean[2] - 1.0,
        4.0 * spread[0],
        4.0 * spread[1],
        4.0 * spread[2],
        angle(row).sin(),
        angle(row).cos(),
        angle(col).sin(),
        angle(col).cos(),
    ]
}

/// Stand-in word embeddings: one seeded normal vector per distinct word, so the
/// same word always gets the same embedding.
pub fn token_embeddings(words: &[String], dim: usize, seed: u64) -> Vec<f32> {
    words
        .iter()
        .flat_map(|w| {
            let h = w.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
            });
            Rng::new(seed ^ h).normals(dim)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_roughly_standard() {
        assert_eq!(Rng::new(3).normals(4), Rng::new(3).normals(4));
        let xs = Rng::new(1).normals(20_000);
        let mean = xs.iter().sum::<f32>() / xs.len() as f32;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / xs.len() as f32;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }

    #[test]
    fn a_224_image_at_patch_16_gives_196_patches_and_480_gives_900() {
        assert_eq!(grid(224, 16).pow(2), 196);
        assert_eq!(grid(480, 16).pow(2), 900);
        let pixels = vec![128u8; 32 * 32 * 4];
        assert_eq!(patch_features(&pixels, 32, 8, 5, 0).len(), 16 * 5);
    }

    #[test]
    fn features_see_colour_and_position() {
        // Left half red, right half blue.
        let size = 16;
        let pixels: Vec<u8> = (0..size * size)
            .flat_map(|i| {
                if i % size < 8 {
                    [255, 0, 0, 255]
                } else {
                    [0, 0, 255, 255]
                }
            })
            .collect();
        let f = patch_features(&pixels, size, 8, 6, 9);
        let patch = |i: usize| &f[i * 6..(i + 1) * 6];
        assert_ne!(patch(0), patch(1), "colour differs");
        assert_ne!(patch(0), patch(2), "same colour, other row");
    }

    #[test]
    fn same_word_same_embedding() {
        let words: Vec<String> = ["a", "cat", "a"].iter().map(|s| s.to_string()).collect();
        let e = token_embeddings(&words, 4, 5);
        assert_eq!(e[0..4], e[8..12]);
        assert_ne!(e[0..4], e[4..8]);
    }
}
