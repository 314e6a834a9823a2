// The main thread while sliders are dragged: for every range input of the page, 2 s of
// `input` events (one per frame, sweeping its range), then `change`; the longest task
// the Long Tasks API reports in that window (it reports tasks over 50 ms, so none means
// every task was shorter), how many there were, and the longest gap between frames.
// Also the mid K step with a given number of workers. Used by browser.mjs.
import { open as openAt, sliderToPaint, summary } from './page.mjs';

/** Long tasks from the page's first script on. */
function watchLongTasks() {
  window.__longTasks = [];
  new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries().map((e) => ({ start: e.startTime, ms: e.duration })))).observe({ type: 'longtask', buffered: true });
}

/** `navigator.hardwareConcurrency` as the page sees it, so the pool has `n` workers. */
export const cores = (n) => `Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => ${n} })`;

/** Opens `query` and drags every slider in turn; per slider label, the figures above. */
export async function drags(origin, query, { webgpu = false, dragMs = 2000 } = {}) {
  const { browser, page } = await openAt(origin, query, { webgpu, init: [watchLongTasks] });
  if (webgpu) await page.waitForFunction(() => /^WebGPU/.test(document.querySelector('#backend').textContent), null, { timeout: 300_000 });
  const labels = await page.evaluate(() =>
    [...document.querySelectorAll('input[type=range]')]
      .map((i) => i.getAttribute('aria-label') || i.labels?.[0]?.textContent.trim())
      // A shorter sequence drops images past its end: the length goes last.
      .sort((a, b) => (a === 'Sequence length') - (b === 'Sequence length')),
  );
  const out = {};
  for (const label of labels) {
    out[label] = await page.evaluate(
      async ([label, dragMs]) => {
        const input = [...document.querySelectorAll('input[type=range]')].find((i) => (i.getAttribute('aria-label') || i.labels?.[0]?.textContent.trim()) === label);
        const [lo, hi, step] = [Number(input.min), Number(input.max), Number(input.step) || 1];
        const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
        const start = performance.now();
        let last = start;
        let gap = 0;
        let events = 0;
        for (let now = start; now - start < dragMs; now = await new Promise((ok) => requestAnimationFrame(ok))) {
          gap = Math.max(gap, now - last);
          last = now;
          // There and back across the range, on the slider's grid.
          const t = (now - start) / dragMs;
          const v = lo + Math.round(((hi - lo) * (1 - Math.abs(1 - 2 * t))) / step) * step;
          set.call(input, String(v));
          input.dispatchEvent(new Event('input', { bubbles: true }));
          events++;
        }
        input.dispatchEvent(new Event('change', { bubbles: true }));
        const end = performance.now();
        // Let the last forward land and the observer report, then look at the window.
        await new Promise((ok) => setTimeout(ok, 1500));
        const tasks = window.__longTasks.filter((e) => e.start >= start && e.start <= end);
        return { events, longest_task_ms: tasks.length ? Math.max(...tasks.map((e) => e.ms)) : null, long_tasks: tasks.length, longest_frame_gap_ms: gap };
      },
      [label, dragMs],
    );
  }
  const workers = await page.locator('#backend').getAttribute('data-workers');
  await browser.close();
  return { workers: Number(workers), sliders: out };
}

/** Input → painted for `steps` K steps at `query`, with the pool at `n` workers. */
export async function kSteps(origin, query, n, steps = 20) {
  const { browser, page } = await openAt(origin, query, { init: [cores(n)] });
  const k0 = Number(new URL(page.url()).searchParams.get('k'));
  const ks = Array.from({ length: steps }, (_, i) => k0 + (i % 2 ? 0 : 1));
  const timed = await sliderToPaint(page, 'Latents K', 'k', ks);
  const workers = Number(await page.locator('#backend').getAttribute('data-workers'));
  await browser.close();
  return { workers, input_to_paint_ms: summary(timed.map((s) => s.ms)), forward_ms: summary(timed.map((s) => s.forward)) };
}
