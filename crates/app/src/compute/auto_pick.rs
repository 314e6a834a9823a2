//! The "auto" backend: which of WebGPU and the CPU is faster depends on the size of
//! the work, so auto measures both once per size class and keeps the faster.
//!
//! Size classes are powers of two of the multiply-adds, so dragging K from 8 to 9
//! reuses the decision while going from 196 to 900 patches measures again. The same
//! multiply-adds say whether a forward is worth sharing among the CPU workers.

use std::collections::BTreeMap;

use lab::Request;
use lab::stand_in::grid;

use crate::state::url_state::BackendChoice;

/// Below this many multiply-adds per image, one worker answers the whole request: shared
/// out, its images' parts and their join cost two round trips, and both cores, for work
/// that takes one worker a millisecond or two. At the classroom size (1.5 M per image) one
/// worker answered a K step sooner (its forward's p95 9.2-12.7 ms against 11.7-14.6 ms)
/// and more often within the frame; at the mid size (507 M) two workers answer a
/// three-image K step sooner (p50 170 against 199 ms) (BENCHMARKS.md, "Figures out of
/// sight, stills shared, one worker for a small request").
pub const SHARE_MACS: u64 = 16_000_000;

/// The shapes that set the cost of one forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workload {
    /// Latents K.
    pub k: usize,
    /// Resampler depth.
    pub depth: usize,
    /// Patches per image (all frames together).
    pub patches: usize,
    /// Images in the sequence (at least one: the resampler always runs).
    pub images: usize,
    /// Text tokens.
    pub tokens: usize,
    /// Feature width.
    pub dim: usize,
}

impl Workload {
    /// The shapes of one request.
    pub fn of(r: &Request) -> Self {
        let g = grid(r.size, r.patch);
        let frames = r.prompt.media_frames();
        Self {
            k: r.k,
            depth: r.depth,
            patches: g * g * frames.iter().copied().max().unwrap_or(1),
            images: frames.len().max(1),
            tokens: r.prompt.segments.len(),
            dim: r.width,
        }
    }

    /// Multiply-adds of the resampler's attention and feed-forward and the block's cross-attention.
    pub fn macs(&self) -> u64 {
        let Workload {
            k,
            depth,
            patches,
            images,
            tokens,
            dim,
        } = *self;
        let (k, depth, n, t, s, d) = (
            k as u64,
            depth as u64,
            patches as u64,
            images as u64,
            tokens as u64,
            dim as u64,
        );
        let keys = n + k;
        // Projections of queries, keys, values and output, scores and weighted sum, 4× feed-forward.
        let resampler =
            t * depth * (k * d * d * 2 + keys * d * d * 2 + 2 * k * keys * d + 8 * k * d * d);
        let block = s * d * d * 2 + t * k * d * d * 2 + 2 * s * t * k * d + 8 * s * d * d;
        resampler + block
    }

    /// Whether sharing the images among the workers pays ([`SHARE_MACS`]).
    pub fn worth_sharing(&self) -> bool {
        self.macs() / self.images.max(1) as u64 >= SHARE_MACS
    }

    /// Size class: forwards within a factor of two share one decision.
    pub fn class(&self) -> u32 {
        self.macs().max(1).ilog2()
    }
}

/// One measurement of both backends on the same request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Milliseconds on WebGPU (after a warm-up run that compiles the shaders).
    pub gpu_ms: f64,
    /// Milliseconds on the CPU.
    pub cpu_ms: f64,
}

impl Measured {
    /// Whether WebGPU won.
    pub fn gpu_wins(&self) -> bool {
        self.gpu_ms < self.cpu_ms
    }
}

/// Decisions so far, one per size class.
#[derive(Debug, Default)]
pub struct AutoPick {
    decided: BTreeMap<u32, Measured>,
}

impl AutoPick {
    /// The measurement for this workload's class, if one was taken.
    pub fn get(&self, w: &Workload) -> Option<Measured> {
        self.decided.get(&w.class()).copied()
    }

