//! The browser tests check the calculator and the lineage card against the core's
//! own answers, which this test writes to `web/e2e/fixtures/lesson.json`. It fails
//! when the committed file is stale; `UPDATE_FIXTURES=1` rewrites it.

use flamingo::lineage::{PRESETS, Presence, diagnose};
use flamingo::params::ModelPreset;
use serde_json::json;

#[test]
fn browser_fixture_matches_the_core() {
    let params: Vec<_> = ModelPreset::all()
        .iter()
        .map(|p| {
            let c = p.count();
            json!({
                "name": p.name,
                "trained": c.trained(),
                "frozen": c.frozen,
                "fraction": c.trained_fraction(),
            })
        })
        .collect();
    let lineage: Vec<_> = PRESETS
        .iter()
        .map(|p| {
            let l = diagnose(p.config).expect("every preset reads");
            let presence: Vec<&str> = l
                .elements
                .iter()
                .map(|e| match e.presence {
                    Presence::Yes => "yes",
                    Presence::No => "no",
                    Presence::Unknown => "unknown",
                })
                .collect();
            json!({ "name": p.name, "presence": presence, "elements": l.flamingo_elements() })
        })
        .collect();
    let fixture = serde_json::to_string_pretty(&json!({ "params": params, "lineage": lineage }))
        .expect("serialisable")
        + "\n";
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/e2e/fixtures/lesson.json");
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, &fixture).expect("fixture written");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fixture,
        "{} is stale: rerun with UPDATE_FIXTURES=1",
        path.display()
    );
}
