//! How a slider's value reads beside it.

/// `value` with the decimals its slider's `step` has (0.05 → 2), so the readout shows
/// the value the slider chose rather than an f32 widened to f64 (0.15000000596).
pub fn shown(value: f64, step: f64) -> String {
    let decimals = (0..6)
        .find(|&d| {
            let scaled = step * 10f64.powi(d);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(6) as usize;
    format!("{value:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn a_readout_has_its_step_s_decimals() {
        assert_eq!(shown(0.15f32 as f64, 0.05), "0.15");
        assert_eq!(shown(-2.5, 0.05), "-2.50");
        assert_eq!(shown(64.0, 1.0), "64");
        assert_eq!(shown(0.5, 0.5), "0.5");
    }
}
