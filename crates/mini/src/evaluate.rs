//! Seeded evaluation: caption accuracy per look, background, two objects and blank
//! pictures, and few-shot accuracy per task and per number
//! of shots with the task never named. The same seed draws the same episodes
//! everywhere, so the CLI, the tests and the page count the same thing.

use std::collections::BTreeMap;

use flamingo::Gating;
use serde::{Deserialize, Serialize};

use crate::inference::{CAPTION_WORDS, generate, next_words_seeing};
use crate::model::{Batch, MiniFlamingo};
use crate::scene::{Colour, Draw, Family, Look, Picture, Rng, Scene, Shape};
use crate::vocab::{
    CAPTION_PROMPT, EOC, Episode, MAX_SHOTS, Task, colour_of, description, read_caption, shape_of,
};

/// How well a set of pictures is captioned, as fractions in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CaptionScore {
    /// The first colour word written is the first object's colour (one-object sets).
    pub colour: f64,
    /// The first shape word written is the first object's shape (one-object sets).
    pub shape: f64,
    /// The caption names exactly the picture's objects, left to right (`nothing` when blank).
    pub objects: f64,
    /// The caption's words are exactly the description's, articles included.
    pub words: f64,
}

/// Accuracies, as fractions in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Per set of pictures ([`CaptionSet::name`]): one object in each look, one object on
    /// each background family, two objects, blank.
    pub captions: BTreeMap<String, CaptionScore>,
    /// Per task, accuracy at 0, 1, …, 8 shots.
    pub few_shot: BTreeMap<String, Vec<f64>>,
    /// Per number of shots, the mean over tasks.
    pub few_shot_mean: Vec<f64>,
    /// Episodes per task and number of shots; captions per set.
    pub episodes: usize,
}

/// The sets of pictures captions are counted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptionSet {
    /// One object drawn in this look, on any background.
    Look(Look),
    /// One object in any look, on this family of background.
    Background(Family),
    /// Two objects side by side.
    Two,
    /// Nothing drawn.
    Blank,
}

impl CaptionSet {
    pub fn all() -> Vec<CaptionSet> {
        Look::ALL
            .map(CaptionSet::Look)
            .into_iter()
            .chain(Family::ALL.map(CaptionSet::Background))
            .chain([CaptionSet::Two, CaptionSet::Blank])
            .collect()
    }

    pub fn name(self) -> String {
        match self {
            CaptionSet::Look(l) => l.name().to_owned(),
            CaptionSet::Background(f) => format!("{} background", f.name()),
            CaptionSet::Two => "two objects".to_owned(),
            CaptionSet::Blank => "blank".to_owned(),
        }
    }

    /// Its seeded stream's cell, apart from every episode cell.
    fn cell(self) -> u64 {
        match self {
            CaptionSet::Look(l) => 200 + l as u64,
            CaptionSet::Background(f) => 300 + f as u64,
            CaptionSet::Two => 400,
            CaptionSet::Blank => 401,
        }
    }

    fn draw(self) -> Draw {
        match self {
            CaptionSet::Look(l) => Draw {
                objects: 1,
                look: Some(l),
                ..Draw::default()
            },
            CaptionSet::Background(f) => Draw {
                objects: 1,
                family: Some(f),
                ..Draw::default()
            },
            CaptionSet::Two => Draw {
                objects: 2,
                ..Draw::default()
            },
            CaptionSet::Blank => Draw::default(),
        }
    }
}

/// Pictures are drawn per batch, not all at once, to bound memory.
const BATCH: usize = 50;

/// The seeded stream for one (task, shots) cell or the captions, independent of the others.
fn stream(seed: u64, cell: u64) -> Rng {
    let mut rng = Rng::new(seed ^ cell.wrapping_mul(0xA24B_AED4_963E_E407));
    rng.fork()
}

/// `n` evaluation episodes of a task, as `cargo xtask`, tests and the page draw them,
/// each with [`MAX_SHOTS`] shots. An episode of fewer shots is one of these with only
/// its last shots ([`Episode::last_shots`]): every number of shots asks the same `n`
/// queries, so the curve compares like with like, and a picture is encoded once for
/// all nine.
pub fn episodes(seed: u64, task: Task, n: usize) -> Vec<Episode> {
    let mut rng = stream(seed, 1 + task as u64 * 16);
    (0..n)
        .map(|_| Episode::sample(&mut rng, task, MAX_SHOTS))
        .collect()
}

/// `n` scenes of a set to caption.
pub fn caption_scenes(seed: u64, set: CaptionSet, n: usize) -> Vec<Scene> {
    let mut rng = stream(seed, set.cell());
    (0..n).map(|_| Scene::draw(&mut rng, set.draw())).collect()
}

