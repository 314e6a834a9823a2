//! The computation behind the page, free of the DOM: the stand-ins for the frozen
//! encoders, a seeded resampler and gated block that answer one request at a time,
//! and the bytes a request and its frame travel as between the page's module and the
//! WebGPU module; and the trained mini-Flamingo's readings ([`trained`]).

pub mod bounds;
mod lab;
pub mod picture_file;
pub mod stand_in;
pub mod trained;
mod wire;

pub use lab::{
    CLIP_MODEL, Clip, Frame, Lab, MAX_FRAMES, Pictures, Readouts, Request, VideoMode, clip,
    clip_features,
};
pub use wire::{NO_ADAPTER, WireError};
