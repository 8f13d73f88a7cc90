// The preload window's mediation (native/parent/mediate.c, docs/runtime.md "The preload
// window"): what a program gets from the supervisor before the exact filter is in place. The
// probe (test/fixtures/jail/window-probe.c) is static but started on the preload path
// (--elf-type dynamic), so it never runs the preload library and all of its code runs in the
// window, under a policy that allows only writes to 1/2 and exit_group: every other call it
// makes is the supervisor's to decide. Real children, through `tsjail run`, as root and as uid
// 65534 (in a user namespace).
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, compileFixture, execCollect, isRoot, tmpdir } from './fixtures/jail/helpers';

const BIN = path.join(ROOT, 'bin', 'tsjail');
const hasCli = fs.existsSync(path.join(ROOT, 'dist', 'cli.cjs'));
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const x86 = process.arch === 'x64';
const NR = x86 ? { openat: 257, execve: 59, mmap: 9 } : { openat: 56, execve: 221, mmap: 222 };
const NAME: Record<number, string> = Object.fromEntries(Object.entries(NR).map(([name, nr]) => [nr, name]));

/** The C library /bin/true loads: an ELF shared object every jail here can reach. */
function libc(): string {
  const m = /=> (\S+libc\.so\.6) /.exec(execFileSync('ldd', ['/bin/true']).toString());
  if (!m) throw new Error('cannot find the C library of /bin/true');
  return m[1];
}

const PROBE = () => compileFixture('window-probe.c', 'window-probe', ['-static', '-Wall', '-Werror']);
const WINDOW_KILL = (nr: number) => new RegExp(`^tsjail: jail setup failed at preload: .*\\(syscall ${NAME[nr]} \\(${nr}\\), denied by the policy, was made before the preload library took over\\)`, 'm');
const NEVER_RAN = /^tsjail: jail setup failed at preload: .*\(the program started without running the preload library\)/m;

let work = '';
let policy = '';

beforeAll(() => {
  work = tmpdir();
  fs.chmodSync(work, 0o755);
  policy = path.join(work, 'write-only.policy');
  fs.writeFileSync(policy, 'write: arg0 == 1 || arg0 == 2\nexit_group: 1\n', { mode: 0o644 });
  PROBE();
});
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const USERS: Array<[string, string[], string[], string | undefined]> = [
  ['root', [], [], isRoot ? undefined : 'needs root'],
  ['uid 65534', ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], ['-U'], !isRoot || !hasSetpriv ? 'needs root and setpriv' : undefined],
];

