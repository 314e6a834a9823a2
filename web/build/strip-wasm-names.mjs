// Trunk post-build hook: drops the wasm's "name" custom section (6.8 MB of function
// names, only useful for stack traces) after wasm-bindgen has run. Stripping at link
// time (`strip = "symbols"`) would also remove the `target_features` section that
// wasm-bindgen reads, so it happens here. Trunk's integrity hashes are off for the
// wasm (index.html) because this rewrites it after they would be computed.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('run by Trunk as a post_build hook (TRUNK_STAGING_DIR unset)');

function leb(bytes, at) {
  let value = 0, shift = 0, byte;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

for (const file of (await readdir(dir)).filter((f) => f.endsWith('.wasm'))) {
  const bytes = await readFile(join(dir, file));
  const kept = [bytes.subarray(0, 8)];
  let at = 8, dropped = 0;
  while (at < bytes.length) {
    const start = at;
    const id = bytes[at++];
    const [size, body] = leb(bytes, at);
    at = body + size;
    if (id === 0) {
      const [len, name] = leb(bytes, body);
      if (bytes.subarray(name, name + len).toString() === 'name') {
        dropped += at - start;
        continue;
      }
    }
    kept.push(bytes.subarray(start, at));
  }
  await writeFile(join(dir, file), Buffer.concat(kept));
  console.log(`strip-wasm-names: ${file}: dropped ${dropped} bytes`);
}
