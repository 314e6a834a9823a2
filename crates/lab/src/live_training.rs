//! Training the bridge live (issue 23): stage 3 of `mini`'s trainer, its very steps
//! ([`BridgeTraining`]), from the shipped frozen encoder and language model and a fresh
//! bridge whose gates start at 0, with the settings a student changes. A worker of the
//! page's trainer module runs it; natively it is tested here.

pub use mini::log::{LogEntry, StepTimes};
#[cfg(any(feature = "training", not(target_arch = "wasm32")))]
pub use run::{LiveTraining, PROBE_SCENES};

/// What a student can change about a run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// Adam's learning rate.
    pub lr: f64,
    /// Training sequences per step.
    pub batch: usize,
    /// Multiplies the rate of the gates' α ("fast gates": 100).
    pub gate_lr: f64,
    /// The tanh gate; without it a block is `y = xattn(x) + x` from the first step.
    pub gated: bool,
    /// K, visual tokens per picture.
    pub k: usize,
    /// M: a gated block before every M-th layer of the language model.
    pub every: usize,
}

impl Default for Settings {
    /// Measured natively on one core (BENCHMARKS.md): at 3e-3 and 16 sequences a step,
    /// the colour is named right by step 150 and the shape by step 225 (under 10 s); at the
    /// shipped run's 1e-3 the colour stays at the language model's guess until step 150
    /// and is named right from step 250.
    fn default() -> Settings {
        Settings {
            lr: 3e-3,
            batch: 16,
            gate_lr: 1.0,
            gated: true,
            k: 8,
            every: 2,
        }
    }
}

impl Settings {
    /// The run's label beside its curves.
    pub fn label(&self) -> String {
        let mut parts = vec![
            format!("rate {}", self.lr),
            if self.gated {
                "tanh gate"
            } else {
                "no gate: y = xattn(x) + x"
            }
            .to_owned(),
        ];
        if self.gate_lr != 1.0 {
            parts.push(format!("gates learn ×{} faster", self.gate_lr));
        }
        parts.push(format!("K {}", self.k));
        parts.push(match self.every {
            1 => "a block before every layer".to_owned(),
            m => format!("a block every {m} layers"),
        });
        parts.join(", ")
    }
}

/// Earlier runs drawn beside the current one, on the same axes.
pub const KEPT_RUNS: usize = 3;

/// A run's losses as the page keeps them: per step, (step, loss on the picture's words,
/// loss on text-only words), with the run's number and label.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Curve {
    /// Counts runs from 0 in the page's session: it picks the run's colour.
    pub number: usize,
    pub label: String,
    pub points: Vec<(usize, f64, f64)>,
}

impl Curve {
    /// What its legend says: "run 2: rate 0.003, tanh gate, …", counted from 1.
    pub fn title(&self) -> String {
        format!("run {}: {}", self.number + 1, self.label)
    }

    /// At most `most` points, each the mean of consecutive steps: a long run costs no
    /// more to draw than a short one, and its batch-to-batch noise is averaged.
    pub fn thinned(&self, most: usize) -> Vec<(f64, f64, f64)> {
        let size = self.points.len().div_ceil(most.max(1)).max(1);
        self.points
            .chunks(size)
            .map(|c| {
                let n = c.len() as f64;
                let sum = c.iter().fold((0.0, 0.0, 0.0), |(s, a, b), p| {
                    (s + p.0 as f64, a + p.1, b + p.2)
                });
                (sum.0 / n, sum.1 / n, sum.2 / n)
            })
            .collect()
    }

    /// The mean loss on the picture's words over the first and the last `n` steps.
    pub fn picture_loss_first_last(&self, n: usize) -> Option<(f64, f64)> {
        let mean = |s: &[(usize, f64, f64)]| s.iter().map(|p| p.1).sum::<f64>() / s.len() as f64;
        let n = n.min(self.points.len());
        (n > 0).then(|| {
            (
                mean(&self.points[..n]),
                mean(&self.points[self.points.len() - n..]),
            )
        })
    }
}

