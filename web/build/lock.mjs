// Part of Trunk's post-build hook, after every file has its final bytes: subresource
// integrity for every script and wasm the page loads, and the Content-Security-Policy
// that allows exactly the inline scripts Trunk writes, by their hashes.
//
// Trunk's own integrity attributes are off (index.html) because the hook rewrites the
// wasm and a snippet after Trunk hashed them. Here:
// - an import map lists the integrity of every JavaScript module the page imports (the
//   loader's import, the app's snippets), so the browser checks them wherever the page
//   imports them;
// - the loader fetches the page's wasm with its integrity; the WebGPU worker does the
//   same for its wasm, and the trainer's worker for its own (stamp-modules.mjs writes
//   those hashes into the page's snippets);
// - the labs' workers (web/lab-worker.js) cannot be checked: no browser takes
//   `integrity` for a Worker, and import maps do not reach workers. What they run is
//   the page's own wasm, compiled from the checked fetch and sent to them, or the
//   WebGPU wasm, checked by its fetch; their JavaScript (lab-worker.js, the wasm-bindgen
//   glue they import) is not (RELIABILITY.md);
// - `<script src>`, `modulepreload` and the wasm `preload` carry `integrity` too.
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onDemand } from './stamp-modules.mjs';

export const sri = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
const cspHash = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The policy, with the inline scripts' hashes. No 'unsafe-inline', no 'unsafe-eval'. */
export function policy(inlineHashes) {
  return [
    "default-src 'none'",
    `script-src 'self' 'wasm-unsafe-eval' ${inlineHashes.join(' ')}`,
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
  ].join('; ');
}

export async function lock(dir) {
  const page = join(dir, 'index.html');
  let html = await readFile(page, 'utf8');
  const loader = html.match(/<script type="module">([\s\S]*?)<\/script>/);
  if (!loader) throw new Error('lock: Trunk\'s loader script not found');
  const appJs = loader[1].match(/from '([^']+\.js)'/)?.[1];
  const appWasm = loader[1].match(/module_or_path: '([^']+\.wasm)'/)?.[1];
  if (!appJs || !appWasm) throw new Error('lock: the loader no longer imports a .js and a .wasm');
  // Trunk's public URL: '/' unless the site lives under a path (PUBLISHING.md).
  const base = appJs.slice(0, appJs.lastIndexOf('/') + 1);
  const integrity = {};
  const files = (await readdir(dir, { recursive: true })).map((f) => f.split('\\').join('/'));
  const hashes = {};
  for (const f of files.filter((f) => /\.(js|wasm)$/.test(f))) hashes[f] = sri(await readFile(join(dir, f)));
  for (const f of files.filter((f) => f.endsWith('.js') && f !== 'sw.js' && f !== 'boot.js' && f !== 'lab-worker.js' && !onDemand(f))) {
    integrity[base + f] = hashes[f];
  }

  const newLoader = loader[1].replace(
    `module_or_path: '${appWasm}'`,
    `module_or_path: fetch('${appWasm}', { integrity: '${hashes[appWasm.slice(base.length)]}' })`,
  );
  const importMap = JSON.stringify({ imports: {}, integrity }, null, 1);
  html = html.replace(loader[0], `<script type="importmap">${importMap}</script>\n<script type="module">${newLoader}</script>`);
  // Integrity on the tags that fetch scripts and the wasm.
  html = html.replace(/<link rel="(modulepreload|preload)" href="([^"]+)"/g, (tag, rel, href) => {
    const h = hashes[href.slice(base.length)];
    return h ? `${tag} integrity="${h}"` : tag;
  });
  html = html.replace(/<script src="([^"]+)">/g, (tag, src) => {
    const h = hashes[src.startsWith(base) ? src.slice(base.length) : src.replace(/^\.\//, '')];
    if (!h) throw new Error(`lock: no file for <script src="${src}">`);
    return `<script src="${src}" integrity="${h}">`;
  });

  const inline = [...html.matchAll(/<script(?: type="(?:module|importmap)")?>([\s\S]*?)<\/script>/g)].map((m) => cspHash(m[1]));
  if (!html.includes('CSP_FILLED_IN_BY_THE_BUILD')) throw new Error('lock: the CSP placeholder is missing from index.html');
  html = html.replace('CSP_FILLED_IN_BY_THE_BUILD', policy(inline));
  await writeFile(page, html);
  console.log(`lock: ${Object.keys(integrity).length} modules in the import map, ${inline.length} inline scripts hashed`);
}
