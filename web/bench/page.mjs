// The built page in headless Chromium, as the browser benchmarks drive it: open it and
// wait for its first heatmap, move a slider and time each step, summarise the times.
import { chromium } from 'playwright-core';
import { chromiumArgs } from '../serve-dist.mjs';

// The configurations, as page URLs. Classroom: K 8, N 36 (224 px at patch 37), width 64,
// depth 2, 16 tokens, 2 images. Mid: K 64, N 196, width 256 (8 × 32), depth 6.
export const CONFIGS = {
  classroom: 'k=8&depth=2&patch=37&size=224&width=64&len=16&images=0,8&alpha=1&ff=1',
  mid: 'k=64&depth=6&patch=16&size=224&width=256&len=32&images=0,16&alpha=1&ff=1',
};
export const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
};
export const summary = (xs) => ({ n: xs.length, p50: quantile(xs, 0.5), p95: quantile(xs, 0.95), min: Math.min(...xs) });

// An init script: `window.__frameStep(input, value, shows)` sets a range input's value
// inside an animation callback, as a drag's input arrives (just before the frame's
// callbacks), and resolves to `{ ms, frames, busy }`: the time until the first frame whose
// callbacks find `shows()` true (16.7 ms at 60 Hz when it is the frame after the input),
// the frames waited, and the main thread's whole time for the input, rendering included
// (a message posted with it is answered in the task after that frame's paint).
export function frameStepProbe() {
  const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  const frame = () => new Promise((done) => requestAnimationFrame(done));
  window.__frameStep = async (input, value, shows) => {
    await frame();
    const start = performance.now();
    set.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    const channel = new MessageChannel();
    const idle = new Promise((done) => { channel.port1.onmessage = () => done(performance.now() - start); });
    channel.port2.postMessage(0);
    let frames = 0;
    do {
      await frame();
      frames += 1;
    } while (!shows());
    const ms = performance.now() - start;
    return { ms, frames, busy: await idle };
  };
}

/** How many of a drag's steps were shown in the frame right after their input, in words. */
export const inTheNextFrame = (frames) => `${frames.filter((f) => f === 1).length} of ${frames.length}`;

/** The gate scale's path in a drag: 0 to 2 and back on the slider's 0.05 grid, `events` inputs. */
export const gateScales = (events) =>
  Array.from({ length: events }, (_, i) => (0.05 * (i % 40 < 20 ? i % 40 : 40 - (i % 40))).toFixed(2));

/** In the page (after `frameStepProbe`): `steps` frame-aligned steps on a range input added
 * to it that does nothing but show its value, then removed; each step's `{ ms, frames, busy }`. */
export async function floorSteps(steps) {
  const bare = document.createElement('input');
  Object.assign(bare, { type: 'range', min: '0', max: '2', step: '0.05', value: '0' });
  const shown = document.createElement('output');
  const box = document.createElement('div');
  box.style.cssText = 'position:fixed;top:0;left:0;background:white;z-index:10';
  box.append(bare, shown);
  document.body.append(box);
  bare.addEventListener('input', () => { shown.textContent = bare.value; });
  const out = [];
  for (let i = 0; i < steps; i++) {
    const v = String(Number((0.05 * (1 + (i % 39))).toFixed(2)));
    out.push(await window.__frameStep(bare, v, () => shown.textContent === bare.value));
  }
  box.remove();
  return out;
}

/** The same frame-aligned step on a page that does nothing but show the value: what
 * `__frameStep` measures on this machine when the page's own work is nil (about 16.7 ms, its
 * timer's 0.1 ms steps and the compositor's jitter included), beside a page's figures. */
export async function frameFloor(browser, steps = 60) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.setContent('<title>floor</title>');
  await page.evaluate(frameStepProbe);
  const times = (await page.evaluate(floorSteps, steps)).map((s) => s.ms);
  await page.close();
  return summary(times);
}

// Records when the first heatmap row reaches the screen, measured from navigation start
// (an init script: it runs in the page).
function firstPaintProbe() {
  const poll = () => {
    const c = document.getElementById('xattn-heatmap');
    if (c && c.width > 1 && document.querySelector('#identity-diff')?.dataset.value) {
      window.__firstHeatmap = performance.now();
    } else {
      requestAnimationFrame(poll);
    }
  };
  requestAnimationFrame(poll);
}

/** Chromium with `args` (default: `chromiumArgs(webgpu)`) on `origin/?query`, once its
 * first heatmap is painted and its readouts answer the query; `init` scripts run before the page's. */
export async function open(origin, query, { webgpu = false, args = chromiumArgs(webgpu), init = [] } = {}) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  for (const script of [firstPaintProbe, ...init]) await page.addInitScript(script);
  await page.goto(`${origin}/?${query}`);
  await page.waitForFunction(() => window.__firstHeatmap !== undefined, null, { timeout: 300_000 });
  await page.waitForFunction(() => document.querySelector('#identity-diff')?.dataset.query === location.search.slice(1), null, { timeout: 300_000 });
  return { browser, page };
}

// Input event on a slider → the frame for the new value painted (the rAF after the readout changed),
// for each value: `{ ms, forward }`, `forward` being the page's own "last forward" readout.
export async function sliderToPaint(page, label, param, values) {
  return page.evaluate(async ({ label, param, values }) => {
    const input = [...document.querySelectorAll('input[type=range]')].find((i) => i.labels[0]?.textContent.trim() === label);
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
      const ms = performance.now() - start;
      out.push({ ms, forward: Number(/last forward ([\d.]+) ms/.exec(document.querySelector('.status').textContent)?.[1]) });
    }
    return out;
  }, { label, param, values });
}

