// How a K step's cost grows with the images in the prompt, at mid size on the CPU:
// the page's own "last forward" readout and input → paint, medians of 20 K steps,
// for one, two and three images, two rounds. The resampler runs on each image
// alone, so this bounds what splitting images across Web Workers could win
// (BENCHMARKS.md, "Where the targets stand"). Not run by `cargo xtask bench`.
//
//   node bench/per-image.mjs
import { chromium } from 'playwright-core';
import { chromiumArgs, serveDist } from '../serve-dist.mjs';
const server = await serveDist();
const base = 'k=63&depth=6&patch=16&size=224&width=256&len=32&alpha=1&ff=1&backend=cpu';
for (const round of [1, 2]) for (const images of ['0', '0,16', '0,8,16']) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs(false) });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${server.origin}/?${base}&images=${images}`);
  await page.waitForFunction(() => document.querySelector('#identity-diff')?.dataset.query === location.search.slice(1), null, { timeout: 300000 });
  const r = await page.evaluate(async () => {
    const input = document.querySelector('input[type=range][aria-label="Latents K"]');
    const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    const fwd = [], wall = [];
    for (let i = 0; i < 20; i++) {
      const v = i % 2 ? 63 : 64;
      const start = performance.now();
      set.call(input, String(v));
      input.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((done) => { const poll = () => (Number(new URLSearchParams(document.querySelector('#identity-diff').dataset.query).get('k')) === v ? done() : requestAnimationFrame(poll)); requestAnimationFrame(poll); });
      wall.push(performance.now() - start);
      fwd.push(Number(/last forward ([\d.]+) ms/.exec(document.querySelector('.status').textContent)[1]));
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    return { fwd: med(fwd), wall: med(wall) };
  });
  console.log(`round ${round}, images at ${images}: forward ${r.fwd} ms, input → paint ${r.wall.toFixed(1)} ms`);
  await browser.close();
}
server.close();
