//! Few-shot, live: one episode built from the controls, with its mask and the
//! trained model's answer; and "Measure", which counts accuracy against the number
//! of shots over seeded episodes, its pieces shared across the pool's workers so the
//! page's own thread only draws.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::trained::{Given, Model, with_model};
use super::{Slider, now_ms, report};
use crate::compute::scheduler::Newest;
use crate::figures::trained_figures as figures;
use crate::figures::{canvas, download};
use crate::state::tour;
use crate::state::url_state::UrlState;
use flamingo::{MaskRule, MediaMask};
use lab::episode::{OwnEpisode, Teaching, answer_words};
use lab::measure::{Measurement, PIECE, PieceOrder};
use mini::inference::Step;
use mini::scene::{Picture, Rng};
use mini::vocab::{Episode, IMAGE, MAX_SHOTS, Task, word};

/// Measure's episodes per task and number of shots unless the student asks otherwise.
const DEFAULT_N: usize = 100;
/// The most a student may ask for: 1,000 × 18 cells is a few minutes here.
const MAX_N: usize = 1000;
/// The same seed `flamingo mini eval` uses by default, so its episodes are these.
const MEASURE_SEED: u64 = 0;

fn episode_of(s: &UrlState) -> Episode {
    Episode::sample(&mut Rng::new(s.episode), s.task, s.shots)
}

/// A picture in an episode's token row, as the model sees it.
#[component]
fn Thumbnail(picture: Picture, label: String) -> impl IntoView {
    let image = NodeRef::<leptos::html::Img>::new();
    Effect::new(move |_| {
        if let Some(i) = image.get() {
            let _ = canvas::still_picture(&i, &picture);
        }
    });
    view! { <img class="picture" node_ref=image alt=label /> }
}

/// The answer word a student picked for a shot, from the model's colour and shape words.
#[component]
fn AnswerPick(shot: usize, own: RwSignal<OwnEpisode>) -> impl IntoView {
    let picked = move || own.with(|o| o.shots.get(shot).and_then(|s| s.answer));
    // Each option says whether it is the one picked: a select's own value, set before
    // its options exist, would not hold.
    view! {
        <select aria-label=format!("answer for shot {}", shot + 1)
            on:change=move |ev| {
                let v = event_target_value(&ev);
                let answer = answer_words().into_iter().find(|&a| word(a) == v);
                own.update(|o| if let Some(s) = o.shots.get_mut(shot) { s.answer = answer });
            }>
            <option value="" prop:selected=move || picked().is_none()>"pick its answer…"</option>
            {answer_words().into_iter().map(|a| view! {
                <option value=word(a) prop:selected=move || picked() == Some(a)>{word(a)}</option>
            }).collect_view()}
        </select>
    }
}

