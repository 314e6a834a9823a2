//! Which device computes, and why: WebGPU when the browser offers it, burn's CPU
//! backend otherwise. Initialised once; never `Device::default()` in the browser.

use flamingo::burn::tensor::Device;

/// A device with the words for the badge.
#[derive(Clone, Debug)]
pub struct Backend {
    /// The device.
    pub device: Device,
    /// The adapter, or why the CPU is used.
    pub detail: String,
}

/// Both backends the page can use: the CPU always, WebGPU if it initialised.
#[derive(Clone, Debug)]
pub struct Backends {
    /// burn's CPU backend.
    pub cpu: Backend,
    /// WebGPU, or why not.
    pub webgpu: Result<Backend, String>,
}

/// Asks the browser for WebGPU once.
pub async fn init() -> Backends {
    let cpu = Backend {
        device: Device::flex(),
        detail: "burn's CPU backend (flex)".into(),
    };
    let has_webgpu = web_sys::window()
        .map(|w| js_sys::Reflect::has(&w.navigator(), &"gpu".into()).unwrap_or(false))
        .unwrap_or(false);
    let webgpu = if !has_webgpu {
        Err("WebGPU unavailable in this browser".to_owned())
    } else {
        match Device::wgpu_options().init_async().await {
            Ok(device) => {
                let adapter = device
                    .identity()
                    .map(|i| i.name)
                    .unwrap_or_else(|| "unknown adapter".into());
                Ok(Backend {
                    device,
                    detail: adapter,
                })
            }
            Err(e) => {
                let detail = e.to_string();
                web_sys::console::warn_1(&format!("WebGPU failed to start: {detail}").into());
                Err(if detail.contains("No adapter") {
                    "WebGPU unavailable in this browser: no GPU adapter".to_owned()
                } else {
                    "WebGPU failed to start".to_owned()
                })
            }
        }
    };
    Backends { cpu, webgpu }
}
