// Where a slider event's time goes: a CPU profile (Chrome DevTools protocol) over
// `--events` alpha changes on the built page (or, with `--trained`, gate-scale changes
// in the trained panel), self time summed by function, then the time inside each of the
// functions whose names contain one of `--inclusive a,b,…`. A page built with
// FLAMINGO_KEEP_NAMES=1 names its wasm functions (FLAMINGO_DIST points here at it).
// Usage: node bench/profile.mjs [--events N] [--query 'k=8&...'] [--top N] [--trained] [--inclusive names]
// (KEPT=1 with --trained: after the slider's 41 captions are kept, as a student who has read a while.)
import { chromium } from 'playwright-core';
import { chromiumArgs, serveDist } from '../serve-dist.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const EVENTS = Number(arg('events', 60));
const QUERY = arg('query', 'backend=cpu');
const TOP = Number(arg('top', 25));
const TRAINED = process.argv.includes('--trained');
const INCLUSIVE = arg('inclusive', '').split(',').filter(Boolean);

const server = await serveDist();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs(false) });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`${server.origin}/?${QUERY}`);
await page.waitForFunction(() => document.querySelector('#identity-diff')?.dataset.query === location.search.slice(1), null, { timeout: 300_000 });
if (TRAINED) await page.waitForFunction(() => document.querySelector('#caption-text')?.dataset.answers, null, { timeout: 300_000 });
if (TRAINED && process.env.KEPT) await page.waitForFunction(() => Number(document.querySelector("#caption-text")?.dataset.kept) >= 41, null, { timeout: 300_000 });
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
await cdp.send('Profiler.start');
const dragScale = async (events) => {
  const input = [...document.querySelectorAll('input[type=range]')].find((i) => i.labels[0]?.textContent.trim() === 'Gate scale');
  const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  const start = performance.now();
  for (let i = 0; i < events; i++) {
    const v = (0.05 * (1 + (i % 40))).toFixed(2);
    set.call(input, v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((done) => {
      const poll = () => ((document.querySelector('#caption-text').dataset.answers ?? '').endsWith(`|${Number(v)}`) ? done() : requestAnimationFrame(poll));
      requestAnimationFrame(poll);
    });
  }
  return performance.now() - start;
};
const dragAlpha = async (events) => {
  const input = [...document.querySelectorAll('input[type=range]')].find((i) => i.labels[0]?.textContent.trim() === 'Gate alpha');
  const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  const start = performance.now();
  for (let i = 0; i < events; i++) {
    const v = (-2 + 0.05 * ((i + 1) % 80)).toFixed(2);
    set.call(input, v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((done) => {
      const poll = () => (new URLSearchParams(document.querySelector('#identity-diff').dataset.query).get('alpha') === String(Number(v)) ? done() : requestAnimationFrame(poll));
      requestAnimationFrame(poll);
    });
  }
  return performance.now() - start;
};
const wall = await page.evaluate(TRAINED ? dragScale : dragAlpha, EVENTS);
const { profile } = await cdp.send('Profiler.stop');
await browser.close();
server.close();

const self = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
profile.samples.forEach((id, i) => {
  const { functionName, url } = byId.get(id).callFrame;
  const file = url.split('/').pop();
  const key = `${functionName || '(anonymous)'}${file ? ` [${file}]` : ''}`;
  self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log(`${EVENTS} events, ${wall.toFixed(0)} ms wall (${(wall / EVENTS).toFixed(1)} ms/event), ${total.toFixed(0)} ms sampled`);
for (const [key, ms] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
  console.log(`${(ms / EVENTS).toFixed(2).padStart(7)} ms/event  ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${key}`);
}
if (INCLUSIVE.length) {
  // Each sample counts once for every named function on its stack.
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inside = new Map();
  profile.samples.forEach((id, i) => {
    const seen = new Set();
    for (let n = id; n !== undefined; n = parent.get(n)) {
      const name = byId.get(n).callFrame.functionName;
      for (const want of INCLUSIVE) if (name.includes(want)) seen.add(want);
    }
    for (const want of seen) inside.set(want, (inside.get(want) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  console.log('\ninside (inclusive):');
  for (const want of INCLUSIVE) console.log(`${((inside.get(want) ?? 0) / EVENTS).toFixed(2).padStart(7)} ms/event  ${want}`);
}
