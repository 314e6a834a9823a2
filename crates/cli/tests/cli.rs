//! `flamingo forward` as a user runs it: a golden case round trip, and one clear
//! line (no panic, no backtrace) for every kind of bad file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../flamingo/tests/golden")
        .join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn flamingo(args: &[&Path]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_flamingo"))
        .arg("forward")
        .args(args)
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8(out.stderr).unwrap())
}

fn read_f32(path: &Path, name: &str) -> (Vec<usize>, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let view = st.tensor(name).unwrap();
    assert_eq!(view.dtype(), Dtype::F32);
    let values = view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    (view.shape().to_vec(), values)
}

#[test]
fn forward_reproduces_the_golden_output() {
    for case in ["resampler_video_frames_time", "block_recent"] {
        let out = scratch(&format!("{case}.out.safetensors"));
        let (ok, stderr) = flamingo(&[&fixture(&format!("{case}.safetensors")), &out]);
        assert!(ok, "{stderr}");
        let (shape, ours) = read_f32(&out, "out");
        let (want_shape, want) = read_f32(&fixture(&format!("{case}.expected.safetensors")), "out");
        assert_eq!(shape, want_shape);
        let error = ours
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(error <= 1e-4, "{case}: {error:e}");
    }
}

/// A copy of a golden case with one change: tensors as (dtype, shape, bytes).
type Tensors = Vec<(String, Dtype, Vec<usize>, Vec<u8>)>;

fn edited(case: &str, edit: impl FnOnce(&mut Tensors, &mut HashMap<String, String>)) -> PathBuf {
    let bytes = std::fs::read(fixture(&format!("{case}.safetensors"))).unwrap();
    let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
    let mut metadata = header.metadata().clone().unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut tensors: Tensors = st
        .tensors()
        .into_iter()
        .map(|(n, v)| (n, v.dtype(), v.shape().to_vec(), v.data().to_vec()))
        .collect();
    edit(&mut tensors, &mut metadata);
    let views: Vec<(String, TensorView)> = tensors
        .iter()
        .map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    static EDITS: AtomicUsize = AtomicUsize::new(0);
    let path = scratch(&format!(
        "{case}-edit{}.safetensors",
        EDITS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(
        &path,
        safetensors::serialize(views, Some(metadata)).unwrap(),
    )
    .unwrap();
    path
}

fn assert_refused(input: &Path, expected: &str) {
    let (ok, stderr) = flamingo(&[input, &scratch("never.safetensors")]);
    assert!(!ok, "accepted {}", input.display());
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line, got:\n{stderr}"
    );
    assert!(stderr.starts_with("flamingo: "), "{stderr}");
    assert!(
        stderr.contains(expected),
        "wanted `{expected}` in: {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn bad_files_are_refused_with_one_line() {
    let garbage = scratch("garbage.safetensors");
    std::fs::write(&garbage, b"this is not a safetensors file").unwrap();
    assert_refused(&garbage, "not a safetensors file");
    assert_refused(&scratch("does-not-exist.safetensors"), "cannot read");

    let unknown = edited("resampler_image", |_, m| {
        m.insert("module".into(), "vision_transformer".into());
    });
    assert_refused(&unknown, "unknown module `vision_transformer`");

    let no_depth = edited("resampler_image", |_, m| {
        m.remove("depth");
    });
    assert_refused(&no_depth, "key `depth` is missing");

    let bad_json = edited("resampler_image", |_, m| {
        m.insert("heads".into(), "\"eight\"".into());
    });
    assert_refused(&bad_json, "key `heads`");

    let missing = edited("resampler_image", |t, _| {
        t.retain(|(n, ..)| n != "layers.0.0.to_kv.weight")
    });
    assert_refused(&missing, "missing tensor `layers.0.0.to_kv.weight`");

    let misshapen = edited("resampler_image", |t, _| {
        let latents = t.iter_mut().find(|(n, ..)| n == "latents").unwrap();
        latents.2 = vec![latents.2.iter().product()];
    });
    assert_refused(&misshapen, "tensor `latents` has shape");

    let wrong_dtype = edited("block_recent", |t, _| {
        let gate = t.iter_mut().find(|(n, ..)| n == "attn_gate").unwrap();
        gate.1 = Dtype::I32;
    });
    assert_refused(&wrong_dtype, "tensor `attn_gate` is I32, expected F32");

    let float_locations = edited("block_recent", |t, _| {
        let loc = t
            .iter_mut()
            .find(|(n, ..)| n == "input.media_locations")
            .unwrap();
        loc.1 = Dtype::U8;
    });
    assert_refused(
        &float_locations,
        "`input.media_locations` is U8, expected BOOL",
    );

    let wrong_width = edited("block_recent", |t, m| {
        let dim: usize = m["dim"].parse().unwrap();
        let x = t.iter_mut().find(|(n, ..)| n == "input.x").unwrap();
        x.2 = vec![x.2[0], x.2[1] * 2, dim / 2];
    });
    assert_refused(&wrong_width, "axis 2 must be dim");
}

#[test]
fn usage_errors_are_one_line_too() {
    let out = Command::new(env!("CARGO_BIN_EXE_flamingo"))
        .arg("backward")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("flamingo: ") && stderr.contains("usage: flamingo forward"),
        "{stderr}"
    );
}
