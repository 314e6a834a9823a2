//! Training the bridge live (issue 23): stage 3 of `mini`'s trainer, its very steps
//! ([`BridgeTraining`]), from the shipped frozen encoder and language model and a fresh
//! bridge whose gates start at 0, with the settings a student changes. A worker of the
//! page's trainer module runs it; natively it is tested here.

pub use mini::log::LogEntry;
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
    /// the colour is named right after about 100 steps; the shipped run's 1e-3 takes
    /// several times longer to leave the plateau.
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
}
