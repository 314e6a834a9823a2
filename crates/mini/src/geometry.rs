//! Signed distances to the four shapes, and the little trigonometry drawing needs.
//!
//! Only `+ − × ÷` and `sqrt` are used, which IEEE 754 rounds the same everywhere, so a
//! seed draws the same pixels natively and in wasm (`sin`, `cos` and `atan2` come from
//! different libraries on the two and may differ in the last bit).

use crate::scene::Shape;

/// A point in a shape's own frame: the shape's box is `[-0.5, 0.5]²`, `y` down.
pub type Point = (f32, f32);

/// `(cos a, sin a)` for `|a| ≤ π/4`, by their Taylor series to the 11th power (error
/// below 1e-9 there): rotations in the contract stay within ±20°.
pub fn cos_sin(a: f32) -> (f32, f32) {
    debug_assert!(a.abs() <= std::f32::consts::FRAC_PI_4);
    let a2 = a * a;
    let cos = 1.0 - a2 / 2.0 * (1.0 - a2 / 12.0 * (1.0 - a2 / 30.0 * (1.0 - a2 / 56.0)));
    let sin = a * (1.0 - a2 / 6.0 * (1.0 - a2 / 20.0 * (1.0 - a2 / 42.0 * (1.0 - a2 / 72.0))));
    (cos, sin)
}

/// Half the side of the square that holds a box of side `size` turned by `(cos, sin)`.
pub fn turned_half_extent(size: f32, (cos, sin): (f32, f32)) -> f32 {
    size / 2.0 * (cos.abs() + sin.abs())
}

/// The cross's bars are a third of its side thick.
const BAR: f32 = 1.0 / 6.0;

const TRIANGLE: [Point; 3] = [(0.0, -0.5), (0.5, 0.5), (-0.5, 0.5)];
const SQUARE: [Point; 4] = [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)];
const CROSS: [Point; 12] = [
    (-BAR, -0.5),
    (BAR, -0.5),
    (BAR, -BAR),
    (0.5, -BAR),
    (0.5, BAR),
    (BAR, BAR),
    (BAR, 0.5),
    (-BAR, 0.5),
    (-BAR, BAR),
    (-0.5, BAR),
    (-0.5, -BAR),
    (-BAR, -BAR),
];

impl Shape {
    /// Signed distance from `p` to the shape's edge, in box sides: negative inside.
    pub fn distance(self, p: Point) -> f32 {
        match self {
            Shape::Circle => (p.0 * p.0 + p.1 * p.1).sqrt() - 0.5,
            Shape::Square => polygon(&SQUARE, p),
            Shape::Triangle => polygon(&TRIANGLE, p),
            Shape::Cross => polygon(&CROSS, p),
        }
    }
}

/// Distance from `p` to the two centre lines of a cross's box: a plus sign drawn as
/// two strokes, the way most people draw one.
pub fn plus_lines(p: Point) -> f32 {
    let along = |a: f32, b: f32| {
        let over = (a.abs() - 0.5).max(0.0);
        (over * over + b * b).sqrt()
    };
    along(p.0, p.1).min(along(p.1, p.0))
}

/// Signed distance to a simple polygon (its edge nearest, the sign from the crossing
/// rule), after Inigo Quilez's `sdPolygon`.
fn polygon(v: &[Point], p: Point) -> f32 {
    let sub = |a: Point, b: Point| (a.0 - b.0, a.1 - b.1);
    let dot = |a: Point, b: Point| a.0 * b.0 + a.1 * b.1;
    let mut d = dot(sub(p, v[0]), sub(p, v[0]));
    let mut sign = 1.0;
    let n = v.len();
    for i in 0..n {
        let (vi, vj) = (v[i], v[(i + n - 1) % n]);
        let e = sub(vj, vi);
        let w = sub(p, vi);
        let t = (dot(w, e) / dot(e, e)).clamp(0.0, 1.0);
        let b = (w.0 - e.0 * t, w.1 - e.1 * t);
        d = d.min(dot(b, b));
        let c = [p.1 >= vi.1, p.1 < vj.1, e.0 * w.1 > e.1 * w.0];
        if c.iter().all(|&x| x) || c.iter().all(|&x| !x) {
            sign = -sign;
        }
    }
    sign * d.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cos_sin_match_the_library_within_the_contracts_angles() {
        for i in -40..=40 {
            let a = i as f32 / 40.0 * 0.7;
            let (c, s) = cos_sin(a);
            assert!(
                (c - a.cos()).abs() < 1e-6 && (s - a.sin()).abs() < 1e-6,
                "{a}"
            );
        }
    }

    #[test]
    fn distances_are_signed_and_measured_from_the_edge() {
        assert!((Shape::Circle.distance((0.0, 0.0)) + 0.5).abs() < 1e-6);
        assert!((Shape::Square.distance((0.75, 0.0)) - 0.25).abs() < 1e-6);
        assert!((Shape::Square.distance((0.0, 0.0)) + 0.5).abs() < 1e-6);
        // The triangle's apex is up: near the top only its middle is inside.
        assert!(Shape::Triangle.distance((0.0, -0.3)) < 0.0);
        assert!(Shape::Triangle.distance((0.35, -0.3)) > 0.0);
        assert!(Shape::Triangle.distance((0.35, 0.45)) < 0.0);
        // The cross: its bars inside, its box's corners outside.
        assert!(Shape::Cross.distance((0.0, 0.45)) < 0.0);
        assert!(Shape::Cross.distance((0.4, 0.4)) > 0.0);
        assert!((plus_lines((0.3, 0.0))).abs() < 1e-6);
        assert!((plus_lines((0.3, 0.2)) - 0.2).abs() < 1e-6);
    }
}
