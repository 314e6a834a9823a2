//! The trainer module (`crates/trainer`) in a worker of its own, loaded the first time
//! a student presses "Train": stage 3 runs there, and the page only draws its records.

use js_sys::Uint8Array;
use lab::live_training::{LogEntry, Settings, StepTimes};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::compute::worker::{Labourer, message};

#[wasm_bindgen(inline_js = r#"
// The build hook (web/build/stamp-modules.mjs) writes the trainer module's content hash
// and its wasm's integrity here, as for the WebGPU module.
const TRAINER_BUILD = 'dev';
const TRAINER_WASM_INTEGRITY = '';
// The module's files sit beside the page's module, two folders above this snippet.
export function trainer_files() {
  const at = (file) => new URL(`../../${file}?v=${TRAINER_BUILD}`, import.meta.url).href;
  return [at('trainer.js'), at('trainer_bg.wasm'), TRAINER_WASM_INTEGRITY];
}
"#)]
extern "C" {
    fn trainer_files() -> Vec<String>;
}

/// Some steps' records and how long they took in the worker.
#[derive(serde::Deserialize)]
pub struct Steps {
    pub ms: f64,
    pub steps: Vec<LogEntry>,
    /// Seconds per part over these steps.
    pub parts: StepTimes,
}

/// The trainer's worker, with the shipped weights it starts every run from.
pub struct Trainer {
    worker: Labourer,
}

impl Trainer {
    /// Loads the module in a worker and gives it the shipped weights.
    pub fn load(weights: &[u8]) -> Result<Trainer, String> {
        let [js, wasm, integrity]: [String; 3] = trainer_files()
            .try_into()
            .map_err(|_| "the trainer module's files are unknown".to_owned())?;
        let worker = Labourer::module(&js, &wasm, &integrity, false);
        // A failure shows on the first run's answer.
        let _ = worker.call("train_weights", weights);
        Ok(Trainer { worker })
    }

    async fn call(&self, op: &str, bytes: &[u8]) -> Result<JsValue, String> {
        JsFuture::from(self.worker.call(op, bytes))
            .await
            .map_err(message)
    }

    /// A fresh run with `settings`, replacing the last.
    pub async fn start(&self, settings: &Settings) -> Result<(), String> {
        let json = serde_json::to_vec(settings).map_err(|e| e.to_string())?;
        self.call("train_start", &json).await.map(|_| ())
    }

    /// The answer's bytes.
    async fn bytes(&self, op: &str, input: &[u8]) -> Result<Vec<u8>, String> {
        Ok(Uint8Array::new(&self.call(op, input).await?).to_vec())
    }

    /// The answer, read as JSON.
    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        op: &str,
        input: &[u8],
    ) -> Result<T, String> {
        serde_json::from_slice(&self.bytes(op, input).await?).map_err(|e| e.to_string())
    }

    pub async fn steps(&self, count: u32) -> Result<Steps, String> {
        self.json("train_steps", &count.to_le_bytes()).await
    }

    /// The probe's accuracies: colour, shape.
    pub async fn probe(&self) -> Result<[f64; 2], String> {
        self.json("train_probe", &[]).await
    }

    /// The run's caption of a picture fitted to 32 × 32 (its RGB bytes).
    pub async fn caption(&self, rgb: &[u8]) -> Result<String, String> {
        String::from_utf8(self.bytes("train_caption", rgb).await?).map_err(|e| e.to_string())
    }

    /// The run's weights, in the shipped file's format.
    pub async fn save(&self) -> Result<Vec<u8>, String> {
        self.bytes("train_save", &[]).await
    }
}
