//! Files of the page's own origin, fetched after the first frame.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

async fn response(url: &str) -> Result<Response, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("could not fetch {url}: {e:?}"))?
        .dyn_into()
        .map_err(|_| format!("{url}: not a response"))?;
    if response.ok() {
        Ok(response)
    } else {
        Err(format!("could not fetch {url}: HTTP {}", response.status()))
    }
}

fn failed(url: &str) -> impl Fn(JsValue) -> String + '_ {
    move |e| format!("could not read {url}: {e:?}")
}

pub async fn bytes(url: &str) -> Result<Vec<u8>, String> {
    let promise = response(url).await?.array_buffer().map_err(failed(url))?;
    let buffer = JsFuture::from(promise).await.map_err(failed(url))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

pub async fn text(url: &str) -> Result<String, String> {
    let promise = response(url).await?.text().map_err(failed(url))?;
    let text = JsFuture::from(promise).await.map_err(failed(url))?;
    text.as_string().ok_or_else(|| format!("{url}: not text"))
}

/// A user's file, read whole.
pub async fn file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| "The page could not read this file.".to_owned())?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}
