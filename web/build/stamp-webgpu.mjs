// Part of Trunk's post-build hook: Trunk names the WebGPU module webgpu.js and
// webgpu_bg.wasm, with no hash, so the page's loader snippet asks for them with the
// hash of their contents as a query. A browser's cache then never hands a new page
// an old module.
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sri } from './lock.mjs';

const PLACEHOLDER = /^const WEBGPU_BUILD = .*;$/m;
const INTEGRITY = /^const WEBGPU_WASM_INTEGRITY = .*;$/m;

/** Stamps the loader snippet with the module's build stamp and its wasm's integrity. */
export async function stampWebgpu(dir) {
  const hash = createHash('sha256');
  for (const f of ['webgpu.js', 'webgpu_bg.wasm']) hash.update(await readFile(join(dir, f)));
  const build = hash.digest('hex').slice(0, 16);
  // The wasm's subresource integrity, which the WebGPU worker's fetch checks (lock.mjs says why).
  const integrity = sri(await readFile(join(dir, 'webgpu_bg.wasm')));
  const snippets = join(dir, 'snippets');
  let stamped = 0;
  for (const f of await readdir(snippets, { recursive: true })) {
    if (!f.endsWith('.js')) continue;
    const source = await readFile(join(snippets, f), 'utf8');
    if (!PLACEHOLDER.test(source)) continue;
    if (!INTEGRITY.test(source)) throw new Error(`stamp-webgpu: ${f} has no WEBGPU_WASM_INTEGRITY line`);
    const stampedSource = source
      .replace(PLACEHOLDER, `const WEBGPU_BUILD = '${build}';`)
      .replace(INTEGRITY, `const WEBGPU_WASM_INTEGRITY = '${integrity}';`);
    await writeFile(join(snippets, f), stampedSource);
    stamped++;
  }
  if (stamped !== 1) throw new Error(`stamp-webgpu: expected one loader snippet, found ${stamped}`);
  console.log(`stamp-webgpu: WebGPU module ${build}`);

}
