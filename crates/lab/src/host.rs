//! A lab on its own, in a worker or in the WebGPU module: installed once, then asked
//! tasks as bytes, one at a time, answering with bytes. A worker may also hold the
//! trained model, to count pieces of "Measure" ([`count`]) and caption the page's picture
//! at the gate scales it has not kept yet ([`captions`]).

use std::cell::RefCell;
use std::thread::LocalKey;

use crate::lab::Lab;
use crate::measure::{Counter, PieceOrder, counts_to_bytes};
use crate::trained::{Caption, CaptionOrder};
use crate::wire::Task;

/// Runs the wasm module's static constructors: once, first thing, from each module's
/// start function (the page's, WebGPU's, the trainer's). cubecl registers hundreds;
/// a module that never calls them itself is linked "command-style", and the linker then
/// reruns them on entry to every export (about 120 ms per slider event, BENCHMARKS.md).
#[cfg(target_arch = "wasm32")]
pub fn run_static_constructors() {
    unsafe extern "C" {
        fn __wasm_call_ctors();
    }
    // SAFETY: called once, first thing, before any code that relies on the registrations.
    unsafe { __wasm_call_ctors() };
}

thread_local! {
    static LAB: RefCell<Option<Lab>> = const { RefCell::new(None) };
    static COUNTER: RefCell<Option<Counter>> = const { RefCell::new(None) };
}

/// The trained model this thread counts pieces with.
pub fn install_counter(counter: Counter) {
    COUNTER.with(|slot| *slot.borrow_mut() = Some(counter));
}

/// The correct answers of one ordered piece ([`PieceOrder`]) at each number of shots,
/// as bytes ([`counts_to_bytes`]).
pub async fn count(order: &[u8]) -> Result<Vec<u8>, String> {
    let order = PieceOrder::from_bytes(order)?;
    with_taken(
        &COUNTER,
        "the trained model is busy or not loaded here",
        async |c| c.count(&order).await.map(|counts| counts_to_bytes(&counts)),
    )
    .await
}

/// The captions a [`CaptionOrder`] asks for, as bytes ([`Caption::list_to_bytes`]).
pub async fn captions(order: &[u8]) -> Result<Vec<u8>, String> {
    let order = CaptionOrder::from_bytes(order).map_err(|e| e.to_string())?;
    with_taken(
        &COUNTER,
        "the trained model is busy or not loaded here",
        async |c| {
            let captions = c.trained_mut().captions(&order).await?;
            Ok(Caption::list_to_bytes(&captions))
        },
    )
    .await
}

/// The lab this thread answers with, replacing any before it.
pub fn install(lab: Lab) {
    LAB.with(|slot| *slot.borrow_mut() = Some(lab));
}

/// One task's answer: a frame's bytes, or a part's.
pub async fn answer(task: &[u8]) -> Result<Vec<u8>, String> {
    let task = Task::from_bytes(task).map_err(|e| e.to_string())?;
    with_taken(&LAB, "the lab is busy or not started", async |lab| {
        lab.answer(&task).await
    })
    .await
}

/// `work` on what this thread holds in `slot`, taken out for it, so a second call
/// meanwhile is refused (`missing` says why), not interleaved.
async fn with_taken<S: 'static, T>(
    slot: &'static LocalKey<RefCell<Option<S>>>,
    missing: &str,
    work: impl AsyncFnOnce(&mut S) -> Result<T, String>,
) -> Result<T, String> {
    let mut held = slot.with(|s| s.borrow_mut().take()).ok_or(missing)?;
    let out = work(&mut held).await;
    slot.with(|s| *s.borrow_mut() = Some(held));
    out
}

impl Lab {
    /// A task's answer as bytes.
    pub async fn answer(&mut self, task: &Task) -> Result<Vec<u8>, String> {
        Ok(match task {
            Task::Run(r) => self.run(r).await?.to_bytes(),
            Task::Part {
                request,
                first,
                images,
            } => self.part(request, *first, *images).await?.to_bytes(),
            Task::Join { request, parts } => self.join(request, parts).await?.to_bytes(),
        })
    }
}
