//! The page: state lives in one `UrlState` signal; everything else is derived.
//! The three computing panels, the lesson's widgets and the computation behind them
//! are in the submodules.

mod calculator;
mod comparison;
mod compute;
mod controls;
mod draw_pad;
mod exercises;
mod few_shot_live;
mod gate;
mod gate_schedule;
mod heatmap_view;
mod later;
mod lineage;
mod overview;
mod resampler;
mod sequence;
mod touch;
mod tour;
mod train_live;
mod trained;
mod video;

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

use crate::compute::auto_pick::{Used, badge};
use crate::compute::backend::{self, WebGpu};
use crate::compute::pool::Pool;
use crate::state::url_state::{BackendChoice, UrlState, bounds};
use lab::{Frame, Pictures, clip_features};

use compute::{Labs, Outputs, load_pictures, request_for, run_queue};
use controls::{Choice, Slider};
use gate::{GatePanel, format_diff};
use heatmap_view::Heatmap;
use resampler::ResamplerPanel;
use sequence::SequencePanel;

/// How long the controls must rest before the address bar is rewritten.
const URL_REST_MS: u64 = 150;

/// How long the page must be untouched, after its first frame, before the service worker
/// is registered (the page's `flamingo-rested` event, web/boot.js).
const OFFLINE_REST_MS: f64 = 1000.0;
/// The panels below the first screen are mounted once it shows, or after this long
/// without it (weights that never answer, a caption that failed).
const FIRST_SCREEN_MS: u64 = 3000;

const SAMPLES: [&str; 3] = ["assets/sunset.svg", "assets/house.svg", "assets/flower.svg"];

fn now_ms() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or(0.0)
}

/// Tells the page's scripts (web/boot.js) and tests that the page has come this far.
fn dispatch(name: &str) {
    if let Ok(event) = web_sys::Event::new(name) {
        let _ = document().dispatch_event(&event);
    }
}

/// A failed download or export is logged, never fatal.
fn report(result: Result<(), String>) {
    if let Err(e) = result {
        web_sys::console::warn_1(&format!("export failed: {e}").into());
    }
}

/// Only in test builds (`--features test-hooks`, web/e2e): a button that panics, so a
/// browser test can prove the panic banner, and one that compares the core's GELU with
/// burn's in this browser's wasm. Release builds have no such code.
#[cfg(feature = "test-hooks")]
fn test_hooks() -> impl IntoView {
    let gelu = RwSignal::new(None::<(usize, usize)>);
    view! {
        <button id="test-panic" on:click=|_| panic!("the test-only panic button was pressed")>"Panic (test build)"</button>
        <button id="test-gelu" on:click=move |_| gelu.set(Some(gelu_against_burn()))
            data-checked=move || gelu.get().map(|g| g.0.to_string())
            data-differing=move || gelu.get().map(|g| g.1.to_string())>"GELU against burn's (test build)"</button>
    }
}

/// The core's GELU against burn-flex's, both here: (values compared, values whose bits
/// differ), over a spread of every `f32` and every value in |x| < 16 at a step of 2^-15.
#[cfg(feature = "test-hooks")]
fn gelu_against_burn() -> (usize, usize) {
    let values: Vec<f32> = (0..1u64 << 32)
        .step_by(4099)
        .map(|b| f32::from_bits(b as u32))
        .chain((-(1 << 19)..1 << 19).map(|i| i as f32 / 32768.0))
        .collect();
    (values.len(), flamingo::gelu::differing_from_burn(&values))
}
#[cfg(not(feature = "test-hooks"))]
fn test_hooks() -> impl IntoView {}

