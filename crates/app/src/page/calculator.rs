//! The parameter calculator: a preset's shapes, editable, counted by the core.

use flamingo::params::ModelPreset;
use leptos::prelude::*;

/// The editable shape of a model.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fields {
    lm_width: usize,
    lm_layers: usize,
    every: usize,
    depth: usize,
    latents: usize,
    vision_width: usize,
    vision_millions: usize,
}

impl Fields {
    fn of(p: &ModelPreset) -> Self {
        Self {
            lm_width: p.lm_width,
            lm_layers: p.lm_layers,
            every: p.cross_attn_every,
            depth: p.resampler_depth,
            latents: p.num_latents,
            vision_width: p.vision_width,
            vision_millions: (p.vision_params / 1_000_000) as usize,
        }
    }

    /// The preset with these shapes; the frozen LM rescaled by `with_lm_shape`.
    fn model(&self, base: &ModelPreset) -> ModelPreset {
        let mut m = base.clone().with_lm_shape(self.lm_width, self.lm_layers);
        m.cross_attn_every = self.every;
        m.resampler_depth = self.depth;
        m.num_latents = self.latents;
        m.vision_width = self.vision_width;
        m.vision_params = self.vision_millions as u64 * 1_000_000;
        m
    }
}

/// 1_234_567_890 → "1.23 B".
pub fn human(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.2} B", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.1} M", n as f64 / 1e6),
        n => n.to_string(),
    }
}

#[component]
pub fn Calculator() -> impl IntoView {
    let presets = StoredValue::new(ModelPreset::all());
    let base = RwSignal::new(2usize);
    let fields = RwSignal::new(presets.with_value(|p| Fields::of(&p[2])));
    let problem = RwSignal::new(None::<String>);
    let model = Memo::new(move |_| {
        let i = base.get();
        presets.with_value(|p| fields.with(|f| f.model(&p[i])))
    });
    let count = Memo::new(move |_| model.with(ModelPreset::count));
    let field = move |label: &'static str,
                      (lo, hi): (usize, usize),
                      get: fn(&Fields) -> usize,
                      set: fn(&mut Fields, usize)| {
        let change =
            move |ev: leptos::ev::Event| match event_target_value(&ev).trim().parse::<usize>() {
                Ok(v) if (lo..=hi).contains(&v) => {
                    fields.update(|f| set(f, v));
                    problem.set(None);
                }
                _ => problem.set(Some(format!(
                    "{label} must be a whole number from {lo} to {hi}; kept {}.",
                    fields.with_untracked(get)
                ))),
            };
        view! {
            <label class="field">{label}
                <input type="number" min=lo.to_string() max=hi.to_string() step="1" aria-label=label
                    prop:value=move || fields.with(get).to_string() on:change=change />
            </label>
        }
    };
    let published = move || {
        let i = base.get();
        presets.with_value(|p| p[i].published)
    };
    view! {
        <section id="calculator" aria-labelledby="calculator-title">
            <h2 id="calculator-title">"How much of the model is trained?"</h2>
            <p>"Flamingo trains only what it adds: the resampler and the gated blocks. Pick a model, change its shapes, and watch the trained share move. Counts come from the same shapes as the blocks on this page (bias-free linear layers, LayerNorms, GELU feed-forwards 4× wide)."</p>
            <label>"Model "
                <select aria-label="Model preset" on:change=move |ev| {
                    if let Ok(i) = event_target_value(&ev).parse::<usize>() && let Some(f) = presets.with_value(|p| p.get(i).map(Fields::of)) {
                        base.set(i);
                        fields.set(f);
                        problem.set(None);
                    }
                }>
                    {presets.with_value(|p| p.iter().enumerate().map(|(i, p)| view! { <option value=i.to_string() selected=move || base.get() == i>{p.name}</option> }).collect_view())}
                </select>
            </label>
            <div class="fields">
                {field("LM width", (64, 65_536), |f| f.lm_width, |f, v| f.lm_width = v)}
                {field("LM layers", (1, 512), |f| f.lm_layers, |f, v| f.lm_layers = v)}
                {field("Cross-attention every M layers", (1, 512), |f| f.every, |f, v| f.every = v)}
                {field("Resampler depth", (1, 24), |f| f.depth, |f, v| f.depth = v)}
                {field("Latents K", (1, 1024), |f| f.latents, |f, v| f.latents = v)}
                {field("Resampler width (vision features)", (64, 8192), |f| f.vision_width, |f, v| f.vision_width = v)}
                {field("Vision encoder (millions)", (1, 100_000), |f| f.vision_millions, |f, v| f.vision_millions = v)}
            </div>
            <Show when=move || problem.with(Option::is_some)>
                <p class="error" role="alert" id="calculator-error">{move || problem.get().unwrap_or_default()}</p>
            </Show>
            <dl class="readouts params">
                <dt>"Trained (resampler + gated blocks)"</dt>
                <dd id="params-trained" data-value=move || count.get().trained().to_string()>{move || human(count.get().trained())}</dd>
                <dt>"Frozen (language model + vision encoder)"</dt>
                <dd id="params-frozen" data-value=move || count.get().frozen.to_string()>{move || human(count.get().frozen)}</dd>
                <dt>"Trained share"</dt>
                <dd id="params-fraction" data-value=move || count.get().trained_fraction().to_string()>{move || format!("{:.1} %", 100.0 * count.get().trained_fraction())}</dd>
                <dt>"Breakdown"</dt>
                <dd>{move || {
                    let c = count.get();
                    let m = model.get();
                    format!("resampler {} · {} gated blocks × {} = {} · frozen LM {} ({}) + vision {} ({})",
                        human(c.resampler), c.gated_block_count, human(c.gated_blocks / c.gated_block_count.max(1) as u64), human(c.gated_blocks),
                        human(m.lm_params), m.lm_name, human(m.vision_params), m.vision_name)
                }}</dd>
            </dl>
            <p class="published" id="params-published">{move || {
                let p = published();
                let trained = p.trained.map(|t| format!(", of which {} trained", human(t))).unwrap_or_default();
                format!("Published: {} in total{trained}. Source: {}.", human(p.total), p.source)
            }}</p>
            <p class="aside">"The frozen language model's size starts from its published figure and scales with layers × width² when you change those. Flamingo's own blocks differ in detail (squared-ReLU feed-forwards, wider heads), so our count and the published one need not agree to the last digit."</p>
        </section>
    }
}
