//! Train the bridge yourself (issue 23): stage 3 of the mini-Flamingo runs in a worker
//! of the trainer module, from the shipped frozen encoder and language model and a fresh
//! bridge whose gates start at 0; the page draws its losses, gates and a probe as it goes.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::touch::{LastTouch, QUIET_MS};
use super::trained::{Given, InUse, Model, back_to_shipped, switch_to};
use super::{now_ms, report};
use crate::compute::fetch;
use crate::compute::trainer::Trainer;
use crate::figures::trained_figures as figures;
use crate::figures::{canvas, download};
use lab::live_training::{Curve, LogEntry, Settings, keep};

/// Steps per message to the worker: few enough that "Pause" answers within a second.
const STEPS_PER_CALL: u32 = 2;

/// How often the probe captions its scenes while training.
const PROBE_EVERY_MS: f64 = 4000.0;

/// The largest file "Open saved weights" reads: the largest run here (K = 64, a block
/// before every layer) saves under 2 MB.
const MOST_WEIGHT_BYTES: f64 = 16e6;

/// Every run's curve is thinned to at most this many points.
const DRAWN_POINTS: usize = 300;

#[component]
pub(super) fn TrainLive(
    /// The page's trained model, which "Use these weights" replaces.
    model: Model,
    loaded: RwSignal<Option<Result<(), String>>>,
    pool: crate::compute::pool::Shared,
    in_use: InUse,
    /// The picture the trained panel shows: the run captions it as it goes.
    given: Memo<Given>,
) -> impl IntoView {
    let caption = RwSignal::new(None::<String>);
    let page_model = StoredValue::new_local((model, pool));
    let settings = RwSignal::new(Settings::default());
    let trainer = StoredValue::new_local(None::<Rc<Trainer>>);
    // A run exists (its settings are fixed until "Reset"), and whether it is stepping.
    let started = RwSignal::new(false);
    let running = RwSignal::new(false);
    // Each reset starts a new generation; a loop of an older one stops.
    let generation = StoredValue::new(0u64);
    let log = RwSignal::new(Vec::<LogEntry>::new());
    // Earlier runs, drawn beside this one; this run's number picks its colour.
    let kept = RwSignal::new(Vec::<Curve>::new());
    let number = RwSignal::new(0usize);
    let probe = RwSignal::new(None::<[f64; 2]>);
    let per_second = RwSignal::new(None::<f64>);
    // Milliseconds per part of a step, over the last answer's steps.
    let parts = RwSignal::new(None::<[(&'static str, f64); 6]>);
    let message = RwSignal::new(None::<String>);

    let run = move || {
        spawn_local(async move {
            let this = generation.get_value();
            let Some(t) = trainer.get_value() else { return };
            let mut probed = now_ms();
            let touch = LastTouch::page();
            let wanted = move || running.get_untracked() && generation.get_value() == this;
            while wanted() {
                // While a student drags a slider or draws, the next steps wait, so the
                // worker's core is free for the page (a step already sent finishes).
                touch.quiet(QUIET_MS).await;
                if !wanted() {
                    return;
                }
                let steps = t.steps(STEPS_PER_CALL).await;
                if generation.get_value() != this {
                    return;
                }
                match steps {
                    Ok(s) => {
                        per_second.set(Some(s.steps.len() as f64 / (s.ms / 1000.0).max(1e-6)));
                        let n = s.steps.len().max(1) as f64;
                        parts.set(Some(
                            s.parts
                                .parts()
                                .map(|(name, seconds)| (name, seconds * 1e3 / n)),
                        ));
                        log.update(|l| l.extend(s.steps));
                    }
                    Err(e) => {
                        message.set(Some(format!("Training stopped: {e}")));
                        running.set(false);
                        return;
                    }
                }
                if now_ms() - probed > PROBE_EVERY_MS {
                    if let Ok(p) = t.probe().await {
                        probe.set(Some(p));
                    }
                    let rgb = given.with_untracked(|g| g.picture.fit().rgb);
                    if let Ok(c) = t.caption(&rgb).await {
                        caption.set(Some(c));
                    }
                    probed = now_ms();
                }
            }
        });
    };
    let train = move |_| {
        if running.get_untracked() {
            return;
        }
        message.set(None);
        running.set(true);
        spawn_local(async move {
            let ready = async {
                if trainer.with_value(Option::is_none) {
                    let loaded = fetch::bytes(super::trained::WEIGHTS)
                        .await
                        .and_then(|w| Trainer::load(&w))
                        .map_err(|e| format!("The trainer could not start: {e}"))?;
                    trainer.set_value(Some(Rc::new(loaded)));
                }
                if !started.get_untracked() {
                    let t = trainer.get_value().expect("loaded above");
                    t.start(&settings.get_untracked())
                        .await
                        .map_err(|e| format!("The run could not start: {e}"))?;
                    started.set(true);
                }
                Ok::<(), String>(())
            };
            match ready.await {
                Ok(()) => run(),
                Err(e) => {
                    message.set(Some(e));
                    running.set(false);
                }
            }
        });
    };
    let pause = move |_| running.set(false);
    // This run's curve, and beside it the earlier runs', as drawn: derived once per
    // answer, read by the figure, its legend and its data attributes.
    let current = Memo::new(move |_| Curve {
        number: number.get(),
        label: settings.with(Settings::label),
        points: log.with(|l| {
            l.iter()
                .map(|e| (e.step, e.loss_image, e.loss_text))
                .collect()
        }),
    });
    let drawn = Memo::new(move |_| {
        let mut runs = kept.get();
        runs.push(current.get());
        runs.retain(|c| !c.points.is_empty());
        runs
    });
    let reset = move |_| {
        running.set(false);
        started.set(false);
        generation.update_value(|g| *g += 1);
        let finished = current.get_untracked();
        if !finished.points.is_empty() {
            kept.update(|k| keep(k, finished));
            number.update(|n| *n += 1);
        }
        log.set(Vec::new());
        probe.set(None);
        caption.set(None);
        per_second.set(None);
        parts.set(None);
    };

    let switch = move |bytes: &[u8], what: String| {
        page_model.with_value(|(model, pool)| {
            message.set(
                switch_to(bytes, Some(what), model, pool, loaded, in_use)
                    .err()
                    .map(|e| format!("These weights could not be used: {e}")),
            )
        })
    };
    // The run's weights, to `then` with the step and what they are: as a file (it never
    // leaves the machine), or in place of the shipped model in every panel above.
    let weights = move |then: Box<dyn FnOnce(Vec<u8>, usize, String)>| {
        let Some(t) = trainer.get_value() else { return };
        let step = log.with_untracked(Vec::len);
        let what = format!(
            "your run {} at step {step} ({})",
            number.get_untracked() + 1,
            settings.with_untracked(Settings::label)
        );
        spawn_local(async move {
            match t.save().await {
                Ok(bytes) => then(bytes, step, what),
                Err(e) => message.set(Some(format!("The weights could not be saved: {e}"))),
            }
        });
    };
    let save = move |_| {
        weights(Box::new(|bytes, step, _| {
            report(
                download::bytes(
                    &format!("mini-flamingo-step-{step}.safetensors"),
                    "application/octet-stream",
                    &bytes,
                )
                .map_err(|e| format!("{e:?}")),
            )
        }))
    };
    let use_run = move |_| weights(Box::new(move |bytes, _, what| switch(&bytes, what)));
    let open = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let file = input.files().and_then(|f| f.get(0));
        input.set_value("");
        let Some(file) = file else { return };
        // Refused from its size before a byte is read.
        if file.size() > MOST_WEIGHT_BYTES {
            message.set(Some(format!(
                "{} is {:.0} MB: weights saved here are a few MB, so this is not such a file.",
                file.name(),
                file.size() / 1e6
            )));
            return;
        }
        spawn_local(async move {
            match fetch::file(&file).await {
                Ok(bytes) => switch(&bytes, format!("the file {}", file.name())),
                Err(e) => message.set(Some(e)),
            }
        });
    };
    let back = move |_| {
        let (model, pool) = page_model.get_value();
        back_to_shipped(model, pool, loaded, in_use, message);
    };

    let losses = NodeRef::<leptos::html::Canvas>::new();
    Effect::new(move |_| {
        canvas::track_room();
        drawn.with(|runs| {
            if let Some(c) = losses.get() {
                report(canvas::draw_figure(c, |r| {
                    figures::training_losses(r, runs, DRAWN_POINTS)
                }));
            }
        })
    });
    // For tests and scripts: the current run's first loss, and its mean picture-word
    // loss over its first and last ten steps.
    let first_last = Memo::new(move |_| current.with(|c| c.picture_loss_first_last(10)));
    let last = move |f: fn(&LogEntry) -> String| log.with(|l| l.last().map(f)).unwrap_or_default();
    let gates = move || {
        last(|e| {
            e.gates
                .iter()
                .flat_map(|g| g.iter().map(|v| format!("{v:.4}")))
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    // A setting, as a select whose options carry the values; fixed while a run exists.
    let choice = move |label: &'static str,
                       options: Vec<(&'static str, f64)>,
                       get: fn(&Settings) -> f64,
                       set: fn(&mut Settings, f64)| {
        view! {
            <label>{label}" "
                <select aria-label=label disabled=move || started.get() on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                        settings.update(|s| set(s, v));
                    }
                }>
                    {options.into_iter().map(|(name, v)| view! {
                        <option value=v.to_string() selected=move || settings.with(|s| get(s) == v)>{name}</option>
                    }).collect_view()}
                </select>
            </label>
        }
    };

    view! {
        <section id="train-live" aria-labelledby="train-live-title">
            <h2 id="train-live-title">"Train the bridge yourself"</h2>
            <p>"Press Train and stage 3 runs here, in your browser: the frozen vision encoder and language model are the shipped ones; the resampler and the gated blocks start fresh, every gate at exactly 0, so at step 0 the model is the language model alone. "
               "Each step shows the model fresh drawn scenes with their captions and few-shot episodes, and Adam moves only the bridge."</p>
            <div class="train-controls">
                <button on:click=train disabled=move || running.get()>{move || if started.get() { "Resume" } else { "Train" }}</button>
                <button on:click=pause disabled=move || !running.get()>"Pause"</button>
                <button on:click=reset disabled=move || !started.get()>"Reset"</button>
                <button on:click=save disabled=move || !started.get()>"Save these weights"</button>
                <button on:click=use_run disabled=move || !started.get()>"Use these weights"</button>
                <button on:click=back disabled=move || in_use.with(Option::is_none)>"Back to the shipped model"</button>
                <label class="file">"Open saved weights: "
                    <input type="file" accept=".safetensors" aria-label="Open saved weights" on:change=open />
                </label>
                {choice("Learning rate", vec![("0.001 (the shipped run's)", 1e-3), ("0.003", 3e-3), ("0.01", 1e-2)], |s| s.lr, |s, v| s.lr = v)}
                {choice("Gates learn", vec![("as the rest", 1.0), ("100 × faster (\"fast gates\")", 100.0)], |s| s.gate_lr, |s, v| s.gate_lr = v)}
                {choice("Gate", vec![("tanh(α), from 0", 1.0), ("none: y = xattn(x) + x", 0.0)], |s| if s.gated { 1.0 } else { 0.0 }, |s, v| s.gated = v == 1.0)}
                {choice("K latents", vec![("4", 4.0), ("8 (shipped)", 8.0), ("16", 16.0)], |s| s.k as f64, |s, v| s.k = v as usize)}
                {choice("A block before", vec![("every layer", 1.0), ("every 2nd layer (shipped)", 2.0)], |s| s.every as f64, |s, v| s.every = v as usize)}
            </div>
            <p id="train-message" role="status">{move || message.get().unwrap_or_default()}</p>
            <p id="train-run" class="note">{move || if started.get() {
                format!("This run: {}.", settings.with(Settings::label))
            } else {
                format!("Press Train for a run with {}.", settings.with(Settings::label))
            }}</p>
            <p>
                <output id="train-progress" data-step=move || log.with(Vec::len).to_string()
                    data-loss-picture=move || last(|e| e.loss_image.to_string()) data-loss-text=move || last(|e| e.loss_text.to_string())
                    data-gates=gates
                    data-head=move || log.with(|l| serde_json::to_string(&l[..l.len().min(3)]).unwrap_or_default())>
                    {move || log.with(|l| l.last().map(|e| format!(
                        "step {} · loss on the picture's words {:.3}, on text-only words {:.3} · tanh(gates) {}{}",
                        l.len(), e.loss_image, e.loss_text,
                        e.gates.iter().enumerate().map(|(b, g)| format!("block {}: attention {:.3}, feed-forward {:.3}", b + 1, g[0], g[1])).collect::<Vec<_>>().join("; "),
                        per_second.get().map(|r| format!(" · {r:.1} steps/s")).unwrap_or_default(),
                    ))).unwrap_or_else(|| "not started".into())}
                </output>
            </p>
            <p id="train-parts" class="note">{move || parts.get().map(|p| format!(
                "Where a step's time goes (ms, the last few steps): {}.",
                p.iter().map(|(name, ms)| format!("{name} {ms:.1}")).collect::<Vec<_>>().join(" · ")
            )).unwrap_or_default()}</p>
            <p>"Probe (the captions of 40 fresh one-object scenes, every few seconds): "
                <output id="train-probe" data-colour=move || probe.get().map(|p| p[0].to_string()) data-shape=move || probe.get().map(|p| p[1].to_string())>
                    {move || probe.get().map(|p| format!("colour named right {:.0} %, shape {:.0} %", p[0] * 100.0, p[1] * 100.0)).unwrap_or_else(|| "…".into())}
                </output>
            </p>
            <p>{move || format!("{}, as this run captions it now: ", given.with(|g| g.name.clone()))}
                <output id="train-caption">{move || caption.get().map(|c| format!("“{c}”")).unwrap_or_else(|| "…".into())}</output>
            </p>
            <figure class="plot-figure">
                <canvas id="train-losses" node_ref=losses width="640" height="260" role="img" aria-label=move || {
                        let runs: Vec<String> = drawn.with(|d| d.iter().map(Curve::title).collect());
                        format!("loss on the picture's words and on text-only words, by step, of {}", if runs.is_empty() { "no run yet".to_owned() } else { runs.join("; ") })
                    }
                    data-runs=move || drawn.with(Vec::len)
                    data-first=move || log.with(|l| l.first().map(|e| e.loss.to_string()))
                    data-picture-first=move || first_last.get().map(|p| p.0.to_string())
                    data-picture-last=move || first_last.get().map(|p| p.1.to_string())></canvas>
                <figcaption>
                    <ul class="run-legend">
                        {move || drawn.get().into_iter().map(|c| {
                            let (r, g, b) = figures::run_colour(c.number);
                            view! { <li><span class="swatch" style:background-color=format!("rgb({r}, {g}, {b})")></span>{c.title()}</li> }
                        }).collect_view()}
                    </ul>
                    "Thick: the loss on the picture's words; thin: on text-only words. "
                    "Reset keeps a run's curves on these axes (the last " {lab::live_training::KEPT_RUNS} " runs), so runs with different settings can be compared. "
                    <button on:click=move |_| kept.set(Vec::new()) disabled=move || kept.with(Vec::is_empty)>"Forget earlier runs"</button>
                </figcaption>
            </figure>
            <p class="note">"While you drag a slider or draw, training waits (the step counter stops), so the page answers your hand first; it goes on when you let go."</p>
            <p class="note">"Watch for the plateau: at first the loss on the picture's words stays where the language model alone puts it (it can only guess a colour), because with every gate at 0 nothing from the picture reaches the text. It falls once the gates have opened a little. With no tanh gate the blocks act from the first step: the text-only loss starts a little higher, the language model disturbed before anything has been learned."</p>
            <p class="honest">"What this toy shows, and what it cannot: the mechanism (a frozen model, a bridge that starts closed and opens as it learns) at about 124 thousand trained weights. Flamingo's argument for the tanh gate is about stability at 80 billion parameters and weeks of training, which no browser reproduces."</p>
        </section>
    }
}
