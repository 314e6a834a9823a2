//! The components. State lives in one `UrlState` signal; everything else is derived.
//! The three computing panels are here; the lesson's widgets are in the submodules.

mod calculator;
mod comparison;
mod exercises;
mod lineage;
mod tour;
mod video;

use std::cell::RefCell;
use std::rc::Rc;

use flamingo::{MaskRule, Segment};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};

use crate::auto_pick::{AutoPick, Measured, Used, Workload, badge};
use crate::backend::{self, WebGpu};
use crate::canvas;
use crate::download;
use crate::figure;
use crate::heatmap::{Axis, Range};
use crate::scheduler::LatestWins;
use crate::sequence::{add_image, move_image, prompt};
use crate::url_state::{BackendChoice, Preset, UrlState, bounds};
use lab::stand_in::grid;
use lab::{Frame, Lab, Pictures, Request, clip_features};

/// How long the controls must rest before the address bar is rewritten.
const URL_REST_MS: u64 = 150;

const SAMPLES: [&str; 3] = ["assets/sunset.svg", "assets/house.svg", "assets/flower.svg"];

/// A request, the backend choice to run it on, and the URL query it answers.
type Job = (Request, BackendChoice, String);

/// The computation's worker: one lab per backend, one request running at a time.
/// Only `run_queue` takes the labs, so a request never finds its lab missing.
#[derive(Default)]
struct Worker {
    queue: LatestWins<Job>,
    cpu: Option<Lab>,
    gpu: Option<Rc<WebGpu>>,
    auto: AutoPick,
}

fn now_ms() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or(0.0)
}

/// A failed download or export is logged, never fatal.
fn report(result: Result<(), String>) {
    if let Err(e) = result {
        web_sys::console::warn_1(&format!("export failed: {e}").into());
    }
}

/// Where a finished forward lands.
#[derive(Clone, Copy)]
struct Outputs {
    frame: RwSignal<Option<Frame>>,
    /// The URL query the shown frame answers; tests wait for it to match the address bar.
    frame_query: RwSignal<String>,
    error: RwSignal<Option<String>>,
    timing: RwSignal<f64>,
    used: RwSignal<Option<Used>>,
    /// Size classes auto has measured so far.
    measured_classes: RwSignal<usize>,
}

/// One forward on one backend, timed.
async fn run_on(
    worker: &Rc<RefCell<Worker>>,
    gpu: bool,
    request: &Request,
) -> Result<(Frame, f64), String> {
    const MISSING: &str = "that backend is not available";
    let start = now_ms();
    let result = if gpu {
        // The WebGPU module refuses a second forward while one runs; the queue sends one.
        let webgpu = worker.borrow().gpu.clone().ok_or(MISSING)?;
        webgpu.run(request).await
    } else {
        let mut lab = worker.borrow_mut().cpu.take().ok_or(MISSING)?;
        let result = lab.run(request).await;
        worker.borrow_mut().cpu = Some(lab);
        result
    };
    result.map(|f| (f, now_ms() - start))
}

/// A forward on the chosen backend; "auto" measures both the first time it meets a size class.
async fn compute(
    worker: &Rc<RefCell<Worker>>,
    request: &Request,
    choice: BackendChoice,
) -> Result<(Frame, f64, Used), String> {
    let has_gpu = worker.borrow().gpu.is_some();
    let workload = Workload::of(request);
    let auto = choice == BackendChoice::Auto && has_gpu;
    let measured = if auto {
        worker.borrow().auto.get(&workload)
    } else {
        None
    };
    if auto && measured.is_none() {
        // The first WebGPU run compiles shaders; time the second.
        run_on(worker, true, request).await?;
        let on_gpu = run_on(worker, true, request).await?;
        let on_cpu = run_on(worker, false, request).await?;
        let m = Measured {
            gpu_ms: on_gpu.1,
            cpu_ms: on_cpu.1,
        };
        worker.borrow_mut().auto.record(&workload, m);
        let ((frame, ms), gpu) = if m.gpu_wins() {
            (on_gpu, true)
        } else {
            (on_cpu, false)
        };
        return Ok((
            frame,
            ms,
            Used {
                gpu,
                measured: Some(m),
            },
        ));
    }
    let gpu = match choice {
        BackendChoice::Cpu => false,
        BackendChoice::WebGpu => has_gpu,
        BackendChoice::Auto => measured.is_some_and(|m| m.gpu_wins()),
    };
    let (frame, ms) = run_on(worker, gpu, request).await?;
    Ok((frame, ms, Used { gpu, measured }))
}

