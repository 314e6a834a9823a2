//! The lineage diagnostic: a model config in, the Flamingo elements it shows out.

use flamingo::lineage::{PRESETS, Presence, diagnose};
use leptos::prelude::*;

#[component]
pub fn Lineage() -> impl IntoView {
    let preset = RwSignal::new(Some(0usize));
    let text = RwSignal::new(PRESETS[0].config.to_owned());
    let verdict = Memo::new(move |_| text.with(|t| diagnose(t)));
    view! {
        <section id="lineage" aria-labelledby="lineage-title">
            <h2 id="lineage-title">"Is it a Flamingo? A lineage diagnostic"</h2>
            <p>"Many open vision–language models descend from Flamingo, and their configs say how much of it they kept. Pick one, or paste a Hugging Face config.json, and read which of Flamingo's four elements it has."</p>
            <label>"Model "
                <select aria-label="Lineage preset" on:change=move |ev| {
                    match event_target_value(&ev).parse::<usize>() {
                        Ok(i) if i < PRESETS.len() => { preset.set(Some(i)); text.set(PRESETS[i].config.to_owned()); }
                        _ => preset.set(None),
                    }
                }>
                    {PRESETS.iter().enumerate().map(|(i, p)| view! { <option value=i.to_string() selected=move || preset.get() == Some(i)>{p.name}</option> }).collect_view()}
                    <option value="custom" selected=move || preset.get().is_none()>"your own config"</option>
                </select>
            </label>
            <p class="aside">{move || preset.get().map(|i| format!("Config: {}.", PRESETS[i].source)).unwrap_or_else(|| "Your own config, read as you type.".into())}</p>
            <textarea aria-label="Model config" rows="10" spellcheck="false" prop:value=move || text.get()
                on:input=move |ev| { text.set(event_target_value(&ev)); preset.set(None); }></textarea>
            {move || match verdict.get() {
                Err(e) => view! { <p class="error" role="alert" id="lineage-error">{format!("Cannot read this config: {e}.")}</p> }.into_any(),
                Ok(l) => view! {
                    <div id="lineage-card" class="card" data-elements=l.flamingo_elements().to_string()>
                        <h3>{format!("{} of Flamingo's 4 elements · {}", l.flamingo_elements(), l.family)}</h3>
                        <ul>
                            {l.elements.iter().map(|e| {
                                let (mark, word) = match e.presence { Presence::Yes => ("✓", "yes"), Presence::No => ("✗", "no"), Presence::Unknown => ("?", "unknown") };
                                view! { <li data-element=e.name data-presence=word><span class="mark" aria-hidden="true">{mark}</span>" " <strong>{e.name}</strong>{format!(" ({word}): {}", e.evidence)}</li> }
                            }).collect_view()}
                        </ul>
                        <p><strong>"Freezing: "</strong>{l.freezing.clone()}</p>
                        <p><strong>"Watch for: "</strong>{l.watch.clone()}</p>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}