/// Episodes counted in one batch, here and on the page: few enough that a page's
/// worker answers between frames of a measurement, and the same everywhere, so the
/// page counts what the CLI counts.
pub const PIECE: usize = 10;

/// Per number of shots, 0 to [`MAX_SHOTS`], how many of `episodes` (each with every
/// shot, from [`episodes`]) are answered right when shown only their last shots, all
/// in one batch: the pictures are drawn, encoded and resampled once for the nine.
///
/// # Panics
/// If an episode has fewer than [`MAX_SHOTS`] shots.
pub async fn few_shot_correct(
    model: &MiniFlamingo,
    episodes: &[Episode],
    gating: Gating,
) -> Vec<usize> {
    let pictures: Vec<Vec<Picture>> = episodes.iter().map(|e| e.prompt.pictures()).collect();
    assert!(
        pictures.iter().all(|p| p.len() == MAX_SHOTS + 1),
        "episodes with every shot"
    );
    let whole: Vec<(&[u32], &[Picture])> = episodes
        .iter()
        .zip(&pictures)
        .map(|(e, p)| (e.prompt.tokens.as_slice(), p.as_slice()))
        .collect();
    let (media, _) = model.media(&Batch::new(&whole, &model.device()));
    let [b, images, _, _] = media.dims();
    let mut correct = Vec::with_capacity(MAX_SHOTS + 1);
    for shots in 0..=MAX_SHOTS {
        let fewer: Vec<Episode> = episodes.iter().map(|e| e.last_shots(shots)).collect();
        let seen = images - 1 - shots..images;
        let tokens: Vec<&[u32]> = fewer.iter().map(|e| e.prompt.tokens.as_slice()).collect();
        let batch = Batch::text(&tokens, &model.device());
        let steps =
            next_words_seeing(model, &batch, media.clone().slice([0..b, seen]), gating).await;
        correct.push(
            steps
                .iter()
                .zip(episodes)
                .filter(|(step, e)| step.token == e.answer)
                .count(),
        );
    }
    correct
}

/// Per number of shots, 0 to [`MAX_SHOTS`], the accuracy of the first answered word
/// over `episodes` shown only their last shots, counted [`PIECE`] episodes at a time.
pub async fn few_shot_accuracy(
    model: &MiniFlamingo,
    episodes: &[Episode],
    gating: Gating,
) -> Vec<f64> {
    let mut correct = vec![0; MAX_SHOTS + 1];
    for piece in episodes.chunks(PIECE) {
        let counted = few_shot_correct(model, piece, gating).await;
        correct.iter_mut().zip(counted).for_each(|(c, n)| *c += n);
    }
    correct
        .into_iter()
        .map(|c| c as f64 / episodes.len().max(1) as f64)
        .collect()
}

/// How well scenes are captioned.
pub async fn caption_accuracy(
    model: &MiniFlamingo,
    scenes: &[Scene],
    gating: Gating,
) -> CaptionScore {
    let mut counts = [0usize; 4];
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
            let first = scene.objects.first();
            let colour = steps.iter().find_map(|s| colour_of(s.token));
            let shape = steps.iter().find_map(|s| shape_of(s.token));
            let words: Vec<u32> = steps.iter().map(|s| s.token).collect();
            let named: Vec<(Colour, Shape)> =
                scene.objects.iter().map(|o| (o.colour, o.shape)).collect();
            let mut description = description(scene);
            description.push(EOC);
            for (count, right) in counts.iter_mut().zip([
                first.is_some_and(|o| colour == Some(o.colour)),
                first.is_some_and(|o| shape == Some(o.shape)),
                read_caption(&words) == Some(named),
                words == description,
            ]) {
                *count += right as usize;
            }
        }
    }
    let n = scenes.len().max(1) as f64;
    let [colour, shape, objects, words] = counts.map(|c| c as f64 / n);
    CaptionScore {
        colour,
        shape,
        objects,
        words,
    }
}

/// The whole evaluation: `n` captions per set, and `n` episodes per task, each asked
/// with 0 to 8 of its shots.
pub async fn evaluate(model: &MiniFlamingo, n: usize, seed: u64, gating: Gating) -> Evaluation {
    let mut captions = BTreeMap::new();
    for set in CaptionSet::all() {
        let score = caption_accuracy(model, &caption_scenes(seed, set, n), gating).await;
        captions.insert(set.name(), score);
    }
    let mut few_shot = BTreeMap::new();
    for task in Task::ALL {
        let per_shots = few_shot_accuracy(model, &episodes(seed, task, n), gating).await;
        few_shot.insert(task.word().to_owned(), per_shots);
    }
    let few_shot_mean = (0..=MAX_SHOTS)
        .map(|k| few_shot.values().map(|v| v[k]).sum::<f64>() / few_shot.len() as f64)
        .collect();
    Evaluation {
        captions,
        few_shot,
        few_shot_mean,
        episodes: n,
    }
}
