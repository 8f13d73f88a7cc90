// Jail files: the TS writer (ts/jail/jailfile.ts) against the C reader
// (native/parent/jailfile.c) through `tsjail-exec --dump`, the refusals (version, arch, checksum,
// truncation, unsafe permissions or owner), and a bounded fuzz: truncated and bit-flipped jail
// files never crash the launcher or the addon (the same reader, in memory) and never run the
// program (it would create a marker file).
// The containment suite runs the same checks through tsjail run and tsjail-exec (test/containment.test.ts).

import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  JAILFILE_FORMAT_VERSION, JAILFILE_HEADER_SIZE, JAILFILE_OLDEST_FORMAT_VERSION, auditArch, crc32c, encodeJailFile, frameJailFile, refreshChecksums,
} from '../ts/jail/jailfile';
import type { JailSpec } from '../ts/jail/spec';
import { loadAddon } from '../ts/jail/native';
import { Jail } from '../ts/jail/jail';
import { ProgramLookupError } from '../ts/jail/program';
import { SpecError } from '../ts/jail/validate';
import { describeUnless, filter, probe, testUnless, RET_KILL_PROCESS } from './fixtures/jail/helpers';

const REPO = path.resolve(__dirname, '..');
const BIN = path.join(REPO, 'bin', 'tsjail');
const TSJAIL_EXEC = path.join(REPO, 'build', 'native', 'Release', 'tsjail-exec');
const PRELOAD = path.join(REPO, 'build', 'native', 'Release', 'libtsjailpreload.so');
const built = fs.existsSync(TSJAIL_EXEC) && fs.existsSync(path.join(REPO, 'build', 'native', 'Release', 'tsjail.node'));
const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const suite = describeUnless([!built, 'build/native/Release/tsjail-exec or tsjail.node is not built']);

// tsjail-exec's exit statuses for a jail file it cannot use (docs/jailfile.md).
const EXIT = { unreadable: 118, truncated: 119, corrupt: 120, version: 121, arch: 122, unsafe: 123 };
const FILE_ERRORS = new Set(Object.values(EXIT));

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-jailfile-'));
  fs.chmodSync(dir, 0o755);
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, bytes: Uint8Array, mode = 0o644): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes, { mode });
  fs.chmodSync(p, mode);
  return p;
}

