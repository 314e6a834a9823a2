//! The inputs bound to the state: a slider and a select.

use std::sync::atomic::{AtomicUsize, Ordering};

use leptos::prelude::*;

/// A labelled range input bound to one field of the state.
///
/// The `<label>` names the range input alone: `<output>` is labelable too, so a label
/// wrapping both would name the readout (and clicking the text would not reach the slider).
#[component]
pub(super) fn Slider(
    /// Accessible name, also shown.
    label: &'static str,
    /// Bounds and step.
    min: f64,
    /// Upper bound.
    max: f64,
    /// Step.
    step: f64,
    /// Current value.
    value: Signal<f64>,
    /// Called with each new value.
    set: impl Fn(f64) + 'static,
) -> impl IntoView {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let id = format!("slider-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    view! {
        <div class="slider">
            <span><label for=id.clone()>{label}</label> " " <output for=id.clone()>{move || crate::state::readout::shown(value.get(), step)}</output></span>
            <input type="range" id=id min=min.to_string() max=max.to_string() step=step.to_string() prop:value=move || value.get().to_string()
                on:input=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<f64>() { set(v) } } />
        </div>
    }
}

/// A labelled select over a fixed set of numbers, bound to one field of the state.
#[component]
pub(super) fn Choice(
    /// Accessible name, also shown.
    label: &'static str,
    /// The values offered.
    options: &'static [usize],
    /// Current value.
    value: Signal<usize>,
    /// Called with the value picked.
    set: impl Fn(usize) + 'static,
    /// How an option reads.
    text: fn(usize) -> String,
) -> impl IntoView {
    view! {
        <label>{label} " "
            <select aria-label=label on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<usize>() { set(v) } }>
                {options.iter().map(|&o| view! { <option value=o.to_string() selected=move || value.get() == o>{text(o)}</option> }).collect_view()}
            </select>
        </label>
    }
}
