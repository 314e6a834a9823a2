//! The drawn scenes the mini-Flamingo sees, second edition: what students draw.
//!
//! This is a contract other code draws against (tests, the page, a student's own
//! drawings). A scene is 32 × 32 RGB:
//!
//! - **Objects:** none (a blank picture), one, or two side by side. Two never overlap:
//!   the right one's box starts at least 2 px right of the left one's, so "left to
//!   right" is never in doubt, and they are stored in that order.
//! - **Shapes:** `circle`, `square`, `triangle` (apex up), `cross` (a plus sign with bars
//!   a third of its side thick, or, drawn as an outline, two strokes); the box's side
//!   8–28 px for one object, 8–16 px each for two (smaller if needed so that they fit),
//!   anywhere in the frame (a box turned by its rotation stays inside).
//! - **Styles ([`Look`]):** filled; outline only (a stroke 1–4 px wide, centred on the
//!   edge); hand-drawn (the edge wobbles by up to 5 % of the side, an outline's stroke
//!   width varies by up to ±35 % along it; filled or outline); rotated by 5–20° either
//!   way (filled or outline). Hand-drawn shapes are also turned, by up to ±20°. The
//!   triangle's apex stays up within those angles.
//! - **Colours:** each of the six words covers a band: any mix of its anchors
//!   ([`Colour::anchors`], today's centres and a paint program's pure colours such as
//!   (255, 0, 0), (0, 128, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (128, 0, 128),
//!   (255, 165, 0)), each channel then jittered by ±20. The bands do not touch.
//! - **Backgrounds ([`Family`]):** grey (level 0–50 or 200–255, as in the first
//!   edition); white and near-white paper; light tints of any hue (every channel
//!   210–255); faint gradients (light, or now and then dark, changing by 10–45 levels
//!   across the frame in any direction); and noisy (grey or paper with pixel noise up
//!   to ±18). Every other family has pixel noise of at most ±6.
//! - Edges anti-aliased (4 × 4 samples per pixel) or not, half and half.
//!
//! A picture of another size or shape is padded to a square with its border's colour
//! (never cropped: a shape near an edge stays in view), then area-averaged to 32 × 32
//! ([`Picture::fit`]).
//!
//! The generator is pure and seeded by the core's [`Rng`] (SplitMix64), and draws with
//! arithmetic that rounds the same everywhere ([`crate::geometry`]), so the trainer, the
//! tests, the CLI and the page draw the same scene from the same seed on every platform.

use std::fmt;
use std::ops::Range;

use crate::geometry::{Point, cos_sin, plus_lines, turned_half_extent};
pub use crate::picture::Picture;
pub use flamingo::Rng;

/// Side of the square picture the model sees.
pub const SIDE: usize = 32;

/// The four shapes, in vocabulary order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    Circle,
    Square,
    Triangle,
    Cross,
}

/// The six colours, in vocabulary order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colour {
    Red,
    Green,
    Blue,
    Yellow,
    Purple,
    Orange,
}

impl Shape {
    pub const ALL: [Shape; 4] = [Shape::Circle, Shape::Square, Shape::Triangle, Shape::Cross];

    pub fn word(self) -> &'static str {
        match self {
            Shape::Circle => "circle",
            Shape::Square => "square",
            Shape::Triangle => "triangle",
            Shape::Cross => "cross",
        }
    }
}

