//! The CPU labs in dedicated workers, so the main thread only handles input, the URL
//! and painting. Each worker runs this very module (compiled once, sent to it) with its
//! own seeded lab; a request with several images is split across them (`lab::split`),
//! each resampling a run of images, the first worker joining the parts. The parts
//! join to the frame one lab computes alone, bit for bit (`lab`'s tests, and the
//! browser test that compares one worker with two).

use std::cell::RefCell;

use js_sys::{Array, Promise, Uint8Array};
use lab::measure::{PieceOrder, counts_from_bytes};
use lab::{Frame, Part, Pictures, Request, Task, split};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::compute::auto_pick::Workload;
use crate::compute::worker::{Labourer, is_trap, message};

/// At most this many workers, whatever `navigator.hardwareConcurrency` says: each
/// holds its own copy of the weights (about 250 MB at width 1024, so a wide model is
/// shared by fewer: `Request::labs_within_cap`), and a prompt has at most
/// `bounds::MAX_IMAGES` images to share out.
pub const MOST_WORKERS: usize = 4;

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

thread_local! {
    /// Weights that arrived before the pool started (the page fetches them at once):
    /// the pool takes them when it starts.
    static EARLY_WEIGHTS: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// The trained model's weights for "Measure": the pool's now, or when it starts.
pub fn load_trained(shared: &Shared, weights: &[u8]) {
    match shared.borrow().as_ref() {
        Some(pool) => pool.load_trained(weights),
        None => EARLY_WEIGHTS.with(|early| *early.borrow_mut() = Some(weights.to_vec())),
    }
}

/// The CPU's workers.
pub struct Pool {
    workers: RefCell<Vec<Labourer>>,
    /// The last shared forward's parts: a gate, the mask rule or the words moving
    /// needs only the join, one message instead of a round of parts first.
    parts: RefCell<Option<(PartsKey, Vec<Part>)>>,
    pictures: Vec<u8>,
    /// The trained model's weights, given to the workers at the first count after
    /// they arrive (and to a worker started after a trap): a page that never measures
    /// spends nothing on them, and the mechanics' first forwards, asked while the page
    /// loads, do not wait behind the workers building the model.
    weights: RefCell<Option<Vec<u8>>>,
    /// Whether the workers hold the model built from `weights`.
    loaded: std::cell::Cell<bool>,
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
            weights: RefCell::new(EARLY_WEIGHTS.with(|early| early.borrow_mut().take())),
            loaded: std::cell::Cell::new(false),
            per_size,
        }
    }

    /// How many workers share a forward.
    pub fn size(&self) -> usize {
        self.workers.borrow().len()
    }

    /// One forward, its images shared across as many workers as the memory cap allows when
    /// the work is worth sharing ([`Workload::worth_sharing`]), else whole on one worker.
    pub async fn run(&self, request: &Request) -> Result<Frame, String> {
        let workers = if Workload::of(request).worth_sharing() {
            request.labs_within_cap(self.per_size, self.size())
        } else {
            1
        };
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

    /// The trained model for "Measure": every worker builds it from `weights` before
    /// its next count.
    pub fn load_trained(&self, weights: &[u8]) {
        *self.weights.borrow_mut() = Some(weights.to_vec());
        self.loaded.set(false);
    }

    /// Counts up to [`Pool::size`] pieces at once, one per worker, in order: each
    /// piece's right answers at each number of shots.
    pub async fn count(&self, orders: &[PieceOrder]) -> Result<Vec<Vec<usize>>, String> {
        if !self.loaded.replace(true)
            && let Some(weights) = self.weights.borrow().as_deref()
        {
            for worker in self.workers.borrow().iter() {
                // A worker answers in order: the count below waits for this, and a
                // failure shows in its answer.
                let _ = worker.call("measure_load", weights);
            }
        }
        self.ask_each("measure_count", orders.iter().map(PieceOrder::to_bytes))
            .await?
            .iter()
            .map(|bytes| counts_from_bytes(bytes))
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
                        if let Some(weights) = self.weights.borrow().as_deref()
                            && self.loaded.get()
                        {
                            let _ = workers[w].call("measure_load", weights);
                        }
                    }
                }
                Err(message(e))
            }
        }
    }
}
