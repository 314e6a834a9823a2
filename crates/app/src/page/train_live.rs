//! Train the bridge yourself (issue 23): stage 3 of the mini-Flamingo runs in a worker
//! of the trainer module, from the shipped frozen encoder and language model and a fresh
//! bridge whose gates start at 0; the page draws its losses, gates and a probe as it goes.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{now_ms, report};
use crate::compute::fetch;
use crate::compute::trainer::Trainer;
use crate::figures::trained_figures as figures;
use crate::figures::{canvas, download};
use lab::live_training::{LogEntry, Settings};

/// Steps per message to the worker: few enough that "Pause" answers within a second.
const STEPS_PER_CALL: u32 = 2;

/// How often the probe captions its scenes while training.
const PROBE_EVERY_MS: f64 = 4000.0;

#[component]
pub(super) fn TrainLive() -> impl IntoView {
    let settings = RwSignal::new(Settings::default());
    let trainer = StoredValue::new_local(None::<Rc<Trainer>>);
    // A run exists (its settings are fixed until "Reset"), and whether it is stepping.
    let started = RwSignal::new(false);
    let running = RwSignal::new(false);
    // Each reset starts a new generation; a loop of an older one stops.
    let generation = StoredValue::new(0u64);
    let log = RwSignal::new(Vec::<LogEntry>::new());
    let probe = RwSignal::new(None::<[f64; 2]>);
    let per_second = RwSignal::new(None::<f64>);
    let message = RwSignal::new(None::<String>);

    let run = move || {
        spawn_local(async move {
            let this = generation.get_value();
            let Some(t) = trainer.get_value() else { return };
            let mut probed = now_ms();
            while running.get_untracked() && generation.get_value() == this {
                let steps = t.steps(STEPS_PER_CALL).await;
                if generation.get_value() != this {
                    return;
                }
                match steps {
                    Ok(s) => {
                        per_second.set(Some(s.steps.len() as f64 / (s.ms / 1000.0).max(1e-6)));
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
            if trainer.with_value(Option::is_none) {
                let loaded = fetch::bytes(super::trained::WEIGHTS)
                    .await
                    .and_then(|w| Trainer::load(&w));
                match loaded {
                    Ok(t) => trainer.set_value(Some(Rc::new(t))),
                    Err(e) => {
                        message.set(Some(format!("The trainer could not start: {e}")));
                        running.set(false);
                        return;
                    }
                }
            }
            if !started.get_untracked() {
                let t = trainer.get_value().expect("loaded above");
                if let Err(e) = t.start(&settings.get_untracked()).await {
                    message.set(Some(format!("The run could not start: {e}")));
                    running.set(false);
                    return;
                }
                started.set(true);
            }
            run();
        });
    };
    let pause = move |_| running.set(false);
    let reset = move |_| {
        running.set(false);
        started.set(false);
        generation.update_value(|g| *g += 1);
        log.set(Vec::new());
        probe.set(None);
        per_second.set(None);
    };

    // The run's weights as a file, in the shipped file's format: it never leaves the machine.
    let save = move |_| {
        let Some(t) = trainer.get_value() else { return };
        let step = log.with(Vec::len);
        spawn_local(async move {
            match t.save().await {
                Ok(bytes) => report(
                    download::bytes(
                        &format!("mini-flamingo-step-{step}.safetensors"),
                        "application/octet-stream",
                        &bytes,
                    )
                    .map_err(|e| format!("{e:?}")),
                ),
                Err(e) => message.set(Some(format!("The weights could not be saved: {e}"))),
            }
        });
    };

    let losses = NodeRef::<leptos::html::Canvas>::new();
    Effect::new(move |_| {
        let points: Vec<(usize, f64, f64)> = log.with(|l| {
            l.iter()
                .map(|e| (e.step, e.loss_image, e.loss_text))
                .collect()
        });
        if let Some(c) = losses.get() {
            report(canvas::draw_figure(c, |r| {
                figures::training_losses(r, &points)
            }));
        }
    });
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
                    data-gates=gates>
                    {move || log.with(|l| l.last().map(|e| format!(
                        "step {} · loss on the picture's words {:.3}, on text-only words {:.3} · tanh(gates) {}{}",
                        l.len(), e.loss_image, e.loss_text,
                        e.gates.iter().enumerate().map(|(b, g)| format!("block {}: attention {:.3}, feed-forward {:.3}", b + 1, g[0], g[1])).collect::<Vec<_>>().join("; "),
                        per_second.get().map(|r| format!(" · {r:.1} steps/s")).unwrap_or_default(),
                    ))).unwrap_or_else(|| "not started".into())}
                </output>
            </p>
            <p>"Probe (the captions of 40 fresh one-object scenes, every few seconds): "
                <output id="train-probe" data-colour=move || probe.get().map(|p| p[0].to_string()) data-shape=move || probe.get().map(|p| p[1].to_string())>
                    {move || probe.get().map(|p| format!("colour named right {:.0} %, shape {:.0} %", p[0] * 100.0, p[1] * 100.0)).unwrap_or_else(|| "…".into())}
                </output>
            </p>
            <figure class="plot-figure">
                <canvas id="train-losses" node_ref=losses width="640" height="260" role="img" aria-label="the run's loss on the picture's words and on text-only words, by step"
                    data-all=move || log.with(|l| l.iter().map(|e| e.loss.to_string()).collect::<Vec<_>>().join(","))
                    data-picture=move || log.with(|l| l.iter().map(|e| e.loss_image.to_string()).collect::<Vec<_>>().join(","))></canvas>
            </figure>
            <p class="note">"Watch for the plateau: at first the loss on the picture's words stays where the language model alone puts it (it can only guess a colour), because with every gate at 0 nothing from the picture reaches the text. It falls once the gates have opened a little. With no tanh gate the blocks act from the first step: the text-only loss starts a little higher, the language model disturbed before anything has been learned."</p>
            <p class="honest">"What this toy shows, and what it cannot: the mechanism (a frozen model, a bridge that starts closed and opens as it learns) at about 124 thousand trained weights. Flamingo's argument for the tanh gate is about stability at 80 billion parameters and weeks of training, which no browser reproduces."</p>
        </section>
    }
}
