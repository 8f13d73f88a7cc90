// Process lifecycle of a jail: exit codes and signals propagate, stdio streams, the pid
// namespace hides the host and its init reaps orphans and forwards signals, fds do not leak,
// the time limit ends the whole jail, the pid file names the jail (both enforced by the native
// runtime, which says why the jail ended). As root, and as uid 65534 through user namespaces
// (runSpecUnpriv) where the kernel allows it.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { spawnJail } from '../ts/jail/spawn';
import { Jail } from '../ts/jail/jail';
import { JailSpec } from '../ts/jail/spec';
import { constants as osConstants } from 'os';
import { FORWARDED_SIGNALS } from '../ts/jail/signals';
import { loadAddon } from '../ts/jail/native';
import { NO_ADDON, describeUnless, isRoot, probe, tmpdir, canUnprivUserns, runSpecUnpriv, runSpecWithInheritableFd, INHERITABLE_FD } from './fixtures/jail/helpers';

const d = describeUnless(NO_ADDON);
const unpriv = canUnprivUserns();
const du = describeUnless(NO_ADDON, [!unpriv, 'uid 65534 cannot create a user namespace here']);

function spec(args: string[], extra: Partial<JailSpec> = {}): JailSpec {
  const p = probe();
  return {
    path: p, argv: [p, ...args], env: [], namespaces: {}, user: {}, noNewPrivs: false,
    filesystem: { mounts: [] }, rlimits: [], preserveFds: [], ...extra,
  };
}

