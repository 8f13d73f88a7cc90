#!/usr/bin/env node
'use strict';
// Compile the AssemblyScript policy core into build/wasm/core.wasm (+ raw bindings core.js).
const { execFileSync } = require('child_process');
const path = require('path');
const root = path.resolve(__dirname, '..');
const asc = path.join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
const target = process.argv.includes('--debug') ? 'debug' : 'release';
// The transform is given here, not in asconfig.json: asc resolves a config's transform paths
// as package names. Without it the core still works, only slower (see the file).
execFileSync(process.execPath, [asc, 'wasm/assembly/index.ts', '--config', 'wasm/asconfig.json', '--target', target,
  '--transform', './wasm/no-shadow-stack.mjs'],
  { cwd: root, stdio: 'inherit' });
// Faster string results from the generated glue (same strings): see scripts/wasm-glue.js.
require('./wasm-glue').patchGlue(path.join(root, target === 'release' ? 'build/wasm/core.js' : 'build/wasm-debug/core.js'));
// More inlining than asc asks binaryen for (same semantics, faster): see scripts/wasm-inline.js.
if (target === 'release') {
  require('./wasm-inline').inlineMore(path.join(root, 'build/wasm/core.wasm')).catch((e) => {
    console.error(`build-wasm: ${e && e.message ? e.message : e}`);
    process.exit(1);
  });
}
