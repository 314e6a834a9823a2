//! `cargo xtask train --smoke` as CI runs it: the trainer binary end to end, a few
//! steps of each stage and ablation, writing weights that load and a complete log.

use std::process::Command;

use burn::tensor::Device;
use serde_json::Value;

#[test]
fn the_trainer_writes_weights_that_load_and_a_complete_log() {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("trainer-smoke");
    let run = Command::new(env!("CARGO_BIN_EXE_train"))
        .arg(&out)
        .arg("--smoke")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let bytes = std::fs::read(out.join("mini-flamingo.safetensors")).unwrap();
    mini::weights::load(&bytes, &Device::flex()).expect("the weights load");
    let log: Value =
        serde_json::from_slice(&std::fs::read(out.join("mini-flamingo-training.json")).unwrap())
            .unwrap();
    for stage in ["encoder", "lm", "flamingo"] {
        assert!(log["stages"][stage]["seconds"].is_f64(), "{stage}");
    }
    for run in [
        &log["runs"]["trained"],
        &log["runs"]["ungated"]["log"],
        &log["runs"]["fast_gates"]["log"],
    ] {
        let entries = run.as_array().unwrap();
        assert!(!entries.is_empty());
        for key in ["loss", "loss_image", "loss_text"] {
            assert!(entries[0][key].is_f64(), "{key}");
        }
        assert_eq!(
            entries[0]["gates"].as_array().unwrap().len(),
            2,
            "two blocks"
        );
    }
    assert!(log["evaluation"]["scale_1"]["few_shot"]["colour"].is_array());
    assert_eq!(log["config"]["seed"], 2026);
}
