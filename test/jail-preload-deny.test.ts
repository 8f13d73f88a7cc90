// Preload mode is fail-closed for calls only the exact policy denies. The gate (installed
// before exec) allows the loader set (read, close, mmap, mprotect, exit_group, ...) without
// asking the policy; the exact filter the preload installs must then kill such a call itself.
// Before the fix its kill verdicts were all TRACE (so that a call both filters deny reaches the
// gate's listener and is named), and a loader-set call the policy denied got ENOSYS (no
// tracer) and the program carried on: /bin/true under `write: 1` died of SIGSEGV (139), and
// under `write: 1, exit: 1` it even exited 0. Now such a call is the kernel's kill (SIGSYS,
// the syscall unknown), while calls the gate also asks the policy about are still named.
// Checked on real children through spawnJail, `tsjail run` and tsjail-exec (a saved jail),
// as root and as uid 65534.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { JailSpec } from '../ts/jail/spec';
import {
  NO_ADDON, describeUnless, tmpdir, filter, NR, RET_ALLOW, RET_KILL_PROCESS, compileFixture, ROOT, NATIVE_DIR,
  canUnprivUserns, runSpecUnpriv, isRoot, runJail, ExecResult, execCollect,
} from './fixtures/jail/helpers';

const BIN = path.join(ROOT, 'bin', 'tsjail');
const TSJAIL_EXEC = path.join(NATIVE_DIR, 'tsjail-exec');
const x86 = process.arch === 'x64';
const MPROTECT = x86 ? 10 : 226;
const OPENAT = x86 ? 257 : 56;
const WRITE = x86 ? 1 : 64;
const EXIT = x86 ? 60 : 93;
const EXIT_GROUP = x86 ? 231 : 94;
const SIGSYS_STATUS = 128 + os.constants.signals.SIGSYS;

const lateCalls = () => compileFixture('late-calls.c', 'late-calls', ['-Wall']);

function spec(argv: string[], bpf: Uint8Array, extra: Partial<JailSpec> = {}): JailSpec {
  return {
    path: argv[0], argv, env: [], namespaces: {}, user: {}, noNewPrivs: true,
    filesystem: { mounts: [] }, rlimits: [], preserveFds: [], seccomp: { bpf }, ...extra,
  };
}

/** Policies as BPF: the arch check, then the rules; everything else killed unless `rest`. */
const onlyWrite = () => filter({ [WRITE]: RET_ALLOW }, RET_KILL_PROCESS);
const writeAndExit = () => filter({ [WRITE]: RET_ALLOW, [EXIT]: RET_ALLOW }, RET_KILL_PROCESS);
const denyMprotect = () => filter({ [MPROTECT]: RET_KILL_PROCESS });
const denyGetppid = () => filter({ [NR.getppid]: RET_KILL_PROCESS });

/** The kernel's own kill: SIGSYS with no syscall named (only the dying process learns it). */
const KERNEL_KILL = { code: null, signal: 'SIGSYS' };

const d = describeUnless(NO_ADDON);
const du = describeUnless(NO_ADDON, [!canUnprivUserns(), 'uid 65534 cannot create user namespaces here']);

