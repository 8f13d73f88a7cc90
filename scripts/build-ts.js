#!/usr/bin/env node
'use strict';
// Bundle the TypeScript layer with esbuild. The policy core's .wasm is inlined (binary
// loader), so one file works in Node CJS, Node ESM and browsers. Always pass --target:
// without it esbuild emits Uint8Array.fromBase64, which Node 20 lacks.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');
const root = path.resolve(__dirname, '..');
const has = (p) => fs.existsSync(path.join(root, p));

const common = { bundle: true, loader: { '.wasm': 'binary' }, logLevel: 'warning', absWorkingDir: root };
const builds = [];
if (has('ts/policy/index.ts')) {
  builds.push(
    { ...common, entryPoints: ['ts/policy/index.ts'], platform: 'node', target: 'node20', format: 'cjs', outfile: 'dist/policy.cjs' },
    { ...common, entryPoints: ['ts/policy/index.ts'], platform: 'node', target: 'node20', format: 'esm', outfile: 'dist/policy.mjs' },
    { ...common, entryPoints: ['ts/policy/index.ts'], platform: 'browser', target: 'es2020', format: 'esm', minify: true, outfile: 'dist/policy.browser.mjs' },
    { ...common, entryPoints: ['ts/policy/index.ts'], platform: 'browser', target: 'es2020', format: 'iife', globalName: 'tsjailPolicy', minify: true, outfile: 'dist/policy.browser.js' },
  );
}
if (has('ts/index.ts')) {
  builds.push(
    { ...common, entryPoints: ['ts/index.ts'], platform: 'node', target: 'node20', format: 'cjs', outfile: 'dist/index.cjs' },
    { ...common, entryPoints: ['ts/index.ts'], platform: 'node', target: 'node20', format: 'esm', outfile: 'dist/index.mjs' },
  );
}
if (has('ts/cli/main.ts')) {
  builds.push({ ...common, entryPoints: ['ts/cli/main.ts'], platform: 'node', target: 'node20', format: 'cjs', outfile: 'dist/cli.cjs' });
}
// Outputs are written to a temporary name and renamed, so a test (or the CLI) running while
// another build is under way never loads a half-written bundle.
async function buildAtomically(options) {
  const result = await esbuild.build({ ...options, write: false });
  for (const f of result.outputFiles) {
    fs.mkdirSync(path.dirname(f.path), { recursive: true });
    const tmp = `${f.path}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, f.contents);
    fs.renameSync(tmp, f.path);
  }
}
Promise.all(builds.map(buildAtomically)).catch((e) => { console.error(e.message); process.exit(1); });
