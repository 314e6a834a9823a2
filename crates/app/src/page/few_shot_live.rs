//! Few-shot, live: one episode built from the controls, with its mask and the
//! trained model's answer; and "Measure", which counts accuracy against the number
//! of shots over seeded episodes, its pieces shared across the pool's workers so the
//! page's own thread only draws.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::trained::{Model, with_model};
use super::{Slider, now_ms, report};
use crate::trained_figures as figures;
use crate::url_state::UrlState;
use crate::{canvas, download};
use flamingo::{MaskRule, MediaMask};
use lab::trained::{Measurement, PIECE, PieceOrder};
use mini::inference::Step;
use mini::scene::Rng;
use mini::vocab::{Episode, IMAGE, Task, word};

/// Measure's episodes per task and number of shots unless the student asks otherwise.
const DEFAULT_N: usize = 100;
/// The most a student may ask for: 1,000 × 18 cells is a few minutes here.
const MAX_N: usize = 1000;
/// The same seed `flamingo mini eval` uses by default, so its episodes are these.
const MEASURE_SEED: u64 = 0;

fn episode_of(s: &UrlState) -> Episode {
    Episode::sample(&mut Rng::new(s.episode), s.task, s.shots)
}

#[component]
pub(super) fn FewShotLive(
    state: RwSignal<UrlState>,
    model: Model,
    loaded: RwSignal<Option<Result<(), String>>>,
    pool: crate::pool::Shared,
) -> impl IntoView {
    let episode = Memo::new(move |_| state.with(episode_of));
    let scale = Memo::new(move |_| state.with(|s| s.scale));
    let answer = RwSignal::new(None::<Step>);
    {
        let model = model.clone();
        Effect::new(move |_| {
            let e = episode.get();
            let scale = scale.get();
            if loaded.with(|l| !matches!(l, Some(Ok(())))) {
                return;
            }
            let model = model.clone();
            spawn_local(async move {
                if let Some(step) =
                    with_model(&model, async |t| t.answer(&e.prompt, scale).await).await
                {
                    answer.set(Some(step));
                }
            });
        });
    }

    let n = RwSignal::new(DEFAULT_N);
    let measurement = RwSignal::new(None::<Measurement>);
    let measured_scale = RwSignal::new(1.0f32);
    let running = RwSignal::new(false);
    // Asked for by "Cancel"; the loop stops before its next piece.
    let cancelled = RwSignal::new(false);
    let seconds = RwSignal::new(None::<f64>);
    let failed = RwSignal::new(None::<String>);
    let plot = NodeRef::<leptos::html::Canvas>::new();
    let measure = {
        move || {
            let Some(pool) = pool.borrow().clone() else {
                return;
            };
            if running.get_untracked() {
                return;
            }
            let (n, scale) = (n.get_untracked(), state.with_untracked(|s| s.scale));
            running.set(true);
            cancelled.set(false);
            failed.set(None);
            seconds.set(None);
            measured_scale.set(scale);
            spawn_local(async move {
                let start = now_ms();
                let mut m = Measurement::new(n, MEASURE_SEED);
                measurement.set(Some(m.clone()));
                let pieces = m.pieces();
                // One piece per worker at a time; the table fills as each round returns.
                for (round, some) in pieces.chunks(pool.size()).enumerate() {
                    if cancelled.get_untracked() {
                        break;
                    }
                    let orders: Vec<PieceOrder> = (0..some.len())
                        .map(|i| PieceOrder {
                            n,
                            seed: MEASURE_SEED,
                            index: round * pool.size() + i,
                            scale,
                        })
                        .collect();
                    match pool.count(&orders).await {
                        Ok(counts) => some.iter().zip(counts).for_each(|(p, c)| m.add(p, c)),
                        Err(e) => {
                            failed.set(Some(e));
                            break;
                        }
                    }
                    measurement.set(Some(m.clone()));
                }
                measurement.set(Some(m));
                if !cancelled.get_untracked() && failed.with_untracked(Option::is_none) {
                    seconds.set(Some((now_ms() - start) / 1000.0));
                }
                running.set(false);
            });
        }
    };
    // The tour's few-shot step shows the curve measured, not promised.
    {
        let measure = measure.clone();
        Effect::new(move |_| {
            let ready = loaded.with(|l| matches!(l, Some(Ok(()))));
            if ready && state.with(|s| s.tour) == 4 && measurement.with_untracked(Option::is_none) {
                measure();
            }
        });
    }
    let accuracy = Memo::new(move |_| {
        measurement.with(|m| m.as_ref().map(Measurement::accuracy).unwrap_or_default())
    });
    let tasks = Task::ALL.map(Task::word);
    Effect::new(move |_| {
        let a = accuracy.get();
        if let Some(c) = plot.get() {
            report(canvas::draw_figure(c, |r| figures::accuracy(r, &a, tasks)));
        }
    });

    view! {
        <section id="few-shot-live" aria-labelledby="few-shot-live-title">
            <h2 id="few-shot-live-title">"Few-shot learning, measured live"</h2>
            <p>
                "An episode shows the trained model some pictures, each followed by \": answer\" and the end-of-chunk marker, then a query picture and \":\". "
                "The task (name the colour, or name the shape) is never said: the model must infer it from the shots, with no gradient step."
            </p>
            <div class="controls">
                <label>"Task "
                    <select aria-label="Task" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Some(t) = Task::ALL.into_iter().find(|t| t.word() == v) { state.update(|s| s.task = t) }
                    } prop:value=move || state.with(|s| s.task.word())>
                        {Task::ALL.map(|t| view! { <option value=t.word()>{t.word()}</option> }).collect_view()}
                    </select>
                </label>
                <Slider label="Shots" min=0.0 max=8.0 step=1.0 value=Signal::derive(move || state.with(|s| s.shots as f64)) set=move |v| state.update(|s| s.shots = v as usize) />
                <button on:click=move |_| {
                    let seed = (js_sys::Math::random() * 1e9) as u64;
                    state.update(|s| s.episode = seed);
                }>"Reshuffle"</button>
            </div>
            <ol class="episode" id="episode-prompt" aria-label="the episode's tokens">
                {move || {
                    let e = episode.get();
                    let pictures = e.prompt.pictures();
                    let mut next = 0;
                    e.prompt.tokens.iter().map(|&t| {
                        if t == IMAGE {
                            let picture = pictures[next].clone();
                            next += 1;
                            let c = NodeRef::<leptos::html::Canvas>::new();
                            Effect::new(move |_| { if let Some(c) = c.get() { let _ = canvas::draw_rgb(&c, &picture); } });
                            view! { <li class="token image"><canvas class="picture" node_ref=c role="img" aria-label=format!("image {next}")></canvas></li> }.into_any()
                        } else {
                            view! { <li class="token">{word(t)}</li> }.into_any()
                        }
                    }).collect_view()
                }}
            </ol>
            <p>"The model's answer: "
                <output id="few-shot-answer">{move || answer.with(|a| a.as_ref().map(|a| {
                    let top: Vec<String> = a.top(4).into_iter().map(|(w, p)| format!("{w} {p:.3}")).collect();
                    format!("{} (p = {:.3}); likeliest: {}", a.word(), a.probability(), top.join(", "))
                }).unwrap_or_else(|| "…".into()))}</output>
                " · expected: " {move || word(episode.with(|e| e.answer))}
            </p>
            <details>
                <summary>"The episode's mask: which image each token sees"</summary>
                <table id="few-shot-live-mask" class="mask-grid">
                    {move || episode.with(|e| {
                        let locations = e.prompt.media_locations();
                        let images = locations.iter().filter(|&&l| l).count();
                        let mask = MediaMask::new(&locations, images, MaskRule::MostRecent);
                        view! {
                            <thead><tr><th scope="col">"token"</th>{(1..=images).map(|j| view! { <th scope="col">{format!("image {j}")}</th> }).collect_view()}</tr></thead>
                            <tbody>
                                {e.prompt.tokens.iter().enumerate().map(|(i, &t)| view! {
                                    <tr><th scope="row">{word(t)}</th>{(0..images).map(|j| {
                                        let on = mask.allowed(i, j);
                                        view! { <td class:allowed=on>{if on { "✓" } else { "" }}</td> }
                                    }).collect_view()}</tr>
                                }).collect_view()}
                            </tbody>
                        }
                    })}
                </table>
            </details>

            <h3>"Measure: accuracy against the number of shots"</h3>
            <p>
                "Runs N seeded episodes for each number of shots from 0 to 8 and for each task, at the gate scale above, and counts the first answered word. "
                "Seed 0: the same episodes as " <code>"flamingo mini eval --seed 0"</code> "."
            </p>
            <div class="controls">
                <label>"Episodes per cell "
                    <input type="number" aria-label="Episodes per cell" min="1" max=MAX_N.to_string() prop:value=move || n.get().to_string()
                        on:change=move |ev| {
                            if let Ok(v) = event_target_value(&ev).parse::<usize>() { n.set(v.clamp(1, MAX_N)) }
                        } />
                </label>
                <button id="measure" disabled=move || running.get() || loaded.with(|l| !matches!(l, Some(Ok(()))))
                    on:click=move |_| measure()>"Measure"</button>
                <button id="measure-cancel" disabled=move || !running.get() on:click=move |_| cancelled.set(true)>"Cancel"</button>
                <progress id="measure-progress" max=move || measurement.with(|m| m.as_ref().map_or(1, |m| m.progress().1)).to_string()
                    value=move || measurement.with(|m| m.as_ref().map_or(0, |m| m.progress().0)).to_string()></progress>
                <span id="measure-status" role="status">{move || match (measurement.with(|m| m.as_ref().map(Measurement::progress)), seconds.get()) {
                    (Some((done, all)), None) if failed.with(Option::is_some) && !running.get() => format!("Stopped after {done} of {all} episodes: {}", failed.get().unwrap_or_default()),
                    (Some((done, all)), None) if cancelled.get() && !running.get() => format!("Cancelled after {done} of {all} episodes; the table keeps the numbers of shots counted in full."),
                    (Some((done, all)), None) => format!("{done} of {all} episodes"),
                    (Some((_, all)), Some(s)) => format!("{all} episodes in {s:.1} s, at gate scale {}", measured_scale.get()),
                    (None, _) => format!("{} episodes per cell, in pieces of {PIECE}", n.get()),
                }}</span>
            </div>
            <figure class="plot-figure">
                <canvas id="shots-figure" node_ref=plot width="640" height="300" role="img" aria-label="accuracy against the number of shots"></canvas>
                <figcaption class="export">
                    <button on:click=move |_| { if let Some(c) = plot.get_untracked() { report(download::png("shots-accuracy.png", &c).map_err(|e| format!("{e:?}"))); } }>"Download PNG"</button>
                    <button on:click=move |_| {
                        let a = accuracy.get_untracked();
                        report(figures::svg((640, 300), |r| figures::accuracy(r, &a, tasks)).and_then(|svg| download::text("shots-accuracy.svg", "image/svg+xml", &svg).map_err(|e| format!("{e:?}"))));
                    }>"Download SVG"</button>
                </figcaption>
            </figure>
            <table id="shots-accuracy">
                <thead><tr><th scope="col">"shots"</th><th scope="col">"colour task"</th><th scope="col">"shape task"</th><th scope="col">"mean"</th></tr></thead>
                <tbody>
                    {move || accuracy.get().into_iter().enumerate().filter_map(|(k, a)| a.map(|(per, mean)| view! {
                        <tr data-shots=k.to_string() data-accuracy=mean.to_string()>
                            <td>{k}</td><td>{format!("{:.3}", per[0])}</td><td>{format!("{:.3}", per[1])}</td><td>{format!("{mean:.3}")}</td>
                        </tr>
                    })).collect_view()}
                </tbody>
            </table>
            <p class="note">
                "What to expect: with no shots the prompt does not say which task it is, so the model guesses one (it tends to answer a colour): about half right over both tasks. "
                "One shot shows the task; from there accuracy should stay near the captions' own. At gate scale 0 the model cannot see, and accuracy falls to about chance."
            </p>
        </section>
    }
}
