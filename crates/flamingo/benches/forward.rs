//! Native CPU forward of the resampler and the gated block at the benchmark's three
//! sizes, the same shapes `tools/bench/bench_torch.py` gives OpenFlamingo's modules.
//! `cargo xtask bench` runs this and reads criterion's medians.

// The allocator matters natively: burn allocates every intermediate afresh, and glibc
// returns large blocks to the kernel and faults them back in on each forward.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, criterion_group, criterion_main};
use flamingo::burn::tensor::{Device, Distribution, Tensor};
use flamingo::{GatedCrossAttentionBlockConfig, PerceiverResamplerConfig, seeded};

/// One benchmark size: resampler shapes, then the block's language-model side.
struct Size {
    name: &'static str,
    k: usize,
    patches: usize,
    dim: usize,
    depth: usize,
    heads: usize,
    dim_head: usize,
    lm_dim: usize,
    tokens: usize,
}

const IMAGES: usize = 2;

const SIZES: [Size; 3] = [
    Size {
        name: "classroom",
        k: 8,
        patches: 36,
        dim: 64,
        depth: 2,
        heads: 4,
        dim_head: 16,
        lm_dim: 64,
        tokens: 16,
    },
    Size {
        name: "mid",
        k: 64,
        patches: 196,
        dim: 256,
        depth: 6,
        heads: 8,
        dim_head: 32,
        lm_dim: 256,
        tokens: 32,
    },
    Size {
        name: "openflamingo",
        k: 64,
        patches: 256,
        dim: 1024,
        depth: 6,
        heads: 8,
        dim_head: 64,
        lm_dim: 2048,
        tokens: 64,
    },
];

fn forward(c: &mut Criterion) {
    let device = Device::flex();
    for s in &SIZES {
        let mut group = c.benchmark_group(s.name);
        // Ten samples is the minimum; the large size takes a tenth of a second per call.
        group.sample_size(if s.name == "classroom" { 50 } else { 10 });

        let resampler = seeded(1, &device, |d| {
            PerceiverResamplerConfig::new(s.dim)
                .with_depth(s.depth)
                .with_heads(s.heads)
                .with_dim_head(s.dim_head)
                .with_num_latents(s.k)
                .init(d)
        });
        let x = Tensor::<5>::random(
            [1, IMAGES, 1, s.patches, s.dim],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        group.bench_function("resampler", |b| {
            b.iter(|| resampler.forward(x.clone()).into_data())
        });

        let block = seeded(2, &device, |d| {
            GatedCrossAttentionBlockConfig::new(s.lm_dim, s.dim)
                .with_heads(s.heads)
                .with_dim_head(s.dim_head)
                .init(d)
        })
        .with_gates(0.5, 0.5);
        let text = Tensor::<3>::random(
            [1, s.tokens, s.lm_dim],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let media = Tensor::<4>::random(
            [1, IMAGES, s.k, s.dim],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let locations = vec![
            (0..s.tokens)
                .map(|t| t == 0 || t == s.tokens / 2)
                .collect::<Vec<_>>(),
        ];
        group.bench_function("block", |b| {
            b.iter(|| {
                block
                    .forward(text.clone(), media.clone(), &locations)
                    .output
                    .into_data()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, forward);
criterion_main!(benches);
