// The sections of a wasm binary: the build hook drops one, the browser tests check
// which ones the shipped file has.

function leb(bytes, at) {
  let value = 0, shift = 0, byte;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

/** Every section after the 8-byte header: { id, name (custom sections only), start, end }. */
export function sections(bytes) {
  const out = [];
  for (let at = 8; at < bytes.length; ) {
    const start = at;
    const id = bytes[at++];
    const [size, body] = leb(bytes, at);
    at = body + size;
    let name = null;
    if (id === 0) {
      const [len, from] = leb(bytes, body);
      name = bytes.subarray(from, from + len).toString();
    }
    out.push({ id, name, start, end: at });
  }
  return out;
}
