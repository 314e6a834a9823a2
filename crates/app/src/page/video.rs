//! Video: T frames through the resampler, and what the temporal embeddings change.

use flamingo::burn::tensor::Device;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{Heatmap, Slider, format_diff};
use crate::compute::scheduler::Newest;
use crate::figures::heatmap::Axis;
use lab::{CLIP_MODEL, Clip, MAX_FRAMES, VideoMode, clip};

#[component]
pub fn Video(
    /// One frame's patch features and patch count, once the picture has loaded.
    features: RwSignal<Option<(Vec<f32>, usize)>>,
) -> impl IntoView {
    let frames = RwSignal::new(4usize);
    let mode = RwSignal::new(VideoMode::PerFrame);
    let embeddings = RwSignal::new(true);
    let result = RwSignal::new(None::<Clip>);
    let problem = RwSignal::new(None::<String>);
    // burn's CPU backend: the clip is classroom-sized, and it keeps this panel off the
    // main panels' worker. It is computed in a task of its own (tens of ms), so a frame or
    // a slider's input can come first, and only the newest request is.
    let device = Device::flex();
    let newest = StoredValue::new_local(Newest::default());
    Effect::new(move |_| {
        let (t, m, e) = (frames.get(), mode.get(), embeddings.get());
        let Some((f, n)) = features.get() else { return };
        let device = device.clone();
        newest.with_value(|newest| {
            newest.after_this_task(move || {
                spawn_local(async move {
                    match clip(&device, &f, n, t, m, e).await {
                        Ok(c) => {
                            result.set(Some(c));
                            problem.set(None);
                        }
                        Err(e) => problem.set(Some(e)),
                    }
                })
            })
        });
    });
    let data: Signal<(Vec<f32>, usize, usize)> = Memo::new(move |_| {
        result.with(|r| {
            r.as_ref()
                .map(|c| (c.attention.clone(), c.rows, c.cols))
                .unwrap_or_default()
        })
    })
    .into();
    let axes = Signal::derive(move || {
        result.with(|r| {
            let (k, _, _) = CLIP_MODEL;
            match r {
                Some(c) if c.rows > k => (
                    Axis::counting("patch", c.cols, 1),
                    Axis::blocks("frame, K latents each", c.rows / k, k, ""),
                ),
                Some(c) => (
                    Axis::blocks(
                        "patches, frame by frame",
                        c.cols / c.patches.max(1),
                        c.patches,
                        "frame",
                    ),
                    Axis::counting("latent", c.rows, 1),
                ),
                None => (
                    Axis::counting("patch", 0, 1),
                    Axis::counting("latent", 0, 1),
                ),
            }
        })
    });
    view! {
        <section id="video" aria-labelledby="video-title">
            <h2 id="video-title">"Video: frames and time"</h2>
            <p>"Here every frame is the same sunset picture, so only a temporal embedding can tell the frames apart. Resampling each frame on its own, with a learned embedding per time step added to its patches, gives K tokens per frame: T·K for the clip, the count the lesson gives. The Flamingo paper and helpers.py's frame axis instead flatten all frames' patches, with frame embeddings, into one set of keys, and the clip leaves as K tokens."</p>
            <Slider label="Frames T" min=1.0 max=MAX_FRAMES as f64 step=1.0 value=Signal::derive(move || frames.get() as f64) set=move |v| frames.set(v as usize) />
            <fieldset class="rule">
                <legend>"Frames enter the resampler"</legend>
                <label><input type="radio" name="video-mode" prop:checked=move || mode.get() == VideoMode::PerFrame on:change=move |_| mode.set(VideoMode::PerFrame) />" one by one: T·K tokens"</label>
                <label><input type="radio" name="video-mode" prop:checked=move || mode.get() == VideoMode::Flattened on:change=move |_| mode.set(VideoMode::Flattened) />" flattened together: K tokens"</label>
            </fieldset>
            <label><input type="checkbox" aria-label="Temporal embeddings" prop:checked=move || embeddings.get() on:change=move |ev| embeddings.set(event_target_checked(&ev)) />" temporal embeddings"</label>
            <p class="shape" id="video-tokens">{move || result.with(|r| r.as_ref().map(|c| format!("{} frames → {} visual tokens", frames.get_untracked(), c.tokens)).unwrap_or_else(|| "…".into()))}</p>
            <p id="video-frame-diff" data-value=move || result.with(|r| r.as_ref().and_then(|c| c.frame_diff).map(|d| d.to_string()))>{move || result.with(|r| match r.as_ref().and_then(|c| c.frame_diff) {
                None => "One frame: nothing to tell apart.".to_owned(),
                Some(0.0) => "Frame 1 and frame 2 give exactly the same result (difference 0): without temporal embeddings the resampler cannot tell identical frames apart.".to_owned(),
                Some(d) => format!("Frame 1 and frame 2 differ by up to {}: the temporal embedding alone tells them apart.", format_diff(d)),
            })}</p>
            <Show when=move || problem.with(Option::is_some)>
                <p class="error" role="alert">{move || problem.get().unwrap_or_default()}</p>
            </Show>
            <h3>"Last resampler layer's attention (mean over heads)"</h3>
            <Heatmap data=data axes=axes label="attention of the clip's latents to the frames' patches" id="video-heatmap" />
        </section>
    }
}
