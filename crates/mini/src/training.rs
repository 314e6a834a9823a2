//! The three stages, as the Flamingo paper trains (§2, §3): a vision encoder and a
//! language model pretrained apart and frozen, then only the resampler and the gated
//! blocks trained on interleaved text and pictures. Natively, on burn's CPU backend
//! with autodiff; every draw comes from the configuration's seed.
//!
//! The library reports progress through a callback; `cargo xtask train` draws it.

use web_time::Instant;

use burn::config::Config;
use burn::module::{Module, ParamId};
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::activation::{log_sigmoid, log_softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};
use flamingo::{Gating, seeded};

use crate::data::{Mix, batch, targets};
use crate::encoder::{GRID, VisionEncoder, pixels};
use crate::language_model::LanguageModel;
pub use crate::log::{LogEntry, StageRecord, StepTimes};
use crate::model::{Batch, MiniFlamingo, MiniFlamingoConfig, token_tensor};
use crate::scene::{Colour, Rng, SIDE, Scene, Shape};
use crate::vocab::{Prompt, picture_decided};

/// Everything a run depends on; saved beside the weights.
#[derive(Config, Debug)]
pub struct TrainingConfig {
    #[config(default = "MiniFlamingoConfig::new()")]
    pub model: MiniFlamingoConfig,
    #[config(default = 2026)]
    pub seed: u64,
    #[config(default = 4000)]
    pub encoder_steps: usize,
    #[config(default = 64)]
    pub encoder_batch: usize,
    #[config(default = 3e-3)]
    pub encoder_lr: f64,
    #[config(default = 800)]
    pub lm_steps: usize,
    #[config(default = 32)]
    pub lm_batch: usize,
    #[config(default = 2e-3)]
    pub lm_lr: f64,
    #[config(default = 5000)]
    pub flamingo_steps: usize,
    #[config(default = 80)]
    pub flamingo_batch: usize,
    #[config(default = 1e-3)]
    pub flamingo_lr: f64,
    /// Steps of each ablation run (logs only).
    #[config(default = 200)]
    pub ablation_steps: usize,
    /// The fast-gate ablation's learning rate on α, as a multiple of the others'.
    #[config(default = 100.0)]
    pub fast_gate_lr: f64,
    /// Captions among the sequences of a step (rounded); the rest are episodes. Each kind
    /// is run as its own padded batch.
    #[config(default = 0.8)]
    pub caption_share: f32,
    /// Training episodes whose task word is written.
    #[config(default = 0.5)]
    pub named_share: f32,
    #[config(default = 10)]
    pub log_every: usize,
}

/// What the trainer reports while it runs.
#[derive(Debug, Clone)]
pub enum Progress {
    /// A stage begins.
    Stage { name: &'static str, steps: usize },
    /// A step of the current stage ended with this loss.
    Step { step: usize, loss: f64 },
}

impl StageRecord {
    fn since(start: Instant, steps: usize, final_loss: f64) -> StageRecord {
        StageRecord {
            steps,
            seconds: start.elapsed().as_secs_f64(),
            final_loss,
        }
    }
}

/// A whole training run: the model and its record.
pub struct Trained {
    pub model: MiniFlamingo,
    pub encoder: StageRecord,
    /// Colour and shape accuracy of the encoder's heads on fresh scenes.
    pub encoder_accuracy: [f64; 2],
    pub lm: StageRecord,
    pub flamingo: StageRecord,
    pub log: Vec<LogEntry>,
    /// The ablations' logs: no tanh gate, and gates that learn fast.
    pub ungated: (StageRecord, Vec<LogEntry>),
    pub fast_gates: (StageRecord, Vec<LogEntry>),
}

/// A Flamingo-stage variant.
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    pub gating: Gating,
    /// Multiplies the learning rate of the gates' α.
    pub gate_lr: f64,
    pub steps: usize,
}

/// The encoder's pretraining heads: which colours and which shapes the picture holds
/// (none, one or two of each), from each feature's maximum over the grid; and, per
/// patch, the colour and shape of the object it lies on, or background.
#[derive(Module, Debug)]
struct Heads {
    encoder: VisionEncoder,
    colour: Linear,
    shape: Linear,
    patch_colour: Linear,
    patch_shape: Linear,
}

impl Heads {
    /// `[b, colours]` and `[b, shapes]` for the picture; `[b·64, colours + 1]` and
    /// `[b·64, shapes + 1]` per patch.
    fn forward(&self, pixels: Tensor<4>) -> [Tensor<2>; 4] {
        let features = self.encoder.features(pixels);
        let [b, v, d] = features.dims();
        let pooled = features.clone().max_dim(1).squeeze_dim::<2>(1);
        let patches = features.reshape([b * v, d]);
        [
            self.colour.forward(pooled.clone()),
            self.shape.forward(pooled),
            self.patch_colour.forward(patches.clone()),
            self.patch_shape.forward(patches),
        ]
    }
}

