//! "Download PNG" and "Download SVG": a file made in the page, saved through a link.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Blob, BlobPropertyBag, CanvasRenderingContext2d, HtmlAnchorElement, HtmlCanvasElement,
    HtmlImageElement, Url,
};

use crate::figures::canvas;
use crate::figures::figure::cell_box;

fn save(name: &str, href: &str) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    a.set_href(href);
    a.set_download(name);
    a.click();
    Ok(())
}

/// Saves `text` as a file of type `mime`.
pub fn text(name: &str, mime: &str, text: &str) -> Result<(), JsValue> {
    file(name, mime, &JsValue::from_str(text))
}

/// Saves `bytes` as a file of type `mime`.
pub fn bytes(name: &str, mime: &str, bytes: &[u8]) -> Result<(), JsValue> {
    file(name, mime, &js_sys::Uint8Array::from(bytes))
}

fn file(name: &str, mime: &str, part: &JsValue) -> Result<(), JsValue> {
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_str_sequence_and_options(&js_sys::Array::of1(part), &options)?;
    let url = Url::create_object_url_with_blob(&blob)?;
    let result = save(name, &url);
    // The click has started the download; the URL can go once this task ends.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = Url::revoke_object_url(&url);
    });
    if let Some(w) = web_sys::window() {
        let _ =
            w.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 1000);
    }
    result
}

/// Saves a canvas as PNG.
pub fn png(name: &str, canvas: &HtmlCanvasElement) -> Result<(), JsValue> {
    save(name, &canvas.to_data_url_with_type("image/png")?)
}

/// A picture with a canvas laid over it, both stretched to `side` pixels: what the page shows as one PNG.
pub fn layered_png(
    name: &str,
    picture: &HtmlImageElement,
    layer: &HtmlCanvasElement,
    side: u32,
) -> Result<(), JsValue> {
    let (out, ctx) = blank(side, side)?;
    let s = side as f64;
    ctx.draw_image_with_html_image_element_and_dw_and_dh(picture, 0.0, 0.0, s, s)?;
    ctx.set_image_smoothing_enabled(false);
    ctx.draw_image_with_html_canvas_element_and_dw_and_dh(layer, 0.0, 0.0, s, s)?;
    png(name, &out)
}

/// A detached canvas of this size and its 2D context.
fn blank(
    width: u32,
    height: u32,
) -> Result<(HtmlCanvasElement, CanvasRenderingContext2d), JsValue> {
    let out = canvas::offscreen(width as usize, height as usize)?;
    let ctx = canvas::context(&out)?;
    Ok((out, ctx))
}

/// A heatmap's axes canvas with its one-pixel-per-cell canvas drawn into the frame,
/// unsmoothed: the figure as one picture.
pub fn heatmap_png(
    name: &str,
    axes: &HtmlCanvasElement,
    cells: &HtmlCanvasElement,
) -> Result<(), JsValue> {
    let (out, ctx) = blank(axes.width(), axes.height())?;
    ctx.draw_image_with_html_canvas_element(axes, 0.0, 0.0)?;
    let scale = axes.width() as f64 / axes.client_width().max(1) as f64;
    let [x0, y0, x1, y1] = cell_box(axes.width(), axes.height(), scale);
    ctx.set_image_smoothing_enabled(false);
    ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
        cells,
        x0 as f64,
        y0 as f64,
        (x1 - x0) as f64,
        (y1 - y0) as f64,
    )?;
    png(name, &out)
}
