// The built page (dist/) on a loopback port, and Chromium's flags: shared by the
// browser tests (e2e/) and the browser benchmark (bench/).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
// FLAMINGO_DIST points the benchmark at another build, to compare two side by side.
export const dist = process.env.FLAMINGO_DIST ?? join(root, 'dist');

const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** Serves dist/ at http://127.0.0.1:<free port>; resolves to { origin, close }. */
export async function serveDist() {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dist, path.endsWith('/') ? 'index.html' : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
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