function execJail(args: string[], wrap: string[] = []) {
  const argv = [...wrap, TSJAIL_EXEC, ...args];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const ALLOW = new Uint8Array([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]); // ret ALLOW

const FULL: JailSpec = {
  path: '/bin/true',
  argv: ['true', 'a b', 'ü'],
  env: ['A=1', 'LD_PRELOAD=/x.so'],
  cwd: '/',
  namespaces: { user: true, pid: true, mount: true, net: true, ipc: true, uts: true },
  hostname: 'box',
  user: { uid: 0, gid: 0, groups: [1, 2] },
  caps: { keep: (1n << 10n) | (1n << 40n), ambient: true },
  noNewPrivs: true,
  seccomp: { bpf: ALLOW, allowIoUring: true, tsync: true, names: { 110: 'getppid', 39: 'getpid' } },
  filesystem: {
    root: '/srv/root/',
    propagation: 'slave',
    mounts: [
      { kind: 'bind', source: '/usr', target: '/usr', writable: false, recursive: true },
      { kind: 'bind', source: '/tmp', target: '/tmp', writable: true, recursive: false },
      { kind: 'tmpfs', target: '/run', size: 1024, mode: 0o700 },
      { kind: 'tmpfs', target: '/var/tmp' },
      { kind: 'proc', target: '/proc', readOnly: true },
      { kind: 'dev', target: '/dev' },
      { kind: 'mount', source: 'none', target: '/mnt', fstype: 'tmpfs', flags: 6, data: 'size=1m' },
      { kind: 'remount-ro', target: '/' },
    ],
  },
  landlock: { ro: ['/etc'], rw: ['/tmp'], rx: ['/usr'] },
  rlimits: [{ resource: 'NOFILE', soft: 64, hard: 128 }, { resource: 'CORE', soft: 0, hard: 'unlimited' }],
  cgroup: { memory: 1 << 20, pids: 10, cpu: 0.5 },
  preserveFds: [5, 9],
  timeLimitMs: 1500,
  pidFile: '/tmp/x.pid',
  preloadLibrary: PRELOAD,
};

suite('jail files: TS writer -> C reader', () => {
  test('every field round-trips into the C structures the addon builds', () => {
    const file = write('full.jail', encodeJailFile(FULL));
    const r = execJail(['--dump', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d).toMatchObject({
      formatVersion: JAILFILE_FORMAT_VERSION, arch: auditArch(), path: '/bin/true', argv: ['true', 'a b', 'ü'],
      env: ['A=1', 'LD_PRELOAD=/x.so'], cwd: '/', withInit: 1, loopback: 1, hostname: 'box', uid: 0, gid: 0,
      groups: [1, 2], userns: 1, noNewPrivs: 1, preserveFds: [5, 9], timeLimitMs: 1500, pidFile: '/tmp/x.pid',
      forwardSignals: 1, syscallNames: 2,
    });
    // user|pid|mount|net|ipc|uts
    expect(d.cloneFlags).toBe(0x10000000 + 0x20000000 + 0x20000 + 0x40000000 + 0x08000000 + 0x04000000);
    const me = process.getuid!();
    expect(d.uidMap).toBe(`0 ${me} 1\n`);
    expect(d.caps).toEqual({ keep: String((1n << 10n) | (1n << 40n)), bounding: String((1n << 10n) | (1n << 40n)), ambient: 1, securebits: 0x2f });
    // The timing asked for is stored; /bin/true is dynamic, but this policy allows everything
    // (the loader's calls too), so the launch would put it before exec.
    expect(d.seccomp).toMatchObject({ report: 1, tsync: 1, log: 0, timing: 'auto', mode: 'exec', policy: [[6, 0, 0, 0x7fff0000]], preloadLibrary: PRELOAD });
    // Mount targets under the root, tmpfs data strings; the preload library's bind is the
    // launch's to add (it knows whether the program gets the preload).
    expect(d.fs).toMatchObject({ enabled: 1, propagation: 2, rootMode: 1, root: '/srv/root' });
    expect(d.fs.mounts).toEqual([
      { kind: 1, source: '/usr', target: '/srv/root/usr', fstype: null, data: null, flags: 0, writable: 0, recursive: 1, readOnly: 0 },
      { kind: 1, source: '/tmp', target: '/srv/root/tmp', fstype: null, data: null, flags: 0, writable: 1, recursive: 0, readOnly: 0 },
      { kind: 2, source: null, target: '/srv/root/run', fstype: null, data: 'mode=0700,size=1024', flags: 0, writable: 0, recursive: 0, readOnly: 0 },
      { kind: 2, source: null, target: '/srv/root/var/tmp', fstype: null, data: 'mode=0755', flags: 0, writable: 0, recursive: 0, readOnly: 0 },
      { kind: 3, source: null, target: '/srv/root/proc', fstype: null, data: null, flags: 0, writable: 0, recursive: 0, readOnly: 1 },
      { kind: 4, source: null, target: '/srv/root/dev', fstype: null, data: null, flags: 0, writable: 0, recursive: 0, readOnly: 0 },
      { kind: 5, source: 'none', target: '/srv/root/mnt', fstype: 'tmpfs', data: 'size=1m', flags: 6, writable: 0, recursive: 0, readOnly: 0 },
      { kind: 6, source: null, target: '/srv/root', fstype: null, data: null, flags: 0, writable: 0, recursive: 0, readOnly: 0 },
    ]);
    expect(d.landlock).toEqual([[1, '/etc'], [2, '/tmp'], [3, '/usr']]);
    expect(d.rlimits).toEqual([[7, '64', '128'], [4, '0', '18446744073709551615']]);
    expect(d.cgroup).toEqual({ memory: 1 << 20, pids: 10, cpu: 0.5 });
  });

  test('a minimal spec: defaults as the addon reads them', () => {
    const file = write('min.jail', encodeJailFile({ path: '/bin/true', argv: ['true'] } as JailSpec));
    const d = JSON.parse(execJail(['--dump', file]).stdout);
    expect(d).toMatchObject({ env: [], cloneFlags: 0, withInit: 0, uid: null, gid: null, groups: null, caps: null,
      seccomp: null, landlock: null, rlimits: [], cgroup: {}, timeLimitMs: -1, pidFile: null });
    expect(d.fs).toEqual({ enabled: 0, propagation: 1, rootMode: 0, root: null, mounts: [] });
  });

  test('a Landlock spec with only some classes (validation allows it) encodes', () => {
    const file = write('ll.jail', encodeJailFile({ path: '/bin/true', argv: ['true'], landlock: { ro: ['/etc'] } } as unknown as JailSpec));
    const d = JSON.parse(execJail(['--dump', file]).stdout);
    expect(JSON.stringify(d.landlock)).toContain('/etc');
  });

  test('-- PROGRAM ARGS replaces the saved program; the seccomp timing follows the new program', () => {
    // A policy that leaves one loader call out (readlinkat), so a dynamic program needs the
    // preload window (with ALLOW alone 'auto' would install it before exec for any program).
    const bpf = filter({ [process.arch === 'arm64' ? 78 : 267]: RET_KILL_PROCESS });
    const file = write('override.jail', encodeJailFile({ path: '/bin/true', argv: ['true'], seccomp: { bpf }, preloadLibrary: PRELOAD } as JailSpec));
    expect(JSON.parse(execJail(['--dump', file]).stdout).seccomp.mode).toBe('preload');
    const allowAll = write('override-allow.jail', encodeJailFile({ path: '/bin/true', argv: ['true'], seccomp: { bpf: ALLOW, allowIoUring: true }, preloadLibrary: PRELOAD } as JailSpec));
    expect(JSON.parse(execJail(['--dump', allowAll]).stdout).seccomp).toMatchObject({ timing: 'auto', mode: 'exec' });
    const d = JSON.parse(execJail(['--dump', file, '--', 'echo', 'hi']).stdout);
    expect(d.path).toMatch(/\/echo$/);
    expect(d.argv).toEqual(['echo', 'hi']);
    const statik = probe('static');
    expect(JSON.parse(execJail(['--dump', file, '--', statik]).stdout).seccomp).toMatchObject({ timing: 'auto', mode: 'exec' });
    const r = execJail([file, '--', '/bin/echo', 'from', 'the override']);
    expect(r.stdout).toBe('from the override\n');
    expect(r.status).toBe(0);
  });

  test('the preload handshake fails closed as in tsjail run: a library that does not load -> 125 at step preload', () => {
    const notElf = write('not-a-library.so', Buffer.from('not an ELF file\n'));
    // 'preload' explicitly: 'auto' would install this allow-all policy before exec, no library.
    const file = write('bad-preload.jail', encodeJailFile({ path: '/bin/true', argv: ['true'], seccomp: { bpf: ALLOW, allowIoUring: true }, seccompTiming: 'preload', preloadLibrary: notElf } as JailSpec));
    const r = execJail([file]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/^tsjail: jail setup failed at preload: Exec format error \(ENOEXEC\) \(the program started without running the preload library\)$/m);
    // Control: the real library acknowledges.
    const good = write('good-preload.jail', encodeJailFile({ path: '/bin/true', argv: ['true'], seccomp: { bpf: ALLOW, allowIoUring: true }, seccompTiming: 'preload', preloadLibrary: PRELOAD } as JailSpec));
    expect(execJail([good]).status).toBe(0);
  });

  test('CRC-32C is the Castagnoli checksum', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

suite('jail files: refusals (one line, a distinct status, nothing runs)', () => {
  const payloadOf = (bytes: Uint8Array) => bytes.subarray(JAILFILE_HEADER_SIZE);
  let good: Uint8Array;
  let marker: string;
  beforeAll(() => {
    marker = path.join(dir, 'refusal-marker');
    good = encodeJailFile({ path: '/bin/sh', argv: ['sh', '-c', `: > ${marker}`] } as JailSpec);
  });
  afterEach(() => expect(fs.existsSync(marker)).toBe(false));

  const refused = (r: ReturnType<typeof execJail>, status: number, msg: RegExp) => {
    expect(r.signal).toBeNull();
    expect(r.status).toBe(status);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(msg);
    expect(r.stdout).toBe('');
  };

  test('control: the good file runs the program', () => {
    const r = execJail([write('good.jail', good)]);
    expect(r.status).toBe(0);
    expect(fs.existsSync(marker)).toBe(true);
    fs.unlinkSync(marker);
  });

  test('another format version: a newer one, and one older than format 2', () => {
    refused(execJail([write('v4.jail', frameJailFile(payloadOf(good), { version: JAILFILE_FORMAT_VERSION + 1 }))]), EXIT.version,
      /jail file format 4 \(runtime ABI 2\), this tsjail reads formats 2-3 .*save the jail again/);
    refused(execJail([write('v1.jail', frameJailFile(payloadOf(good), { version: 1 }))]), EXIT.version,
      /jail file format 1 \(runtime ABI 2\), this tsjail reads formats 2-3 /);
  });

  test('a format 2 file (before the carried policy) still runs; the carried policy in one is an unknown record', () => {
    expect(JAILFILE_FORMAT_VERSION).toBe(3);
    const r = execJail([write('v2.jail', frameJailFile(payloadOf(good), { version: JAILFILE_OLDEST_FORMAT_VERSION }))]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(fs.existsSync(marker)).toBe(true);
    fs.unlinkSync(marker);
    const carried = encodeJailFile({ path: '/bin/sh', argv: ['sh', '-c', `: > ${marker}`], seccomp: { bpf: ALLOW, allowIoUring: true } } as JailSpec,
      { policySource: '{"files":[["p","read: 1\\n"]],"options":{"arch":"x86_64"}}' });
    refused(execJail([write('v2-carried.jail', frameJailFile(payloadOf(carried), { version: 2 }))]), EXIT.corrupt, /unknown record 32/);
  });

  test('a carried policy with a NUL byte, or empty, is corrupted', () => {
    const spec = { path: '/bin/sh', argv: ['sh', '-c', `: > ${marker}`], seccomp: { bpf: ALLOW, allowIoUring: true } } as JailSpec;
    const withNul = encodeJailFile(spec, { policySource: '{"x":1}' });
    const at = Buffer.from(withNul).indexOf('{"x":1}');
    const bad = Uint8Array.from(withNul);
    bad[at + 1] = 0;
    refused(execJail([write('carried-nul.jail', refreshChecksums(bad))]), EXIT.corrupt, /carried policy contains a NUL byte/);
    refused(execJail([write('carried-empty.jail', encodeJailFile(spec, { policySource: '' }))]), EXIT.corrupt, /carried policy of 0 bytes/);
  });

  test('another runtime ABI', () => {
    refused(execJail([write('abi.jail', frameJailFile(payloadOf(good), { abi: 99 }))]), EXIT.version, /runtime ABI 99/);
  });

  test('another architecture', () => {
    const other = auditArch() === auditArch('arm64') ? auditArch('x64') : auditArch('arm64');
    refused(execJail([write('arch.jail', frameJailFile(payloadOf(good), { arch: other }))]), EXIT.arch, /made for architecture 0x/);
  });

  test('a payload checksum mismatch', () => {
    const bad = Uint8Array.from(good);
    bad[bad.length - 3] ^= 0x10;
    refused(execJail([write('crc.jail', bad)]), EXIT.corrupt, /corrupted jail file: payload checksum mismatch/);
  });

  test('a header checksum mismatch, bad magic, trailing bytes', () => {
    const h = Uint8Array.from(good);
    h[13] ^= 1;
    refused(execJail([write('hcrc.jail', h)]), EXIT.corrupt, /header checksum mismatch/);
    const m = Uint8Array.from(good);
    m[0] = 0x7f;
    refused(execJail([write('magic.jail', m)]), EXIT.corrupt, /not a jail file/);
    refused(execJail([write('trail.jail', Buffer.concat([good, Buffer.from('x')]))]), EXIT.corrupt, /1 bytes after the payload/);
  });

  test('truncated files', () => {
    refused(execJail([write('t0.jail', good.subarray(0, 0))]), EXIT.truncated, /truncated jail file/);
    refused(execJail([write('t5.jail', good.subarray(0, 5))]), EXIT.truncated, /truncated jail file/);
    refused(execJail([write('t20.jail', good.subarray(0, 20))]), EXIT.truncated, /truncated jail file/);
    refused(execJail([write('tn.jail', good.subarray(0, good.length - 1))]), EXIT.truncated, /the payload is \d+ bytes, only \d+ present/);
  });

  test('a missing file', () => {
    refused(execJail([path.join(dir, 'no-such.jail')]), EXIT.unreadable, /cannot open: No such file/);
  });

  test('writable by the group or by others', () => {
    refused(execJail([write('g.jail', good, 0o664)]), EXIT.unsafe, /refusing a jail file writable by its group \(mode 0664\)/);
    refused(execJail([write('o.jail', good, 0o646)]), EXIT.unsafe, /refusing a jail file writable by other users \(mode 0646\)/);
  });

  testUnless([!isRoot, 'needs root'])('privileged: not owned by root or the caller', () => {
    const f = write('owned.jail', good);
    fs.chownSync(f, 65534, 65534);
    refused(execJail([f]), EXIT.unsafe, /owned by uid 65534 while running privileged: it must be owned by root or by uid 0/);
  });

  testUnless([!isRoot, 'needs root'], [!hasSetpriv, 'setpriv (util-linux) is not installed'])('unprivileged: a root-owned file is fine, a group-writable one is not', () => {
    const f = write('root-owned.jail', good);
    const as65534 = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
    const ok = execJail(['--dump', f], as65534);
    expect(ok.status).toBe(0);
    const g = write('root-owned-g.jail', good, 0o664);
    refused(execJail([g], as65534), EXIT.unsafe, /writable by its group/);
  });
});

suite('jail files: fuzzed files never crash the launcher and never run the program', () => {
  // A small deterministic PRNG: the same cases every run (a failure is reproducible).
  let seed = 0x5eed1234;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  let good: Uint8Array;
  let marker: string;
  beforeAll(() => {
    marker = path.join(dir, 'fuzz-marker');
    // With a policy and the policy it carries (tag 32), so the mutations reach that record too.
    good = encodeJailFile({ path: '/bin/sh', argv: ['sh', '-c', `: > ${marker}`], namespaces: { mount: true }, filesystem: { mounts: [{ kind: 'tmpfs', target: '/mnt' }] },
      rlimits: [{ resource: 'CORE', soft: 0, hard: 0 }], seccomp: { bpf: ALLOW, allowIoUring: true } } as JailSpec,
    { policySource: JSON.stringify({ files: [['/p/main.policy', 'read: 1\nwrite: arg0 == 1\n']], options: { arch: 'x86_64', path: '/p/main.policy' } }) });
  });

  const noCrash = (r: ReturnType<typeof execJail>, what: string) => {
    if (r.signal !== null) throw new Error(`${what}: tsjail-exec died of ${r.signal}\n${r.stderr}`);
  };

  test('every truncation is refused as truncated', () => {
    const f = path.join(dir, 'trunc.jail');
    for (let n = 0; n < good.length; n += n < 40 ? 1 : 1 + rand(7)) {
      write('trunc.jail', good.subarray(0, n));
      const r = execJail([f]);
      noCrash(r, `truncated to ${n}`);
      expect([n, r.status]).toEqual([n, EXIT.truncated]);
    }
    expect(fs.existsSync(marker)).toBe(false);
  });

  /** addon.spawn on bytes the reader must refuse: a TypeError, and the exit callback never runs. */
  const addonRefuses = (bytes: Uint8Array, what: string): string => {
    const onExit = jest.fn();
    let thrown: unknown;
    try {
      loadAddon().spawn(bytes, [-1, -1, -1], onExit);
    } catch (e) {
      thrown = e;
    }
    // The addon's TypeError comes from Node's realm, not jest's: compare the name.
    if ((thrown as Error)?.name !== 'TypeError') throw new Error(`${what}: the addon did not refuse it (${String(thrown)})`);
    expect(onExit).not.toHaveBeenCalled();
    return (thrown as Error).message;
  };

  test('the addon refuses every truncation and every bit flip the same way', () => {
    for (let n = 0; n < good.length; n += n < 40 ? 1 : 1 + rand(7)) {
      expect(addonRefuses(good.subarray(0, n), `truncated to ${n}`)).toMatch(/^invalid jail: (truncated jail file|not a jail file)/);
    }
    for (let i = 0; i < 200; i++) {
      const bad = Uint8Array.from(good);
      const at = i < 32 * 8 ? Math.floor(i / 8) : rand(bad.length);
      bad[at] ^= 1 << (i < 32 * 8 ? i % 8 : rand(8));
      expect(addonRefuses(bad, `bit flip at ${at}`)).toMatch(/^invalid jail: /);
    }
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('every single bit flip is refused (checksums), with a jail-file status', () => {
    const f = path.join(dir, 'flip.jail');
    for (let i = 0; i < 200; i++) {
      const bad = Uint8Array.from(good);
      const at = i < 32 * 8 ? Math.floor(i / 8) : rand(bad.length); // the whole header, then anywhere
      bad[at] ^= 1 << (i < 32 * 8 ? i % 8 : rand(8));
      write('flip.jail', bad);
      const r = execJail([f]);
      noCrash(r, `bit flip at ${at}`);
      if (!FILE_ERRORS.has(r.status!)) throw new Error(`bit flip at ${at}: status ${r.status}\n${r.stderr}`);
    }
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('the decoder itself: corrupted payloads with valid checksums never crash it', () => {
    // Checksums recomputed after the damage, so every length and tag check is exercised. Such
    // a file can decode into another valid jail, so the decoder is run with --dump (no launch).
    const f = path.join(dir, 'decoder.jail');
    for (let i = 0; i < 250; i++) {
      let bad: Uint8Array = Uint8Array.from(good);
      const kind = i % 3;
      if (kind === 0) {
        for (let k = 0; k <= rand(4); k++) bad[JAILFILE_HEADER_SIZE + rand(bad.length - JAILFILE_HEADER_SIZE)] ^= 1 << rand(8);
      } else if (kind === 1) {
        bad = bad.subarray(0, JAILFILE_HEADER_SIZE + rand(bad.length - JAILFILE_HEADER_SIZE));
      } else {
        // A record length field set to a large value.
        const at = JAILFILE_HEADER_SIZE + rand(bad.length - JAILFILE_HEADER_SIZE - 4);
        bad[at] = 0xff;
        bad[at + 1] = 0xff;
        bad[at + 2] = 0xff;
        bad[at + 3] = 0x7f;
      }
      const bytes = refreshChecksums(bad);
      write('decoder.jail', bytes);
      const r = execJail(['--dump', f]);
      noCrash(r, `decoder case ${i}`);
      if (r.status !== 0 && r.status !== EXIT.corrupt) throw new Error(`decoder case ${i}: status ${r.status}\n${r.stderr}`);
      // The addon reads the same bytes in memory with the same reader: the same jail, or the
      // same refusal; and a refused file never starts.
      let dumped: string | undefined;
      let refusal: string | undefined;
      try {
        dumped = loadAddon().dumpJailFile(bytes);
      } catch (e) {
        refusal = (e as Error).message;
      }
      if (r.status === 0) {
        expect([i, dumped]).toEqual([i, r.stdout]);
      } else {
        expect(r.stderr).toMatch(/^tsjail-exec: .*: corrupted jail file: /);
        expect([i, refusal]).toEqual([i, `invalid jail: ${r.stderr.replace(/^tsjail-exec: [^:]*: /, '').trim()}`]);
        expect(addonRefuses(bytes, `decoder case ${i}`)).toBe(refusal);
      }
    }
    expect(fs.existsSync(marker)).toBe(false);
  });
});

suite('the CLI: --save-jail, pack-jail, exec-path', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [path.join(REPO, 'scripts', 'build-ts.js')], { cwd: REPO, stdio: 'pipe' });
  });

  test('tsjail exec-path prints the launcher', () => {
    expect(execFileSync(process.execPath, [BIN, 'exec-path'], { encoding: 'utf8' })).toBe(`${TSJAIL_EXEC}\n`);
  });

  test('pack-jail -o writes a file that is never group/other-writable, even with umask 0', () => {
    const f = path.join(dir, 'packed.jail');
    execFileSync('/bin/sh', ['-c', 'umask 0; exec "$@"', 'sh', process.execPath, BIN, 'pack-jail', '-o', f, '--env-reset', '--', '/bin/echo', 'packed']);
    expect(fs.statSync(f).mode & 0o022).toBe(0);
    const r = execJail([f]);
    expect(r.stdout).toBe('packed\n');
    expect(r.status).toBe(0);
  });

  test('run --save-jail writes instead of running; the exit status passes through tsjail-exec', () => {
    const f = path.join(dir, 'saved.jail');
    const marker = path.join(dir, 'save-marker');
    const save = spawnSync(process.execPath, [BIN, 'run', '--save-jail', f, '--', '/bin/sh', '-c', `: > ${marker}; exit 7`], { encoding: 'utf8' });
    expect(save.status).toBe(0);
    expect(fs.existsSync(marker)).toBe(false);
    expect(execJail([f]).status).toBe(7);
    expect(fs.existsSync(marker)).toBe(true);
  });

  test('tsjail-exec forwards SIGTERM to the jail (its init passes it on) and writes the pid file', async () => {
    const f = path.join(dir, 'signals.jail');
    const pidFile = path.join(dir, 'jail.pid');
    const script = 'trap "exit 3" TERM; echo ready; while :; do sleep 0.05; done';
    const ns = isRoot ? [] : ['-U'];
    execFileSync(process.execPath, [BIN, 'pack-jail', '-o', f, ...ns, '-p', '-f', pidFile, '--', '/bin/sh', '-c', script]);
    const child = spawn(TSJAIL_EXEC, [f], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<[number | null, string | null]>((r) => child.on('exit', (c, sg) => r([c, sg])));
    try {
      await new Promise<void>((resolve) => child.stdout!.on('data', (d) => { out += d; if (out.includes('ready')) resolve(); }));
      // The launcher writes the pid file once the jail runs; the program may print first.
      for (let i = 0; i < 100 && !fs.existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
      expect(fs.readFileSync(pidFile, 'utf8')).toMatch(/^\d+\n$/);
      child.kill('SIGTERM');
      const [code, signal] = await exited;
      expect(signal).toBeNull();
      expect(code).toBe(3);
    } finally {
      child.kill('SIGKILL'); // never leave the launcher behind (it would keep jest alive)
    }
  });

  /**
   * Where the builder (Jail#toSpec, which Jail.spawn and Jail.run use) finds argv[0] with this
   * process's PATH (undefined: none) and current directory: the path, or 126/127 as tsjail run
   * would exit.
   */
  const builderFinds = (name: string, PATH: string | undefined, cwd: string, root?: string): string | number => {
    const saved = { PATH: process.env.PATH, cwd: process.cwd() };
    try {
      if (PATH === undefined) delete process.env.PATH;
      else process.env.PATH = PATH;
      process.chdir(cwd);
      const j = new Jail();
      if (root) j.filesystem({ root });
      return j.toSpec([name]).path;
    } catch (e) {
      if (!(e instanceof SpecError) || !(e.cause instanceof ProgramLookupError)) throw e;
      return e.cause.problem === 'not-executable' ? 126 : 127;
    } finally {
      if (saved.PATH === undefined) delete process.env.PATH;
      else process.env.PATH = saved.PATH;
      process.chdir(saved.cwd);
    }
  };

  test("tsjail-exec's -- PROGRAM and the builder find the program as tsjail run does (absolute PATH entries, the first executable regular file)", () => {
    const lookup = fs.mkdtempSync(path.join(dir, 'lookup-'));
    const name = 'tsjail-lookup-probe';
    const mk = (sub: string) => {
      const d = path.join(lookup, sub);
      fs.mkdirSync(d, { recursive: true });
      return d;
    };
    const [rel, noexec, isdir, first, second] = ['rel', 'noexec', 'isdir', 'first', 'second'].map(mk);
    for (const d of [rel, first, second]) fs.copyFileSync('/bin/true', path.join(d, name));
    for (const d of [rel, first, second]) fs.chmodSync(path.join(d, name), 0o755);
    fs.writeFileSync(path.join(noexec, name), 'not executable\n', { mode: 0o644 });
    fs.mkdirSync(path.join(isdir, name));
    const packed = path.join(lookup, 'lookup.jail');
    /** Where tsjail run (pack-jail) and tsjail-exec -- NAME find `name` with this PATH (run from `lookup`, so 'rel' is a relative entry). */
    const both = (PATH: string) => {
      const env = { ...process.env, PATH };
      const save = spawnSync(process.execPath, [BIN, 'pack-jail', '-o', packed, '--env-reset', '--', name], { cwd: lookup, env, encoding: 'utf8' });
      const run = save.status === 0 ? JSON.parse(execJail(['--dump', packed]).stdout).path : save.status;
      const x = spawnSync(TSJAIL_EXEC, ['--dump', packed, '--', name], { cwd: lookup, env, encoding: 'utf8' });
      return {
        run, exec: x.status === 0 ? JSON.parse(x.stdout).path : x.status, builder: builderFinds(name, PATH, lookup),
        runErr: save.stderr, execErr: x.stderr,
      };
    };
    // Saved with a program both find, so the file exists for the -- PROGRAM runs below.
    const found = (p: string) => ({ run: p, exec: p, builder: p });
    expect(both(`rel:${noexec}:${isdir}:${first}:${second}`)).toMatchObject(found(path.join(first, name)));
    fs.unlinkSync(path.join(first, name));
    expect(both(`${noexec}:${isdir}:${first}:${second}`)).toMatchObject(found(path.join(second, name)));
    // Found, but not executable: 126 from both; nothing at all: 127.
    const keep = fs.readFileSync(packed);
    const notExec = both(`rel:${noexec}:${isdir}`);
    fs.writeFileSync(packed, keep, { mode: 0o644 });
    expect(notExec).toMatchObject({ run: 126, builder: 126 });
    const x = spawnSync(TSJAIL_EXEC, ['--dump', packed, '--', name], { cwd: lookup, env: { ...process.env, PATH: `rel:${noexec}:${isdir}` }, encoding: 'utf8' });
    expect(x.status).toBe(126);
    expect(x.stderr).toBe(`tsjail: ${name}: permission denied (${path.join(noexec, name)} is not executable)\n`);
    // A directory of that name counts as found but not executable for both (126, not 127).
    expect(both(`rel:${isdir}`)).toMatchObject({ run: 126, exec: 126, builder: 126 });
    fs.writeFileSync(packed, keep, { mode: 0o644 });
    const empty = mk('empty');
    const y = spawnSync(TSJAIL_EXEC, ['--dump', packed, '--', name], { cwd: lookup, env: { ...process.env, PATH: `rel:${empty}` }, encoding: 'utf8' });
    expect(y.status).toBe(127);
    expect(y.stderr).toBe(`tsjail: ${name}: command not found\n`);
    const z = spawnSync(process.execPath, [BIN, 'pack-jail', '-o', path.join(lookup, 'none.jail'), '--env-reset', '--', name], { cwd: lookup, env: { ...process.env, PATH: `rel:${empty}` }, encoding: 'utf8' });
    expect(z.status).toBe(127);
    expect(builderFinds(name, `rel:${empty}`, lookup)).toBe(127);
  });

  test('all three skip empty PATH entries, and use the same list when there is no PATH at all', () => {
    const lookup = fs.mkdtempSync(path.join(dir, 'lookup-empty-'));
    const name = 'tsjail-lookup-probe';
    const there = path.join(lookup, 'there');
    fs.mkdirSync(there);
    // One copy in the current directory (what an empty entry would name) and one on PATH.
    for (const d of [lookup, there]) {
      fs.copyFileSync('/bin/true', path.join(d, name));
      fs.chmodSync(path.join(d, name), 0o755);
    }
    const packed = path.join(lookup, 'lookup.jail');
    const all = (prog: string, PATH: string | undefined) => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      if (PATH === undefined) delete env.PATH;
      else env.PATH = PATH;
      const save = spawnSync(process.execPath, [BIN, 'pack-jail', '-o', packed, '--env-reset', '--', prog], { cwd: lookup, env, encoding: 'utf8' });
      const run = save.status === 0 ? JSON.parse(execJail(['--dump', packed]).stdout).path : save.status;
      const x = spawnSync(TSJAIL_EXEC, ['--dump', packed, '--', prog], { cwd: lookup, env, encoding: 'utf8' });
      return { run, exec: x.status === 0 ? JSON.parse(x.stdout).path : x.status, builder: builderFinds(prog, PATH, lookup) };
    };
    const at = (p: string) => ({ run: p, exec: p, builder: p });
    expect(all(name, `:${there}`)).toEqual(at(path.join(there, name)));
    expect(all(name, `${there}::`)).toEqual(at(path.join(there, name)));
    // No PATH anywhere: the default list, which has the sbin directories. A program found only
    // there (so not on a /usr/bin:/bin list) shows the list is the same one.
    const sbinOnly = ['/usr/sbin', '/sbin'].flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).map((f) => path.join(d, f)) : []))
      .find((p) => {
        const f = path.basename(p);
        return ['/usr/local/sbin', '/usr/local/bin', '/usr/bin', '/bin'].every((d) => !fs.existsSync(path.join(d, f))) &&
          fs.statSync(p, { throwIfNoEntry: false })?.isFile() && spawnSync('test', ['-x', p]).status === 0;
      });
    if (sbinOnly) {
      const expected = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin'].map((d) => path.join(d, path.basename(sbinOnly)))
        .find((p) => fs.existsSync(p)) ?? sbinOnly;
      expect(all(path.basename(sbinOnly), undefined)).toEqual(at(expected));
    }
    expect(all('true', undefined)).toEqual(at('/usr/bin/true'));
    expect(all(name, undefined)).toEqual({ run: 127, exec: 127, builder: 127 });
  });

  test('with a new root, tsjail run and the builder look in the root, not on the host', () => {
    const lookup = fs.mkdtempSync(path.join(dir, 'lookup-root-'));
    const root = path.join(lookup, 'root');
    const name = 'tsjail-lookup-probe';
    fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
    fs.copyFileSync('/bin/true', path.join(root, 'bin', name));
    fs.chmodSync(path.join(root, 'bin', name), 0o755);
    const packed = path.join(lookup, 'lookup.jail');
    const both = (prog: string) => {
      const env = { ...process.env, PATH: '/usr/bin:/bin' };
      const save = spawnSync(process.execPath, [BIN, 'pack-jail', '-o', packed, '--env-reset', '-P', root, '--', prog], { cwd: lookup, env, encoding: 'utf8' });
      const run = save.status === 0 ? JSON.parse(execJail(['--dump', packed]).stdout).path : save.status;
      return { run, builder: builderFinds(prog, env.PATH, lookup, root) };
    };
    // Only in the root: found at its path inside the jail.
    expect(both(name)).toEqual({ run: `/bin/${name}`, builder: `/bin/${name}` });
    // Only on the host: not found.
    expect(both('true')).toEqual({ run: 127, builder: 127 });
    expect(both(`/bin/${name}`)).toEqual({ run: `/bin/${name}`, builder: `/bin/${name}` });
    expect(both('/usr/bin/true')).toEqual({ run: 127, builder: 127 });
  });

  test('pack-jail without -o is a usage error', () => {
    const r = spawnSync(process.execPath, [BIN, 'pack-jail', '--', '/bin/true'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/pack-jail: say where to write the jail file/);
  });

  test('a failing setup step: 125, named with its errno', () => {
    // The program exists when the jail is saved (tsjail resolves it then) and is gone when it runs.
    const f = path.join(dir, 'gone-program.jail');
    const prog = path.join(dir, 'gone-program');
    fs.copyFileSync('/bin/true', prog);
    fs.chmodSync(prog, 0o755);
    execFileSync(process.execPath, [BIN, 'pack-jail', '-o', f, '-T', 'static', '--', prog]);
    fs.unlinkSync(prog);
    const r = execJail([f]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/^tsjail: jail setup failed at exec: No such file or directory \(ENOENT\)/);
  });
});