    /// Keeps a measurement for this workload's class.
    pub fn record(&mut self, w: &Workload, m: Measured) {
        self.decided.insert(w.class(), m);
    }

    /// How many size classes have been measured.
    pub fn classes(&self) -> usize {
        self.decided.len()
    }
}

/// Which backend computed the frame on screen, and for "auto" what it measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Used {
    /// WebGPU, not the CPU.
    pub gpu: bool,
    /// Auto's measurement at this size, when auto chose.
    pub measured: Option<Measured>,
}

/// The backend badge: which backend computed the frame on screen, and why. `webgpu` is
/// `None` while the WebGPU module loads, then its adapter or why there is none.
pub fn badge(
    choice: BackendChoice,
    webgpu: Option<&Result<String, String>>,
    used: Option<Used>,
) -> String {
    // "WebGPU", then in brackets the adapter's name where the browser gives it and
    // auto's measurement where auto chose.
    let on_gpu = |adapter: &str, measured: Option<Measured>| {
        let auto = measured.map(|m| {
            format!(
                "auto: {:.0} ms vs CPU {:.0} ms at this size",
                m.gpu_ms, m.cpu_ms
            )
        });
        let detail: Vec<String> = [(!adapter.is_empty()).then(|| adapter.to_owned()), auto]
            .into_iter()
            .flatten()
            .collect();
        if detail.is_empty() {
            "WebGPU".to_owned()
        } else {
            format!("WebGPU ({})", detail.join("; "))
        }
    };
    match (webgpu, used) {
        (Some(Err(why)), _) => format!("CPU ({why})"),
        _ if choice == BackendChoice::Cpu => "CPU (chosen)".to_owned(),
        (None, _) => "CPU (loading the WebGPU module…)".to_owned(),
        (
            Some(Ok(adapter)),
            Some(Used {
                gpu: true,
                measured,
            }),
        ) => on_gpu(adapter, measured),
        (
            Some(Ok(_)),
            Some(Used {
                gpu: false,
                measured: Some(m),
            }),
        ) => format!(
            "CPU (auto: {:.0} ms vs WebGPU {:.0} ms at this size)",
            m.cpu_ms, m.gpu_ms
        ),
        (Some(Ok(_)), _) if choice == BackendChoice::Auto => "auto: measuring both…".to_owned(),
        // WebGPU chosen: until its first frame (which compiles its shaders) the CPU's is shown.
        (Some(Ok(_)), _) => "CPU (WebGPU is computing its first frame…)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLASSROOM: Workload = Workload {
        k: 8,
        depth: 2,
        patches: 196,
        images: 2,
        tokens: 12,
        dim: 64,
    };

    #[test]
    fn one_more_latent_keeps_the_class_a_bigger_image_does_not() {
        let k9 = Workload { k: 9, ..CLASSROOM };
        assert_eq!(k9.class(), CLASSROOM.class());
        let big = Workload {
            patches: 900,
            ..CLASSROOM
        };
        assert!(big.class() >= CLASSROOM.class() + 2, "900 vs 196 patches");
    }

    #[test]
    fn cost_grows_with_every_shape() {
        let base = CLASSROOM.macs();
        for bigger in [
            Workload { k: 16, ..CLASSROOM },
            Workload {
                depth: 3,
                ..CLASSROOM
            },
            Workload {
                patches: 400,
                ..CLASSROOM
            },
            Workload {
                images: 3,
                ..CLASSROOM
            },
            Workload {
                tokens: 30,
                ..CLASSROOM
            },
            Workload {
                dim: 128,
                ..CLASSROOM
            },
        ] {
            assert!(bigger.macs() > base, "{bigger:?}");
        }
    }

    #[test]
    fn the_classroom_size_stays_on_one_worker_the_mid_size_is_shared() {
        // The sizes: classroom K 8, N 36, width 64, depth 2, 16 tokens, 2 images;
        // mid K 64, N 196, width 256, depth 6, 32 tokens, 3 images.
        let classroom = Workload {
            patches: 36,
            tokens: 16,
            ..CLASSROOM
        };
        let mid = Workload {
            k: 64,
            depth: 6,
            patches: 196,
            images: 3,
            tokens: 32,
            dim: 256,
        };
        assert!(!classroom.worth_sharing(), "{}", classroom.macs());
        assert!(mid.worth_sharing(), "{}", mid.macs());
    }

    #[test]
    fn decisions_are_kept_per_class() {
        let mut pick = AutoPick::default();
        assert_eq!(pick.get(&CLASSROOM), None);
        let slow_gpu = Measured {
            gpu_ms: 700.0,
            cpu_ms: 20.0,
        };
        pick.record(&CLASSROOM, slow_gpu);
        assert_eq!(pick.get(&Workload { k: 9, ..CLASSROOM }), Some(slow_gpu));
        assert!(!slow_gpu.gpu_wins());
        let big = Workload {
            patches: 3600,
            k: 128,
            ..CLASSROOM
        };
        assert_eq!(pick.get(&big), None, "a new size is measured again");
        pick.record(
            &big,
            Measured {
                gpu_ms: 40.0,
                cpu_ms: 90.0,
            },
        );
        assert!(pick.get(&big).is_some_and(|m| m.gpu_wins()));
        assert_eq!(pick.classes(), 2);
    }

    #[test]
    fn the_badge_says_which_backend_drew_the_frame_on_screen() {
        let ready = Ok("SwiftShader".to_owned());
        let hidden = Ok(String::new());
        let none = Err("WebGPU unavailable in this browser: no GPU adapter".to_owned());
        let cpu = Some(Used {
            gpu: false,
            measured: None,
        });
        let gpu = Some(Used {
            gpu: true,
            measured: None,
        });
        let m = Measured {
            gpu_ms: 12.4,
            cpu_ms: 30.0,
        };
        use BackendChoice::*;
        let cases = [
            (WebGpu, None, cpu, "CPU (loading the WebGPU module…)"),
            (Cpu, None, cpu, "CPU (chosen)"),
            (Cpu, Some(&ready), cpu, "CPU (chosen)"),
            (
                WebGpu,
                Some(&none),
                cpu,
                "CPU (WebGPU unavailable in this browser: no GPU adapter)",
            ),
            // Ready but the CPU's frame still on screen: not yet "WebGPU".
            (
                WebGpu,
                Some(&ready),
                cpu,
                "CPU (WebGPU is computing its first frame…)",
            ),
            (
                WebGpu,
                Some(&ready),
                None,
                "CPU (WebGPU is computing its first frame…)",
            ),
            (WebGpu, Some(&ready), gpu, "WebGPU (SwiftShader)"),
            (WebGpu, Some(&hidden), gpu, "WebGPU"),
            (Auto, Some(&ready), cpu, "auto: measuring both…"),
            (
                Auto,
                Some(&ready),
                Some(Used {
                    gpu: true,
                    measured: Some(m),
                }),
                "WebGPU (SwiftShader; auto: 12 ms vs CPU 30 ms at this size)",
            ),
            (
                Auto,
                Some(&hidden),
                Some(Used {
                    gpu: true,
                    measured: Some(m),
                }),
                "WebGPU (auto: 12 ms vs CPU 30 ms at this size)",
            ),
            (
                Auto,
                Some(&ready),
                Some(Used {
                    gpu: false,
                    measured: Some(m),
                }),
                "CPU (auto: 30 ms vs WebGPU 12 ms at this size)",
            ),
        ];
        for (choice, webgpu, used, want) in cases {
            assert_eq!(
                badge(choice, webgpu, used),
                want,
                "{choice:?} {webgpu:?} {used:?}"
            );
        }
    }
}
