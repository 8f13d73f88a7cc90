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

export function hexBytes(b: Uint8Array): string {
  // One UTF-16 buffer, decoded once (per-byte strings made compile output quadratic-ish).
  const out = new StaticArray<u16>(b.length * 2);
  for (let i = 0; i < b.length; i++) {
    out[2 * i] = <u16>HEX.charCodeAt(b[i] >> 4);
    out[2 * i + 1] = <u16>HEX.charCodeAt(b[i] & 15);
  }
  return String.UTF16.decodeUnsafe(changetype<usize>(out), <usize>out.length << 1);
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
