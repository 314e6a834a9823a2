//! Seeded evaluation: caption accuracy, and few-shot accuracy per task and per number
//! of shots with the task never named. The same seed draws the same episodes
//! everywhere, so the CLI, the tests and the page count the same thing.

use std::collections::BTreeMap;

use flamingo::Gating;
use serde::{Deserialize, Serialize};

use crate::inference::{CAPTION_WORDS, generate, next_words};
use crate::model::MiniFlamingo;
use crate::scene::{Picture, Rng, Scene};
use crate::vocab::{CAPTION_PROMPT, Episode, MAX_SHOTS, Task, colour_of, shape_of};

/// Accuracies, as fractions in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Captions whose colour word is the scene's colour.
    pub caption_colour: f64,
    /// Captions whose shape word is the scene's shape.
    pub caption_shape: f64,
    /// Per task, accuracy at 0, 1, …, 8 shots.
    pub few_shot: BTreeMap<String, Vec<f64>>,
    /// Per number of shots, the mean over tasks.
    pub few_shot_mean: Vec<f64>,
    /// Episodes per task and number of shots; captions drawn.
    pub episodes: usize,
}

/// Pictures are drawn per batch, not all at once, to bound memory.
const BATCH: usize = 50;

/// The seeded stream for one (task, shots) cell or the captions, independent of the others.
fn stream(seed: u64, cell: u64) -> Rng {
    let mut rng = Rng::new(seed ^ cell.wrapping_mul(0xA24B_AED4_963E_E407));
    rng.fork()
}

/// `n` evaluation episodes of a task with `shots` shots, as `cargo xtask`, tests and the page draw them.
pub fn episodes(seed: u64, task: Task, shots: usize, n: usize) -> Vec<Episode> {
    let mut rng = stream(seed, 1 + task as u64 * 16 + shots as u64);
    (0..n)
        .map(|_| Episode::sample(&mut rng, task, shots))
        .collect()
}

/// `n` scenes to caption.
pub fn caption_scenes(seed: u64, n: usize) -> Vec<Scene> {
    let mut rng = stream(seed, 0);
    (0..n).map(|_| Scene::sample(&mut rng)).collect()
}

/// How many episodes' first answered word is right, all in one batch: the page
/// measures in such pieces so that it never stops drawing for long.
pub async fn few_shot_correct(model: &MiniFlamingo, episodes: &[Episode], gating: Gating) -> usize {
    let pictures: Vec<Vec<Picture>> = episodes.iter().map(|e| e.prompt.pictures()).collect();
    let sequences: Vec<(&[u32], &[Picture])> = episodes
        .iter()
        .zip(&pictures)
        .map(|(e, p)| (e.prompt.tokens.as_slice(), p.as_slice()))
        .collect();
    next_words(model, &sequences, gating)
        .await
        .iter()
        .zip(episodes)
        .filter(|(step, e)| step.token == e.answer)
        .count()
}

/// Accuracy of the first answered word over episodes.
pub async fn few_shot_accuracy(model: &MiniFlamingo, episodes: &[Episode], gating: Gating) -> f64 {
    let mut correct = 0;
    for chunk in episodes.chunks(BATCH) {
        correct += few_shot_correct(model, chunk, gating).await;
    }
    correct as f64 / episodes.len().max(1) as f64
}

/// Caption accuracies (colour, shape) over scenes.
pub async fn caption_accuracy(
    model: &MiniFlamingo,
    scenes: &[Scene],
    gating: Gating,
) -> (f64, f64) {
    let (mut colour, mut shape) = (0, 0);
    for chunk in scenes.chunks(BATCH) {
        let prompts: Vec<(Vec<u32>, Vec<Picture>)> = chunk
            .iter()
            .map(|s| (CAPTION_PROMPT.to_vec(), vec![s.render()]))
            .collect();
        for (steps, scene) in generate(model, &prompts, gating, CAPTION_WORDS)
            .await
            .iter()
            .zip(chunk)
        {
            colour +=
                (steps.iter().find_map(|s| colour_of(s.token)) == Some(scene.colour)) as usize;
            shape += (steps.iter().find_map(|s| shape_of(s.token)) == Some(scene.shape)) as usize;
        }
    }
    let n = scenes.len().max(1) as f64;
    (colour as f64 / n, shape as f64 / n)
}

/// The whole evaluation: `n` captions, and `n` episodes per task and per 0–8 shots.
pub async fn evaluate(model: &MiniFlamingo, n: usize, seed: u64, gating: Gating) -> Evaluation {
    let (caption_colour, caption_shape) =
        caption_accuracy(model, &caption_scenes(seed, n), gating).await;
    let mut few_shot = BTreeMap::new();
    for task in Task::ALL {
        let mut per_shots = Vec::with_capacity(MAX_SHOTS + 1);
        for shots in 0..=MAX_SHOTS {
            per_shots.push(few_shot_accuracy(model, &episodes(seed, task, shots, n), gating).await);
        }
        few_shot.insert(task.word().to_owned(), per_shots);
    }
    let few_shot_mean = (0..=MAX_SHOTS)
        .map(|k| few_shot.values().map(|v| v[k]).sum::<f64>() / few_shot.len() as f64)
        .collect();
    Evaluation {
        caption_colour,
        caption_shape,
        few_shot,
        few_shot_mean,
        episodes: n,
    }
}