describe.each(USERS)('the preload window as %s', (_user, wrap, flags, userSkip) => {
  const skip = userSkip ?? (hasCli ? undefined : 'dist/cli.cjs is not built');
  const t = skip ? test.skip : test;
  if (skip) test(`skipped: ${skip}`, () => undefined);

  const window = (args: string[], extra: string[] = []) =>
    execCollect([...wrap, process.execPath, BIN, 'run', ...flags, ...extra, '--elf-type', 'dynamic', '-S', policy, '--', PROBE(), ...args]);

  t('a read-only open of an ELF shared object is done by the supervisor and handed over; the jail still fails closed', async () => {
    const r = await window(['elf', libc()]);
    expect(r.stdout).toBe(`opened ${libc()}: ELF\ndone\n`);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(NEVER_RAN);
  });

  t('a path that does not exist gets ENOENT (the loader searches its paths)', async () => {
    const r = await window(['open', path.join(work, 'nothing-here.so')]);
    expect(r.stdout).toBe(`open ${path.join(work, 'nothing-here.so')}: ENOENT\ndone\n`);
    expect(r.stderr).toMatch(NEVER_RAN);
  });

  t('a read-only open of a file that is not loadable is the policy\'s kill, named', async () => {
    const secret = path.join(work, 'secret.txt');
    fs.writeFileSync(secret, 'not for the jail\n', { mode: 0o644 });
    const r = await window(['open', secret]);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(WINDOW_KILL(NR.openat));
  });

  t('a write-open is the policy\'s kill, and nothing is created', async () => {
    const target = path.join(work, `created-${wrap.length}`);
    const r = await window(['write-open', target]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(WINDOW_KILL(NR.openat));
    expect(fs.existsSync(target)).toBe(false);
  });

  t('a magic link (/proc/1/root/...) is refused even to an ELF shared object', async () => {
    // Every jail here has a pid namespace and its own /proc (the runtime's default), whose pid 1
    // is the jail's init: /proc/1/root is a magic link the supervisor resolves in the jail's
    // root, and RESOLVE_NO_MAGICLINKS refuses it, so the open is the policy's kill.
    const r = await window(['elf', `/proc/1/root${libc()}`]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(WINDOW_KILL(NR.openat));
  });

  t('a second execve is the policy\'s kill: the jail\'s own was the only one', async () => {
    const r = await window(['exec', '/bin/true']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(WINDOW_KILL(NR.execve));
  });

  t('a shared mapping is not the loader\'s: the policy\'s kill', async () => {
    const r = await window(['mmap-shared']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(WINDOW_KILL(NR.mmap));
  });

  t('closing the status socket without the exact filter ends the jail, with what the kernel showed', async () => {
    const r = await window(['close-status']);
    expect(r.stdout).toMatch(/^closing the status socket \d+\n$/);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/^tsjail: jail setup failed at preload: .*\(the status socket was closed before the exact filter was in place: thread \d+ has 1 seccomp filters, 2 expected\)/m);
  });

  t('a time limit ends a jail stuck in the window (a read of a pipe that never ends)', async () => {
    // stdin is a FIFO we hold open for writing too, so the jail's read never ends by itself.
    const fifo = path.join(work, `fifo-${wrap.length}`);
    execFileSync('mkfifo', ['-m', '0666', fifo]);
    const fd = fs.openSync(fifo, 'r+');
    const r = await new Promise<{ status: number; stdout: string; stderr: string; ms: number }>((resolve) => {
      const began = Date.now();
      const argv = [...wrap, process.execPath, BIN, 'run', ...flags, '--time-limit', '300ms', '--elf-type', 'dynamic', '-S', policy, '--', PROBE(), 'wait-stdin'];
      const child = spawn(argv[0], argv.slice(1), { stdio: [fd, 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => (stdout += d));
      child.stderr!.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('close', (code) => { clearTimeout(timer); resolve({ status: code ?? -1, stdout, stderr, ms: Date.now() - began }); });
    });
    fs.closeSync(fd);
    expect(r.stdout).toBe('waiting\n');
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/^tsjail: jail setup failed at preload: .*\(the time limit passed before the exact filter was in place\)/m);
    expect(r.ms).toBeGreaterThanOrEqual(300);
  });
});

describe('the policy\'s errno verdicts, in the window and after it', () => {
  const skip = !hasCli ? 'dist/cli.cjs is not built' : undefined;
  const t = skip ? test.skip : test;
  if (skip) test(`skipped: ${skip}`, () => undefined);

  t('in the window an errno verdict is the supervisor\'s answer, and the program carries on', async () => {
    // openat is denied with EACCES: a loadable file is still handed over (the loader's), any
    // other open gets the policy's errno, not a kill.
    const errnoPolicy = path.join(work, 'openat-errno.policy');
    fs.writeFileSync(errnoPolicy, 'write: arg0 == 1 || arg0 == 2\nexit_group: 1\nopenat: return 13\n', { mode: 0o644 });
    const run = (args: string[]) => execCollect([process.execPath, BIN, 'run', '--elf-type', 'dynamic', '-S', errnoPolicy, '--', PROBE(), ...args]);
    const denied = await run(['open', '/etc/passwd']);
    expect(denied.stdout).toBe('open /etc/passwd: EACCES\ndone\n');
    expect(denied.stderr).toMatch(NEVER_RAN);
    const loader = await run(['elf', libc()]);
    expect(loader.stdout).toBe(`opened ${libc()}: ELF\ndone\n`);
  });

  t('after the window the exact filter\'s errno outranks the gate\'s notification: the call fails, the program exits 0', async () => {
    const lateCalls = compileFixture('late-calls.c', 'late-calls', ['-Wall']);
    const errnoPolicy = path.join(work, 'getppid-errno.policy');
    fs.writeFileSync(errnoPolicy, 'write: 1\nexit_group: 1\ngetppid: return 1\n', { mode: 0o644 });
    const r = await execCollect([process.execPath, BIN, 'run', '-S', errnoPolicy, '--', lateCalls, 'getppid']);
    expect(r).toMatchObject({ status: 0, stdout: 'main\ngetppid returned -1 errno 1\n', stderr: '' });
  });
});

describe('the preload window: file permissions', () => {
  const skip = !isRoot ? 'needs root' : !hasCli ? 'dist/cli.cjs is not built' : undefined;
  (skip ? test.skip : test)(`an ELF shared object the program's ids may not read gets EACCES${skip ? ` [skipped: ${skip}]` : ''}`, async () => {
    // Root's supervisor could open it; the jail's uid 65534 could not, so neither may the window.
    const dir = path.join(work, 'private');
    fs.mkdirSync(dir, { mode: 0o755 });
    const lib = path.join(dir, 'libprivate.so');
    fs.copyFileSync(libc(), lib);
    fs.chmodSync(lib, 0o600);
    const r = await execCollect([process.execPath, BIN, 'run', '-u', '65534', '-g', '65534', '--elf-type', 'dynamic', '-S', policy, '--', PROBE(), 'elf', lib]);
    expect(r.stdout).toBe(`open ${lib}: EACCES\ndone\n`);
    expect(r.stderr).toMatch(NEVER_RAN);
    // Control: readable by its ids, the same file is handed over.
    fs.chmodSync(lib, 0o644);
    const ok = await execCollect([process.execPath, BIN, 'run', '-u', '65534', '-g', '65534', '--elf-type', 'dynamic', '-S', policy, '--', PROBE(), 'elf', lib]);
    expect(ok.stdout).toBe(`opened ${lib}: ELF\ndone\n`);
  });
});
