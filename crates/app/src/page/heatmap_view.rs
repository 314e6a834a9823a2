//! A heatmap on a canvas, with its legend, hover readout and downloads.

use leptos::prelude::*;

use super::{now_ms, report};
use crate::figures::heatmap::{Axis, Range};
use crate::figures::{canvas, download, figure};

/// A heatmap canvas with its legend and range.
#[component]
pub(super) fn Heatmap(
    /// `(values, rows, cols)`; redrawn on change.
    data: Signal<(Vec<f32>, usize, usize)>,
    /// Horizontal and vertical axes.
    axes: Signal<(Axis, Axis)>,
    /// Accessible description.
    label: &'static str,
    /// Element id of the canvas.
    id: &'static str,
    /// Told which row was clicked, if rows can be picked.
    #[prop(optional)]
    on_row: Option<Callback<usize>>,
    /// Where the weights come from; the mechanics panels' are seeded and random.
    #[prop(optional)]
    caveat: Option<&'static str>,
) -> impl IntoView {
    let caveat = caveat
        .unwrap_or("Seeded random weights: the mechanics are real, the patterns are not learned.");
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let frame = NodeRef::<leptos::html::Canvas>::new();
    let legend = NodeRef::<leptos::html::Img>::new();
    // Equal values are not painted again: during a gate drag, the first block's
    // attention (before any gate acts on the text) stays as it was.
    let data = Memo::new(move |_| data.get());
    let range = Memo::new(move |_| data.with(|(v, _, _)| Range::of(v)));
    let shape = Memo::new(move |_| data.with(|(_, rows, cols)| (*rows, *cols)));
    // Every frame derives fresh axes; a memo lets equal ones through without a redraw
    // (drawing reads the canvas's layout size, which forces a layout).
    let axes = Memo::new(move |_| axes.get());
    // The frame's displayed size, as the browser last laid it out.
    let size = RwSignal::new((0, 0));
    let paints = StoredValue::new(0u64);
    let picked = StoredValue::new(None::<usize>);
    Effect::new(move |_| {
        if let Some(f) = frame.get() {
            canvas::watch_size(&f, size);
        }
    });
    Effect::new(move |_| {
        let (values, rows, cols) = data.get();
        let r = range.get();
        if let Some(c) = canvas.get() {
            let start = now_ms();
            let _ = canvas::draw_heatmap(&c, &values, rows, cols, r);
            // For the benchmark: how long the paint took, and a counter to see that it happened.
            paints.update_value(|n| *n += 1);
            let _ = c.set_attribute("data-paint-ms", &format!("{:.3}", now_ms() - start));
            let _ = c.set_attribute("data-paints", &paints.get_value().to_string());
        }
    });
    // Drawn once: a drag changes the legend's numbers, not its colours.
    Effect::new(move |_| {
        if let Some(l) = legend.get() {
            let _ = canvas::still(&l, "legend", canvas::draw_legend);
        }
    });
    // The axes depend on the shape only, so a gate drag repaints cells, not axes.
    Effect::new(move |_| {
        let size = size.get();
        let (rows, cols) = shape.get();
        let (x, y) = axes.get();
        if let Some(f) = frame.get()
            && size != (0, 0)
        {
            canvas::draw_axes(&f, size, rows, cols, &x, &y)
                .unwrap_or_else(|e| web_sys::console::warn_1(&e.into()));
        }
    });
    let [left, top, right, bottom] = figure::PLOT_INSETS;
    // A canvas is a replaced element: left and right alone do not stretch it. Set
    // through the CSS object model (`style:`), which the page's Content-Security-Policy
    // allows; a `style` attribute would need 'unsafe-inline'.
    let width = format!("calc(100% - {}px)", left + right);
    let height = format!("calc(100% - {}px)", top + bottom);
    view! {
        <figure class="heatmap">
            <div class="plot">
            <canvas class="axes" node_ref=frame aria-hidden="true"></canvas>
            <canvas id=id class="cells" style:left=format!("{left}px") style:top=format!("{top}px") style:width=width style:height=height node_ref=canvas role="img" aria-label=label
                tabindex=on_row.map(|_| "0") aria-keyshortcuts=on_row.map(|_| "ArrowUp ArrowDown")
                on:click=move |ev| {
                if let (Some(pick), Some(c)) = (on_row, canvas.get()) {
                    let rows = data.with_untracked(|(_, rows, _)| *rows);
                    let height = c.client_height().max(1) as f64;
                    let row = (ev.offset_y() as f64 / height * rows as f64) as usize;
                    if row < rows {
                        picked.set_value(Some(row));
                        pick.run(row);
                    }
                }
            } on:keydown=move |ev| {
                // The keyboard's way to pick a row: up and down step through them.
                let Some(pick) = on_row else { return };
                let rows = data.with_untracked(|(_, rows, _)| *rows);
                let row = match (ev.key().as_str(), picked.get_value()) {
                    ("ArrowDown", None) => 0,
                    ("ArrowDown", Some(r)) => (r + 1).min(rows.saturating_sub(1)),
                    ("ArrowUp", r) => r.unwrap_or(0).saturating_sub(1),
                    _ => return,
                };
                ev.prevent_default();
                if row < rows {
                    picked.set_value(Some(row));
                    pick.run(row);
                }
            }></canvas>
            </div>
            <figcaption>
                <img class="legend" node_ref=legend alt="" />
                <span>{move || { let r = range.get(); format!("{:.3} … {:.3}", r.min, r.max) }}</span>
                <span class="caveat">{caveat}</span>
                <span class="export">
                    <button on:click=move |_| {
                        if let (Some(a), Some(c)) = (frame.get_untracked(), canvas.get_untracked()) {
                            report(download::heatmap_png(&format!("{id}.png"), &a, &c).map_err(|e| format!("{e:?}")));
                        }
                    }>"Download PNG"</button>
                    <button on:click=move |_| {
                        let svg = data.with_untracked(|(v, rows, cols)| axes.with_untracked(|(x, y)| figure::heatmap_svg(v, *rows, *cols, x, y)));
                        report(svg.and_then(|svg| download::text(&format!("{id}.svg"), "image/svg+xml", &svg).map_err(|e| format!("{e:?}"))));
                    }>"Download SVG"</button>
                </span>
            </figcaption>
        </figure>
    }
}
