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
    /// pressed elsewhere) draws nothing.
    pub fn extend(&mut self, at: (f32, f32)) {
        if let Some(s) = self.strokes.last_mut() {
            s.points.push(clamp(at));
        }
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

fn clamp((x, y): (f32, f32)) -> (f32, f32) {
    let max = SIDE as f32;
    (x.clamp(0.0, max), y.clamp(0.0, max))
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
    fn points_off_the_pad_are_held_at_its_edge() {
        let mut d = Drawing::default();
        d.begin(Ink::Paint(Colour::Green), 4.0, (-50.0, 500.0));
        d.extend((f32::MAX, -1.0));
        assert_eq!(d.strokes[0].points, [(0.0, 128.0), (128.0, 0.0)]);
        assert_eq!(d.render().rgb.len(), SIDE * SIDE * 3);
    }
}