d('preload: a loader-set call only the exact policy denies is killed (spawnJail)', () => {
  test('/bin/true under `write: 1` dies of SIGSYS at its exit_group, not SIGSEGV', async () => {
    const r = await runJail(spec(['/bin/true'], onlyWrite()));
    expect(r).toMatchObject(KERNEL_KILL);
    expect(r.violation).toBeUndefined();
  });

  test('/bin/true under `write: 1, exit: 1` dies of SIGSYS instead of exiting 0', async () => {
    expect(await runJail(spec(['/bin/true'], writeAndExit()))).toMatchObject(KERNEL_KILL);
  });

  test('the first mprotect after main kills the program; nothing after it runs', async () => {
    const prog = lateCalls();
    const r = await runJail(spec([prog, 'mprotect'], denyMprotect()));
    expect(r.stdout).toBe('main\n'); // main ran (the loader's own mprotects were allowed)
    expect(r).toMatchObject(KERNEL_KILL);
    const control = await runJail(spec([prog, 'mprotect'], filter({})));
    expect(control).toMatchObject({ code: 0, signal: null, stdout: 'main\nmprotect returned 0 errno 0\n' });
  });

  test('a denied call outside the loader set is still named through the gate listener', async () => {
    const prog = lateCalls();
    const r = await runJail(spec([prog, 'getppid'], denyGetppid()));
    expect(r.stdout).toBe('main\n');
    expect(r).toMatchObject({ signal: 'SIGSYS', violation: { nr: NR.getppid } });
    const allowed = await runJail(spec([prog, 'getppid'], filter({ [NR.getppid]: RET_ALLOW })));
    expect(allowed).toMatchObject({ code: 0, signal: null });
    expect(allowed.stdout).toMatch(/^getppid returned \d+ errno 0$/m);
  });

  test('openat follows the gate: read-only (gate-allowed) is the kernel kill, write-only is named', async () => {
    const prog = lateCalls();
    const denyOpenat = () => filter({ [OPENAT]: RET_KILL_PROCESS });
    const ro = await runJail(spec([prog, 'openat-ro'], denyOpenat()));
    expect(ro).toMatchObject({ ...KERNEL_KILL, stdout: 'main\n' });
    expect(ro.violation).toBeUndefined();
    const wo = await runJail(spec([prog, 'openat-wo'], denyOpenat()));
    expect(wo).toMatchObject({ signal: 'SIGSYS', violation: { nr: OPENAT }, stdout: 'main\n' });
    const allowed = await runJail(spec([prog, 'openat-ro'], filter({})));
    expect(allowed).toMatchObject({ code: 0, signal: null });
    expect(allowed.stdout).toMatch(/^openat-ro returned [3-9]\d* errno 0$/m);
  });

  test("the policy's own user-notify is a violation too: killed for a loader call, named otherwise", async () => {
    const prog = lateCalls();
    const USER_NOTIF = 0x7fc00000; // the exact filter has no listener: left as is, ENOSYS
    const loader = await runJail(spec([prog, 'mprotect'], filter({ [MPROTECT]: USER_NOTIF })));
    expect(loader).toMatchObject({ ...KERNEL_KILL, stdout: 'main\n' });
    const other = await runJail(spec([prog, 'getppid'], filter({ [NR.getppid]: USER_NOTIF })));
    expect(other).toMatchObject({ signal: 'SIGSYS', violation: { nr: NR.getppid }, stdout: 'main\n' });
  });

  (x86 ? test : test.skip)('a foreign arch (int 0x80) gets the policy\'s bad-arch verdict, named', async () => {
    const prog = lateCalls();
    // Control, no jail: the i386 entry works here (without it the call never reaches seccomp).
    expect(execFileSync(prog, ['int80']).toString()).toMatch(/^int80 returned [1-9]\d* errno 0$/m);
    const r = await runJail(spec([prog, 'int80'], denyGetppid()));
    expect(r.stdout).toBe('main\n');
    // The dispatch sends other arches where the gate sends them, to the policy: i386 getpid (20).
    expect(r).toMatchObject({ signal: 'SIGSYS', violation: { nr: 20 } });
  });

  test('a policy too big for two copies: every denial is the kernel kill, none is ENOSYS', async () => {
    const prog = lateCalls();
    // 1100 rules for numbers no call uses: 2 instructions each, so the gate (one copy) fits in
    // 4096 instructions and the exact filter's two copies do not.
    const filler: Record<number, number> = {};
    for (let i = 0; i < 1100; i++) filler[100000 + i] = RET_ALLOW;
    const big = (rules: Record<number, number>) => filter({ ...filler, ...rules });
    const loader = await runJail(spec([prog, 'mprotect'], big({ [MPROTECT]: RET_KILL_PROCESS })));
    expect(loader).toMatchObject({ ...KERNEL_KILL, stdout: 'main\n' });
    const other = await runJail(spec([prog, 'getppid'], big({ [NR.getppid]: RET_KILL_PROCESS })));
    expect(other).toMatchObject({ ...KERNEL_KILL, stdout: 'main\n' });
    expect(other.violation).toBeUndefined();
    const allowed = await runJail(spec([prog, 'none'], big({})));
    expect(allowed).toMatchObject({ code: 0, signal: null, stdout: 'main\nnone returned 0 errno 0\n' });
  });

  test('with a pid namespace the init reports the kernel kill the same way', async () => {
    const prog = lateCalls();
    const ns = { namespaces: { pid: true, mount: true } };
    expect(await runJail(spec(['/bin/true'], onlyWrite(), ns))).toMatchObject(KERNEL_KILL);
    expect(await runJail(spec([prog, 'mprotect'], denyMprotect(), ns))).toMatchObject({ ...KERNEL_KILL, stdout: 'main\n' });
    expect(await runJail(spec([prog, 'getppid'], denyGetppid(), ns))).toMatchObject({ signal: 'SIGSYS', violation: { nr: NR.getppid } });
  });
});

