#!/usr/bin/env node
'use strict';
// Build the native runtime (addon, preload library, helpers) with cmake-js, offline:
// package.json "binary.napi_versions" makes cmake-js use node-api-headers instead of
// downloading Node's headers.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const root = path.resolve(__dirname, '..');
if (!fs.existsSync(path.join(root, 'CMakeLists.txt'))) {
  console.log('build-native: no CMakeLists.txt yet, skipping');
  process.exit(0);
}
if (process.platform !== 'linux') {
  console.log('build-native: the jail runtime is Linux-only; skipping on ' + process.platform);
  process.exit(0);
}
const cmakeJs = path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
const env = { ...process.env };
delete env.npm_config_nodedir; // a machine-level nodedir would bypass node-api-headers
execFileSync(process.execPath, [cmakeJs, 'build', '--out', 'build/native', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env });
