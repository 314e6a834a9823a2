//! The trained mini-Flamingo: a picture (a sample scene or the student's own), the
//! gate-scale slider, the caption word by word with what each step chose from, the
//! check against the frozen language model alone, where the model looks, and the
//! logit lens.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::draw_pad::DrawPad;
use super::touch::LastTouch;
use super::{Slider, now_ms, report};
use crate::compute::scheduler::{Flight, LatestWins, Newest};
use crate::figures::trained_figures::{self as figures, StepFigure, TOP};
use crate::figures::{canvas, download};
use crate::state::url_state::UrlState;
use lab::trained::Caption;
use mini::log::TrainingRecord;
use mini::scene::Picture;

mod kept;
mod looks;
mod picture;
mod weights;

use crate::state::gate_scale::{SCALE_MAX, SCALE_STEPS};
use kept::{caption_ahead, fill_captions};
use looks::WhereItLooks;
use picture::read_picture;
pub(super) use picture::{Given, shown};
pub(super) use weights::{InUse, Model, WEIGHTS, back_to_shipped, load, switch_to, with_model};

fn steps_of(caption: &Caption) -> Vec<StepFigure> {
    caption
        .words
        .iter()
        .map(|w| StepFigure {
            word: w.step.word().to_owned(),
            top: w
                .step
                .top(TOP)
                .into_iter()
                .map(|(word, p)| (word.to_owned(), p))
                .collect(),
            lens: w.lens.clone(),
        })
        .collect()
}

