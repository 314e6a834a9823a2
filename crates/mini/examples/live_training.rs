//! Stage 3 from a fresh bridge on the shipped frozen encoder and language model, one
//! step at a time, with a small probe every 25 steps: the measurements behind the
//! settings of training live in the page (issue 23). Run it on one thread to see what
//! one core does:
//!
//!     RAYON_NUM_THREADS=1 cargo run --release -p mini --example live_training -- LR BATCH STEPS [GATE_LR]
//!
//! `DEVICE=wgpu` runs the same steps on wgpu (natively Vulkan; on a machine without a GPU,
//! Mesa's lavapipe): whether a GPU device would train the bridge faster than the CPU. A
//! step's loss is read back every step, so its time is the GPU's whole time; the parts'
//! times are not, as the GPU runs behind the code that queues its work.
//!
//! Prints, per probe, the seconds spent in steps, and the share of 60 fresh one-object
//! scenes (seed 77) whose caption names the colour and the shape; each probed step's
//! losses (all, picture words, text words) and gates; and at the end the milliseconds a
//! step spent in each of its parts.

use burn::module::Module;
use burn::tensor::{Device, DeviceKind};
use mini::evaluate::caption_accuracy;
use mini::inference::resolved;
use mini::scene::{Rng, Scene};
use mini::training::{BridgeTraining, TrainingConfig, Variant};
use mini::{Gating, weights};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, what: &str| -> f64 {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("usage: live_training LR BATCH STEPS [GATE_LR] ({what})"))
    };
    let (lr, batch, steps) = (
        arg(0, "LR"),
        arg(1, "BATCH") as usize,
        arg(2, "STEPS") as usize,
    );
    let gate_lr = if args.len() > 3 {
        arg(3, "GATE_LR")
    } else {
        1.0
    };
    let bytes = std::fs::read("assets/mini-flamingo.safetensors").expect("run from the repository");
    let device = match std::env::var("DEVICE").as_deref() {
        Ok("wgpu") => Device::wgpu(DeviceKind::DefaultDevice),
        Ok("flex") | Err(_) => Device::flex(),
        Ok(other) => panic!("DEVICE is wgpu or flex, not {other}"),
    }
    .autodiff();
    eprintln!("device: {:?}", device.identity());
    let (shipped, model) = weights::load(&bytes, &device).expect("the shipped weights");
    let config = TrainingConfig::new()
        .with_model(model)
        .with_flamingo_lr(lr)
        .with_flamingo_batch(batch);
    // No decay within the run: a horizon far beyond it.
    let variant = Variant {
        gating: Gating::default(),
        gate_lr,
        steps: 1_000_000,
    };
    let mut run = BridgeTraining::new(&config, &shipped.encoder, &shipped.lm, variant, &device);
    let mut rng = Rng::new(77);
    let probe: Vec<Scene> = (0..60).map(|_| Scene::sample(&mut rng)).collect();
    let mut training = 0.0;
    let mut parts = mini::training::StepTimes::default();
    for step in 0..=steps {
        if step % 25 == 0 {
            let model = run.model().clone().valid();
            let score = resolved(caption_accuracy(&model, &probe, Gating::default()));
            println!(
                "step {step:4}  {training:6.1} s training  colour {:.2}  shape {:.2}",
                score.colour, score.shape
            );
        }
        if step == steps {
            break;
        }
        let start = std::time::Instant::now();
        let entry = run.step();
        training += start.elapsed().as_secs_f64();
        parts += run.last_times();
        if step % 25 == 0 {
            println!(
                "           loss {:.3}  picture {:.3}  text {:.3}  gates {:?}",
                entry.loss, entry.loss_image, entry.loss_text, entry.gates
            );
        }
    }
    let per_step: Vec<String> = parts
        .parts()
        .iter()
        .map(|(name, seconds)| format!("{name} {:.1}", seconds * 1e3 / steps.max(1) as f64))
        .collect();
    println!("ms per step: {}", per_step.join(" · "));
}
