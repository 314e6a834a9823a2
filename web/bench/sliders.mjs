// A mechanics slider dragged one input per frame (`frameStepProbe`): input → the frame
// whose callbacks find the readout answering it, the frames waited, the main thread's time
// for the input's own task and frame (not for the worker's answer, which arrives in a later
// task) and the page's own "last forward". At once after the first heatmap, or SETTLE_MS
// later.
// Usage: node bench/sliders.mjs [classroom|mid] [alpha|k]
import { pathToFileURL } from 'node:url';
import { serveDist } from '../serve-dist.mjs';
import { CONFIGS, frameFloor, frameStepProbe, inTheNextFrame, open, summary } from './page.mjs';

export async function sliderSteps(origin, size = 'classroom', slider = 'alpha', settleMs = 0) {
  const { browser, page } = await open(origin, `${CONFIGS[size]}&backend=cpu`, { init: [frameStepProbe] });
  await page.waitForTimeout(settleMs);
  const steps = await page.evaluate(async ([label, param, n, back]) => {
    const input = [...document.querySelectorAll('input[type=range]')].find((i) => i.labels[0]?.textContent.trim() === label);
    const answered = () => Number(new URLSearchParams(document.querySelector('#identity-diff').dataset.query).get(param));
    const k0 = Number(input.value);
    const out = { ms: [], frames: [], busy: [], forward: [] };
    for (let i = 0; i < n; i++) {
      // K walks up one at a time from its value, as a drag does (K_BACK=1: back and forth
      // between its value and the next); alpha walks the slider's 0.05 grid.
      const v = param === 'k' ? String(back ? k0 + ((i + 1) % 2) : k0 + i + 1) : (-2 + 0.05 * ((i + 1) % 80)).toFixed(2);
      const { ms, frames, busy } = await window.__frameStep(input, v, () => answered() === Number(v));
      out.ms.push(ms);
      out.frames.push(frames);
      out.busy.push(busy);
      out.forward.push(Number(/last forward ([\d.]+) ms/.exec(document.querySelector('.status').textContent)?.[1]));
    }
    return out;
  }, slider === 'k' ? ['Latents K', 'k', 40, Boolean(process.env.K_BACK)] : ['Gate alpha', 'alpha', 60, false]);
  const floor = await frameFloor(browser);
  await browser.close();
  if (process.env.RAW) console.error(JSON.stringify(steps));
  return {
    size, slider, settle_ms: settleMs,
    to_paint_ms: summary(steps.ms),
    in_the_next_frame: inTheNextFrame(steps.frames),
    frame_floor_ms: floor,
    main_thread_ms: summary(steps.busy),
    forward_ms: summary(steps.forward),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await serveDist();
  console.log(JSON.stringify(await sliderSteps(server.origin, process.argv[2], process.argv[3], Number(process.env.SETTLE_MS ?? 0))));
  server.close();
}
