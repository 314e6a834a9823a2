//! Where and when the numbers are computed: latest-wins scheduling, the auto choice
//! between WebGPU and the CPU, and, in the browser, the backends, the lab workers and
//! fetching the page's own files.

pub mod auto_pick;
pub mod scheduler;

#[cfg(target_arch = "wasm32")]
pub(crate) mod backend;
#[cfg(target_arch = "wasm32")]
pub(crate) mod fetch;
#[cfg(target_arch = "wasm32")]
pub(crate) mod pool;
#[cfg(target_arch = "wasm32")]
pub(crate) mod trainer;
#[cfg(target_arch = "wasm32")]
pub(crate) mod worker;
