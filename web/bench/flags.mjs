// Navigation → first heatmap under Chromium's WebGPU flags, each flag set and backend
// in turn, several rounds, medians. Shows what the flags cost the page before any
// WebGPU work (BENCHMARKS.md, step 12). Not run by `cargo xtask bench`.
//
//   node bench/flags.mjs [rounds]
import { chromium } from 'playwright-core';
import { chromiumArgs, firstPaintProbe, serveDist } from '../serve-dist.mjs';

const quiet = chromiumArgs(false);
const angle = '--use-angle=swiftshader';
const CASES = {
  'no flags, CPU': [quiet, 'cpu'],
  '--enable-unsafe-webgpu, CPU': [chromiumArgs(true), 'cpu'],
  '--enable-unsafe-webgpu, WebGPU': [chromiumArgs(true), 'webgpu'],
  [`${angle}, CPU`]: [[...quiet, angle], 'cpu'],
  [`--enable-unsafe-webgpu ${angle}, WebGPU`]: [[...chromiumArgs(true), angle], 'webgpu'],
};
const CLASSROOM = 'k=8&depth=2&patch=37&size=224&width=64&len=16&images=0,8&alpha=1&ff=1';
const rounds = Number(process.argv[2] ?? 5);
const server = await serveDist();
const times = {};
for (let r = 0; r < rounds; r++) {
  for (const [name, [args, backend]] of Object.entries(CASES)) {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.addInitScript(firstPaintProbe);
    await page.goto(`${server.origin}/?${CLASSROOM}&backend=${backend}`);
    await page.waitForFunction(() => window.__firstHeatmap !== undefined, null, { timeout: 120_000 });
    (times[name] ??= []).push(await page.evaluate(() => window.__firstHeatmap));
    await browser.close();
  }
}
server.close();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, xs] of Object.entries(times)) {
  console.log(`| ${name} | ${Math.round(median(xs))} | ${xs.map(Math.round).join(', ')} |`);
}
