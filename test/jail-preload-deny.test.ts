// Preload mode is fail-closed for calls the policy denies, the loader's included. Once the
// preload window is closed (the exact filter on every thread), a call the policy denies is
// killed and named, whether or not the loader also uses it (read, close, mmap, mprotect,
// exit_group, a read-only openat): the strict gate sends every call the policy does not allow
// to the supervisor, and the exact filter's kill verdicts (TRACE) lose against that
// notification, so the supervisor kills and names the call. (Earlier designs let the gate allow
// the loader set without asking the policy: then such a call was either ENOSYS and the program
// carried on - /bin/true under `write: 1` died of SIGSEGV, under `write: 1, exit: 1` exited 0 -
// or, later, the kernel's unnamed kill.) Checked on real children through spawnJail,
// `tsjail run` and tsjail-exec (a saved jail), as root and as uid 65534.
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
    // 'preload' explicitly: the window is what these tests are about ('auto' would put a policy
    // that allows every loader call before exec).
    filesystem: { mounts: [] }, rlimits: [], preserveFds: [], seccomp: { bpf }, seccompTiming: 'preload', ...extra,
  };
}

/** Policies as BPF: the arch check, then the rules; everything else killed unless `rest`. */
const onlyWrite = () => filter({ [WRITE]: RET_ALLOW }, RET_KILL_PROCESS);
const writeAndExit = () => filter({ [WRITE]: RET_ALLOW, [EXIT]: RET_ALLOW }, RET_KILL_PROCESS);
const denyMprotect = () => filter({ [MPROTECT]: RET_KILL_PROCESS });
const denyGetppid = () => filter({ [NR.getppid]: RET_KILL_PROCESS });

/** The supervisor's kill of a call the policy denies, named. */
const named = (nr: number) => ({ code: null, signal: 'SIGSYS', reason: 'violation', violation: { nr } });

const d = describeUnless(NO_ADDON);
const du = describeUnless(NO_ADDON, [!canUnprivUserns(), 'uid 65534 cannot create user namespaces here']);

