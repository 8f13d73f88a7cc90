#!/usr/bin/env node
'use strict';
// Build the policy review page (ts/web/) into dist/web/: index.html and page.css as they are,
// page.js (the page: CodeMirror and the views) and worker.js (the policy worker: tsjail/policy
// with core.wasm inlined, binary loader, as scripts/build-ts.js does). `tsjail playground`
// serves this directory; it is also a static site. Outputs are written to a temporary name and
// renamed, so a server or test reading them never sees half a file.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist', 'web');
// es2020: Chromium 80+, Firefox 80+; esbuild needs an explicit target (see build-ts.js).
const common = { bundle: true, minify: true, platform: 'browser', target: 'es2020', logLevel: 'warning', absWorkingDir: root, loader: { '.wasm': 'binary' } };
const builds = [
  { ...common, entryPoints: ['ts/web/main.ts'], format: 'esm', outfile: path.join(out, 'page.js') },
  { ...common, entryPoints: ['ts/web/worker.ts'], format: 'iife', outfile: path.join(out, 'worker.js') },
];
const copies = ['index.html', 'page.css', 'editor.css', 'favicon.svg'];

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
  for (const c of copies) writeAtomically(path.join(out, c), fs.readFileSync(path.join(root, 'ts', 'web', c)));
}

main().catch((e) => { console.error(`build-web: ${e.message}`); process.exit(1); });
