//! The measurements behind the recipe's third edition (TRAINING.md, "How the recipe got
//! here"): stage 1 retrained for `encoder_steps` (0: the shipped encoder), then a fresh
//! bridge trained on the shipped language model, its captions and episodes as the mix
//! asks, probed every `every` steps on 100 two-object and 100 hand-drawn scenes of the
//! evaluation's seed 0. One thread each, two at a time, as they were measured:
//!
//!     RAYON_NUM_THREADS=1 cargo run --release -p mini --example recipe -- \
//!         encoder_steps=4000 steps=8000 every=1000 captions=1 batch=32

use std::time::Instant;

use burn::module::Module;
use burn::tensor::Device;
use mini::evaluate::{CaptionSet, caption_accuracy, caption_scenes};
use mini::inference::resolved;
use mini::scene::Look;
use mini::training::{BridgeTraining, TrainingConfig, Variant, train_encoder};
use mini::{Gating, weights};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str, default: f64| -> f64 {
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("{name}=")))
            .map_or(default, |v| v.parse().expect("a number"))
    };
    let steps = arg("steps", 1000.0) as usize;
    let every = arg("every", 250.0) as usize;
    let bytes = std::fs::read("assets/mini-flamingo.safetensors").expect("run from the repository");
    let device = Device::flex().autodiff();
    let (shipped, model) = weights::load(&bytes, &device).expect("the shipped weights");
    let config = TrainingConfig::new()
        .with_model(model)
        .with_encoder_steps(arg("encoder_steps", 0.0) as usize)
        .with_flamingo_lr(arg("lr", 1e-3))
        .with_flamingo_batch(arg("batch", 32.0) as usize)
        .with_caption_share(arg("captions", 0.8) as f32);
    let encoder = if config.encoder_steps > 0 {
        let start = Instant::now();
        let (encoder, _, [colour, shape]) = train_encoder(&config, &device, &mut |_| {});
        println!(
            "encoder, {} steps, {:.0} s: colour {colour:.3}, shape {shape:.3} (every label right)",
            config.encoder_steps,
            start.elapsed().as_secs_f64()
        );
        encoder
    } else {
        shipped.encoder.clone()
    };
    let variant = Variant {
        gating: Gating::default(),
        gate_lr: 1.0,
        steps,
    };
    let mut run = BridgeTraining::new(&config, &encoder, &shipped.lm, variant, &device);
    let two = caption_scenes(0, CaptionSet::Two, 100);
    let hand = caption_scenes(0, CaptionSet::Look(Look::HandDrawn), 100);
    let start = Instant::now();
    for step in 0..=steps {
        if step % every == 0 || step == steps {
            let model = run.model().clone().valid();
            let t = resolved(caption_accuracy(&model, &two, Gating::default()));
            let h = resolved(caption_accuracy(&model, &hand, Gating::default()));
            println!(
                "step {step:5} {:5.0} s  two objects: first colour {:.2}, first shape {:.2}, both in order {:.2} | hand-drawn: colour {:.2}, shape {:.2}",
                start.elapsed().as_secs_f64(),
                t.colour,
                t.shape,
                t.objects,
                h.colour,
                h.shape
            );
        }
        if step < steps {
            run.step();
        }
    }
}
