//! Random query strings, as a student's mangled link or a bot could send them.

use super::*;
use proptest::prelude::*;

const KEYS: [&str; 23] = [
    "alpha", "ff", "k", "depth", "patch", "size", "width", "len", "images", "mode", "backend",
    "scale", "shots", "scene", "episode", "task", "tour", "view", "preset", "draw", "open", "",
    "k ",
];
/// Keys whose value is one number; `number_keys_read_back` checks them.
const NUMERIC: [&str; 13] = [
    "alpha", "ff", "k", "depth", "patch", "size", "width", "len", "scale", "shots", "scene",
    "episode", "tour",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| v.to_string()),
        any::<u128>().prop_map(|v| v.to_string()),
        (-10i32..200).prop_map(|v| v.to_string()),
        (-5.0f32..5.0).prop_map(|v| v.to_string()),
        Just("NaN".to_owned()),
        Just("-inf".to_owned()),
        Just("1e39".to_owned()),
        Just("-0".to_owned()),
        Just(String::new()),
        "\\PC{0,12}",
        "[0-9,%a-fA-F+-]{0,16}",
        (0usize..3, "\\PC").prop_map(|(n, c)| c.repeat(100_000 * n / c.len().max(1))),
    ]
}

fn query() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(
            (prop::sample::select(&KEYS[..]).prop_map(str::to_owned), value(), any::<bool>()),
            0..12,
        )
        .prop_map(|pairs| {
            pairs
                .into_iter()
                .map(|(k, v, eq)| if eq { format!("{k}={v}") } else { format!("{k}{v}") })
                .collect::<Vec<_>>()
                .join("&")
        }),
        1 => "\\PC{0,200}",
        1 => "[?&=%0-9a-z,.+-]{0,80}",
    ]
}

fn assert_within_bounds(s: &UrlState) {
    assert!(s.alpha.is_finite() && (bounds::GATE.0..=bounds::GATE.1).contains(&s.alpha));
    assert!(s.ff.is_finite() && (bounds::GATE.0..=bounds::GATE.1).contains(&s.ff));
    assert!(s.scale.is_finite() && (bounds::SCALE.0..=bounds::SCALE.1).contains(&s.scale));
    assert!((bounds::K.0..=bounds::K.1).contains(&s.k));
    assert!((bounds::DEPTH.0..=bounds::DEPTH.1).contains(&s.depth));
    assert!((bounds::PATCH.0..=bounds::PATCH.1).contains(&s.patch));
    assert!((bounds::LEN.0..=bounds::LEN.1).contains(&s.len));
    assert!((bounds::SHOTS.0..=bounds::SHOTS.1).contains(&s.shots));
    assert!(bounds::SIZES.contains(&s.size) && bounds::WIDTHS.contains(&s.width));
    assert!(s.tour <= TOUR_STEPS);
    assert!(s.images.len() <= bounds::MAX_IMAGES);
    assert!(s.images.windows(2).all(|w| w[0] < w[1]));
    assert!(s.images.iter().all(|&p| p < s.len));
}

/// The value `key` has in a query `to_query` wrote.
fn written<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .find_map(|p| p.strip_prefix(key)?.strip_prefix('='))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    /// Whatever arrives: no panic, a state inside every bound, and a link to that
    /// state that reads back to it with nothing to repair.
    #[test]
    fn any_query_gives_a_state_within_bounds(q in query()) {
        let (s, _) = UrlState::parse(&q);
        assert_within_bounds(&s);
        let (again, notices) = UrlState::parse(&s.to_query());
        prop_assert_eq!(&again, &s);
        prop_assert!(notices.is_empty(), "{:?}", notices);
    }

    /// A number the page did not take as given is never dropped silently: either
    /// the state holds that number, or a notice says what was done instead.
    #[test]
    fn number_keys_read_back_or_say_why(key in prop::sample::select(&NUMERIC[..]), v in value()) {
        let pair = format!("{key}={}", v.replace('&', "%26"));
        let (s, notices) = UrlState::parse(&pair);
        if notices.is_empty() {
            let query = s.to_query();
            // A closed tour (0) is the one number left out of a link.
            let back = written(&query, key).unwrap_or(if key == "tour" { "0" } else { "absent" });
            let decoded = percent_decode(&v);
            let same = match key {
                "alpha" | "ff" | "scale" => decoded.parse::<f32>().ok() == back.parse::<f32>().ok(),
                _ => decoded.parse::<u64>().ok() == back.parse::<u64>().ok(),
            };
            prop_assert!(same, "{} became {}={} with no notice", pair, key, back);
        }
    }
}