impl Colour {
    pub const ALL: [Colour; 6] = [
        Colour::Red,
        Colour::Green,
        Colour::Blue,
        Colour::Yellow,
        Colour::Purple,
        Colour::Orange,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Colour::Red => "red",
            Colour::Green => "green",
            Colour::Blue => "blue",
            Colour::Yellow => "yellow",
            Colour::Purple => "purple",
            Colour::Orange => "orange",
        }
    }

    /// The colour's centre, as the first edition drew it (and the page's paint buttons do).
    pub fn rgb(self) -> [u8; 3] {
        self.anchors()[0]
    }

    /// The band's anchors, the centre first: a scene mixes two of them, then jitters.
    pub fn anchors(self) -> &'static [[u8; 3]] {
        match self {
            Colour::Red => &[[220, 40, 40], [255, 0, 0], [190, 10, 20]],
            Colour::Green => &[[40, 170, 60], [0, 128, 0], [0, 255, 0], [60, 200, 60]],
            Colour::Blue => &[[40, 80, 220], [0, 0, 255], [30, 60, 180], [0, 90, 255]],
            Colour::Yellow => &[[230, 210, 40], [255, 255, 0], [250, 230, 0]],
            Colour::Purple => &[[150, 60, 200], [128, 0, 128], [160, 32, 240]],
            Colour::Orange => &[[245, 140, 30], [255, 165, 0], [255, 128, 0]],
        }
    }

    /// A colour from the band: two anchors mixed, each channel jittered by ±20.
    pub fn sample(self, rng: &mut Rng) -> [u8; 3] {
        let anchors = self.anchors();
        let (a, b) = (
            anchors[rng.below(anchors.len())],
            anchors[rng.below(anchors.len())],
        );
        let t = rng.unit();
        [0, 1, 2].map(|c| {
            let mixed = a[c] as f32 + (b[c] as f32 - a[c] as f32) * t;
            (mixed.round() as i32 + rng.between(-20, 20)).clamp(0, 255) as u8
        })
    }

    /// Whether `rgb` lies in the band: within 20 of one mix of two anchors in every channel.
    pub fn holds(self, rgb: [u8; 3]) -> bool {
        let anchors = self.anchors();
        anchors.iter().any(|a| {
            anchors.iter().any(|b| {
                // The mixes a + t·(b − a) within 20 (and half a level of rounding) of
                // each channel form an interval of t; the channels' intervals must meet.
                let (mut lo, mut hi) = (0.0f32, 1.0f32);
                for c in 0..3 {
                    let (start, d) = (a[c] as f32, b[c] as f32 - a[c] as f32);
                    let (near, far) = (rgb[c] as f32 - 20.5 - start, rgb[c] as f32 + 20.5 - start);
                    if d == 0.0 {
                        if near > 0.0 || far < 0.0 {
                            return false;
                        }
                    } else {
                        let (t0, t1) = (near / d, far / d);
                        lo = lo.max(t0.min(t1));
                        hi = hi.min(t0.max(t1));
                    }
                }
                lo <= hi
            })
        })
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// How an object is drawn; evaluation counts each apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Look {
    Filled,
    Outline,
    HandDrawn,
    Rotated,
}

impl Look {
    pub const ALL: [Look; 4] = [Look::Filled, Look::Outline, Look::HandDrawn, Look::Rotated];

    pub fn name(self) -> &'static str {
        match self {
            Look::Filled => "filled",
            Look::Outline => "outline",
            Look::HandDrawn => "hand-drawn",
            Look::Rotated => "rotated",
        }
    }
}

/// The kinds of background; evaluation counts each apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Grey,
    Paper,
    Tint,
    Gradient,
    Noisy,
}

impl Family {
    pub const ALL: [Family; 5] = [
        Family::Grey,
        Family::Paper,
        Family::Tint,
        Family::Gradient,
        Family::Noisy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Family::Grey => "grey",
            Family::Paper => "paper",
            Family::Tint => "tint",
            Family::Gradient => "gradient",
            Family::Noisy => "noisy",
        }
    }
}

/// A hand's wobble: how far the edge strays, and how the stroke's width varies, around the shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Hand {
    /// Coefficients of cos kθ and sin kθ, k = 2…5, in box sides.
    pub wobble: [(f32, f32); 4],
    /// Coefficients of cos 2θ and sin 2θ of the stroke's relative width.
    pub width: (f32, f32),
}

/// One drawn object.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub shape: Shape,
    pub colour: Colour,
    /// The colour drawn, from the colour's band.
    pub fill: [u8; 3],
    /// Side of the shape's box in pixels.
    pub size: f32,
    /// Centre of the box.
    pub x: f32,
    pub y: f32,
    /// `(cos, sin)` of the turn, within ±20°.
    pub turn: (f32, f32),
    /// The stroke's width in pixels, for an outline; `None` when filled.
    pub outline: Option<f32>,
    /// A cross drawn as two strokes (outlines only).
    pub lines: bool,
    pub hand: Option<Hand>,
    pub look: Look,
}

/// Everything behind a scene's background.
#[derive(Debug, Clone, PartialEq)]
pub struct Background {
    pub family: Family,
    /// Colour at one end of the gradient and at the other (equal when flat).
    pub from: [u8; 3],
    pub to: [u8; 3],
    /// Unit direction of the gradient.
    pub direction: Point,
    /// Each channel of each pixel is jittered by up to this much.
    pub noise: i32,
}

