//! Training text: captions and few-shot episodes, drawn from a seed.
//!
//! The language model (stage 2) reads only the tokens; the Flamingo stage reads the
//! same mix with its pictures. Captions show blank, one-object and two-object
//! pictures; episodes show one object each (the two tasks are ambiguous for two).
//! Episodes hide the task in half the draws, as evaluation always does, so the model
//! must learn to read it from the shots.

use crate::scene::{Rng, Scene};
use crate::vocab::{EOC, MAX_SHOTS, Prompt, Task};

/// Shares of the training mix.
#[derive(Debug, Clone, Copy)]
pub struct Mix {
    /// Captions among the sequences of a batch; the rest are episodes.
    pub captions: f32,
    /// Episodes whose task word is written.
    pub named: f32,
}

/// `n` complete training sequences: as many captions as the mix asks (rounded), and
/// episodes. A model's batch is padded to its longest sequence and a caption is a fifth
/// of an episode's length at most, so the two kinds come apart: `[captions, episodes]`.
pub fn batch(rng: &mut Rng, mix: Mix, n: usize) -> [Vec<Prompt>; 2] {
    let captions = (n as f32 * mix.captions).round() as usize;
    [
        (0..captions)
            .map(|_| Prompt::caption(Scene::sample_any(rng)))
            .collect(),
        (captions..n).map(|_| episode(rng, mix)).collect(),
    ]
}

/// An episode with its answer and `<eoc>`.
fn episode(rng: &mut Rng, mix: Mix) -> Prompt {
    let task = Task::ALL[rng.below(Task::ALL.len())];
    let shots: Vec<Scene> = (0..rng.below(MAX_SHOTS + 1))
        .map(|_| Scene::sample(rng))
        .collect();
    let query = Scene::sample(rng);
    let answer = task.answer(&query);
    let mut prompt = Prompt::episode(task, &shots, query, rng.chance(mix.named));
    prompt.tokens.extend([answer, EOC]);
    prompt
}

/// Next-token targets: `tokens[i + 1]` at position i, `None` past the end.
pub fn targets(tokens: &[u32], len: usize) -> Vec<Option<u32>> {
    (0..len).map(|i| tokens.get(i + 1).copied()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{CAPTION_PROMPT, IMAGE, MAX_LEN};

    #[test]
    fn examples_fit_and_their_pictures_match_their_markers() {
        let mut rng = Rng::new(9);
        let mix = Mix {
            captions: 0.3,
            named: 0.5,
        };
        for _ in 0..100 {
            let [captions, episodes] = batch(&mut rng, mix, 10);
            assert_eq!((captions.len(), episodes.len()), (3, 7));
            assert!(captions.iter().all(|p| p.tokens[..2] == CAPTION_PROMPT));
            for p in captions.iter().chain(&episodes) {
                assert!(p.tokens.len() <= MAX_LEN);
                let markers = p.tokens.iter().filter(|&&t| t == IMAGE).count();
                assert_eq!(markers, p.scenes.len());
                assert_eq!(p.tokens.last(), Some(&EOC));
            }
        }
        assert_eq!(targets(&[1, 4, 5], 4), [Some(4), Some(5), None, None]);
    }
}