async fn run_queue(worker: Rc<RefCell<Worker>>, first: Job, out: Outputs) {
    let mut next = Some(first);
    while let Some((request, choice, query)) = next {
        match compute(&worker, &request, choice).await {
            Ok((f, ms, used)) => {
                out.timing.set(ms);
                out.frame.set(Some(f));
                out.frame_query.set(query);
                out.used.set(Some(used));
                out.measured_classes.set(worker.borrow().auto.classes());
                out.error.set(None);
            }
            Err(e) => out.error.set(Some(e)),
        }
        next = worker.borrow_mut().queue.finish();
    }
}

/// The sample pictures at every side length the page offers; grey if none loaded.
async fn load_pictures(error: RwSignal<Option<String>>) -> Vec<Pictures> {
    let mut images = Vec::new();
    for src in SAMPLES {
        match canvas::load_image(src).await {
            Ok(img) => images.push(img),
            Err(e) => error.set(Some(format!("could not load {src}: {e:?}"))),
        }
    }
    bounds::SIZES
        .into_iter()
        .map(|size| {
            let mut rgba: Vec<Vec<u8>> = images
                .iter()
                .filter_map(|img| canvas::pixels(img, size).ok())
                .collect();
            if rgba.is_empty() {
                rgba.push(vec![128; size * size * 4]);
            }
            Pictures { size, rgba }
        })
        .collect()
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let search = window().location().search().unwrap_or_default();
    let (initial, notices) = UrlState::parse(&search);
    let state = RwSignal::new(initial);
    let notices = RwSignal::new(notices);
    let layer = RwSignal::new(usize::MAX);
    let head = RwSignal::new(None::<usize>);
    let frame = RwSignal::new(None::<Frame>);
    let error = RwSignal::new(None::<String>);
    let timing = RwSignal::new(0.0f64);
    let frame_query = RwSignal::new(String::new());
    let used = RwSignal::new(None::<Used>);
    let measured_classes = RwSignal::new(0usize);
    let outputs = Outputs {
        frame,
        frame_query,
        error,
        timing,
        used,
        measured_classes,
    };
    let gpu_ready = RwSignal::new(None::<Result<String, String>>);
    let samples_ready = RwSignal::new(false);
    let clip = RwSignal::new(None::<(Vec<f32>, usize)>);
    Effect::new(move |_| {
        let on = state.with(|s| s.projector);
        if let Some(root) = document().document_element() {
            let _ = root.class_list().toggle_with_force("projector", on);
        }
    });
    let worker = Rc::new(RefCell::new(Worker::default()));

    // The URL follows the state, replacing rather than pushing history entries. A write
    // costs about 2 ms, so during a drag it waits until the input rests (BENCHMARKS.md,
    // step 6); "Copy link" reads the state, not the address bar.
    let url_write = StoredValue::new(None::<leptos::prelude::TimeoutHandle>);
    Effect::new(move |_| {
        let query = state.with(UrlState::to_query);
        if let Some(pending) = url_write.get_value() {
            pending.clear();
        }
        let write = move || {
            if let Ok(history) = window().history() {
                let _ =
                    history.replace_state_with_url(&JsValue::NULL, "", Some(&format!("?{query}")));
            }
        };
        url_write.set_value(
            set_timeout_with_handle(write, std::time::Duration::from_millis(URL_REST_MS)).ok(),
        );
    });

    // Start-up: pictures and the CPU, once.
    let gpu_pictures = StoredValue::new(None::<Vec<Pictures>>);
    {
        let worker = worker.clone();
        spawn_local(async move {
            let pictures = load_pictures(error).await;
            if let Some(p) = pictures.iter().find(|p| p.size == bounds::SIZES[0]) {
                clip.set(Some(clip_features(&p.rgba[0], p.size)));
            }
            worker.borrow_mut().cpu = Some(Lab::new(backend::cpu(), pictures.clone()));
            gpu_pictures.set_value(Some(pictures));
            samples_ready.set(true);
        });
    }
    // Once the CPU's first frame is painted, the WebGPU module where there is an
    // adapter: its download and compilation would otherwise hold up that frame.
    {
        let worker = worker.clone();
        Effect::new(move |_| {
            if frame.with(Option::is_none) && error.with(Option::is_none) {
                return;
            }
            let Some(pictures) = gpu_pictures.try_update_value(Option::take).flatten() else {
                return;
            };
            let worker = worker.clone();
            // After the next paint: the rAF callback runs before it, the timeout after.
            request_animation_frame(move || {
                set_timeout(
                    move || {
                        spawn_local(async move {
                            gpu_ready.set(Some(WebGpu::start(&pictures).await.map(|webgpu| {
                                let adapter = webgpu.adapter.clone();
                                worker.borrow_mut().gpu = Some(Rc::new(webgpu));
                                adapter
                            })));
                        })
                    },
                    std::time::Duration::ZERO,
                )
            });
        });
    }

    let badge = Memo::new(move |_| {
        badge(
            state.with(|s| s.backend),
            gpu_ready.get().as_ref(),
            used.get(),
        )
    });

    let request = Memo::new(move |_| state.with(|s| request_for(s, layer.get(), head.get())));
    {
        let worker = worker.clone();
        Effect::new(move |_| {
            let r = request.get();
            let choice = state.with(|s| s.backend);
            if !samples_ready.get() {
                return;
            }
            // Computed again on the WebGPU module's arrival, when it may be used.
            if choice != BackendChoice::Cpu {
                gpu_ready.track();
            }
            let query = state.with_untracked(UrlState::to_query);
            let start = worker.borrow_mut().queue.submit((r, choice, query));
            if let Some(first) = start {
                spawn_local(run_queue(worker.clone(), first, outputs));
            }
        });
    }

    view! {
        <header>
            <h1>"Flamingo Explainer"</h1>
            <p class="lede">
                "Flamingo lets a frozen language model look at pictures. A Perceiver resampler squeezes "
                "each image into a few tokens, and gated cross-attention layers, slipped between the "
                "frozen layers, let text read them. Every number below is computed in your browser by "
                "the same code that is tested against OpenFlamingo."
            </p>
            <p class="status">
                "Backend: " <span id="backend" data-measured-sizes=move || measured_classes.get().to_string()>{move || badge.get()}</span>
                " · last forward " {move || format!("{:.1} ms", timing.get())}
                <label>
                    " use "
                    <select aria-label="Backend" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        state.update(|s| s.backend = match v.as_str() { "webgpu" => BackendChoice::WebGpu, "cpu" => BackendChoice::Cpu, _ => BackendChoice::Auto });
                    } prop:value=move || match state.with(|s| s.backend) { BackendChoice::Auto => "auto", BackendChoice::WebGpu => "webgpu", BackendChoice::Cpu => "cpu" }>
                        <option value="auto">"auto"</option>
                        <option value="webgpu">"WebGPU"</option>
                        <option value="cpu">"CPU"</option>
                    </select>
                </label>
                <button on:click=move |_| {
                    let location = window().location();
                    let url = format!(
                        "{}{}?{}",
                        location.origin().unwrap_or_default(),
                        location.pathname().unwrap_or_default(),
                        state.with_untracked(UrlState::to_query)
                    );
                    let _ = window().navigator().clipboard().write_text(&url);
                }>"Copy link"</button>
                <button aria-pressed=move || state.with(|s| s.projector).to_string() on:click=move |_| state.update(|s| s.projector = !s.projector)>"Projector mode"</button>
            </p>
            <Show when=move || !notices.with(Vec::is_empty)>
                <p class="notice" role="status">"Some link values were repaired: " {move || notices.get().join("; ")}</p>
            </Show>
            <Show when=move || error.with(Option::is_some)>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <p class="honest">
                "About the weights: no trained Flamingo is loaded. Every weight is random from a fixed seed, "
                "patch features are a fixed projection of pixel colours and positions standing in for a vision "
                "encoder, and words get seeded embeddings. The mechanics are real; the learned patterns are not."
            </p>
        </header>
        <tour::Tour state=state />
        <main>
            <GatePanel state=state frame=frame frame_query=frame_query />
            <ResamplerPanel state=state frame=frame layer=layer head=head />
            <SequencePanel state=state />
            <exercises::Rules state=state />
            <exercises::FewShot />
            <exercises::Batch />
            <video::Video features=clip />
            <calculator::Calculator />
            <lineage::Lineage />
            <comparison::Comparison />
        </main>
    }
}

