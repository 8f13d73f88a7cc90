// A small JSON writer for results that cross the wasm boundary (the core only writes JSON).

export function jsonString(s: string): string {
  // Fast path (program hex, names, most messages): nothing to escape, no per-char concatenation.
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c == 34 || c == 92) { plain = false; break; }
  }
  if (plain) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 34) out += '\\"';
    else if (c == 92) out += '\\\\';
    else if (c == 10) out += '\\n';
    else if (c == 13) out += '\\r';
    else if (c == 9) out += '\\t';
    else if (c < 32) out += '\\u' + (<u32>c).toString(16).padStart(4, '0');
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

const HEX = '0123456789abcdef';

/**
 * `"hex"`: the bytes in hex as a JSON string. Written straight into the result string, quotes
 * included (hex needs no escaping, so jsonString's scan and copy are skipped; per-byte strings
 * made compile output quadratic-ish; a separate buffer cost a copy and a check per character).
 */
export function hexJson(b: Uint8Array): string {
  const n = b.length;
  const out = changetype<string>(__new((<usize>n << 2) + 4, idof<String>()));
  const dst = changetype<usize>(out) + 2;
  const src = b.dataStart;
  const digits = changetype<usize>(HEX);
  for (let i = 0; i < n; i++) {
    const v = <usize>load<u8>(src + <usize>i);
    store<u16>(dst + (<usize>i << 2), load<u16>(digits + ((v >> 4) << 1)));
    store<u16>(dst + (<usize>i << 2), load<u16>(digits + ((v & 15) << 1)), 2);
  }
  store<u16>(changetype<usize>(out), 34);
  store<u16>(dst + (<usize>n << 2), 34);
  return out;
}

export function hex64(v: u64): string {
  return '0x' + v.toString(16);
}

/** Builds `{"k":v,...}` without intermediate arrays at each call site. */
export class JsonObject {
  private parts: string[] = [];
  str(k: string, v: string): JsonObject { this.parts.push(jsonString(k) + ':' + jsonString(v)); return this; }
  num(k: string, v: f64): JsonObject { this.parts.push(jsonString(k) + ':' + (isFinite(v) ? (v == Math.floor(v) && Math.abs(v) < 9e15 ? (<i64>v).toString() : v.toString()) : 'null')); return this; }
  int(k: string, v: i64): JsonObject { this.parts.push(jsonString(k) + ':' + v.toString()); return this; }
  bool(k: string, v: bool): JsonObject { this.parts.push(jsonString(k) + ':' + (v ? 'true' : 'false')); return this; }
  raw(k: string, json: string): JsonObject { this.parts.push(jsonString(k) + ':' + json); return this; }
  toString(): string { return '{' + this.parts.join(',') + '}'; }
}

export function jsonArray(items: string[]): string { return '[' + items.join(',') + ']'; }
