//! The Flamingo Explainer page. For now a placeholder that builds and mounts;
//! the panels computing with `crates/flamingo` come next.

use leptos::prelude::*;

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <main>
            <h1>"Flamingo Explainer"</h1>
            <p>
                "How DeepMind's Flamingo joins a vision encoder to a frozen language model: "
                "the Perceiver resampler, tanh-gated cross-attention and interleaved image masks, "
                "computed in your browser."
            </p>
            <p id="status">"The interactive panels are on their way."</p>
        </main>
    }
}
