// One of the page's labs in a dedicated worker, so forwards never hold the main thread.
// A CPU lab (crates/app/src/compute/worker.rs) is the page's own wasm module, instantiated again
// from the compiled module the page sends: nothing is downloaded or compiled twice. The
// WebGPU lab (crates/app/src/compute/backend.rs) is the WebGPU module, its wasm fetched here
// with its integrity. Tasks and answers are bytes (lab::Task, lab::Frame, lab::Part)
// whose buffers are transferred.
let glue;

async function start({ url, module, wasm, integrity, gpu }) {
  if (gpu) watchDevices();
  const g = await import(url);
  const exports = await g.default({ module_or_path: module ?? fetch(wasm, { integrity }) });
  // Where the memory test (web/e2e/reliability.test.mjs) reads this lab's size.
  self.labMemory = exports.memory;
  return g;
}

// Every device burn asks for is watched, so a lost one (a driver reset, a sleeping
// laptop) is reported to the page even between forwards. They stay on `labDevices`,
// where the device-loss test (web/e2e/reliability.test.mjs) reaches them.
function watchDevices() {
  const request = GPUAdapter.prototype.requestDevice;
  self.labDevices = [];
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await request.apply(this, args);
    self.labDevices.push(device);
    device.lost.then((info) => self.postMessage({ lost: `${info.reason ?? 'unknown'}: ${info.message || 'no message'}` }));
    return device;
  };
}

self.onmessage = ({ data }) => {
  if (data.url) {
    glue = start(data);
    return;
  }
  glue
    .then((g) => g[data.op](data.bytes))
    .then(
      (out) => self.postMessage({ id: data.id, out }, out instanceof Uint8Array ? [out.buffer] : []),
      // A trap (a panic) leaves the module unusable: the page replaces this worker.
      (e) => self.postMessage({ id: data.id, error: String(e?.message ?? e), trap: e instanceof WebAssembly.RuntimeError }),
    );
};