/// Shown while the mechanics' forward has been out for longer than the eye lets pass
/// unremarked: it runs in the workers, so the controls stay live meanwhile.
/// The page as one lesson: its sections under five headings, by element id.
const CONTENTS: [(&str, &[(&str, &str)]); 5] = [
    (
        "The model",
        &[
            ("overview", "overview"),
            ("trained", "trained model"),
            ("gate", "gated cross-attention"),
            ("resampler", "resampler"),
            ("video", "video"),
        ],
    ),
    (
        "Prompts and masks",
        &[
            ("sequence", "interleaved sequence"),
            ("rules", "mask rules"),
            ("few-shot-live", "few-shot, live"),
        ],
    ),
    (
        "Training",
        &[
            ("gate-schedule", "gate schedule"),
            ("train-live", "train it yourself"),
        ],
    ),
    (
        "Lineage and comparison",
        &[
            ("lineage", "lineage"),
            ("blip2", "BLIP-2"),
            ("calculator", "calculator"),
        ],
    ),
    (
        "Exercises",
        &[
            ("tour", "guided lesson"),
            ("few-shot", "few-shot builder"),
            ("batch", "padded batch"),
        ],
    ),
];

/// Brings an element into view: smoothly, unless the reader asked for reduced motion.
fn bring_into_view(el: &web_sys::Element, block: web_sys::ScrollLogicalPosition) {
    let reduced = window()
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches());
    let options = web_sys::ScrollIntoViewOptions::new();
    options.set_block(block);
    options.set_behavior(if reduced {
        web_sys::ScrollBehavior::Instant
    } else {
        web_sys::ScrollBehavior::Smooth
    });
    el.scroll_into_view_with_scroll_into_view_options(&options);
}

