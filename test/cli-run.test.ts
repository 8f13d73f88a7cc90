// `tsjail run` end to end: `node bin/tsjail run ...` on the bundle built by scripts/build-ts.js.
// Exit statuses and signals propagate, stdio streams, signals are forwarded, a violation is
// one line naming the syscall, setup failures name the step and errno with exit 125, usage
// errors exit 2 before anything runs, and no path prints a stack trace.

import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { testUnless } from './fixtures/jail/helpers';

const REPO = path.resolve(__dirname, '..');
const BIN = path.join(REPO, 'bin', 'tsjail');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'containment');
const BUILD = path.join(REPO, 'build', 'containment');
const PROBE = path.join(BUILD, 'probe');
const SIG = os.constants.signals;

interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

function tsjail(args: string[], opts: { input?: string | Buffer; wrap?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  const argv = [...(opts.wrap ?? []), process.execPath, BIN, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { env: opts.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        status: code ?? 128 + (SIG[signal as NodeJS.Signals] ?? 0),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
  });
}

const run = (args: string[], opts?: Parameters<typeof tsjail>[1]) => tsjail(['run', ...args], opts);
// Changing ids, keeping capabilities and mounting need root; these tests say so when skipped.
const asRoot = process.getuid?.() === 0 ? test : (name: string, _fn?: () => Promise<void>) => test.skip(`${name} [skipped: needs root]`, () => undefined);
const noStack = (r: Result) => expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);

let tmp = '';
beforeAll(() => {
  execFileSync(process.execPath, [path.join(REPO, 'scripts', 'build-ts.js')], { cwd: REPO, stdio: 'pipe' });
  fs.mkdirSync(BUILD, { recursive: true });
  // test/containment.test.ts builds the same probe in another worker: write aside, then rename.
  const tmpProbe = `${PROBE}.${process.pid}.tmp`;
  execFileSync('gcc', ['-O1', '-Wall', '-o', tmpProbe, path.join(FIXTURES, 'probe.c')], { stdio: 'pipe' });
  fs.renameSync(tmpProbe, PROBE);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-cli-run-'));
  fs.chmodSync(tmp, 0o777);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('exit statuses', () => {
  test.each([
    [['true'], 0],
    [['false'], 1],
    [['sh', '-c', 'exit 7'], 7],
    [['sh', '-c', 'exit 255'], 255],
    [['-p', '--', 'sh', '-c', 'exit 7'], 7],
    [['-I', '--', 'sh', '-c', 'exit 9'], 9],
  ])('%j exits %i', async (argv, status) => {
    const args = argv as string[];
    const r = await run(args.includes('--') ? args : ['--', ...args]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(status);
  });

  test.each([
    ['SIGTERM', []],
    ['SIGKILL', []],
    ['SIGSEGV', []],
    ['SIGTERM', ['-p']],
    ['SIGKILL', ['-p']],
  ])('death by %s %j: 128+N', async (sig, flags) => {
    const r = await run([...flags, '--', 'sh', '-c', `kill -${sig.slice(3)} $$; sleep 5`]);
    expect(r.status).toBe(128 + SIG[sig as NodeJS.Signals]);
    noStack(r);
  });

  test('the program is not found: 127, before anything forks', async () => {
    const r = await run(['--', 'no-such-program-xyz']);
    expect(r.status).toBe(127);
    expect(r.stderr).toBe('tsjail: no-such-program-xyz: command not found\n');
  });

  test('the program is not executable: 126', async () => {
    const f = path.join(tmp, 'not-exec');
    fs.writeFileSync(f, 'data', { mode: 0o644 });
    const r = await run(['--', f]);
    expect(r.status).toBe(126);
    expect(r.stderr).toMatch(/^tsjail: .*not-exec: permission denied/);
  });
});

describe('stdio', () => {
  test('stdin reaches the program, stdout and stderr stay apart', async () => {
    const r = await run(['--', 'sh', '-c', 'cat; echo to-err >&2'], { input: 'hello through the jail\n' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('hello through the jail\n');
    expect(r.stderr).toBe('to-err\n');
  });

  test('a megabyte streams through in both directions', async () => {
    const data = Buffer.alloc(1 << 20, 'abcdefghij');
    const r = await run(['-p', '--', 'cat'], { input: data });
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBe(data.length);
    expect(r.stdout).toBe(data.toString());
  });

  test('interactive: output arrives before the program exits', async () => {
    const child = spawn(process.execPath, [BIN, 'run', '--', 'sh', '-c', 'echo ready; read x; echo "got $x"']);
    let out = '';
    const ready = new Promise<void>((resolve) => child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    }));
    await ready;
    child.stdin.end('ping\n');
    const status = await new Promise((r) => child.on('close', r));
    expect(status).toBe(0);
    expect(out).toBe('ready\ngot ping\n');
  });
});

describe('signals', () => {
  test.each([[['-p']], [[]]])('SIGTERM to tsjail is forwarded to the program %j', async (flags) => {
    const child = spawn(process.execPath, [BIN, 'run', ...flags, '--', 'sh', '-c',
      'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.1; done']);
    let out = '';
    await new Promise<void>((resolve) => child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    }));
    child.kill('SIGTERM');
    const status = await new Promise((r) => child.on('close', r));
    expect(out).toMatch(/got-term/);
    expect(status).toBe(3);
  });
});

describe('the session', () => {
  /** The session id in a /proc/PID/stat line. */
  const sid = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);

  test("a new session by default; --no-new-sessions keeps tsjail's (and so its terminal)", async () => {
    // Read in the jail's own /proc (every jail has one): a new session is led by the jail's
    // init, pid 1; tsjail's session is led from outside the jail's pid namespace, which shows as 0.
    const fresh = await run(['--', 'cat', '/proc/self/stat']);
    expect(fresh.status).toBe(0);
    expect(sid(fresh.stdout)).toBe(1);
    const kept = await run(['--no-new-sessions', '--', 'cat', '/proc/self/stat']);
    expect(kept.status).toBe(0);
    expect(sid(kept.stdout)).toBe(0);
  });
});

