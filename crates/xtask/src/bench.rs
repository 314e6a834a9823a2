//! `cargo xtask bench`: one run of every benchmark, written to `BENCHMARKS.md` (between
//! its generated markers; the hand-written log around them stays) and `benchmarks.json`.
//!
//! Native: criterion (`crates/flamingo/benches/forward.rs`) against OpenFlamingo 2.0.1's
//! modules in PyTorch (`tools/bench/bench_torch.py`), same shapes, back to back.
//! Browser: `web/bench/browser.mjs` on the release build in Debian's Chromium.
//! The limit: `crates/matmul-limit` in that Chromium (`web/bench/limit.mjs`) and natively,
//! beside PyTorch's matrix product, all on one core.

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use xshell::{Shell, cmd};

use crate::install;

const BEGIN: &str = "<!-- bench:begin (cargo xtask bench writes this part) -->";
const END: &str = "<!-- bench:end -->";
const SIZES: [&str; 3] = ["classroom", "mid", "openflamingo"];
const MODULES: [&str; 2] = ["resampler", "block"];

pub fn run(sh: &Shell) -> Result<()> {
    let python = install::golden_python(sh)?;
    install::web_tools(sh)?;
    install::browser(sh)?;
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());

    let rust_cmd = "cargo bench --workspace --bench forward";
    cmd!(sh, "cargo bench --workspace --bench forward").run()?;
    let mut native = serde_json::Map::new();
    for size in SIZES {
        for module in MODULES {
            let path = format!("{target}/criterion/{size}/{module}/new/estimates.json");
            let estimates: Value = serde_json::from_str(&sh.read_file(&path).context(path)?)?;
            let ns = estimates["median"]["point_estimate"]
                .as_f64()
                .context("criterion median")?;
            native.insert(format!("{size}/{module}"), json!({ "rust_ms": ns / 1e6 }));
        }
    }
    let torch_cmd = "python tools/bench/bench_torch.py --runs 20";
    let torch: Value =
        serde_json::from_str(&cmd!(sh, "{python} tools/bench/bench_torch.py --runs 20").read()?)?;
    for size in SIZES {
        for module in MODULES {
            let runs: Vec<f64> = torch["configs"][size][format!("{module}_ms")]
                .as_array()
                .context("torch timings")?
                .iter()
                .filter_map(Value::as_f64)
                .collect();
            let entry = native
                .get_mut(&format!("{size}/{module}"))
                .context("native entry")?;
            let torch_ms = median(runs);
            let rust_ms = entry["rust_ms"].as_f64().unwrap_or(f64::NAN);
            entry["torch_ms"] = json!(torch_ms);
            entry["ratio"] = json!(rust_ms / torch_ms);
        }
    }

    cmd!(sh, "trunk build --offline --release").run()?;
    let browser_cmd = "node web/bench/browser.mjs --events 60";
    let browser: Value = {
        let _web = sh.push_dir("web");
        cmd!(sh, "npm ci --no-audit --no-fund").run()?;
        serde_json::from_str(&cmd!(sh, "node bench/browser.mjs --events 60").read()?)?
    };
    // The wasms cargo linked, before wasm-bindgen and the name strip: they still name their functions.
    let mut wasm_code = json!({});
    for module in ["app", "webgpu"] {
        let linked = format!("{target}/wasm32-unknown-unknown/wasm-release/{module}.wasm");
        wasm_code[module] =
            serde_json::from_str(&cmd!(sh, "node web/bench/wasm-size.mjs {linked}").read()?)?;
    }

    let limit = limit(sh, &target, &python)?;

    let machine = machine(sh);
    let date = cmd!(sh, "date -u +%Y-%m-%dT%H:%MZ").read()?;
    let all = json!({
        "date": date,
        "machine": machine,
        "commands": [rust_cmd, torch_cmd, browser_cmd],
        "torch": { "version": torch["torch"], "threads": torch["threads"] },
        "native": native,
        "browser": browser,
        "wasm_code": wasm_code,
        "limit": limit,
    });
    // The run this one replaces, for the targets' side-by-side table.
    let previous: Option<Value> = sh
        .read_file("benchmarks.json")
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok());
    sh.write_file(
        "benchmarks.json",
        serde_json::to_string_pretty(&all)? + "\n",
    )?;
    let tables = tables(&all, previous.as_ref());
    let doc = sh.read_file("BENCHMARKS.md").unwrap_or_default();
    let doc = match (doc.find(BEGIN), doc.find(END)) {
        (Some(b), Some(e)) if b < e => format!("{}{BEGIN}\n{tables}{}", &doc[..b], &doc[e..]),
        _ if doc.is_empty() => format!("# Benchmarks\n\n{BEGIN}\n{tables}{END}\n"),
        _ => bail!("BENCHMARKS.md lacks its generated markers"),
    };
    sh.write_file("BENCHMARKS.md", doc)?;
    eprintln!("xtask: wrote BENCHMARKS.md and benchmarks.json");
    Ok(())
}

