// THE containment suite: a jailed program tries, and fails, to
//   see host processes; signal or ptrace a process outside; write outside its rw binds; read a
//   path Landlock denies; gain capabilities or become root through setuid; call a denied
//   syscall (it dies of SIGSYS and the violation is named); use a leaked fd; outlive its time
//   limit; exceed its memory or pids limit.
// Every check runs twice: with the restriction (the action must fail) and as a control
// without it (the same action must succeed), so no check passes by accident.
//
// One suite, a table of launchers (`tsjail run`, and tsjail-exec with saved jail files: it takes
// the same flags), each run as root and again as uid 65534 (setpriv), where the unprivileged
// runs get their namespaces from a user namespace (-U). The kernel is the oracle: real
// processes, real syscalls; the probe is test/fixtures/containment/probe.c.

import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ExecResult as RunResult, delegateV1Cgroups, execCollect } from './fixtures/jail/helpers';

const REPO = path.resolve(__dirname, '..');
const BIN = path.join(REPO, 'bin', 'tsjail');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'containment');
const BUILD = path.join(REPO, 'build', 'containment');
const PROBE = path.join(BUILD, 'probe');
const PROBE_STATIC = path.join(BUILD, 'probe-static');
const TSJAIL_EXEC = path.join(REPO, 'build', 'native', 'Release', 'tsjail-exec');
const DENY_GETPPID = path.join(FIXTURES, 'deny-getppid.policy');
const ALLOW_GETPPID = path.join(FIXTURES, 'allow-getppid.policy');

interface RunOptions {
  /** Extra fds handed to the launcher as fd 3, 4, ... */
  extraFds?: number[];
  input?: string;
  timeoutMs?: number;
}

/** Spawn argv, collect its output; status is the exit code, or 128+N for signal N. */
function exec(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  return execCollect(argv, { input: opts.input ?? '', timeoutMs: opts.timeoutMs ?? 60_000, extraFds: opts.extraFds });
}

// ---------------------------------------------------------------------------------------------
// Who runs the launcher.

interface Identity {
  name: string;
  uid: number;
  wrap(argv: string[]): string[];
  /** Flags that give this identity the right to make namespaces. */
  userns: string[];
  skip?: string;
}

const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;

const IDENTITIES: Identity[] = [
  { name: 'root', uid: 0, wrap: (a) => a, userns: [], skip: isRoot ? undefined : 'the suite must be started as root' },
  {
    name: 'uid 65534',
    uid: 65534,
    wrap: (a) => ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...a],
    userns: ['-U'],
    skip: !isRoot ? 'switching to uid 65534 needs root' : !hasSetpriv ? 'setpriv (util-linux) is not installed' : undefined,
  },
];

// ---------------------------------------------------------------------------------------------
// How the jail is launched. Every launcher takes tsjail run's flags.

interface Launcher {
  name: string;
  skip?: string;
  run(id: Identity, flags: string[], argv: string[], opts?: RunOptions): Promise<RunResult>;
}

let jailFiles = 0;
let workRoot = '';