/// Everything that decides a scene's pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// None, one, or two left to right.
    pub objects: Vec<Object>,
    pub background: Background,
    pub antialiased: bool,
    /// Seeds the pixel noise.
    pub noise_seed: u64,
}

/// What to draw: any of a kind where `None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Draw {
    pub objects: usize,
    pub look: Option<Look>,
    pub family: Option<Family>,
    pub shape: Option<Shape>,
    pub colour: Option<Colour>,
}

/// Most a hand's edge strays, in box sides (the sum of its four harmonics' bounds).
const WOBBLE: f32 = 0.05;

impl Hand {
    fn sample(rng: &mut Rng) -> Hand {
        let mut coefficient = |bound: f32| (2.0 * rng.unit() - 1.0) * bound;
        let wobble = [(); 4].map(|_| (coefficient(WOBBLE / 8.0), coefficient(WOBBLE / 8.0)));
        let width = (coefficient(0.17), coefficient(0.17));
        Hand { wobble, width }
    }

    /// (How far the edge strays, in box sides; the stroke's width factor) in the direction of `p`.
    fn at(&self, p: Point) -> (f32, f32) {
        let r = (p.0 * p.0 + p.1 * p.1).sqrt();
        let (c1, s1) = if r > 0.0 {
            (p.0 / r, p.1 / r)
        } else {
            (1.0, 0.0)
        };
        // cos kθ and sin kθ as powers of the unit complex number (c1, s1).
        let (mut c, mut s) = (c1 * c1 - s1 * s1, 2.0 * c1 * s1);
        let mut stray = 0.0;
        for (a, b) in self.wobble {
            stray += a * c + b * s;
            (c, s) = (c * c1 - s * s1, s * c1 + c * s1);
        }
        let (c2, s2) = (c1 * c1 - s1 * s1, 2.0 * c1 * s1);
        (stray, 1.0 + self.width.0 * c2 + self.width.1 * s2)
    }
}

impl Object {
    /// An object of `size` at the frame's centre, drawn in `look`.
    fn sample(rng: &mut Rng, shape: Shape, colour: Colour, look: Look, size: f32) -> Object {
        let fill = colour.sample(rng);
        let degrees = match look {
            Look::Filled | Look::Outline => 0.0,
            Look::Rotated => {
                let a = 5.0 + 15.0 * rng.unit();
                if rng.chance(0.5) { a } else { -a }
            }
            Look::HandDrawn => 40.0 * rng.unit() - 20.0,
        };
        let outline = match look {
            Look::Filled => false,
            Look::Outline => true,
            Look::HandDrawn | Look::Rotated => rng.chance(0.5),
        }
        .then(|| 1.0 + 3.0 * rng.unit());
        let lines = shape == Shape::Cross && outline.is_some() && rng.chance(0.5);
        let hand = (look == Look::HandDrawn).then(|| Hand::sample(rng));
        Object {
            shape,
            colour,
            fill,
            size,
            x: SIDE as f32 / 2.0,
            y: SIDE as f32 / 2.0,
            turn: cos_sin(degrees.to_radians()),
            outline,
            lines,
            hand,
            look,
        }
    }

    /// What the drawing adds around the turned box: half the stroke and the wobble.
    fn margin(&self) -> f32 {
        let (wobble, widest) = if self.hand.is_some() {
            (WOBBLE * self.size, 1.35)
        } else {
            (0.0, 1.0)
        };
        self.outline.map_or(0.0, |w| w * widest / 2.0) + wobble
    }

    /// Half the side of the square the drawn object fits in.
    pub fn half_extent(&self) -> f32 {
        turned_half_extent(self.size, self.turn) + self.margin()
    }

    /// Shrinks the object until it fits a frame `room` pixels wide (never below 8 px).
    fn fit_within(&mut self, room: f32) {
        let turned = turned_half_extent(1.0, self.turn) * 2.0;
        let most = (room - 2.0 * self.margin()) / turned;
        self.size = self.size.min(most).max(8.0);
    }

