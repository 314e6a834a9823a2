//! The whole trained mini-Flamingo at a glance, from the caption the trained panel has
//! just computed: the picture, the frozen encoder's patch features, the resampler's
//! latents, the frozen LM's layers with the gated blocks where they sit, and the next
//! word. Every number is the caption's own; the shapes on the arrows come from its
//! tensors. Activating a stage opens its detail further down the page.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::figures::canvas;
use crate::figures::heatmap::Range;
use crate::state::tour;
use crate::state::url_state::{Stage, UrlState};
use lab::trained::{Caption, GRID};
use mini::vocab::{WORDS, word};

/// The element a stage opens.
fn detail(stage: Stage) -> &'static str {
    match stage {
        Stage::Picture => "#given-picture",
        Stage::Encoder => "#latent-overlays",
        Stage::Resampler => "#resampler",
        Stage::Block(_) => "#gate",
        Stage::Lm(_) | Stage::NextWord => "#logit-lens",
    }
}

fn element(selector: &str) -> Option<web_sys::HtmlElement> {
    document()
        .query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into().ok())
}

fn scroll_to(el: &web_sys::Element) {
    super::bring_into_view(el, web_sys::ScrollLogicalPosition::Center);
}

/// A `[a, b]` shape as written on an arrow.
fn shape(dims: &[usize]) -> String {
    let dims: Vec<String> = dims.iter().map(usize::to_string).collect();
    format!("[{}]", dims.join(", "))
}

/// A small 8 × 8 map drawn from values the caption carries.
#[component]
fn Grid(#[prop(into)] values: Signal<Vec<f32>>, label: &'static str) -> impl IntoView {
    let image = NodeRef::<leptos::html::Img>::new();
    Effect::new(move |_| {
        let v = values.get();
        if let Some(i) = image.get()
            && v.len() == GRID * GRID
        {
            let _ = canvas::still(&i, ("heatmap", GRID, canvas::bits(&v)), |c| {
                canvas::draw_heatmap(c, &v, GRID, GRID, Range::of(&v))
            });
        }
    });
    view! { <img class="grid" node_ref=image alt=label /> }
}

/// tanh(scale · α) on a half dial from −1 to 1.
#[component]
fn Dial(value: Signal<f32>) -> impl IntoView {
    let needle = move || {
        let a = std::f32::consts::FRAC_PI_2 * value.get().clamp(-1.0, 1.0);
        (20.0 + 15.0 * a.sin(), 21.0 - 15.0 * a.cos())
    };
    view! {
        <svg class="dial" viewBox="0 0 40 24" aria-hidden="true">
            <path d="M3 21 A17 17 0 0 1 37 21" fill="none" stroke="currentColor" stroke-opacity="0.35" stroke-width="3" />
            <line x1="20" y1="21" x2=move || needle().0 y2=move || needle().1 stroke="currentColor" stroke-width="2" />
        </svg>
    }
}

