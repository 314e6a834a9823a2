// The gate scale dragged in each engine a classroom has: Debian's Chromium, Firefox ESR
// and WebKitGTK (Safari's engine), side by side in one run, by the drivers the engine
// tests use (e2e/engines.mjs). The same frame-aligned step as bench/trained.mjs
// (`frameStepProbe`), after the page has kept the slider's 41 captions and a student's
// 2 s of reading; beside it each engine's floor: the same step on a range input added to
// the page that does nothing but show its value.
// Usage: node bench/engines.mjs (FLAMINGO_DIST picks the build; ENGINES=firefox,webkit a subset;
// webkit-no-compositing is WebKit without its GL compositor, which this machine emulates on the CPU).
import { serveDist } from '../serve-dist.mjs';
import { launchChromium, launchFirefox, launchWebKit } from '../e2e/engines.mjs';
import { floorSteps, frameStepProbe, gateScales, inTheNextFrame, summary } from './page.mjs';

const LAUNCH = {
  chromium: launchChromium,
  firefox: launchFirefox,
  webkit: launchWebKit,
  // The same WebKit drawing without its GL compositor, which here runs on the CPU.
  'webkit-no-compositing': () => launchWebKit({ compositing: false }),
};

// In the page: the gate scale along `scales`, one input per frame; every step the probe's.
async function drag(scales) {
  const input = [...document.querySelectorAll('input[type=range]')].find((i) => i.labels[0]?.textContent.trim() === 'Gate scale');
  const out = document.querySelector('#caption-text');
  const overview = document.querySelector('#overview');
  const shows = (v) => (out.dataset.answers ?? '').endsWith(`|${Number(v)}`) && Number(overview.dataset.scale) === Number(v);
  input.scrollIntoView({ block: 'center' });
  await new Promise((r) => setTimeout(r, 500));
  const steps = [];
  let last = input.value;
  for (const v of scales) {
    if (Number(v) === Number(last)) continue;
    last = v;
    steps.push(await window.__frameStep(input, v, () => shows(v)));
  }
  return steps;
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
      const page = await session.evaluate(drag, gateScales(events));
      const floor = await session.evaluate(floorSteps, events);
      const all = (steps, key) => steps.map((s) => s[key]);
      results[engine] = {
        version: session.version,
        captions_kept_within_ms: keptAfter,
        scale_to_paint_ms: summary(all(page, 'ms')),
        scale_in_the_next_frame: inTheNextFrame(all(page, 'frames')),
        scale_main_thread_ms: summary(all(page, 'busy')),
        frame_floor_ms: summary(all(floor, 'ms')),
        floor_in_the_next_frame: inTheNextFrame(all(floor, 'frames')),
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