/// Per patch of each scene, row by row: the index of the colour and of the shape of the
/// object whose box (2 px wider) holds the patch's centre, or the count of colours
/// (shapes) for background. Only the picture-level heads know a scene holds two
/// objects; these make each patch's feature say which object it belongs to, so the
/// resampler can tell two objects' colours and shapes apart.
fn patch_labels(scenes: &[Scene]) -> (Vec<u32>, Vec<u32>) {
    let cell = SIDE as f32 / GRID as f32;
    let (mut colours, mut shapes) = (Vec::new(), Vec::new());
    for scene in scenes {
        for row in 0..GRID {
            for col in 0..GRID {
                let (x, y) = ((col as f32 + 0.5) * cell, (row as f32 + 0.5) * cell);
                let on = scene.objects.iter().find(|o| {
                    let h = o.half_extent() + 2.0;
                    (x - o.x).abs() <= h && (y - o.y).abs() <= h
                });
                colours.push(on.map_or(Colour::ALL.len(), |o| o.colour as usize) as u32);
                shapes.push(on.map_or(Shape::ALL.len(), |o| o.shape as usize) as u32);
            }
        }
    }
    (colours, shapes)
}

/// `log p(target)` per row of `[n, classes]` logits.
fn picked(logits: Tensor<2>, targets: &[u32]) -> Tensor<1> {
    let n = targets.len();
    let index = Tensor::<2, Int>::from_data(
        TensorData::new(targets.iter().map(|&t| t as i64).collect(), [n, 1]),
        &logits.device(),
    );
    log_softmax(logits, 1).gather(1, index).reshape([n])
}

/// Binary cross-entropy of `[n, classes]` logits against which classes are present, summed
/// over classes and averaged over rows.
fn present(logits: Tensor<2>, truth: &[Vec<bool>]) -> Tensor<1> {
    let [n, classes] = logits.dims();
    let y = Tensor::<2>::from_data(
        TensorData::new(
            truth.iter().flatten().map(|&t| t as u8 as f32).collect(),
            [n, classes],
        ),
        &logits.device(),
    );
    let on = log_sigmoid(logits.clone()) * y.clone();
    let off = log_sigmoid(logits.neg()) * (y.neg() + 1.0);
    (on + off).sum().neg() / n as f32
}

fn weights(values: Vec<f32>, device: &Device) -> Tensor<1> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f32>() as f64
}

/// Linear decay to a tenth of the rate over the stage.
fn decayed(lr: f64, step: usize, steps: usize) -> f64 {
    lr * (1.0 - 0.9 * step as f64 / steps.max(1) as f64)
}

/// Per token of a padded batch: its next-token target and which losses it counts in.
struct Targets {
    ids: Vec<u32>,
    image: Vec<f32>,
    text: Vec<f32>,
}

impl Targets {
    fn new(sequences: &[Vec<u32>], len: usize) -> Targets {
        let mut t = Targets {
            ids: Vec::new(),
            image: Vec::new(),
            text: Vec::new(),
        };
        for tokens in sequences {
            let decided = picture_decided(tokens);
            for (i, target) in targets(tokens, len).into_iter().enumerate() {
                let (id, image, text) = match target {
                    Some(id) if decided[i + 1] => (id, 1.0, 0.0),
                    Some(id) => (id, 0.0, 1.0),
                    None => (0, 0.0, 0.0),
                };
                t.ids.push(id);
                t.image.push(image);
                t.text.push(text);
            }
        }
        t
    }
}

/// (loss over all targets, over image targets, over text targets) of batches' logits
/// with their targets, each a mean over every target of the batches; the first tracked.
fn losses(parts: Vec<(Targets, Tensor<3>)>) -> (Tensor<1>, f64, f64) {
    let mut nll = Vec::new();
    let (mut image, mut text) = (Vec::new(), Vec::new());
    for (targets, logits) in parts {
        let [b, t, vocab] = logits.dims();
        nll.push(picked(logits.reshape([b * t, vocab]), &targets.ids).neg());
        image.extend(targets.image);
        text.extend(targets.text);
    }
    let nll = Tensor::cat(nll, 0);
    let device = nll.device();
    let mean = |w: &[f32]| {
        let count = w.iter().sum::<f32>().max(1.0);
        (nll.clone() * weights(w.to_vec(), &device)).sum() / count
    };
    let all: Vec<f32> = image.iter().zip(&text).map(|(a, b)| a + b).collect();
    let image_loss = scalar(mean(&image).detach());
    let text_loss = scalar(mean(&text).detach());
    (mean(&all), image_loss, text_loss)
}

