// How a K step's cost grows with the images in the prompt, at mid size on the CPU:
// the page's own "last forward" readout and input → paint, medians of 20 K steps,
// for one, two and three images, two rounds, with the page's pool of workers (set
// `navigator.hardwareConcurrency` to 1 in page.mjs's `init` to see one worker alone;
// BENCHMARKS.md, issue 15). Not run by `cargo xtask bench`.
//
//   node bench/per-image.mjs
import { serveDist } from '../serve-dist.mjs';
import { open, quantile, sliderToPaint } from './page.mjs';

const server = await serveDist();
const base = 'k=63&depth=6&patch=16&size=224&width=256&len=32&alpha=1&ff=1&backend=cpu';
const ks = Array.from({ length: 20 }, (_, i) => (i % 2 ? 63 : 64));
for (const round of [1, 2]) {
  for (const images of ['0', '0,16', '0,8,16']) {
    const { browser, page } = await open(server.origin, `${base}&images=${images}`);
    const steps = await sliderToPaint(page, 'Latents K', 'k', ks);
    const median = (key) => quantile(steps.map((s) => s[key]), 0.5);
    console.log(`round ${round}, images at ${images}: forward ${median('forward')} ms, input → paint ${median('ms').toFixed(1)} ms`);
    await browser.close();
  }
}
server.close();
