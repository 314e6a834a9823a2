//! The training record: what `cargo xtask train` writes to
//! `assets/mini-flamingo-training.json` and the page reads back.

use serde::{Deserialize, Serialize};

use crate::evaluate::Evaluation;

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
    }
}
