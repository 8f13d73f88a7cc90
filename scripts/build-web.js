#!/usr/bin/env node
'use strict';
// Build the policy review page (ts/web/) into dist/web/: index.html and page.css as they are,
// page.js (the page: CodeMirror and the views), worker.js (the policy worker: tsjail/policy
// without the core, as scripts/build-ts.js builds tsjail/policy/web) and core.wasm beside it,
// which each worker fetches with initPolicy. `tsjail playground`
// serves this directory; it is also a static site. Outputs are written to a temporary name and
// renamed, so a server or test reading them never sees half a file.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist', 'web');
// es2020: Chromium 80+, Firefox 80+; esbuild needs an explicit target (see build-ts.js).
const common = { bundle: true, minify: true, platform: 'browser', target: 'es2020', logLevel: 'warning', absWorkingDir: root };
// ts/policy/core-bytes.ts inlines the core (base64); the worker loads core.wasm instead.
const separateWasm = {
  name: 'separate-wasm',
  setup(build) {
    build.onResolve({ filter: /^\.\/core-bytes$/ }, () => ({ path: path.join(root, 'ts/policy/core-bytes-none.ts') }));
  },
};
const builds = [
  { ...common, entryPoints: ['ts/web/main.ts'], format: 'esm', outfile: path.join(out, 'page.js') },
  { ...common, entryPoints: ['ts/web/worker.ts'], format: 'iife', outfile: path.join(out, 'worker.js'), plugins: [separateWasm] },
];
// [source, name in dist/web/]
const copies = [
  ...['index.html', 'page.css', 'editor.css', 'favicon.svg'].map((f) => [path.join('ts', 'web', f), f]),
  [path.join('build', 'wasm', 'core.wasm'), 'core.wasm'],
];

function writeAtomically(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

async function main() {
  if (!fs.existsSync(path.join(root, 'ts', 'web', 'main.ts'))) return;
  const results = await Promise.all(builds.map((b) => esbuild.build({ ...b, write: false })));
  for (const r of results) for (const f of r.outputFiles) writeAtomically(f.path, f.contents);
  for (const [from, name] of copies) writeAtomically(path.join(out, name), fs.readFileSync(path.join(root, from)));
}

main().catch((e) => { console.error(`build-web: ${e.message}`); process.exit(1); });