/// Keeps a finished run among the earlier ones (the oldest goes beyond [`KEPT_RUNS`]);
/// a run without a step is not kept.
pub fn keep(kept: &mut Vec<Curve>, run: Curve) {
    if run.points.is_empty() {
        return;
    }
    kept.push(run);
    if kept.len() > KEPT_RUNS {
        kept.remove(0);
    }
}

/// The run itself, where burn's autodiff is built in (natively, and the trainer module).
#[cfg(any(feature = "training", not(target_arch = "wasm32")))]
mod run {
    use super::Settings;
    use flamingo::burn::module::Module;
    use flamingo::burn::tensor::Device;
    use mini::evaluate::caption_accuracy;
    use mini::scene::{Rng, Scene};
    use mini::training::{BridgeTraining, LogEntry, TrainingConfig, Variant};
    use mini::{Gating, MiniFlamingo, MiniFlamingoConfig, weights};

    /// The rate does not decay in a live run: its horizon is further than anyone trains.
    const HORIZON: usize = 1_000_000;

    /// Fresh one-object scenes the probe captions, from their own seed.
    const PROBE_SEED: u64 = 77;
    pub const PROBE_SCENES: usize = 40;

    /// A live run of stage 3.
    pub struct LiveTraining {
        run: BridgeTraining,
        model_config: MiniFlamingoConfig,
        gating: Gating,
        probe: Vec<Scene>,
    }

    impl LiveTraining {
        /// A fresh bridge over the frozen parts of the shipped model in `weights`.
        ///
        /// # Errors
        /// When the weights cannot be read, or a setting is out of range.
        pub fn new(weights: &[u8], settings: &Settings) -> Result<LiveTraining, String> {
            let device = Device::flex().autodiff();
            let (shipped, mut model_config) =
                weights::load(weights, &device).map_err(|e| e.to_string())?;
            let depth = model_config.lm.depth;
            if !(1..=64).contains(&settings.k) {
                return Err(format!("K must be from 1 to 64, not {}", settings.k));
            }
            if !(1..=depth).contains(&settings.every) {
                return Err(format!(
                    "a block every {} layers does not fit a {depth}-layer language model",
                    settings.every
                ));
            }
            if !(settings.lr > 0.0 && settings.lr <= 0.1 && settings.gate_lr > 0.0) {
                return Err("the learning rates must be positive (and at most 0.1)".into());
            }
            if !(1..=64).contains(&settings.batch) {
                return Err(format!(
                    "a step takes 1 to 64 sequences, not {}",
                    settings.batch
                ));
            }
            model_config.num_latents = settings.k;
            model_config.cross_attn_every = settings.every;
            let config = TrainingConfig::new()
                .with_model(model_config.clone())
                .with_flamingo_lr(settings.lr)
                .with_flamingo_batch(settings.batch);
            let gating = if settings.gated {
                Gating::default()
            } else {
                Gating::Ungated
            };
            let variant = Variant {
                gating,
                gate_lr: settings.gate_lr,
                steps: HORIZON,
            };
            let run = BridgeTraining::new(&config, &shipped.encoder, &shipped.lm, variant, &device);
            let mut rng = Rng::new(PROBE_SEED);
            Ok(LiveTraining {
                run,
                model_config,
                gating,
                probe: (0..PROBE_SCENES).map(|_| Scene::sample(&mut rng)).collect(),
            })
        }

        /// One update; the batch's losses and the gates from before it.
        pub fn step(&mut self) -> LogEntry {
            self.run.step()
        }

        pub fn steps_done(&self) -> usize {
            self.run.steps_done()
        }

        /// Where the last step's time went.
        pub fn last_times(&self) -> super::StepTimes {
            self.run.last_times()
        }

        /// The model as trained so far, for captions (no autodiff).
        pub fn model(&self) -> MiniFlamingo {
            self.run.model().clone().valid()
        }

        /// The share of the probe's scenes whose caption names the colour, and the shape,
        /// under the run's own gating.
        pub async fn probe(&self) -> [f64; 2] {
            let score = caption_accuracy(&self.model(), &self.probe, self.gating).await;
            [score.colour, score.shape]
        }

