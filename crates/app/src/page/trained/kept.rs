//! The captions at the gate-scale slider's other values, computed while the page is idle
//! and kept, so that a later drag shows them with no forward in its frames.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::weights::{Model, with_model};
use crate::compute::scheduler::Newest;
use crate::page::touch::{LastTouch, QUIET_MS};
use crate::state::gate_scale::{keep_first, next_move, slider_scales};

/// The caption at the slider's likeliest next value (`next_move`: one move further the
/// way it last moved, from `from` to `scale`, or back from an end), computed in the task
/// after this one, once the frame showing `scale`'s caption is painted: a drag's next
/// step then finds its caption kept and computes none in its own frame. A new request
/// (`ahead.ticket()`) first stops it.
pub(super) fn caption_ahead(
    model: Model,
    ahead: Newest,
    kept: RwSignal<usize>,
    scale: f32,
    from: f32,
) {
    let Some(next) = next_move(from, scale) else {
        return;
    };
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
/// kept, one per task, 0 first, then nearest `around` (`keep_first`): a later drag then
/// shows kept captions, with no forward in its frames. A new request (`fill.ticket()`)
/// stops it, and any touch of the page puts it off.
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
            let missing = model
                .borrow()
                .as_ref()
                .and_then(|t| keep_first(slider_scales().filter(|&s| !t.has_caption(s)), around));
            let Some(scale) = missing else { return };
            spawn_local(async move {
                if keep(&model, kept, scale).await {
                    fill_captions(model, next, touch, kept, around);
                }
            });
        },
    );
}
