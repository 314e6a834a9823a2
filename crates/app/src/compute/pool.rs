//! The CPU labs in dedicated workers, so the main thread only handles input, the URL
//! and painting. Each worker runs this very module (compiled once, sent to it) with its
//! own seeded lab; a request with several images is split across them (`lab::split`),
//! each resampling a run of images, the first worker joining the parts. The parts
//! join to the frame one lab computes alone, bit for bit (`lab`'s tests, and the
//! browser test that compares one worker with two).

use std::cell::RefCell;

use js_sys::{Array, Promise, Uint8Array};
use lab::measure::{PieceOrder, counts_from_bytes};
use lab::trained::{Caption, CaptionOrder};
use lab::{Frame, Part, Pictures, Request, Task, split};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

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

/// The CPU's workers.
pub struct Pool {
    workers: RefCell<Vec<Labourer>>,
    /// The last shared forward's parts: a gate, the mask rule or the words moving
    /// needs only the join, one message instead of a round of parts first.
    parts: RefCell<Option<(PartsKey, Vec<Part>)>>,
    pictures: Vec<u8>,
    /// The trained model's weights, given to a worker at its first count or captions
    /// after they arrive (again if it was started anew after a trap): the mechanics'
    /// first forwards, asked while the page loads, do not wait behind the workers
    /// building the model, and only "Measure" builds it in every worker.
    weights: RefCell<Option<Vec<u8>>>,
    /// Which workers hold the model built from `weights`.
    loaded: RefCell<Vec<bool>>,
    /// How many times the weights have changed: captions asked of the weights before are
    /// not the page's model's.
    weights_changed: std::cell::Cell<u64>,
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
            loaded: RefCell::new(vec![false; size]),
            weights_changed: std::cell::Cell::new(0),
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
            self.ask(0, "lab_answer", &Task::Run(request.clone()).to_bytes())
                .await?
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
            let join = Task::Join {
                request: request.clone(),
                parts,
            };
            self.ask(0, "lab_answer", &join.to_bytes()).await?
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

    /// The trained model for "Measure" and the captions: every worker builds it from
    /// `weights` before its next count or captions.
    pub fn load_trained(&self, weights: &[u8]) {
        *self.weights.borrow_mut() = Some(weights.to_vec());
        self.loaded.borrow_mut().fill(false);
        self.weights_changed.set(self.weights_changed.get() + 1);
    }

    /// Workers `which` build the trained model, those that have not since the weights came.
    fn trained_in(&self, which: std::ops::Range<usize>) {
        let weights = self.weights.borrow();
        let Some(weights) = weights.as_deref() else {
            return;
        };
        let workers = self.workers.borrow();
        let mut loaded = self.loaded.borrow_mut();
        for w in which {
            if !std::mem::replace(&mut loaded[w], true) {
                // A worker answers in order: the call after this waits for it, and a
                // failure shows in its answer.
                let _ = workers[w].call("measure_load", weights);
            }
        }
    }

    /// Counts up to [`Pool::size`] pieces at once, one per worker, in order: each
    /// piece's right answers at each number of shots.
    pub async fn count(&self, orders: &[PieceOrder]) -> Result<Vec<Vec<usize>>, String> {
        self.trained_in(0..orders.len().min(self.size()));
        self.ask_each("measure_count", orders.iter().map(PieceOrder::to_bytes))
            .await?
            .iter()
            .map(|bytes| counts_from_bytes(bytes))
            .collect()
    }

    /// The order's captions from the last worker, so that the first stays free for the
    /// mechanics panels' forwards; refused if the weights changed meanwhile.
    pub async fn captions(&self, order: &CaptionOrder) -> Result<Vec<Caption>, String> {
        let last = self.size() - 1;
        self.trained_in(last..last + 1);
        let asked_of = self.weights_changed.get();
        let bytes = self
            .ask(last, "trained_captions", &order.to_bytes())
            .await?;
        if self.weights_changed.get() != asked_of {
            return Err("the weights changed while the captions were computed".into());
        }
        Caption::list_from_bytes(&bytes).map_err(|e| e.to_string())
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

    async fn ask(&self, worker: usize, op: &str, bytes: &[u8]) -> Result<Vec<u8>, String> {
        let answer = self.workers.borrow()[worker].call(op, bytes);
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
                        self.loaded.borrow_mut()[w] = false;
                    }
                }
                Err(message(e))
            }
        }
    }
}
