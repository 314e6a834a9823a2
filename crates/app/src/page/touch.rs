//! When the student last touched the page: work that can wait (the slider's other
//! captions, the next training steps) waits while they drag, type or draw, so their hand
//! is answered first on a machine with two cores.

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::window_event_listener;
use wasm_bindgen_futures::JsFuture;

use super::now_ms;

/// Work that can wait starts once the page has been untouched this long.
pub(super) const QUIET_MS: f64 = 150.0;

/// The time of the student's last input, key, press, or move with a button held.
#[derive(Clone)]
pub(super) struct LastTouch(Rc<Cell<f64>>);

thread_local! {
    static PAGE: LastTouch = LastTouch::watch();
}

impl LastTouch {
    /// The page's one watch, started on first use.
    pub(super) fn page() -> Self {
        PAGE.with(Clone::clone)
    }

    fn watch() -> Self {
        let last = Rc::new(Cell::new(now_ms()));
        let touched = move |l: &Rc<Cell<f64>>| {
            let l = l.clone();
            move || l.set(now_ms())
        };
        let t = touched(&last);
        let _ = window_event_listener(leptos::ev::input, move |_| t());
        let t = touched(&last);
        let _ = window_event_listener(leptos::ev::keydown, move |_| t());
        let t = touched(&last);
        let _ = window_event_listener(leptos::ev::pointerdown, move |_| t());
        // A stroke on the drawing pad, or a drag of anything, is one press and many moves.
        let t = touched(&last);
        let _ = window_event_listener(leptos::ev::pointermove, move |e| {
            if e.buttons() != 0 {
                t()
            }
        });
        Self(last)
    }

    /// How long, in ms, before the page has been untouched for `quiet_ms`.
    pub(super) fn wait_for_quiet(&self, quiet_ms: f64) -> f64 {
        self.wait_after(f64::NEG_INFINITY, quiet_ms)
    }

    /// As `wait_for_quiet`, the quiet counted from `since` (a time of `now_ms`) at the earliest.
    fn wait_after(&self, since: f64, quiet_ms: f64) -> f64 {
        (self.0.get().max(since) + quiet_ms - now_ms()).max(0.0)
    }

    /// Resolves once the page has been untouched for `quiet_ms`.
    pub(super) async fn quiet(&self, quiet_ms: f64) {
        self.quiet_after(f64::NEG_INFINITY, quiet_ms).await
    }

    /// Resolves once the page has been untouched for `quiet_ms`, counted from `since` (a
    /// time of `now_ms`) at the earliest.
    pub(super) async fn quiet_after(&self, since: f64, quiet_ms: f64) {
        loop {
            let wait = self.wait_after(since, quiet_ms);
            if wait <= 0.0 {
                return;
            }
            after_ms(wait.ceil() as i32).await;
        }
    }
}

/// Resolves in a task of its own, `ms` from now (0: the next task).
pub(super) async fn after_ms(ms: i32) {
    let timer = js_sys::Promise::new(&mut |done, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&done, ms);
        }
    });
    let _ = JsFuture::from(timer).await;
}
