'use strict';
// Post-processing of asc's raw-bindings glue (build/wasm/core.js), applied by build-wasm.js.
//
// asc lifts every returned string with String.fromCharCode over 1 KB slices of memory: about
// 26 µs per 1000 characters here, 8% of `compile` (results are 1-10 K characters of JSON).
// A strict UTF-16LE TextDecoder does the same in about 1 µs. A string with a lone surrogate
// (a policy's bad character quoted in a diagnostic) makes the strict decoder throw, and the
// original code below then runs unchanged, so the lifted strings are the same in every case.
// ignoreBOM keeps a leading U+FEFF, as the original does.
const fs = require('fs');

const MARKER = '// tsjail: fast __liftString';
const HEAD = /(function __liftString\(pointer\) \{\n(\s*)if \(!pointer\) return null;\n)/;

function patchGlue(file) {
  const text = fs.readFileSync(file, 'utf8');
  if (text.includes(MARKER)) return;
  if (!HEAD.test(text)) throw new Error(`${file}: asc's __liftString changed; update scripts/wasm-glue.js`);
  const out = text.replace(HEAD, (m, head, indent) => head +
    `${indent}${MARKER} (scripts/wasm-glue.js)\n` +
    `${indent}const decoder = __liftString.decoder ??= new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true });\n` +
    `${indent}try {\n` +
    `${indent}  return decoder.decode(new Uint16Array(memory.buffer, pointer, new Uint32Array(memory.buffer)[pointer - 4 >>> 2] >>> 1));\n` +
    `${indent}} catch {\n` +
    `${indent}  // a lone surrogate: the exact original path below\n` +
    `${indent}}\n`);
  fs.writeFileSync(file, out);
}

module.exports = { patchGlue };
