//! The Perceiver resampler panel: the picture, its patches and the latents' attention.

use leptos::prelude::*;

use super::{Choice, Heatmap, SAMPLES, Slider, report};
use crate::figures::heatmap::Axis;
use crate::figures::{canvas, download, figure};
use crate::state::url_state::{UrlState, bounds};
use lab::Frame;
use lab::stand_in::grid;

#[component]
pub(super) fn ResamplerPanel(
    state: RwSignal<UrlState>,
    frame: RwSignal<Option<Frame>>,
    layer: RwSignal<usize>,
    head: RwSignal<Option<usize>>,
) -> impl IntoView {
    // A memo: moving a gate leaves this equal, so the heatmap is not repainted.
    let attention: Signal<(Vec<f32>, usize, usize)> = Memo::new(move |_| {
        frame.with(|f| {
            f.as_ref()
                .map(|f| (f.resampler_attention.clone(), f.k, f.patches))
                .unwrap_or_default()
        })
    })
    .into();
    let attention_axes = Signal::derive(move || {
        frame.with(|f| {
            let (k, n) = f.as_ref().map_or((0, 0), |f| (f.k, f.patches));
            (
                Axis::counting("patch", n, 1),
                Axis::counting("latent", k, 1),
            )
        })
    });
    let latent = RwSignal::new(None::<usize>);
    let overlay_canvas = NodeRef::<leptos::html::Canvas>::new();
    let picture = NodeRef::<leptos::html::Img>::new();
    Effect::new(move |_| {
        let Some(c) = overlay_canvas.get() else {
            return;
        };
        // The overlay follows the attention and the chosen latent, not every frame.
        attention.track();
        let chosen = latent.get();
        frame.with_untracked(|f| {
            let Some(f) = f else { return };
            let row = chosen
                .filter(|&l| l < f.k)
                .map(|l| &f.resampler_attention[l * f.patches..(l + 1) * f.patches]);
            let _ = canvas::draw_patch_overlay(&c, f.grid, row);
        });
    });
    view! {
        <section id="resampler" aria-labelledby="resampler-title">
            <h2 id="resampler-title">"Perceiver resampler"</h2>
            <p>
                "A vision encoder gives one feature per patch, so a bigger image gives more features. The "
                "resampler's K learned latents read all of them by cross-attention (their keys and values are "
                "the patches plus the latents themselves) and come out as exactly K tokens, whatever N was."
            </p>
            <p class="shape" id="resampler-shape">{move || frame.with(|f| f.as_ref().map(|f| format!("{} patches → {} tokens", f.patches, f.k)).unwrap_or_else(|| "…".into()))}</p>
            <p class="aside">{move || {
                let (p, k) = state.with(|s| (s.patch, s.k));
                let [small, large] = bounds::SIZES.map(|size| grid(size, p).pow(2));
                format!("At patch {p}, a 224 px image has {small} patches and a 480 px image {large}; both leave as {k} tokens. Switch the image size to see it computed.")
            }}</p>
            <Choice label="Model width" options=&bounds::WIDTHS value=Signal::derive(move || state.with(|s| s.width)) set=move |v| state.update(|s| s.width = v)
                text=|w| { let (h, d) = bounds::heads(w); format!("{w} ({h} heads × {d})") } />
            " "
            <Choice label="Image size" options=&bounds::SIZES value=Signal::derive(move || state.with(|s| s.size)) set=move |v| state.update(|s| s.size = v)
                text=|size| format!("{size} px") />
            <figure class="sample-figure">
                <div class="sample">
                    <img node_ref=picture src=SAMPLES[0] alt="the sample picture the resampler reads: a sunset over the sea" width="224" height="224" />
                    <canvas node_ref=overlay_canvas aria-hidden="true"></canvas>
                </div>
                <figcaption class="export">
                    <button on:click=move |_| {
                        if let (Some(img), Some(c)) = (picture.get_untracked(), overlay_canvas.get_untracked()) {
                            report(download::layered_png("patches.png", &img, &c, 448).map_err(|e| format!("{e:?}")));
                        }
                    }>"Download PNG"</button>
                    <button on:click=move |_| {
                        // The overlay's numbers as a patch-grid heatmap: the chosen latent's row, or the mean over latents.
                        let svg = frame.with_untracked(|f| {
                            let f = f.as_ref().ok_or("nothing computed yet")?;
                            let row: Vec<f32> = match latent.get_untracked().filter(|&l| l < f.k) {
                                Some(l) => f.resampler_attention[l * f.patches..(l + 1) * f.patches].to_vec(),
                                None => (0..f.patches).map(|p| (0..f.k).map(|l| f.resampler_attention[l * f.patches + p]).sum::<f32>() / f.k as f32).collect(),
                            };
                            figure::heatmap_svg(&row, f.grid, f.grid, &Axis::counting("patch column", f.grid, 1), &Axis::counting("patch row", f.grid, 1))
                        });
                        report(svg.and_then(|svg| download::text("patches.svg", "image/svg+xml", &svg).map_err(|e| format!("{e:?}"))));
                    }>"Download SVG"</button>
                </figcaption>
            </figure>
            <p class="aside">{move || match latent.get() {
                Some(l) => format!("Showing where latent {} looks. Click another row of the heatmap to change it.", l + 1),
                None => "The grid shows the patches. Click a row of the heatmap to see where that latent looks.".to_owned(),
            }}</p>
            <Slider label="Latents K" min=bounds::K.0 as f64 max=bounds::K.1 as f64 step=1.0 value=Signal::derive(move || state.with(|s| s.k as f64)) set=move |v| state.update(|s| s.k = v as usize) />
            <Slider label="Resampler depth" min=bounds::DEPTH.0 as f64 max=bounds::DEPTH.1 as f64 step=1.0 value=Signal::derive(move || state.with(|s| s.depth as f64)) set=move |v| state.update(|s| s.depth = v as usize) />
            <Slider label="Patch size" min=bounds::PATCH.0 as f64 max=bounds::PATCH.1 as f64 step=1.0 value=Signal::derive(move || state.with(|s| s.patch as f64)) set=move |v| state.update(|s| s.patch = v as usize) />
            <p class="aside" id="caps">{bounds::caps()}</p>
            <label>"Layer "
                <select aria-label="Layer" on:change=move |ev| layer.set(event_target_value(&ev).parse().unwrap_or(usize::MAX))>
                    {move || (0..state.with(|s| s.depth)).map(|i| view! { <option value=i.to_string() selected=move || layer.get().min(state.with(|s| s.depth) - 1) == i>{format!("{}", i + 1)}</option> }).collect_view()}
                </select>
            </label>
            <label>" Head "
                <select aria-label="Head" on:change=move |ev| head.set(event_target_value(&ev).parse().ok())>
                    <option value="mean">"mean"</option>
                    {move || (0..bounds::heads(state.with(|s| s.width)).0).map(|h| view! { <option value=h.to_string()>{format!("{}", h + 1)}</option> }).collect_view()}
                </select>
            </label>
            <h3>"Latents (rows) × patches (columns)"</h3>
            <Heatmap data=attention axes=attention_axes label="attention of each latent to each patch" id="resampler-heatmap" on_row=Callback::new(move |row| latent.set(Some(row))) />
        </section>
    }
}
