//! The gated cross-attention panel: the gate curve, the block's readouts and its heatmap.

use leptos::prelude::*;

use super::{Heatmap, Slider, report};
use crate::figures::heatmap::Axis;
use crate::figures::{canvas, download, figure};
use crate::state::url_state::UrlState;
use lab::Frame;

#[component]
pub(super) fn GatePanel(
    state: RwSignal<UrlState>,
    frame: RwSignal<Option<Frame>>,
    frame_query: RwSignal<String>,
) -> impl IntoView {
    let plot = NodeRef::<leptos::html::Canvas>::new();
    // A memo: the figure is redrawn when α moves, not at every change of the page's state.
    let alpha = Memo::new(move |_| state.with(|s| s.alpha));
    Effect::new(move |_| {
        canvas::track_room();
        let alpha = alpha.get();
        if let Some(c) = plot.get() {
            let _ = canvas::draw_tanh(c, alpha);
        }
    });
    // A memo, so a frame with equal data paints nothing.
    let cross: Signal<(Vec<f32>, usize, usize)> = Memo::new(move |_| {
        frame.with(|f| {
            f.as_ref()
                .map(|f| {
                    (
                        f.cross_attention.clone(),
                        if f.images == 0 { 0 } else { f.tokens },
                        f.images * f.k,
                    )
                })
                .unwrap_or_default()
        })
    })
    .into();
    let cross_axes = Signal::derive(move || {
        frame.with(|f| {
            let (tokens, images, k) = f.as_ref().map_or((0, 0, 1), |f| (f.tokens, f.images, f.k));
            (
                Axis::blocks("visual tokens, K per image", images, k, "image"),
                Axis::counting("text token", if images == 0 { 0 } else { tokens }, 0),
            )
        })
    });
    view! {
        <section id="gate" aria-labelledby="gate-title">
            <h2 id="gate-title">"Gated cross-attention"</h2>
            <p>
                "The block added to the frozen model computes y = tanh(α)·xattn(x, visual) + x, then a gated "
                "feed-forward the same way. Both gates start at 0: tanh(0) = 0, so at the start of training "
                "the block passes x through untouched and the model is exactly the language model."
            </p>
            <Slider label="Gate alpha" min=-4.0 max=4.0 step=0.05 value=Signal::derive(move || state.with(|s| s.alpha as f64)) set=move |v| state.update(|s| s.alpha = v as f32) />
            <Slider label="FF gate" min=-4.0 max=4.0 step=0.05 value=Signal::derive(move || state.with(|s| s.ff as f64)) set=move |v| state.update(|s| s.ff = v as f32) />
            <figure class="tanh-figure">
                <canvas class="tanh" node_ref=plot width="360" height="220" role="img" aria-label="tanh curve with the current gate"></canvas>
                <figcaption class="export">
                    <button on:click=move |_| { if let Some(c) = plot.get_untracked() { report(download::png("tanh.png", &c).map_err(|e| format!("{e:?}"))); } }>"Download PNG"</button>
                    <button on:click=move |_| {
                        let alpha = state.with_untracked(|s| s.alpha);
                        report(figure::tanh_svg(alpha).and_then(|svg| download::text("tanh.svg", "image/svg+xml", &svg).map_err(|e| format!("{e:?}"))));
                    }>"Download SVG"</button>
                </figcaption>
            </figure>
            <dl class="readouts">
                <dt>"tanh(alpha)"</dt><dd id="tanh-alpha">{move || format!("{:.4}", state.with(|s| s.alpha).tanh())}</dd>
                <dt>"max |y − x|"</dt><dd id="identity-diff" data-query=move || frame_query.get() data-value=move || frame.with(|f| f.as_ref().map(|f| f.readouts.max_diff.to_string()))>{move || frame.with(|f| f.as_ref().map(|f| format_diff(f.readouts.max_diff)).unwrap_or_else(|| "…".into()))}</dd>
                <dt>"visual change ‖y − x‖ / ‖x‖"</dt><dd id="visual-share" data-value=move || frame.with(|f| f.as_ref().map(|f| f.readouts.visual_share.to_string()))>{move || frame.with(|f| f.as_ref().map(|f| format!("{:.4}", f.readouts.visual_share)).unwrap_or_else(|| "…".into()))}</dd>
            </dl>
            <div class="identity" id="identity">
                <h3>"Identity check"</h3>
                <p>"Close both gates and compare the block's output with the language model's hidden state, value by value, as 32-bit patterns rather than as rounded numbers."</p>
                <button on:click=move |_| state.update(|s| { s.alpha = 0.0; s.ff = 0.0; })>"Close both gates (α = 0, FF gate = 0)"</button>
                <p id="identity-check" role="status" data-identical=move || frame.with(|f| f.as_ref().map(|f| f.readouts.identical.to_string())) data-values=move || frame.with(|f| f.as_ref().map(|f| f.readouts.values.to_string()))>
                    {move || frame.with(|f| f.as_ref().map(|f| {
                        let r = f.readouts;
                        if r.identical == r.values {
                            format!("✓ y equals x bit for bit in all {} values: with the gates closed the model is exactly the language model.", r.values)
                        } else {
                            format!("y equals x bit for bit in {} of {} values: the gates are open, so the image changes the text's hidden state.", r.identical, r.values)
                        }
                    }).unwrap_or_else(|| "…".into()))}
                </p>
            </div>
            <h3>"Text tokens × visual tokens (mean over heads)"</h3>
            <Heatmap data=cross axes=cross_axes label="cross-attention of each text token to each visual token" id="xattn-heatmap" />
        </section>
    }
}

pub(super) fn format_diff(d: f32) -> String {
    if d == 0.0 {
        "0".into()
    } else {
        format!("{d:.3e}")
    }
}
