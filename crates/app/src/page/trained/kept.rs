//! The captions at the gate-scale slider's other values, computed while the page is idle
//! and kept, so that a later drag shows them with no forward in its frames.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::weights::{Model, with_model};
use crate::compute::scheduler::Newest;
use crate::page::touch::{LastTouch, QUIET_MS};

/// The gate-scale slider's values: 0 to `SCALE_MAX` in steps of 1 / `SCALE_STEPS`.
pub(super) const SCALE_STEPS: u32 = 20;
pub(super) const SCALE_MAX: u32 = 2;

/// The slider's `i`-th value as the slider gives it: `i / 20` rounds to the same float as
/// the text "0.35" it sends, so a kept caption is found by its bits.
fn slider_scale(i: u32) -> f32 {
    (f64::from(i) / f64::from(SCALE_STEPS)) as f32
}

/// The slider's values, 0 to `SCALE_MAX`.
fn slider_scales() -> impl Iterator<Item = f32> {
    (0..=SCALE_MAX * SCALE_STEPS).map(slider_scale)
}

/// The caption one move further the way the slider last moved (from `from` to `scale`),
/// computed in the task after this one, once the frame showing `scale`'s caption is
/// painted: a drag's next step then finds its caption kept and computes none in its own
/// frame. A new request (`ahead.ticket()`) first stops it.
pub(super) fn caption_ahead(
    model: Model,
    ahead: Newest,
    kept: RwSignal<usize>,
    scale: f32,
    from: f32,
) {
    let on_grid = |s: f32| (s * SCALE_STEPS as f32).round() as i64;
    let next = 2 * on_grid(scale) - on_grid(from);
    let last = i64::from(SCALE_MAX * SCALE_STEPS);
    let Ok(next) = u32::try_from(next.clamp(0, last)) else {
        return;
    };
    let next = slider_scale(next);
    if next == scale {
        return;
    }
    ahead.after_this_task(move || {
        let missing = model
            .borrow()
            .as_ref()
            .is_some_and(|t| !t.has_caption(next));
        if missing {
            spawn_local(async move {
                keep(&model, kept, next).await;
            });
        }
    });
}

/// Computes the caption at `scale` and keeps it, `kept` counting; false where the model
/// is absent or busy, or the caption failed.
async fn keep(model: &Model, kept: RwSignal<usize>, scale: f32) -> bool {
    let count = with_model(model, async |t| {
        t.caption(scale).await.is_ok().then(|| t.kept_captions())
    })
    .await
    .flatten();
    if let Some(count) = count {
        kept.set(count);
    }
    count.is_some()
}

/// While the page is idle, the captions at the slider's other values are computed and
/// kept, nearest `around` first, one per task: a later drag then shows kept captions,
/// with no forward in its frames. A new request (`fill.ticket()`) stops it, and any
/// touch of the page puts it off.
pub(super) fn fill_captions(
    model: Model,
    fill: Newest,
    touch: LastTouch,
    kept: RwSignal<usize>,
    around: f32,
) {
    let wait = touch.wait_for_quiet(QUIET_MS);
    let next = fill.clone();
    fill.after(
        std::time::Duration::from_millis(wait.ceil() as u64),
        move || {
            if touch.wait_for_quiet(QUIET_MS) > 0.0 {
                return fill_captions(model, next, touch, kept, around);
            }
            let missing = model.borrow().as_ref().and_then(|t| {
                slider_scales()
                    .filter(|&s| !t.has_caption(s))
                    .min_by(|a, b| (a - around).abs().total_cmp(&(b - around).abs()))
            });
            let Some(scale) = missing else { return };
            spawn_local(async move {
                if keep(&model, kept, scale).await {
                    fill_captions(model, next, touch, kept, around);
                }
            });
        },
    );
}
