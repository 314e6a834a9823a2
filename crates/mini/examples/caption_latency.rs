//! Native caption latency of the shipped weights, for TRAINING.md: the median and p95
//! of `caption` (encoder, resampler, blocks, LM, greedy until `<eoc>`) over 200 scenes,
//! after 10 to warm up.
//!
//! cargo run -p mini --example caption_latency   (dev profile: dependencies and this crate at opt-level 2)

use std::time::Instant;

use burn::tensor::Device;
use mini::inference::{caption, resolved};
use mini::scene::{Rng, Scene};
use mini::{Gating, weights};

fn main() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/mini-flamingo.safetensors"
    );
    let bytes = std::fs::read(path).expect("the shipped weights");
    let start = Instant::now();
    let (model, _) = weights::load(&bytes, &Device::flex()).expect("they load");
    let load = start.elapsed().as_secs_f64() * 1e3;
    let mut rng = Rng::new(1);
    let pictures: Vec<_> = (0..210).map(|_| Scene::sample(&mut rng).render()).collect();
    let mut times: Vec<f64> = pictures
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let start = Instant::now();
            resolved(caption(&model, p, Gating::default()));
            (i >= 10).then(|| start.elapsed().as_secs_f64() * 1e3)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "load {load:.1} ms; caption over {} scenes: median {:.2} ms, p95 {:.2} ms, {} threads",
        times.len(),
        at(0.5),
        at(0.95),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
}
