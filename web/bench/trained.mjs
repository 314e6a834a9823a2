// Browser benchmark of the trained mini-Flamingo on the built page (CPU): navigation →
// first caption, gate-scale input → caption, bars, #lm-identical and the overview updated
// (the rAF after), and "Measure" with 100 episodes per cell, with the longest frame gap during it.
// `node bench/trained.mjs` prints one JSON object; `cargo xtask bench` runs it too.
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import { chromiumArgs, serveDist } from '../serve-dist.mjs';
import { summary } from './page.mjs';

function firstCaptionProbe() {
  const poll = () => {
    if (document.querySelector('#caption-text')?.dataset.answers) window.__firstCaption = performance.now();
    else requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
}

export async function trainedBench(origin, events = 60) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs(false) });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(firstCaptionProbe);
  await page.goto(`${origin}/?scene=1&scale=1&backend=cpu`);
  await page.waitForFunction(() => window.__firstCaption !== undefined, null, { timeout: 300_000 });
  const first = await page.evaluate(() => window.__firstCaption);
  // On the slider's 0.05 grid, from 0 to 2 and back.
  const scales = Array.from({ length: events }, (_, i) => (0.05 * (i % 40 < 20 ? i % 40 : 40 - (i % 40))).toFixed(2));
  const steps = await page.evaluate(async (values) => {
    const input = [...document.querySelectorAll('input[type=range]')].find((i) => i.labels[0]?.textContent.trim() === 'Gate scale');
    const out = document.querySelector('#caption-text');
    const overview = document.querySelector('#overview');
    const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    const times = [];
    const compute = [];
    let last = input.value;
    for (const v of values) {
      if (String(Number(v)) === String(Number(last))) continue;
      last = v;
      const start = performance.now();
      set.call(input, v);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((done) => {
        // The caption and the overview drawn from it, both at the new scale (a build
        // from before the overview has none, for comparisons side by side).
        const poll = () => ((out.dataset.answers ?? '').endsWith(`|${Number(v)}`) && (!overview || Number(overview.dataset.scale) === Number(v)) ? done() : requestAnimationFrame(poll));
        requestAnimationFrame(poll);
      });
      // The frame that shows it.
      await new Promise((done) => requestAnimationFrame(done));
      times.push(performance.now() - start);
      compute.push(Number(out.dataset.ms));
    }
    return { times, compute };
  }, scales);

  // Measure: N = 100 per cell, the frame gaps watched meanwhile.
  const measure = await page.evaluate(async () => {
    const gaps = [];
    let last = performance.now();
    let watching = true;
    const tick = (t) => {
      gaps.push(t - last);
      last = t;
      if (watching) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const start = performance.now();
    document.querySelector('#measure').click();
    await new Promise((done) => {
      const poll = () => (document.querySelectorAll('#shots-accuracy tbody tr').length === 9 && !document.querySelector('#measure').disabled ? done() : setTimeout(poll, 20));
      poll();
    });
    watching = false;
    const rows = [...document.querySelectorAll('#shots-accuracy tbody tr')].map((tr) => [Number(tr.dataset.shots), Number(tr.dataset.accuracy)]);
    return { seconds: (performance.now() - start) / 1000, longest_frame_gap_ms: Math.max(...gaps), frames: gaps.length, accuracy: Object.fromEntries(rows) };
  });
  await browser.close();
  return {
    first_caption_ms: first,
    scale_to_paint_ms: summary(steps.times),
    caption_compute_ms: summary(steps.compute),
    measure_100: measure,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await serveDist();
  console.log(JSON.stringify(await trainedBench(server.origin), null, 2));
  server.close();
}
