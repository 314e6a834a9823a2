//! The drawing pad's picture, without the DOM: strokes of round brush dabs on white paper,
//! painted here in Rust so that what the pad shows is, pixel for pixel, what the model is
//! given (and so that a test can check it without a browser).

use mini::scene::{Colour, Picture};

/// The pad's picture is this many pixels a side; the model then fits it to 32 × 32.
pub const SIDE: usize = 128;
const PAPER: [u8; 3] = [255, 255, 255];

/// Brush sizes a student picks from, as the brush's diameter in picture pixels.
pub const BRUSHES: [(&str, f32); 3] = [("thin", 4.0), ("medium", 9.0), ("thick", 18.0)];

/// What a stroke lays down: a colour word's paint, or the paper again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ink {
    Paint(Colour),
    Eraser,
}

impl Ink {
    pub fn rgb(self) -> [u8; 3] {
        match self {
            Ink::Paint(c) => c.rgb(),
            Ink::Eraser => PAPER,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stroke {
    pub ink: Ink,
    /// Diameter in picture pixels.
    pub width: f32,
    /// Points in picture pixels, in the order drawn.
    pub points: Vec<(f32, f32)>,
}

/// Every stroke so far: the picture is painted from them, so Undo is dropping the last.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Drawing {
    pub strokes: Vec<Stroke>,
}

impl Drawing {
    pub fn begin(&mut self, ink: Ink, width: f32, at: (f32, f32)) {
        self.strokes.push(Stroke {
            ink,
            width,
            points: vec![clamp(at)],
        });
    }

    /// Extends the stroke being drawn; a move without a stroke (the pointer entered while
    /// pressed elsewhere) draws nothing, and one within the same pixel adds no point.
    pub fn extend(&mut self, at: (f32, f32)) {
        if let Some(s) = self.strokes.last_mut() {
            let at = clamp(at);
            if s.points.last() != Some(&at) {
                s.points.push(at);
            }
        }
    }

    /// The strokes as a link may carry them (URL-safe base64 of one byte per ink, width
    /// and coordinate), or `None` when that would be longer than [`MAX_CODE`]: a large
    /// drawing stays in the page. Points are whole pixels, so the code is exact.
    pub fn to_code(&self) -> Option<String> {
        let mut bytes = Vec::new();
        for s in &self.strokes {
            let ink = match s.ink {
                Ink::Paint(c) => Colour::ALL.iter().position(|&a| a == c)? as u8,
                Ink::Eraser => ERASER,
            };
            let points = u8::try_from(s.points.len()).ok()?;
            bytes.extend([ink, s.width.round() as u8, points]);
            bytes.extend(s.points.iter().flat_map(|&(x, y)| [x as u8, y as u8]));
        }
        let code = base64url(&bytes);
        (code.len() <= MAX_CODE).then_some(code)
    }

    /// A drawing from [`to_code`](Self::to_code)'s text; a damaged code is refused with a sentence.
    pub fn from_code(code: &str) -> Result<Drawing, String> {
        let damaged = || "The drawing in this link is damaged, so the pad starts empty.".to_owned();
        let bytes = from_base64url(code).ok_or_else(damaged)?;
        let mut rest = bytes.as_slice();
        let mut strokes = Vec::new();
        while let [ink, width, n, more @ ..] = rest {
            let ink = match *ink {
                ERASER => Ink::Eraser,
                i => Ink::Paint(*Colour::ALL.get(i as usize).ok_or_else(damaged)?),
            };
            let (points, after) = more.split_at_checked(2 * *n as usize).ok_or_else(damaged)?;
            if *n == 0 || !(1..=64).contains(width) {
                return Err(damaged());
            }
            strokes.push(Stroke {
                ink,
                width: *width as f32,
                points: points
                    .chunks_exact(2)
                    .map(|p| clamp((p[0] as f32, p[1] as f32)))
                    .collect(),
            });
            rest = after;
        }
        if !rest.is_empty() {
            return Err(damaged());
        }
        Ok(Drawing { strokes })
    }

    pub fn undo(&mut self) {
        self.strokes.pop();
    }

    pub fn clear(&mut self) {
        self.strokes.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.strokes.is_empty()
    }

    pub fn render(&self) -> Picture {
        let mut rgb = PAPER.repeat(SIDE * SIDE);
        for s in &self.strokes {
            paint(&mut rgb, s);
        }
        Picture {
            width: SIDE,
            height: SIDE,
            rgb,
        }
    }
}

/// Points are kept in whole pixels, on the pad or at its edge.
fn clamp((x, y): (f32, f32)) -> (f32, f32) {
    let max = SIDE as f32;
    (x.clamp(0.0, max).round(), y.clamp(0.0, max).round())
}

/// The longest drawing code a link carries: a few outlined shapes fit.
pub const MAX_CODE: usize = 1500;
/// The ink byte of the eraser; paints are their colour's index.
const ERASER: u8 = 6;
const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(BASE64URL[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn from_base64url(text: &str) -> Option<Vec<u8>> {
    let sextets: Vec<u32> = text
        .bytes()
        .map(|c| BASE64URL.iter().position(|&a| a == c).map(|i| i as u32))
        .collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(sextets.len() * 3 / 4);
    for chunk in sextets.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &s)| n | s << (18 - 6 * i));
        out.extend((0..chunk.len() - 1).map(|i| (n >> (16 - 8 * i)) as u8));
    }
    Some(out)
}

/// Every pixel whose centre lies within half the width of the stroke's polyline.
fn paint(rgb: &mut [u8], s: &Stroke) {
    let r = s.width / 2.0;
    let segments: Vec<((f32, f32), (f32, f32))> = match s.points.as_slice() {
        [] => return,
        [p] => vec![(*p, *p)],
        ps => ps.windows(2).map(|w| (w[0], w[1])).collect(),
    };
    let colour = s.ink.rgb();
    for (a, b) in segments {
        let (x0, x1) = (a.0.min(b.0) - r, a.0.max(b.0) + r);
        let (y0, y1) = (a.1.min(b.1) - r, a.1.max(b.1) + r);
        let cols = (x0.floor().max(0.0) as usize)..(x1.ceil().min(SIDE as f32) as usize);
        for y in (y0.floor().max(0.0) as usize)..(y1.ceil().min(SIDE as f32) as usize) {
            for x in cols.clone() {
                let p = (x as f32 + 0.5, y as f32 + 0.5);
                if distance_to_segment(p, a, b) <= r {
                    rgb[(y * SIDE + x) * 3..][..3].copy_from_slice(&colour);
                }
            }
        }
    }
}

fn distance_to_segment(p: (f32, f32), a: (f32, f32), b: (f32, f32)) -> f32 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    };
    let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(p: &Picture, x: usize, y: usize) -> [u8; 3] {
        p.rgb[(y * p.width + x) * 3..][..3].try_into().unwrap()
    }

    #[test]
    fn a_stroke_paints_its_width_along_its_path_and_nothing_else() {
        let mut d = Drawing::default();
        d.begin(Ink::Paint(Colour::Red), 10.0, (20.0, 64.0));
        d.extend((100.0, 64.0));
        let p = d.render();
        assert_eq!(at(&p, 60, 64), Colour::Red.rgb());
        assert_eq!(at(&p, 60, 60), Colour::Red.rgb());
        assert_eq!(at(&p, 60, 72), PAPER, "beyond half the width");
        assert_eq!(at(&p, 110, 64), PAPER, "beyond the end");
    }

    #[test]
    fn the_eraser_paints_paper_and_undo_and_clear_take_strokes_back() {
        let mut d = Drawing::default();
        d.begin(Ink::Paint(Colour::Blue), 18.0, (64.0, 64.0));
        let blue = d.render();
        d.begin(Ink::Eraser, 4.0, (64.0, 64.0));
        assert_eq!(at(&d.render(), 64, 64), PAPER);
        d.undo();
        assert_eq!(d.render(), blue);
        d.clear();
        assert!(d.is_empty());
        assert!(d.render().rgb.iter().all(|&c| c == 255));
    }

    #[test]
    fn a_drawing_goes_through_its_code_exactly_and_a_damaged_code_is_refused() {
        let mut d = Drawing::default();
        d.begin(Ink::Paint(Colour::Orange), 9.0, (10.4, 20.6));
        for i in 0..40 {
            d.extend((10.0 + i as f32 * 2.3, 20.0 + (i as f32).sin() * 9.0));
        }
        d.begin(Ink::Eraser, 18.0, (64.0, 64.0));
        let code = d.to_code().unwrap();
        assert!(
            code.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        let back = Drawing::from_code(&code).unwrap();
        assert_eq!(back, d);
        assert_eq!(back.render(), d.render());
        assert_eq!(Drawing::from_code("").unwrap(), Drawing::default());
        for bad in ["!!", "A", &code[..code.len() - 2], "BwkB", "AAEAAA"] {
            assert!(
                Drawing::from_code(bad).unwrap_err().contains("damaged"),
                "{bad}"
            );
        }
        // A drawing too large for a link stays in the page.
        let mut big = Drawing::default();
        for i in 0..12 {
            big.begin(Ink::Paint(Colour::Blue), 4.0, (0.0, i as f32));
            for x in 1..128 {
                big.extend((x as f32, (i * 10) as f32));
            }
        }
        assert_eq!(big.to_code(), None);
    }

    #[test]
    fn points_off_the_pad_are_held_at_its_edge() {
        let mut d = Drawing::default();
        d.begin(Ink::Paint(Colour::Green), 4.0, (-50.0, 500.0));
        d.extend((f32::MAX, -1.0));
        assert_eq!(d.strokes[0].points, [(0.0, 128.0), (128.0, 0.0)]);
        assert_eq!(d.render().rgb.len(), SIDE * SIDE * 3);
    }
}