    /// The pixels whose samples the object may ink: its
    /// [`half_extent`](Self::half_extent) around its centre and a pixel more, so that
    /// rounding near the edge cannot leave out a pixel it touches.
    fn reach(&self) -> Reach {
        let h = self.half_extent() + 1.0;
        let span = |c: f32| {
            let from = (c - h).floor().max(0.0) as usize;
            let to = ((c + h).ceil().max(0.0) as usize).min(SIDE);
            from..to
        };
        Reach {
            columns: span(self.x),
            rows: span(self.y),
        }
    }

    /// Whether the sample point `(x, y)` (pixels) is inked.
    fn covers(&self, x: f32, y: f32) -> bool {
        let (dx, dy) = (x - self.x, y - self.y);
        let (c, s) = self.turn;
        let p = (
            (dx * c + dy * s) / self.size,
            (-dx * s + dy * c) / self.size,
        );
        let mut d = if self.lines {
            plus_lines(p)
        } else {
            self.shape.distance(p)
        };
        let mut width = self.outline;
        if let Some(hand) = &self.hand {
            let (stray, factor) = hand.at(p);
            d += stray;
            width = width.map(|w| w * factor);
        }
        let d = d * self.size;
        match width {
            None => d <= 0.0,
            Some(w) => d.abs() <= w / 2.0,
        }
    }
}

/// The square of pixels an object may ink ([`Object::reach`]).
struct Reach {
    columns: Range<usize>,
    rows: Range<usize>,
}

impl Reach {
    fn holds(&self, px: usize, py: usize) -> bool {
        self.columns.contains(&px) && self.rows.contains(&py)
    }
}

impl Background {
    fn sample(rng: &mut Rng, family: Family) -> Background {
        let grey = |rng: &mut Rng| {
            let level = if rng.chance(0.5) {
                rng.between(0, 50)
            } else {
                rng.between(200, 255)
            } as u8;
            [level; 3]
        };
        let paper = |rng: &mut Rng| {
            let r = rng.between(240, 255);
            [r, r - rng.between(0, 6), r - rng.between(0, 12)].map(|c| c as u8)
        };
        let flat = |colour: [u8; 3], noise: i32| Background {
            family,
            from: colour,
            to: colour,
            direction: (1.0, 0.0),
            noise,
        };
        match family {
            Family::Grey => flat(grey(rng), 6),
            Family::Paper => {
                let colour = paper(rng);
                flat(colour, rng.between(0, 4))
            }
            Family::Tint => {
                let colour = [(); 3].map(|_| rng.between(210, 255) as u8);
                flat(colour, rng.between(0, 6))
            }
            Family::Gradient => {
                let dark = rng.chance(0.2);
                let from = if dark {
                    [(); 3].map(|_| rng.between(0, 50) as u8)
                } else {
                    [(); 3].map(|_| rng.between(200, 255) as u8)
                };
                let change = rng.between(10, 45);
                let to = from.map(|c| {
                    let c = c as i32;
                    (if dark { c + change } else { c - change }).clamp(0, 255) as u8
                });
                let direction = loop {
                    let (a, b) = (2.0 * rng.unit() - 1.0, 2.0 * rng.unit() - 1.0);
                    let r2 = a * a + b * b;
                    if (0.01..=1.0).contains(&r2) {
                        let r = r2.sqrt();
                        break (a / r, b / r);
                    }
                };
                Background {
                    family,
                    from,
                    to,
                    direction,
                    noise: rng.between(0, 6),
                }
            }
            Family::Noisy => {
                let colour = if rng.chance(0.5) {
                    grey(rng)
                } else {
                    paper(rng)
                };
                flat(colour, rng.between(10, 18))
            }
        }
    }

    /// The background's colour at the centre of pixel `(px, py)`, before noise.
    fn at(&self, px: usize, py: usize) -> [f32; 3] {
        let centre = SIDE as f32 / 2.0;
        let along = ((px as f32 + 0.5 - centre) * self.direction.0
            + (py as f32 + 0.5 - centre) * self.direction.1)
            / SIDE as f32;
        let t = (along + 0.5).clamp(0.0, 1.0);
        [0, 1, 2].map(|c| self.from[c] as f32 + (self.to[c] as f32 - self.from[c] as f32) * t)
    }
}

impl Scene {
    /// One object, any look, colour, shape and background: what episodes show.
    pub fn sample(rng: &mut Rng) -> Scene {
        Scene::draw(
            rng,
            Draw {
                objects: 1,
                ..Draw::default()
            },
        )
    }

