//! Canvas work: heatmaps as `ImageData`, the tanh curve with plotters, and
//! decoding the sample pictures into RGBA.

use crate::figures::canvas_backend::PageCanvas;
use leptos::prelude::{ArcRwSignal, Track, Update};
use plotters::prelude::*;
use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlImageElement, ImageData};

use crate::figures::figure;
use crate::figures::heatmap::{Axis, Range, overlay, rgba};

pub fn context(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, JsValue> {
    canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2d context"))?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(|_| JsValue::from_str("not a 2d context"))
}

/// A canvas that is never attached to the page.
pub fn offscreen(width: usize, height: usize) -> Result<HtmlCanvasElement, JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let canvas: HtmlCanvasElement = document.create_element("canvas")?.dyn_into()?;
    canvas.set_width(width as u32);
    canvas.set_height(height as u32);
    Ok(canvas)
}

/// Shows what `draw` draws on a canvas as `image`'s picture, for a picture that stays while
/// the sliders move (the pictures, their patch overlays, the legends). Chromium hands every
/// canvas of the page to its compositor anew at each frame that changes anything, drawn
/// or not; an image is decoded once (BENCHMARKS.md, "Pictures as images"). The browser
/// encodes it outside this task (`toBlob`): encoded at once, a new picture's 20-odd stills
/// made a task of 53-94 ms. So the image shows it a frame or so later; `data-drawn`
/// reaches `data-drawing` when it does, and a later drawing replaces one still encoding.
/// Stills drawn from equal `what` (all that the drawing depends on) share one encoding
/// and one blob URL ([`Encodings`]): the model's 32 × 32 picture alone is shown by eleven
/// images. (Keyed by what is drawn, not by the pixels: reading the pixels back cost a new
/// picture's task more than the encodings it saved.)
pub fn still(
    image: &HtmlImageElement,
    what: impl std::hash::Hash,
    draw: impl FnOnce(&HtmlCanvasElement) -> Result<(), JsValue>,
) -> Result<(), JsValue> {
    let key = {
        use std::hash::Hasher;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        what.hash(&mut hasher);
        hasher.finish()
    };
    let canvas = offscreen(1, 1)?;
    draw(&canvas)?;
    let number = |name: &str, image: &HtmlImageElement| {
        image
            .get_attribute(name)
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let this = number("data-drawing", image) + 1;
    image.set_attribute("data-drawing", &this.to_string())?;
    let image = image.clone();
    let show = move |url: &str| {
        if number("data-drawing", &image) == this {
            image.set_src(url);
            let _ = image.set_attribute("data-drawn", &this.to_string());
        }
    };
    Encodings::show(&canvas, key, Box::new(show))
}

/// A picture as a still ([`draw_rgb`]).
pub fn still_picture(
    image: &HtmlImageElement,
    picture: &mini::scene::Picture,
) -> Result<(), JsValue> {
    let what = ("picture", picture.width, picture.height, &picture.rgb);
    still(image, what, |c| draw_rgb(c, picture))
}

/// A patch overlay as a still ([`draw_patch_overlay`]).
pub fn still_overlay(
    image: &HtmlImageElement,
    grid: usize,
    attention: Option<&[f32]>,
) -> Result<(), JsValue> {
    let what = ("overlay", grid, attention.map(bits));
    still(image, what, |c| draw_patch_overlay(c, grid, attention))
}

/// Values as hashable bits, for a still's key.
pub fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// The stills' encodings, by what they are drawn from: each encoded once, with one blob URL that the
/// images showing it share (registering a URL costs the browser a round trip: one per
/// image made a new picture's task 15 ms longer), the images that wait for it told when it
/// comes. The newest few are kept for stills drawn again; an older one's URL is revoked.
#[derive(Default)]
struct Encodings(std::collections::VecDeque<(u64, Encoding)>);

/// An image told its still's blob URL.
type Show = Box<dyn FnOnce(&str)>;

enum Encoding {
    Waiting(Vec<Show>),
    Done(String),
}

thread_local! {
    static ENCODINGS: std::cell::RefCell<Encodings> = Default::default();
}

impl Encodings {
    /// A picture's stills and those of the one before it, with room to spare.
    const KEPT: usize = 64;

    fn show(canvas: &HtmlCanvasElement, key: u64, show: Show) -> Result<(), JsValue> {
        enum Next {
            Encode,
            Wait,
            Shown(Show, String),
        }
        let next = ENCODINGS.with_borrow_mut(|e| match e.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, Encoding::Waiting(waiting))) => {
                waiting.push(show);
                Next::Wait
            }
            Some((_, Encoding::Done(url))) => Next::Shown(show, url.clone()),
            None => {
                e.0.push_back((key, Encoding::Waiting(vec![show])));
                if e.0.len() > Self::KEPT {
                    // The oldest finished one; one still encoding has images waiting.
                    if let Some(i) = e.0.iter().position(|(_, x)| matches!(x, Encoding::Done(_)))
                        && let Some((_, Encoding::Done(url))) = e.0.remove(i)
                    {
                        let _ = web_sys::Url::revoke_object_url(&url);
                    }
                }
                Next::Encode
            }
        });
        match next {
            Next::Shown(show, url) => show(&url),
            Next::Wait => {}
            Next::Encode => {
                let done = wasm_bindgen::closure::Closure::once_into_js(
                    move |blob: Option<web_sys::Blob>| {
                        let url =
                            blob.and_then(|b| web_sys::Url::create_object_url_with_blob(&b).ok());
                        let waiting = ENCODINGS.with_borrow_mut(|e| {
                            let i = e.0.iter().position(|(k, _)| *k == key)?;
                            match &url {
                                Some(url) => match std::mem::replace(
                                    &mut e.0[i].1,
                                    Encoding::Done(url.clone()),
                                ) {
                                    Encoding::Waiting(waiting) => Some(waiting),
                                    Encoding::Done(_) => None,
                                },
                                None => {
                                    e.0.remove(i);
                                    None
                                }
                            }
                        });
                        if let (Some(url), Some(waiting)) = (url, waiting) {
                            for show in waiting {
                                show(&url);
                            }
                        }
                    },
                );
                canvas.to_blob(done.unchecked_ref())?;
            }
        }
        Ok(())
    }
}

