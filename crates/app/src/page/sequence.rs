//! The interleaved sequence panel: the prompt, its images and the mask.

use flamingo::{MaskRule, Segment};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::Slider;
use crate::state::sequence::{add_image, move_image, prompt};
use crate::state::url_state::{Preset, UrlState, bounds};

#[component]
pub(super) fn SequencePanel(state: RwSignal<UrlState>) -> impl IntoView {
    let sequence = Memo::new(move |_| state.with(prompt));
    let mask = Memo::new(move |_| {
        let mode = state.with(|s| s.mode);
        sequence.with(|p| p.mask(mode))
    });
    let hovered = RwSignal::new(None::<usize>);
    let hovered_image = RwSignal::new(None::<usize>);
    // Dragging a marker: the token it stands on now. It moves as the pointer crosses
    // free tokens, so the mask redraws during the drag, not only at the drop.
    let dragging = RwSignal::new(None::<usize>);
    let _ = window_event_listener(leptos::ev::pointerup, move |_| dragging.set(None));
    let _ = window_event_listener(leptos::ev::pointercancel, move |_| dragging.set(None));
    let drag_over = move |ev: leptos::ev::PointerEvent| {
        let Some(from) = dragging.get_untracked() else {
            return;
        };
        let to = document()
            .element_from_point(ev.client_x() as f32, ev.client_y() as f32)
            .and_then(|el| el.closest("li[data-token]").ok().flatten())
            .and_then(|li| li.get_attribute("data-token"))
            .and_then(|t| t.parse::<usize>().ok());
        if let Some(to) = to
            && to != from
            && state.with_untracked(|s| !s.images.contains(&to))
        {
            state.update(|s| {
                if let Some(j) = s.images.iter().position(|&p| p == from) {
                    move_image(s, j, to)
                }
            });
            dragging.set(Some(to));
        }
    };
    view! {
        <section id="sequence" aria-labelledby="sequence-title">
            <h2 id="sequence-title">"Interleaved sequence"</h2>
            <p>
                "Images sit between words. Each text token cross-attends only to the most recent image before it "
                "(Flamingo's choice), or, if you switch the rule, to every image before it. Text before the first "
                "image sees none and gets no visual input at all."
            </p>
            <div class="presets">
                {Preset::ALL.into_iter().map(|p| view! { <button on:click=move |_| state.update(|s| p.apply(s))>{p.name()}</button> }).collect_view()}
            </div>
            <fieldset class="rule">
                <legend>"Rule"</legend>
                <label><input type="radio" name="rule" prop:checked=move || state.with(|s| s.mode == MaskRule::MostRecent) on:change=move |_| state.update(|s| s.mode = MaskRule::MostRecent) />" most recent image"</label>
                <label><input type="radio" name="rule" prop:checked=move || state.with(|s| s.mode == MaskRule::AllPreceding) on:change=move |_| state.update(|s| s.mode = MaskRule::AllPreceding) />" all preceding images"</label>
            </fieldset>
            <p class="aside">"Drag an " <code>"<image>"</code> " marker along the strip to move it, or use the sliders below."</p>
            <ol class="strip" aria-label="token strip" on:pointermove=drag_over>
                {move || sequence.with(|p| {
                    let markers = p.media_positions();
                    p.segments.iter().enumerate().map(|(i, s)| {
                    let (text, media) = (s.to_string(), matches!(s, Segment::Media { .. }));
                    let image = markers.iter().position(|&m| m == i);
                    view! { <li data-token=i class:media=media class:dragging=move || dragging.get() == Some(i) class:hovered=move || hovered.get() == Some(i) || (image.is_some() && hovered_image.get() == image)
                        on:mouseenter=move |_| hovered.set(Some(i)) on:mouseleave=move |_| hovered.set(None)
                        on:pointerdown=move |ev| {
                            if media {
                                ev.prevent_default();
                                // Touch captures the pointer to this element, which the redraw replaces.
                                if let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                                    let _ = el.release_pointer_capture(ev.pointer_id());
                                }
                                dragging.set(Some(i));
                            }
                        }>{text}</li> }
                }).collect_view()})}
            </ol>
            <div class="image-controls">
                <Slider label="Sequence length" min=bounds::LEN.0 as f64 max=bounds::LEN.1 as f64 step=1.0 value=Signal::derive(move || state.with(|s| s.len as f64)) set=move |v| state.update(|s| { s.len = v as usize; s.images.retain(|&p| p < s.len); s.preset = None; }) />
                {move || state.with(|s| s.images.clone()).into_iter().enumerate().map(|(j, pos)| view! {
                    <label class="slider">
                        <span>{format!("Image {} at token {pos}", j + 1)}</span>
                        <input type="range" aria-label=format!("Image {} position", j + 1) min="0" max=move || state.with(|s| s.len - 1).to_string() step="1" prop:value=pos.to_string()
                            on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<usize>() { state.update(|s| move_image(s, j, v)) } } />
                        <button aria-label=format!("Remove image {}", j + 1) on:click=move |_| state.update(|s| { s.images.remove(j); s.preset = None; })>"remove"</button>
                    </label>
                }).collect_view()}
                <button on:click=move |_| state.update(add_image)>"Add image"</button>
            </div>
            <table id="mask-table">
                <caption>"Which image each token may attend to (" {move || match state.with(|s| s.mode) { MaskRule::MostRecent => "most recent image", MaskRule::AllPreceding => "all preceding images" }} ")"</caption>
                <thead><tr><th scope="col">"token"</th>
                    {move || (0..mask.with(|m| m.media())).map(|j| view! { <th scope="col" class:hovered=move || hovered_image.get() == Some(j) on:mouseenter=move |_| hovered_image.set(Some(j)) on:mouseleave=move |_| hovered_image.set(None)>{format!("image {}", j + 1)}</th> }).collect_view()}
                </tr></thead>
                <tbody>
                    {move || {
                        let m = mask.get();
                        sequence.with(|p| p.segments.iter().enumerate().map(|(i, s)| {
                            let word = match s { Segment::Text(w) => w.clone(), Segment::Media { .. } => "<image>".to_owned() };
                            let sees = m.sees_media(i);
                            view! {
                                <tr class:hovered=move || hovered.get() == Some(i) on:mouseenter=move |_| hovered.set(Some(i)) on:mouseleave=move |_| hovered.set(None)>
                                    <th scope="row">{format!("{i}: {word}")}{(!sees).then(|| view! { <span class="none">" no visual input"</span> })}</th>
                                    {(0..m.media()).map(|j| { let a = m.allowed(i, j); view! { <td data-allowed=a.to_string() class:allowed=a class:col-hovered=move || hovered_image.get() == Some(j) on:mouseenter=move |_| hovered_image.set(Some(j)) on:mouseleave=move |_| hovered_image.set(None)>{if a { "✓" } else { "" }}</td> } }).collect_view()}
                                </tr>
                            }
                        }).collect_view())
                    }}
                </tbody>
            </table>
        </section>
    }
}
