'use strict';
// What the qemu test VMs (scripts/arm64-vm.js, scripts/cgroup-v2-vm.js) share: the script's
// one-line failures and exit statuses (2: a tool or package is missing, 1: a failure), the
// initramfs (files, a newc cpio archive), compiling the static /init with the shared runner
// (test/vm-init/runner.c), the qemu run, and reading back the markers that runner prints.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
/** The runner every VM's /init is linked with. */
const RUNNER = path.join(root, 'test', 'vm-init', 'runner.c');

/**
 * The helpers of one VM script, whose lines start with `${name}: `. work is where it keeps its
 * products (compiled programs, console.log). shortArgs: a failed command is named with the base
 * names of its arguments (long paths) instead of the arguments themselves.
 */
function vmScript(name, work, { shortArgs = false } = {}) {
  function missing(what, install) {
    console.error(`${name}: ${what} not found (${install})`);
    process.exit(2);
  }
  function fail(msg) {
    console.error(`${name}: ${msg}`);
    process.exit(1);
  }
  function has(cmd, args = ['--version']) {
    return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  }
  function run(cmd, args, opts = {}) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
    const shown = shortArgs ? args.map((a) => path.basename(a)) : args;
    if (r.status !== 0) fail(`${path.basename(cmd)} ${shown.join(' ')} failed:\n${`${r.stdout || ''}${r.stderr || ''}`.slice(-3000)}`);
    return r.stdout;
  }
  /** A compile function for one compiler: cc(out, src or [srcs], extra flags) -> work/out. */
  function compiler(gcc, flags = []) {
    return (out, src, extra = []) => {
      const o = path.join(work, out);
      run(gcc, ['-O2', '-Wall', '-Wextra', '-Werror', ...flags, ...extra, '-o', o, ...[].concat(src)]);
      return o;
    };
  }
  /** Boots qemu (its console on stdout), keeps the console in work/console.log. */
  function boot(qemu, args, timeoutS) {
    const q = spawnSync(qemu, args, { encoding: 'utf8', timeout: timeoutS * 1000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    const consoleText = `${q.stdout || ''}${q.stderr || ''}`.replace(/\r/g, '');
    fs.writeFileSync(path.join(work, 'console.log'), consoleText);
    return { q, consoleText };
  }
  /** The /init's TSJAIL-VM machine line (matched by re, machine in group 1) or a failure. */
  function machineLine(re, machine, { q, consoleText }) {
    const m = re.exec(consoleText);
    if (!m || m[1] !== machine) {
      console.error(consoleText.split('\n').slice(-30).join('\n'));
      fail(`the VM did not report an ${machine} kernel (qemu ${q.error ? q.error.message : `exit ${q.status}`}); console in ${path.join(work, 'console.log')}`);
    }
    return m;
  }
  const results = [];
  /** Prints one check's line and keeps its verdict. */
  function check(label, ok, detail) {
    results.push({ name: label, ok });
    console.log(`${ok ? 'ok  ' : 'FAIL'}  ${label}${detail ? `: ${detail}` : ''}`);
  }
  const failed = () => results.filter((r) => !r.ok).length;
  return { missing, fail, has, run, compiler, boot, machineLine, results, check, failed };
}

/** The files of an initramfs: path in the VM (no leading /) -> { data, mode }. */
class Initramfs {
  constructor() {
    this.files = new Map();
  }
  /** The host file `file` at `p` in the VM. */
  add(p, file, mode = 0o755) {
    this.put(p, fs.readFileSync(file), mode);
  }
  /** `data` (a Buffer or a string) at `p` in the VM. */
  put(p, data, mode = 0o644) {
    this.files.set(p.replace(/^\/+/, ''), { data: Buffer.from(data), mode });
  }
  /** The newc cpio archive of the files, sorted by path, with `dirs` (mount points) besides their own. */
  archive(dirs) {
    return cpio([...this.files].sort(([a], [b]) => a.localeCompare(b)), dirs);
  }
}

/** A newc cpio archive (what the kernel unpacks as initramfs), directories first. */
function cpio(entries, extraDirs) {
  const parts = [];
  let ino = 1;
  const hdr = (name, mode, size) => {
    const f = [0x070701, ino++, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, Buffer.byteLength(name) + 1, 0];
    const h = Buffer.from(f.map((v, i) => (i === 0 ? '070701' : v.toString(16).padStart(8, '0'))).join(''));
    const head = Buffer.concat([h, Buffer.from(name + '\0')]);
    parts.push(head, Buffer.alloc((4 - (head.length % 4)) % 4));
  };
  const dirs = new Set(extraDirs);
  for (const [name] of entries) {
    for (let d = path.posix.dirname(name); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
  }
  for (const d of [...dirs].sort()) hdr(d, 0o040755, 0);
  for (const [name, { data, mode }] of entries) {
    hdr(name, 0o100000 | mode, data.length);
    parts.push(data, Buffer.alloc((4 - (data.length % 4)) % 4));
  }
  hdr('TRAILER!!!', 0, 0);
  return Buffer.concat(parts);
}

/** The runner's TSJAIL-BEGIN/END sections of the console: NAME -> { out, status, time }. */
function sections(consoleText) {
  const all = new Map();
  for (const s of consoleText.matchAll(/^TSJAIL-BEGIN (\S+)\n([\s\S]*?)^TSJAIL-END \1 (\d+) (\S+)$/gm)) {
    all.set(s[1], { out: s[2], status: Number(s[3]), time: s[4] });
  }
  return all;
}

module.exports = { RUNNER, vmScript, Initramfs, cpio, sections };
