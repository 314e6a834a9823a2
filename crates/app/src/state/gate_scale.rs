//! The trained panel's "Gate scale" slider as values: its grid, where it is likeliest to
//! go next, and the order in which the page keeps captions for it while idle.

/// The slider's values: 0 to `SCALE_MAX` in steps of 1 / `SCALE_STEPS`.
pub const SCALE_STEPS: u32 = 20;
pub const SCALE_MAX: u32 = 2;
const LAST: u32 = SCALE_MAX * SCALE_STEPS;

/// The slider's `i`-th value as the slider gives it: `i / 20` rounds to the same float as
/// the text "0.35" it sends, so a kept caption is found by its bits.
pub fn slider_scale(i: u32) -> f32 {
    (f64::from(i) / f64::from(SCALE_STEPS)) as f32
}

/// The step nearest `scale`.
fn step_of(scale: f32) -> i64 {
    (f64::from(scale) * f64::from(SCALE_STEPS)).round() as i64
}

/// The slider's values, 0 to `SCALE_MAX`.
pub fn slider_scales() -> impl Iterator<Item = f32> {
    (0..=LAST).map(slider_scale)
}

/// Where the slider, moved from `from` to `here`, is likeliest to go next: as far again
/// the same way, within the slider; from an end it reached, one step back. None where it
/// did not move.
pub fn next_move(from: f32, here: f32) -> Option<f32> {
    let (from, here) = (step_of(from), step_of(here));
    let next = match (2 * here - from).clamp(0, i64::from(LAST)) {
        end if end == here && from != here => here + if here == 0 { 1 } else { -1 },
        next => next,
    };
    u32::try_from(next)
        .ok()
        .filter(|_| next != here)
        .map(slider_scale)
}

/// Of the values `missing`, the one to keep a caption for first while the page is idle:
/// 0, where every gate is closed and the model is exactly the language model (the
/// lesson's step there, a teacher's first click), then the nearest `around`.
pub fn keep_first(missing: impl Iterator<Item = f32>, around: f32) -> Option<f32> {
    missing.min_by(|a, b| {
        (*a != 0.0)
            .cmp(&(*b != 0.0))
            .then((a - around).abs().total_cmp(&(b - around).abs()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_is_the_slider_s_own_text() {
        let all: Vec<f32> = slider_scales().collect();
        assert_eq!(all.len(), 41);
        for (i, s) in all.iter().enumerate() {
            let text = format!("{:.2}", i as f64 * 0.05);
            assert_eq!(
                s.to_bits(),
                text.parse::<f32>().unwrap().to_bits(),
                "{text}"
            );
        }
    }

    #[test]
    fn the_next_move_goes_on_as_the_last_and_turns_back_at_an_end() {
        let s = slider_scale;
        // A drag's step, either way.
        assert_eq!(next_move(s(20), s(21)), Some(s(22)));
        assert_eq!(next_move(s(21), s(20)), Some(s(19)));
        // A jump goes on as far, up to the end.
        assert_eq!(next_move(s(20), s(30)), Some(s(40)));
        assert_eq!(next_move(s(20), s(4)), Some(s(0)));
        // At an end it reached, by a step or a jump, the only move is back.
        assert_eq!(next_move(s(20), s(0)), Some(s(1)));
        assert_eq!(next_move(s(1), s(0)), Some(s(1)));
        assert_eq!(next_move(s(39), s(40)), Some(s(39)));
        assert_eq!(next_move(s(0), s(40)), Some(s(39)));
        // No move, no guess; from an end, a step inward goes on inward.
        assert_eq!(next_move(s(7), s(7)), None);
        assert_eq!(next_move(s(0), s(0)), None);
        assert_eq!(next_move(s(0), s(1)), Some(s(2)));
    }

    #[test]
    fn the_closed_gate_is_kept_first_then_the_nearest() {
        assert_eq!(keep_first(slider_scales(), 1.0), Some(0.0));
        let open = || slider_scales().filter(|&s| s != 0.0);
        assert_eq!(keep_first(open(), 1.0), Some(1.0));
        let next = keep_first(open().filter(|&s| s != 1.0), 1.0);
        assert!(
            next == Some(slider_scale(19)) || next == Some(slider_scale(21)),
            "{next:?}"
        );
        assert_eq!(keep_first(std::iter::empty(), 1.0), None);
    }
}
