//! Which device computes: burn's CPU backend in this module, always; WebGPU in a
//! second module (`crates/webgpu`), fetched only where the browser offers WebGPU.
//! The WebGPU compiler stack is most of a module's code, so the page's own module
//! stays small and draws its first frame before the second one arrives.

use flamingo::burn::tensor::Device;
use js_sys::Uint8Array;
use lab::{Frame, NO_ADAPTER, Pictures, Request, Task};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
// The build hook (web/build/stamp-webgpu.mjs) writes the WebGPU module's content hash
// and its wasm's integrity here: its file names carry no hash, and a cached module from
// another build would not speak this page's format.
const WEBGPU_BUILD = 'dev';
const WEBGPU_WASM_INTEGRITY = '';
// The first try and two after lost devices; the build hook reads this line
// (stamp-webgpu.mjs) and lists the integrity of exactly these tries (lock.mjs).
const WEBGPU_TRIES = 3;
export function webgpu_tries() { return WEBGPU_TRIES; }
// The module is only fetched once the browser has shown it has a GPU adapter. It sits
// beside the page's module, two folders above this snippet. Each try is its own URL,
// so a retry after a lost device gets a fresh instance (and a fresh device); the
// import map lists each try's integrity (web/build/lock.mjs).
export async function load_webgpu(attempt) {
  if (!(await navigator.gpu.requestAdapter())) throw new Error('no GPU adapter');
  const at = (file) => new URL(`../../${file}?v=${WEBGPU_BUILD}&try=${attempt}`, import.meta.url);
  const module = await import(at('webgpu.js').href);
  await module.default({ module_or_path: fetch(at('webgpu_bg.wasm'), { integrity: WEBGPU_WASM_INTEGRITY }) });
  return module;
}
// burn asks for its device inside the module; the page watches the device it got, so
// a lost device (a driver reset, a sleeping laptop) is noticed even between forwards.
const lostOf = new WeakMap();
export async function start_webgpu(module, pictures) {
  const request = GPUAdapter.prototype.requestDevice;
  const devices = [];
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await request.apply(this, args);
    devices.push(device);
    return device;
  };
  try {
    const adapter = await module.start(pictures);
    const lost = Promise.race(devices.map((d) => d.lost)).then((info) => `${info.reason ?? 'unknown'}: ${info.message || 'no message'}`);
    lostOf.set(module, devices.length ? lost : new Promise(() => {}));
    return adapter;
  } finally {
    GPUAdapter.prototype.requestDevice = request;
  }
}
export function lost_webgpu(module) { return lostOf.get(module); }
// A forward on a lost device may never finish; the loss answers it instead.
export function run_webgpu(module, request) {
  return Promise.race([module.run(request), lostOf.get(module).then((why) => { throw new Error(`the WebGPU device was lost (${why})`); })]);
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn load_webgpu(attempt: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn start_webgpu(module: &JsValue, pictures: Uint8Array) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn run_webgpu(module: &JsValue, request: Uint8Array) -> Result<JsValue, JsValue>;
    async fn lost_webgpu(module: &JsValue) -> JsValue;
    /// How many times the page may load the WebGPU module.
    pub fn webgpu_tries() -> u32;
}

/// burn's CPU backend: never `Device::default()` in the browser.
pub fn cpu() -> Device {
    Device::flex()
}

/// The lab in the WebGPU module.
pub struct WebGpu {
    module: JsValue,
    /// The adapter's name.
    pub adapter: String,
}

/// A JavaScript error's message.
pub(crate) fn message(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

impl WebGpu {
    /// Fetches the WebGPU module (try `attempt`, from 1) and starts a lab there over
    /// `pictures`, or says why not.
    pub async fn start(pictures: &[Pictures], attempt: u32) -> Result<Self, String> {
        let has_webgpu = web_sys::window()
            .map(|w| js_sys::Reflect::has(&w.navigator(), &"gpu".into()).unwrap_or(false))
            .unwrap_or(false);
        if !has_webgpu {
            return Err("WebGPU unavailable in this browser".to_owned());
        }
        let module = load_webgpu(attempt).await.map_err(|e| match message(e) {
            no_adapter if no_adapter == "no GPU adapter" => NO_ADAPTER.to_owned(),
            detail => {
                web_sys::console::warn_1(&format!("WebGPU module failed to load: {detail}").into());
                format!("the WebGPU module failed to load ({detail})")
            }
        })?;
        let bytes = Uint8Array::from(Pictures::to_bytes(pictures).as_slice());
        let adapter = start_webgpu(&module, bytes).await.map_err(|e| {
            let detail = message(e);
            web_sys::console::warn_1(&format!("WebGPU failed to start: {detail}").into());
            detail
        })?;
        Ok(Self {
            module,
            adapter: adapter.as_string().unwrap_or_default(),
        })
    }

    /// Resolves, with the browser's reason, once the device is lost; never otherwise.
    pub async fn lost(&self) -> String {
        lost_webgpu(&self.module)
            .await
            .as_string()
            .unwrap_or_default()
    }

    /// One forward in the WebGPU module.
    pub async fn run(&self, request: &Request) -> Result<Frame, String> {
        let bytes = Uint8Array::from(Task::Run(request.clone()).to_bytes().as_slice());
        let out = run_webgpu(&self.module, bytes).await.map_err(message)?;
        Frame::from_bytes(&Uint8Array::new(&out).to_vec()).map_err(|e| e.to_string())
    }
}
