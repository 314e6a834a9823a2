//! The CPU labs in dedicated workers, so the main thread only handles input, the URL
//! and painting. Each worker runs this very module (compiled once, sent to it) with its
//! own seeded lab; a request with several images is split across them (`lab::split`),
//! each resampling a run of images, the first worker joining the parts. The parts
//! join to the frame one lab computes alone, bit for bit (`lab`'s tests, and the
//! browser test that compares one worker with two).

use std::cell::RefCell;

use js_sys::{Array, Promise, Uint8Array};
use lab::trained::{Counter, PieceOrder, Trained};
use lab::{Frame, Lab, Part, Pictures, Request, Task, split};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// At most this many workers, whatever `navigator.hardwareConcurrency` says: each
/// holds its own copy of the weights (about 250 MB at width 1024, so a wide model is
/// shared by fewer: `Request::labs_within_cap`), and a prompt has at most
/// `bounds::MAX_IMAGES` images to share out.
pub const MOST_WORKERS: usize = 4;

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
    fn is_trap(e: &JsValue) -> bool;
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
    lab::host::install(Lab::new(crate::backend::cpu(), pictures));
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
    let trained = Trained::load(&weights, &crate::backend::cpu()).map_err(|e| JsError::new(&e))?;
    lab::host::install_counter(Counter::new(trained));
    Ok(())
}

/// In a worker: one piece of "Measure" counted (`PieceOrder` in, 8 bytes out).
#[wasm_bindgen]
pub async fn measure_count(order: Vec<u8>) -> Result<Vec<u8>, JsError> {
    lab::host::count(&order).await.map_err(|e| JsError::new(&e))
}

/// One lab worker; ended when dropped.
pub struct Labourer {
    worker: JsValue,
}

impl Labourer {
    /// A worker running `url`'s module: the page's own (`module` compiled, sent) or the
    /// WebGPU module (its `wasm` fetched there with `integrity`).
    fn spawn(url: &str, module: Option<&JsValue>, wasm: Option<(&str, &str)>) -> Self {
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
        Self {
            worker: spawn_lab(&init),
        }
    }

    /// A CPU lab over `pictures`: this very module, compiled once, sent to the worker.
    fn cpu(pictures: &[u8]) -> Self {
        let glue = GLUE.with(String::clone);
        let lab = Self::spawn(&glue, Some(&wasm_bindgen::module()), None);
        // Started before any task; a failure shows on the first task's answer.
        let _ = lab.call("lab_start", pictures);
        lab
    }

