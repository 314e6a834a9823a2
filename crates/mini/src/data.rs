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
    /// Captions among all sequences; the rest are episodes.
    pub captions: f32,
    /// Episodes whose task word is written.
    pub named: f32,
}

/// A complete training sequence: a caption, or an episode with its answer and `<eoc>`.
pub fn example(rng: &mut Rng, mix: Mix) -> Prompt {
    if rng.chance(mix.captions) {
        return Prompt::caption(Scene::sample_any(rng));
    }
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
    use crate::vocab::{IMAGE, MAX_LEN};

    #[test]
    fn examples_fit_and_their_pictures_match_their_markers() {
        let mut rng = Rng::new(9);
        let mix = Mix {
            captions: 0.3,
            named: 0.5,
        };
        for _ in 0..500 {
            let p = example(&mut rng, mix);
            assert!(p.tokens.len() <= MAX_LEN);
            let markers = p.tokens.iter().filter(|&&t| t == IMAGE).count();
            assert_eq!(markers, p.scenes.len());
            assert_eq!(p.tokens.last(), Some(&EOC));
        }
        assert_eq!(targets(&[1, 4, 5], 4), [Some(4), Some(5), None, None]);
    }
}
