//! The page's second wasm module: the lab of `crates/lab` on a WebGPU device. The
//! WebGPU compiler stack (cubecl, wgpu) is most of a module's code, so the page
//! loads this one only where the browser offers WebGPU, after its own CPU module has
//! drawn the first frame. Tasks and frames cross as bytes (`lab`'s wire format).

#![cfg(target_arch = "wasm32")]

use flamingo::burn::tensor::Device;
use lab::{Lab, NO_ADAPTER, Pictures};
use wasm_bindgen::prelude::*;

/// Runs once, when the page has instantiated the module.
#[wasm_bindgen(start)]
pub fn instantiated() {
    lab::host::run_static_constructors();
    console_error_panic_hook::set_once();
}

/// Starts WebGPU and a lab over `pictures` (`Pictures::to_bytes`); answers the adapter's
/// name.
#[wasm_bindgen]
pub async fn start(pictures: Vec<u8>) -> Result<String, JsError> {
    let pictures = Pictures::from_bytes(&pictures)?;
    let device = Device::wgpu_options().init_async().await.map_err(|e| {
        let detail = e.to_string();
        if detail.contains("No adapter") {
            JsError::new(NO_ADAPTER)
        } else {
            JsError::new(&format!("WebGPU failed to start: {detail}"))
        }
    })?;
    // Empty where the browser hides the adapter's name; the badge then says "WebGPU".
    let adapter = device.identity().map(|i| i.name).unwrap_or_default();
    lab::host::install(Lab::new(device, pictures));
    Ok(adapter)
}

/// One task (`lab::Task`): its bytes in, its answer's bytes out.
#[wasm_bindgen]
pub async fn run(task: Vec<u8>) -> Result<Vec<u8>, JsError> {
    lab::host::answer(&task).await.map_err(|e| JsError::new(&e))
}
