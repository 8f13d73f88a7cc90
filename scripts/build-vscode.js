#!/usr/bin/env node
'use strict';
// Bundle the VS Code extension (ts/vscode/) with esbuild into its dist/ directory: the desktop client
// and its server process, the web client and its web-worker server. The policy core's .wasm is
// inlined into both servers (binary loader), so the extension needs no node_modules
// (vsce packages it with --no-dependencies).
//
//   node scripts/build-vscode.js             bundle
//   node scripts/build-vscode.js --package   bundle, then write build/vscode/tsjail-policy.vsix (offline)
const esbuild = require('esbuild');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const ext = path.join(root, 'ts', 'vscode');
const out = path.join(ext, 'dist');
const common = { bundle: true, loader: { '.wasm': 'binary' }, logLevel: 'warning', absWorkingDir: root, external: ['vscode'] };
// Node 20 lacks Uint8Array.fromBase64 (see build-ts.js); VS Code 1.91 ships Node 20 and Chromium 124.
const builds = [
  { ...common, entryPoints: ['ts/vscode/src/extension.ts'], platform: 'node', target: 'node20', format: 'cjs', outfile: path.join(out, 'extension.js') },
  { ...common, entryPoints: ['ts/vscode/src/server.ts'], platform: 'node', target: 'node20', format: 'cjs', outfile: path.join(out, 'server.js') },
  { ...common, entryPoints: ['ts/vscode/src/web.ts'], platform: 'browser', target: 'es2020', format: 'cjs', minify: true, outfile: path.join(out, 'web', 'extension.js') },
  { ...common, entryPoints: ['ts/lsp/browser.ts'], platform: 'browser', target: 'es2020', format: 'iife', minify: true, outfile: path.join(out, 'web', 'server.js') },
];

/** The .vsix: vsce 3.9 (4.x needs Node 22) on the bundles alone; no network. */
function packageVsix() {
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  const target = path.join(root, 'build', 'vscode', 'tsjail-policy.vsix');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', target],
    { cwd: ext, stdio: ['ignore', 'pipe', 'inherit'] });
  return target;
}

// Written to a temporary name and renamed, as build-ts.js does: a test packaging or loading the
// bundles while another build runs never sees a half-written file.
async function buildAtomically(options) {
  const result = await esbuild.build({ ...options, write: false });
  for (const f of result.outputFiles) {
    fs.mkdirSync(path.dirname(f.path), { recursive: true });
    const tmp = `${f.path}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, f.contents);
    fs.renameSync(tmp, f.path);
  }
}

Promise.all(builds.map(buildAtomically))
  .then(() => {
    if (process.argv.includes('--package')) process.stdout.write(`${packageVsix()}\n`);
  })
  .catch((e) => {
    console.error(`build-vscode: ${e && e.message ? e.message : e}`);
    process.exit(1);
  });
