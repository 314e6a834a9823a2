//! Properties that hold exactly, whatever the weights: the closed gate is the
//! identity, attention rows are distributions, masked weights are zero, and the
//! CPU and GPU backends compute the same thing.
//!
//! Every random value here is drawn through `seeded`: the tests run on parallel
//! threads and burn's CPU backend has one generator per process, so a bare draw in
//! one test could take values from another test's seed.

use flamingo::burn::module::{Module, Param};
use flamingo::burn::tensor::{Device, DeviceKind, Distribution, Tensor};
use flamingo::{
    GatedCrossAttentionBlockConfig, Gating, Interleaved, MaskRule, MaskedCrossAttentionConfig,
    PerceiverResamplerConfig, seeded,
};

/// Standard normal values, seeded by their shape.
fn normal<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
    let seed = shape.iter().fold(17, |h, n| h * 31 + *n as u64);
    seeded(seed, device, |d| {
        Param::from_tensor(Tensor::random(shape, Distribution::Normal(0.0, 1.0), d))
    })
    .val()
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec().unwrap()
}

/// Two sequences: one with text before its first image, one starting with an image.
fn prompts() -> Vec<Interleaved> {
    vec![
        Interleaved::parse("a b <image> c d <image> e f g <image> h"),
        Interleaved::parse("<image> a b c <image> d e f g h <image>"),
    ]
}

fn locations(prompts: &[Interleaved]) -> Vec<Vec<bool>> {
    prompts.iter().map(Interleaved::media_locations).collect()
}

#[test]
fn closed_gates_are_the_identity_bit_for_bit() {
    let device = Device::flex();
    for immediate in [true, false] {
        let config = GatedCrossAttentionBlockConfig::new(32, 16)
            .with_heads(4)
            .with_dim_head(8)
            .with_only_attend_immediate_media(immediate);
        let block = seeded(1, &device, |d| config.init(d));
        let x = normal([2, 11, 32], &device);
        let media = normal([2, 3, 5, 16], &device);
        let out = block.forward(x.clone(), media.clone(), &locations(&prompts()));
        let (before, after) = (values(x.clone()), values(out.output));
        assert!(
            before
                .iter()
                .zip(&after)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "tanh(0) = 0 must leave x untouched"
        );

        // Opening either gate alone changes it.
        for (attn_gate, ff_gate) in [(0.5, 0.0), (0.0, 0.5)] {
            let opened = block.clone().with_gates(attn_gate, ff_gate);
            let out = opened.forward(x.clone(), media.clone(), &locations(&prompts()));
            assert!(
                values(out.output).iter().zip(&before).any(|(a, b)| a != b),
                "gates {attn_gate} {ff_gate}"
            );
        }
    }
}

#[test]
fn the_gate_scale_multiplies_alpha_and_ungated_adds_both_branches() {
    let device = Device::flex();
    let config = GatedCrossAttentionBlockConfig::new(32, 16)
        .with_heads(4)
        .with_dim_head(8);
    let block = seeded(3, &device, |d| config.init(d)).with_gates(0.7, -0.4);
    let (x, media) = (normal([2, 11, 32], &device), normal([2, 3, 5, 16], &device));
    let run = |block: &flamingo::GatedCrossAttentionBlock, gating| {
        values(
            block
                .forward_gated(x.clone(), media.clone(), &locations(&prompts()), gating)
                .output,
        )
    };
    let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();

    // Scale 1 is the block as it is; scale 0 closes it exactly, whatever α is.
    let as_trained = values(
        block
            .forward(x.clone(), media.clone(), &locations(&prompts()))
            .output,
    );
    assert_eq!(
        bits(run(&block, Gating::Tanh { scale: 1.0 })),
        bits(as_trained)
    );
    assert_eq!(
        bits(run(&block, Gating::Tanh { scale: 0.0 })),
        bits(values(x.clone()))
    );
    // Scale s on α is the block whose α was s·α.
    let doubled = block.clone().with_gates(1.4, -0.8);
    let a = run(&block, Gating::Tanh { scale: 2.0 });
    let b = run(&doubled, Gating::default());
    assert!(a.iter().zip(&b).all(|(a, b)| (a - b).abs() < 1e-6));
    // Ungated is the block with tanh(α) = 1 on both branches: α = ∞ in effect.
    let saturated = block.clone().with_gates(20.0, 20.0);
    let a = run(&block, Gating::Ungated);
    let b = run(&saturated, Gating::default());
    assert!(a.iter().zip(&b).all(|(a, b)| (a - b).abs() < 1e-5));
    assert_ne!(a, run(&block, Gating::default()));
}

