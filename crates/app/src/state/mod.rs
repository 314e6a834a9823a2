//! What the page shows, as values: every control in the URL, the tour's steps, the
//! interleaved prompt and the exercises' prompts and batches. No DOM, tested natively.

pub mod batch;
pub mod choices;
pub mod few_shot;
pub mod gate_scale;
pub mod readout;
pub mod sequence;
pub mod tour;
pub mod url_state;
