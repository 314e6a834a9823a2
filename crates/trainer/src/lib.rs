//! The page's third wasm module: stage 3 of the mini-Flamingo trained live (issue 23),
//! `lab::live_training` in a worker of its own. It carries burn's autodiff and Adam,
//! which the page's own module does without (they would make it a fifth larger), so the
//! page loads it only when a student presses "Train". Settings and records cross as
//! JSON, weights as the shipped file's bytes.

#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;

use lab::live_training::{LiveTraining, Settings, StepTimes};
use mini::inference::resolved;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The shipped weights, whose frozen parts every run starts from.
    static SHIPPED: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
    static RUN: RefCell<Option<LiveTraining>> = const { RefCell::new(None) };
}

/// Runs once, when the worker has instantiated the module.
#[wasm_bindgen(start)]
pub fn instantiated() {
    lab::host::run_static_constructors();
    console_error_panic_hook::set_once();
}

/// Keeps the shipped weights file for the runs to come.
#[wasm_bindgen]
pub fn train_weights(weights: Vec<u8>) {
    SHIPPED.with(|s| *s.borrow_mut() = Some(weights));
}

/// A fresh run with these settings (`Settings` as JSON), replacing any before it.
#[wasm_bindgen]
pub fn train_start(settings: Vec<u8>) -> Result<(), JsError> {
    let settings: Settings = serde_json::from_slice(&settings)
        .map_err(|e| JsError::new(&format!("the run's settings could not be read: {e}")))?;
    let run = SHIPPED.with(|s| {
        let shipped = s.borrow();
        let weights = shipped
            .as_deref()
            .ok_or("the shipped weights have not arrived")?;
        LiveTraining::new(weights, &settings)
    });
    let run = run.map_err(|e| JsError::new(&e))?;
    RUN.with(|r| *r.borrow_mut() = Some(run));
    Ok(())
}

fn with_run<T>(work: impl FnOnce(&mut LiveTraining) -> T) -> Result<T, JsError> {
    RUN.with(|r| {
        r.borrow_mut()
            .as_mut()
            .map(work)
            .ok_or_else(|| JsError::new("no run has started"))
    })
}

/// `count` steps (a little-endian u32); their records, the milliseconds they took, and
/// the seconds each part of a step took over them (`StepTimes`), as JSON:
/// `{ "ms": …, "steps": [LogEntry, …], "parts": StepTimes }`.
#[wasm_bindgen]
pub fn train_steps(count: Vec<u8>) -> Result<Vec<u8>, JsError> {
    let count = <[u8; 4]>::try_from(count.as_slice())
        .map(u32::from_le_bytes)
        .map_err(|_| JsError::new("a step count is four bytes"))?;
    with_run(|run| {
        let start = web_time::Instant::now();
        let mut parts = StepTimes::default();
        let steps: Vec<_> = (0..count)
            .map(|_| {
                let entry = run.step();
                parts += run.last_times();
                entry
            })
            .collect();
        let ms = start.elapsed().as_secs_f64() * 1e3;
        serde_json::to_vec(&serde_json::json!({ "ms": ms, "steps": steps, "parts": parts }))
            .expect("records are plain numbers")
    })
}

/// The probe's accuracies as JSON, `[colour, shape]`.
#[wasm_bindgen]
pub fn train_probe() -> Result<Vec<u8>, JsError> {
    with_run(|run| serde_json::to_vec(&resolved(run.probe())).expect("two numbers"))
}

/// The run's caption of a picture fitted to 32 × 32 (its RGB bytes), as UTF-8 text.
#[wasm_bindgen]
pub fn train_caption(rgb: Vec<u8>) -> Result<Vec<u8>, JsError> {
    with_run(|run| resolved(run.caption(&rgb)))?
        .map(String::into_bytes)
        .map_err(|e| JsError::new(&e))
}

/// The run's weights, in the shipped file's format.
#[wasm_bindgen]
pub fn train_save() -> Result<Vec<u8>, JsError> {
    with_run(|run| run.weights())
}
