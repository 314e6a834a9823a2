//! The computation behind the panels: one request at a time on the chosen backend,
//! the newest waiting request next, and the sample pictures it reads.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;

use super::{SAMPLES, now_ms};
use crate::compute::auto_pick::{AutoPick, Measured, Used, Workload};
use crate::compute::backend::WebGpu;
use crate::compute::scheduler::{Flight, LatestWins};
use crate::figures::canvas;
use crate::state::sequence::prompt;
use crate::state::url_state::{BackendChoice, UrlState, bounds};
use lab::{Frame, Pictures, Request};

/// A request, the backend choice to run it on, and the URL query it answers.
pub(super) type Job = (Request, BackendChoice, String);

/// The labs: the CPU's workers and the WebGPU module, one request running at a time.
#[derive(Default)]
pub(super) struct Labs {
    pub(super) queue: LatestWins<Job>,
    /// The CPU's workers, once started; "Measure" shares the same handle.
    pub(super) cpu: crate::compute::pool::Shared,
    pub(super) gpu: Option<Rc<WebGpu>>,
    pub(super) auto: AutoPick,
}

/// Where a finished forward lands.
#[derive(Clone, Copy)]
pub(super) struct Outputs {
    pub(super) frame: RwSignal<Option<Frame>>,
    /// The URL query the shown frame answers; tests wait for it to match the address bar.
    pub(super) frame_query: RwSignal<String>,
    pub(super) error: RwSignal<Option<String>>,
    pub(super) timing: RwSignal<f64>,
    pub(super) used: RwSignal<Option<Used>>,
    /// Size classes auto has measured so far.
    pub(super) measured_classes: RwSignal<usize>,
    /// Forwards started, the most at once, and stale requests dropped (load tests).
    pub(super) flight: RwSignal<(Flight, u64)>,
}

/// One forward on one backend, timed.
pub(super) async fn run_on(
    labs: &Rc<RefCell<Labs>>,
    gpu: bool,
    request: &Request,
) -> Result<(Frame, f64), String> {
    const MISSING: &str = "that backend is not available";
    let start = now_ms();
    let result = if gpu {
        // The WebGPU module refuses a second forward while one runs; the queue sends one.
        let webgpu = labs.borrow().gpu.clone().ok_or(MISSING)?;
        webgpu.run(request).await
    } else {
        let pool = labs.borrow().cpu.borrow().clone().ok_or(MISSING)?;
        pool.run(request).await
    };
    result.map(|f| (f, now_ms() - start))
}

/// A forward on the chosen backend; "auto" measures both the first time it meets a size class.
pub(super) async fn compute(
    labs: &Rc<RefCell<Labs>>,
    request: &Request,
    choice: BackendChoice,
) -> Result<(Frame, f64, Used), String> {
    let has_gpu = labs.borrow().gpu.is_some();
    let workload = Workload::of(request);
    let auto = choice == BackendChoice::Auto && has_gpu;
    let measured = if auto {
        labs.borrow().auto.get(&workload)
    } else {
        None
    };
    if auto && measured.is_none() {
        // The first WebGPU run compiles shaders; time the second.
        run_on(labs, true, request).await?;
        let on_gpu = run_on(labs, true, request).await?;
        let on_cpu = run_on(labs, false, request).await?;
        let m = Measured {
            gpu_ms: on_gpu.1,
            cpu_ms: on_cpu.1,
        };
        labs.borrow_mut().auto.record(&workload, m);
        let ((frame, ms), gpu) = if m.gpu_wins() {
            (on_gpu, true)
        } else {
            (on_cpu, false)
        };
        return Ok((
            frame,
            ms,
            Used {
                gpu,
                measured: Some(m),
            },
        ));
    }
    let gpu = match choice {
        BackendChoice::Cpu => false,
        BackendChoice::WebGpu => has_gpu,
        BackendChoice::Auto => measured.is_some_and(|m| m.gpu_wins()),
    };
    let (frame, ms) = run_on(labs, gpu, request).await?;
    Ok((frame, ms, Used { gpu, measured }))
}

/// Runs queued requests until none waits. A result whose request was superseded while
/// it ran is dropped, not painted: the newer one is computed next.
pub(super) async fn run_queue(labs: Rc<RefCell<Labs>>, first: Job, out: Outputs) {
    let mut next = Some(first);
    while let Some((request, choice, query)) = next {
        out.flight.update(|(f, _)| f.begin());
        let result = compute(&labs, &request, choice).await;
        let (dropped, stale) = {
            let labs = labs.borrow();
            (labs.queue.dropped(), labs.queue.is_superseded())
        };
        out.flight.update(|(f, d)| {
            f.end();
            f.stale += u64::from(stale);
            *d = dropped;
        });
        match result {
            _ if stale => {}
            Ok((f, ms, used)) => {
                out.timing.set(ms);
                out.frame.set(Some(f));
                out.frame_query.set(query);
                out.used.set(Some(used));
                out.measured_classes.set(labs.borrow().auto.classes());
                out.error.set(None);
            }
            Err(e) => out.error.set(Some(e)),
        }
        next = labs.borrow_mut().queue.finish();
    }
}

/// The sample pictures at every side length the page offers; grey if none loaded.
pub(super) async fn load_pictures(error: RwSignal<Option<String>>) -> Vec<Pictures> {
    let mut images = Vec::new();
    for src in SAMPLES {
        match canvas::load_image(src).await {
            Ok(img) => images.push(img),
            Err(e) => error.set(Some(format!("could not load {src}: {e:?}"))),
        }
    }
    bounds::SIZES
        .into_iter()
        .map(|size| {
            let mut rgba: Vec<Vec<u8>> = images
                .iter()
                .filter_map(|img| canvas::pixels(img, size, size).ok())
                .collect();
            if rgba.is_empty() {
                rgba.push(vec![128; size * size * 4]);
            }
            Pictures { size, rgba }
        })
        .collect()
}

pub(super) fn request_for(s: &UrlState, layer: usize, head: Option<usize>) -> Request {
    Request {
        k: s.k,
        depth: s.depth,
        patch: s.patch,
        size: s.size,
        width: s.width,
        alpha: s.alpha,
        ff: s.ff,
        prompt: prompt(s),
        mode: s.mode,
        layer: layer.min(s.depth - 1),
        head,
    }
}
