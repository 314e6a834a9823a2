//! plotters on a page canvas without laying out the page. plotters measures text on
//! the web by adding a `<span>` to the body and reading its size, a forced layout of
//! the whole page for every label (and its inline style is refused by the page's
//! Content-Security-Policy, so the size was that of the body's font). Here the canvas
//! measures its own text, and a font is set on the context only when it changes.

use std::cell::RefCell;

use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontStyle, FontTransform,
};
use plotters_canvas::CanvasBackend;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::canvas::context;

pub struct PageCanvas {
    inner: CanvasBackend,
    context: CanvasRenderingContext2d,
    /// The context's font as last set: setting a font parses it, even an equal one.
    font: RefCell<String>,
    /// Canvas pixels per unit of the drawing.
    scale: f64,
}

impl PageCanvas {
    pub fn new(canvas: HtmlCanvasElement) -> Option<PageCanvas> {
        Self::scaled(canvas, 1.0)
    }

    /// A drawing in units of `scale` canvas pixels: the figure is laid out at the
    /// canvas's size divided by `scale`, and the context multiplies it back.
    pub fn scaled(canvas: HtmlCanvasElement, scale: f64) -> Option<PageCanvas> {
        let context = context(&canvas).ok()?;
        let _ = context.set_transform(scale, 0.0, 0.0, scale, 0.0, 0.0);
        Some(PageCanvas {
            inner: CanvasBackend::with_canvas_object(canvas)?,
            font: RefCell::new(context.font()),
            context,
            scale,
        })
    }

    fn use_font(&self, style: &impl BackendTextStyle) {
        // Written as browsers write a font back, so that a context keeping the font
        // from the last drawing (the next figure on the same canvas) is not set again:
        // setting one makes the browser bring the page's style up to date first.
        let font = match style.style() {
            FontStyle::Normal => format!("{}px {}", style.size(), style.family().as_str()),
            other => format!(
                "{} {}px {}",
                other.as_str(),
                style.size(),
                style.family().as_str()
            ),
        };
        let mut current = self.font.borrow_mut();
        if *current != font {
            self.context.set_font(&font);
            *current = font;
        }
    }
}

/// What went wrong on the canvas, in words.
#[derive(Debug)]
pub struct CanvasError(String);

impl std::fmt::Display for CanvasError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CanvasError {}

/// plotters-canvas's own errors, in this backend's type.
fn own<E: std::error::Error + Send + Sync>(
    e: DrawingErrorKind<E>,
) -> DrawingErrorKind<CanvasError> {
    match e {
        DrawingErrorKind::DrawingError(e) => {
            DrawingErrorKind::DrawingError(CanvasError(e.to_string()))
        }
        DrawingErrorKind::FontError(e) => DrawingErrorKind::FontError(e),
    }
}

fn colour(c: BackendColor) -> String {
    let (r, g, b) = c.rgb;
    format!("rgba({r},{g},{b},{})", c.alpha)
}

type Result<T = ()> = std::result::Result<T, DrawingErrorKind<CanvasError>>;

impl DrawingBackend for PageCanvas {
    type ErrorType = CanvasError;

    fn get_size(&self) -> (u32, u32) {
        let (w, h) = self.inner.get_size();
        let unscaled = |v: u32| (f64::from(v) / self.scale).round() as u32;
        (unscaled(w), unscaled(h))
    }

    fn ensure_prepared(&mut self) -> Result {
        self.inner.ensure_prepared().map_err(own)
    }

    fn present(&mut self) -> Result {
        self.inner.present().map_err(own)
    }

    fn draw_pixel(&mut self, point: BackendCoord, style: BackendColor) -> Result {
        self.inner.draw_pixel(point, style).map_err(own)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result {
        self.inner.draw_line(from, to, style).map_err(own)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result {
        self.inner
            .draw_rect(upper_left, bottom_right, style, fill)
            .map_err(own)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result {
        self.inner.draw_path(path, style).map_err(own)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result {
        self.inner
            .draw_circle(center, radius, style, fill)
            .map_err(own)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result {
        self.inner.fill_polygon(vert, style).map_err(own)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let turn = match style.transform() {
            FontTransform::None => 0.0,
            FontTransform::Rotate90 => 0.5,
            FontTransform::Rotate180 => 1.0,
            FontTransform::Rotate270 => 1.5,
        } * std::f64::consts::PI;
        let (mut x, mut y) = (f64::from(pos.0), f64::from(pos.1));
        let c = &self.context;
        if turn != 0.0 {
            c.save();
            let _ = c.translate(x, y);
            let _ = c.rotate(turn);
            (x, y) = (0.0, 0.0);
        }
        c.set_text_baseline(match style.anchor().v_pos {
            VPos::Top => "top",
            VPos::Center => "middle",
            VPos::Bottom => "bottom",
        });
        c.set_text_align(match style.anchor().h_pos {
            HPos::Left => "start",
            HPos::Right => "end",
            HPos::Center => "center",
        });
        c.set_fill_style_str(&colour(color));
        self.use_font(style);
        let drawn = c.fill_text(text, x, y);
        if turn != 0.0 {
            c.restore();
        }
        drawn.map_err(|e| DrawingErrorKind::DrawingError(CanvasError(format!("{e:?}"))))
    }

    fn estimate_text_size<S: BackendTextStyle>(&self, text: &str, style: &S) -> Result<(u32, u32)> {
        self.use_font(style);
        let size = style.size();
        let (width, height) = match self.context.measure_text(text) {
            Ok(m) => {
                let height = m.font_bounding_box_ascent() + m.font_bounding_box_descent();
                // A browser without font metrics gets a usual line height.
                let height = if height > 0.0 { height } else { 1.2 * size };
                (m.width(), height)
            }
            Err(_) => (0.6 * size * text.chars().count() as f64, 1.2 * size),
        };
        let (width, height) = (width.ceil() as u32, height.ceil() as u32);
        Ok(match style.transform() {
            FontTransform::Rotate90 | FontTransform::Rotate270 => (height, width),
            _ => (width, height),
        })
    }
}
