// How close the page's arithmetic comes to what this machine's browser can do, on one
// core (issue 24): `crates/matmul-limit`'s wasm module in headless Chromium gives the
// GFLOP/s of its own blocked f32 matrix product, of burn's CPU backend's, and of the
// benchmark sizes' resampler and gated block, all in wasm SIMD on the page's thread.
//
//   cargo build -p matmul-limit --target wasm32-unknown-unknown --profile wasm-release
//   node web/bench/limit.mjs $CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/matmul_limit.wasm
//
// Prints one JSON object.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumArgs } from '../serve-dist.mjs';

const path = process.argv[2];
if (!path) {
  console.error('usage: node web/bench/limit.mjs <matmul_limit.wasm>');
  process.exit(2);
}
// The glue for a classic script: the bench page is a blank one, with nothing to import from.
const out = mkdtempSync(join(tmpdir(), 'limit-'));
execFileSync('wasm-bindgen', ['--target', 'no-modules', '--out-dir', out, path]);
const glue = readFileSync(join(out, 'matmul_limit.js'), 'utf8');
const wasm = readFileSync(join(out, 'matmul_limit_bg.wasm')).toString('base64');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs(false) });
const page = await browser.newPage();
// The glue declares `wasm_bindgen` in the page's global scope; kept as a property to reach it.
await page.evaluate(`${glue}\nwindow.limit = wasm_bindgen;`);
const result = await page.evaluate(async (b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const x = window.limit;
  await x({ module_or_path: bytes });
  const out = { kernel: {}, burn: {}, modules: {} };
  for (const n of [128, 256, 512]) {
    out.kernel[n] = { mr4: x.gflops_kernel(n, 4), mr6: x.gflops_kernel(n, 6) };
  }
  for (const n of [128, 256, 512]) out.burn[n] = x.gflops_burn(n);
  for (const [i, size] of ['classroom', 'mid', 'openflamingo'].entries()) {
    out.modules[size] = { resampler: x.gflops_module(i, 0), block: x.gflops_module(i, 1) };
  }
  return out;
}, wasm);
result.browser = browser.version();
await browser.close();
console.log(JSON.stringify(result));
