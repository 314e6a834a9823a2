// Writes the service worker's file list and version: every file the build staged but
// the modules loaded on demand (WebGPU's, the trainer's), and a hash of all their
// contents. They are most of the bytes and only some visits fetch them; the worker
// caches them when they do.
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { onDemand } from './stamp-modules.mjs';

async function files(dir, root = dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(path, root)));
    else out.push(relative(root, path).split('\\').join('/'));
  }
  return out.sort();
}

export async function writePrecache(dir) {
  const all = (await files(dir)).filter((f) => f !== 'sw.js');
  const list = all.filter((f) => !onDemand(f));
  const hash = createHash('sha256');
  for (const f of all) hash.update(f).update(await readFile(join(dir, f)));
  const version = hash.digest('hex').slice(0, 16);
  const sw = join(dir, 'sw.js');
  const source = (await readFile(sw, 'utf8'))
    .replace(/^const VERSION = .*;$/m, `const VERSION = '${version}';`)
    .replace(/^const FILES = .*;$/m, `const FILES = ${JSON.stringify(list)};`);
  if (!source.includes(version)) throw new Error('sw.js: VERSION line not found');
  await writeFile(sw, source);
  console.log(`precache: ${list.length} files, version ${version}`);
}
