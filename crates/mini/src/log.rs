//! The training record: what `cargo xtask train` writes to
//! `assets/mini-flamingo-training.json` and the page reads back.

use serde::{Deserialize, Serialize};

use crate::evaluate::{CaptionScore, Evaluation};

/// One logged step of a Flamingo-stage run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub step: usize,
    /// Mean over every predicted token.
    pub loss: f64,
    /// Over tokens the picture decides (colour and shape words).
    pub loss_image: f64,
    /// Over tokens the text alone decides (markers, `a`, `:`, `<eoc>`, task words).
    pub loss_text: f64,
    /// `[tanh(attn_gate), tanh(ff_gate)]` per block.
    pub gates: Vec<[f64; 2]>,
}

/// Where a step's time went, in seconds: drawing and rendering its scenes and tokens,
/// the frozen encoder, the resampler, the language model with its gated blocks and the
/// loss, the backward pass (through the bridge only: the frozen parts track nothing), and
/// the optimisers. burn's CPU backend computes each operation when it is called, so the
/// clock between calls divides the step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StepTimes {
    pub data: f64,
    pub encoder: f64,
    pub resampler: f64,
    pub language_model: f64,
    pub backward: f64,
    pub optimiser: f64,
}

impl std::ops::AddAssign for StepTimes {
    fn add_assign(&mut self, o: StepTimes) {
        self.data += o.data;
        self.encoder += o.encoder;
        self.resampler += o.resampler;
        self.language_model += o.language_model;
        self.backward += o.backward;
        self.optimiser += o.optimiser;
    }
}

impl StepTimes {
    /// Each part's name and seconds, in the order of a step.
    pub fn parts(&self) -> [(&'static str, f64); 6] {
        [
            ("scenes and tokens", self.data),
            ("encoder", self.encoder),
            ("resampler", self.resampler),
            ("language model and blocks", self.language_model),
            ("backward", self.backward),
            ("optimiser", self.optimiser),
        ]
    }
}

/// How long a stage took and where it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageRecord {
    pub steps: usize,
    pub seconds: f64,
    pub final_loss: f64,
}

/// An ablation: its record and its log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ablation {
    pub record: StageRecord,
    pub log: Vec<LogEntry>,
}

/// The Flamingo stage's runs: the shipped one and both ablations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Runs {
    pub trained: Vec<LogEntry>,
    /// No tanh gate: the blocks add their full output from the first step.
    pub ungated: Ablation,
    /// Gates on a learning rate many times the rest's.
    pub fast_gates: Ablation,
}

/// Seconds spent training and evaluating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seconds {
    pub training: f64,
    pub evaluation: f64,
}

/// The evaluation of the shipped weights at gate scale 1 and 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluations {
    pub seed: u64,
    pub scale_1: Evaluation,
    pub scale_0: Evaluation,
}

/// The parts of the record the page reads; the file holds more (the configs, the stages).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TrainingRecord {
    pub machine: String,
    pub seconds: Seconds,
    pub runs: Runs,
    pub evaluation: Evaluations,
}

impl TrainingRecord {
    /// # Errors
    /// When the text is not such a record.
    pub fn parse(json: &str) -> Result<TrainingRecord, String> {
        serde_json::from_str(json).map_err(|e| format!("the training record is damaged: {e}"))
    }

    /// What the run took and what its evaluation measured at scale 1, in words: the
    /// page's honest note reads this rather than numbers typed beside the code.
    pub fn summary(&self) -> String {
        let e = &self.evaluation.scale_1;
        let one: Vec<&CaptionScore> = e
            .captions
            .iter()
            .filter(|(set, _)| !matches!(set.as_str(), "two objects" | "blank"))
            .map(|(_, score)| score)
            .collect();
        let range = |of: fn(&CaptionScore) -> f64| {
            let (low, high) = one
                .iter()
                .map(|s| of(s))
                .fold((1.0f64, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
            format!("{low:.2} to {high:.2}")
        };
        let objects = |set: &str| e.captions.get(set).map_or(f64::NAN, |s| s.objects);
        format!(
            "in about {:.0} minutes on two CPU cores. On {} fresh one-object scenes per style it \
             names the colour {} of the time and the shape {}; it calls {:.2} of blank pictures \
             \"nothing\"; with two objects it names both, in order, {:.2} of the time (seeded \
             scenes, evaluation seed {}).",
            self.seconds.training / 60.0,
            e.episodes,
            range(|s| s.colour),
            range(|s| s.shape),
            objects("blank"),
            objects("two objects"),
            self.evaluation.seed,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_record_parses() {
        let record =
            TrainingRecord::parse(include_str!("../../../assets/mini-flamingo-training.json"))
                .unwrap();
        assert_eq!(record.runs.trained[0].step, 0);
        assert_eq!(record.runs.trained[0].gates, vec![[0.0, 0.0]; 2]);
        assert_eq!(
            record.runs.ungated.log.len(),
            record.runs.fast_gates.log.len()
        );
        assert_eq!(record.evaluation.scale_1.few_shot_mean.len(), 9);
        assert!(TrainingRecord::parse("{}").unwrap_err().contains("damaged"));
        let summary = record.summary();
        let two = record.evaluation.scale_1.captions["two objects"].objects;
        assert!(
            summary.contains(&format!("in order, {two:.2} of the time")),
            "{summary}"
        );
        assert!(summary.contains(&format!("{:.0} minutes", record.seconds.training / 60.0)));
    }
}
