// Post-processing of asc's raw-bindings glue (build/wasm/core.js), applied by build-wasm.js.
//
// Lifting: asc lifts every returned string with String.fromCharCode over 1 KB slices of memory:
// about 26 µs per 1000 characters here, 8% of `compile` (results are 1-10 K characters of JSON).
// A strict UTF-16LE TextDecoder does the same in about 1 µs. A string with a lone surrogate
// (a policy's bad character quoted in a diagnostic) makes the strict decoder throw, and the
// original code below then runs unchanged, so the lifted strings are the same in every case.
// ignoreBOM keeps a leading U+FEFF, as the original does.
//
// Lowering: asc copies an argument string into memory one charCodeAt at a time, about 2.5 µs
// per 1000 characters here (requests are policy texts, 1-10 K characters). Where Node's Buffer
// exists, a Buffer view of the wasm memory is written with the string as 'utf16le': the same
// code units (lone surrogates included) in about 0.5 µs, with no intermediate buffer (an
// allocated copy per call added external memory, hence garbage-collector work); browsers keep
// asc's loop.
const fs = require('fs');

const MARKER = '// tsjail: fast __liftString';
const HEAD = /(function __liftString\(pointer\) \{\n(\s*)if \(!pointer\) return null;\n)/;

const LOWER_MARKER = '// tsjail: fast __lowerString';
const LOWER_LOOP = /\n(\s*)(for \(let i = 0; i < length; \+\+i\) memoryU16\[\(pointer >>> 1\) \+ i\] = value\.charCodeAt\(i\);)\n/;

function patchGlue(file) {
  let text = fs.readFileSync(file, 'utf8');
  if (!text.includes(MARKER)) {
    if (!HEAD.test(text)) throw new Error(`${file}: asc's __liftString changed; update scripts/wasm-glue.js`);
    text = text.replace(HEAD, (m, head, indent) => head +
      `${indent}${MARKER} (scripts/wasm-glue.js)\n` +
      `${indent}const decoder = __liftString.decoder ??= new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true });\n` +
      `${indent}try {\n` +
      `${indent}  return decoder.decode(new Uint16Array(memory.buffer, pointer, new Uint32Array(memory.buffer)[pointer - 4 >>> 2] >>> 1));\n` +
      `${indent}} catch {\n` +
      `${indent}  // a lone surrogate: the exact original path below\n` +
      `${indent}}\n`);
  }
  if (!text.includes(LOWER_MARKER)) {
    if (!LOWER_LOOP.test(text)) throw new Error(`${file}: asc's __lowerString changed; update scripts/wasm-glue.js`);
    text = text.replace(LOWER_LOOP, (m, indent, loop) => `\n${indent}${LOWER_MARKER} (scripts/wasm-glue.js)\n` +
      `${indent}if (length > 64 && typeof Buffer === 'function') Buffer.from(memory.buffer, pointer, length << 1).write(value, 'utf16le');\n` +
      `${indent}else ${loop}\n`);
  }
  fs.writeFileSync(file, text);
}

module.exports = { patchGlue };