#[component]
pub(super) fn FewShotLive(
    state: RwSignal<UrlState>,
    model: Model,
    loaded: RwSignal<Option<Result<(), String>>>,
    pool: crate::compute::pool::Shared,
    /// The student's drawing or picture, from the trained panel.
    own: RwSignal<Option<Given>>,
) -> impl IntoView {
    let episode = Memo::new(move |_| state.with(episode_of));
    // The student's own episode stays in the page, like their pictures.
    let yours = RwSignal::new(OwnEpisode::default());
    let showing_yours = RwSignal::new(false);
    // The episode answered and drawn: the seeded one, or the student's once complete.
    let shown = Memo::new(move |_| {
        if showing_yours.get() {
            yours.with(OwnEpisode::teaching)
        } else {
            Ok(episode.with(Teaching::of))
        }
    });
    let scale = Memo::new(move |_| state.with(|s| s.scale));
    // The answer shown, with the gate scale it answers (`data-scale`).
    let answer = RwSignal::new(None::<(Step, f32)>);
    // The answer follows the gate scale only while the panel is near the screen: a drag
    // at the top of the page does not compute it, and scrolling here does.
    let panel = NodeRef::<leptos::html::Section>::new();
    // Not near until the observer says so (it answers once at once): the panel is
    // mounted after the first screen, with the model already loaded.
    let near = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(panel) = panel.get() {
            canvas::watch_near(&panel, near);
        }
    });
    {
        let model = model.clone();
        // When it is on screen with the gate scale, it is computed in a task of its own
        // after the frame that shows the caption, and a drag's later step replaces one
        // not yet begun.
        let asked = StoredValue::new_local(Newest::default());
        Effect::new(move |_| {
            let Ok(teaching) = shown.get() else {
                answer.set(None);
                return;
            };
            let scale = scale.get();
            if !near.get() || loaded.with(|l| !matches!(l, Some(Ok(())))) {
                return;
            }
            let model = model.clone();
            asked.with_value(|asked| {
                asked.after_this_task(move || {
                    spawn_local(async move {
                        if let Some(step) =
                            with_model(&model, async |t| t.answer(&teaching, scale).await).await
                        {
                            // Latest wins: an answer to an episode no longer shown is dropped.
                            if shown.with_untracked(|s| s.as_ref() == Ok(&teaching)) {
                                answer.set(Some((step, scale)));
                            }
                        }
                    });
                })
            });
        });
    }
    let own_message = RwSignal::new(None::<String>);
    let take_own = move |as_query: bool| {
        let Some(given) = own.get_untracked() else {
            return;
        };
        let added = yours.try_update(|o| {
            if as_query {
                o.set_query(&given.picture, given.name.clone());
                Ok(())
            } else {
                o.add_shot(&given.picture, given.name.clone())
            }
        });
        own_message.set(added.and_then(Result::err));
        showing_yours.set(true);
    };

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
                        Ok(counts) => some.iter().zip(counts).for_each(|(p, c)| m.add(p, &c)),
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
            let touring =
                state.with(|s| tour::current(s).is_some_and(|step| step.panel == "few-shot-live"));
            if ready && touring && measurement.with_untracked(Option::is_none) {
                measure();
            }
        });
    }
    let accuracy = Memo::new(move |_| {
        // Before "Measure", the axes already count the shots it will measure.
        measurement.with(|m| {
            m.as_ref()
                .map_or_else(|| vec![None; MAX_SHOTS + 1], Measurement::accuracy)
        })
    });
    let tasks = Task::ALL.map(Task::word);
    Effect::new(move |_| {
        canvas::track_room();
        let a = accuracy.get();
        if let Some(c) = plot.get() {
            report(canvas::draw_figure(c, |r| figures::accuracy(r, &a, tasks)));
        }
    });

    view! {
        <section id="few-shot-live" aria-labelledby="few-shot-live-title" node_ref=panel>
            <h2 id="few-shot-live-title">"Few-shot learning, measured live"</h2>
            <p>
                "An episode shows the trained model some pictures, each followed by \": answer\" and the end-of-chunk marker, then a query picture and \":\". "
                "The task (name the colour, or name the shape) is never said: the model must infer it from the shots, with no gradient step."
            </p>
            <fieldset class="controls episode-source">
                <legend>"The episode"</legend>
                <label><input type="radio" name="episode-source" prop:checked=move || !showing_yours.get() on:change=move |_| showing_yours.set(false) />"seeded scenes"</label>
                <label><input type="radio" name="episode-source" prop:checked=move || showing_yours.get() on:change=move |_| showing_yours.set(true) />"your own pictures"</label>
            </fieldset>
            <div class="controls" id="seeded-episode" hidden=move || showing_yours.get()>
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
            <div id="own-episode" class="own-episode" hidden=move || !showing_yours.get()>
                <p>
                    "Teach it yourself: draw on the pad above (or choose a picture), add it here as a shot and pick the answer it teaches, "
                    "two or three times with different pictures; then draw one more and use it as the query. Answer every shot with a colour, or every shot with a shape, "
                    "and see whether the model answers the query in kind."
                </p>
                <div class="controls">
                    <button id="own-add-shot" disabled=move || own.with(Option::is_none) on:click=move |_| take_own(false)>"Add your picture as a shot"</button>
                    <button id="own-set-query" disabled=move || own.with(Option::is_none) on:click=move |_| take_own(true)>"Use your picture as the query"</button>
                    <button on:click=move |_| { yours.set(OwnEpisode::default()); own_message.set(None); }>"Start again"</button>
                </div>
                <p class="note" hidden=move || own.with(Option::is_some)>"Draw on the pad or choose a picture in the section above first."</p>
                <ol class="own-shots" aria-label="your episode">
                    {move || yours.with(|o| o.shots.iter().enumerate().map(|(i, s)| view! {
                        <li>
                            <Thumbnail picture=s.picture.clone() label=format!("shot {}: {}", i + 1, s.name) />
                            <span>{format!("shot {}", i + 1)}</span>
                            <AnswerPick shot=i own=yours />
                            <button aria-label=format!("remove shot {}", i + 1) on:click=move |_| yours.update(|o| { o.shots.remove(i); })>"Remove"</button>
                        </li>
                    }).collect_view())}
                    {move || yours.with(|o| o.query.clone()).map(|(picture, name)| view! {
                        <li>
                            <Thumbnail picture=picture label=format!("the query: {name}") />
                            <span>"query"</span>
                            <button aria-label="remove the query" on:click=move |_| yours.update(|o| o.query = None)>"Remove"</button>
                        </li>
                    })}
                </ol>
                <p id="own-episode-status" role="status">{move || own_message.get().or_else(|| yours.with(|o| o.teaching().err())).unwrap_or_default()}</p>
            </div>
            <ol class="episode" id="episode-prompt" aria-label="the episode's tokens">
                {move || shown.get().ok().map(|t| {
                    let pictures = t.pictures();
                    let mut next = 0;
                    t.tokens().into_iter().map(|tok| {
                        if tok == IMAGE {
                            let picture = pictures[next].clone();
                            next += 1;
                            view! { <li class="token image"><Thumbnail picture=picture label=format!("image {next}") /></li> }.into_any()
                        } else {
                            view! { <li class="token">{word(tok)}</li> }.into_any()
                        }
                    }).collect_view()
                })}
            </ol>
            <p>"The model's answer: "
                <output id="few-shot-answer" data-scale=move || answer.with(|a| a.as_ref().map(|(_, s)| s.to_string()))>{move || answer.with(|a| a.as_ref().map(|(a, _)| {
                    let top: Vec<String> = a.top(4).into_iter().map(|(w, p)| format!("{w} {p:.3}")).collect();
                    format!("{} (p = {:.3}); likeliest: {}", a.word(), a.probability(), top.join(", "))
                }).unwrap_or_else(|| "…".into()))}</output>
                {move || (!showing_yours.get()).then(|| format!(" · expected: {}", word(episode.with(|e| e.answer))))}
            </p>
            <details>
                <summary>"The episode's mask: which image each token sees"</summary>
                <table id="few-shot-live-mask" class="mask-grid">
                    {move || shown.get().ok().map(|t| {
                        let locations = t.media_locations();
                        let tokens = t.tokens();
                        let images = locations.iter().filter(|&&l| l).count();
                        let mask = MediaMask::new(&locations, images, MaskRule::MostRecent);
                        view! {
                            <thead><tr><th scope="col">"token"</th>{(1..=images).map(|j| view! { <th scope="col">{format!("image {j}")}</th> }).collect_view()}</tr></thead>
                            <tbody>
                                {tokens.iter().enumerate().map(|(i, &t)| view! {
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
                "Runs N seeded episodes for each task at the gate scale above, asks each one with 0 to 8 of its shots (keeping the shots nearest the query), and counts the first answered word. "
                "Every row asks the same queries, so the rows differ only in the shots shown; they sharpen together as the pieces come back. "
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
                    (Some((done, all)), None) if cancelled.get() && !running.get() => format!("Cancelled after {done} of {all} episodes; the table keeps the episodes counted."),
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
