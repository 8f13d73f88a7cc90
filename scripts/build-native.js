#!/usr/bin/env node
'use strict';
// Build the native runtime (addon, preload library, helpers) with cmake-js, offline:
// package.json "binary.napi_versions" makes cmake-js use node-api-headers instead of
// downloading Node's headers. `cmake-js build` configures only when build/native has no
// CMakeCache.txt, then builds incrementally; a build/native made for another tree (a copy of
// a built checkout) is configured afresh first (scripts/cmake-cache.js).
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { forgetForeignBuild } = require('./cmake-cache');

const root = path.resolve(__dirname, '..');
const BUILD_DIR = path.join('build', 'native');

function fail(msg) {
  console.error('build-native: ' + msg);
  process.exit(1);
}

if (!fs.existsSync(path.join(root, 'CMakeLists.txt'))) {
  console.log('build-native: no CMakeLists.txt yet, skipping');
  process.exit(0);
}
if (process.platform !== 'linux') {
  console.log('build-native: the jail runtime is Linux-only; skipping on ' + process.platform);
  process.exit(0);
}
const cmakeJs = path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
if (!fs.existsSync(cmakeJs)) fail(`${path.relative(root, cmakeJs)} is missing; run npm install`);
forgetForeignBuild(path.join(root, BUILD_DIR), root, (line) => console.log('build-native: ' + line));

const env = { ...process.env };
delete env.npm_config_nodedir; // a machine-level nodedir would bypass node-api-headers
const r = spawnSync(process.execPath, [cmakeJs, 'build', '--out', BUILD_DIR, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env });
if (r.error) fail(`cannot run cmake-js: ${r.error.message}`);
if (r.status !== 0) fail(`cmake-js build failed (${r.status === null ? 'signal ' + r.signal : 'exit ' + r.status})`);
