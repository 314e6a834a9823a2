// Browser benchmark of the built page (dist/): slider input → heatmap painted,
// navigation → first heatmap, the heatmap paint alone, and the bundle's size.
// Prints one JSON object. Run by `cargo xtask bench`; not a test.
//
//   node bench/browser.mjs [--events N] [--only cpu|webgpu]
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { chromiumArgs, dist, firstPaintProbe, serveDist } from '../serve-dist.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const EVENTS = Number(arg('--events', 60));
const ONLY = arg('--only', null);

// The configurations, as page URLs. Classroom: K 8, N 36 (224 px at patch 37), width 64,
// depth 2, 16 tokens, 2 images. Mid: K 64, N 196, width 256 (8 × 32), depth 6.
const CONFIGS = {
  classroom: 'k=8&depth=2&patch=37&size=224&width=64&len=16&images=0,8&alpha=1&ff=1',
  mid: 'k=64&depth=6&patch=16&size=224&width=256&len=32&images=0,16&alpha=1&ff=1',
};
const server = await serveDist();
const origin = server.origin;

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
};
const summary = (xs) => ({ n: xs.length, p50: quantile(xs, 0.5), p95: quantile(xs, 0.95), min: Math.min(...xs) });

async function open(webgpu, query) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: chromiumArgs(webgpu),
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(firstPaintProbe);
  await page.goto(`${origin}/?${query}`);
  await page.waitForFunction(() => window.__firstHeatmap !== undefined, null, { timeout: 300_000 });
  await page.waitForFunction(() => document.querySelector('#identity-diff')?.dataset.query === location.search.slice(1), null, { timeout: 300_000 });
  return { browser, page };
}

// Input event on a slider → the frame for the new value painted (the rAF after the readout changed).
async function sliderToPaint(page, label, param, values) {
  return page.evaluate(async ({ label, param, values }) => {
    const input = document.querySelector(`input[type=range][aria-label="${label}"]`);
    const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    const out = [];
    for (const v of values) {
      const start = performance.now();
      set.call(input, String(v));
      input.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((done) => {
        // The readouts (and the heatmap, painted in the same update) answer a state with the new value.
        // The address bar follows once the input rests, off this path.
        const poll = () => (Number(new URLSearchParams(document.querySelector('#identity-diff').dataset.query).get(param)) === Number(v) ? done() : requestAnimationFrame(poll));
        requestAnimationFrame(poll);
      });
      out.push(performance.now() - start);
    }
    return out;
  }, { label, param, values });
}

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
    perBackend[name] = { badge, first_heatmap_ms: navigation, webgpu_frame_ms: webgpuReady, alpha_to_paint_ms: summary(alpha), k_to_paint_ms: summary(k) };
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

// Every shipped file of a kind counts, per module: the page's (wasm-bindgen's glue, its
// snippets, the service worker), which every visit loads, and the WebGPU module, which
// only browsers with WebGPU fetch.
const files = (await readdir(dist, { recursive: true })).filter((f) => f.endsWith('.wasm') || f.endsWith('.js')).sort();
results.bundle = {};
for (const f of files) {
  const body = await readFile(join(dist, f));
  const module = (results.bundle[f.startsWith('webgpu') ? 'webgpu' : 'page'] ??= {});
  const sum = (module[f.endsWith('.wasm') ? 'wasm' : 'js'] ??= { files: [], raw: 0, gzip: 0, brotli: 0 });
  sum.files.push(f);
  sum.raw += body.length;
  sum.gzip += gzipSync(body, { level: 9 }).length;
  sum.brotli += brotliCompressSync(body).length;
}
console.log(JSON.stringify(results, null, 2));
server.close();