/// One pixel per cell; CSS scales the canvas up with `image-rendering: pixelated`.
pub fn draw_heatmap(
    canvas: &HtmlCanvasElement,
    values: &[f32],
    rows: usize,
    cols: usize,
    range: Range,
) -> Result<(), JsValue> {
    // Resizing clears the canvas and invalidates layout; every cell is overwritten
    // below, so a canvas of the right size is left as it is.
    let (w, h) = (cols.max(1) as u32, rows.max(1) as u32);
    if (canvas.width(), canvas.height()) != (w, h) {
        canvas.set_width(w);
        canvas.set_height(h);
    }
    if rows == 0 || cols == 0 {
        context(canvas)?.clear_rect(0.0, 0.0, 1.0, 1.0);
        return Ok(());
    }
    let buf = rgba(values, rows, cols, range);
    let image =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&buf), cols as u32, rows as u32)?;
    context(canvas)?.put_image_data(&image, 0.0, 0.0)
}

/// The picture's patch grid and, for a chosen latent, its attention on each patch.
/// The canvas is stretched over the picture by CSS.
pub fn draw_patch_overlay(
    canvas: &HtmlCanvasElement,
    grid: usize,
    attention: Option<&[f32]>,
) -> Result<(), JsValue> {
    // Canvas pixels per patch: the grid's 1-pixel lines take a sixteenth of a patch,
    // so they frame the attention without hiding it on a small thumbnail.
    const CELL: usize = 16;
    let side = (CELL * grid.max(1)) as u32;
    canvas.set_width(side);
    canvas.set_height(side);
    let ctx = context(canvas)?;
    if let Some(row) = attention {
        let buf = overlay(row, grid);
        let image =
            ImageData::new_with_u8_clamped_array_and_sh(Clamped(&buf), grid as u32, grid as u32)?;
        // Put at 1:1 on a scratch canvas, then scale up without smoothing.
        let scratch = offscreen(grid, grid)?;
        context(&scratch)?.put_image_data(&image, 0.0, 0.0)?;
        ctx.set_image_smoothing_enabled(false);
        ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
            &scratch,
            0.0,
            0.0,
            side as f64,
            side as f64,
        )?;
    }
    ctx.set_stroke_style_str("rgba(255,255,255,0.55)");
    ctx.set_line_width(1.0);
    for i in 0..=grid {
        let at = (CELL * i) as f64;
        ctx.stroke_rect(at, 0.0, 0.0, side as f64);
        ctx.stroke_rect(0.0, at, side as f64, 0.0);
    }
    Ok(())
}

