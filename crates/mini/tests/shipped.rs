//! The shipped weights (`assets/mini-flamingo.safetensors`): what `cargo xtask train`
//! wrote, checked against the thresholds with a fast seeded evaluation, and the
//! exact identity of the closed gates with the frozen language model.

use std::sync::OnceLock;

use burn::tensor::Device;
use mini::evaluate::{CaptionSet, caption_accuracy, caption_scenes, episodes, few_shot_accuracy};
use mini::inference::{caption, caption_text, next_words_seeing, resolved};
use mini::model::Batch;
use mini::scene::{Colour, Picture, Rng, Scene, Shape};
use mini::vocab::{MAX_SHOTS, Prompt, Task};
use mini::{Gating, MiniFlamingo, weights};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/mini-flamingo.safetensors"
);

/// Episodes per cell: small enough for a test, seeded so the count is the same each run.
const N: usize = 60;
const SEED: u64 = 11;

fn model() -> &'static MiniFlamingo {
    static MODEL: OnceLock<MiniFlamingo> = OnceLock::new();
    MODEL.get_or_init(|| {
        let bytes = std::fs::read(PATH).expect("the shipped weights");
        weights::load(&bytes, &Device::flex()).expect("they load").0
    })
}

/// Per number of shots, 0 to 8, the accuracy averaged over tasks.
fn mean_over_tasks(gating: Gating) -> Vec<f64> {
    let per_task: Vec<Vec<f64>> = Task::ALL
        .iter()
        .map(|&t| resolved(few_shot_accuracy(model(), &episodes(SEED, t, N), gating)))
        .collect();
    (0..=MAX_SHOTS)
        .map(|k| per_task.iter().map(|v| v[k]).sum::<f64>() / per_task.len() as f64)
        .collect()
}

#[test]
fn the_weights_file_is_small() {
    let bytes = std::fs::metadata(PATH).unwrap().len();
    // Raw f32 under 2 MB, so gzip is too.
    assert!(bytes <= 2_000_000, "{bytes} bytes");
}

/// Each caption set's failures against the contract's thresholds, for the measures
/// `which` picks ("colour", "shape" or "objects": every object and the order right).
fn caption_failures(which: impl Fn(CaptionSet) -> Vec<&'static str>) -> Vec<String> {
    let mut failed = Vec::new();
    for set in CaptionSet::all() {
        let score = resolved(caption_accuracy(
            model(),
            &caption_scenes(SEED, set, N),
            Gating::default(),
        ));
        let least = if set == CaptionSet::Two { 0.85 } else { 0.95 };
        for measure in which(set) {
            let measured = match measure {
                "colour" => score.colour,
                "shape" => score.shape,
                _ => score.objects,
            };
            if measured < least {
                failed.push(format!("{} {measure}: {measured} < {least}", set.name()));
            }
        }
    }
    failed
}

/// Issue 21's contract: colour and shape in every look and on every background, both of
/// two objects in order, and blank pictures called blank.
#[test]
fn every_look_background_two_objects_and_blank_pictures_are_named() {
    let failed = caption_failures(|set| match set {
        CaptionSet::Look(_) | CaptionSet::Background(_) => vec!["colour", "shape"],
        CaptionSet::Two | CaptionSet::Blank => vec!["objects"],
    });
    assert!(failed.is_empty(), "{failed:?}");
}

#[test]
fn few_shot_accuracy_grows_from_ambiguous_to_certain() {
    let at = mean_over_tasks(Gating::default());
    let (zero, two, four, eight) = (at[0], at[2], at[4], at[8]);
    assert!(zero <= 0.65, "0 shots: {zero}");
    assert!(two >= 0.9, "2 shots: {two}");
    assert!(four >= 0.95, "4 shots: {four}");
    assert!(eight >= 0.95, "8 shots: {eight}");
}

#[test]
fn with_the_gates_closed_the_pictures_do_not_matter() {
    let closed = Gating::Tanh { scale: 0.0 };
    // Chance is 1/6 for colour and 1/4 for shape: about 0.21 over both tasks.
    let four = mean_over_tasks(closed)[4];
    assert!(four <= 0.35, "4 shots at scale 0: {four}");
    let mut rng = Rng::new(3);
    let captions: Vec<String> = [
        (Shape::Circle, Colour::Red),
        (Shape::Triangle, Colour::Blue),
        (Shape::Cross, Colour::Yellow),
    ]
    .into_iter()
    .map(|(s, c)| {
        let picture = Scene::with(&mut rng, s, c).render();
        caption_text(&resolved(caption(model(), &picture, closed)))
    })
    .collect();
    assert!(captions.iter().all(|c| *c == captions[0]), "{captions:?}");
}

#[test]
fn at_scale_zero_every_logit_is_the_language_models_bit_for_bit() {
    let model = model();
    let mut rng = Rng::new(5);
    let shots: Vec<Scene> = (0..3).map(|_| Scene::sample(&mut rng)).collect();
    let prompts = [
        Prompt::caption(Scene::sample(&mut rng)),
        Prompt::episode(Task::Colour, &shots, Scene::sample(&mut rng), false),
    ];
    let pictures: Vec<Vec<Picture>> = prompts.iter().map(Prompt::pictures).collect();
    let sequences: Vec<(&[u32], &[Picture])> = prompts
        .iter()
        .zip(&pictures)
        .map(|(p, pics)| (p.tokens.as_slice(), pics.as_slice()))
        .collect();
    let batch = Batch::new(&sequences, &Device::flex());
    let bits = |t: burn::tensor::Tensor<3>| -> Vec<u32> {
        t.into_data()
            .try_to_vec::<f32>()
            .unwrap()
            .into_iter()
            .map(f32::to_bits)
            .collect()
    };
    let lm_alone = bits(model.lm.forward(batch.tokens.clone()));
    let closed = bits(model.forward(&batch, Gating::Tanh { scale: 0.0 }).logits);
    assert_eq!(lm_alone.len(), closed.len());
    assert!(lm_alone == closed, "scale 0 must be the LM exactly");
    // As trained, the pictures change the logits.
    let open = bits(model.forward(&batch, Gating::default()).logits);
    assert!(open != lm_alone);
}

/// "Measure" decodes each number of shots from visual tokens made once for all nine
/// pictures: a batch of the tokens alone gives the same next words, bit for bit, as the
/// batch that carried the pictures.
#[test]
fn decoding_made_media_needs_the_tokens_alone() {
    let model = model();
    let shots = 3;
    let fewer: Vec<_> = episodes(SEED, Task::ALL[0], 10)
        .iter()
        .map(|e| e.last_shots(shots))
        .collect();
    let pictures: Vec<Vec<Picture>> = fewer.iter().map(|e| e.prompt.pictures()).collect();
    let with: Vec<(&[u32], &[Picture])> = fewer
        .iter()
        .zip(&pictures)
        .map(|(e, p)| (e.prompt.tokens.as_slice(), p.as_slice()))
        .collect();
    let whole = Batch::new(&with, &model.device());
    let (media, _) = model.media(&whole);
    let tokens: Vec<&[u32]> = fewer.iter().map(|e| e.prompt.tokens.as_slice()).collect();
    let text = Batch::text(&tokens, &model.device());
    assert_eq!(text.counts, whole.counts);
    let seeing = |batch: &Batch| {
        resolved(next_words_seeing(
            model,
            batch,
            media.clone(),
            Gating::Tanh { scale: 1.0 },
        ))
    };
    assert_eq!(seeing(&text), seeing(&whole));
}