async function collect(s: NodeJS.ReadableStream | null): Promise<string> {
  if (!s) return '';
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

async function run(sp: JailSpec, input = '') {
  const p = spawnJail(sp);
  p.stdin!.end(input);
  const [stdout, stderr, exit] = await Promise.all([collect(p.stdout), collect(p.stderr), p.exited]);
  return { ...exit, stdout, stderr, pid: p.pid };
}

const PIDNS = { user: true, pid: true, mount: true };
const PROC = { mounts: [{ kind: 'proc' as const, target: '/proc', readOnly: false }] };

d('jail lifecycle (as the current user)', () => {
  test.each([
    ['no namespaces', {}],
    ['user+pid namespaces with the init', { namespaces: { user: true, pid: true } }],
    ['program as pid 1', { namespaces: { user: true, pid: true }, programAsInit: true }],
  ])('exit code propagates: %s', async (_name, extra) => {
    const r = await run(spec(['exit:42'], extra as Partial<JailSpec>));
    expect(r).toMatchObject({ code: 42, signal: null, reason: 'exit' });
  });

  test.each([
    ['no namespaces', {}],
    ['with the init', { namespaces: { user: true, pid: true } }],
  ])('a signal death propagates as the signal: %s', async (_n, extra) => {
    const r = await run(spec(['kill-self:15'], extra as Partial<JailSpec>));
    expect(r).toMatchObject({ code: null, signal: 'SIGTERM', reason: 'signal' });
  });

  test.each([
    ['user', 'user'], ['pid', 'pid_for_children'], ['mount', 'mnt'], ['net', 'net'], ['ipc', 'ipc'],
    ['uts', 'uts'], ['cgroup', 'cgroup'], ['time', 'time_for_children'],
  ])('namespaces.%s gives the program a new %s namespace', async (ns, link) => {
    const jailed = link.replace('_for_children', '');
    const ours = fs.readlinkSync(`/proc/self/ns/${jailed}`);
    const r = await run(spec([`ns:${jailed}`], { namespaces: { user: true, [ns]: true } }));
    expect(r.code).toBe(0);
    const theirs = r.stdout.trim().split(' ')[2];
    expect(theirs).toMatch(new RegExp(`^${jailed}:\\[\\d+\\]$`));
    expect(theirs).not.toBe(ours);
  });

  test('a new network namespace has its loopback up', async () => {
    const r = await run(spec(['bind:4000'], { namespaces: { user: true, net: true } }));
    expect(r.stdout.trim()).toBe('bind 0 errno 0');
  });

  test('stdin, stdout and stderr stream', async () => {
    const r = await run(spec(['echo-stdin', 'bogus-command']), 'hello through the jail\n');
    expect(r.stdout).toBe('hello through the jail\n');
    expect(r.stderr).toMatch(/unknown command bogus-command/);
    expect(r.code).toBe(99);
  });

  test('stdio can be a given fd or ignored', async () => {
    const dir = tmpdir();
    const out = path.join(dir, 'out');
    const fd = fs.openSync(out, 'w');
    const p = spawnJail(spec(['pid']), { stdio: ['ignore', fd, 'ignore'] });
    fs.closeSync(fd);
    expect(p.stdout).toBeNull();
    expect(await p.exited).toMatchObject({ code: 0 });
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^pid \d+/);
  });

  test('the pid namespace hides host processes; the program is pid 2 under the init', async () => {
    const r = await run(spec(['pid', 'lsproc', `signal:${process.pid}`], { namespaces: PIDNS, filesystem: PROC }));
    expect(r.stdout).toMatch(/^pid 2$/m);
    expect(r.stdout).toMatch(/^procs 2$/m); // init + program
    expect(r.stdout).toMatch(new RegExp(`^signal -1 errno 3$`, 'm')); // ESRCH: our pid is not there
  });

  test('orphans are reaped by the init', async () => {
    // The orphan exits after 50 ms; if nobody reaped it, it would stay in /proc as a zombie.
    const r = await run(spec(['orphan:50', 'sleep:400', 'lsproc'], { namespaces: PIDNS, filesystem: PROC }));
    expect(r.stdout).toMatch(/^orphaned$/m);
    expect(r.stdout).toMatch(/^procs 2$/m);
    expect(r.code).toBe(0);
  });

  test.each(['SIGTERM', 'SIGUSR1', 'SIGHUP'] as const)('the init forwards %s to the program', async (sig) => {
    const p = spawnJail(spec(sig === 'SIGTERM' ? ['sigwait'] : ['sleep:5000'], { namespaces: { user: true, pid: true } }));
    p.stdin!.end();
    const out = collect(p.stdout);
    await new Promise((r) => setTimeout(r, 200));
    p.kill(sig);
    const exit = await p.exited;
    if (sig === 'SIGTERM') {
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(await out).toMatch(/got 15/);
    } else {
      expect(exit).toMatchObject({ code: null, signal: sig });
    }
  });

  test('a time limit ends the whole jail, orphans included', async () => {
    const dir = tmpdir();
    const t0 = Date.now();
    const r = await run(spec(['orphan:60000', 'sleep:60000'], { namespaces: { user: true, pid: true }, timeLimitMs: 300 }));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r).toMatchObject({ signal: 'SIGKILL', reason: 'time-limit' });
    fs.rmSync(dir, { recursive: true });
  });

  test('only stdio and preserved fds reach the program', async () => {
    const dir = tmpdir();
    const keep = fs.openSync(path.join(dir, 'keep'), 'w');
    const other = fs.openSync(path.join(dir, 'other'), 'w');
    const r = await run(spec(['fds'], { preserveFds: [keep] }));
    fs.closeSync(keep);
    fs.closeSync(other);
    expect(r.stdout.trim()).toBe(`fds 0 1 2 ${keep}`);
  });

  // Node opens its own fds with O_CLOEXEC, so the fd the jail must not inherit is made on
  // purpose: the jail is spawned by a runner process that holds one without O_CLOEXEC.
  test('cannot escape via a leaked fd: an inherited non-CLOEXEC fd of ours is closed too', () => {
    const r = runSpecWithInheritableFd(spec(['fds']));
    expect(r.inheritableFds).toContain(INHERITABLE_FD); // open in the spawner, and would survive exec
    expect(r.stdout.trim()).toBe('fds 0 1 2');
  });

  test('a time limit also ends processes the program left behind (pid namespace)', async () => {
    const dir = tmpdir();
    const marker = path.join(dir, 'late');
    // The orphan would create the marker after 800 ms; the jail is killed at 200 ms.
    const r = await run(spec([`orphan:800,${marker}`, 'sleep:60000'], { namespaces: { user: true, pid: true }, timeLimitMs: 200 }));
    expect(r.signal).toBe('SIGKILL');
    // Without asking for a pid namespace too: every jail has one (docs/runtime.md, "Threat model").
    const marker2 = path.join(dir, 'late2');
    await run(spec([`orphan:300,${marker2}`, 'sleep:60000'], { timeLimitMs: 100 }));
    await new Promise((res) => setTimeout(res, 1200));
    expect(fs.existsSync(marker)).toBe(false);
    expect(fs.existsSync(marker2)).toBe(false);
    // Control: outside a jail the orphan lives on and writes its marker, so the assertions
    // above can fail.
    const marker3 = path.join(dir, 'late3');
    const outside = spawnSync(probe(), [`orphan:100,${marker3}`, 'exit:0']);
    expect(outside.status).toBe(0);
    await new Promise((res) => setTimeout(res, 600));
    expect(fs.existsSync(marker3)).toBe(true);
  });

  test('the pid file names the jail (written by the runtime before spawnJail returns)', async () => {
    const dir = tmpdir();
    const pidFile = path.join(dir, 'jail.pid');
    const p = spawnJail(spec(['exit:0'], { pidFile }));
    expect(fs.readFileSync(pidFile, 'utf8')).toBe(`${p.pid}\n`);
    await p.exited;
  });

  test('a SIGKILL from outside is a signal, not the time limit', async () => {
    const p = spawnJail(spec(['sleep:5000'], { timeLimitMs: 60000 }));
    p.stdin!.end();
    setTimeout(() => p.kill('SIGKILL'), 100);
    expect(await p.exited).toMatchObject({ signal: 'SIGKILL', reason: 'signal' });
  });

  test('the forwarded signals are the runtime\'s list', () => {
    expect(loadAddon().forwardedSignals()).toEqual(FORWARDED_SIGNALS.map((s) => osConstants.signals[s]));
  });

  test('the builder runs and collects', async () => {
    const r = await new Jail().namespaces({ user: true, pid: true }).run([probe(), 'pid', 'exit:3']);
    expect(r).toMatchObject({ code: 3, signal: null });
    expect(r.stdout.toString()).toBe('pid 2\n');
  });

  test('exit is observed without blocking the event loop', async () => {
    const p = spawnJail(spec(['sleep:500'], { namespaces: { user: true, pid: true } }));
    let ticks = 0;
    const iv = setInterval(() => ticks++, 20);
    await p.exited;
    clearInterval(iv);
    expect(ticks).toBeGreaterThan(10);
  });
});