du('preload: a loader-set call only the exact policy denies is killed (spawnJail as uid 65534)', () => {
  test.each([
    ['no namespaces', {}],
    ['user and pid namespaces (below the init)', { user: true, pid: true }],
  ])('%s', (_label, namespaces) => {
    const prog = lateCalls();
    const u = (argv: string[], bpf: Uint8Array) => runSpecUnpriv(spec(argv, bpf, { namespaces }));
    expect(u(['/bin/true'], onlyWrite())).toMatchObject(KERNEL_KILL);
    expect(u(['/bin/true'], writeAndExit())).toMatchObject(KERNEL_KILL);
    expect(u([prog, 'mprotect'], denyMprotect())).toMatchObject({ ...KERNEL_KILL, stdout: 'main\n' });
    expect(u([prog, 'getppid'], denyGetppid())).toMatchObject({ signal: 'SIGSYS', violation: { nr: NR.getppid } });
    expect(u([prog, 'none'], onlyWriteAndExitGroup())).toMatchObject({ code: 0, stdout: 'main\nnone returned 0 errno 0\n' });
  }, 60_000);
});

function onlyWriteAndExitGroup(): Uint8Array {
  return filter({ [WRITE]: RET_ALLOW, [EXIT_GROUP]: RET_ALLOW }, RET_KILL_PROCESS);
}

// ---- the launchers: tsjail run, and tsjail-exec on a jail saved by `tsjail run --save-jail` ----

function exec(argv: string[], asNobody: boolean): Promise<ExecResult> {
  return execCollect(asNobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv);
}

let work = '';
let saved = 0;
const hasCli = fs.existsSync(path.join(ROOT, 'dist', 'cli.cjs'));
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;

function policyFile(text: string): string {
  const file = path.join(work, `p${++saved}.policy`);
  fs.writeFileSync(file, text, { mode: 0o644 });
  return file;
}

const LAUNCHERS = [
  {
    name: 'tsjail run',
    run: (policy: string, argv: string[], nobody: boolean) =>
      exec([process.execPath, BIN, 'run', '-S', policyFile(policy), '--', ...argv], nobody),
  },
  {
    name: 'tsjail-exec',
    skip: fs.existsSync(TSJAIL_EXEC) ? undefined : 'tsjail-exec is not built',
    async run(policy: string, argv: string[], nobody: boolean) {
      const file = path.join(work, `saved-${++saved}.jail`);
      const save = await exec([process.execPath, BIN, 'run', '-S', policyFile(policy), '--save-jail', file, '--', ...argv], false);
      if (save.status !== 0) return save;
      fs.chmodSync(file, 0o644);
      return exec([TSJAIL_EXEC, file], nobody);
    },
  },
];

const USERS: Array<[string, boolean, string | undefined]> = [
  ['root', false, isRoot ? undefined : 'needs root'],
  ['uid 65534', true, !isRoot || !hasSetpriv ? 'needs root and setpriv' : undefined],
];

beforeAll(() => {
  work = tmpdir();
});
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe.each(LAUNCHERS)('$name', (launcher) => {
  describe.each(USERS)('as %s', (_user, nobody, userSkip) => {
    const skip = (NO_ADDON[0] ? NO_ADDON[1] : undefined) ?? (hasCli ? undefined : 'dist/cli.cjs is not built') ?? launcher.skip ?? userSkip;
    const t = skip ? test.skip : test;
    if (skip) test(`skipped: ${skip}`, () => undefined);

    t('/bin/true under `write: 1` (and `exit: 1`): 159, the syscall not known', async () => {
      for (const policy of ['write: 1\n', 'write: 1\nexit: 1\n']) {
        const r = await launcher.run(policy, ['/bin/true'], nobody);
        expect(r.status).toBe(SIGSYS_STATUS);
        expect(r.stderr).toBe('tsjail: seccomp violation: syscall not known (the program died of SIGSYS)\n');
      }
    }, 60_000);

    t('the first mprotect after main is killed; with mprotect allowed the program exits 0', async () => {
      const prog = lateCalls();
      const base = 'write: 1\nexit_group: 1\n';
      const denied = await launcher.run(base, [prog, 'mprotect'], nobody);
      expect(denied).toMatchObject({ status: SIGSYS_STATUS, stdout: 'main\n' });
      expect(denied.stderr).toMatch(/seccomp violation: syscall not known/);
      const allowed = await launcher.run(`${base}mprotect: 1\n`, [prog, 'mprotect'], nobody);
      expect(allowed).toMatchObject({ status: 0, stdout: 'main\nmprotect returned 0 errno 0\n', stderr: '' });
    }, 60_000);

    t('a denied getppid is still named', async () => {
      const prog = lateCalls();
      const r = await launcher.run('write: 1\nexit_group: 1\n', [prog, 'getppid'], nobody);
      expect(r).toMatchObject({ status: SIGSYS_STATUS, stdout: 'main\n' });
      expect(r.stderr).toBe(`tsjail: seccomp violation: getppid (${NR.getppid})\n`);
    }, 60_000);
  });
});
