//! BLIP-2 and Flamingo side by side.

use leptos::prelude::*;

const ROWS: [(&str, &str, &str); 7] = [
    (
        "Where vision meets the LM",
        "Once, at the input: a Q-Former's 32 query outputs are projected and put in front of the text, like extra words.",
        "Inside the LM: a gated cross-attention block before every M-th layer, where text reads the visual tokens.",
    ),
    (
        "Visual tokens per image",
        "32, from the Q-Former's learned queries.",
        "K = 64 from the Perceiver resampler, read again by every gated block.",
    ),
    (
        "The language model",
        "Frozen.",
        "Frozen; a zero-initialised tanh gate makes the start exactly the LM.",
    ),
    (
        "Several images in one prompt",
        "Not designed for it: the visual prefix is one image's tokens.",
        "The design goal: images anywhere in the text, each token reading the latest one.",
    ),
    (
        "Few-shot in context",
        "Weak.",
        "Strong; the paper's headline result.",
    ),
    (
        "What trains",
        "The Q-Former and a projection, about 188M parameters.",
        "The resampler and gated blocks: about 10B for Flamingo-80B.",
    ),
    (
        "Choose it for",
        "One image and a question, on a budget.",
        "Interleaved, multi-image and few-shot work.",
    ),
];

#[component]
pub fn Comparison() -> impl IntoView {
    view! {
        <section id="blip2" aria-labelledby="blip2-title">
            <h2 id="blip2-title">"BLIP-2 and Flamingo"</h2>
            <p>"Both keep the language model frozen and learn a small set of queries that summarise an image. They differ in where the summary enters: BLIP-2 hands it over once, as a prefix to the input; Flamingo lets the text consult it again and again, every M layers, through gates that start closed."</p>
            <table class="results">
                <thead><tr><th scope="col">""</th><th scope="col">"BLIP-2"</th><th scope="col">"Flamingo"</th></tr></thead>
                <tbody>{ROWS.iter().map(|(what, blip, flamingo)| view! { <tr><th scope="row">{*what}</th><td>{*blip}</td><td>{*flamingo}</td></tr> }).collect_view()}</tbody>
            </table>
        </section>
    }
}