#[component]
pub(super) fn TrainedPanel(
    state: RwSignal<UrlState>,
    model: Model,
    /// Set once the weights have loaded (or failed to).
    loaded: RwSignal<Option<Result<(), String>>>,
    /// The student's drawing or picture, once they give one; the few-shot panel takes it too.
    own: RwSignal<Option<Given>>,
    /// The caption shown, with its readouts; the overview draws from it too.
    caption: RwSignal<Option<Caption>>,
    /// The training record: the honest note quotes its evaluation.
    record: RwSignal<Option<Result<TrainingRecord, String>>>,
    pool: crate::compute::pool::Shared,
    in_use: InUse,
    /// The picture the panel captions ([`shown`]).
    given: Memo<Given>,
) -> impl IntoView {
    let shipped = StoredValue::new_local((model.clone(), pool));
    // A memo: the mechanics panels' sliders change the state too, and must not recaption.
    let scale = Memo::new(move |_| state.with(|s| s.scale));
    let message = RwSignal::new(None::<String>);
    // The picture the model has seen, by key: the caption waits for it.
    let seen = RwSignal::new(None::<String>);
    // What the shown caption answers: the picture's key and the scale.
    let answered = RwSignal::new(String::new());
    // And which weights gave it: "shipped", or what `in_use` says.
    let answered_weights = RwSignal::new(String::new());
    let compute_ms = RwSignal::new(0.0f64);
    // The 32 × 32 the model saw, for the pictures under the overlays.
    let fitted = RwSignal::new(None::<Picture>);

    let given_image = NodeRef::<leptos::html::Img>::new();
    let seen_image = NodeRef::<leptos::html::Img>::new();
    let bars = NodeRef::<leptos::html::Canvas>::new();
    let lens = NodeRef::<leptos::html::Canvas>::new();
    let lens_frame = NodeRef::<leptos::html::Canvas>::new();

    // A new picture: draw it, and let the model look at it once.
    {
        let model = model.clone();
        Effect::new(move |_| {
            let g = given.get();
            if let Some(i) = given_image.get() {
                let _ = canvas::still_picture(&i, &g.picture);
            }
            if loaded.with(|l| !matches!(l, Some(Ok(())))) {
                return;
            }
            let model = model.clone();
            spawn_local(async move {
                let seen_picture = with_model(&model, async |trained| {
                    trained.see(&g.picture).await;
                    trained.fitted().cloned()
                })
                .await
                .flatten();
                if let (Some(i), Some(f)) = (seen_image.get_untracked(), &seen_picture) {
                    let _ = canvas::still_picture(&i, f);
                }
                if seen_picture.is_some() {
                    fitted.set(seen_picture);
                    seen.set(Some(g.key));
                }
            });
        });
    }
    // The caption follows the seen picture and the scale, latest wins: during a drag
    // one caption computes and only the newest request waits behind it.
    let queue = Rc::new(RefCell::new(LatestWins::<(String, f32)>::default()));
    let flight = RwSignal::new((Flight::default(), 0u64));
    let fill = StoredValue::new_local(Newest::default());
    let ahead = StoredValue::new_local(Newest::default());
    // The scale asked for before, for the way the slider moves.
    let asked = StoredValue::new_local(None::<f32>);
    // How many captions of this picture the page keeps, for tests and scripts.
    let kept = RwSignal::new(0usize);
    let touch = StoredValue::new_local(LastTouch::page());
    {
        let model = model.clone();
        Effect::new(move |_| {
            let Some(key) = seen.get() else { return };
            let scale = scale.get();
            // The page is not idle: what the student asked for goes first.
            fill.with_value(Newest::ticket);
            ahead.with_value(Newest::ticket);
            let from = asked.get_value().unwrap_or(scale);
            asked.set_value(Some(scale));
            let Some(first) = queue.borrow_mut().submit((key, scale)) else {
                return;
            };
            let (model, queue) = (model.clone(), queue.clone());
            spawn_local(async move {
                let mut next = Some(first);
                let mut last = scale;
                while let Some((key, scale)) = next {
                    last = scale;
                    flight.update(|(f, _)| f.begin());
                    let start = now_ms();
                    let result = with_model(&model, async |t| {
                        t.caption(scale).await.map(|c| (c, t.kept_captions()))
                    })
                    .await;
                    let dropped = queue.borrow().dropped();
                    flight.update(|(f, d)| {
                        f.end();
                        *d = dropped;
                    });
                    match result {
                        Some(Ok((c, count))) => {
                            caption.set(Some(c));
                            kept.set(count);
                            answered.set(format!("{key}|{scale}"));
                            answered_weights
                                .set(in_use.get_untracked().unwrap_or_else(|| "shipped".into()));
                            compute_ms.set(now_ms() - start);
                        }
                        Some(Err(e)) => message.set(Some(e)),
                        None => {}
                    }
                    next = queue.borrow_mut().finish();
                }
                caption_ahead(model.clone(), ahead.get_value(), kept, last, from);
                fill_captions(model, fill.get_value(), touch.get_value(), kept, last);
            });
        });
    }
    let figures_data = Memo::new(move |_| caption.with(|c| c.as_ref().map(steps_of)));
    // Where the gated blocks sit: the lens's frame, drawn when the model changes.
    let blocks = Memo::new(move |_| {
        caption.with(|c| {
            c.as_ref()
                .map(|c| c.blocks_before.clone())
                .unwrap_or_default()
        })
    });
    Effect::new(move |_| {
        canvas::track_room();
        blocks.with(|blocks| {
            if let Some(c) = lens_frame.get()
                && !blocks.is_empty()
            {
                report(canvas::draw_figure(c, |r| figures::lens_frame(r, blocks)));
            }
        })
    });
    // Each figure drawn in the step's frame when on screen, else once in view or the drag pauses (`WhenSeen`).
    let seen = StoredValue::new_local(None::<[canvas::WhenSeen; 2]>);
    Effect::new(move |_| {
        if let (Some(b), Some(l)) = (bars.get(), lens.get()) {
            seen.set_value(Some([
                canvas::WhenSeen::watch(&b),
                canvas::WhenSeen::watch(&l),
            ]));
        }
    });
    Effect::new(move |_| {
        canvas::track_room();
        let Some(steps) = figures_data.get() else {
            return;
        };
        let (Some(b), Some(l)) = (bars.get(), lens.get()) else {
            return;
        };
        let lines = steps.clone();
        let draw_bars = move || report(canvas::draw_figure(b, |r| figures::bars(r, &steps, 1.0)));
        let draw_lens = move || {
            blocks.with_untracked(|blocks| {
                report(canvas::draw_figure(l, |r| {
                    figures::lens_lines(r, &lines, blocks)
                }))
            })
        };
        match seen.get_value() {
            Some([bars_seen, lens_seen]) => {
                bars_seen.draw(draw_bars);
                lens_seen.draw(draw_lens);
            }
            None => {
                draw_bars();
                draw_lens();
            }
        }
    });
    // The lens as one picture, frame and lines, for "Download PNG".
    let lens_png = move || -> Result<(), String> {
        let steps = figures_data.get_untracked().unwrap_or_default();
        let c = canvas::offscreen(640, 300).map_err(|e| format!("{e:?}"))?;
        blocks
            .with_untracked(|b| canvas::draw_figure(c.clone(), |r| figures::lens(r, &steps, b)))?;
        download::png("logit-lens.png", &c).map_err(|e| format!("{e:?}"))
    };

    // Drop and paste bring a picture too.
    let take = move |file: web_sys::File| {
        let name = file.name();
        spawn_local(async move {
            match read_picture(file).await {
                Ok(picture) => {
                    message.set(Some(format!(
                        "Your picture, {} × {} pixels, stays on this computer: the model runs in this page.",
                        picture.width, picture.height
                    )));
                    own.set(Some(Given {
                        picture,
                        key: format!("own:{name}:{}", now_ms()),
                        name,
                    }));
                    // The link no longer shows what the model is looking at.
                    state.update(|s| s.draw = None);
                }
                Err(e) => message.set(Some(e)),
            }
        });
    };
    let _paste = window_event_listener(leptos::ev::paste, move |ev| {
        if let Some(file) = ev
            .clipboard_data()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            ev.prevent_default();
            take(file);
        }
    });

    view! {
        <section id="trained" aria-labelledby="trained-title">
            <h2 id="trained-title">"A trained mini-Flamingo: drag the gate and watch it see"</h2>
            <Show when=move || loaded.with(|l| matches!(l, Some(Err(_))))>
                <p class="error" role="alert">{move || loaded.get().and_then(Result::err).unwrap_or_default()}</p>
            </Show>
            <div class="trained-grid">
                <div class="picture-side">
                    <div class="pictures">
                        <figure>
                            <img id="given-picture" class="picture" node_ref=given_image alt=move || format!("the picture as given: {}", given.with(|g| g.name.clone())) />
                            <figcaption>"as given"</figcaption>
                        </figure>
                        <figure>
                            <img id="seen-picture" class="picture" node_ref=seen_image alt="the 32 × 32 pixels the model sees" />
                            <figcaption>"what the model sees: 32 × 32"</figcaption>
                        </figure>
                    </div>
                    <p class="picture-name">{move || given.with(|g| g.name.clone())}</p>
                </div>
                <div class="picture-input">
                    <div class="picture-controls"
                        on:dragover=move |ev: web_sys::DragEvent| ev.prevent_default()
                        on:drop=move |ev: web_sys::DragEvent| {
                            ev.prevent_default();
                            if let Some(file) = ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                                take(file);
                            }
                        }>
                        <button on:click=move |_| {
                            own.set(None);
                            message.set(None);
                            let seed = (js_sys::Math::random() * 1e9) as u64;
                            state.update(|s| { s.scene = seed; s.draw = None; });
                        }>"New scene"</button>
                        <label class="file">"Your picture: "
                            <input type="file" accept="image/*" aria-label="Your image" on:change=move |ev| {
                                let input: web_sys::HtmlInputElement = event_target(&ev);
                                if let Some(file) = input.files().and_then(|f| f.get(0)) {
                                    take(file);
                                }
                                input.set_value("");
                            } />
                        </label>
                        <p class="drop-hint">"…or drop a picture here, or paste one. It never leaves your computer: the model runs in this page."</p>
                    </div>
                    <DrawPad state=state drawn=move |picture| {
                        message.set(None);
                        own.set(Some(Given { picture, name: "your drawing".into(), key: format!("draw:{}", now_ms()) }));
                    } />
                    <p id="picture-message" role="status">{move || message.get().unwrap_or_default()}</p>
                </div>
                <div class="model-side">
                    <Slider label="Gate scale" min=0.0 max=f64::from(SCALE_MAX) step=1.0 / f64::from(SCALE_STEPS) value=Signal::derive(move || state.with(|s| s.scale as f64)) set=move |v| state.update(|s| s.scale = v as f32) />
                    <Show when=move || in_use.with(Option::is_some)>
                        <p id="weights-in-use" class="note" role="status">
                            {move || format!("These captions come from {}, not from the shipped model; the note at the end of this panel is about the shipped one. ", in_use.get().unwrap_or_default())}
                            <button on:click=move |_| {
                                let (model, pool) = shipped.get_value();
                                back_to_shipped(model, pool, loaded, in_use, message);
                            }>"Back to the shipped model"</button>
                        </p>
                    </Show>
                    <p class="caption-line">"Caption: "
                        <output id="caption-text" data-answers=move || answered.get() data-weights=move || answered_weights.get() data-ms=move || format!("{:.3}", compute_ms.get()) data-kept=move || kept.get().to_string()
                            data-runs=move || flight.get().0.runs.to_string() data-most-in-flight=move || flight.get().0.most.to_string() data-dropped=move || flight.get().1.to_string()>
                            {move || caption.with(|c| c.as_ref().map(|c| c.text.clone())).unwrap_or_else(|| if loaded.get().is_none() { "loading the trained weights…".into() } else { "…".into() })}
                        </output>
                    </p>
                    <p class="note">"Multiplies every learned α before its tanh: 0 closes every gate, 1 is the model as trained, 2 opens them further."</p>
                    <p id="trained-gates">{move || caption.with(|c| c.as_ref().map(|c| {
                        c.gates.iter().enumerate().map(|(b, g)| format!("block {}: tanh(attention gate) = {:.4}, tanh(feed-forward gate) = {:.4}", b + 1, g[0], g[1])).collect::<Vec<_>>().join(" · ")
                    }).unwrap_or_else(|| "…".into()))}</p>
                    <p>"Same as the frozen language model alone? "
                        <output id="lm-identical" data-identical=move || caption.with(|c| c.as_ref().map(|c| c.lm_identical().to_string())) data-max-delta=move || caption.with(|c| c.as_ref().map(|c| c.max_delta.to_string()))>
                            {move || caption.with(|c| c.as_ref().map(|c| if c.lm_identical() {
                                "identical".to_owned()
                            } else {
                                format!("differs: max |Δlogit| = {:.3e} ({} of {} logits equal)", c.max_delta, c.identical, c.logits)
                            }).unwrap_or_else(|| "…".into()))}
                        </output>
                    </p>
                    <p class="note">"Compared each time, logit by logit as 32-bit patterns, over every position of the caption's last forward."</p>
                    <figure class="plot-figure">
                        <canvas id="caption-bars" node_ref=bars width="640" height="160" role="img" aria-label="for each generated word, the likeliest words at that step and their probabilities"></canvas>
                        <figcaption class="export">
                            <span>"Each step's likeliest next words (greedy decoding takes the top one)."</span>
                            <button on:click=move |_| { if let Some(c) = bars.get_untracked() { report(download::png("caption-bars.png", &c).map_err(|e| format!("{e:?}"))); } }>"Download PNG"</button>
                            <button on:click=move |_| {
                                let steps = figures_data.get_untracked().unwrap_or_default();
                                report(figures::svg((640, 160), |r| figures::bars(r, &steps, 1.0)).and_then(|svg| download::text("caption-bars.svg", "image/svg+xml", &svg).map_err(|e| format!("{e:?}"))));
                            }>"Download SVG"</button>
                        </figcaption>
                    </figure>
                </div>
            </div>

            <p class="honest">
                "This model was trained in Rust on this project's own drawn scenes (32 × 32 pixels: one or two coloured shapes, filled, outlined, hand-drawn or rotated, "
                "on paper, grey, tinted, gradient or noisy backgrounds, or nothing at all): a small vision encoder and a 4-layer language model were trained first "
                "and then frozen; only the Perceiver resampler and two gated cross-attention blocks (124,100 weights) learned to join them, "
                {move || record.with(|r| match r {
                    Some(Ok(r)) => r.summary(),
                    Some(Err(e)) => format!("(its measured accuracy could not be read: {e}.)"),
                    None => "(its measured accuracy follows once the training record has loaded.)".to_owned(),
                })}
                " "
                "It is a toy of Flamingo's mechanism, with a 21-word vocabulary, not a model of Flamingo's quality."
            </p>
            <WhereItLooks caption=caption fitted=fitted />

            <h3>"Logit lens: where the picture's information enters"</h3>
            <p>"Each generated word's probability read out after every language-model layer (through the final norm and output head). The frozen layers alone cannot know the colour; watch the probability jump after a gated block."</p>
            <figure class="plot-figure">
                <div class="plot-stack">
                    <canvas node_ref=lens_frame width="640" height="300" aria-hidden="true"></canvas>
                    <canvas id="logit-lens" node_ref=lens width="640" height="300" role="img" aria-label="probability of each generated word after each language-model layer"></canvas>
                </div>
                <figcaption class="export">
                    <button on:click=move |_| report(lens_png())>"Download PNG"</button>
                    <button on:click=move |_| {
                        let steps = figures_data.get_untracked().unwrap_or_default();
                        let blocks = blocks.get_untracked();
                        report(figures::svg((640, 300), |r| figures::lens(r, &steps, &blocks)).and_then(|svg| download::text("logit-lens.svg", "image/svg+xml", &svg).map_err(|e| format!("{e:?}"))));
                    }>"Download SVG"</button>
                </figcaption>
            </figure>
        </section>
    }
}