/// Frame, ticks and titles around a `rows × cols` heatmap, drawn at the canvas's
/// displayed size (CSS pixels, as the browser last laid it out) times the device
/// pixel ratio.
pub fn draw_axes(
    canvas: &HtmlCanvasElement,
    (width, height): (i32, i32),
    rows: usize,
    cols: usize,
    x: &Axis,
    y: &Axis,
) -> Result<(), String> {
    let dpr = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    let px = |v: i32| (v.max(1) as f64 * dpr).round() as u32;
    // Resizing clears the canvas and its context's settings (font, direction): only
    // when the size changed.
    if (canvas.width(), canvas.height()) != (px(width), px(height)) {
        canvas.set_width(px(width));
        canvas.set_height(px(height));
    }
    let backend = PageCanvas::new(canvas.clone()).ok_or("canvas unavailable")?;
    let root = backend.into_drawing_area();
    figure::axes(&root, rows, cols, x, y, dpr)?;
    root.present().map_err(|e| e.to_string())
}

/// Tells `size` an element's displayed size each time the browser lays it out anew.
/// Read in the browser's own resize step, after its layout: reading it when the page
/// has just changed would make the browser lay out the whole page there and then.
pub fn watch_size(element: &web_sys::Element, size: leptos::prelude::RwSignal<(i32, i32)>) {
    use leptos::prelude::Set;
    on_resize(element, move |e| {
        size.set((e.client_width(), e.client_height()))
    });
}

/// Calls `told` with `element` each time the browser lays it out at a new size.
fn on_resize(element: &web_sys::Element, told: impl Fn(&web_sys::Element) + 'static) {
    let told = wasm_bindgen::closure::Closure::<dyn Fn(js_sys::Array)>::new(
        move |entries: js_sys::Array| {
            for entry in entries.iter() {
                if let Ok(entry) = entry.dyn_into::<web_sys::ResizeObserverEntry>() {
                    told(&entry.target());
                }
            }
        },
    );
    if let Ok(observer) = web_sys::ResizeObserver::new(told.as_ref().unchecked_ref()) {
        observer.observe(element);
        // The observer lives as long as the element it watches, and the page's panels
        // are never removed: the callback stays with it.
        told.forget();
    }
}

/// Tells `seen` whether `element` is within `margin` (CSS, as `IntersectionObserver`'s
/// `rootMargin`) of the view, each time that changes, after the browser's layout.
fn watch_intersection(element: &web_sys::Element, margin: &str, seen: impl Fn(bool) + 'static) {
    let told = wasm_bindgen::closure::Closure::<dyn Fn(js_sys::Array)>::new(
        move |entries: js_sys::Array| {
            for entry in entries.iter() {
                if let Ok(entry) = entry.dyn_into::<web_sys::IntersectionObserverEntry>() {
                    seen(entry.is_intersecting());
                }
            }
        },
    );
    let options = web_sys::IntersectionObserverInit::new();
    options.set_root_margin(margin);
    if let Ok(observer) =
        web_sys::IntersectionObserver::new_with_options(told.as_ref().unchecked_ref(), &options)
    {
        observer.observe(element);
        // As with `watch_size`: the page's panels are never removed.
        told.forget();
    }
}

/// Tells `near` whether `element` is on screen or within half a screen of it: work that
/// only shows there (a panel's answer to the gate scale, say) can wait until it is.
pub fn watch_near(element: &web_sys::Element, near: leptos::prelude::RwSignal<bool>) {
    use leptos::prelude::Set;
    watch_intersection(element, "50% 0px", move |seen| near.set(seen));
}

/// A figure's drawing, put off.
type Drawing = Box<dyn FnOnce()>;

/// Draws a figure now when it is on screen; one scrolled away is drawn once it comes
/// into view, or once the requests have paused for
/// [`WhenSeen::PAUSE`], the newest drawing only. A step of a drag (the gate scale's, say)
/// then paints what the student sees within its frame, and figures out of sight cost the
/// drag nothing. (The trained panel's caption bars and lens; heatmaps are drawn at once,
/// as tests and scripts that wait for a readout expect their pixels then.) Where the
/// figure is comes from `IntersectionObserver`s, told after the browser's layout.
#[derive(Clone)]
pub struct WhenSeen {
    on_screen: std::rc::Rc<std::cell::Cell<bool>>,
    waiting: std::rc::Rc<std::cell::RefCell<Option<Drawing>>>,
    newest: crate::compute::scheduler::Newest,
}

