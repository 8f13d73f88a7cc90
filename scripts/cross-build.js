#!/usr/bin/env node
'use strict';
// Cross-build the native runtime (addon, preload library, tsjail-exec, seccomp-oracle) for
// another Linux architecture with cmake-js, offline like scripts/build-native.js
// (package.json "binary.napi_versions": node-api-headers, no Node headers download).
// Usage: node scripts/cross-build.js [arm64] [extra cmake-js args]
// Output: build/native-<arch>/Release. The same top-level CMakeLists.txt is used, so the
// warnings-as-errors flags are the native build's. Needs aarch64-linux-gnu-gcc/g++
// (Debian: gcc-aarch64-linux-gnu g++-aarch64-linux-gnu).
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { forgetForeignBuild } = require('./cmake-cache');
const { holdDirLock } = require('./dir-lock');

const root = path.resolve(__dirname, '..');
// Node's arch name -> the toolchain file and the compilers it names.
const TARGETS = {
  arm64: { toolchain: 'aarch64-toolchain.cmake', compilers: ['aarch64-linux-gnu-gcc', 'aarch64-linux-gnu-g++'] },
};

function fail(msg) {
  console.error('cross-build: ' + msg);
  process.exit(1);
}

const args = process.argv.slice(2);
const arch = args.length > 0 && !args[0].startsWith('-') ? args.shift() : 'arm64';
const target = TARGETS[arch];
if (!target) fail(`no cross toolchain for "${arch}" (known: ${Object.keys(TARGETS).join(', ')})`);
if (process.platform !== 'linux') fail('the jail runtime is Linux-only');
for (const cc of target.compilers) {
  if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status !== 0) {
    fail(`${cc} not found (Debian: apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu)`);
  }
}

const cmakeJs = path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
const env = { ...process.env };
delete env.npm_config_nodedir; // a machine-level nodedir would bypass node-api-headers
const toolchain = path.join(__dirname, target.toolchain);
// One build of build/native-<arch> at a time: jest runs test/arm64.test.ts and
// test/package.test.ts (through scripts/prebuild.js) in parallel workers, and two ninjas in one
// tree corrupt it.
holdDirLock(path.join(root, 'build', `native-${arch}.lock`));
// A build/native-<arch> copied from another checkout would build that checkout's sources.
forgetForeignBuild(path.join(root, 'build', `native-${arch}`), root, (line) => console.log('cross-build: ' + line));
try {
  // `build` configures only when the cache is missing, then builds incrementally: an
  // up-to-date build/native-<arch> costs about a second.
  execFileSync(process.execPath, [cmakeJs, 'build', '--arch', arch, '--out', `build/native-${arch}`,
    `--CDCMAKE_TOOLCHAIN_FILE=${toolchain}`, ...args], { cwd: root, stdio: 'inherit', env });
} catch (e) {
  fail(`cmake-js failed (${e.status === null ? 'signal ' + e.signal : 'exit ' + e.status})`);
}
const out = path.join(root, 'build', `native-${arch}`, 'Release');
if (!fs.existsSync(out)) fail(`no ${path.relative(root, out)} after the build`);
console.log(`cross-build: ${arch} artefacts in ${path.relative(root, out)}`);
