// Where the page's wasm code comes from: function body bytes summed by crate, read from
// the name section of the wasm cargo links (before wasm-bindgen and the name strip).
// Prints one JSON object. Run by `cargo xtask bench`.
//
//   node bench/wasm-size.mjs <app.wasm>
import { readFileSync } from 'node:fs';

// Crate name → the part of the stack it belongs to.
const GROUPS = [
  ['WebGPU: cubecl compiler and kernels, wgpu', /^(cubecl|cubek|pliron|combine|rustc_apfloat|burn_cubecl|burn_wgpu|wgpu|naga)/],
  ['CPU backend: burn-flex, gemm, macerator', /^(burn_flex|gemm|macerator)/],
  ['burn front end (tensor, nn, dispatch, std)', /^burn/],
  ['page: app, lab, flamingo, Leptos, plotters, web-sys', /^(app|lab|webgpu|flamingo|leptos|reactive_graph|tachys|any_spawner|web_sys|js_sys|wasm_bindgen|plotters|serde)/],
];
const OTHER = 'Rust core, alloc, std and shared generics';

const buf = readFileSync(process.argv[2]);
let p = 8;
const leb = () => {
  let r = 0, s = 0, b;
  do { b = buf[p++]; r += (b & 0x7f) * 2 ** s; s += 7; } while (b & 0x80);
  return r;
};
const skipLimits = () => { const f = leb(); leb(); if (f & 1) leb(); };
let imported = 0, data = 0;
const bodies = [];
const names = new Map();
while (p < buf.length) {
  const id = buf[p++];
  const size = leb();
  const end = p + size;
  if (id === 2) {
    for (let i = leb(); i > 0; i--) {
      for (const _ of 'mf') { const len = leb(); p += len; } // module and field names
      const kind = buf[p++];
      if (kind === 0) { leb(); imported++; } else if (kind === 1) { p++; skipLimits(); } else if (kind === 2) skipLimits(); else if (kind === 3) p += 2; else leb();
    }
  } else if (id === 10) {
    for (let i = leb(); i > 0; i--) { const s = leb(); bodies.push(s); p += s; }
  } else if (id === 11) {
    data += size;
  } else if (id === 0) {
    const len = leb();
    const custom = buf.toString('utf8', p, p + len);
    p += len;
    while (custom === 'name' && p < end) {
      const sub = buf[p++];
      const subEnd = leb() + p;
      if (sub === 1) for (let i = leb(); i > 0; i--) { const idx = leb(); const l = leb(); names.set(idx, buf.toString('utf8', p, p + l)); p += l; }
      p = subEnd;
    }
  }
  p = end;
}
if (names.size === 0) throw new Error(`${process.argv[2]} has no function names`);

// Legacy mangling: _ZN<len><crate>...; a trait impl `<krate::Type as other::Trait>` counts for
// the type's crate, and for the trait's when the type is generic or primitive.
function crate(name = '?') {
  const m = name.match(/^_ZN(\d+)(.*)/);
  if (!m) return name.split('::')[0];
  const first = m[2].slice(0, +m[1]);
  if (!first.startsWith('_$LT$')) return first;
  return (first.match(/^_\$LT\$([a-z_0-9]+)\.\./) ?? first.match(/\$u20\$as\$u20\$([a-z_0-9]+)/) ?? [, first])[1];
}
const byCrate = new Map();
bodies.forEach((size, i) => { const c = crate(names.get(i + imported)); byCrate.set(c, (byCrate.get(c) ?? 0) + size); });
const groups = Object.fromEntries([...GROUPS.map(([g]) => [g, 0]), [OTHER, 0]]);
for (const [c, size] of byCrate) groups[(GROUPS.find(([, re]) => re.test(c)) ?? [OTHER])[0]] += size;
const code = bodies.reduce((a, b) => a + b, 0);
const top = [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([name, bytes]) => ({ name, bytes }));
console.log(JSON.stringify({ code, data, functions: bodies.length, groups, top }, null, 2));