    /// The WebGPU module at `url` in a worker, its wasm fetched with `integrity`.
    pub fn webgpu(url: &str, wasm: &str, integrity: &str) -> Self {
        Self::spawn(url, None, Some((wasm, integrity)))
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

/// What a request's parts depend on: not the gates, the mask rule or the words.
type PartsKey = (Vec<usize>, [usize; 6], Option<usize>, usize);

fn parts_key(r: &Request, workers: usize) -> PartsKey {
    (
        r.prompt.media_frames(),
        [r.k, r.depth, r.patch, r.size, r.width, r.layer],
        r.head,
        workers,
    )
}

/// The pool once started, shared by the mechanics panels and "Measure".
pub type Shared = std::rc::Rc<RefCell<Option<std::rc::Rc<Pool>>>>;

/// The CPU's workers.
pub struct Pool {
    workers: RefCell<Vec<Labourer>>,
    /// The last shared forward's parts: a gate, the mask rule or the words moving
    /// needs only the join, one message instead of a round of parts first.
    parts: RefCell<Option<(PartsKey, Vec<Part>)>>,
    pictures: Vec<u8>,
    /// The trained model's weights once loaded, for a worker started after a trap.
    weights: RefCell<Option<Vec<u8>>>,
    /// Pictures per side length, for the memory estimate.
    per_size: usize,
}

impl Pool {
    /// `navigator.hardwareConcurrency` workers, at most [`MOST_WORKERS`], each with a
    /// lab over `pictures`.
    pub fn start(pictures: &[Pictures]) -> Self {
        let cores = web_sys::window()
            .map(|w| w.navigator().hardware_concurrency())
            .unwrap_or(1.0);
        let size = (cores as usize).clamp(1, MOST_WORKERS);
        let per_size = pictures.iter().map(|p| p.rgba.len()).max().unwrap_or(1);
        let pictures = Pictures::to_bytes(pictures);
        let workers = (0..size).map(|_| Labourer::cpu(&pictures)).collect();
        Self {
            workers: RefCell::new(workers),
            parts: RefCell::new(None),
            pictures,
            weights: RefCell::new(None),
            per_size,
        }
    }

    /// How many workers share a forward.
    pub fn size(&self) -> usize {
        self.workers.borrow().len()
    }

    /// One forward, its images shared across as many workers as the memory cap allows.
    pub async fn run(&self, request: &Request) -> Result<Frame, String> {
        let workers = request.labs_within_cap(self.per_size, self.size());
        let runs = split(request.prompt.media_frames().len().max(1), workers);
        let frame = if runs.len() == 1 {
            self.ask(0, &Task::Run(request.clone())).await?
        } else {
            let key = parts_key(request, workers);
            let cached = self
                .parts
                .borrow()
                .as_ref()
                .filter(|(k, _)| *k == key)
                .map(|(_, parts)| parts.clone());
            let parts = match cached {
                Some(parts) => parts,
                None => {
                    let parts = self.parts_of(request, &runs).await?;
                    *self.parts.borrow_mut() = Some((key, parts.clone()));
                    parts
                }
            };
            self.ask(
                0,
                &Task::Join {
                    request: request.clone(),
                    parts,
                },
            )
            .await?
        };
        Frame::from_bytes(&frame).map_err(|e| e.to_string())
    }

    /// Each run of images resampled by its own worker, at once.
    async fn parts_of(
        &self,
        request: &Request,
        runs: &[(usize, usize)],
    ) -> Result<Vec<Part>, String> {
        let tasks = runs.iter().map(|&(first, images)| {
            Task::Part {
                request: request.clone(),
                first,
                images,
            }
            .to_bytes()
        });
        self.ask_each("lab_answer", tasks)
            .await?
            .iter()
            .map(|bytes| Part::from_bytes(bytes).map_err(|e| e.to_string()))
            .collect()
    }

    /// Every worker loads the trained model from `weights`, for "Measure".
    pub fn load_trained(&self, weights: &[u8]) {
        for worker in self.workers.borrow().iter() {
            // A failure shows on the first count's answer.
            let _ = worker.call("measure_load", weights);
        }
        *self.weights.borrow_mut() = Some(weights.to_vec());
    }

    /// Counts up to [`Pool::size`] pieces at once, one per worker, in order.
    pub async fn count(&self, orders: &[PieceOrder]) -> Result<Vec<usize>, String> {
        self.ask_each("measure_count", orders.iter().map(PieceOrder::to_bytes))
            .await?
            .into_iter()
            .map(|bytes| {
                let le: [u8; 8] = bytes
                    .try_into()
                    .map_err(|_| "a count came back malformed".to_owned())?;
                Ok(u64::from_le_bytes(le) as usize)
            })
            .collect()
    }

    /// `op` on the first workers at once, one argument each, in order; their answers.
    async fn ask_each(
        &self,
        op: &str,
        args: impl Iterator<Item = Vec<u8>>,
    ) -> Result<Vec<Vec<u8>>, String> {
        let asked: Array = self
            .workers
            .borrow()
            .iter()
            .zip(args)
            .map(|(worker, bytes)| worker.call(op, &bytes))
            .collect();
        let answers = self.answered(None, Promise::all(&asked)).await?;
        Ok(Array::from(&answers)
            .iter()
            .map(|bytes| Uint8Array::new(&bytes).to_vec())
            .collect())
    }

    async fn ask(&self, worker: usize, task: &Task) -> Result<Vec<u8>, String> {
        let answer = self.workers.borrow()[worker].call("lab_answer", &task.to_bytes());
        let bytes = self.answered(Some(worker), answer).await?;
        Ok(Uint8Array::new(&bytes).to_vec())
    }

    /// The answer, or why not; a worker whose module trapped (a panic) is replaced
    /// by a fresh one, so the next request finds a working lab.
    async fn answered(&self, worker: Option<usize>, answer: Promise) -> Result<JsValue, String> {
        match JsFuture::from(answer).await {
            Ok(bytes) => Ok(bytes),
            Err(e) => {
                if is_trap(&e) {
                    let mut workers = self.workers.borrow_mut();
                    let replace: Vec<usize> =
                        worker.map_or_else(|| (0..workers.len()).collect(), |w| vec![w]);
                    for w in replace {
                        workers[w] = Labourer::cpu(&self.pictures);
                        if let Some(weights) = self.weights.borrow().as_deref() {
                            let _ = workers[w].call("measure_load", weights);
                        }
                    }
                }
                Err(crate::backend::message(e))
            }
        }
    }
}