#[test]
fn cross_attention_rows_are_distributions_and_masked_weights_are_zero() {
    let device = Device::flex();
    let (heads, n, t_img) = (3, 4, 3);
    for rule in [MaskRule::MostRecent, MaskRule::AllPreceding] {
        let config = MaskedCrossAttentionConfig::new(24, 12)
            .with_heads(heads)
            .with_dim_head(8)
            .with_only_attend_immediate_media(rule == MaskRule::MostRecent);
        let attn = seeded(2, &device, |d| config.init(d));
        let prompts = prompts();
        let out = attn.forward(
            normal([2, 11, 24], &device),
            normal([2, t_img, n, 12], &device),
            &locations(&prompts),
        );
        let weights = values(out.weights);
        let output = values(out.output);
        for (b, prompt) in prompts.iter().enumerate() {
            let mask = prompt.mask(rule);
            for h in 0..heads {
                for i in 0..prompt.len() {
                    let row = &weights[((b * heads + h) * 11 + i) * t_img * n..][..t_img * n];
                    for (col, w) in row.iter().enumerate() {
                        if !mask.allowed(i, col / n) {
                            assert_eq!(
                                *w, 0.0,
                                "rule {rule:?} b {b} head {h} token {i} column {col}"
                            );
                        }
                    }
                    let sum: f32 = row.iter().sum();
                    let want = if mask.sees_media(i) { 1.0 } else { 0.0 };
                    assert!(
                        (sum - want).abs() < 1e-5,
                        "row sum {sum} for token {i} of {prompt}"
                    );
                    if !mask.sees_media(i) {
                        assert!(
                            output[(b * 11 + i) * 24..][..24].iter().all(|v| *v == 0.0),
                            "no image, no visual input"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn resampler_rows_are_distributions_over_patches_and_latents() {
    let device = Device::flex();
    let config = PerceiverResamplerConfig::new(16)
        .with_depth(3)
        .with_heads(2)
        .with_dim_head(8)
        .with_num_latents(5);
    let out =
        seeded(3, &device, |d| config.init(d)).forward_traced(normal([2, 3, 1, 7, 16], &device));
    assert_eq!(out.latents.dims(), [2, 3, 5, 16]);
    assert_eq!(out.attention.len(), 3);
    for layer in out.attention {
        assert_eq!(layer.dims(), [2, 2, 3, 5, 7 + 5]);
        for row in values(layer).chunks(12) {
            let sum: f32 = row.iter().sum();
            assert!(
                (sum - 1.0).abs() < 1e-5 && row.iter().all(|w| *w > 0.0),
                "{row:?}"
            );
        }
    }
}

/// Any K, any N: the resampler always emits K tokens per image.
#[test]
fn resampler_output_has_k_tokens_whatever_the_patch_count() {
    let device = Device::flex();
    let config = PerceiverResamplerConfig::new(8)
        .with_depth(1)
        .with_heads(1)
        .with_dim_head(8)
        .with_num_latents(6);
    let resampler = seeded(4, &device, |d| config.init(d));
    for patches in [1, 196, 900] {
        assert_eq!(
            resampler
                .forward(normal([1, 1, 1, patches, 8], &device))
                .dims(),
            [1, 1, 6, 8]
        );
    }
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// The same weights and inputs on burn's CPU backend and on wgpu (natively Vulkan;
/// Mesa's lavapipe where there is no GPU) agree to 1e-4.
#[test]
fn cpu_and_wgpu_agree() {
    let cpu = Device::flex();
    let gpu = Device::wgpu(DeviceKind::DefaultDevice);
    eprintln!("wgpu device: {:?}", gpu.identity());

    let config = PerceiverResamplerConfig::new(32)
        .with_depth(2)
        .with_heads(4)
        .with_dim_head(8)
        .with_num_latents(8)
        .with_max_num_frames(Some(3))
        .with_max_num_media(Some(2));
    let resampler = seeded(7, &cpu, |d| config.init(d));
    let x = normal([2, 2, 3, 9, 32], &cpu);
    let on_cpu = resampler.forward_traced(x.clone());
    let resampler = resampler.to_device(&gpu);
    let on_gpu = resampler.forward_traced(x.to_device(&gpu));
    assert!(max_abs_diff(&values(on_cpu.latents), &values(on_gpu.latents)) <= 1e-4);
    for (a, b) in on_cpu.attention.into_iter().zip(on_gpu.attention) {
        assert!(max_abs_diff(&values(a), &values(b)) <= 1e-4);
    }

    let config = GatedCrossAttentionBlockConfig::new(32, 24)
        .with_heads(4)
        .with_dim_head(8);
    let block = seeded(8, &cpu, |d| config.init(d)).with_gates(0.8, -1.2);
    let (x, media) = (normal([2, 11, 32], &cpu), normal([2, 3, 8, 24], &cpu));
    let loc = locations(&prompts());
    let on_cpu = block.forward(x.clone(), media.clone(), &loc);
    let on_gpu = block
        .to_device(&gpu)
        .forward(x.to_device(&gpu), media.to_device(&gpu), &loc);
    assert!(max_abs_diff(&values(on_cpu.output), &values(on_gpu.output)) <= 1e-4);
    assert!(max_abs_diff(&values(on_cpu.weights), &values(on_gpu.weights)) <= 1e-4);
}

/// Weights drawn from a seed do not depend on where the module is sent before its
/// first use (burn initialises lazily).
#[test]
fn seeded_weights_are_the_same_on_every_backend() {
    let gpu = Device::wgpu(DeviceKind::DefaultDevice);
    let config = PerceiverResamplerConfig::new(16)
        .with_depth(1)
        .with_heads(2)
        .with_dim_head(8)
        .with_num_latents(4);
    let on_cpu = seeded(5, &Device::flex(), |d| config.init(d));
    let on_gpu = seeded(5, &gpu, |d| config.init(d));
    let x = normal([1, 1, 1, 9, 16], &Device::flex());
    let a = values(on_cpu.forward(x.clone()));
    let b = values(on_gpu.forward(x.to_device(&gpu)));
    assert!(max_abs_diff(&a, &b) <= 1e-5, "{}", max_abs_diff(&a, &b));
}

/// Four threads drawing at once each get the weights their seed gives alone.
#[test]
fn seeded_weights_do_not_depend_on_other_threads() {
    let config = PerceiverResamplerConfig::new(32)
        .with_depth(2)
        .with_heads(2)
        .with_dim_head(8)
        .with_num_latents(8);
    let x = normal([1, 1, 1, 5, 32], &Device::flex());
    let draw = |seed| values(seeded(seed, &Device::flex(), |d| config.init(d)).forward(x.clone()));
    let alone: Vec<_> = (0..4).map(draw).collect();
    std::thread::scope(|s| {
        for (seed, expected) in alone.iter().enumerate() {
            s.spawn(move || {
                for _ in 0..20 {
                    assert_eq!(&draw(seed as u64), expected, "seed {seed}");
                }
            });
        }
    });
}
