//! Which device computes: burn's CPU backend in this module, always (run in workers,
//! `pool.rs`, `worker.rs`); WebGPU in a second module (`crates/webgpu`), fetched only where the
//! browser offers WebGPU and run in a worker of its own.
//! The WebGPU compiler stack is most of a module's code, so the page's own module
//! stays small and draws its first frame before the second one arrives.

use js_sys::Uint8Array;
use lab::{Frame, NO_ADAPTER, Pictures, Request, Task};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::compute::worker::{Labourer, message};

#[wasm_bindgen(inline_js = r#"
// The build hook (web/build/stamp-modules.mjs) writes the WebGPU module's content hash
// and its wasm's integrity here: its file names carry no hash, and a cached module from
// another build would not speak this page's format.
const WEBGPU_BUILD = 'dev';
const WEBGPU_WASM_INTEGRITY = '';
// The first try and two after lost devices; the build hook reads this line
// (stamp-modules.mjs).
const WEBGPU_TRIES = 3;
export function webgpu_tries() { return WEBGPU_TRIES; }
// The module is only fetched once the browser has shown it has a GPU adapter.
export async function has_adapter() { return !!(await navigator.gpu.requestAdapter()); }
// The module's files sit beside the page's module, two folders above this snippet.
// Each try is its own URL, so a retry after a lost device gets a fresh instance.
export function webgpu_files(attempt) {
  const at = (file) => new URL(`../../${file}?v=${WEBGPU_BUILD}&try=${attempt}`, import.meta.url).href;
  return [at('webgpu.js'), at('webgpu_bg.wasm'), WEBGPU_WASM_INTEGRITY];
}
"#)]
extern "C" {
    async fn has_adapter() -> JsValue;
    fn webgpu_files(attempt: u32) -> Vec<String>;
    /// How many times the page may load the WebGPU module.
    pub fn webgpu_tries() -> u32;
}

/// The lab in the WebGPU module, in its own worker.
pub struct WebGpu {
    lab: Labourer,
    /// The adapter's name.
    pub adapter: String,
}

impl WebGpu {
    /// Starts the WebGPU module (try `attempt`, from 1) in a worker with a lab over
    /// `pictures`, or says why not.
    pub async fn start(pictures: &[Pictures], attempt: u32) -> Result<Self, String> {
        let has_webgpu = web_sys::window()
            .map(|w| js_sys::Reflect::has(&w.navigator(), &"gpu".into()).unwrap_or(false))
            .unwrap_or(false);
        if !has_webgpu {
            return Err("WebGPU unavailable in this browser".to_owned());
        }
        if !has_adapter().await.is_truthy() {
            return Err(NO_ADAPTER.to_owned());
        }
        let [js, wasm, integrity]: [String; 3] = webgpu_files(attempt)
            .try_into()
            .map_err(|_| "the WebGPU module's files are unknown".to_owned())?;
        let lab = Labourer::module(&js, &wasm, &integrity, true);
        let adapter = JsFuture::from(lab.call("start", &Pictures::to_bytes(pictures)))
            .await
            .map_err(|e| {
                let detail = message(e);
                web_sys::console::warn_1(&format!("WebGPU failed to start: {detail}").into());
                detail
            })?;
        Ok(Self {
            lab,
            adapter: adapter.as_string().unwrap_or_default(),
        })
    }

    /// Resolves, with the browser's reason, once the device is lost; never otherwise.
    pub async fn lost(&self) -> String {
        self.lab.lost().await
    }

    /// One forward in the WebGPU module's worker.
    pub async fn run(&self, request: &Request) -> Result<Frame, String> {
        let out = JsFuture::from(self.lab.call("run", &Task::Run(request.clone()).to_bytes()))
            .await
            .map_err(message)?;
        Frame::from_bytes(&Uint8Array::new(&out).to_vec()).map_err(|e| e.to_string())
    }
}
