//! The lesson's exercises as widgets: the two mask rules side by side, the few-shot
//! prompt builder, and a batch of prompts with different image counts.

use flamingo::{Interleaved, MaskRule, MediaMask, Segment};
use leptos::prelude::*;

use super::Slider;
use crate::state::batch::{PadSide, Slot, captioned, pad};
use crate::state::few_shot::{self, MAX_SHOTS};
use crate::state::sequence::prompt;
use crate::state::url_state::UrlState;

/// Tokens as rows, images as columns, ✓ where a token may attend.
#[component]
fn MaskGrid(
    /// Row labels.
    rows: Vec<String>,
    /// The mask.
    mask: MediaMask,
    /// Column labels.
    columns: Vec<String>,
    /// Caption.
    caption: String,
    /// Test hook.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    view! {
        <table class="mask-grid" id=id>
            <caption>{caption}</caption>
            <thead><tr><th scope="col">"token"</th>{columns.into_iter().map(|c| view! { <th scope="col">{c}</th> }).collect_view()}</tr></thead>
            <tbody>
                {rows.into_iter().enumerate().map(|(i, r)| view! {
                    <tr>
                        <th scope="row">{r}</th>
                        {(0..mask.media()).map(|j| { let a = mask.allowed(i, j); view! { <td data-allowed=a.to_string() class:allowed=a>{if a { "✓" } else { "" }}</td> } }).collect_view()}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

fn image_columns(n: usize) -> Vec<String> {
    (1..=n).map(|j| format!("image {j}")).collect()
}

fn token_rows(p: &Interleaved) -> Vec<String> {
    p.segments
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{i}: {s}"))
        .collect()
}

/// The sequence panel's prompt under both rules.
#[component]
pub fn Rules(state: RwSignal<UrlState>) -> impl IntoView {
    let sequence = Memo::new(move |_| state.with(prompt));
    view! {
        <section id="rules" aria-labelledby="rules-title">
            <h2 id="rules-title">"Most recent image or all preceding images?"</h2>
            <p>"The same sequence as above under both rules. Flamingo lets each token attend only to the latest image before it. That keeps every token's visual input to one image's K tokens however many images the prompt holds, so a model trained with a handful of images per example still works with 32 at test time; earlier images are not lost, because the language model's own self-attention carries what earlier tokens saw. Attending to all preceding images gives each token more to look at, but the amount grows with the prompt and the model must learn to tell the images apart; the Flamingo paper reports the single-image rule working better."</p>
            <div class="side-by-side">
                {move || sequence.with(|p| {
                    let n = p.media_frames().len();
                    view! {
                        <MaskGrid rows=token_rows(p) mask=p.mask(MaskRule::MostRecent) columns=image_columns(n) caption="most recent image (Flamingo)".into() id="rules-recent" />
                        <MaskGrid rows=token_rows(p) mask=p.mask(MaskRule::AllPreceding) columns=image_columns(n) caption="all preceding images".into() id="rules-all" />
                    }
                })}
            </div>
        </section>
    }
}

/// Flamingo-80B, Table 1 of the paper: (shots, VQAv2 accuracy, COCO CIDEr).
const FLAMINGO_80B: [(usize, f32, f32); 3] = [(0, 56.3, 84.3), (4, 63.1, 103.2), (32, 67.6, 113.8)];

#[component]
pub fn FewShot() -> impl IntoView {
    let shots = RwSignal::new(3usize);
    let sequence = Memo::new(move |_| few_shot::prompt(shots.get()));
    view! {
        <section id="few-shot" aria-labelledby="few-shot-title">
            <h2 id="few-shot-title">"Few-shot prompt builder"</h2>
            <p>"The task: name the colour of the main object. Each example is an image, its answer and OpenFlamingo's end-of-chunk token; the query image comes last with its answer left open for the model to write."</p>
            <Slider label="Examples" min=0.0 max=MAX_SHOTS as f64 step=1.0 value=Signal::derive(move || shots.get() as f64) set=move |v| shots.set(v as usize) />
            <p class="prompt-text" id="few-shot-prompt">{move || sequence.with(ToString::to_string)}</p>
            <p class="aside" id="few-shot-counts">{move || sequence.with(|p| format!("{} tokens, {} images, so {} visual tokens at K = 64.", p.len(), p.media_frames().len(), 64 * p.media_frames().len()))}</p>
            <p id="few-shot-expectation">{move || few_shot::expectation(shots.get())}</p>
            <table class="results">
                <caption>"Flamingo-80B as the number of examples grows (Alayrac et al. 2022, Table 1)"</caption>
                <thead><tr><th scope="col">"examples"</th><th scope="col">"VQAv2 accuracy"</th><th scope="col">"COCO captions, CIDEr"</th></tr></thead>
                <tbody>{FLAMINGO_80B.iter().map(|(s, v, c)| view! { <tr><td>{*s}</td><td>{format!("{v:.1}")}</td><td>{format!("{c:.1}")}</td></tr> }).collect_view()}</tbody>
            </table>
            {move || sequence.with(|p| view! {
                <MaskGrid rows=token_rows(p) mask=p.mask(MaskRule::MostRecent) columns=image_columns(p.media_frames().len()) caption="which image each token sees (most recent image)".into() id="few-shot-mask" />
            })}
        </section>
    }
}

#[component]
pub fn Batch() -> impl IntoView {
    let counts = RwSignal::new([1usize, 3, 2]);
    let side = RwSignal::new(PadSide::Left);
    let batch = Memo::new(move |_| {
        let prompts: Vec<Interleaved> = counts.get().iter().map(|&n| captioned(n)).collect();
        pad(&prompts, side.get(), MaskRule::MostRecent)
    });
    view! {
        <section id="batch" aria-labelledby="batch-title">
            <h2 id="batch-title">"One batch, different numbers of images"</h2>
            <p>"OpenFlamingo stacks a batch's images into one tensor of shape (B, T_img, F, C, H, W), so every row needs the same number of image slots. Rows with fewer images are topped up with blank, all-zero images, and text is padded to the longest row: on the left when generating, so every row's next token sits at the end, and on the right in training. No mask is needed for the blank images: a row with k <image> markers never counts past k, so no token can select slot k + 1. They still pass through the vision encoder, which costs compute."</p>
            <div class="batch-controls">
                {(0..3).map(|r| view! {
                    <label>{format!("Row {} images ", r + 1)}
                        <select aria-label=format!("Row {} images", r + 1) on:change=move |ev| { if let Ok(n) = event_target_value(&ev).parse::<usize>() { counts.update(|c| c[r] = n.min(4)) } }>
                            {(0..=4).map(|n| view! { <option value=n.to_string() selected=move || counts.get()[r] == n>{n}</option> }).collect_view()}
                        </select>
                    </label>
                }).collect_view()}
                <label>"Padding "
                    <select aria-label="Padding side" on:change=move |ev| side.set(if event_target_value(&ev) == "right" { PadSide::Right } else { PadSide::Left })>
                        <option value="left">"left (generation)"</option>
                        <option value="right">"right (training)"</option>
                    </select>
                </label>
            </div>
            <p class="shape" id="batch-shape">{move || batch.with(|b| format!("{} rows × {} tokens, {} image slots each", b.rows.len(), b.tokens, b.images))}</p>
            {move || batch.with(|b| b.rows.iter().enumerate().map(|(r, row)| {
                let labels: Vec<String> = row.slots.iter().enumerate().map(|(i, s)| match s { Slot::Pad => format!("{i}: [pad]"), Slot::Token(t) => format!("{i}: {t}") }).collect();
                let columns: Vec<String> = (0..b.images).map(|j| if j < row.real_images { format!("image {}", j + 1) } else { format!("slot {} (blank)", j + 1) }).collect();
                view! {
                    <div class="batch-row" data-row=r>
                        <ol class="strip" aria-label=format!("row {} tokens", r + 1)>
                            {row.slots.iter().map(|s| match s {
                                Slot::Pad => view! { <li class="pad">"[pad]"</li> }.into_any(),
                                Slot::Token(t) => view! { <li class:media=matches!(t, Segment::Media { .. })>{t.to_string()}</li> }.into_any(),
                            }).collect_view()}
                        </ol>
                        <MaskGrid rows=labels mask=row.mask.clone() columns=columns caption=format!("row {}: {} real image(s), {} blank", r + 1, row.real_images, b.images - row.real_images) />
                    </div>
                }
            }).collect_view())}
            <p class="aside">"With right padding, pad tokens after the text still count the last <image> and so may attend to it; the language model's attention mask and the loss ignore those positions, so it does no harm."</p>
        </section>
    }
}