describe('reports', () => {
  const x86 = testUnless([process.arch !== 'x64', 'the policy fixtures are x86_64']);
  x86('a seccomp violation: a line naming the syscall, then the call, the rule and the fix; 128+SIGSYS', async () => {
    const r = await run(['-n', '-S', path.join(FIXTURES, 'deny-getppid.policy'), '--', PROBE, 'getppid']);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('tsjail: seccomp violation: getppid (110)');
    expect(lines.slice(1).map((l) => l.replace(/:.*/, ''))).toEqual(['tsjail', 'tsjail', 'tsjail']);
    expect(lines[2]).toMatch(/^tsjail: {3}rule: /);
    expect(r.status).toBe(128 + SIG.SIGSYS);
    expect(r.stdout).toBe('');
  });

  x86('--seccomp-bpf-binary from `tsjail compile`: the same verdicts as -S', async () => {
    const bpf = path.join(tmp, 'deny.bpf');
    const c = await tsjail(['compile', path.join(FIXTURES, 'deny-getppid.policy'), '--arch', 'x86_64', '-o', bpf]);
    expect(c.status).toBe(0);
    const denied = await run(['-n', '--seccomp-bpf-binary', bpf, '--', PROBE, 'getppid']);
    expect(denied.stderr.split('\n')[0]).toBe('tsjail: seccomp violation: getppid (110)');
    // Bytes alone carry no policy text: the call is named, its rule cannot be.
    expect(denied.stderr).toMatch(/^tsjail: {3}rule: no source: rule unknown$/m);
    expect(denied.status).toBe(128 + SIG.SIGSYS);
    const allowed = await run(['-n', '-L', '-Y', '-S', path.join(FIXTURES, 'allow-getppid.policy'), '--', PROBE, 'getppid']);
    expect(allowed.stdout).toBe('ok getppid returned\n');
    expect(allowed.status).toBe(0);
  });

  test('an invalid policy: its diagnostics, exit 125, nothing runs', async () => {
    const policy = path.join(tmp, 'broken.policy');
    fs.writeFileSync(policy, 'write: 1\nnot_a_syscall: 1\n');
    const marker = path.join(tmp, 'ran-1');
    const r = await run(['-S', policy, '--', 'touch', marker]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/broken\.policy.*2/);
    expect(r.stderr).toMatch(/tsjail: the seccomp policy has 1 error; nothing was run\n$/);
    expect(fs.existsSync(marker)).toBe(false);
    noStack(r);
  });

  test('an @include that cannot be read (a directory): named once, at the file, exit 125', async () => {
    const includeDir = path.join(tmp, 'include-is-a-dir');
    fs.mkdirSync(includeDir);
    const policy = path.join(tmp, 'includes-dir.policy');
    fs.writeFileSync(policy, `@include ${includeDir}\nread: 1\n`);
    const r = await run(['-S', policy, '--', 'true']);
    expect(r.status).toBe(125);
    expect(r.stderr.split('\n')[0]).toBe(`${includeDir}: error: cannot read: ${includeDir}: is a directory`);
    expect(r.stderr).toContain(`${policy}:1:10: error: could not @include ${includeDir}`);
    noStack(r);
  });

  asRoot('a failing setup step: one line with the step and errno, exit 125, no exec', async () => {
    // As uid 65534 without a user namespace, creating a UTS namespace is refused at clone.
    const marker = path.join(tmp, 'ran-2');
    const r = await run(['--uts=box', '--', 'touch', marker], { wrap: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] });
    expect(r.stderr).toMatch(/^tsjail: jail setup failed at clone: operation not permitted \(EPERM\)/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.status).toBe(125);
    expect(fs.existsSync(marker)).toBe(false);
  });

  asRoot('a bind source that cannot be mounted: step mounts, exit 125', async () => {
    const marker = path.join(tmp, 'ran-3');
    const r = await run(['-v', '-k', `${tmp},/no/such/target/dir,none,MS_BIND`, '--', 'touch', marker]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/^tsjail: jail setup failed at mounts: .*\((ENOENT|ENOTDIR)\)/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('the time limit: killed, 128+SIGKILL, and said so', async () => {
    const r = await run(['-p', '--time-limit', '300ms', '--', 'sleep', '10']);
    expect(r.status).toBe(128 + SIG.SIGKILL);
    expect(r.stderr).toBe('tsjail: time limit of 300ms reached; the jail was killed\n');
  });

  test("the pid file holds the pid of the jail: its init, the program's parent", async () => {
    // Every jail has a pid namespace and its own /proc, so only the host can tell: the process
    // the pid file names has one child, which is pid 2 of the jail's namespace.
    const pidFile = path.join(tmp, 'jail.pid');
    const child = spawn(process.execPath, [BIN, 'run', '-f', pidFile, '--', 'sh', '-c', 'echo ready; exec sleep 30']);
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d) => { if (String(d).includes('ready')) resolve(); });
        child.on('exit', () => reject(new Error('tsjail run exited before the program was ready')));
      });
      // "ready" comes from the program, which may print it before the launcher has renamed the
      // pid file into place: wait for the file (bounded), then read it once.
      for (let i = 0; i < 100 && !fs.existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
      const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
      expect(pid).toBeGreaterThan(1);
      const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
      expect(kids).toHaveLength(1);
      expect(fs.readFileSync(`/proc/${kids[0]}/status`, 'utf8')).toMatch(/^NSpid:\s+\d+\s+2$/m);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

describe('flags reach the kernel', () => {
  test('a small RLIMIT_NOFILE applies to the program without failing the setup (set after the fds are closed)', async () => {
    const r = await run(['-R', 'RLIMIT_NOFILE,10,10', '--', '/bin/sh', '-c', 'ulimit -n; ulimit -Hn']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('10\n10\n');
    expect(r.status).toBe(0);
  });

  asRoot('a PATH entry hidden by -t is not taken for the program (a checkout under /tmp)', async () => {
    const hidden = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-path-'));
    const r = await run(['-v', '-t', '--', 'sh', '-c', 'echo found'], { env: { ...process.env, PATH: `${hidden}:/usr/bin:/bin` } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('found\n');
    expect(r.status).toBe(0);
  });

  asRoot("the profile's mounts, spelled out: -v -P DIR -b / -b /proc -d -t -r", async () => {
    const root = fs.mkdtempSync(path.join(tmp, 'root-'));
    const r = await run(['-v', '-P', root, '-b', '/', '-b', '/proc', '-d', '-t1M', '-r', '--', 'sh', '-c',
      'ls /dev | tr "\\n" " "; grep " /tmp " /proc/mounts; stat -c "tmp-mode=%a" /tmp; touch /etc/tsjail-should-fail 2>/dev/null || echo ro-root']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\bnull\b.*\burandom\b/);
    expect(r.stdout).toMatch(/ \/tmp tmpfs rw,nosuid,nodev,noexec,.*size=1024k/);
    expect(r.stdout).toMatch(/tmp-mode=1777/);
    expect(r.stdout).toMatch(/ro-root/);
    expect(fs.existsSync('/etc/tsjail-should-fail')).toBe(false);
  });

  test('a config file and flags together', async () => {
    const conf = path.join(tmp, 'ok.conf');
    fs.writeFileSync(conf, '% minijail-config-file v0\n# uts and env from the file\nuts = from-config\nenv-reset\nenv-add = GREETING=hi\n');
    const r = await run(['--config', conf, '-l', '--', '/bin/sh', '-c', 'echo "$(hostname) $GREETING $HOME"']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('from-config hi \n');
  });

  asRoot('-u and -g by name, -G from /etc/group', async () => {
    const r = await run(['-u', 'nobody', '-g', 'nogroup', '-G', '--', 'id']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^uid=65534\(nobody\) gid=65534\(nogroup\) groups=65534\(nogroup\)$/m);
  });

  asRoot('-c with --ambient keeps exactly that capability for a non-root program', async () => {
    const r = await run(['-u', '65534', '-g', '65534', '-c', 'cap_net_bind_service=eip', '--ambient', '--',
      'grep', '-E', '^Cap(Eff|Amb)', '/proc/self/status']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('CapEff:\t0000000000000400\nCapAmb:\t0000000000000400\n');
  });
});

describe('usage', () => {
  test.each([
    [['--bogus', 'true'], /unknown option '--bogus'/],
    [['-b', '/usr', 'true'], /bind mounts \(-b\) need/],
    [['--ambient', '-c', 'zz=e', 'true'], /-c: unknown capability 'zz'/],
    [[], /missing PROGRAM/],
    [['-u', 'no-such-user-xyz', 'true'], /-u: unknown user 'no-such-user-xyz'/],
  ])('%j: exit 2, one message, no stack', async (args, re) => {
    const r = await run(args as string[]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(re);
    expect(r.stderr.startsWith('tsjail: run: ')).toBe(true);
    noStack(r);
  });

  test('a config file error names the file and line', async () => {
    const conf = path.join(tmp, 'bad.conf');
    fs.writeFileSync(conf, '% minijail-config-file v0\n# comment\nns-mount\nno-such-key = 1\n');
    const r = await run(['--config', conf, 'true']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${conf}:4: unknown key 'no-such-key'`);
  });

  test('program arguments are not tsjail options', async () => {
    const r = await run(['--', 'echo', '-V', '--help', '-n']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('-V --help -n\n');
  });

  test('--help documents the groups and exit statuses, exit 0', async () => {
    const r = await run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tsjail run \[options\] \[--\] PROGRAM \[ARGS\.\.\.\]/);
    for (const s of ['Namespace options', 'Seccomp options', '--fs-path-ro', '--time-limit', '--config', 'Exit status']) {
      expect(r.stdout).toContain(s);
    }
    expect((await run(['-h'])).stdout).toBe(r.stdout);
  });

  test('tsjail --help lists run', async () => {
    const r = await tsjail(['--help']);
    expect(r.stdout).toMatch(/\brun\b/);
  });
});