#[component]
pub(super) fn Overview(
    state: RwSignal<UrlState>,
    caption: RwSignal<Option<Caption>>,
    /// Set once the panels below the first screen are there (`super::later`): a stage's
    /// detail may be one of them.
    ready: RwSignal<bool>,
) -> impl IntoView {
    let have = move || caption.with(Option::is_some);
    let read =
        move |f: fn(&Caption) -> String| caption.with(|c| c.as_ref().map(f)).unwrap_or_default();
    let focus = Memo::new(move |_| caption.with(|c| c.as_ref().map(Caption::focus)));
    let gates = Memo::new(move |_| {
        caption.with(|c| c.as_ref().map(|c| c.gates.clone()).unwrap_or_default())
    });
    // How much the picture flows in: the widest attention gate, for the fade. Set on
    // the parts that fade, not the whole figure: a custom property restyles all below it.
    let seeing = Memo::new(move |_| {
        let widest = gates.with(|g| g.iter().map(|g| g[0].abs()).fold(0.0f32, f32::max));
        format!("{:.3}", (widest / 0.5).min(1.0))
    });
    // The LM's layers in order, each with the block before it, if any.
    let layers = Memo::new(move |_| {
        caption.with(|c| {
            c.as_ref()
                .map(|c| c.blocks_before.clone())
                .unwrap_or_default()
        })
    });

    let open = move |stage: Stage| state.update(|s| s.open = Some(stage));
    // The open stage's detail: scrolled to and marked; the mark moves with the URL.
    Effect::new(move |previous: Option<(Option<Stage>, bool)>| {
        let (now, touring) = state.with(|s| {
            (
                s.open,
                tour::current(s).is_some_and(|step| step.stage == s.open),
            )
        });
        let here = (now, ready.get());
        if previous == Some(here) {
            return here;
        }
        let target = now.and_then(|s| element(detail(s)));
        // Marked already (the panels arrived after it was opened): left where it is.
        if previous.is_some_and(|(then, _)| then == now)
            && target
                .as_ref()
                .is_some_and(|el| el.class_list().contains("opened"))
        {
            return here;
        }
        if let Ok(marked) = document().query_selector_all(".opened") {
            for i in 0..marked.length() {
                if let Some(e) = marked
                    .item(i)
                    .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                {
                    let _ = e.class_list().remove_1("opened");
                }
            }
        }
        if let Some(el) = target {
            let _ = el.class_list().add_1("opened");
            // A tour step opens its stage and scrolls to its own panel itself.
            if !touring {
                scroll_to(&el);
            }
        }
        here
    });
    let back = move || {
        let Some(stage) = state.with_untracked(|s| s.open) else {
            return;
        };
        state.update(|s| s.open = None);
        if let Some(o) = element("#overview") {
            scroll_to(&o);
        }
        if let Some(b) = element(&format!("#overview [data-stage=\"{}\"]", stage.name())) {
            let _ = b.focus();
        }
    };
    let _escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            back();
        }
    });

    let stage = move |s: Stage, title: String, body: AnyView| {
        view! {
            <button class="stage" data-stage=s.name() aria-pressed=move || (state.with(|st| st.open) == Some(s)).to_string()
                on:click=move |_| open(s)>
                <span class="stage-title">{title}</span>
                {body}
            </button>
        }
    };
    let arrow = |text: Signal<String>| view! { <span class="arrow" aria-hidden="true">"→"<span class="dims">{move || text.get()}</span></span> };

    // Memos: a gate-scale step changes the blocks, the lens and the next word, not the
    // picture, the encoder's features or the resampler's latents (they come before every
    // gate), so those are neither redrawn nor rewritten while the gate moves.
    let picture = NodeRef::<leptos::html::Img>::new();
    let seen = Memo::new(move |_| caption.with(|c| c.as_ref().map(|c| c.picture.clone())));
    Effect::new(move |_| {
        seen.with(|p| {
            if let (Some(p), Some(image)) = (p, picture.get()) {
                let _ = canvas::still_picture(&image, p);
            }
        })
    });
    let norms = Memo::new(move |_| {
        caption.with(|c| {
            c.as_ref()
                .map(|c| c.patch_norms.clone())
                .unwrap_or_default()
        })
    });
    let latents = Memo::new(move |_| {
        caption.with(|c| c.as_ref().map(Caption::latent_mean).unwrap_or_default())
    });
    let text = |f: fn(&Caption) -> String| Signal::from(Memo::new(move |_| read(f)));
    let pixels = text(|c| shape(&[c.picture.height, c.picture.width, 3]));
    let features = text(|c| shape(&c.features));
    let media = text(|c| shape(&c.media));
    // The forward that chose the focus word read the prompt and the words before it.
    let read_len = move || focus.get().map(|f| Caption::position_of(f) + 1);
    let tokens = Signal::from(Memo::new(move |_| {
        read_len().map(|t| shape(&[t])).unwrap_or_default()
    }));
    let logits = Signal::from(Memo::new(move |_| {
        read_len()
            .map(|t| shape(&[t, WORDS.len()]))
            .unwrap_or_default()
    }));
    // The prompt the focus word was chosen after.
    let prompt = Memo::new(move |_| {
        caption.with(|c| {
            c.as_ref().zip(focus.get()).map(|(c, f)| {
                let position = Caption::position_of(f);
                c.tokens[..=position]
                    .iter()
                    .map(|&t| word(t))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        })
    });
    // The next word's likeliest four, for the last stage's bars.
    let next = Memo::new(move |_| {
        caption.with(|c| {
            c.as_ref()
                .zip(focus.get())
                .map(|(c, f)| c.words[f].step.top(4))
                .unwrap_or_default()
        })
    });
    let focus_word = Memo::new(move |_| {
        caption
            .with(|c| {
                c.as_ref()
                    .zip(focus.get())
                    .map(|(c, f)| c.words[f].step.word().to_owned())
            })
            .unwrap_or_default()
    });

    view! {
        <figure id="overview" aria-labelledby="overview-title" data-scale=move || read(|c| c.scale.to_string())>
            <figcaption id="overview-title">
                <strong>"Flamingo lets a frozen language model look at pictures: "</strong>
                "a small one, trained here and computing in your browser. The picture becomes a few visual tokens, which gated blocks between the frozen layers let the text read. "
                "Drag “Gate scale”, give it a picture, choose a stage to open it (Escape comes back)."
            </figcaption>
            <Show when=have fallback=|| view! { <p class="note">"Loading the trained weights…"</p> }>
                <div class="flow vision" style:--seeing=seeing>
                    {stage(Stage::Picture, "picture".into(), view! { <img class="thumb" node_ref=picture alt="the 32 × 32 picture the model sees" /> }.into_any())}
                    {arrow(pixels)}
                    {stage(Stage::Encoder, "vision encoder".into(), view! {
                        <span class="frozen">"frozen"</span>
                        <Grid values=norms label="the length of each of the 64 patch features" />
                        <span class="reading">"64 patch features"</span>
                    }.into_any())}
                    {arrow(features)}
                    {stage(Stage::Resampler, "Perceiver resampler".into(), view! {
                        <Grid values=latents label="the latents' mean attention over the 64 patches" />
                        <span class="reading">{move || read(|c| format!("{} latents", c.k()))}</span>
                    }.into_any())}
                    <span class="arrow down" aria-hidden="true">"↓"<span class="dims">{move || media.get()}" to each block"</span></span>
                </div>
                <div class="flow text">
                    <span class="prompt" aria-label="the prompt so far">{move || prompt.get()}</span>
                    {arrow(tokens)}
                    {move || layers.get().into_iter().enumerate().map(|(i, block_before)| {
                        let block = layers.with_untracked(|l| l[..i].iter().filter(|&&b| b).count());
                        let gate = Signal::derive(move || gates.with(|g| g.get(block).map_or(0.0, |g| g[0])));
                        let ff = Signal::derive(move || gates.with(|g| g.get(block).map_or(0.0, |g| g[1])));
                        let share = Signal::derive(move || caption.with(|c| c.as_ref().and_then(|c| c.visual_share.get(block).copied()).unwrap_or(0.0)));
                        let lens = Signal::derive(move || caption.with(|c| c.as_ref().zip(focus.get()).and_then(|(c, f)| c.words[f].lens.get(i).copied()).unwrap_or(0.0)));
                        view! {
                            {block_before.then(|| view! {
                                <button class="stage block" data-stage=Stage::Block(block).name() data-gate=move || gate.get().to_string() style:--seeing=seeing
                                    aria-pressed=move || (state.with(|st| st.open) == Some(Stage::Block(block))).to_string()
                                    aria-label=move || format!("gated cross-attention block {}: tanh(attention gate) {:.3}, tanh(feed-forward gate) {:.3}, visual change {:.3}", block + 1, gate.get(), ff.get(), share.get())
                                    on:click=move |_| open(Stage::Block(block))>
                                    <span class="stage-title">{format!("gated block {}", block + 1)}</span>
                                    <Dial value=gate />
                                    <span class="reading">{move || format!("tanh = {:.3}", gate.get())}</span>
                                    <span class="reading">{move || format!("visual change {:.3}", share.get())}</span>
                                </button>
                            })}
                            {stage(Stage::Lm(i), format!("LM layer {}", i + 1), view! {
                                <span class="frozen">"frozen"</span>
                                <span class="reading">{move || format!("p({}) = {:.2}", focus_word.get(), lens.get())}</span>
                                <span class="lens-bar" style:transform=move || format!("scaleX({:.3})", lens.get())></span>
                            }.into_any())}
                        }
                    }).collect_view()}
                    {arrow(logits)}
                    {stage(Stage::NextWord, "next word".into(), view! {
                        <ol class="next-bars" data-probabilities=move || caption.with(|c| c.as_ref().zip(focus.get()).map(|(c, f)| {
                            c.words[f].step.probabilities.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(",")
                        })).unwrap_or_default()>
                            // Four rows kept, their words and bars changed in place.
                            {(0..4).map(|rank| {
                                let at = move || next.with(|n| n.get(rank).copied());
                                view! {
                                    <li><span class="word">{move || at().map(|(w, _)| w)}</span>
                                        <span class="bar" style:width=move || format!("{:.0}%", at().map_or(0.0, |(_, p)| p) * 100.0)></span>
                                        <span class="p">{move || at().map(|(_, p)| format!("{p:.2}"))}</span></li>
                                }
                            }).collect_view()}
                        </ol>
                    }.into_any())}
                </div>
            </Show>
            <a class="back-to-overview" href="#overview" hidden=move || state.with(|s| s.open.is_none())
                on:click=move |ev| { ev.prevent_default(); back(); }>"↑ back to the overview"</a>
        </figure>
    }
}
