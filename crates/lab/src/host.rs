//! A lab on its own, in a worker or in the WebGPU module: installed once, then asked
//! tasks as bytes, one at a time, answering with bytes. A worker may also hold the
//! trained model and count pieces of "Measure" ([`count`]).

use std::cell::RefCell;

use crate::lab::Lab;
use crate::measure::{Counter, PieceOrder, counts_to_bytes};
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
    let mut counter = COUNTER
        .with(|slot| slot.borrow_mut().take())
        .ok_or("the trained model is busy or not loaded here")?;
    let counted = counter.count(&order).await;
    COUNTER.with(|slot| *slot.borrow_mut() = Some(counter));
    Ok(counts_to_bytes(&counted?))
}

/// The lab this thread answers with, replacing any before it.
pub fn install(lab: Lab) {
    LAB.with(|slot| *slot.borrow_mut() = Some(lab));
}

/// One task's answer: a frame's bytes, or a part's.
pub async fn answer(task: &[u8]) -> Result<Vec<u8>, String> {
    let task = Task::from_bytes(task).map_err(|e| e.to_string())?;
    // Taken out for the task, so a second meanwhile is refused, not interleaved.
    let mut lab = LAB
        .with(|slot| slot.borrow_mut().take())
        .ok_or("the lab is busy or not started")?;
    let answer = lab.answer(&task).await;
    LAB.with(|slot| *slot.borrow_mut() = Some(lab));
    answer
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
