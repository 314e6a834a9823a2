//! The picture the trained panel captions: a sample scene from the link's seed, or the
//! student's own (a file, dropped or pasted, or a drawing), read and vetted here.

use leptos::prelude::*;

use crate::compute::fetch;
use crate::figures::canvas;
use crate::state::url_state::UrlState;
use lab::picture_file;
use mini::scene::{Picture, Rng, Scene};
use mini::vocab;

/// Pictures with more pixels are scaled down by the browser before the model's own
/// fitting: the page keeps a few megabytes per picture, not hundreds.
const DRAWN_PIXELS: f64 = 4_194_304.0;

/// What the panel is looking at.
#[derive(Clone, PartialEq)]
pub(in crate::page) struct Given {
    pub(in crate::page) picture: Picture,
    /// "scene 7", "your drawing" or the file's name.
    pub(in crate::page) name: String,
    /// Identifies the picture in the page's test hooks.
    pub(in crate::page) key: String,
}

/// Reads, vets and decodes a picture file; every refusal is a sentence for the student.
pub(super) async fn read_picture(file: web_sys::File) -> Result<Picture, String> {
    // A 50 MB file is refused from its size, before the page reads a byte of it.
    if let Some(refusal) = picture_file::too_large(file.size() as u64) {
        return Err(refusal);
    }
    let bytes = fetch::file(&file).await?;
    let header = picture_file::inspect(&bytes)?;
    picture_file::check_end(&header, &bytes)?;
    let url = web_sys::Url::create_object_url_with_blob(&file)
        .map_err(|_| "The page could not open this file.".to_owned())?;
    let image = canvas::load_image(&url).await;
    let _ = web_sys::Url::revoke_object_url(&url);
    let image = image.map_err(|_| {
        format!(
            "This {} file is damaged: the browser could not decode it.",
            header.format.name()
        )
    })?;
    let (w, h) = (image.natural_width() as f64, image.natural_height() as f64);
    if w < 1.0 || h < 1.0 {
        return Err("This picture has no pixels.".into());
    }
    let shrink = (DRAWN_PIXELS / (w * h)).sqrt().min(1.0);
    let (dw, dh) = (
        (w * shrink).round().max(1.0) as usize,
        (h * shrink).round().max(1.0) as usize,
    );
    let rgba = canvas::pixels(&image, dw, dh)
        .map_err(|_| "The browser would not hand over this picture's pixels.".to_owned())?;
    Ok(Picture::from_rgba(dw, dh, &rgba))
}

/// The picture the trained panel captions: the student's own, else the scene in the URL.
pub(in crate::page) fn shown(
    state: RwSignal<UrlState>,
    own: RwSignal<Option<Given>>,
) -> Memo<Given> {
    // The seed alone: every slider changes the state, and must not redraw the scene.
    let seed = Memo::new(move |_| state.with(|s| s.scene));
    Memo::new(move |_| own.get().unwrap_or_else(|| scene_picture(seed.get())))
}

fn scene_picture(seed: u64) -> Given {
    let scene = Scene::sample(&mut Rng::new(seed));
    Given {
        picture: scene.render(),
        name: format!(
            "scene {seed}: {}",
            vocab::sentence(&vocab::description(&scene))
        ),
        key: format!("scene:{seed}"),
    }
}
