//! Files of the page's own origin.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

/// The request, sent now: the callers below start a fetch when they are called, not
/// when their future is first polled, so a file can download while the page is built.
fn send(url: &str) -> Result<JsFuture, String> {
    let window = web_sys::window().ok_or("no window")?;
    Ok(JsFuture::from(window.fetch_with_str(url)))
}

async fn response(sent: Result<JsFuture, String>, url: &str) -> Result<Response, String> {
    let response: Response = sent?
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

pub fn bytes(url: &str) -> impl Future<Output = Result<Vec<u8>, String>> + 'static {
    let (sent, url) = (send(url), url.to_owned());
    async move {
        let promise = response(sent, &url)
            .await?
            .array_buffer()
            .map_err(failed(&url))?;
        let buffer = JsFuture::from(promise).await.map_err(failed(&url))?;
        Ok(js_sys::Uint8Array::new(&buffer).to_vec())
    }
}

pub fn text(url: &str) -> impl Future<Output = Result<String, String>> + 'static {
    let (sent, url) = (send(url), url.to_owned());
    async move {
        let promise = response(sent, &url).await?.text().map_err(failed(&url))?;
        let text = JsFuture::from(promise).await.map_err(failed(&url))?;
        text.as_string().ok_or_else(|| format!("{url}: not text"))
    }
}

/// A user's file, read whole.
pub async fn file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| "The page could not read this file.".to_owned())?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}