#[component]
fn Computing(flight: RwSignal<(crate::compute::scheduler::Flight, u64)>) -> impl IntoView {
    const AFTER_MS: u64 = 100;
    let shown = RwSignal::new(false);
    let busy_since = StoredValue::new(None::<u64>);
    Effect::new(move |_| {
        let (running, runs) = flight.with(|(f, _)| (f.running > 0, f.runs));
        if !running {
            busy_since.set_value(None);
            shown.set(false);
        } else if busy_since.get_value().is_none() {
            busy_since.set_value(Some(runs));
            let still = move || {
                if busy_since.get_value() == Some(runs) {
                    shown.set(true);
                }
            };
            set_timeout(still, std::time::Duration::from_millis(AFTER_MS));
        }
    });
    view! {
        <p id="computing" role="status" hidden=move || !shown.get()>
            <progress aria-label="Computing"></progress>
            " Computing… the controls stay live."
        </p>
    }
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let search = window().location().search().unwrap_or_default();
    let (initial, notices) = crate::state::tour::read_link(&search);
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
    let flight = RwSignal::new(Default::default());
    let workers = RwSignal::new(0usize);
    let outputs = Outputs {
        frame,
        frame_query,
        error,
        timing,
        used,
        measured_classes,
        flight,
    };
    let gpu_ready = RwSignal::new(None::<Result<String, String>>);
    let trained_model: trained::Model = Rc::new(RefCell::new(None));
    let trained_loaded = RwSignal::new(None::<Result<(), String>>);
    let training_record = gate_schedule::record(trained_loaded);
    let weights_in_use = RwSignal::new(None::<String>);
    let own_picture = RwSignal::new(None::<trained::Given>);
    let shown_picture = trained::shown(state, own_picture);
    let trained_caption = RwSignal::new(None::<lab::trained::Caption>);
    let samples_ready = RwSignal::new(false);
    let clip = RwSignal::new(None::<(Vec<f32>, usize)>);
    Effect::new(move |_| {
        let on = state.with(|s| s.projector);
        if let Some(root) = document().document_element() {
            let _ = root.class_list().toggle_with_force("projector", on);
        }
    });
    let pool: crate::compute::pool::Shared = Rc::default();
    let labs = Rc::new(RefCell::new(Labs {
        cpu: pool.clone(),
        ..Labs::default()
    }));

    // The URL follows the state, replacing rather than pushing history entries. A write
    // costs about 2 ms, so during a drag it waits until the input rests (BENCHMARKS.md,
    // step 6); "Copy link" reads the state, not the address bar.
    let url_write = StoredValue::new(None::<leptos::prelude::TimeoutHandle>);
    Effect::new(move |_| {
        let query = state.with(UrlState::to_query);
        crate::figures::canvas::remember_query(&query);
        if let Some(pending) = url_write.get_value() {
            pending.clear();
        }
        let write = move || {
            // The fragment (a panel the link pointed to, or the tour's outline followed)
            // stays, so the address a teacher copies from the bar still lands there.
            let fragment = window().location().hash().unwrap_or_default();
            if let Ok(history) = window().history() {
                let url = format!("?{query}{fragment}");
                let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
            }
        };
        url_write.set_value(
            set_timeout_with_handle(write, std::time::Duration::from_millis(URL_REST_MS)).ok(),
        );
    });

    // The first screen: the trained model's caption, or its failure.
    let first_screen = Memo::new(move |_| {
        trained_caption.with(Option::is_some) || trained_loaded.with(|l| matches!(l, Some(Err(_))))
    });
    // The panels below it (`later`), every one mounted once this is set.
    let rest_mounted = RwSignal::new(false);
    // The video panel's clip (tens of ms, far down the page) waits for its panel and
    // for the hand to rest: a drag begun at the first screen is answered first.
    let clip_source = StoredValue::new(None::<(Vec<f32>, usize)>);
    Effect::new(move |_| {
        if rest_mounted.get() && samples_ready.get() && clip.with_untracked(Option::is_none) {
            spawn_local(async move {
                touch::LastTouch::page().quiet(touch::QUIET_MS).await;
                clip.set(clip_source.get_value());
            });
        }
    });
    // Start-up: pictures and the CPU, once.
    let gpu_pictures = StoredValue::new(None::<Vec<Pictures>>);
    {
        let pool = pool.clone();
        spawn_local(async move {
            let pictures = load_pictures(error).await;
            if let Some(p) = pictures.iter().find(|p| p.size == bounds::SIZES[0]) {
                clip_source.set_value(Some(clip_features(&p.rgba[0], p.size)));
            }
            let started = Rc::new(Pool::start(&pictures));
            workers.set(started.size());
            *pool.borrow_mut() = Some(started);
            gpu_pictures.set_value(Some(pictures));
            samples_ready.set(true);
        });
    }
    // The WebGPU module where there is an adapter, tried again after a lost device.
    let gpu_tries = RwSignal::new(0u32);
    let gpu_retry = RwSignal::new(0u32);
    let gpu_lost = RwSignal::new(None::<String>);
    let start_gpu = {
        let labs = labs.clone();
        move || {
            let Some(pictures) = gpu_pictures.get_value() else {
                return;
            };
            let attempt = gpu_tries.get_untracked() + 1;
            gpu_tries.set(attempt);
            let labs = labs.clone();
            spawn_local(async move {
                let started = WebGpu::start(&pictures, attempt).await.map(Rc::new);
                gpu_ready.set(Some(
                    started
                        .as_ref()
                        .map(|webgpu| {
                            labs.borrow_mut().gpu = Some(webgpu.clone());
                            webgpu.adapter.clone()
                        })
                        .map_err(String::clone),
                ));
                let Ok(webgpu) = started else { return };
                gpu_lost.set(None);
                // A lost device: the CPU takes over (the request effect recomputes on
                // gpu_ready's change) and the notice offers WebGPU again.
                let why = webgpu.lost().await;
                labs.borrow_mut().gpu = None;
                let message = format!("the WebGPU device was lost ({why})");
                gpu_ready.set(Some(Err(message.clone())));
                gpu_lost.set(Some(message));
            });
        }
    };
    // The trained model's weights, fetched as the page is built: the first screen is
    // its caption, computed here as soon as they arrive (the workers get them too, for
    // "Measure", when they have started).
    trained::load(trained_model.clone(), trained_loaded, pool.clone());
    // The panels below the first screen, mounted once it is shown (or after
    // FIRST_SCREEN_MS without it), one per task, in the page's order, while the hand rests.
    let main = NodeRef::<leptos::html::Main>::new();
    {
        let waited = RwSignal::new(false);
        set_timeout(
            move || waited.set(true),
            std::time::Duration::from_millis(FIRST_SCREEN_MS),
        );
        let (m1, m2) = (trained_model.clone(), trained_model.clone());
        let (p1, p2) = (pool.clone(), pool.clone());
        let panels: Vec<later::Panel> = vec![
            Box::new(move || view! { <tour::Tour state=state ready=rest_mounted /> }.into_any())
                as later::Panel,
            Box::new(move || {
                view! { <few_shot_live::FewShotLive state=state model=m1 loaded=trained_loaded pool=p1 own=own_picture /> }.into_any()
            }),
            Box::new(move || {
                view! { <gate_schedule::GateSchedule record=training_record /> }.into_any()
            }),
            Box::new(move || {
                view! { <train_live::TrainLive model=m2 loaded=trained_loaded pool=p2 in_use=weights_in_use given=shown_picture /> }.into_any()
            }),
            Box::new(move || {
                view! {
                    <p class="honest wide" id="mechanics-intro">
                        "The same blocks, at any size. The panels so far run the small mini-Flamingo trained in Rust on drawn scenes, a toy of the mechanism. "
                        "The mechanics panels from here on use random weights from a fixed seed at any size you choose, up to OpenFlamingo's: patch features are a fixed projection "
                        "of pixel colours and positions standing in for a vision encoder, and words get seeded embeddings. There the mechanics are real; "
                        "the learned patterns are not."
                    </p>
                    <GatePanel state=state frame=frame frame_query=frame_query />
                }.into_any()
            }),
            Box::new(move || {
                view! { <ResamplerPanel state=state frame=frame layer=layer head=head /> }
                    .into_any()
            }),
            Box::new(move || view! { <SequencePanel state=state /> }.into_any()),
            Box::new(move || view! { <exercises::Rules state=state /> }.into_any()),
            Box::new(move || view! { <exercises::FewShot /> }.into_any()),
            Box::new(move || view! { <exercises::Batch /> }.into_any()),
            Box::new(move || view! { <video::Video features=clip /> }.into_any()),
            Box::new(move || {
                view! { <calculator::Calculator /> <lineage::Lineage /> <comparison::Comparison /> }
                    .into_any()
            }),
        ];
        let panels = StoredValue::new_local(Some(panels));
        Effect::new(move |_| {
            if !(first_screen.get() || waited.get()) {
                return;
            }
            let (Some(main), Some(panels)) =
                (main.get(), panels.try_update_value(Option::take).flatten())
            else {
                return;
            };
            spawn_local(later::mount_in_turn(main, panels, rest_mounted));
        });
        // A link to a panel (`#few-shot`) could not be followed before the panel was there:
        // it is followed once the panel is.
        let hash = window().location().hash().unwrap_or_default();
        Effect::new(move |_| {
            if !rest_mounted.get() {
                return;
            }
            if let Some(el) = hash
                .strip_prefix('#')
                .filter(|id| !id.is_empty())
                .and_then(|id| document().get_element_by_id(id))
            {
                el.scroll_into_view();
            }
        });
    }
    // Set after the first frame: the panels have been laid out with their contents, so
    // the browser keeps their sizes when it skips those off the screen.
    let laid_out = RwSignal::new(false);
    // Once the first frame is painted (or has failed) and every panel is there, and once
    // only: the WebGPU module, whose download and compilation would otherwise hold up
    // that frame.
    {
        let start_gpu = start_gpu.clone();
        let started = StoredValue::new(false);
        Effect::new(move |_| {
            if started.get_value()
                || !rest_mounted.get()
                || (frame.with(Option::is_none) && error.with(Option::is_none))
            {
                return;
            }
            started.set_value(true);
            let start_gpu = start_gpu.clone();
            // After the next paint (the rAF callback runs before it, the timeout after)
            // and once the page has rested: the module's download and compilation, and
            // the service worker's, would otherwise share the cores with a first drag.
            request_animation_frame(move || {
                set_timeout(
                    move || {
                        laid_out.set(true);
                        spawn_local(async move {
                            let touch = touch::LastTouch::page();
                            touch.quiet(touch::QUIET_MS).await;
                            dispatch("flamingo-drawn");
                            start_gpu();
                            // The service worker (web/boot.js) downloads every file again,
                            // which shared the cores with a drag begun at once: it waits
                            // for a second untouched, counted from here, as the first
                            // second after the page appears is when a student grabs a
                            // control.
                            touch.quiet_after(now_ms(), OFFLINE_REST_MS).await;
                            dispatch("flamingo-rested");
                        });
                    },
                    std::time::Duration::ZERO,
                )
            });
        });
    }
    Effect::new(move |first: Option<()>| {
        gpu_retry.track();
        if first.is_some() {
            start_gpu();
        }
    });

    let badge = Memo::new(move |_| {
        badge(
            state.with(|s| s.backend),
            gpu_ready.get().as_ref(),
            used.get(),
        )
    });

    let request = Memo::new(move |_| state.with(|s| request_for(s, layer.get(), head.get())));
    // A memo, so that the trained model's controls (which change the state too) do
    // not recompute the mechanics panels.
    let backend_choice = Memo::new(move |_| state.with(|s| s.backend));
    {
        let labs = labs.clone();
        Effect::new(move |_| {
            let r = request.get();
            let choice = backend_choice.get();
            if !samples_ready.get() {
                return;
            }
            // Computed again on the WebGPU module's arrival, when it may be used.
            if choice != BackendChoice::Cpu {
                gpu_ready.track();
            }
            // Refused before it is tried: a configuration the browser may not have the
            // memory for, even in one worker (the pool shares it out within the cap).
            if let Some(refusal) = bounds::over_memory_cap(r.memory_estimate(SAMPLES.len(), 1)) {
                error.set(Some(refusal));
                return;
            }
            let query = state.with_untracked(UrlState::to_query);
            let start = labs.borrow_mut().queue.submit((r, choice, query));
            if let Some(first) = start {
                spawn_local(run_queue(labs.clone(), first, outputs));
            }
        });
    }

    view! {
        <header>
            <h1>"Flamingo Explainer"</h1>
            <p class="status">
                "Backend: " <span id="backend" data-measured-sizes=move || measured_classes.get().to_string()
                    data-runs=move || flight.get().0.runs.to_string() data-most-in-flight=move || flight.get().0.most.to_string() data-dropped=move || flight.get().1.to_string() data-stale=move || flight.get().0.stale.to_string()
                    data-frame=move || frame.with(|f| f.as_ref().map(|f| format!("{:016x}", f.fingerprint())).unwrap_or_default())
                    data-workers=move || workers.get().to_string()>{move || badge.get()}</span>
                {move || (workers.get() > 0).then(|| format!(" · {} CPU worker{}", workers.get(), if workers.get() == 1 { "" } else { "s" }))}
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
                {test_hooks()}
            </p>
            <nav id="contents" aria-label="Contents">
                <ul>
                    {CONTENTS.map(|(group, parts)| view! {
                        <li><span class="group">{group}</span>": "
                            {parts.iter().enumerate().map(|(i, (id, name))| view! {
                                {(i > 0).then_some(" · ")}<a href=format!("#{id}")>{*name}</a>
                            }).collect_view()}
                        </li>
                    }).collect_view()}
                </ul>
            </nav>
            <Show when=move || !notices.with(Vec::is_empty)>
                <p class="notice" role="status">"Some link values were repaired: " {move || notices.get().join("; ")}</p>
            </Show>
            <Show when=move || gpu_lost.with(Option::is_some)>
                <p id="gpu-lost" class="notice" role="status">
                    {move || format!("WebGPU stopped: {}. The page computes on the CPU now; its numbers agree with WebGPU's within 1e-4. ", gpu_lost.get().unwrap_or_default())}
                    {move || (gpu_tries.get() < backend::webgpu_tries()).then(|| view! {
                        <button on:click=move |_| { gpu_ready.set(None); gpu_retry.update(|n| *n += 1) }>"Try WebGPU again"</button>
                    })}
                </p>
            </Show>
            <Computing flight=flight />
            <Show when=move || error.with(Option::is_some)>
                <p class="error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
        </header>
        <main node_ref=main class:laid-out=laid_out>
            <overview::Overview state=state caption=trained_caption ready=rest_mounted />
            <trained::TrainedPanel state=state model=trained_model.clone() loaded=trained_loaded own=own_picture caption=trained_caption record=training_record pool=pool.clone() in_use=weights_in_use given=shown_picture />
        </main>
    }
}