d('preload: a loader-set call the policy denies is killed and named (spawnJail)', () => {
  test('/bin/true under `write: 1` dies of SIGSYS at its exit_group, named, not SIGSEGV', async () => {
    expect(await runJail(spec(['/bin/true'], onlyWrite()))).toMatchObject(named(EXIT_GROUP));
  });

  test('/bin/true under `write: 1, exit: 1` dies at its exit_group instead of exiting 0', async () => {
    expect(await runJail(spec(['/bin/true'], writeAndExit()))).toMatchObject(named(EXIT_GROUP));
  });

  test('the first mprotect after main kills the program; nothing after it runs', async () => {
    const prog = lateCalls();
    const r = await runJail(spec([prog, 'mprotect'], denyMprotect()));
    expect(r.stdout).toBe('main\n'); // main ran (the loader's own mprotects were mediated)
    expect(r).toMatchObject(named(MPROTECT));
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

  test('openat after the window: read-only and write-only are both named', async () => {
    const prog = lateCalls();
    const denyOpenat = () => filter({ [OPENAT]: RET_KILL_PROCESS });
    const ro = await runJail(spec([prog, 'openat-ro'], denyOpenat()));
    expect(ro).toMatchObject({ ...named(OPENAT), stdout: 'main\n' });
    const wo = await runJail(spec([prog, 'openat-wo'], denyOpenat()));
    expect(wo).toMatchObject({ signal: 'SIGSYS', violation: { nr: OPENAT }, stdout: 'main\n' });
    const allowed = await runJail(spec([prog, 'openat-ro'], filter({})));
    expect(allowed).toMatchObject({ code: 0, signal: null });
    expect(allowed.stdout).toMatch(/^openat-ro returned [3-9]\d* errno 0$/m);
  });

  test("the policy's own user-notify is a violation too, named, for a loader call as for any other", async () => {
    const prog = lateCalls();
    const USER_NOTIF = 0x7fc00000; // the exact filter has no listener: left as is, ENOSYS
    const loader = await runJail(spec([prog, 'mprotect'], filter({ [MPROTECT]: USER_NOTIF })));
    expect(loader).toMatchObject({ ...named(MPROTECT), stdout: 'main\n' });
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

  test('a big policy (2200 instructions): every denial is named, none is ENOSYS', async () => {
    const prog = lateCalls();
    // 1100 rules for numbers no call uses: 2 instructions each. The gate and the exact filter
    // are one copy each (an earlier exact filter needed two and fell back to unnamed kills).
    const filler: Record<number, number> = {};
    for (let i = 0; i < 1100; i++) filler[100000 + i] = RET_ALLOW;
    const big = (rules: Record<number, number>) => filter({ ...filler, ...rules });
    const loader = await runJail(spec([prog, 'mprotect'], big({ [MPROTECT]: RET_KILL_PROCESS })));
    expect(loader).toMatchObject({ ...named(MPROTECT), stdout: 'main\n' });
    const other = await runJail(spec([prog, 'getppid'], big({ [NR.getppid]: RET_KILL_PROCESS })));
    expect(other).toMatchObject({ ...named(NR.getppid), stdout: 'main\n' });
    const allowed = await runJail(spec([prog, 'none'], big({})));
    expect(allowed).toMatchObject({ code: 0, signal: null, stdout: 'main\nnone returned 0 errno 0\n' });
  });

  test('with a pid namespace (below the init) the same calls are named', async () => {
    const prog = lateCalls();
    const ns = { namespaces: { pid: true, mount: true } };
    expect(await runJail(spec(['/bin/true'], onlyWrite(), ns))).toMatchObject(named(EXIT_GROUP));
    expect(await runJail(spec([prog, 'mprotect'], denyMprotect(), ns))).toMatchObject({ ...named(MPROTECT), stdout: 'main\n' });
    expect(await runJail(spec([prog, 'getppid'], denyGetppid(), ns))).toMatchObject({ signal: 'SIGSYS', violation: { nr: NR.getppid } });
  });
});

du('preload: a loader-set call the policy denies is killed and named (spawnJail as uid 65534)', () => {
  test.each([
    ['no namespaces', {}],
    ['user and pid namespaces (below the init)', { user: true, pid: true }],
  ])('%s', (_label, namespaces) => {
    const prog = lateCalls();
    const u = (argv: string[], bpf: Uint8Array) => runSpecUnpriv(spec(argv, bpf, { namespaces }));
    expect(u(['/bin/true'], onlyWrite())).toMatchObject({ signal: 'SIGSYS', violation: { nr: EXIT_GROUP } });
    expect(u(['/bin/true'], writeAndExit())).toMatchObject({ signal: 'SIGSYS', violation: { nr: EXIT_GROUP } });
    expect(u([prog, 'mprotect'], denyMprotect())).toMatchObject({ signal: 'SIGSYS', violation: { nr: MPROTECT }, stdout: 'main\n' });
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

    t('/bin/true under `write: 1` (and `exit: 1`): 159, exit_group named', async () => {
      for (const policy of ['write: 1\n', 'write: 1\nexit: 1\n']) {
        const r = await launcher.run(policy, ['/bin/true'], nobody);
        expect(r.status).toBe(SIGSYS_STATUS);
        expect(r.stderr.split('\n')[0]).toBe(`tsjail: seccomp violation: exit_group (${EXIT_GROUP})`); // then the call, the rule, the fix
      }
    }, 60_000);

    t('the first mprotect after main is killed; with mprotect allowed the program exits 0', async () => {
      const prog = lateCalls();
      const base = 'write: 1\nexit_group: 1\n';
      const denied = await launcher.run(base, [prog, 'mprotect'], nobody);
      expect(denied).toMatchObject({ status: SIGSYS_STATUS, stdout: 'main\n' });
      expect(denied.stderr.split('\n')[0]).toBe(`tsjail: seccomp violation: mprotect (${MPROTECT})`); // then the call, the rule, the fix
      const allowed = await launcher.run(`${base}mprotect: 1\n`, [prog, 'mprotect'], nobody);
      expect(allowed).toMatchObject({ status: 0, stdout: 'main\nmprotect returned 0 errno 0\n', stderr: '' });
    }, 60_000);

    t('a denied getppid is still named', async () => {
      const prog = lateCalls();
      const r = await launcher.run('write: 1\nexit_group: 1\n', [prog, 'getppid'], nobody);
      expect(r).toMatchObject({ status: SIGSYS_STATUS, stdout: 'main\n' });
      expect(r.stderr.split('\n')[0]).toBe(`tsjail: seccomp violation: getppid (${NR.getppid})`); // then the call, the rule, the fix
    }, 60_000);
  });
});