        /// The caption the run gives a picture already fitted to 32 × 32 (its RGB bytes,
        /// rows top to bottom), under the run's own gating.
        pub async fn caption(&self, rgb: &[u8]) -> Result<String, String> {
            let side = mini::scene::SIDE;
            if rgb.len() != side * side * 3 {
                return Err(format!("a picture to caption is {side} × {side} RGB"));
            }
            let picture = mini::scene::Picture {
                width: side,
                height: side,
                rgb: rgb.to_vec(),
            };
            let steps = mini::inference::caption(&self.model(), &picture, self.gating).await;
            Ok(mini::inference::caption_text(&steps))
        }

        /// The run's weights in the shipped file's format, its sizes with them.
        pub fn weights(&self) -> Vec<u8> {
            weights::save(&self.model(), &self.model_config)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::trained::Trained;
    use crate::trained::tests::{WEIGHTS, blue_triangle};
    use flamingo::burn::tensor::Device;
    use mini::Gating;
    use mini::inference::{caption, caption_text, resolved};

    fn run(settings: Settings) -> LiveTraining {
        LiveTraining::new(WEIGHTS, &settings).unwrap()
    }

    #[test]
    fn a_few_steps_open_the_gates() {
        let mut live = run(Settings::default());
        let log: Vec<LogEntry> = (0..12).map(|_| live.step()).collect();
        assert_eq!(live.steps_done(), 12);
        assert!(log[0].gates.iter().flatten().all(|&g| g == 0.0));
        assert!(log[11].gates.iter().flatten().all(|&g| g != 0.0));
        assert!(log.iter().all(|e| e.loss.is_finite()));
        let probe = resolved(live.probe());
        assert!(probe.iter().all(|p| (0.0..=1.0).contains(p)));
    }

    /// The experiments share their first batch and bridge: fast gates start from the
    /// default's loss exactly; without the tanh gate the blocks act from the first step,
    /// so the language model's loss is disturbed before any update.
    #[test]
    fn experiments_start_from_the_same_bridge() {
        let first = |settings| run(settings).step();
        let default = first(Settings::default());
        let fast = first(Settings {
            gate_lr: 100.0,
            ..Settings::default()
        });
        let ungated = first(Settings {
            gated: false,
            ..Settings::default()
        });
        assert_eq!(fast.loss.to_bits(), default.loss.to_bits());
        assert_ne!(ungated.loss.to_bits(), default.loss.to_bits());
    }

    #[test]
    fn other_sizes_train_and_bad_settings_are_refused() {
        let mut live = run(Settings {
            k: 4,
            every: 1,
            ..Settings::default()
        });
        // A block before each of the four layers, two gates each.
        assert_eq!(live.step().gates.len(), 4);
        for (bad, says) in [
            (
                Settings {
                    k: 0,
                    ..Settings::default()
                },
                "K must",
            ),
            (
                Settings {
                    every: 5,
                    ..Settings::default()
                },
                "does not fit",
            ),
            (
                Settings {
                    lr: -1.0,
                    ..Settings::default()
                },
                "positive",
            ),
            (
                Settings {
                    batch: 0,
                    ..Settings::default()
                },
                "sequences",
            ),
        ] {
            let err = LiveTraining::new(WEIGHTS, &bad).err().unwrap();
            assert!(err.contains(says), "{err}");
        }
        assert!(LiveTraining::new(b"not weights", &Settings::default()).is_err());
    }

    /// A run saved as a file opens as the page's trained model and captions as the run does.
    #[test]
    fn a_saved_run_reopens_with_the_same_captions() {
        let mut live = run(Settings {
            k: 4,
            ..Settings::default()
        });
        for _ in 0..3 {
            live.step();
        }
        let direct = resolved(caption(&live.model(), blue_triangle(), Gating::default()));
        let mut opened = Trained::load(&live.weights(), &Device::flex()).unwrap();
        resolved(opened.see(blue_triangle()));
        let reopened = resolved(opened.caption(1.0)).unwrap();
        assert_eq!(reopened.text, caption_text(&direct));
        assert_eq!(reopened.k(), 4);
        for (a, b) in reopened.words.iter().zip(&direct) {
            let bits = |p: &[f32]| p.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a.step.probabilities), bits(&b.probabilities));
        }
    }

