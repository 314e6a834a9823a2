// One of the page's lab workers (crates/app/src/pool.rs): the page's own wasm module,
// instantiated again here from the compiled module the page sends, so the forwards run
// off the main thread and nothing is downloaded or compiled twice. Tasks and answers
// are bytes (lab::Task, lab::Frame, lab::Part); their buffers are transferred.
let glue;

async function start({ url, module }) {
  const g = await import(url);
  await g.default({ module_or_path: module });
  return g;
}

self.onmessage = ({ data }) => {
  if (data.url) {
    glue = start(data);
    return;
  }
  glue
    .then((g) => g[data.op](data.bytes))
    .then(
      (out) => {
        const bytes = out ?? new Uint8Array(0);
        self.postMessage({ id: data.id, bytes }, [bytes.buffer]);
      },
      // A trap (a panic) leaves the module unusable: the page replaces this worker.
      (e) => self.postMessage({ id: data.id, error: String(e?.message ?? e), trap: e instanceof WebAssembly.RuntimeError }),
    );
};
