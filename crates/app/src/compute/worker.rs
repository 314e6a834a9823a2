//! One lab worker (`web/lab-worker.js`) and what runs inside it: the page's own module,
//! compiled once and sent, answers with its CPU lab or the trained model for "Measure";
//! the WebGPU module answers with its lab. Messages carry bytes, transferred.

use js_sys::{Promise, Uint8Array};
use lab::measure::Counter;
use lab::trained::Trained;
use lab::{Lab, Pictures};
use wasm_bindgen::prelude::*;

use flamingo::burn::tensor::Device;

/// burn's CPU backend: never `Device::default()` in the browser.
pub fn cpu() -> Device {
    Device::flex()
}

/// A JavaScript error's message.
pub(crate) fn message(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

#[wasm_bindgen(inline_js = r#"
const labs = new WeakMap();
let next = 0;
// A lab worker (web/lab-worker.js) that answers by message id. Every call still out is
// refused if the worker fails, or if its WebGPU device is lost.
export function spawn_lab(init) {
  const worker = new Worker(new URL('lab-worker.js', init.base), { type: 'module' });
  const out = new Map();
  let lose;
  const lost = new Promise((ok) => { lose = ok; });
  labs.set(worker, { out, lost });
  const fail = (why) => {
    for (const { reject } of out.values()) reject(Object.assign(new Error(why), { trap: true }));
    out.clear();
  };
  worker.onmessage = ({ data }) => {
    if (data.lost !== undefined) {
      lose(data.lost);
      fail(`the WebGPU device was lost (${data.lost})`);
      return;
    }
    const call = out.get(data.id);
    out.delete(data.id);
    if (data.error === undefined) call.resolve(data.out);
    else call.reject(Object.assign(new Error(data.error), { trap: data.trap }));
  };
  worker.onerror = (e) => { e.preventDefault(); fail(`the lab's worker failed (${e.message || 'it could not start'})`); };
  worker.onmessageerror = () => fail("a message from the lab's worker could not be read");
  worker.postMessage(init);
  return worker;
}
// Transferred, not copied: the bytes belong to the worker from here on.
export function call_lab(worker, op, bytes) {
  return new Promise((resolve, reject) => {
    const id = ++next;
    labs.get(worker).out.set(id, { resolve, reject });
    worker.postMessage({ id, op, bytes }, [bytes.buffer]);
  });
}
// Resolves with the browser's reason once the worker's WebGPU device is lost; never otherwise.
export function lost_lab(worker) { return labs.get(worker).lost; }
export function is_trap(e) { return e?.trap === true; }
export function end_lab(worker) { worker.terminate(); }
"#)]
extern "C" {
    fn spawn_lab(init: &js_sys::Object) -> JsValue;
    fn call_lab(worker: &JsValue, op: &str, bytes: Uint8Array) -> Promise;
    async fn lost_lab(worker: &JsValue) -> JsValue;
    /// Whether a call failed because its worker trapped or was lost.
    pub(crate) fn is_trap(e: &JsValue) -> bool;
    fn end_lab(worker: &JsValue);
}

#[wasm_bindgen]
extern "C" {
    /// The URL of this module's JavaScript (wasm-bindgen writes `import.meta.url` into
    /// it), which the workers import.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static GLUE: String;
}

/// In a worker: the lab this worker answers with.
#[wasm_bindgen]
pub fn lab_start(pictures: Vec<u8>) -> Result<(), JsError> {
    let pictures = Pictures::from_bytes(&pictures)?;
    lab::host::install(Lab::new(cpu(), pictures));
    Ok(())
}

/// In a worker: one task's answer.
#[wasm_bindgen]
pub async fn lab_answer(task: Vec<u8>) -> Result<Vec<u8>, JsError> {
    lab::host::answer(&task).await.map_err(|e| JsError::new(&e))
}

/// In a worker: the trained model from its weights file, for "Measure".
#[wasm_bindgen]
pub fn measure_load(weights: Vec<u8>) -> Result<(), JsError> {
    let trained = Trained::load(&weights, &cpu()).map_err(|e| JsError::new(&e))?;
    lab::host::install_counter(Counter::new(trained));
    Ok(())
}

/// In a worker: one piece of "Measure" counted (`PieceOrder` in, a count per number
/// of shots out).
#[wasm_bindgen]
pub async fn measure_count(order: Vec<u8>) -> Result<Vec<u8>, JsError> {
    lab::host::count(&order).await.map_err(|e| JsError::new(&e))
}

/// One lab worker; ended when dropped.
pub struct Labourer {
    worker: JsValue,
}

impl Labourer {
    /// A worker running `url`'s module: the page's own (`module` compiled, sent) or one
    /// loaded on demand (its `wasm` fetched there with `integrity`).
    fn spawn(url: &str, module: Option<&JsValue>, wasm: Option<(&str, &str)>, gpu: bool) -> Self {
        let init = js_sys::Object::new();
        let set = |key: &str, value: &JsValue| {
            let _ = js_sys::Reflect::set(&init, &key.into(), value);
        };
        set("base", &GLUE.with(String::clone).into());
        set("url", &url.into());
        if let Some(module) = module {
            set("module", module);
        }
        if let Some((wasm, integrity)) = wasm {
            set("wasm", &wasm.into());
            set("integrity", &integrity.into());
        }
        set("gpu", &gpu.into());
        Self {
            worker: spawn_lab(&init),
        }
    }

    /// A CPU lab over `pictures`: this very module, compiled once, sent to the worker.
    pub fn cpu(pictures: &[u8]) -> Self {
        let glue = GLUE.with(String::clone);
        let lab = Self::spawn(&glue, Some(&wasm_bindgen::module()), None, false);
        // Started before any task; a failure shows on the first task's answer.
        let _ = lab.call("lab_start", pictures);
        lab
    }

    /// A module loaded on demand (WebGPU's, the trainer's) at `url` in a worker, its wasm
    /// fetched with `integrity`; `gpu`: the worker watches its WebGPU devices.
    pub fn module(url: &str, wasm: &str, integrity: &str, gpu: bool) -> Self {
        Self::spawn(url, None, Some((wasm, integrity)), gpu)
    }

    /// The export `op` of the worker's module called with `bytes`.
    pub fn call(&self, op: &str, bytes: &[u8]) -> Promise {
        call_lab(&self.worker, op, Uint8Array::from(bytes))
    }

    /// Resolves with the browser's reason once the worker's WebGPU device is lost.
    pub async fn lost(&self) -> String {
        lost_lab(&self.worker).await.as_string().unwrap_or_default()
    }
}

impl Drop for Labourer {
    fn drop(&mut self) {
        end_lab(&self.worker);
    }
}