/// GFLOP/s on one core: `crates/matmul-limit` in Chromium's wasm and natively, and
/// PyTorch's matrix product on one thread.
fn limit(sh: &Shell, target: &str, python: &std::path::Path) -> Result<Value> {
    cmd!(
        sh,
        "cargo build --quiet -p matmul-limit --target wasm32-unknown-unknown --profile wasm-release"
    )
    .run()?;
    let wasm = format!("{target}/wasm32-unknown-unknown/wasm-release/matmul_limit.wasm");
    let browser: Value =
        serde_json::from_str(&cmd!(sh, "node web/bench/limit.mjs {wasm}").read()?)?;
    let native: Value = {
        let _one = sh.push_env("RAYON_NUM_THREADS", "1");
        serde_json::from_str(
            &cmd!(
                sh,
                "cargo run --quiet --release -p matmul-limit --example native"
            )
            .read()?,
        )?
    };
    let torch: Value = serde_json::from_str(
        &cmd!(
            sh,
            "{python} tools/bench/bench_torch.py --runs 20 --threads 1 --only classroom"
        )
        .read()?,
    )?;
    Ok(json!({ "browser": browser, "native": native, "torch_matmul": torch["matmul_gflops"] }))
}

/// The Long Tasks API's durations in words: "none" when every task was under 50 ms.
fn long_tasks(v: &Value) -> String {
    match v.as_array() {
        None => "–".into(),
        Some(tasks) if tasks.is_empty() => "none".into(),
        Some(tasks) => tasks
            .iter()
            .map(|t| format!("{} ms", ms(t)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn gflops(v: &Value) -> String {
    v.as_f64().map_or("–".into(), |x| format!("{x:.1}"))
}

const LIMIT_SIZES: [&str; 3] = ["128", "256", "512"];

/// The project's own wasm kernel at n, the better of its two block shapes, GFLOP/s.
fn best_kernel(l: &Value, n: &str) -> f64 {
    let k = &l["browser"]["kernel"][n];
    k["mr4"]
        .as_f64()
        .unwrap_or(0.0)
        .max(k["mr6"].as_f64().unwrap_or(0.0))
}

/// The fastest product measured in wasm, whichever kernel gave it, GFLOP/s.
fn wasm_limit(l: &Value) -> f64 {
    LIMIT_SIZES
        .map(|n| best_kernel(l, n).max(l["browser"]["burn"][n].as_f64().unwrap_or(0.0)))
        .into_iter()
        .fold(0.0, f64::max)
}

/// How close the arithmetic comes to the best matrix product on one core.
fn limit_table(l: &Value) -> String {
    let mut out = format!(
        "\n### How close to the limit: GFLOP/s on one core ({})\n\n\
         An n × n × n float32 matrix product, and the benchmark's modules counted in matrix-product FLOPs. \
         wasm: in Chromium, wasm SIMD, the page's thread; native: this machine's CPU, one thread.\n\n\
         | matrix product | n = 128 | n = 256 | n = 512 |\n|---|---:|---:|---:|\n",
        l["browser"]["browser"].as_str().unwrap_or("Chromium")
    );
    let row = |name: &str, v: &dyn Fn(&str) -> String| {
        format!("| {name} | {} |\n", LIMIT_SIZES.map(v).join(" | "))
    };
    out += &row(
        "wasm: this project's blocked kernel (`crates/matmul-limit`, best of 4 × 8 and 6 × 8 blocks)",
        &|n| format!("{:.1}", best_kernel(l, n)),
    );
    out += &row("wasm: burn's CPU backend (the page's)", &|n| {
        gflops(&l["browser"]["burn"][n])
    });
    out += &row("native: burn's CPU backend", &|n| {
        gflops(&l["native"]["burn"][n])
    });
    out += &row("native: PyTorch", &|n| gflops(&l["torch_matmul"][n]));
    out += "\n| size | module | wasm GFLOP/s | share of the fastest wasm product | native GFLOP/s |\n|---|---|---:|---:|---:|\n";
    let limit = wasm_limit(l);
    for size in SIZES {
        for module in MODULES {
            let wasm = l["browser"]["modules"][size][module]
                .as_f64()
                .unwrap_or(f64::NAN);
            out += &format!(
                "| {size} | {module} | {wasm:.1} | {:.0} % | {} |\n",
                wasm / limit * 100.0,
                gflops(&l["native"]["modules"][size][module])
            );
        }
    }
    out
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    match xs.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => xs[n / 2],
        n => (xs[n / 2 - 1] + xs[n / 2]) / 2.0,
    }
}

fn machine(sh: &Shell) -> String {
    let cpu = sh
        .read_file("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = cmd!(sh, "nproc").read().unwrap_or_default();
    format!("{cpu}, {cores} cores")
}

fn ms(v: &Value) -> String {
    v.as_f64().map_or("–".into(), |x| {
        if x < 10.0 {
            format!("{x:.2}")
        } else {
            format!("{x:.1}")
        }
    })
}

/// The longest main-thread task while each slider is dragged, per backend and size,
/// and the mid K step by the number of workers.
fn main_thread(b: &Value) -> String {
    let runs: Vec<(String, &Value)> = ["cpu", "webgpu"]
        .iter()
        .flat_map(|backend| {
            b["main_thread"][backend]
                .as_object()
                .into_iter()
                .flatten()
                .map(move |(size, v)| (format!("{backend} {size} ({} workers)", v["workers"]), v))
        })
        .collect();
    let mut out = "\n#### Main thread during a 2 s drag of each slider (one `input` per frame, there and back across its range)\n\n\
        Longest task the Long Tasks API reported in the drag (it reports those over 50 ms; \"none\" means every task was shorter), \
        how many, and the longest gap between frames, ms.\n\n| slider |"
        .to_owned();
    for (name, _) in &runs {
        out += &format!(" {name} |");
    }
    out += "\n|---|";
    out += &"---:|".repeat(runs.len());
    out += "\n";
    let sliders: Vec<String> = runs
        .first()
        .and_then(|(_, v)| v["sliders"].as_object())
        .map(|s| s.keys().cloned().collect())
        .unwrap_or_default();
    for slider in sliders {
        out += &format!("| {slider} |");
        for (_, v) in &runs {
            let e = &v["sliders"][&slider];
            let task = match e["longest_task_ms"].as_f64() {
                Some(ms) => format!("**{ms:.0}** ({})", e["long_tasks"]),
                None => "none".into(),
            };
            out += &format!(" {task}, gap {} |", ms(&e["longest_frame_gap_ms"]));
        }
        out += "\n";
    }
    out += "\n| mid K step, three images, CPU | input → painted p50 / p95 ms | forward p50 / p95 ms |\n|---|---:|---:|\n";
    for n in ["1", "2"] {
        let e = &b["k_step_workers"][n];
        out += &format!(
            "| {} worker{} | {} / {} | {} / {} |\n",
            e["workers"],
            if n == "1" { "" } else { "s" },
            ms(&e["input_to_paint_ms"]["p50"]),
            ms(&e["input_to_paint_ms"]["p95"]),
            ms(&e["forward_ms"]["p50"]),
            ms(&e["forward_ms"]["p95"])
        );
    }
    out
}

/// Issue 24's targets as one run measured them: what, the target, the value.
fn targets(all: &Value) -> Vec<(&'static str, &'static str, String)> {
    let b = &all["browser"];
    let (at_once, rested) = (&b["trained"], &b["trained_settled"]);
    let p95 = |v: &Value| ms(&v["p95"]);
    let words = |v: &Value| v.as_str().unwrap_or("–").to_owned();
    // A figure of the gate scale's drag at once and after 2 s of reading, "at once / after".
    let drag = |key: &str, read: &dyn Fn(&Value) -> String| {
        format!("{} / {}", read(&at_once[key]), read(&rested[key]))
    };
    let slider = |name: &str| {
        let e = &b["classroom_frames"][name];
        format!(
            "{} (floor {})",
            p95(&e["to_paint_ms"]),
            p95(&e["frame_floor_ms"])
        )
    };
    // Every drag's longest main-thread task: the mechanics sliders' and the gate scale's.
    let mut long: Vec<f64> = b["main_thread"]
        .as_object()
        .into_iter()
        .flat_map(|backends| backends.values())
        .filter_map(|size| size.as_object())
        .flat_map(|sizes| sizes.values())
        .filter_map(|run| run["sliders"].as_object())
        .flat_map(|sliders| sliders.values())
        .filter_map(|e| e["longest_task_ms"].as_f64())
        .collect();
    for run in ["trained", "trained_settled", "trained_training"] {
        long.extend(
            b[run]["scale_long_tasks_ms"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_f64),
        );
    }
    let over_50 = if b["main_thread"].is_null() {
        "–".to_owned()
    } else if long.is_empty() {
        "none".to_owned()
    } else {
        format!(
            "{} (longest {:.0} ms)",
            long.len(),
            long.iter().copied().fold(0.0, f64::max)
        )
    };
    let limit = wasm_limit(&all["limit"]);
    let share = |module: &str| {
        all["limit"]["browser"]["modules"]["mid"][module]
            .as_f64()
            .filter(|_| limit > 0.0)
            .map_or("–".into(), |g| {
                format!("{g:.1} GFLOP/s, {:.0} % of {limit:.1}", g / limit * 100.0)
            })
    };
    vec![
        (
            "gate scale → caption and overview painted, p95 ms, dragged at once / after 2 s of reading (the machine's floor)",
            "≤ 16.7",
            format!(
                "{} ({})",
                drag("scale_to_paint_ms", &p95),
                drag("frame_floor_ms", &p95)
            ),
        ),
        (
            "classroom \"Gate alpha\" → painted, p95 ms, after 2 s (floor)",
            "≤ 16.7",
            slider("alpha"),
        ),
        (
            "classroom \"Latents K\" → painted, p95 ms, after 2 s (floor)",
            "≤ 16.7",
            slider("k"),
        ),
        // "Within one frame", read without the clock's jitter: the frame that first shows the
        // answer is the one after the input, and the page's own work for the input fits in it.
        (
            "steps shown in the frame after their input: gate scale at once / after 2 s, classroom alpha, K",
            "every one",
            format!(
                "{}, {}, {}",
                drag("scale_in_the_next_frame", &words),
                words(&b["classroom_frames"]["alpha"]["in_the_next_frame"]),
                words(&b["classroom_frames"]["k"]["in_the_next_frame"])
            ),
        ),
        // The gate scale's caption and drawing run in its input's task, so the time until
        // the task after that frame's paint is all of it; a classroom step's answer comes
        // from a worker in a later task, which this would leave out.
        (
            "gate scale: main thread per input, its frame's rendering included, p95 ms, at once / after 2 s",
            "≤ 16.7",
            drag("scale_main_thread_ms", &p95),
        ),
        (
            "navigation → first caption, ms",
            "≤ 1,000",
            ms(&at_once["first_caption_ms"]),
        ),
        (
            "\"Measure\", 1,800 episodes, s (after 2 s)",
            "≤ 3",
            ms(&rested["measure_100"]["seconds"]),
        ),
        ("main-thread tasks over 50 ms, every drag", "none", over_50),
        (
            "mid K step, three images, 2 workers, input → painted p95 ms",
            "the hardware's best",
            ms(&b["k_step_workers"]["2"]["input_to_paint_ms"]["p95"]),
        ),
        (
            "mid resampler in wasm, against the fastest wasm product",
            "the hardware's best",
            share("resampler"),
        ),
        (
            "mid block in wasm, against the fastest wasm product",
            "the hardware's best",
            share("block"),
        ),
    ]
}

/// The targets, this run beside the run it replaced (where there was one).
fn targets_table(all: &Value, previous: Option<&Value>) -> String {
    let date = |v: &Value| v["date"].as_str().unwrap_or("?").to_owned();
    let mut out = "### Issue 24's targets

| | target | this run |"
        .to_owned();
    let before = previous.map(targets);
    if let Some(p) = previous {
        out += &format!(" the run before ({}) |", date(p));
    }
    out += "\n|---|---|---:|";
    if before.is_some() {
        out += "---:|";
    }
    out += "\n";
    for (i, (what, target, value)) in targets(all).into_iter().enumerate() {
        out += &format!("| {what} | {target} | {value} |");
        if let Some(before) = &before {
            out += &format!(" {} |", before[i].2);
        }
        out += "\n";
    }
    out + "\n"
}

fn tables(all: &Value, previous: Option<&Value>) -> String {
    let mut out = format!(
        "Run {} on {}.\nCommands: `{}`.\n\n",
        all["date"].as_str().unwrap_or(""),
        all["machine"].as_str().unwrap_or(""),
        all["commands"]
            .as_array()
            .map(|c| c
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("`, `"))
            .unwrap_or_default()
    );
    out += &targets_table(all, previous);
    out += &format!(
        "### Native CPU forward: Rust (burn CPU backend, criterion median) vs PyTorch {} ({} threads, median of 20)\n\n",
        all["torch"]["version"].as_str().unwrap_or("?"),
        all["torch"]["threads"]
    );
    out += "| size | module | Rust ms | PyTorch ms | Rust / PyTorch |\n|---|---|---:|---:|---:|\n";
    for size in SIZES {
        for module in MODULES {
            let e = &all["native"][format!("{size}/{module}")];
            out += &format!(
                "| {size} | {module} | {} | {} | {:.2}× |\n",
                ms(&e["rust_ms"]),
                ms(&e["torch_ms"]),
                e["ratio"].as_f64().unwrap_or(f64::NAN)
            );
        }
    }
    let b = &all["browser"];
    out += &format!(
        "\n### In the browser ({}, headless, {} events per slider)\n\n",
        b["chromium"].as_str().unwrap_or("Chromium"),
        b["events"]
    );
    out += "| backend | size | alpha → paint p50 / p95 ms | K → paint p50 / p95 ms | navigation → first heatmap ms | navigation → first WebGPU frame ms |\n|---|---|---:|---:|---:|---:|\n";
    for backend in ["cpu", "webgpu"] {
        for size in ["classroom", "mid"] {
            let e = &b["backends"][backend][size];
            out += &format!(
                "| {backend} | {size} | {} / {} | {} / {} | {} | {} |\n",
                ms(&e["alpha_to_paint_ms"]["p50"]),
                ms(&e["alpha_to_paint_ms"]["p95"]),
                ms(&e["k_to_paint_ms"]["p50"]),
                ms(&e["k_to_paint_ms"]["p95"]),
                ms(&e["first_heatmap_ms"]),
                ms(&e["webgpu_frame_ms"])
            );
        }
    }
    out += "\n| backend | heatmap paint alone, 64 × 900 cells, p50 / p95 ms |\n|---|---:|\n";
    for backend in ["cpu", "webgpu"] {
        let e = &b["backends"][backend]["paint_64x900"]["ms"];
        out += &format!("| {backend} | {} / {} |\n", ms(&e["p50"]), ms(&e["p95"]));
    }
    out += &main_thread(b);
    out += "\n| classroom slider, one input a frame after 2 s of reading | input → painted p50 / p95 ms | in the next frame | main thread per input p50 / p95 ms | the floor p50 / p95 ms |\n|---|---:|---:|---:|---:|\n";
    for (name, label) in [("alpha", "Gate alpha"), ("k", "Latents K")] {
        let e = &b["classroom_frames"][name];
        let pair = |v: &Value| format!("{} / {}", ms(&v["p50"]), ms(&v["p95"]));
        out += &format!(
            "| {label} | {} | {} | {} | {} |\n",
            pair(&e["to_paint_ms"]),
            e["in_the_next_frame"].as_str().unwrap_or("–"),
            pair(&e["main_thread_ms"]),
            pair(&e["frame_floor_ms"])
        );
    }
    let t = &b["trained"];
    let settled = &b["trained_settled"];
    let training = &b["trained_training"];
    let m = &t["measure_100"];
    out += &format!(
        "\n| trained mini-Flamingo (CPU), dragged at once / after 2 s of reading | p50 | p95 |\n|---|---:|---:|\n\
         | gate scale → the frame that shows the caption and the overview, ms (16.7: the input's own frame) | {} / {} | {} / {} |\n\
         | main thread per gate step, rendering included, ms | {} / {} | {} / {} |\n\
         | of which the caption's computation, ms | {} / {} | {} / {} |\n\
         | the same step on a page that only shows the value (this machine's floor), ms | {} / {} | {} / {} |\n\n\
         Steps shown in the frame right after their input: {} at once, {} after 2 s of reading. \
         Main-thread tasks over 50 ms in those drags: {} at once, {} after 2 s.\n\n\
         While \"Train\" runs stage 3 in its worker (after 2 s): gate scale → painted p50 / p95 {} / {} ms, \
         main thread per step {} / {} ms, main-thread tasks over 50 ms: {}.\n\n\
         Navigation → first caption: {} ms. \"Measure\", 100 episodes per task and number of shots (1,800): {} s, \
         longest gap between frames meanwhile {} ms ({} s and {} ms on the page that rested 2 s first); accuracy by shots {}.\n",
        ms(&t["scale_to_paint_ms"]["p50"]),
        ms(&settled["scale_to_paint_ms"]["p50"]),
        ms(&t["scale_to_paint_ms"]["p95"]),
        ms(&settled["scale_to_paint_ms"]["p95"]),
        ms(&t["scale_main_thread_ms"]["p50"]),
        ms(&settled["scale_main_thread_ms"]["p50"]),
        ms(&t["scale_main_thread_ms"]["p95"]),
        ms(&settled["scale_main_thread_ms"]["p95"]),
        ms(&t["caption_compute_ms"]["p50"]),
        ms(&settled["caption_compute_ms"]["p50"]),
        ms(&t["caption_compute_ms"]["p95"]),
        ms(&settled["caption_compute_ms"]["p95"]),
        ms(&t["frame_floor_ms"]["p50"]),
        ms(&settled["frame_floor_ms"]["p50"]),
        ms(&t["frame_floor_ms"]["p95"]),
        ms(&settled["frame_floor_ms"]["p95"]),
        t["scale_in_the_next_frame"].as_str().unwrap_or("–"),
        settled["scale_in_the_next_frame"].as_str().unwrap_or("–"),
        long_tasks(&t["scale_long_tasks_ms"]),
        long_tasks(&settled["scale_long_tasks_ms"]),
        ms(&training["scale_to_paint_ms"]["p50"]),
        ms(&training["scale_to_paint_ms"]["p95"]),
        ms(&training["scale_main_thread_ms"]["p50"]),
        ms(&training["scale_main_thread_ms"]["p95"]),
        long_tasks(&training["scale_long_tasks_ms"]),
        ms(&t["first_caption_ms"]),
        ms(&m["seconds"]),
        ms(&m["longest_frame_gap_ms"]),
        ms(&settled["measure_100"]["seconds"]),
        ms(&settled["measure_100"]["longest_frame_gap_ms"]),
        m["accuracy"]
    );
    out += &limit_table(&all["limit"]);
    out += "\n| module | file | raw bytes | gzip | brotli |\n|---|---|---:|---:|---:|\n";
    for (module, when) in [
        ("page", "every visit"),
        ("webgpu", "only where WebGPU exists"),
        ("trainer", "only when a student presses Train"),
    ] {
        for file in ["wasm", "js"] {
            let e = &b["bundle"][module][file];
            let names = e["files"].as_array().map_or(String::new(), |f| {
                f.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            out += &format!(
                "| {module} ({when}) | {file} ({names}) | {} | {} | {} |\n",
                e["raw"], e["gzip"], e["brotli"]
            );
        }
    }
    for (module, title) in [
        ("app", "The page's module"),
        ("webgpu", "The WebGPU module"),
    ] {
        let w = &all["wasm_code"][module];
        let code = w["code"].as_f64().unwrap_or(f64::NAN);
        out += &format!(
            "\n{title}'s code by origin (function bytes in the wasm cargo links, before wasm-bindgen; \
             {} bytes of code in {} functions, {} bytes of data):\n\n| part | code bytes | share |\n|---|---:|---:|\n",
            w["code"], w["functions"], w["data"]
        );
        let mut parts: Vec<(&String, f64)> = w["groups"]
            .as_object()
            .map(|g| {
                g.iter()
                    .map(|(k, v)| (k, v.as_f64().unwrap_or(0.0)))
                    .collect()
            })
            .unwrap_or_default();
        parts.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (part, bytes) in parts.into_iter().filter(|(_, bytes)| *bytes > 0.0) {
            out += &format!("| {part} | {bytes} | {:.0} % |\n", bytes / code * 100.0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(date: &str, scale_p95: f64, long: Option<f64>) -> Value {
        json!({
            "date": date,
            "browser": {
                "trained": { "scale_to_paint_ms": { "p95": scale_p95 }, "frame_floor_ms": { "p95": 16.8 }, "first_caption_ms": 812.0, "scale_long_tasks_ms": [], "scale_in_the_next_frame": "59 of 60", "scale_main_thread_ms": { "p95": 12.94 } },
                "trained_settled": { "scale_to_paint_ms": { "p95": 17.0 }, "frame_floor_ms": { "p95": 16.9 }, "measure_100": { "seconds": 2.2 }, "scale_in_the_next_frame": "60 of 60", "scale_main_thread_ms": { "p95": 9.7 } },
                "main_thread": { "cpu": { "classroom": { "sliders": { "Gate scale": { "longest_task_ms": long } } } } },
            },
        })
    }

    #[test]
    fn the_targets_stand_beside_the_run_before() {
        let table = targets_table(
            &run("now", 18.26, None),
            Some(&run("then", 61.1, Some(65.0))),
        );
        assert!(
            table.contains("| this run | the run before (then) |"),
            "{table}"
        );
        let row = |start: &str| {
            table
                .lines()
                .find(|l| l.starts_with(start))
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            row("| gate scale"),
            "| gate scale → caption and overview painted, p95 ms, dragged at once / after 2 s of reading (the machine's floor) | ≤ 16.7 | 18.3 / 17.0 (16.8 / 16.9) | 61.1 / 17.0 (16.8 / 16.9) |"
        );
        assert!(row("| main-thread tasks").ends_with("| none | none | 1 (longest 65 ms) |"));
        assert!(
            row("| steps shown")
                .ends_with("| every one | 59 of 60 / 60 of 60, –, – | 59 of 60 / 60 of 60, –, – |")
        );
        assert!(
            row("| gate scale: main thread").ends_with("| ≤ 16.7 | 12.9 / 9.70 | 12.9 / 9.70 |")
        );
        assert!(row("| navigation").ends_with("| 812.0 | 812.0 |"));
        // What a run did not measure reads as a dash, not as a number.
        assert!(row("| classroom \"Gate alpha\"").contains("| – (floor –) |"));
    }

    #[test]
    fn a_first_run_has_no_column_before() {
        let table = targets_table(&run("now", 17.0, None), None);
        assert!(
            table.contains("| | target | this run |\n|---|---|---:|\n"),
            "{table}"
        );
    }
}