    #[test]
    fn a_run_captions_a_fitted_picture_and_refuses_another_size() {
        let live = run(Settings::default());
        let fitted = blue_triangle().fit();
        let said = resolved(live.caption(&fitted.rgb)).unwrap();
        let direct = resolved(caption(&live.model(), blue_triangle(), Gating::default()));
        assert_eq!(said, caption_text(&direct));
        let err = resolved(live.caption(&[0; 12])).unwrap_err();
        assert!(err.contains("32 × 32"), "{err}");
    }

    #[test]
    fn labels_say_the_settings() {
        assert_eq!(
            Settings::default().label(),
            "rate 0.003, tanh gate, K 8, a block every 2 layers"
        );
        let s = Settings {
            gated: false,
            gate_lr: 100.0,
            every: 1,
            ..Settings::default()
        };
        assert_eq!(
            s.label(),
            "rate 0.003, no gate: y = xattn(x) + x, gates learn ×100 faster, K 8, a block before every layer"
        );
    }

    #[test]
    fn curves_thin_to_window_means_and_only_three_earlier_runs_are_kept() {
        let curve = Curve {
            number: 0,
            label: "a".into(),
            points: (0..10).map(|i| (i, i as f64, 1.0)).collect(),
        };
        assert_eq!(curve.title(), "run 1: a");
        assert_eq!(curve.thinned(100).len(), 10);
        assert_eq!(
            curve.thinned(5),
            [
                (0.5, 0.5, 1.0),
                (2.5, 2.5, 1.0),
                (4.5, 4.5, 1.0),
                (6.5, 6.5, 1.0),
                (8.5, 8.5, 1.0)
            ]
        );
        assert_eq!(curve.thinned(3).len(), 3, "windows of 4, 4 and 2");
        assert_eq!(curve.picture_loss_first_last(2), Some((0.5, 8.5)));
        assert_eq!(Curve::default().picture_loss_first_last(2), None);
        let mut kept = Vec::new();
        keep(&mut kept, Curve::default());
        assert!(kept.is_empty(), "a run with no step is not kept");
        for number in 0..5 {
            keep(
                &mut kept,
                Curve {
                    number,
                    ..curve.clone()
                },
            );
        }
        assert_eq!(kept.iter().map(|c| c.number).collect::<Vec<_>>(), [2, 3, 4]);
    }

    /// The page's trainer module runs these very steps: the browser test
    /// (`web/e2e/train.test.mjs`) holds the page's first steps to this record of them,
    /// which this test writes to `web/e2e/fixtures/live-training.json`. It fails when the
    /// committed file is stale; `UPDATE_FIXTURES=1` rewrites it.
    #[test]
    fn the_first_steps_are_the_record_the_browser_test_reads() {
        let mut live = run(Settings::default());
        let steps: Vec<LogEntry> = (0..3).map(|_| live.step()).collect();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../web/e2e/fixtures/live-training.json");
        if std::env::var_os("UPDATE_FIXTURES").is_some() {
            let json = serde_json::to_string_pretty(&steps).expect("plain numbers") + "\n";
            std::fs::write(&path, json).expect("fixture written");
        }
        let committed: Vec<LogEntry> =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default())
                .unwrap_or_default();
        let numbers = |e: &LogEntry| {
            let mut n = vec![e.loss, e.loss_image, e.loss_text];
            n.extend(e.gates.iter().flatten());
            n
        };
        let close = committed.len() == steps.len()
            && committed.iter().zip(&steps).all(|(a, b)| {
                let (a, b) = (numbers(a), numbers(b));
                a.len() == b.len()
                    && a.iter()
                        .zip(&b)
                        .all(|(x, y)| (x - y).abs() <= 1e-5 * x.abs().max(1e-3))
            });
        assert!(
            close,
            "{} is stale: rerun with UPDATE_FIXTURES=1",
            path.display()
        );
    }
}