    /// What captions are trained on: blank a tenth of the time, one object half, two the rest.
    pub fn sample_any(rng: &mut Rng) -> Scene {
        let r = rng.unit();
        let objects = if r < 0.1 {
            0
        } else if r < 0.6 {
            1
        } else {
            2
        };
        Scene::draw(
            rng,
            Draw {
                objects,
                ..Draw::default()
            },
        )
    }

    /// One object of the given shape and colour, the rest at random.
    pub fn with(rng: &mut Rng, shape: Shape, colour: Colour) -> Scene {
        Scene::draw(
            rng,
            Draw {
                objects: 1,
                shape: Some(shape),
                colour: Some(colour),
                ..Draw::default()
            },
        )
    }

    /// A scene as `draw` asks, the rest at random.
    ///
    /// # Panics
    /// If it asks for more than two objects.
    pub fn draw(rng: &mut Rng, draw: Draw) -> Scene {
        assert!(draw.objects <= 2, "a scene holds at most two objects");
        let family = draw
            .family
            .unwrap_or_else(|| Family::ALL[rng.below(Family::ALL.len())]);
        let background = Background::sample(rng, family);
        let mut objects: Vec<Object> = (0..draw.objects)
            .map(|_| {
                let shape = draw
                    .shape
                    .unwrap_or_else(|| Shape::ALL[rng.below(Shape::ALL.len())]);
                let colour = draw
                    .colour
                    .unwrap_or_else(|| Colour::ALL[rng.below(Colour::ALL.len())]);
                let look = draw
                    .look
                    .unwrap_or_else(|| Look::ALL[rng.below(Look::ALL.len())]);
                let size = if draw.objects == 1 {
                    8.0 + 20.0 * rng.unit()
                } else {
                    8.0 + 8.0 * rng.unit()
                };
                Object::sample(rng, shape, colour, look, size)
            })
            .collect();
        place(rng, &mut objects);
        Scene {
            objects,
            background,
            antialiased: rng.chance(0.5),
            noise_seed: rng.next_u64(),
        }
    }

    /// A picture with nothing drawn on it.
    pub fn blank(rng: &mut Rng) -> Scene {
        Scene::draw(rng, Draw::default())
    }

    /// The objects' share of pixel `(px, py)`, each in drawing order: 4 × 4 samples when
    /// anti-aliased, the pixel's centre otherwise.
    fn coverage(&self, object: &Object, px: usize, py: usize) -> f32 {
        let samples: &[f32] = if self.antialiased {
            &[0.125, 0.375, 0.625, 0.875]
        } else {
            &[0.5]
        };
        let mut hits = 0;
        for sy in samples {
            for sx in samples {
                hits += object.covers(px as f32 + sx, py as f32 + sy) as usize;
            }
        }
        hits as f32 / (samples.len() * samples.len()) as f32
    }

    /// The 32 × 32 picture.
    pub fn render(&self) -> Picture {
        let mut noise = Rng::new(self.noise_seed);
        let amplitude = self.background.noise;
        let reaches: Vec<_> = self.objects.iter().map(Object::reach).collect();
        let mut rgb = Vec::with_capacity(SIDE * SIDE * 3);
        for py in 0..SIDE {
            for px in 0..SIDE {
                let mut colour = self.background.at(px, py);
                for (object, reach) in self.objects.iter().zip(&reaches) {
                    // Most of the frame is out of an object's reach, where its 16 samples
                    // would all miss: skipping them leaves every pixel as it was.
                    if !reach.holds(px, py) {
                        continue;
                    }
                    let c = self.coverage(object, px, py);
                    if c > 0.0 {
                        for (v, fill) in colour.iter_mut().zip(object.fill) {
                            *v = *v * (1.0 - c) + fill as f32 * c;
                        }
                    }
                }
                for v in colour {
                    let v = v.round() as i32 + noise.between(-amplitude, amplitude);
                    rgb.push(v.clamp(0, 255) as u8);
                }
            }
        }
        Picture {
            width: SIDE,
            height: SIDE,
            rgb,
        }
    }
}

