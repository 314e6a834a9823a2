// Part of Trunk's post-build hook: Trunk names the modules the page loads on demand
// (WebGPU's, webgpu.js and webgpu_bg.wasm; the trainer's, trainer.js and
// trainer_bg.wasm) with no hash, so the page's loader snippet for each asks for them
// with the hash of their contents as a query. A browser's cache then never hands a new
// page an old module.
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sri } from './lock.mjs';

/** The modules loaded on demand: each file's prefix, and its snippet's constants' prefix. */
export const ON_DEMAND = [
  ['webgpu', 'WEBGPU'],
  ['trainer', 'TRAINER'],
];

/** Stamps each module's loader snippet with its build stamp and its wasm's integrity. */
export async function stampModules(dir) {
  const snippets = join(dir, 'snippets');
  const sources = [];
  for (const f of await readdir(snippets, { recursive: true })) {
    if (f.endsWith('.js')) sources.push([f, await readFile(join(snippets, f), 'utf8')]);
  }
  for (const [name, NAME] of ON_DEMAND) {
    const placeholder = new RegExp(`^const ${NAME}_BUILD = .*;$`, 'm');
    const integrityLine = new RegExp(`^const ${NAME}_WASM_INTEGRITY = .*;$`, 'm');
    const hash = createHash('sha256');
    for (const f of [`${name}.js`, `${name}_bg.wasm`]) hash.update(await readFile(join(dir, f)));
    const build = hash.digest('hex').slice(0, 16);
    // The wasm's subresource integrity, which the module's worker checks as it fetches (lock.mjs says why).
    const integrity = sri(await readFile(join(dir, `${name}_bg.wasm`)));
    let stamped = 0;
    for (const entry of sources) {
      if (!placeholder.test(entry[1])) continue;
      if (!integrityLine.test(entry[1])) throw new Error(`stamp-modules: ${entry[0]} has no ${NAME}_WASM_INTEGRITY line`);
      entry[1] = entry[1]
        .replace(placeholder, `const ${NAME}_BUILD = '${build}';`)
        .replace(integrityLine, `const ${NAME}_WASM_INTEGRITY = '${integrity}';`);
      await writeFile(join(snippets, entry[0]), entry[1]);
      stamped++;
    }
    if (stamped !== 1) throw new Error(`stamp-modules: expected one ${name} loader snippet, found ${stamped}`);
    console.log(`stamp-modules: ${name} module ${build}`);
  }
}

/** Whether a built file belongs to a module loaded on demand. */
export const onDemand = (file) => ON_DEMAND.some(([name]) => file.startsWith(`${name}.js`) || file.startsWith(`${name}_bg.wasm`));