du('jail lifecycle as uid 65534 (user namespace)', () => {
  test('exit code, pid namespace, hostname and stdio', () => {
    const p = probe();
    const r = runSpecUnpriv({
      path: p, argv: [p, 'pid', 'lsproc', 'echo-stdin', 'exit:7'], env: [],
      namespaces: { user: true, pid: true, mount: true, net: true, ipc: true, uts: true, cgroup: true },
      hostname: 'jail', user: {}, noNewPrivs: false, filesystem: PROC, rlimits: [], preserveFds: [],
    }, 'in\n');
    expect(r).toMatchObject({ code: 7, signal: null });
    expect(r.stdout).toBe('pid 2\nprocs 2\nin\n');
  });

  test('a signal death propagates', () => {
    const p = probe();
    const r = runSpecUnpriv({
      path: p, argv: [p, 'kill-self:9'], env: [], namespaces: { user: true, pid: true },
      user: {}, noNewPrivs: false, filesystem: { mounts: [] }, rlimits: [], preserveFds: [],
    });
    expect(r).toMatchObject({ code: null, signal: 'SIGKILL' });
  });

  test('the time limit applies', () => {
    const p = probe();
    const r = runSpecUnpriv({
      path: p, argv: [p, 'sleep:60000'], env: [], namespaces: { user: true, pid: true }, timeLimitMs: 200,
      user: {}, noNewPrivs: false, filesystem: { mounts: [] }, rlimits: [], preserveFds: [],
    });
    expect(r).toMatchObject({ signal: 'SIGKILL', reason: 'time-limit' });
  });
});

if (!isRoot) test.skip('root-only variants [skipped: not running as root]', () => undefined);