/// Places one object anywhere, or two side by side with at least 2 px between their
/// boxes, left first; shrinks two until they fit.
fn place(rng: &mut Rng, objects: &mut [Object]) {
    const GAP: f32 = 2.0;
    let side = SIDE as f32;
    let anywhere = |rng: &mut Rng, o: &Object| {
        let h = o.half_extent().min(side / 2.0);
        h + (side - 2.0 * h) * rng.unit()
    };
    match objects {
        [] => {}
        [one] => {
            one.fit_within(side);
            one.x = anywhere(rng, one);
            one.y = anywhere(rng, one);
        }
        [left, right] => {
            while left.half_extent() + right.half_extent() > (side - GAP) / 2.0
                && (left.size > 8.0 || right.size > 8.0)
            {
                left.size = (left.size * 0.95).max(8.0);
                right.size = (right.size * 0.95).max(8.0);
            }
            let (hl, hr) = (left.half_extent(), right.half_extent());
            let free = (side - 2.0 * hl - 2.0 * hr - GAP).max(0.0);
            let (a, b) = (free * rng.unit(), free * rng.unit());
            let (first, second) = (a.min(b), a.max(b));
            left.x = hl + first;
            right.x = 2.0 * hl + GAP + hr + second;
            left.y = anywhere(rng, left);
            right.y = anywhere(rng, right);
        }
        _ => unreachable!("at most two objects"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inked(p: &Picture, scene: &Scene) -> usize {
        let bg = &scene.background;
        (0..SIDE * SIDE)
            .filter(|&i| {
                let (px, py) = (i % SIDE, i / SIDE);
                let want = bg.at(px, py);
                (0..3).any(|c| (p.rgb[i * 3 + c] as f32 - want[c]).abs() > (bg.noise + 30) as f32)
            })
            .count()
    }

    #[test]
    fn the_same_seed_draws_the_same_scene() {
        let a = Scene::sample_any(&mut Rng::new(7));
        let b = Scene::sample_any(&mut Rng::new(7));
        assert_eq!(a, b);
        assert_eq!(a.render(), b.render());
        assert_ne!(a, Scene::sample_any(&mut Rng::new(8)));
    }

    #[test]
    fn scenes_stay_inside_the_contract() {
        let mut rng = Rng::new(1);
        let mut counts = [0; 3];
        for _ in 0..3000 {
            let s = Scene::sample_any(&mut rng);
            counts[s.objects.len()] += 1;
            for o in &s.objects {
                assert!(o.colour.holds(o.fill), "{:?} {:?}", o.colour, o.fill);
                for other in Colour::ALL.iter().filter(|&&c| c != o.colour) {
                    assert!(!other.holds(o.fill), "{:?} in {other:?}'s band", o.fill);
                }
                let (c, sin) = o.turn;
                assert!(c >= 20f32.to_radians().cos() - 1e-6 && sin.abs() <= 0.3421);
                let most = if s.objects.len() == 1 { 28.0 } else { 16.0 };
                assert!((8.0..=most).contains(&o.size), "{}", o.size);
                if let Some(w) = o.outline {
                    assert!((1.0..=4.0).contains(&w));
                }
                assert!(!o.lines || (o.shape == Shape::Cross && o.outline.is_some()));
                assert!(o.x >= 0.0 && o.x <= 32.0 && o.y >= 0.0 && o.y <= 32.0);
            }
            if let [left, right] = s.objects.as_slice() {
                assert!(right.x - right.half_extent() >= left.x + left.half_extent() + 1.99);
            }
            let b = &s.background;
            match b.family {
                Family::Grey => assert!(b.from[0] <= 50 || b.from[0] >= 200),
                Family::Paper => assert!(b.from.iter().all(|&c| c >= 228)),
                Family::Tint => assert!(b.from.iter().all(|&c| c >= 210)),
                Family::Gradient => assert_ne!(b.from, b.to),
                Family::Noisy => assert!(b.noise >= 10),
            }
            assert!(b.family == Family::Noisy || b.noise <= 6);
        }
        // Blank a tenth, one object a half, two the rest.
        assert!((250..350).contains(&counts[0]), "{counts:?}");
        assert!((1350..1650).contains(&counts[1]), "{counts:?}");
    }

    #[test]
    fn paint_programs_pure_colours_are_in_their_bands() {
        for (rgb, colour) in [
            ([255, 0, 0], Colour::Red),
            ([0, 0, 255], Colour::Blue),
            ([0, 128, 0], Colour::Green),
            ([0, 255, 0], Colour::Green),
            ([255, 255, 0], Colour::Yellow),
            ([128, 0, 128], Colour::Purple),
            ([255, 165, 0], Colour::Orange),
        ] {
            assert!(colour.holds(rgb), "{rgb:?} {colour}");
            let others = Colour::ALL.iter().filter(|&&c| c != colour && c.holds(rgb));
            assert_eq!(others.count(), 0, "{rgb:?}");
        }
    }

    #[test]
    fn a_shape_is_drawn_in_its_colour_on_its_background() {
        let mut rng = Rng::new(3);
        let mut scene = Scene::draw(
            &mut rng,
            Draw {
                objects: 1,
                look: Some(Look::Filled),
                family: Some(Family::Grey),
                shape: Some(Shape::Square),
                colour: Some(Colour::Blue),
            },
        );
        let o = &mut scene.objects[0];
        (o.x, o.y, o.size) = (14.0, 16.0, 20.0);
        let fill = o.fill;
        let p = scene.render();
        let at = |x: usize, y: usize| &p.rgb[(y * SIDE + x) * 3..][..3];
        for (c, f) in at(14, 16).iter().zip(fill) {
            assert!((*c as i32 - f as i32).abs() <= 6, "inside: {c} vs {f}");
        }
        for c in at(1, 1) {
            assert!((*c as i32 - scene.background.from[0] as i32).abs() <= 6);
        }
    }

    #[test]
    fn an_outline_inks_less_than_its_filled_shape_and_leaves_its_middle_empty() {
        for shape in Shape::ALL {
            let mut rng = Rng::new(4);
            let mut filled = Scene::draw(
                &mut rng,
                Draw {
                    objects: 1,
                    look: Some(Look::Filled),
                    family: Some(Family::Paper),
                    shape: Some(shape),
                    colour: Some(Colour::Red),
                },
            );
            let o = &mut filled.objects[0];
            (o.x, o.y, o.size) = (16.0, 16.0, 24.0);
            let mut outline = filled.clone();
            outline.objects[0].outline = Some(2.0);
            let (f, l) = (filled.render(), outline.render());
            assert!(inked(&l, &outline) < inked(&f, &filled), "{shape}");
            // Even the cross's bars are wider than two strokes, so every middle is paper.
            let mid = &l.rgb[(16 * SIDE + 16) * 3..][..3];
            assert!(mid[1] > 150, "{shape}: {mid:?}");
        }
    }

    #[test]
    fn two_objects_lie_left_to_right_and_blank_scenes_are_background() {
        let mut rng = Rng::new(6);
        for _ in 0..200 {
            let s = Scene::draw(
                &mut rng,
                Draw {
                    objects: 2,
                    ..Draw::default()
                },
            );
            assert!(s.objects[0].x < s.objects[1].x);
        }
        let blank = Scene::blank(&mut rng);
        assert!(blank.objects.is_empty());
        assert_eq!(inked(&blank.render(), &blank), 0);
    }

    #[test]
    fn no_object_inks_a_sample_beyond_its_reach() {
        let mut rng = Rng::new(12);
        let mut checked = 0;
        for _ in 0..3000 {
            let s = Scene::sample_any(&mut rng);
            for o in &s.objects {
                let reach = o.reach();
                for (px, py) in (0..SIDE).flat_map(|y| (0..SIDE).map(move |x| (x, y))) {
                    if !reach.holds(px, py) {
                        checked += 1;
                        assert_eq!(s.coverage(o, px, py), 0.0, "{o:?} at ({px}, {py})");
                    }
                }
            }
        }
        assert!(checked > 1_000_000, "{checked}");
    }

    #[test]
    fn every_look_is_drawn_and_rotation_turns_the_box() {
        let mut rng = Rng::new(9);
        for look in Look::ALL {
            for _ in 0..50 {
                let s = Scene::draw(
                    &mut rng,
                    Draw {
                        objects: 1,
                        look: Some(look),
                        ..Draw::default()
                    },
                );
                let o = &s.objects[0];
                assert_eq!(o.look, look);
                assert_eq!(o.hand.is_some(), look == Look::HandDrawn);
                let turned = o.turn.1.abs() > 0.08;
                match look {
                    Look::Filled | Look::Outline => assert_eq!(o.turn, (1.0, 0.0)),
                    Look::Rotated => assert!(turned),
                    Look::HandDrawn => {}
                }
                assert!(inked(&s.render(), &s) > 4, "{look:?} drew nothing");
            }
        }
    }
}
