// The built page (dist/) on a loopback port, with the headers a site should send
// (PUBLISHING.md), and Chromium's flags: shared by `cargo xtask serve`, the browser
// tests (e2e/) and the browser benchmark (bench/).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
// FLAMINGO_DIST points the benchmark at another build, to compare two side by side.
export const dist = process.env.FLAMINGO_DIST ?? join(root, 'dist');

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

/** Trunk's content-hashed names (app-0123456789abcdef.js) never change their bytes. */
const hashed = /-[0-9a-f]{16}(_bg)?\.(js|wasm|css)$/;

/** The headers for one file of `body`: an HTML page's own CSP (from its meta tag, so
 * one source), no sniffing, no referrer, and caching by whether the name carries a hash. */
export function headers(path, body) {
  const h = {
    'content-type': types[extname(path)] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': hashed.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
  if (path.endsWith('.html')) h['content-security-policy'] = policyOf(body.toString('utf8'));
  return h;
}

/** The policy a built index.html carries in its meta tag. */
export function policyOf(html) {
  const m = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/);
  if (!m) throw new Error('index.html has no Content-Security-Policy meta tag: was it built by Trunk with web/build/post-build.mjs?');
  return m[1];
}

/** Serves a built page at http://127.0.0.1:<port> (a free one by default); resolves to
 * { origin, close, serve(dir) }, where serve(dir) switches to another build in place. */
export async function serveDist({ dir = dist, port = 0 } = {}) {
  let current = dir;
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(current, path.endsWith('/') ? 'index.html' : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, headers(file, body));
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    serve(dir) {
      current = dir;
    },
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Chromium without its background traffic; WebGPU on SwiftShader when asked. */
export function chromiumArgs(webgpu) {
  const quiet = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
  // `--enable-unsafe-webgpu` alone gives an adapter (SwiftShader's, without a GPU).
  // `--use-angle=swiftshader` is not needed for it and put the page's own drawing on
  // SwiftShader too: 0.6–1 s later to the first heatmap, on either backend.
  return webgpu ? [...quiet, '--enable-unsafe-webgpu'] : quiet;
}

// `node web/serve-dist.mjs [port]`: what `cargo xtask serve` runs after its build.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 8080);
  const { origin } = await serveDist({ port });
  console.log(`serving ${dist} at ${origin}/ (Ctrl-C stops)`);
}
