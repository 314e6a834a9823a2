//! Our forward against OpenFlamingo 2.0.1's, on the cases `tools/golden/golden.py`
//! wrote (randomised parameters, non-zero gates, both modules and mask rules).

use std::path::{Path, PathBuf};

use flamingo::burn::tensor::Device;
use flamingo::forward_case::ForwardCase;
use flamingo::state_dict::StateDict;

const TOLERANCE: f32 = 1e-4;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/golden exists")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.to_string_lossy().ends_with(".safetensors")
                && !p.to_string_lossy().contains(".expected.")
        })
        .collect();
    cases.sort();
    cases
}

fn expected(case: &Path) -> Vec<u8> {
    std::fs::read(case.with_extension("expected.safetensors"))
        .expect("every case has its expected output")
}

fn floats(bytes: &[u8], name: &str) -> (Vec<usize>, Vec<f32>) {
    StateDict::parse(bytes).unwrap().f32s(name).unwrap()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn every_golden_case_matches_openflamingo() {
    let cases = fixtures();
    assert!(
        cases.len() >= 9,
        "expected the committed golden cases, found {}",
        cases.len()
    );
    let mut modules = (0, 0);
    for case in cases {
        let forward = ForwardCase::load(&std::fs::read(&case).unwrap(), &Device::flex()).unwrap();
        match forward {
            ForwardCase::Resampler { .. } => modules.0 += 1,
            ForwardCase::Block { .. } => modules.1 += 1,
        }
        let out = forward.forward();
        let (shape, want) = floats(&expected(&case), "out");
        assert_eq!(
            out.shape().as_slice(),
            shape.as_slice(),
            "{}",
            case.display()
        );
        let error = max_abs_diff(&out.try_to_vec::<f32>().unwrap(), &want);
        assert!(
            error <= TOLERANCE,
            "{}: max abs error {error:e}",
            case.display()
        );
    }
    assert!(
        modules.0 >= 4 && modules.1 >= 5,
        "both modules covered: {modules:?}"
    );
}

/// Where 2.0.1 hands visual input to a token that sees no image, we give none;
/// those cases must really differ from 2.0.1, or they test nothing.
#[test]
fn quirk_cases_differ_from_2_0_1_as_documented() {
    let mut quirks = 0;
    for case in fixtures() {
        let bytes = expected(&case);
        if StateDict::parse(&bytes)
            .unwrap()
            .shape("reference_2_0_1")
            .is_err()
        {
            continue;
        }
        quirks += 1;
        let (_, ours) = floats(&bytes, "out");
        let (_, reference) = floats(&bytes, "reference_2_0_1");
        assert!(max_abs_diff(&ours, &reference) > 1e-3, "{}", case.display());
    }
    assert_eq!(quirks, 2, "the two documented differences from 2.0.1");
}
