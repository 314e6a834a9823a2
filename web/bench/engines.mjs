// The gate scale dragged in each engine a classroom has: Debian's Chromium, Firefox ESR
// and WebKitGTK (Safari's engine), side by side in one run, by the drivers the engine
// tests use (e2e/engines.mjs). The same frame-aligned step as bench/trained.mjs
// (`frameStepProbe`), after the page has kept the slider's 41 captions and a student's
// 2 s of reading; beside it each engine's floor: the same step on a range input added to
// the page that does nothing but show its value.
// Usage: node bench/engines.mjs (FLAMINGO_DIST picks the build; ENGINES=firefox,webkit a subset).
import { serveDist } from '../serve-dist.mjs';
import { launchChromium, launchFirefox, launchWebKit } from '../e2e/engines.mjs';
import { frameStepProbe, inTheNextFrame, summary } from './page.mjs';

const LAUNCH = { chromium: launchChromium, firefox: launchFirefox, webkit: launchWebKit };

// In the page: the gate scale from 0 to 2 and back on the slider's 0.05 grid, one input
// per frame, then the floor; every time the probe's.
async function drag(events) {
  const scales = Array.from({ length: events }, (_, i) => (0.05 * (i % 40 < 20 ? i % 40 : 40 - (i % 40))).toFixed(2));
  const input = [...document.querySelectorAll('input[type=range]')].find((i) => i.labels[0]?.textContent.trim() === 'Gate scale');
  const out = document.querySelector('#caption-text');
  const overview = document.querySelector('#overview');
  const shows = (v) => (out.dataset.answers ?? '').endsWith(`|${Number(v)}`) && Number(overview.dataset.scale) === Number(v);
  input.scrollIntoView({ block: 'center' });
  await new Promise((r) => setTimeout(r, 500));
  const page = { ms: [], frames: [], busy: [] };
  let last = input.value;
  for (const v of scales) {
    if (Number(v) === Number(last)) continue;
    last = v;
    const step = await window.__frameStep(input, v, () => shows(v));
    for (const k of Object.keys(page)) page[k].push(step[k]);
  }
  const floor = { ms: [], frames: [], busy: [] };
  const bare = document.createElement('input');
  Object.assign(bare, { type: 'range', min: '0', max: '2', step: '0.05', value: '0' });
  const shown = document.createElement('output');
  const box = document.createElement('div');
  box.style.cssText = 'position:fixed;top:0;left:0;background:white;z-index:10';
  box.append(bare, shown);
  document.body.append(box);
  bare.addEventListener('input', () => { shown.textContent = bare.value; });
  for (let i = 0; i < events; i++) {
    const v = String(Number((0.05 * (1 + (i % 39))).toFixed(2)));
    const step = await window.__frameStep(bare, v, () => shown.textContent === bare.value);
    for (const k of Object.keys(floor)) floor[k].push(step[k]);
  }
  box.remove();
  return { page, floor };
}

export async function engineDrags(origin, engines = Object.keys(LAUNCH), events = 60, settleMs = 2000) {
  const results = {};
  for (const engine of engines) {
    const session = await LAUNCH[engine]();
    try {
      await session.open(`${origin}/?scene=1&scale=1&backend=cpu`);
      const opened = Date.now();
      await session.waitFor(() => Number(document.querySelector('#caption-text')?.dataset.kept) >= 41, [], 300_000, 'the 41 captions kept');
      const keptAfter = Date.now() - opened;
      await new Promise((r) => setTimeout(r, settleMs));
      await session.evaluate(frameStepProbe);
      const { page, floor } = await session.evaluate(drag, events);
      results[engine] = {
        version: session.version,
        captions_kept_within_ms: keptAfter,
        scale_to_paint_ms: summary(page.ms),
        scale_in_the_next_frame: inTheNextFrame(page.frames),
        scale_main_thread_ms: summary(page.busy),
        frame_floor_ms: summary(floor.ms),
        floor_in_the_next_frame: inTheNextFrame(floor.frames),
        errors: await session.errors(),
      };
    } finally {
      await session.close();
    }
  }
  return results;
}

const server = await serveDist();
try {
  const engines = process.env.ENGINES?.split(',') ?? undefined;
  console.log(JSON.stringify(await engineDrags(server.origin, engines), null, 1));
} finally {
  server.close();
}