fn request_for(s: &UrlState, layer: usize, head: Option<usize>) -> Request {
    Request {
        k: s.k,
        depth: s.depth,
        patch: s.patch,
        size: s.size,
        width: s.width,
        alpha: s.alpha,
        ff: s.ff,
        prompt: prompt(s),
        mode: s.mode,
        layer: layer.min(s.depth - 1),
        head,
    }
}

/// A labelled range input bound to one field of the state.
#[component]
fn Slider(
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
    view! {
        <label class="slider">
            <span>{label} " " <output>{move || format!("{}", value.get())}</output></span>
            <input type="range" aria-label=label min=min.to_string() max=max.to_string() step=step.to_string() prop:value=move || value.get().to_string()
                on:input=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<f64>() { set(v) } } />
        </label>
    }
}

/// A labelled select over a fixed set of numbers, bound to one field of the state.
#[component]
fn Choice(
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

/// A heatmap canvas with its legend and range.
#[component]
fn Heatmap(
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
) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let frame = NodeRef::<leptos::html::Canvas>::new();
    let legend = NodeRef::<leptos::html::Canvas>::new();
    let range = Memo::new(move |_| data.with(|(v, _, _)| Range::of(v)));
    let shape = Memo::new(move |_| data.with(|(_, rows, cols)| (*rows, *cols)));
    // Every frame derives fresh axes; a memo lets equal ones through without a redraw
    // (drawing reads the canvas's layout size, which forces a layout).
    let axes = Memo::new(move |_| axes.get());
    let resized = RwSignal::new(0u32);
    let paints = StoredValue::new(0u64);
    let picked = StoredValue::new(None::<usize>);
    let _ = window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
    Effect::new(move |_| {
        let (values, rows, cols) = data.get();
        if let (Some(c), Some(l)) = (canvas.get(), legend.get()) {
            let r = range.get();
            let start = now_ms();
            let _ = canvas::draw_heatmap(&c, &values, rows, cols, r);
            // For the benchmark: how long the paint took, and a counter to see that it happened.
            paints.update_value(|n| *n += 1);
            let _ = c.set_attribute("data-paint-ms", &format!("{:.3}", now_ms() - start));
            let _ = c.set_attribute("data-paints", &paints.get_value().to_string());
            let _ = canvas::draw_legend(&l, r);
        }
    });
    // The axes depend on the shape only, so a gate drag repaints cells, not axes.
    Effect::new(move |_| {
        resized.track();
        let (rows, cols) = shape.get();
        if let Some(f) = frame.get() {
            axes.with(|(x, y)| canvas::draw_axes(&f, rows, cols, x, y))
                .unwrap_or_else(|e| web_sys::console::warn_1(&e.into()));
        }
    });
    let [left, top, right, bottom] = figure::PLOT_INSETS;
    // A canvas is a replaced element: left and right alone do not stretch it.
    let inset = format!(
        "left:{left}px;top:{top}px;width:calc(100% - {}px);height:calc(100% - {}px)",
        left + right,
        top + bottom
    );
    view! {
        <figure class="heatmap">
            <div class="plot">
            <canvas class="axes" node_ref=frame aria-hidden="true"></canvas>
            <canvas id=id class="cells" style=inset node_ref=canvas role="img" aria-label=label
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
                <canvas class="legend" node_ref=legend aria-hidden="true"></canvas>
                <span>{move || { let r = range.get(); format!("{:.3} … {:.3}", r.min, r.max) }}</span>
                <span class="caveat">"Seeded random weights: the mechanics are real, the patterns are not learned."</span>
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

#[component]
fn GatePanel(
    state: RwSignal<UrlState>,
    frame: RwSignal<Option<Frame>>,
    frame_query: RwSignal<String>,
) -> impl IntoView {
    let plot = NodeRef::<leptos::html::Canvas>::new();
    Effect::new(move |_| {
        let alpha = state.with(|s| s.alpha);
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
                <dt>"visual share ‖y − x‖ / ‖x‖"</dt><dd id="visual-share" data-value=move || frame.with(|f| f.as_ref().map(|f| f.readouts.visual_share.to_string()))>{move || frame.with(|f| f.as_ref().map(|f| format!("{:.4}", f.readouts.visual_share)).unwrap_or_else(|| "…".into()))}</dd>
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

fn format_diff(d: f32) -> String {
    if d == 0.0 {
        "0".into()
    } else {
        format!("{d:.3e}")
    }
}

#[component]
fn ResamplerPanel(
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

#[component]
fn SequencePanel(state: RwSignal<UrlState>) -> impl IntoView {
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
