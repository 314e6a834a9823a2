// Part of Trunk's post-build hook: drops the wasm's "name" custom section (6.8 MB of function
// names, only useful for stack traces) after wasm-bindgen has run. Stripping at link
// time (`strip = "symbols"`) would also remove the `target_features` section that
// wasm-bindgen reads, so it happens here. Trunk's integrity hashes are off for the
// wasm (index.html) because this rewrites it after they would be computed.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sections } from './wasm-sections.mjs';

export async function stripNames(dir) {
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.wasm'))) {
    const bytes = await readFile(join(dir, file));
    const all = sections(bytes);
    const kept = all.filter((s) => s.name !== 'name');
    const parts = [bytes.subarray(0, 8), ...kept.map((s) => bytes.subarray(s.start, s.end))];
    await writeFile(join(dir, file), Buffer.concat(parts));
    const dropped = all.filter((s) => s.name === 'name').reduce((n, s) => n + s.end - s.start, 0);
    console.log(`strip-wasm-names: ${file}: dropped ${dropped} bytes`);
  }
}