const LAUNCHERS: Launcher[] = [
  {
    name: 'tsjail run',
    run: (id, flags, argv, opts) => exec(id.wrap([process.execPath, BIN, 'run', ...flags, '--', ...argv]), opts),
  },
  {
    // The same flags saved into a jail file by `tsjail run --save-jail`, then started
    // by the native launcher without Node. The jail file is made as the same identity, since
    // default id maps depend on who runs it.
    name: 'tsjail-exec (saved jail file)',
    skip: fs.existsSync(TSJAIL_EXEC) ? undefined : `${path.relative(REPO, TSJAIL_EXEC)} is not built (npm run build:native)`,
    async run(id, flags, argv, opts) {
      const jailFile = path.join(workDir('jail-file'), `saved-${++jailFiles}.jail`);
      const save = await exec(id.wrap([process.execPath, BIN, 'run', ...flags, '--save-jail', jailFile, '--', ...argv]));
      if (save.status !== 0) return save;
      return exec(id.wrap([TSJAIL_EXEC, jailFile]), opts);
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Setup: the CLI bundle, the probe (dynamic and static), a world-accessible work directory.

let setupError: string | undefined;

beforeAll(() => {
  try {
    execFileSync(process.execPath, [path.join(REPO, 'scripts', 'build-ts.js')], { cwd: REPO, stdio: 'pipe' });
    fs.mkdirSync(BUILD, { recursive: true });
    const src = path.join(FIXTURES, 'probe.c');
    // Other test files build the same probe in parallel workers: write aside, then rename.
    const build = (out: string, extra: string[]) => {
      const tmpOut = `${out}.${process.pid}.tmp`;
      execFileSync('gcc', ['-O1', '-Wall', ...extra, '-o', tmpOut, src], { stdio: 'pipe' });
      fs.renameSync(tmpOut, out);
    };
    build(PROBE, []);
    build(PROBE_STATIC, ['-static']);
  } catch (e) {
    setupError = `setup failed: ${(e as Error).message}`;
  }
  workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-containment-'));
  fs.chmodSync(workRoot, 0o755);
});

afterAll(() => {
  if (workRoot) fs.rmSync(workRoot, { recursive: true, force: true });
});

/** A fresh directory everyone may write (the unprivileged controls write there too). */
function workDir(name: string): string {
  const d = fs.mkdtempSync(path.join(workRoot, `${name}-`));
  fs.chmodSync(d, 0o777);
  return d;
}

/** A long-running process outside any jail, owned by the identity (so the controls may touch it). */
function sentinel(id: Identity): { pid: number; alive(): boolean; stop(): void; exited: Promise<void> } {
  const argv = id.wrap(['sleep', '300']);
  const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
  let done = false;
  const exited = new Promise<void>((r) => child.on('exit', () => { done = true; r(); }));
  return {
    pid: child.pid!,
    alive: () => !done,
    stop: () => { if (!done) child.kill('SIGKILL'); },
    exited,
  };
}

/** uid 65534 in a cgroup delegated to it (root needs none). */
function delegated(id: Identity): { id: Identity; cleanup(): Promise<void> } | undefined {
  if (id.uid === 0) return { id, cleanup: async () => undefined };
  return delegateV1Cgroups(id, 'tsjail-test');
}

const line = (r: RunResult) => r.stdout.trim();
const explain = (r: RunResult) => `status ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

function expectOk(r: RunResult, detail?: RegExp): void {
  if (r.status !== 0 || !/^ok\b/.test(line(r))) throw new Error(`expected the action to succeed\n${explain(r)}`);
  if (detail) expect(line(r)).toMatch(detail);
}

function expectFail(r: RunResult, errno: RegExp | string): void {
  if (r.status !== 1 || !/^fail /.test(line(r))) throw new Error(`expected the action to fail with ${errno}\n${explain(r)}`);
  expect(line(r)).toMatch(typeof errno === 'string' ? new RegExp(`^fail ${errno}\\b`) : errno);
}

/**
 * The cgroup checks as uid 65534: without a delegated cgroup the runtime must refuse to start
 * the program (exit 125, naming the cgroup) rather than run it unlimited. Either outcome keeps
 * the program within its limit; running to success is the failure.
 */
function expectLimited(r: RunResult): 'contained' | 'refused' {
  if (r.status === 125) {
    expect(r.stderr).toMatch(/cgroup/);
    expect(r.stdout).toBe('');
    return 'refused';
  }
  if (/^ok\b/.test(line(r))) throw new Error(`the program exceeded its limit\n${explain(r)}`);
  return 'contained';
}

const x86_64 = process.arch === 'x64';

describe.each(LAUNCHERS)('containment through $name', (launcher) => {
  describe.each(IDENTITIES)('as $name', (id) => {
    const skip = launcher.skip ?? id.skip;
    const check = (title: string, fn: () => Promise<void>) =>
      skip ? test.skip(`${title} [skipped: ${skip}]`, () => undefined) : test(title, async () => {
        if (setupError) throw new Error(setupError);
        await fn();
      });
    const run = (flags: string[], argv: string[], opts?: RunOptions) => launcher.run(id, flags, argv, opts);
    /** The same identity outside any jail: the controls of what every jail now prevents by default. */
    const unjailed = (argv: string[]) => exec(id.wrap(argv));
    const ns = id.userns;

    check('cannot see host processes (pid namespace)', async () => {
      const s = sentinel(id);
      try {
        expectFail(await run([...ns, '-p'], [PROBE, 'visible', String(s.pid)]), 'ENOENT');
        // Without -p too: every jail has a pid namespace and, without a mount namespace of its
        // own, the /proc of that namespace.
        expectFail(await run([], [PROBE, 'visible', String(s.pid)]), 'ENOENT');
        expectOk(await unjailed([PROBE, 'visible', String(s.pid)]), /visible/);
      } finally {
        s.stop();
      }
    });

    check('cannot signal a process outside', async () => {
      const s = sentinel(id);
      try {
        expectFail(await run([...ns, '-p'], [PROBE, 'kill', String(s.pid)]), 'ESRCH');
        expect(s.alive()).toBe(true);
        // Without -p too: a pid namespace and Landlock's signal scope are every jail's.
        expect(line(await run([], [PROBE, 'kill', String(s.pid)]))).toMatch(/^fail (ESRCH|EPERM)\b/);
        expect(s.alive()).toBe(true);
        expectOk(await unjailed([PROBE, 'kill', String(s.pid)]), /signalled/);
        await s.exited;
      } finally {
        s.stop();
      }
    });

    check('cannot ptrace a process outside', async () => {
      const s = sentinel(id);
      try {
        expectFail(await run([...ns, '-p'], [PROBE, 'ptrace', String(s.pid)]), 'ESRCH');
        // Without -p too: a pid namespace and a Landlock domain are every jail's.
        expect(line(await run([], [PROBE, 'ptrace', String(s.pid)]))).toMatch(/^fail (ESRCH|EPERM)\b/);
        expectOk(await unjailed([PROBE, 'ptrace', String(s.pid)]), /attached/);
      } finally {
        s.stop();
      }
    });

    check('cannot write outside its rw binds', async () => {
      const w = workDir('binds');
      const rw = path.join(w, 'rw');
      const root = path.join(w, 'root');
      fs.mkdirSync(rw, { mode: 0o777 });
      fs.chmodSync(rw, 0o777);
      fs.mkdirSync(root, { mode: 0o755 });
      const outside = path.join(w, 'outside');
      const jail = [...ns, '-P', root, '-b', '/,/', '-b', `${rw},${rw},1`];
      expectOk(await run(jail, [PROBE, 'write', path.join(rw, 'inside')]), /written/);
      expect(fs.readFileSync(path.join(rw, 'inside'), 'utf8')).toBe('written\n');
      expectFail(await run(jail, [PROBE, 'write', outside]), 'EROFS');
      expect(fs.existsSync(outside)).toBe(false);
      // Control: the same write without the jail's read-only root lands on the host.
      expectOk(await run([], [PROBE, 'write', outside]), /written/);
      expect(fs.existsSync(outside)).toBe(true);
    });

    check('cannot read a path Landlock denies', async () => {
      const w = workDir('landlock');
      fs.mkdirSync(path.join(w, 'allowed'));
      fs.mkdirSync(path.join(w, 'secret'));
      fs.writeFileSync(path.join(w, 'allowed', 'file'), 'allowed-content\n', { mode: 0o644 });
      fs.writeFileSync(path.join(w, 'secret', 'file'), 'secret-content\n', { mode: 0o644 });
      const rules = ['--fs-default-paths', '--fs-path-rx', BUILD, '--fs-path-ro', path.join(w, 'allowed')];
      expectOk(await run(rules, [PROBE, 'read', path.join(w, 'allowed', 'file')]), /allowed-content/);
      expectFail(await run(rules, [PROBE, 'read', path.join(w, 'secret', 'file')]), 'EACCES');
      expectOk(await run([], [PROBE, 'read', path.join(w, 'secret', 'file')]), /secret-content/);
    });

    if (id.uid === 0) {
      check('root dropped to uid 65534 cannot become root again', async () => {
        expectFail(await run(['-u', '65534', '-g', '65534'], [PROBE, 'setuid', '0']), /^fail EPERM euid=65534/);
        expectOk(await run([], [PROBE, 'setuid', '0']), /euid-before=0/);
      });

      check("a new uid does not keep tsjail's supplementary groups (minijail0 drops them without -y)", async () => {
        const w = workDir('groups');
        const f = path.join(w, 'group-4-only');
        fs.writeFileSync(f, 'group-secret\n');
        fs.chownSync(f, 0, 4);
        fs.chmodSync(f, 0o640);
        // tsjail itself runs with supplementary group 4, as a service account might.
        const withGroup4: Identity = { ...id, wrap: (a) => (hasSetpriv ? ['setpriv', '--groups', '4', ...a] : a) };
        const drop = ['-u', '65534', '-g', '65534'];
        expectFail(await launcher.run(withGroup4, drop, [PROBE, 'read', f]), 'EACCES');
        expectOk(await launcher.run(withGroup4, [...drop, '-y'], [PROBE, 'read', f]), /group-secret/);
      });

      check('capabilities outside -c are gone (chown needs CAP_CHOWN)', async () => {
        const w = workDir('caps');
        const f = path.join(w, 'owned-by-root');
        fs.writeFileSync(f, 'x');
        expectFail(await run(['-c', 'cap_net_bind_service=eip'], [PROBE, 'chown', f, '65534']), 'EPERM');
        expect(fs.statSync(f).uid).toBe(0);
        expectOk(await run([], [PROBE, 'chown', f, '65534']), /chowned/);
        expect(fs.statSync(f).uid).toBe(65534);
      });
    }

    check('cannot become root through a setuid-root binary (no_new_privs)', async () => {
      const w = workDir('setuid');
      const suid = path.join(w, 'probe-suid');
      fs.copyFileSync(PROBE, suid);
      fs.chownSync(suid, 0, 0);
      fs.chmodSync(suid, 0o4755);
      const drop = id.uid === 0 ? ['-u', '65534', '-g', '65534'] : [];
      // EINVAL for uid 65534: its jail is in a user namespace of its own ids, where uid 0 is not mapped.
      const refused = /^fail (EPERM|EINVAL) euid=65534/;
      expectFail(await run([...drop, '-n'], [suid, 'setuid', '0']), refused);
      // minijail0's default runtime environment sets no_new_privs too when there is no filter,
      // and the runtime sets it for every jail that does not keep root's uid and capabilities.
      expectFail(await run(drop, [suid, 'setuid', '0']), refused);
      expectFail(await run([...drop, '--no-default-runtime-environment'], [suid, 'setuid', '0']), refused);
      // Control: the same identity outside a jail becomes root through the binary.
      const as65534 = id.uid === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
      expectOk(await unjailed([...as65534, suid, 'setuid', '0']), /euid-before=0/);
    });

    const seccompCheck = x86_64 ? check : (t: string) => test.skip(`${t} [skipped: the policy fixtures are x86_64]`, () => undefined);

    seccompCheck('a denied syscall kills the program (SIGSYS) and is named (preload, dynamic)', async () => {
      const denied = await run(['-n', '-S', DENY_GETPPID], [PROBE, 'getppid']);
      expect(denied.stdout).toBe('');
      expect(denied.stderr).toMatch(/^tsjail: seccomp violation: getppid \(110\)$/m);
      expect(denied.status).toBe(128 + os.constants.signals.SIGSYS);
      expectOk(await run(['-n', '-S', ALLOW_GETPPID], [PROBE, 'getppid']));
    });

    seccompCheck('a denied syscall kills the program (SIGSYS) and is named (before exec, static)', async () => {
      const denied = await run(['-n', '-T', 'static', '-S', DENY_GETPPID], [PROBE_STATIC, 'getppid']);
      expect(denied.stdout).toBe('');
      expect(denied.stderr).toMatch(/^tsjail: seccomp violation: getppid \(110\)$/m);
      expect(denied.status).toBe(128 + os.constants.signals.SIGSYS);
      expectOk(await run(['-n', '-T', 'static', '-S', ALLOW_GETPPID], [PROBE_STATIC, 'getppid']));
    });

    check('cannot use a leaked fd (everything but 0-2 is closed)', async () => {
      const w = workDir('fd');
      fs.mkdirSync(path.join(w, 'dir'));
      fs.writeFileSync(path.join(w, 'dir', 'secret'), 'fd-secret\n', { mode: 0o644 });
      const dirFd = fs.openSync(path.join(w, 'dir'), 'r');
      try {
        expectFail(await run([], [PROBE, 'openat', '3', 'secret'], { extraFds: [dirFd] }), 'EBADF');
        expectOk(await run(['--preserve-fd', '3'], [PROBE, 'openat', '3', 'secret'], { extraFds: [dirFd] }), /fd-secret/);
      } finally {
        fs.closeSync(dirFd);
      }
    });

    check('cannot outlive its time limit (the whole jail is killed)', async () => {
      const w = workDir('time');
      const mark = (n: string) => path.join(w, n);
      const script = (m: string) => `(sleep 2; echo late > ${m}) & sleep 3; echo finished`;
      const limited = await run([...ns, '-p', '--time-limit', '1s'], ['/bin/sh', '-c', script(mark('limited'))]);
      expect(limited.status).toBe(128 + os.constants.signals.SIGKILL);
      expect(limited.stdout).not.toMatch(/finished/);
      expect(limited.stderr).toMatch(/time limit of 1s reached/);
      expect(limited.ms).toBeLessThan(2500);
      await new Promise((r) => setTimeout(r, 2500));
      expect(fs.existsSync(mark('limited'))).toBe(false); // the background child died with it
      const free = await run([...ns, '-p'], ['/bin/sh', '-c', script(mark('free'))]);
      expect(free.status).toBe(0);
      expect(free.stdout).toMatch(/finished/);
      expect(fs.existsSync(mark('free'))).toBe(true);
    });

    check('cannot exceed its memory limit', async () => {
      const d = delegated(id);
      try {
        const limited = await launcher.run(d?.id ?? id, ['--memory', '32M'], [PROBE, 'mem', '128']);
        const outcome = expectLimited(limited);
        if (d) expect(outcome).toBe('contained');
        expectOk(await launcher.run(d?.id ?? id, [], [PROBE, 'mem', '128']), /allocated/);
      } finally {
        await d?.cleanup();
      }
    });

    check('cannot exceed its pids limit', async () => {
      const d = delegated(id);
      try {
        const limited = await launcher.run(d?.id ?? id, ['--pids', '8'], [PROBE, 'fork', '32']);
        const outcome = expectLimited(limited);
        if (outcome === 'contained') expectFail(limited, 'EAGAIN');
        if (d) expect(outcome).toBe('contained');
        expectOk(await launcher.run(d?.id ?? id, [], [PROBE, 'fork', '32']), /forked=32/);
      } finally {
        await d?.cleanup();
      }
    });

    if (id.uid !== 0) {
      check('without a delegated cgroup, a limit is refused and the program never runs', async () => {
        const r = await run(['--memory', '32M'], [PROBE, 'mem', '1']);
        expect(expectLimited(r)).toBe('refused');
      });
    }
  });
});
