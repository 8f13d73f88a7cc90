// A small JSON reader and writer for OCI seccomp profiles. The reader keeps integers exact
// (bigint: argument values reach 2^64-1, past JSON.parse's doubles) and reports a syntax
// error with its line and column; the writer prints bigints as plain JSON numbers.

export type JsonValue = null | boolean | string | bigint | number | JsonValue[] | { [key: string]: JsonValue };

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly line: number, readonly column: number) {
    super(`${line}:${column}: ${message}`);
    this.name = 'JsonSyntaxError';
  }
}

/** Parse JSON text; integers become bigint, other numbers number. */
export function parseJson(text: string): JsonValue {
  let i = 0;
  const fail = (msg: string, at = i): never => {
    let line = 1;
    let col = 1;
    for (let k = 0; k < at && k < text.length; k++) {
      if (text.charCodeAt(k) === 10) { line++; col = 1; } else col++;
    }
    throw new JsonSyntaxError(msg, line, col);
  };
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const what = () => (i >= text.length ? 'end of input' : JSON.stringify(text[i]));
  const value = (depth: number): JsonValue => {
    if (depth > 64) fail('nested too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: { [key: string]: JsonValue } = {};
      ws();
      if (text[i] === '}') { i++; return out; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a string key, found ${what()}`);
        const k = str();
        ws();
        if (text[i] !== ':') fail(`expected ':', found ${what()}`);
        i++;
        if (Object.prototype.hasOwnProperty.call(out, k)) fail(`duplicate key ${JSON.stringify(k)}`);
        Object.defineProperty(out, k, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return out; }
        fail(`expected ',' or '}', found ${what()}`);
      }
    }
    if (c === '[') {
      i++;
      const out: JsonValue[] = [];
      ws();
      if (text[i] === ']') { i++; return out; }
      for (;;) {
        out.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return out; }
        fail(`expected ',' or ']', found ${what()}`);
      }
    }
    if (c === '"') return str();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) { i += word.length; return v; }
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '' || m[0] === '-') fail(`unexpected ${what()}`);
    i += m![0].length;
    return m![2] || m![3] ? Number(m![0]) : BigInt(m![0]);
  };
  const str = (): string => {
    const start = i;
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string', start);
      const c = text[i];
      if (c === '"') { i++; return out; }
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) { out += simple[e]; i += 2; continue; }
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
          continue;
        }
        fail('invalid escape in string');
      }
      if (c.charCodeAt(0) < 0x20) fail('control character in string');
      out += c;
      i++;
    }
  };
  const v = value(0);
  ws();
  if (i < text.length) fail(`unexpected ${what()} after the value`);
  return v;
}

/** JSON text with a tab-free two-space layout; bigints are written as numbers. */
export function writeJson(v: JsonValue, indent = ''): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every((x) => typeof x !== 'object' || x === null)) return '[' + v.map((x) => writeJson(x)).join(', ') + ']';
    return '[\n' + v.map((x) => inner + writeJson(x, inner)).join(',\n') + '\n' + indent + ']';
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return '{}';
  return '{\n' + keys.map((k) => `${inner}${JSON.stringify(k)}: ${writeJson(v[k], inner)}`).join(',\n') + '\n' + indent + '}';
}
