// Browser benchmark of the built page (dist/): slider input → heatmap painted,
// navigation → first heatmap, the heatmap paint alone, the main thread's longest task
// while every slider is dragged and the mid K step with 1 and 2 workers
// (web/bench/drags.mjs), the classroom sliders frame by frame (web/bench/sliders.mjs),
// the trained model (web/bench/trained.mjs), and the bundle's size.
// Prints one JSON object. Run by `cargo xtask bench`; not a test.
//
//   node bench/browser.mjs [--events N] [--only cpu|webgpu]
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { dist, serveDist } from '../serve-dist.mjs';
import { CONFIGS, open as openAt, sliderToPaint, summary } from './page.mjs';
import { trainedBench } from './trained.mjs';
import { drags, kSteps } from './drags.mjs';
import { sliderSteps } from './sliders.mjs';

// The drags also run at OpenFlamingo's width (on the CPU: SwiftShader's WebGPU takes
// minutes there); the K step with 1 and 2 workers at mid size with three images, which
// two workers split 2 + 1.
const DRAG_SIZES = { ...CONFIGS, openflamingo: 'k=64&depth=6&patch=14&size=224&width=1024&len=16&images=0,8&alpha=1&ff=1' };
const MID_THREE = 'k=63&depth=6&patch=16&size=224&width=256&len=32&images=0,8,16&alpha=1&ff=1&backend=cpu';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const EVENTS = Number(arg('--events', 60));
const ONLY = arg('--only', null);

const server = await serveDist();
const open = (webgpu, query) => openAt(server.origin, query, { webgpu });
const ms = (steps) => steps.map((s) => s.ms);

const results = { date: new Date().toISOString(), chromium: execFileSync('/usr/bin/chromium', ['--version']).toString().trim(), events: EVENTS, backends: {} };
for (const [webgpu, backend] of [[false, 'cpu'], [true, 'webgpu']]) {
  if (ONLY && ONLY !== backend) continue;
  const perBackend = (results.backends[backend] = {});
  for (const [name, query] of Object.entries(CONFIGS)) {
    const { browser, page } = await open(webgpu, `${query}&backend=${backend}`);
    const navigation = await page.evaluate(() => window.__firstHeatmap);
    // The CPU paints first; the WebGPU module arrives after, and the events wait for it.
    let webgpuReady = null;
    if (webgpu) {
      await page.waitForFunction(() => /^WebGPU/.test(document.querySelector('#backend').textContent), null, { timeout: 300_000 });
      webgpuReady = await page.evaluate(() => performance.now());
      await page.waitForFunction(() => document.querySelector('#identity-diff')?.dataset.query === location.search.slice(1), null, { timeout: 300_000 });
    }
    const badge = await page.locator('#backend').textContent();
    // On the slider's 0.05 grid, or the input would snap the value and the URL would never match.
    const alphas = Array.from({ length: EVENTS }, (_, i) => (-2 + 0.05 * ((i + 1) % 80)).toFixed(2));
    const alpha = await sliderToPaint(page, 'Gate alpha', 'alpha', alphas);
    const k0 = Number(new URL(page.url()).searchParams.get('k'));
    const ks = Array.from({ length: Math.min(EVENTS, 20) }, (_, i) => k0 + ((i % 2) ? 0 : 1));
    const k = await sliderToPaint(page, 'Latents K', 'k', ks);
    perBackend[name] = { badge, first_heatmap_ms: navigation, webgpu_frame_ms: webgpuReady, alpha_to_paint_ms: summary(ms(alpha)), k_to_paint_ms: summary(ms(k)) };
    await browser.close();
  }
  // The paint alone: a 64 × 900 heatmap (480 px at patch 16), repainted by switching heads.
  const { browser, page } = await open(webgpu, `k=64&depth=1&patch=16&size=480&width=64&backend=${backend}`);
  const paints = await page.evaluate(async (n) => {
    const head = document.querySelector('select[aria-label="Head"]');
    const canvas = document.getElementById('resampler-heatmap');
    const out = [];
    for (let i = 0; i < n; i++) {
      const before = canvas.dataset.paints;
      head.value = ['0', '1', '2', 'mean'][i % 4];
      head.dispatchEvent(new Event('change', { bubbles: true }));
      await new Promise((done) => {
        const poll = () => (canvas.dataset.paints !== before ? done() : setTimeout(poll, 1));
        poll();
      });
      out.push(Number(canvas.dataset.paintMs));
    }
    return { rows: canvas.height, cols: canvas.width, ms: out };
  }, 24);
  perBackend.paint_64x900 = { rows: paints.rows, cols: paints.cols, ms: summary(paints.ms) };
  await browser.close();
}

// The main thread during 2 s drags of every slider, and the mid K step by workers.
results.main_thread = {};
for (const [webgpu, backend] of [[false, 'cpu'], [true, 'webgpu']]) {
  if (ONLY && ONLY !== backend) continue;
  for (const [size, query] of Object.entries(DRAG_SIZES)) {
    if (webgpu && size === 'openflamingo') continue;
    (results.main_thread[backend] ??= {})[size] = await drags(server.origin, `${query}&backend=${backend}`, { webgpu });
  }
}
// The classroom sliders one input per frame, after 2 s of reading, beside the floor.
if (!ONLY || ONLY === 'cpu') results.classroom_frames = { alpha: await sliderSteps(server.origin, 'classroom', 'alpha', 2000), k: await sliderSteps(server.origin, 'classroom', 'k', 2000) };
if (!ONLY || ONLY === 'cpu') results.k_step_workers = { 1: await kSteps(server.origin, MID_THREE, 1), 2: await kSteps(server.origin, MID_THREE, 2) };

// The trained mini-Flamingo runs on the CPU whatever the backend choice.
// Dragged at once after the first caption, and after two seconds of reading, by which
// time the page has computed the slider's other captions.
if (!ONLY || ONLY === 'cpu') {
  results.trained = await trainedBench(server.origin, EVENTS, 0);
  results.trained_settled = await trainedBench(server.origin, EVENTS, 2000);
  results.trained_training = await trainedBench(server.origin, EVENTS, 2000, true);
}

// Every shipped file of a kind counts, per module: the page's (wasm-bindgen's glue, its
// snippets, the service worker), which every visit loads, the WebGPU module, which
// only browsers with WebGPU fetch, and the trainer, fetched when a student presses Train.
const files = (await readdir(dist, { recursive: true })).filter((f) => f.endsWith('.wasm') || f.endsWith('.js')).sort();
results.bundle = {};
for (const f of files) {
  const body = await readFile(join(dist, f));
  const module = (results.bundle[['webgpu', 'trainer'].find((m) => f.startsWith(m)) ?? 'page'] ??= {});
  const sum = (module[f.endsWith('.wasm') ? 'wasm' : 'js'] ??= { files: [], raw: 0, gzip: 0, brotli: 0 });
  sum.files.push(f);
  sum.raw += body.length;
  sum.gzip += gzipSync(body, { level: 9 }).length;
  sum.brotli += brotliCompressSync(body).length;
}
console.log(JSON.stringify(results, null, 2));
server.close();
