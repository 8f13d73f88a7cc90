#!/usr/bin/env node
'use strict';
// `npm run prebuild`: the native runtime for every platform the package ships, into
// prebuilds/<platform>/ (docs/install.md): tsjail.node, libtsjailpreload.so and tsjail-exec,
// stripped. linux-x64 is the host build (scripts/build-native.js, build/native); linux-arm64
// is the cross build (scripts/cross-build.js arm64 with scripts/aarch64-toolchain.cmake,
// build/native-arm64). Both are incremental: an up-to-date tree costs a few seconds.
// `--check` builds nothing: it only verifies that every platform's files are present and of
// the right machine (npm pack's prepack runs it, so no tarball goes out without them).
const { spawnSync } = require('child_process');
const fs = require('fs');
const { readElfHeader } = require('./elf-header');
const path = require('path');
const { holdDirLock } = require('./dir-lock');

const root = path.resolve(__dirname, '..');
const FILES = ['tsjail.node', 'libtsjailpreload.so', 'tsjail-exec'];
// platform -> where its build lands, how to build it, its ELF e_machine and its strip.
const PLATFORMS = {
  'linux-x64': {
    out: path.join(root, 'build', 'native', 'Release'),
    build: [path.join(__dirname, 'build-native.js')],
    machine: 62, // EM_X86_64
    strip: 'strip',
    hostOnly: 'x64',
  },
  'linux-arm64': {
    out: path.join(root, 'build', 'native-arm64', 'Release'),
    build: [path.join(__dirname, 'cross-build.js'), 'arm64'],
    machine: 183, // EM_AARCH64
    strip: 'aarch64-linux-gnu-strip',
  },
};

function fail(msg) {
  console.error('prebuild: ' + msg);
  process.exit(1);
}

/** e_machine of an ELF file, or -1 when it is not one. */
function elfMachine(file) {
  const h = readElfHeader(file);
  return h.magic === '\x7fELF' ? h.machine : -1;
}

function check() {
  for (const [name, p] of Object.entries(PLATFORMS)) {
    for (const f of FILES) {
      const file = path.join(root, 'prebuilds', name, f);
      if (!fs.existsSync(file)) fail(`${path.relative(root, file)} is missing (run npm run prebuild)`);
      if (elfMachine(file) !== p.machine) fail(`${path.relative(root, file)} is not an ELF file for ${name}`);
    }
  }
}

/** npm runs a script named "prebuild" before every `npm run build` too (pre-hooks), so also
 * during the repository's `npm install` (prepare). Go on only when npm was asked for
 * "prebuild" itself: the npm process above us carries the command in its title
 * ("npm run build"). Run with node directly (no npm_lifecycle_event), it always goes on. */
function askedForPrebuild() {
  if (process.env.npm_lifecycle_event !== 'prebuild') return true;
  let pid = process.ppid;
  for (let i = 0; i < 8 && pid > 1; i++) {
    let cmd, stat;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+/g, ' ').trim();
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return false; // no /proc: not Linux, where there is nothing to prebuild either
    }
    const m = /(?:^|\/)npm(?:-cli\.js)? (?:run|run-script|rum|urn) (\S+)/.exec(cmd);
    if (m) return m[1] === 'prebuild';
    pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return false;
}

if (!askedForPrebuild()) process.exit(0);
if (process.argv.includes('--check')) {
  check();
  process.exit(0);
}
if (process.platform !== 'linux') fail('the native runtime builds on Linux only');

// One prebuild at a time (test/package.test.ts and test/arm64-vm.test.ts both run it, in
// parallel jest workers).
holdDirLock(path.join(root, 'build', 'prebuild.lock'));

for (const [name, p] of Object.entries(PLATFORMS)) {
  if (p.hostOnly && process.arch !== p.hostOnly) {
    fail(`${name} is built on an ${p.hostOnly} host only (this one is ${process.arch})`);
  }
  if (spawnSync(p.strip, ['--version'], { stdio: 'ignore' }).status !== 0) {
    fail(`${p.strip} not found (Debian: apt-get install ${name === 'linux-x64' ? 'binutils' : 'binutils-aarch64-linux-gnu'})`);
  }
  console.log(`prebuild: ${name}`);
  // The build scripts print their own one-line reason when a tool is missing.
  const r = spawnSync(process.execPath, p.build, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail(`the ${name} build failed`);
  const dest = path.join(root, 'prebuilds', name);
  fs.mkdirSync(dest, { recursive: true });
  for (const f of FILES) {
    const src = path.join(p.out, f);
    if (!fs.existsSync(src)) fail(`${path.relative(root, src)} was not built`);
    // Stripped into a temporary file, renamed over the old one only when it differs: a reader
    // (a test packing or booting these files) never sees a half-written or missing file.
    const to = path.join(dest, f);
    const tmp = `${to}.${process.pid}.tmp`;
    const s = spawnSync(p.strip, ['--strip-unneeded', '-o', tmp, src], { stdio: 'inherit' });
    if (s.status !== 0) fail(`${p.strip} ${f} failed`);
    fs.chmodSync(tmp, 0o755);
    if (fs.existsSync(to) && fs.readFileSync(to).equals(fs.readFileSync(tmp))) fs.rmSync(tmp);
    else fs.renameSync(tmp, to);
  }
}
check();
for (const name of Object.keys(PLATFORMS)) {
  const sizes = FILES.map((f) => `${f} ${fs.statSync(path.join(root, 'prebuilds', name, f)).size}`);
  console.log(`prebuild: prebuilds/${name}: ${sizes.join(', ')} bytes`);
}
