//! Native CPU forward of the resampler and the gated block at the benchmark's three
//! sizes, the same shapes `tools/bench/bench_torch.py` gives OpenFlamingo's modules.
//! `cargo xtask bench` runs this and reads criterion's medians.

// The allocator matters natively: burn allocates every intermediate afresh, and glibc
// returns large blocks to the kernel and faults them back in on each forward.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, criterion_group, criterion_main};
use flamingo::burn::tensor::Device;

mod sizes;
use sizes::SIZES;

fn forward(c: &mut Criterion) {
    let device = Device::flex();
    for s in &SIZES {
        let mut group = c.benchmark_group(s.name);
        // Ten samples is the minimum; the large size takes a tenth of a second per call.
        group.sample_size(if s.name == "classroom" { 50 } else { 10 });
        let case = s.case(&device);
        group.bench_function("resampler", |b| b.iter(|| case.resampler().into_data()));
        group.bench_function("block", |b| b.iter(|| case.block().into_data()));
        group.finish();
    }
}

criterion_group!(benches, forward);
criterion_main!(benches);