/// Stage 1: the encoder learns to name the colours and shapes present; the heads are
/// then dropped. The accuracy is the share of fresh pictures whose colours (shapes) are
/// all named and no other.
pub fn train_encoder(
    config: &TrainingConfig,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> (VisionEncoder, StageRecord, [f64; 2]) {
    let dim = config.model.encoder.dim;
    let model = seeded(config.seed, device, |d| Heads {
        encoder: config.model.encoder.init(d),
        colour: LinearConfig::new(dim, Colour::ALL.len()).init(d),
        shape: LinearConfig::new(dim, Shape::ALL.len()).init(d),
        patch_colour: LinearConfig::new(dim, Colour::ALL.len() + 1).init(d),
        patch_shape: LinearConfig::new(dim, Shape::ALL.len() + 1).init(d),
    })
    .train();
    let mut rng = Rng::new(config.seed ^ 1);
    let (model, record) = stage(
        "1 encoder",
        config.encoder_steps,
        config.encoder_lr,
        model,
        progress,
        |model| {
            let scenes: Vec<Scene> = (0..config.encoder_batch)
                .map(|_| Scene::sample_any(&mut rng))
                .collect();
            let [colour, shape, patch_colour, patch_shape] =
                model.forward(pixels(&render(&scenes), device));
            let (patch_colours, patch_shapes) = patch_labels(&scenes);
            let patches = patch_colours.len() as f32;
            present(colour, &colours(&scenes))
                + present(shape, &shapes(&scenes))
                + (picked(patch_colour, &patch_colours).sum()
                    + picked(patch_shape, &patch_shapes).sum())
                .neg()
                    / patches
        },
    );
    // Accuracy on scenes the encoder never saw.
    let scenes: Vec<Scene> = (0..500).map(|_| Scene::sample_any(&mut rng)).collect();
    let heads = model.valid();
    let [colour, shape, ..] = heads.forward(pixels(&render(&scenes), &device.clone().inner()));
    let accuracy = |logits: Tensor<2>, truth: Vec<Vec<bool>>| {
        let said: Vec<f32> = logits.into_data().try_to_vec().expect("logits");
        let classes = truth[0].len();
        truth
            .iter()
            .zip(said.chunks(classes))
            .filter(|(t, s)| t.iter().zip(s.iter()).all(|(&t, &s)| t == (s > 0.0)))
            .count() as f64
            / truth.len() as f64
    };
    let acc = [
        accuracy(colour, colours(&scenes)),
        accuracy(shape, shapes(&scenes)),
    ];
    (model.encoder, record, acc)
}

fn render(scenes: &[Scene]) -> Vec<crate::scene::Picture> {
    scenes.iter().map(Scene::render).collect()
}

/// Per scene, which of the six colours it holds.
fn colours(scenes: &[Scene]) -> Vec<Vec<bool>> {
    scenes
        .iter()
        .map(|s| {
            Colour::ALL
                .iter()
                .map(|&c| s.objects.iter().any(|o| o.colour == c))
                .collect()
        })
        .collect()
}

/// Per scene, which of the four shapes it holds.
fn shapes(scenes: &[Scene]) -> Vec<Vec<bool>> {
    scenes
        .iter()
        .map(|s| {
            Shape::ALL
                .iter()
                .map(|&c| s.objects.iter().any(|o| o.shape == c))
                .collect()
        })
        .collect()
}

fn mix(config: &TrainingConfig) -> Mix {
    Mix {
        captions: config.caption_share,
        named: config.named_share,
    }
}

/// Stage 2: the language model learns the text alone, image markers as plain tokens.
pub fn train_lm(
    config: &TrainingConfig,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> (LanguageModel, StageRecord) {
    let lm = seeded(config.seed ^ 2, device, |d| config.model.lm.init(d)).train();
    let mut rng = Rng::new(config.seed ^ 3);
    stage(
        "2 language model",
        config.lm_steps,
        config.lm_lr,
        lm,
        progress,
        |lm| {
            let sequences: Vec<Vec<u32>> = batch(&mut rng, mix(config), config.lm_batch)
                .into_iter()
                .flatten()
                .map(|p| p.tokens)
                .collect();
            let tokens = token_tensor(&sequences, device);
            let targets = Targets::new(&sequences, tokens.dims()[1]);
            losses(vec![(targets, lm.forward(tokens))]).0
        },
    )
}

/// Adam on every parameter of `model` for `steps` steps of `loss`, the rate decaying;
/// reports each step.
fn stage<M: Module>(
    name: &'static str,
    steps: usize,
    lr: f64,
    mut model: M,
    progress: &mut dyn FnMut(&Progress),
    mut loss: impl FnMut(&M) -> Tensor<1>,
) -> (M, StageRecord) {
    let mut optim = AdamConfig::new().init();
    let start = Instant::now();
    progress(&Progress::Stage { name, steps });
    let mut loss_value = f64::NAN;
    for step in 0..steps {
        let loss = loss(&model);
        loss_value = scalar(loss.clone().detach());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(decayed(lr, step, steps), model, grads);
        progress(&Progress::Step {
            step: step + 1,
            loss: loss_value,
        });
    }
    (model, StageRecord::since(start, steps, loss_value))
}

/// Seconds since the last lap.
struct Lap(Instant);

impl Lap {
    fn new() -> Lap {
        Lap(Instant::now())
    }

    fn next(&mut self) -> f64 {
        let seconds = self.0.elapsed().as_secs_f64();
        self.0 = Instant::now();
        seconds
    }
}

/// Stage 3 one step at a time: a fresh bridge between a frozen encoder and language
/// model, with its own stream of training sequences and its optimisers (one for the
/// gates' α, whose rate the fast-gate ablation multiplies, one for the rest).
/// [`train_flamingo`] runs it to the end; a caller can also stop, read and go on.
pub struct BridgeTraining {
    /// Out only during an update, which moves the bridge through the optimisers.
    model: Option<MiniFlamingo>,
    config: TrainingConfig,
    variant: Variant,
    gate_ids: Vec<ParamId>,
    optim: ModuleOptimizer,
    gate_optim: ModuleOptimizer,
    rng: Rng,
    steps_done: usize,
    times: StepTimes,
}

impl BridgeTraining {
    /// The bridge drawn from the configuration's seed, its gates at 0.
    pub fn new(
        config: &TrainingConfig,
        encoder: &VisionEncoder,
        lm: &LanguageModel,
        variant: Variant,
        device: &Device,
    ) -> BridgeTraining {
        let model = MiniFlamingo {
            encoder: encoder.clone().no_grad(),
            lm: lm.clone().no_grad(),
            bridge: seeded(config.seed ^ 4, device, |d| config.model.init_bridge(d)).train(),
            cross_attn_every: config.model.cross_attn_every,
        };
        BridgeTraining {
            gate_ids: model.bridge.gate_ids(),
            model: Some(model),
            config: config.clone(),
            variant,
            optim: AdamConfig::new().init(),
            gate_optim: AdamConfig::new().init(),
            // The same stream for every variant: the runs differ only in how the gates act.
            rng: Rng::new(config.seed ^ 5),
            steps_done: 0,
            times: StepTimes::default(),
        }
    }

    /// Updates taken so far.
    pub fn steps_done(&self) -> usize {
        self.steps_done
    }

    pub fn model(&self) -> &MiniFlamingo {
        self.model
            .as_ref()
            .expect("the model is back after every update")
    }

    pub fn into_model(mut self) -> MiniFlamingo {
        self.model
            .take()
            .expect("the model is back after every update")
    }

    /// The next batch's loss (tracked), and its record: the losses on picture and text
    /// targets and each block's gates, as they were before any update on this batch.
    fn next_batch(&mut self) -> (Tensor<1>, LogEntry) {
        let mut lap = Lap::new();
        let mut times = StepTimes::default();
        let config = &self.config;
        let kinds = batch(&mut self.rng, mix(config), config.flamingo_batch);
        let model = self
            .model
            .as_ref()
            .expect("the model is back after every update");
        // Captions and episodes apart: each padded only to its own kind's longest.
        let mut parts = Vec::new();
        for part in kinds.iter().filter(|part| !part.is_empty()) {
            let pictures: Vec<Vec<_>> = part.iter().map(Prompt::pictures).collect();
            let sequences: Vec<(&[u32], &[crate::scene::Picture])> = part
                .iter()
                .zip(&pictures)
                .map(|(p, pics)| (p.tokens.as_slice(), pics.as_slice()))
                .collect();
            let batch = Batch::new(&sequences, &model.device());
            let ids: Vec<Vec<u32>> = part.iter().map(|p| p.tokens.clone()).collect();
            let targets = Targets::new(&ids, batch.tokens.dims()[1]);
            times.data += lap.next();
            let patches = model.encoder.forward(batch.pixels.clone());
            times.encoder += lap.next();
            let (media, _) = model.resample(patches, &batch.counts);
            times.resampler += lap.next();
            parts.push((
                targets,
                model.decode(&batch, media, self.variant.gating).logits,
            ));
            times.language_model += lap.next();
        }
        let (loss, loss_image, loss_text) = losses(parts);
        let entry = LogEntry {
            step: self.steps_done,
            loss: scalar(loss.clone().detach()),
            loss_image,
            loss_text,
            // α through its tanh, for every variant (the ungated run's α never moves).
            gates: model
                .bridge
                .gates(Gating::default())
                .into_iter()
                .map(|g| g.map(|t| scalar(t.detach())))
                .collect(),
        };
        times.language_model += lap.next();
        self.times = times;
        (loss, entry)
    }

    /// One update on the next batch; the batch's record from before the update.
    pub fn step(&mut self) -> LogEntry {
        let (loss, entry) = self.next_batch();
        let mut lap = Lap::new();
        let mut grads = loss.backward();
        self.times.backward = lap.next();
        let mut model = self
            .model
            .take()
            .expect("the model is back after every update");
        let gate_grads = GradientsParams::from_params(&mut grads, &model.bridge, &self.gate_ids);
        let rest = GradientsParams::from_grads(grads, &model.bridge);
        let lr = decayed(self.config.flamingo_lr, self.steps_done, self.variant.steps);
        model.bridge = self.optim.step(lr, model.bridge, rest);
        model.bridge = self
            .gate_optim
            .step(lr * self.variant.gate_lr, model.bridge, gate_grads);
        self.model = Some(model);
        self.times.optimiser = lap.next();
        self.steps_done += 1;
        entry
    }

    /// Where the last step's time went.
    pub fn last_times(&self) -> StepTimes {
        self.times
    }

    /// The next batch's record with no update.
    pub fn measure(&mut self) -> LogEntry {
        self.next_batch().1
    }
}

/// Stage 3: a fresh bridge between the frozen encoder and LM, trained alone for the
/// variant's steps, logged every `log_every` steps and once more after the last.
/// Returns the model, the stage's record and its log.
pub fn train_flamingo(
    config: &TrainingConfig,
    encoder: &VisionEncoder,
    lm: &LanguageModel,
    variant: Variant,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
    name: &'static str,
) -> (MiniFlamingo, StageRecord, Vec<LogEntry>) {
    let mut run = BridgeTraining::new(config, encoder, lm, variant, device);
    let start = Instant::now();
    let steps = variant.steps;
    progress(&Progress::Stage { name, steps });
    let mut log = Vec::new();
    for step in 0..steps {
        let entry = run.step();
        let loss = entry.loss;
        if step % config.log_every == 0 {
            log.push(entry);
        }
        progress(&Progress::Step {
            step: step + 1,
            loss,
        });
    }
    // After the last update, a batch measured only.
    let last = run.measure();
    let record = StageRecord::since(start, steps, last.loss);
    log.push(last);
    (run.into_model(), record, log)
}

impl TrainingConfig {
    pub fn trained(&self) -> Variant {
        Variant {
            gating: Gating::default(),
            gate_lr: 1.0,
            steps: self.flamingo_steps,
        }
    }

    /// The paper's ablation: `y = xattn(x) + x` from the first step.
    pub fn ungated(&self) -> Variant {
        Variant {
            gating: Gating::Ungated,
            gate_lr: 1.0,
            steps: self.ablation_steps,
        }
    }

    /// Gates whose α learns `fast_gate_lr` times faster than the rest.
    pub fn fast_gates(&self) -> Variant {
        Variant {
            gating: Gating::default(),
            gate_lr: self.fast_gate_lr,
            steps: self.ablation_steps,
        }
    }
}

/// Stages 1–3 on `device` (an autodiff device), then the two ablations of stage 3;
/// the model comes back without autodiff.
pub fn train(
    config: &TrainingConfig,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> Trained {
    let (encoder, encoder_record, encoder_accuracy) = train_encoder(config, device, progress);
    let (lm, lm_record) = train_lm(config, device, progress);
    let mut stage3 =
        |variant, name| train_flamingo(config, &encoder, &lm, variant, device, progress, name);
    let (model, flamingo, log) = stage3(config.trained(), "3 flamingo");
    let (_, record, ungated_log) = stage3(config.ungated(), "ablation: no tanh gate");
    let ungated = (record, ungated_log);
    let (_, record, fast_log) = stage3(config.fast_gates(), "ablation: fast gates");
    Trained {
        model: model.valid(),
        encoder: encoder_record,
        encoder_accuracy,
        lm: lm_record,
        flamingo,
        log,
        ungated,
        fast_gates: (record, fast_log),
    }
}