impl WhenSeen {
    /// How long requests must pause before a figure out of sight is drawn anyway (a
    /// drag's steps come every frame or two).
    pub const PAUSE: std::time::Duration = std::time::Duration::from_millis(150);

    /// Watches `element`; until the browser first says, it counts as on screen.
    pub fn watch(element: &web_sys::Element) -> WhenSeen {
        let seen = WhenSeen {
            on_screen: std::rc::Rc::new(std::cell::Cell::new(true)),
            waiting: Default::default(),
            newest: Default::default(),
        };
        let told = seen.clone();
        watch_intersection(element, "0px", move |on_screen| {
            told.on_screen.set(on_screen);
            if on_screen {
                told.flush();
            }
        });
        seen
    }

    pub fn draw(&self, draw: impl FnOnce() + 'static) {
        if self.on_screen.get() {
            // Still a request: a drawing put off for an older step must not follow it.
            self.newest.ticket();
            self.waiting.replace(None);
            draw();
        } else {
            self.waiting.replace(Some(Box::new(draw)));
            let later = self.clone();
            self.newest.after(Self::PAUSE, move || later.flush());
        }
    }

    fn flush(&self) {
        let waiting = self.waiting.borrow_mut().take();
        if let Some(draw) = waiting {
            draw();
        }
    }
}

/// The colour legend: the colour map's ramp, darkest to brightest. Every range maps its
/// own ends to the map's ends, so one ramp serves them all; the numbers are the page's text.
pub fn draw_legend(canvas: &HtmlCanvasElement) -> Result<(), JsValue> {
    let steps = 128;
    let values: Vec<f32> = (0..steps).map(|i| i as f32 / (steps - 1) as f32).collect();
    draw_heatmap(canvas, &values, 1, steps, Range { min: 0.0, max: 1.0 })
}

/// `y = tanh(x)` over the gate's range, with the current gate marked.
pub fn draw_tanh(canvas: HtmlCanvasElement, alpha: f32) -> Result<(), String> {
    draw_figure(canvas, |root| figure::tanh(root, alpha))
}

/// A loaded picture drawn at `width × height` and read back as RGBA.
pub fn pixels(image: &HtmlImageElement, width: usize, height: usize) -> Result<Vec<u8>, JsValue> {
    let ctx = context(&offscreen(width, height)?)?;
    ctx.draw_image_with_html_image_element_and_dw_and_dh(
        image,
        0.0,
        0.0,
        width as f64,
        height as f64,
    )?;
    Ok(ctx
        .get_image_data(0.0, 0.0, width as f64, height as f64)?
        .data()
        .0)
}

/// An RGB picture at one canvas pixel per picture pixel; CSS sizes it.
pub fn draw_rgb(canvas: &HtmlCanvasElement, picture: &mini::scene::Picture) -> Result<(), JsValue> {
    let (w, h) = (picture.width as u32, picture.height as u32);
    if (canvas.width(), canvas.height()) != (w, h) {
        canvas.set_width(w);
        canvas.set_height(h);
    }
    let rgba: Vec<u8> = picture
        .rgb
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), w, h)?;
    context(canvas)?.put_image_data(&image, 0.0, 0.0)
}

thread_local! {
    /// Changes when the room a figure has changes how it is drawn: every figure's
    /// effect reads it (`track_room`).
    static REDRAW: ArcRwSignal<u64> = ArcRwSignal::new(0);
}

/// For an effect that draws a figure: it runs again when a figure's room changes.
pub fn track_room() {
    REDRAW.with(|r| r.track());
}

/// The canvas's size as the page writes it (`data-size` keeps it once changed).
fn written(canvas: &HtmlCanvasElement) -> (u32, u32) {
    canvas
        .get_attribute("data-size")
        .and_then(|s| {
            let (w, h) = s.split_once('x')?;
            Some((w.parse().ok()?, h.parse().ok()?))
        })
        .unwrap_or((canvas.width(), canvas.height()))
}

