//! The gate schedule: how the shipped model's gates opened during training, and its
//! loss curves beside the two ablations, read from the training record.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::report;
use super::touch::{LastTouch, QUIET_MS};
use crate::compute::fetch;
use crate::figures::{canvas, download, schedule};
use mini::log::TrainingRecord;

/// The record `cargo xtask train` wrote beside the weights.
const RECORD: &str = "assets/mini-flamingo-training.json";

/// The training record, fetched once the weights have arrived and the page has rested
/// (its parsing and the schedule's first drawing would take a frame of a first drag): the
/// gate schedule draws it and the trained panel's honest note quotes its evaluation.
pub(super) fn record(
    loaded: RwSignal<Option<Result<(), String>>>,
) -> RwSignal<Option<Result<TrainingRecord, String>>> {
    let record = RwSignal::new(None::<Result<TrainingRecord, String>>);
    Effect::new(move |_| {
        if loaded.with(Option::is_none) || record.with_untracked(Option::is_some) {
            return;
        }
        spawn_local(async move {
            LastTouch::page().quiet(QUIET_MS).await;
            let parsed = fetch::text(RECORD)
                .await
                .and_then(|json| TrainingRecord::parse(&json));
            record.set(Some(parsed));
        });
    });
    record
}

#[component]
pub(super) fn GateSchedule(
    record: RwSignal<Option<Result<TrainingRecord, String>>>,
) -> impl IntoView {
    let gates = NodeRef::<leptos::html::Canvas>::new();
    let losses = NodeRef::<leptos::html::Canvas>::new();
    Effect::new(move |_| {
        canvas::track_room();
        record.with(|r| {
            let Some(Ok(r)) = r else { return };
            if let Some(c) = gates.get() {
                report(canvas::draw_figure(c, |root| {
                    schedule::gates(root, &r.runs.trained)
                }));
            }
            if let Some(c) = losses.get() {
                report(canvas::draw_figure(c, |root| {
                    schedule::losses(root, &r.runs)
                }));
            }
        })
    });
    let svg = move |name: &'static str, make: fn(&TrainingRecord) -> Result<String, String>| {
        record.with_untracked(|r| {
            if let Some(Ok(r)) = r {
                report(make(r).and_then(|svg| {
                    download::text(name, "image/svg+xml", &svg).map_err(|e| format!("{e:?}"))
                }));
            }
        })
    };
    let png = move |name: &'static str, c: NodeRef<leptos::html::Canvas>| {
        if let Some(c) = c.get_untracked() {
            report(download::png(name, &c).map_err(|e| format!("{e:?}")));
        }
    };
    let (w, h) = schedule::SIZE;

    view! {
        <section id="gate-schedule" aria-labelledby="gate-schedule-title">
            <h2 id="gate-schedule-title">"Why gates start at zero: the training record"</h2>
            <p>
                "Each block's tanh(attention gate) and tanh(feed-forward gate) at every logged step of the shipped run. "
                "They start at exactly 0, so the first steps train a model that is exactly the frozen language model, and open as the picture proves useful."
            </p>
            <figure class="plot-figure">
                <canvas id="gate-schedule-gates" node_ref=gates width=w.to_string() height=h.to_string() role="img" aria-label="tanh of each block's gates over training"></canvas>
                <figcaption class="export">
                    <button on:click=move |_| png("gate-schedule.png", gates)>"Download PNG"</button>
                    <button on:click=move |_| svg("gate-schedule.svg", |r| schedule::gates_svg(&r.runs.trained))>"Download SVG"</button>
                </figcaption>
            </figure>
            <p>
                {move || record.with(|r| match r {
                    Some(Ok(r)) => format!("Two ablations, {} steps each from the same start: ", r.runs.ungated.record.steps),
                    _ => "Two ablations from the same start: ".into(),
                })}
                "without the tanh gate (the blocks add their full output from the first step), "
                "and with gates that learn 100 times faster than the rest. Thick lines: the loss on words the picture decides (colour, shape); "
                "thin lines: the loss on words the text alone decides."
            </p>
            <figure class="plot-figure">
                <canvas id="gate-schedule-losses" node_ref=losses width=w.to_string() height=h.to_string() role="img" aria-label="loss curves of the shipped run and the two ablations"></canvas>
                <figcaption class="export">
                    <button on:click=move |_| png("gate-losses.png", losses)>"Download PNG"</button>
                    <button on:click=move |_| svg("gate-losses.svg", |r| schedule::losses_svg(&r.runs))>"Download SVG"</button>
                </figcaption>
            </figure>
            <p id="gate-outcome" role="status">{move || record.with(|r| match r {
                Some(Ok(r)) => schedule::sentence(&schedule::outcome(&r.runs)),
                Some(Err(e)) => e.clone(),
                None => "…".into(),
            })}</p>
            <p class="note">
                "Why a fine-tune can degrade text: a new layer that adds its full output at once shifts every hidden state the frozen model was trained on. "
                "Flamingo's zero-initialised tanh gates make the start exact. At this toy scale the measurement above shows how much that exactness bought here; "
                "the Flamingo paper's own ablation, at its scale, found the model worse without the tanh gate."
            </p>
            <p class="note">{move || record.with(|r| match r {
                Some(Ok(r)) => format!("Recorded by cargo xtask train on {}: {:.0} s of training, {:.0} s of evaluation.", r.machine, r.seconds.training, r.seconds.evaluation),
                _ => String::new(),
            })}</p>
        </section>
    }
}
