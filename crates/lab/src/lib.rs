//! The computation behind the page, free of the DOM: the stand-ins for the frozen
//! encoders, a seeded resampler and gated block that answer one request at a time,
//! split by images across labs where there are several ([`split`], [`host`]), and the
//! bytes tasks and frames travel as between the page and its labs; the trained
//! mini-Flamingo's readings ([`trained`]), the drawing pad's picture ([`drawing`]) and
//! few-shot episodes, seeded or the student's own ([`episode`]).

pub mod bounds;
mod caption;
pub mod drawing;
pub mod episode;
pub mod host;
mod lab;
pub mod live_training;
pub mod measure;
pub mod picture_file;
mod request;
pub mod stand_in;
pub mod trained;
mod video;
mod wire;

pub use lab::Lab;
pub use request::{Frame, Part, Pictures, Readouts, Request, split};
pub use video::{CLIP_MODEL, Clip, MAX_FRAMES, VideoMode, clip, clip_features};
pub use wire::{NO_ADAPTER, Task, WireError};
