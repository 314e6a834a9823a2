//! The drawing pad beside "Your image": the student draws with a mouse, a finger or a
//! pen, and at the end of each stroke the picture goes to the model. The strokes are
//! painted by `lab::drawing`, so the pad shows exactly the pixels the model is given.
//! A small drawing is written into the link (`draw=`), so a teacher's link brings it back.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::figures::canvas;
use crate::state::url_state::UrlState;
use lab::drawing::{BRUSHES, Drawing, Ink, SIDE};
use mini::scene::{Colour, Picture};

/// A pointer position in picture pixels, whatever size CSS gives the pad.
fn position(ev: &web_sys::PointerEvent) -> Option<(f32, f32)> {
    let target: web_sys::HtmlCanvasElement = ev.target()?.dyn_into().ok()?;
    let rect = target.get_bounding_client_rect();
    if rect.width() <= 0.0 || rect.height() <= 0.0 {
        return None;
    }
    let side = SIDE as f64;
    Some((
        ((ev.client_x() as f64 - rect.left()) / rect.width() * side) as f32,
        ((ev.client_y() as f64 - rect.top()) / rect.height() * side) as f32,
    ))
}

#[component]
pub(super) fn DrawPad(
    state: RwSignal<UrlState>,
    /// Called with the picture at the end of each stroke, and after Undo and Clear.
    drawn: impl Fn(Picture) + Copy + 'static,
) -> impl IntoView {
    // The link's drawing, if it brought one (its code was checked when the link was read).
    let linked =
        state.with_untracked(|s| s.draw.as_deref().and_then(|c| Drawing::from_code(c).ok()));
    let drawing = StoredValue::new(linked.clone().unwrap_or_default());
    let strokes = RwSignal::new(0usize);
    let ink = RwSignal::new(Ink::Paint(Colour::Red));
    let brush = RwSignal::new(1usize);
    let pressed = StoredValue::new(None::<i32>);
    let pad = NodeRef::<leptos::html::Canvas>::new();

    let repaint = move || {
        if let Some(c) = pad.get_untracked() {
            let _ = canvas::draw_rgb(&c, &drawing.with_value(Drawing::render));
        }
    };
    let settle = move || {
        strokes.set(drawing.with_value(|d| d.strokes.len()));
        repaint();
        drawn(drawing.with_value(Drawing::render));
        // Too large for a link, or empty: the link has no drawing.
        let code = drawing.with_value(|d| (!d.is_empty()).then(|| d.to_code()).flatten());
        state.update(|s| s.draw = code);
    };
    Effect::new(move |_| {
        if pad.get().is_some() {
            repaint();
        }
    });
    if linked.is_some() {
        Effect::new(move |_| settle());
    }
    let end = move |ev: web_sys::PointerEvent| {
        if pressed.get_value() == Some(ev.pointer_id()) {
            pressed.set_value(None);
            settle();
        }
    };

    view! {
        <div class="draw-pad">
            <canvas id="draw-pad" node_ref=pad width=SIDE height=SIDE role="img"
                aria-label=move || format!("drawing pad, {} strokes: draw here with a mouse, a finger or a pen", strokes.get())
                data-strokes=move || strokes.get().to_string()
                on:pointerdown=move |ev: web_sys::PointerEvent| {
                    if pressed.get_value().is_some() || ev.button() > 0 { return; }
                    let Some(at) = position(&ev) else { return };
                    ev.prevent_default();
                    if let Some(c) = pad.get_untracked() {
                        let _ = c.set_pointer_capture(ev.pointer_id());
                    }
                    pressed.set_value(Some(ev.pointer_id()));
                    drawing.update_value(|d| d.begin(ink.get_untracked(), BRUSHES[brush.get_untracked()].1, at));
                    repaint();
                }
                on:pointermove=move |ev: web_sys::PointerEvent| {
                    if pressed.get_value() != Some(ev.pointer_id()) { return; }
                    if let Some(at) = position(&ev) {
                        drawing.update_value(|d| d.extend(at));
                        repaint();
                    }
                }
                on:pointerup=end
                on:pointercancel=end
            ></canvas>
            <div class="pad-tools" role="group" aria-label="drawing tools">
                {Colour::ALL.map(|c| {
                    let [r, g, b] = c.rgb();
                    view! {
                        <button class="swatch" aria-label=c.word() style=format!("background: rgb({r}, {g}, {b})")
                            aria-pressed=move || (ink.get() == Ink::Paint(c)).to_string()
                            on:click=move |_| ink.set(Ink::Paint(c))></button>
                    }
                }).collect_view()}
                <button aria-pressed=move || (ink.get() == Ink::Eraser).to_string() on:click=move |_| ink.set(Ink::Eraser)>"Eraser"</button>
                <label>"Brush size "
                    <select aria-label="Brush size" on:change=move |ev| {
                        if let Ok(i) = event_target_value(&ev).parse::<usize>() { brush.set(i.min(BRUSHES.len() - 1)); }
                    } prop:value=move || brush.get().to_string()>
                        {BRUSHES.iter().enumerate().map(|(i, (name, _))| view! { <option value=i.to_string()>{*name}</option> }).collect_view()}
                    </select>
                </label>
                <button on:click=move |_| { drawing.update_value(Drawing::undo); settle(); }
                    disabled=move || strokes.get() == 0>"Undo"</button>
                <button on:click=move |_| { drawing.update_value(Drawing::clear); settle(); }
                    disabled=move || strokes.get() == 0>"Clear"</button>
            </div>
            <p class="note">"Draw a shape or two: the caption follows each stroke. Your drawing stays in this page; a small one is also written into the page's link, for Copy link."</p>
        </div>
    }
}
