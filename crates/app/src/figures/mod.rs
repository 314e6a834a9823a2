//! Drawing: the plotters figures (one function per figure for the canvas and for
//! "Download SVG"), heatmap colouring, and, in the browser, the canvas and downloads.

pub mod figure;
pub mod heatmap;
mod legend;
pub mod schedule;
pub mod trained_figures;

#[cfg(target_arch = "wasm32")]
pub(crate) mod canvas;
#[cfg(target_arch = "wasm32")]
pub(crate) mod canvas_backend;
#[cfg(target_arch = "wasm32")]
pub(crate) mod download;
