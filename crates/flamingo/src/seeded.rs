//! Random weights from a seed that are the same on every backend.
//!
//! burn initialises parameters lazily: a freshly built module draws its values on
//! first use, on whatever device it has moved to by then. Moved to WebGPU before
//! that, its weights would come from the GPU's unseeded generator, and one URL
//! could show two pictures. So: build on the CPU with the seed, draw every value
//! there, then move.
//!
//! burn's CPU backend keeps one generator for the whole process. Two threads that
//! seed and draw at the same time take values from each other's stream, so a
//! native test run gave a cached lab different weights from a fresh one. Drawing
//! therefore takes turns, and so does any build whose values are then replaced
//! (loading saved weights): a few initialisers draw at once, not lazily, and would
//! take values from a seeded build on another thread (a CI run caught one in 30).

use std::sync::{Mutex, PoisonError};

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};

static DRAWING: Mutex<()> = Mutex::new(());

struct Materialize;

impl ModuleVisitor for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        // Reading the value runs the pending initialisation.
        let _ = param.val();
    }
}

/// `build` on burn's CPU backend seeded with `seed`, every value drawn, then moved to `device`.
pub fn seeded<M: Module>(seed: u64, device: &Device, build: impl FnOnce(&Device) -> M) -> M {
    let module = taking_turns(|| {
        let cpu = Device::flex();
        cpu.seed(seed);
        let module = build(&cpu);
        module.visit(&mut Materialize);
        module
    });
    module.to_device(device)
}

/// `draw`, while no other caller of this function or of [`seeded`] draws from burn's
/// CPU generator.
pub fn taking_turns<T>(draw: impl FnOnce() -> T) -> T {
    // A thread that panicked while drawing leaves nothing half-done that matters:
    // the next caller seeds afresh.
    let _turn = DRAWING.lock().unwrap_or_else(PoisonError::into_inner);
    draw()
}
