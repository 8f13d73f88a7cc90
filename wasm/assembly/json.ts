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

/**
 * A string written in place: one growing UTF-16 buffer (a String object resized with __renew,
 * in place while it is the newest allocation) that chunks are copied into and integers are
 * formatted into directly. For the large results (the analysed IR): a string per number and a
 * list of parts to join cost more than writing the text itself.
 */
export class TextBuffer {
  private out: usize;
  private len: i32 = 0;
  private cap: i32;

  constructor(capacity: i32 = 4096) {
    this.cap = max(capacity, 16);
    this.out = __new(<usize>this.cap << 1, idof<String>());
  }

  /** Room for `n` more units; the address to write them at. */
  private reserve(n: i32): usize {
    const need = this.len + n;
    if (need > this.cap) {
      let c = this.cap << 1;
      while (c < need) c <<= 1;
      this.out = __renew(this.out, <usize>c << 1);
      this.cap = c;
    }
    return this.out + (<usize>this.len << 1);
  }

  str(s: string): TextBuffer {
    const n = s.length;
    memory.copy(this.reserve(n), changetype<usize>(s), <usize>n << 1);
    this.len += n;
    return this;
  }

  /** A non-negative integer in decimal. */
  uint(v: u64): TextBuffer {
    let digits = 1;
    for (let t = v; t >= 10; t /= 10) digits++;
    const p = this.reserve(digits);
    let t = v;
    for (let i = digits - 1; i >= 0; i--) {
      store<u16>(p + (<usize>i << 1), <u16>(48 + <i32>(t % 10)));
      t /= 10;
    }
    this.len += digits;
    return this;
  }

  /** `0x` and the value's hex digits (as u64.toString(16) writes them). */
  hex(v: u64): TextBuffer {
    let digits = 1;
    for (let t = v >> 4; t != 0; t >>= 4) digits++;
    const p = this.reserve(digits + 2);
    store<u16>(p, 48);
    store<u16>(p, 120, 2);
    const hexDigits = changetype<usize>(HEX);
    let t = v;
    for (let i = digits - 1; i >= 0; i--) {
      store<u16>(p + (<usize>(i + 2) << 1), load<u16>(hexDigits + ((<usize>t & 15) << 1)));
      t >>= 4;
    }
    this.len += digits + 2;
    return this;
  }

  /** The text written (the buffer itself, cut to its length: use the TextBuffer no more). */
  toString(): string {
    return changetype<string>(__renew(this.out, <usize>this.len << 1));
  }
}
