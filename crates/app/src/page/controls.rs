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
    let decimals = decimals_of(step);
    view! {
        <div class="slider">
            <span><label for=id.clone()>{label}</label> " " <output for=id.clone()>{move || format!("{:.*}", decimals, value.get())}</output></span>
            <input type="range" id=id min=min.to_string() max=max.to_string() step=step.to_string() prop:value=move || value.get().to_string()
                on:input=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<f64>() { set(v) } } />
        </div>
    }
}

/// Decimal places a step needs (0.05 → 2), so a readout shows the value the slider
/// chose rather than its f32 widened to f64 (0.15000000596).
fn decimals_of(step: f64) -> usize {
    (0..6)
        .find(|&d| {
            let scaled = step * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(6)
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

#[cfg(test)]
mod tests {
    #[test]
    fn readouts_show_the_step_s_decimals() {
        assert_eq!(super::decimals_of(1.0), 0);
        assert_eq!(super::decimals_of(0.05), 2);
        assert_eq!(super::decimals_of(0.5), 1);
        assert_eq!(format!("{:.*}", 2, 0.15f32 as f64), "0.15");
    }
}
