//! A caption of the trained mini-Flamingo and everything the page draws about it: its
//! words with what each step chose from and the logit lens, the check against the
//! frozen language model alone, and where the model looked.

use mini::inference::Step;
use mini::scene::Picture;
use mini::vocab::{CAPTION_PROMPT, is_attribute};

use crate::trained::GRID;

/// One generated word.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub step: Step,
    /// The probability of this word read after each LM layer (the logit lens); the
    /// last layer's is the model's own.
    pub lens: Vec<f32>,
}

/// A caption and everything the page draws about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Caption {
    /// The generated words, `<eoc>` last if it came.
    pub words: Vec<Word>,
    /// As read: "a blue triangle".
    pub text: String,
    /// `[tanh(scale·attn_gate), tanh(scale·ff_gate)]` per block.
    pub gates: Vec<[f32; 2]>,
    /// The last forward's input: the prompt and every generated word that was fed back.
    pub tokens: Vec<u32>,
    /// Logits of that forward equal to the frozen LM's alone, bit for bit, and how many there are.
    pub identical: usize,
    pub logits: usize,
    /// The largest |Δlogit| against the LM alone.
    pub max_delta: f32,
    /// Per block, `[tokens × K]`: each token's attention over the visual tokens, mean over heads.
    pub cross_attention: Vec<Vec<f32>>,
    /// `[K × 64]`: each latent's attention over the patches in the resampler's last layer,
    /// mean over heads (the rest of each row goes to the latents themselves).
    pub latent_attention: Vec<f32>,
    /// Per LM layer, whether a gated block sits before it.
    pub blocks_before: Vec<bool>,
    /// The 32 × 32 picture the model saw.
    pub picture: Picture,
    /// The encoder's patch features: their shape `[64, dim]` and each one's length.
    pub features: [usize; 2],
    pub patch_norms: Vec<f32>,
    /// The resampler's visual tokens: `[K, dim]`.
    pub media: [usize; 2],
    /// Per block, how much it changed the language model's hidden state over the last
    /// forward, ‖y − x‖ / ‖x‖ (the mechanics panel's "visual change").
    pub visual_share: Vec<f32>,
    /// The gate scale it was computed at.
    pub scale: f32,
}

impl Caption {
    /// Every logit equals the frozen LM's alone.
    pub fn lm_identical(&self) -> bool {
        self.identical == self.logits
    }

    /// Visual tokens per image.
    pub fn k(&self) -> usize {
        self.latent_attention.len() / (GRID * GRID)
    }

    /// The generated word an overview follows: of the colour and shape words, the one
    /// whose probability the layers from the first gated block on raised most (the
    /// picture's word: "an" alone already says "orange"); else the first word.
    pub fn focus(&self) -> usize {
        let first_block = self.blocks_before.iter().position(|&b| b).unwrap_or(0);
        let raised = |w: &Word| {
            let before = first_block.checked_sub(1).map_or(0.0, |l| w.lens[l]);
            w.step.probability() - before
        };
        self.words
            .iter()
            .enumerate()
            .filter(|(_, w)| is_attribute(w.step.token))
            .max_by(|a, b| raised(a.1).total_cmp(&raised(b.1)))
            .map_or(0, |(i, _)| i)
    }

    /// Each patch's attention from the latents, their mean, `[64]`.
    pub fn latent_mean(&self) -> Vec<f32> {
        let patches = GRID * GRID;
        let k = self.k().max(1) as f32;
        (0..patches)
            .map(|p| {
                self.latent_attention
                    .iter()
                    .skip(p)
                    .step_by(patches)
                    .sum::<f32>()
                    / k
            })
            .collect()
    }

    /// The position whose output chose generated word `word`: the prompt's last
    /// token chose the first.
    pub fn position_of(word: usize) -> usize {
        CAPTION_PROMPT.len() - 1 + word
    }

    /// Which patches generated word `word` reaches, `[64]`: its position's attention
    /// over the visual tokens (mean over heads and blocks) times each latent's
    /// attention over the patches. An approximation: it ignores the residual paths,
    /// the resampler's earlier layer, its feed-forwards and the latents' attention
    /// to one another.
    pub fn reach(&self, word: usize) -> Vec<f32> {
        let k = self.k();
        let p = Self::position_of(word);
        let patches = GRID * GRID;
        let mut out = vec![0.0; patches];
        let blocks = self.cross_attention.len().max(1) as f32;
        for block in &self.cross_attention {
            let Some(row) = block.get(p * k..(p + 1) * k) else {
                continue;
            };
            for (latent, &w) in row.iter().enumerate() {
                let to_patches = &self.latent_attention[latent * patches..(latent + 1) * patches];
                for (o, &a) in out.iter_mut().zip(to_patches) {
                    *o += w * a / blocks;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use mini::inference::resolved;

    use crate::trained::tests::{blue_triangle, looking_at};

    use super::*;

    #[test]
    fn attention_rows_and_the_reach_of_a_word() {
        let caption = resolved(looking_at(blue_triangle()).caption(1.0)).unwrap();
        let k = caption.k();
        assert_eq!(k, 8);
        for row in caption.latent_attention.chunks(GRID * GRID) {
            let share: f32 = row.iter().sum();
            assert!(share > 0.0 && share <= 1.0 + 1e-5, "{share}");
        }
        for block in &caption.cross_attention {
            assert_eq!(block.len(), caption.tokens.len() * k);
            for row in block.chunks(k) {
                assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
            }
        }
        // The reach of a word is a mixture of latents' patch rows, so it sums to at
        // most one and at least the smallest latent's patch share.
        for w in 0..caption.words.len() {
            let reach = caption.reach(w);
            let total: f32 = reach.iter().sum();
            assert!(total > 0.0 && total <= 1.0 + 1e-5, "{total}");
        }
        assert!(caption.reach(99).iter().all(|&v| v == 0.0));
    }
}
