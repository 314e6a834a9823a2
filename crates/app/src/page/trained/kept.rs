//! The captions at the gate-scale slider's other values, computed ahead and kept, so
//! that a drag shows them with no forward in its frames: by a worker of the pool where
//! there is one (the page's thread stays free for the student's drag, even the first
//! one), else on the page's thread while it is idle.

use std::cell::Cell;
use std::rc::Rc;

use lab::trained::{CaptionOrder, Trained};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::weights::{Model, with_model};
use crate::compute::pool::{Pool, Shared};
use crate::compute::scheduler::Newest;
use crate::page::touch::LastTouch;

/// The gate-scale slider's values: 0 to `SCALE_MAX` in steps of 1 / `SCALE_STEPS`.
pub(super) const SCALE_STEPS: u32 = 20;
pub(super) const SCALE_MAX: u32 = 2;

/// The slider's values as the slider gives them: `i / 20` rounds to the same float as
/// the text "0.35" it sends, so a kept caption is found by its bits.
fn slider_scales() -> impl Iterator<Item = f32> {
    (0..=SCALE_MAX * SCALE_STEPS).map(|i| (f64::from(i) / f64::from(SCALE_STEPS)) as f32)
}

/// The slider's values whose captions are not kept yet, nearest `around` first.
fn missing(trained: &Trained, around: f32) -> Vec<f32> {
    let mut scales: Vec<f32> = slider_scales()
        .filter(|&s| !trained.has_caption(s))
        .collect();
    scales.sort_by(|a, b| (a - around).abs().total_cmp(&(b - around).abs()));
    scales
}

/// Untouched for this long, the page's thread computes the slider's other captions.
const FILL_AFTER_MS: f64 = 150.0;

/// Captions a worker is asked for at once: about 20 ms of its time, so the order
/// follows the slider as the student moves it.
const PER_ORDER: usize = 4;

/// What filling the kept captions needs; cloned into each step of it.
#[derive(Clone)]
pub(super) struct Fill {
    pub(super) model: Model,
    pub(super) pool: Shared,
    /// The slider's value: the captions nearest it come first.
    pub(super) scale: Memo<f32>,
    /// On the page's thread, a new request (`newest.ticket()`) stops the fill.
    pub(super) newest: Newest,
    pub(super) touch: LastTouch,
    /// How many captions of the picture seen are kept, and how many captions from
    /// workers the page has kept since it opened, for tests and scripts.
    pub(super) kept: RwSignal<usize>,
    pub(super) from_workers: RwSignal<usize>,
    /// An order is out to a worker: its answer goes on with the fill.
    pub(super) ordered: Rc<Cell<bool>>,
}

/// Fills the kept captions: in a worker where the pool has started, else on the page.
pub(super) fn fill_captions(fill: Fill) {
    let pool = fill.pool.borrow().clone();
    match pool {
        Some(pool) => in_a_worker(fill, pool),
        None => on_the_page(fill),
    }
}

/// One order of the missing captions nearest the slider to the pool's last worker; each
/// answer is kept and the next order sent, until every value is kept. A failed order
/// (a worker lost, the weights changed) leaves the rest to the page's thread.
fn in_a_worker(fill: Fill, pool: Rc<Pool>) {
    if fill.ordered.replace(true) {
        return;
    }
    let around = fill.scale.get_untracked();
    let order = fill.model.borrow().as_ref().and_then(|t| {
        let scales: Vec<f32> = missing(t, around).into_iter().take(PER_ORDER).collect();
        let picture = t.fitted()?.clone();
        (!scales.is_empty()).then_some(CaptionOrder { picture, scales })
    });
    let Some(order) = order else {
        fill.ordered.set(false);
        return;
    };
    spawn_local(async move {
        let answer = pool.captions(&order).await;
        fill.ordered.set(false);
        let Ok(captions) = answer else {
            return on_the_page(fill);
        };
        let counts = with_model(&fill.model, async |t| {
            let new = captions
                .into_iter()
                .map(|c| t.keep(c))
                .filter(|&kept| kept)
                .count();
            (t.kept_captions(), new)
        })
        .await;
        match counts {
            Some((kept, new)) => {
                fill.kept.set(kept);
                fill.from_workers.update(|n| *n += new);
                in_a_worker(fill, pool);
            }
            // The model is busy (the few-shot panel's answer, say): a moment later.
            None => {
                let newest = fill.newest.clone();
                newest.after(std::time::Duration::from_millis(50), move || {
                    in_a_worker(fill, pool)
                });
            }
        }
    });
}

/// While the page is idle, one caption per task, nearest the slider first. A new
/// request stops it, and any touch of the page puts it off.
fn on_the_page(fill: Fill) {
    let wait = fill.touch.wait_for_quiet(FILL_AFTER_MS);
    let newest = fill.newest.clone();
    newest.after(
        std::time::Duration::from_millis(wait.ceil() as u64),
        move || {
            if fill.touch.wait_for_quiet(FILL_AFTER_MS) > 0.0 {
                return on_the_page(fill);
            }
            let around = fill.scale.get_untracked();
            let next = fill
                .model
                .borrow()
                .as_ref()
                .and_then(|t| missing(t, around).first().copied());
            let Some(scale) = next else { return };
            spawn_local(async move {
                let computed = with_model(&fill.model, async |t| {
                    t.caption(scale).await.is_ok().then(|| t.kept_captions())
                })
                .await
                .flatten();
                if let Some(count) = computed {
                    fill.kept.set(count);
                    on_the_page(fill);
                }
            });
        },
    );
}
