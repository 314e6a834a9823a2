// Navigation → first heatmap under Chromium's WebGPU flags, each flag set and backend
// in turn, several rounds, medians. Shows what the flags cost the page before any
// WebGPU work (BENCHMARKS.md, step 12). Not run by `cargo xtask bench`.
//
//   node bench/flags.mjs [rounds]
import { chromiumArgs, serveDist } from '../serve-dist.mjs';
import { CONFIGS, open, quantile } from './page.mjs';

const quiet = chromiumArgs(false);
const angle = '--use-angle=swiftshader';
const CASES = {
  'no flags, CPU': [quiet, 'cpu'],
  '--enable-unsafe-webgpu, CPU': [chromiumArgs(true), 'cpu'],
  '--enable-unsafe-webgpu, WebGPU': [chromiumArgs(true), 'webgpu'],
  [`${angle}, CPU`]: [[...quiet, angle], 'cpu'],
  [`--enable-unsafe-webgpu ${angle}, WebGPU`]: [[...chromiumArgs(true), angle], 'webgpu'],
};
const rounds = Number(process.argv[2] ?? 5);
const server = await serveDist();
const times = {};
for (let r = 0; r < rounds; r++) {
  for (const [name, [args, backend]] of Object.entries(CASES)) {
    const { browser, page } = await open(server.origin, `${CONFIGS.classroom}&backend=${backend}`, { args });
    (times[name] ??= []).push(await page.evaluate(() => window.__firstHeatmap));
    await browser.close();
  }
}
server.close();
for (const [name, xs] of Object.entries(times)) {
  console.log(`| ${name} | ${Math.round(quantile(xs, 0.5))} | ${xs.map(Math.round).join(', ')} |`);
}
