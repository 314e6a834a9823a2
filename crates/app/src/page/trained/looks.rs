//! Where the trained model looks: each latent's attention over the patches laid over the
//! picture, the patches a caption word reaches, and each block's cross-attention.

use leptos::prelude::*;

use crate::figures::canvas;
use crate::figures::heatmap::Axis;
use crate::page::Heatmap;
use lab::trained::{Caption, GRID};
use mini::scene::Picture;
use mini::vocab::word;

#[component]
pub(super) fn WhereItLooks(
    caption: RwSignal<Option<Caption>>,
    /// The 32 × 32 the model saw, for the pictures under the overlays.
    fitted: RwSignal<Option<Picture>>,
) -> impl IntoView {
    let hovered = RwSignal::new(None::<usize>);
    let reach_picture = NodeRef::<leptos::html::Img>::new();
    let reach_overlay = NodeRef::<leptos::html::Img>::new();
    // The patches a hovered word reaches, drawn when they change: a gate step with no
    // word pointed at leaves the overlay and the picture under it as they were.
    let reach = Memo::new(move |_| {
        let word = hovered.get();
        caption.with(|c| c.as_ref().zip(word).map(|(c, w)| c.reach(w)))
    });
    Effect::new(move |_| {
        reach.with(|reach| {
            if let Some(o) = reach_overlay.get() {
                let _ = canvas::still_overlay(&o, GRID, reach.as_deref());
            }
        })
    });
    Effect::new(move |_| {
        if let Some(p) = reach_picture.get()
            && let Some(f) = fitted.get()
        {
            let _ = canvas::still_picture(&p, &f);
        }
    });
    // The words as buttons, rebuilt only when the words change, not at every gate step.
    let words = Memo::new(move |_| {
        caption.with(|c| {
            c.as_ref()
                .map(|c| c.words.iter().map(|w| w.step.word()).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    });
    let latents = Memo::new(move |_| {
        caption.with(|c| {
            c.as_ref()
                .map(|c| c.latent_attention.clone())
                .unwrap_or_default()
        })
    });
    let cross = move |block: usize| {
        Signal::derive(move || {
            caption.with(|c| {
                c.as_ref()
                    .and_then(|c| {
                        c.cross_attention
                            .get(block)
                            .map(|v| (v.clone(), c.tokens.len(), c.k()))
                    })
                    .unwrap_or_default()
            })
        })
    };
    let cross_axes = Signal::derive(move || {
        caption.with(|c| {
            let (tokens, k) = c
                .as_ref()
                .map_or((Vec::new(), 8), |c| (c.tokens.clone(), c.k()));
            (
                Axis::counting("visual token (latent)", k, 1),
                Axis {
                    title: "input token".into(),
                    ticks: tokens
                        .iter()
                        .enumerate()
                        .map(|(i, &t)| (i, word(t).to_owned()))
                        .collect(),
                },
            )
        })
    });
    const TRAINED: &str =
        "Trained weights (the shipped mini-Flamingo): these patterns were learned.";

    view! {
            <h3>"Where the trained model looks"</h3>
            <p>"Each of the K = 8 latents' attention over the 8 × 8 patches (the resampler's last layer, mean over heads), laid over the picture:"</p>
            <div class="latents" id="latent-overlays">
                {move || {
                    let rows = latents.get();
                    (0..rows.len() / (GRID * GRID)).map(|k| {
                        let row = rows[k * GRID * GRID..(k + 1) * GRID * GRID].to_vec();
                        let picture = NodeRef::<leptos::html::Img>::new();
                        let layer = NodeRef::<leptos::html::Img>::new();
                        Effect::new(move |_| {
                            if let (Some(p), Some(l)) = (picture.get(), layer.get()) {
                                if let Some(f) = fitted.get() {
                                    let _ = canvas::still_picture(&p, &f);
                                }
                                let _ = canvas::still_overlay(&l, GRID, Some(&row));
                            }
                        });
                        view! {
                            <figure class="latent">
                                <div class="stack">
                                    <img class="picture" node_ref=picture alt=format!("latent {}'s attention over the patches", k + 1) />
                                    <img class="overlay" node_ref=layer alt="" />
                                </div>
                                <figcaption>{format!("latent {}", k + 1)}</figcaption>
                            </figure>
                        }
                    }).collect_view()
                }}
            </div>
            <div class="reach">
                <div class="stack reach-stack">
                    <img class="picture" node_ref=reach_picture alt="the patches the chosen caption word reaches" />
                    <img id="reach-overlay" class="overlay" node_ref=reach_overlay alt="" />
                </div>
                <div>
                    <p>"Point at or tab to a generated word to light up the patches it reaches:"</p>
                    <p class="words" id="caption-words">
                        {move || words.get().into_iter().enumerate().map(|(i, text)| {
                            view! {
                                <button class="word" aria-pressed=move || (hovered.get() == Some(i)).to_string()
                                    on:mouseenter=move |_| hovered.set(Some(i)) on:focus=move |_| hovered.set(Some(i))
                                    on:mouseleave=move |_| hovered.set(None) on:blur=move |_| hovered.set(None)>{text}</button>
                            }
                        }).collect_view()}
                    </p>
                    <p class="note">"An approximation: the word's attention over the 8 visual tokens (mean over heads and both blocks) times each latent's attention over the patches. It leaves out the residual paths, the resampler's first layer and feed-forwards, and what the latents read from one another."</p>
                </div>
            </div>
            <div class="heatmaps-pair">
                <div>
                    <h4>"Block 1: input tokens × visual tokens"</h4>
                    <Heatmap data=cross(0) axes=cross_axes label="block 1's cross-attention of each input token to each visual token" id="trained-xattn-1" caveat=TRAINED />
                </div>
                <div>
                    <h4>"Block 2: input tokens × visual tokens"</h4>
                    <Heatmap data=cross(1) axes=cross_axes label="block 2's cross-attention of each input token to each visual token" id="trained-xattn-2" caveat=TRAINED />
                </div>
            </div>
    }
}