/// The size a figure is drawn at, in CSS pixels, and canvas pixels per CSS pixel. Where
/// its figure has room, the canvas's written size. Where it has less (a phone; the
/// trained panel's column on a tablet) the page would shrink the figure and its 12 px
/// text with it: there it is drawn narrower (`figure::narrowed`) at the screen's density.
fn figure_size(canvas: &HtmlCanvasElement) -> ((u32, u32), f64) {
    let written = written(canvas);
    let room = canvas
        .get_attribute("data-room")
        .and_then(|r| r.parse::<f64>().ok());
    match room.map(|room| figure::narrowed(written, room)) {
        Some(narrow) if narrow != written => {
            let density = web_sys::window()
                .map_or(1.0, |w| w.device_pixel_ratio())
                .clamp(1.0, 2.0);
            (narrow, density)
        }
        _ => (written, 1.0),
    }
}

/// From the first drawing on, keeps in `data-room` the width that `canvas`'s figure
/// gives it, as the browser lays it out, and has the figures drawn again when that
/// changes their size. (The figure's width does not depend on the canvas's, so drawing
/// anew cannot make it change again.)
fn watch_room(canvas: &HtmlCanvasElement) {
    if canvas.has_attribute("data-size") {
        return;
    }
    let (w, h) = (canvas.width(), canvas.height());
    let _ = canvas.set_attribute("data-size", &format!("{w}x{h}"));
    let Some(figure) = canvas.closest("figure").ok().flatten() else {
        return;
    };
    let canvas = canvas.clone();
    on_resize(&figure, move |figure| {
        let before = figure_size(&canvas);
        let _ = canvas.set_attribute("data-room", &figure.client_width().to_string());
        if figure_size(&canvas) != before {
            REDRAW.with(|r| r.update(|n| *n += 1));
        }
    });
}

/// A plotters figure on a canvas, drawn at `figure_size` (CSS then fits it to its box).
pub fn draw_figure(
    canvas: HtmlCanvasElement,
    draw: impl FnOnce(&DrawingArea<PageCanvas, plotters::coord::Shift>) -> Result<(), String>,
) -> Result<(), String> {
    watch_room(&canvas);
    let ((w, h), scale) = figure_size(&canvas);
    let pixels = |v: u32| (f64::from(v) * scale).round() as u32;
    if (canvas.width(), canvas.height()) != (pixels(w), pixels(h)) {
        canvas.set_width(pixels(w));
        canvas.set_height(pixels(h));
    }
    // A figure drawn over another (the lens's lines over its frame) starts from clear.
    // (Drawing on a canvas outside the page and copying it over was tried: slower.)
    if let Ok(c) = context(&canvas) {
        let _ = c.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        c.clear_rect(0.0, 0.0, canvas.width() as f64, canvas.height() as f64);
    }
    let backend = PageCanvas::scaled(canvas, scale).ok_or("canvas unavailable")?;
    let root = backend.into_drawing_area();
    draw(&root)?;
    root.present().map_err(|e| e.to_string())
}

/// Loads `src` and waits until it has decoded.
pub async fn load_image(src: &str) -> Result<HtmlImageElement, JsValue> {
    let image = HtmlImageElement::new()?;
    image.set_src(src);
    wasm_bindgen_futures::JsFuture::from(image.decode()).await?;
    Ok(image)
}

thread_local! {
    /// The state's query as of the last change; the address bar lags it while the
    /// controls move (page/mod.rs), and a panic's reload link must not.
    static QUERY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Keeps the newest state for the panic banner's reload link.
pub fn remember_query(query: &str) {
    QUERY.with(|q| {
        if let Ok(mut q) = q.try_borrow_mut() {
            query.clone_into(&mut q);
        }
    });
}

/// A panic shows a banner instead of leaving a dead page: what happened, and a reload
/// link carrying the state, which lives in the query.
pub fn install_panic_banner() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if document.get_element_by_id("panic-banner").is_some() {
            return;
        }
        let (Ok(banner), Ok(link)) = (document.create_element("div"), document.create_element("a"))
        else {
            return;
        };
        banner.set_id("panic-banner");
        let _ = banner.set_attribute("role", "alert");
        banner.set_text_content(Some(&format!(
            "Something went wrong and the page stopped computing ({info}). "
        )));
        let query = QUERY.with(|q| q.try_borrow().map(|q| q.clone()).unwrap_or_default());
        link.set_id("panic-reload");
        let _ = link.set_attribute("href", &format!("?{query}"));
        link.set_text_content(Some("Reload the page with your settings"));
        let _ = banner.append_child(&link);
        if let Some(body) = document.body() {
            let _ = body.prepend_with_node_1(&banner);
        }
    }));
}
