// Regressions found in a review of the native runtime (native/), each checked on real children
// through both launchers (`tsjail run` and tsjail-exec with a saved jail file).
//
// 1. Violation supervision needs pidfd_getfd on the program, which the kernel allows only with
//    ptrace access. When the supervisor cannot get it, the policy's kill verdicts must still
//    kill: before the fix an init in a user namespace whose program ran as another host uid
//    gave up silently (the denied call returned ENOSYS and the program carried on), and a
//    parent without CAP_SYS_PTRACE spun for 10 s and then waited forever. Since supervision
//    moved to the parent, which as root can reach that program, the call is also named.
// 2. Numbers are range-checked before any conversion (the addon's old converter cast NaN and
//    huge doubles to integers, undefined behaviour), capability masks must fit in 64 bits (the
//    high bits were dropped silently), securebits must be 0-255. A jail now reaches native
//    code only as jail-file bytes: validateSpec names the field, and the native reader refuses
//    out-of-range values in the bytes.
// 3. tsjail-exec started with 0-2 closed: the launch's own pipes took those numbers and the
//    program got one of them as its stdio (or close-fds failed with EBADF). Now they are
//    /dev/null, as Node makes them for tsjail run.
// 4. A worker thread that ends while its jail runs: Node frees the exit callback's
//    ThreadSafeFunction and dlcloses the addon at the worker's teardown, while the jail's
//    waiter thread was still running addon code and then called the freed function: the whole
//    process crashed (SIGSEGV/SIGABRT), and the jail could be left running.
// 5. The child side (native/child/: between clone and exec, and the init) must not allocate,
//    use stdio or formatting, or call exit(): after a clone in a multithreaded process a libc
//    lock may be held forever. docs/architecture.md said the child code did not allocate while
//    launch.c called calloc there. Now the rule is checked on the objects: nm lists what each
//    child-side object needs, and none of it may be an allocator, a stdio or formatting
//    function, or a symbol of the parent side (child code never calls into the parent).

import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadAddon } from '../ts/jail/native';
import { encodeUncheckedJailFile } from '../ts/jail/jailfile';
import { SpecError, validateSpec } from '../ts/jail/validate';
import type { JailSpec } from '../ts/jail/spec';
import { ExecResult as RunResult, execCollect } from './fixtures/jail/helpers';

const REPO = path.resolve(__dirname, '..');
const BIN = path.join(REPO, 'bin', 'tsjail');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'containment');
const TSJAIL_EXEC = path.join(REPO, 'build', 'native', 'Release', 'tsjail-exec');
const DENY_GETPPID = path.join(FIXTURES, 'deny-getppid.policy');
const ALLOW_GETPPID = path.join(FIXTURES, 'allow-getppid.policy');

const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const x86 = process.arch === 'x64'; // the policies include the x86_64 libc start-up list

function exec(argv: string[], timeoutMs = 30_000): Promise<RunResult> {
  return execCollect(argv, { timeoutMs });
}

let work = '';
let probe = '';
let probeStatic = '';
let setupError: string | undefined;

