//! The panels below the first screen, mounted after it. Building the whole page took
//! about 250 ms of the main thread on a 2-core laptop, four fifths of it for panels a
//! student scrolls to later; the first screen (the overview and the trained model's
//! caption) no longer waits for them (BENCHMARKS.md).

use leptos::prelude::*;

use super::touch::{LastTouch, QUIET_MS, after_ms};

/// A panel's view, built when its turn comes.
pub(super) type Panel = Box<dyn FnOnce() -> AnyView>;

/// Appends `panels` to `parent` in order, one per task, each once the student's hand
/// has rested (a drag begun at the first caption is answered first); `done` is set
/// after the last.
pub(super) async fn mount_in_turn(
    parent: web_sys::HtmlElement,
    panels: Vec<Panel>,
    done: RwSignal<bool>,
) {
    let touch = LastTouch::page();
    for panel in panels {
        touch.quiet(QUIET_MS).await;
        // Its effects run in this task too, before the timer below.
        leptos::mount::mount_to(parent.clone(), panel).forget();
        after_ms(0).await;
    }
    done.set(true);
}
