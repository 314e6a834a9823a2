//! The guided tour's card: the step's text, Previous / Next, the arrow keys, and the
//! highlighted panel.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::state::tour::{STEPS, apply, neighbour};
use crate::state::url_state::UrlState;

/// Is the key meant for a control rather than for the tour?
fn typing(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
                || el.get_attribute("tabindex").is_some()
        })
}

#[component]
pub fn Tour(
    state: RwSignal<UrlState>,
    /// Set once the panels after the tour are there (`super::later`): a step's panel
    /// may be one of them.
    ready: RwSignal<bool>,
) -> impl IntoView {
    let step = Memo::new(move |_| state.with(|s| s.tour));
    let go = move |to: usize| state.update(|s| apply(to, s));
    let _ = window_event_listener(leptos::ev::keydown, move |ev| {
        let at = step.get_untracked();
        if at == 0 || typing(&ev) || ev.alt_key() || ev.ctrl_key() || ev.meta_key() {
            return;
        }
        match ev.key().as_str() {
            "ArrowRight" => go(neighbour(at, true)),
            "ArrowLeft" => go(neighbour(at, false)),
            _ => return,
        }
        ev.prevent_default();
    });
    // The step's panel is outlined and brought into view; the others lose the outline.
    Effect::new(move |previous: Option<usize>| {
        let at = step.get();
        ready.track();
        let document = document();
        for s in STEPS {
            if let Some(el) = document.get_element_by_id(s.panel) {
                let _ = el.class_list().remove_1("tour-focus");
            }
        }
        if at > 0
            && let Some(el) = document.get_element_by_id(STEPS[at - 1].panel)
        {
            let _ = el.class_list().add_1("tour-focus");
            if previous.is_some_and(|p| p != at) {
                super::bring_into_view(&el, web_sys::ScrollLogicalPosition::Start);
            }
        }
        at
    });
    // A new step starts with its reveal closed: predict, then look. (The card's
    // elements are kept from step to step, so the details would stay open.)
    let reveal = NodeRef::<leptos::html::Details>::new();
    Effect::new(move |_| {
        step.track();
        if let Some(d) = reveal.get_untracked() {
            let _ = d.remove_attribute("open");
        }
    });
    view! {
        <section id="tour" aria-labelledby="tour-title" class:open=move || { step.get() > 0 }>
            <Show when=move || { step.get() > 0 } fallback=move || view! {
                <h2 id="tour-title">"Guided lesson"</h2>
                <p>"Six steps: along the overview from the picture to the next word, then the prompt's mask and few-shot examples. Each step sets the controls for you; a teacher can link to any step."</p>
                <button class="primary" on:click=move |_| go(1)>"Start the lesson"</button>
            }>
                {move || {
                    let at = step.get();
                    let s = STEPS[at - 1];
                    view! {
                        <h2 id="tour-title">{format!("Step {at} of {}: {}", STEPS.len(), s.title)}</h2>
                        <p id="tour-question" class="predict"><strong>"Predict first: "</strong>{s.question}</p>
                        <details class="reveal" node_ref=reveal>
                            <summary>"Reveal: what to look at"</summary>
                            <p id="tour-text">{s.text}</p>
                        </details>
                        <nav class="tour-nav" aria-label="Lesson steps">
                            <button on:click=move |_| go(neighbour(at, false)) disabled=at == 1>"← Previous"</button>
                            <ol>
                                {(1..=STEPS.len()).map(|i| view! {
                                    <li><button aria-label=format!("Step {i}") aria-current=(i == at).then_some("step") on:click=move |_| go(i)>{i}</button></li>
                                }).collect_view()}
                            </ol>
                            <button on:click=move |_| go(neighbour(at, true)) disabled=at == STEPS.len()>"Next →"</button>
                            <button on:click=move |_| state.update(|s| s.tour = 0)>"Close the lesson"</button>
                        </nav>
                        <p class="aside">"The ← and → keys move between steps too."</p>
                    }
                }}
            </Show>
        </section>
    }
}
