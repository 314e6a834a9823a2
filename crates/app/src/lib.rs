//! The Flamingo Explainer page: three panels that compute with `crates/flamingo`
//! in the browser. Pure logic (URL state, scheduling, colouring, the prompt) sits in
//! plain modules tested natively; the components only draw it.

// Clippy runs natively, where the browser-only modules are compiled out; there,
// rustc's own warnings are errors instead.
#![cfg_attr(target_arch = "wasm32", deny(warnings))]

pub mod auto_pick;
pub mod heatmap;
pub mod scheduler;
pub mod sequence;
pub mod stand_in;
pub mod url_state;

#[cfg(target_arch = "wasm32")]
mod backend;
#[cfg(target_arch = "wasm32")]
mod canvas;
#[cfg(target_arch = "wasm32")]
mod lab;
#[cfg(target_arch = "wasm32")]
mod page;

#[cfg(target_arch = "wasm32")]
pub use canvas::install_panic_banner;
#[cfg(target_arch = "wasm32")]
pub use page::App;
