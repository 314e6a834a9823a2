//! The Flamingo Explainer page: the trained mini-Flamingo (`crates/mini`), panels
//! that compute with `crates/flamingo` in the browser, and the lesson around them
//! (tour, exercises, calculator, lineage). Four folders, by what the code is:
//! `state` (the URL, the tour, the prompts), `figures` (drawing on canvas and SVG),
//! `compute` (workers, backends, scheduling) and `page` (the components). Pure logic
//! sits in plain modules tested natively; the components only draw it.

// Clippy runs natively, where the browser-only modules are compiled out; there,
// rustc's own warnings are errors instead.
#![cfg_attr(target_arch = "wasm32", deny(warnings))]

pub mod compute;
pub mod figures;
pub mod state;

#[cfg(target_arch = "wasm32")]
mod page;

/// Runs once, when the browser has loaded the module.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    lab::host::run_static_constructors();
    // The same module runs the page's lab workers (compute/worker.rs), which have no page.
    if web_sys::window().is_none() {
        console_error_panic_hook::set_once();
        return;
    }
    figures::canvas::install_panic_banner();
    leptos::mount::mount_to_body(page::App);
}