beforeAll(() => {
  try {
    execFileSync(process.execPath, [path.join(REPO, 'scripts', 'build-ts.js')], { cwd: REPO, stdio: 'pipe' });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-native-review-'));
    fs.chmodSync(work, 0o755);
    probe = path.join(work, 'probe');
    probeStatic = path.join(work, 'probe-static');
    const src = path.join(FIXTURES, 'probe.c');
    execFileSync('gcc', ['-O1', '-Wall', '-o', probe, src], { stdio: 'pipe' });
    execFileSync('gcc', ['-O1', '-Wall', '-static', '-o', probeStatic, src], { stdio: 'pipe' });
  } catch (e) {
    setupError = `setup failed: ${(e as Error).message}`;
  }
}, 120_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

interface Launcher {
  name: string;
  skip?: string;
  run(flags: string[], argv: string[], wrap?: string[]): Promise<RunResult>;
}

let saved = 0;
const LAUNCHERS: Launcher[] = [
  { name: 'tsjail run', run: (flags, argv, wrap = []) => exec([...wrap, process.execPath, BIN, 'run', ...flags, '--', ...argv]) },
  {
    name: 'tsjail-exec',
    skip: fs.existsSync(TSJAIL_EXEC) ? undefined : 'tsjail-exec is not built',
    async run(flags, argv, wrap = []) {
      const file = path.join(work, `saved-${++saved}.jail`);
      const save = await exec([process.execPath, BIN, 'pack-jail', '-o', file, ...flags, '--', ...argv]);
      if (save.status !== 0) return save;
      return exec([...wrap, TSJAIL_EXEC, file]);
    },
  },
];

const skipAll = !isRoot ? 'needs root (a user namespace mapping several host ids)' : !x86 ? 'the policies are x86_64' : undefined;

describe.each(LAUNCHERS)('$name', (launcher) => {
  const skip = skipAll ?? launcher.skip;
  const t = skip ? test.skip : test;
  if (skip) test(`skipped: ${skip}`, () => undefined);

  // Host uid 2000+1000 for the program, root for the init: the program is not dumpable after
  // its uid change, so an init in the new user namespace could not take its listener; the
  // parent (root in the initial namespace) can.
  const otherHostIds = ['-U', '-m0 2000 2000', '-M0 2000 2000', '-u', '1000', '-g', '1000'];

  t.each([
    ['dynamic (preload)', () => probe, []],
    ['static (exec)', () => probeStatic, ['-T', 'static']],
  ] as [string, () => string, string[]][])(
    'init in a user namespace, program as another host uid, %s: a denied call kills the program and is named',
    async (_label, prog, timing) => {
      if (setupError) throw new Error(setupError);
      const denied = await launcher.run([...otherHostIds, ...timing, '-S', DENY_GETPPID], [prog(), 'getppid']);
      expect(denied.stdout).not.toContain('ok getppid returned');
      expect(denied.status).toBe(159); // a seccomp violation, not ENOSYS
      expect(denied.stderr).toMatch(/^tsjail: seccomp violation: getppid \(\d+\)$/m);
      const allowed = await launcher.run([...otherHostIds, ...timing, '-S', ALLOW_GETPPID], [prog(), 'getppid']);
      expect(allowed.stdout).toContain('ok getppid returned');
      expect(allowed.status).toBe(0);
    },
    60_000,
  );

  const tp = skip || !hasSetpriv ? test.skip : test;
  // Without CAP_SYS_PTRACE the parent cannot reach a program that changed its uid, with or
  // without an init between them: the launch fails at step seccomp with EPERM, promptly.
  tp.each([
    ['no pid namespace', []],
    ['below an init', ['-p']],
  ] as [string, string[]][])('no CAP_SYS_PTRACE, %s: setup fails at seccomp (EPERM), nothing runs', async (_label, ns) => {
    if (setupError) throw new Error(setupError);
    const r = await launcher.run([...ns, '-u', '1000', '-g', '1000', '-T', 'static', '-S', DENY_GETPPID], [probeStatic, 'getppid'], [
      'setpriv',
      '--bounding-set',
      '-sys_ptrace',
      '--',
    ]);
    expect(r.stdout).not.toContain('ok getppid returned');
    expect(r.stderr).toMatch(/jail setup failed at seccomp: .*\(EPERM\)/);
    expect(r.status).toBe(125);
    expect(r.ms).toBeLessThan(9_000);
  }, 60_000);
});

describe('spec shape checks (nothing forks)', () => {
  const base = (): JailSpec => ({
    path: '/bin/true', argv: ['true'], env: [], namespaces: {}, user: {}, noNewPrivs: false,
    filesystem: { mounts: [] }, rlimits: [], preserveFds: [],
  });
  test.each([
    ['uid NaN', { user: { uid: NaN } }, 'user.uid'],
    ['uid 1e300', { user: { uid: 1e300 } }, 'user.uid'],
    ['uid 1.5', { user: { uid: 1.5 } }, 'user.uid'],
    ['preserveFds [NaN]', { preserveFds: [NaN] }, 'preserveFds[0]'],
    ['preserveFds [-1e300]', { preserveFds: [-1e300] }, 'preserveFds[0]'],
    ['groups [Infinity]', { user: { groups: [Infinity] } }, 'user.groups[0]'],
    ['caps.keep 2^64', { caps: { keep: 1n << 64n } }, 'caps.keep'],
    ['caps.keep -1n', { caps: { keep: -1n } }, 'caps.keep'],
    ['caps.bounding 2^70', { caps: { bounding: 1n << 70n } }, 'caps.bounding'],
    ['caps.securebits NaN', { caps: { securebits: NaN } }, 'caps.securebits'],
    ['caps.securebits 2^32', { caps: { securebits: 2 ** 32 } }, 'caps.securebits'],
  ] as [string, Partial<JailSpec>, string][])('%s: a SpecError naming the field', (_label, patch, field) => {
    let thrown: unknown;
    try {
      validateSpec({ ...base(), ...patch });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(SpecError);
    expect((thrown as SpecError).field).toBe(field);
  });

  test.each([
    ['uid 2^32-1 (-1)', { user: { uid: 0xffffffff } }, /uid -1/],
    ['a preserved fd above 65535', { preserveFds: [65536] }, /preserved fd 65536 out of range/],
    ['securebits above 255', { caps: { keep: 0n, securebits: 256 } }, /securebits out of range/],
  ] as [string, Partial<JailSpec>, RegExp][])('%s in the bytes: the native reader refuses it', (_label, patch, message) => {
    // The addon's TypeError comes from Node's realm, not jest's: compare the message.
    const bytes = encodeUncheckedJailFile({ ...base(), ...patch });
    expect(() => loadAddon().dumpJailFile(bytes)).toThrow(message);
  });
});

describe('the child side references no allocator, no stdio, no parent code (nm)', () => {
  const CHILD_LIB = path.join(REPO, 'build', 'native', 'Release', 'libtsjail_child.a');
  const PARENT_LIB = path.join(REPO, 'build', 'native', 'Release', 'libtsjail_parent.a');
  const hasNm = spawnSync('nm', ['--version']).status === 0;
  const t = hasNm && fs.existsSync(CHILD_LIB) && fs.existsSync(PARENT_LIB) ? test : test.skip;

  /** object file -> the symbols it needs (nm -u on an archive prints "member.o:" before each). */
  function undefinedByObject(lib: string): Map<string, string[]> {
    const out = new Map<string, string[]>();
    let member = '';
    for (const line of execFileSync('nm', ['-u', lib], { encoding: 'utf8' }).split('\n')) {
      const m = /^(\S+\.o):$/.exec(line);
      if (m) out.set((member = m[1]), []);
      else if (line.trim().startsWith('U ')) out.get(member)!.push(line.trim().slice(2));
    }
    return out;
  }

  const FORBIDDEN = [
    // allocators
    /^(malloc|calloc|realloc|reallocarray|free|strdup|strndup|posix_memalign|aligned_alloc|memalign|valloc|pvalloc)$/,
    /^_Zn[wa]|^_Zd[la]/, // C++ new/delete
    // formatting, stdio and FILE functions (with their _FORTIFY_SOURCE variants)
    /^(__)?v?(s|sn|f|d|as)?printf(_chk)?$/,
    /^(__)?v?(s|f)?scanf(_chk)?$/, /^__isoc99_/,
    /^(fopen|fdopen|fclose|fread|fwrite|fflush|fputs|fputc|fgets|fgetc|putc|getc|puts|putchar|perror|getline|getdelim|setvbuf|open_memstream)$/,
    /^(strerror|strerror_r|strerrorname_np|__xpg_strerror_r)$/,
    // exit() runs atexit handlers and flushes stdio; the child uses _exit
    /^(exit|atexit|on_exit)$/,
    // the environment (environ is the parent's, possibly being changed by another thread)
    /^(getenv|setenv|unsetenv|putenv|secure_getenv)$/,
  ];

  t('no child-side object needs an allocator, stdio, formatting or exit()', () => {
    const objects = undefinedByObject(CHILD_LIB);
    expect([...objects.keys()].sort()).toEqual(
      ['child.c.o', 'fds.c.o', 'init.c.o', 'landlock.c.o', 'mounts.c.o', 'record.c.o', 'rlimits.c.o']);
    const bad: string[] = [];
    for (const [obj, syms] of objects) for (const sym of syms) if (FORBIDDEN.some((re) => re.test(sym))) bad.push(`${obj}: ${sym}`);
    expect(bad).toEqual([]);
  });

  t('the check can fail: the parent side does allocate and format', () => {
    const all = [...undefinedByObject(PARENT_LIB).values()].flat();
    for (const sym of ['calloc', 'free']) expect(all).toContain(sym);
    expect(all.some((sym) => /^(__)?v?s?n?printf(_chk)?$/.test(sym))).toBe(true);
  });

  t('no child-side object calls into the parent side', () => {
    const parentDefined = new Set(execFileSync('nm', ['--defined-only', '--extern-only', PARENT_LIB], { encoding: 'utf8' })
      .split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 3).map((f) => f[2]));
    expect(parentDefined.has('tsjail_launch')).toBe(true);
    const calls: string[] = [];
    for (const [obj, syms] of undefinedByObject(CHILD_LIB)) for (const sym of syms) if (parentDefined.has(sym)) calls.push(`${obj}: ${sym}`);
    expect(calls).toEqual([]);
  });
});

describe('tsjail-exec with closed stdio', () => {
  const t = fs.existsSync(TSJAIL_EXEC) ? test : test.skip;
  t.each([
    ['stdout', '>&-'],
    ['stdin, stdout and stderr', '<&- >&- 2>&-'],
  ])('%s closed: the program gets /dev/null, not a runtime fd', async (_label, redirect) => {
    if (setupError) throw new Error(setupError);
    const file = path.join(work, `echo-${redirect.length}.jail`);
    const save = await exec([process.execPath, BIN, 'pack-jail', '-o', file, '--', '/bin/echo', 'hi']);
    expect(save.status).toBe(0);
    // echo fails ("write error") when its stdout is anything but writable.
    const r = await exec(['/bin/sh', '-c', `exec "$0" "$1" ${redirect}`, TSJAIL_EXEC, file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('addon: a worker ends while its jail runs', () => {
  const script = `
const { Worker, isMainThread, parentPort } = require('worker_threads');
const fs = require('fs');
if (isMainThread) {
  const w = new Worker(__filename, { argv: process.argv.slice(2) });
  let pid = 0;
  w.on('message', (p) => { pid = p; setTimeout(() => w.terminate(), 100); });
  w.on('exit', () => setTimeout(() => {
    let state = 'gone';
    try { state = fs.readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1][0]; } catch {}
    console.log(pid > 0 && (state === 'gone' || state === 'Z') ? 'jail ended' : 'jail left running: ' + state);
  }, 500));
} else {
  const { spawnJail } = require(process.argv[2]);
  const ns = process.argv[3] === 'pid' ? { user: true, pid: true } : {};
  const h = spawnJail({ path: '/bin/sleep', argv: ['sleep', '30'], namespaces: ns }, { stdio: ['ignore', 'ignore', 'ignore'] });
  parentPort.postMessage(h.pid);
}
`;
  test.each([['no namespaces'], ['pid']])('%s: the process survives and the jail is killed', async (ns) => {
    if (setupError) throw new Error(setupError);
    const file = path.join(work, 'worker-exit.js');
    fs.writeFileSync(file, script);
    for (let i = 0; i < 4; i++) {
      const r = await exec([process.execPath, file, path.join(REPO, 'dist', 'index.cjs'), ns]);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('jail ended');
      expect(r.status).toBe(0);
    }
  }, 60_000);
});
