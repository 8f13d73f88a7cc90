// Process lifecycle of a jail: exit codes and signals propagate, stdio streams, the pid
// namespace hides the host and its init reaps orphans and forwards signals, fds do not leak,
// the time limit ends the whole jail, the pid file names the jail (both enforced by the native
// runtime, which says why the jail ended). As root, and as uid 65534 through user namespaces
// (runSpecUnpriv) where the kernel allows it.
import * as fs from 'fs';
import * as path from 'path';
import { spawn, spawnSync } from 'child_process';
import { spawnJail, startJail } from '../ts/jail/spawn';
import { JailError } from '../ts/jail/errors';
import { Jail } from '../ts/jail/jail';
import { JailSpec } from '../ts/jail/spec';
import { constants as osConstants } from 'os';
import { FORWARDED_SIGNALS } from '../ts/jail/signals';
import { loadAddon } from '../ts/jail/native';
import { NO_ADDON, bundleJail, describeUnless, filter, isRoot, probe, tmpdir, canUnprivUserns, runSpecUnpriv, runSpecWithInheritableFd, INHERITABLE_FD } from './fixtures/jail/helpers';

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

/** Pids of processes whose working directory is dir, other than ours. */
function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (fs.readlinkSync(`/proc/${e}/cwd`) === dir) out.push(Number(e));
    } catch { /* gone, or not ours to read */ }
  }
  return out;
}

/** Wait (at most 10 s) until no process but us works in dir; the pids still there. */
async function drained(dir: string): Promise<number[]> {
  for (let i = 0; i < 200 && processesIn(dir).length; i++) await new Promise((r) => setTimeout(r, 50));
  return processesIn(dir);
}

/** node -e SCRIPT in dir, with the jail bundle as `jail`, the spec as `spec`; its exit. */
function nodeIn(dir: string, script: string, sp: JailSpec): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const bundle = bundleJail();
  const child = spawn(process.execPath, ['-e', `const jail = require(${JSON.stringify(bundle)}); const spec = ${JSON.stringify(sp)};\n${script}`],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

d('startJail: the set-up on the jail\'s own thread, Node\'s loop free', () => {
  test('resolves once the program runs: exit code, stdio, the pid namespace', async () => {
    const p = await startJail(spec(['pid', 'echo-stdin', 'exit:5'], { namespaces: PIDNS }));
    p.stdin!.end('in\n');
    const [out, exit] = await Promise.all([collect(p.stdout), p.exited]);
    expect(out).toBe('pid 2\nin\n');
    expect(exit).toMatchObject({ code: 5, signal: null, reason: 'exit' });
  });

  test('the pid file names the jail when startJail resolves', async () => {
    const dir = tmpdir();
    const pidFile = path.join(dir, 'jail.pid');
    const p = await startJail(spec(['sleep:200'], { namespaces: PIDNS, pidFile }), { stdio: ['ignore', 'ignore', 'ignore'] });
    expect(fs.readFileSync(pidFile, 'utf8')).toBe(`${p.pid}\n`);
    await p.exited;
  });

  test('jails started together all run (32 in flight)', async () => {
    const exits = await Promise.all(Array.from({ length: 32 }, (_, i) =>
      startJail(spec([`exit:${i % 7}`], { namespaces: { user: true, pid: true, net: true } }), { stdio: ['ignore', 'ignore', 'ignore'] })
        .then((p) => p.exited)));
    expect(exits.map((e) => e.code)).toEqual(Array.from({ length: 32 }, (_, i) => i % 7));
  });

  // Every failure is the JailError spawnJail throws (same step, code, detail), now a rejection,
  // and the program never ran. Steps on both sides: the child's own, the ones the jail's thread
  // now runs (the handshake's, the preload window, the pid file after it).
  const bogusPreload = (dir: string) => {
    const f = path.join(dir, 'libtsjailpreload.so');
    fs.writeFileSync(f, 'garbage\n'.repeat(40));
    return f;
  };
  test.each([
    ['mounts: a missing bind source (the child)', (dir: string) => ({ namespaces: { user: true, mount: true },
      filesystem: { mounts: [{ kind: 'bind' as const, source: path.join(dir, 'missing'), target: '/mnt', writable: false, recursive: true }] } }), 'mounts', 'ENOENT'],
    ['id-map: overlapping uid ranges (the parent\'s step, now on the jail thread)', () => ({ namespaces: { user: true },
      user: { uidMap: [{ inside: 0, outside: 0, count: 10 }, { inside: 5, outside: 100, count: 1 }] } }), 'id-map', 'EINVAL'],
    ['cwd: a missing working directory (the child)', (dir: string) => ({ cwd: path.join(dir, 'nowhere') }), 'cwd', 'ENOENT'],
    ['pid-file: an unwritable pid file (the jail thread, after the handshake)', (dir: string) => ({ pidFile: path.join(dir, 'no/such/dir/pid') }), 'pid-file', 'ENOENT'],
    ['preload: no acknowledgement in time (the preload window, on the jail thread)', (dir: string) => ({ noNewPrivs: true,
      seccomp: { bpf: filter({}) }, seccompTiming: 'preload' as const, preloadLibrary: bogusPreload(dir), preloadTimeoutMs: 300 }), 'preload', 'ETIMEDOUT'],
  ])('%s: rejects with the JailError spawnJail throws; nothing ran', async (_name, extra, step, code) => {
    const errors: JailError[] = [];
    const dirs: string[] = [];
    for (const how of ['spawnJail', 'startJail']) {
      const dir = tmpdir();
      dirs.push(dir);
      const marker = path.join(dir, 'ran');
      const sp = spec(['sleep:400', `marker:${marker}`], extra(dir));
      let err: unknown;
      try {
        if (how === 'spawnJail') spawnJail(sp, { stdio: ['ignore', 'ignore', 'ignore'] }).kill('SIGKILL');
        else (await startJail(sp, { stdio: ['ignore', 'ignore', 'ignore'] })).kill('SIGKILL');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(JailError);
      errors.push(err as JailError);
    }
    const fields = (e: JailError) => ({ step: e.step, code: e.code, detail: e.detail?.replace(dirs[0], 'DIR').replace(dirs[1], 'DIR') });
    expect(fields(errors[1])).toEqual(fields(errors[0]));
    expect(errors[1]).toMatchObject({ step, code });
    await new Promise((r) => setTimeout(r, 700));
    for (const dir of dirs) expect(fs.existsSync(path.join(dir, 'ran'))).toBe(false);
  });

  test('the event loop runs while a jail is in its set-up (a preload window that never closes)', async () => {
    const dir = tmpdir();
    const sp = spec(['sleep:5000'], { noNewPrivs: true, seccomp: { bpf: filter({}) }, seccompTiming: 'preload', preloadLibrary: bogusPreload(dir), preloadTimeoutMs: 1500 });
    let ticks = 0;
    const iv = setInterval(() => ticks++, 10);
    const started = startJail(sp, { stdio: ['ignore', 'ignore', 'ignore'] });
    const ticksAtCall = ticks;
    await expect(started).rejects.toMatchObject({ name: 'JailError', step: 'preload', code: 'ETIMEDOUT' });
    clearInterval(iv);
    // spawnJail would have held the loop for the whole window: no tick between call and result.
    expect(ticksAtCall).toBe(0);
    expect(ticks).toBeGreaterThan(10);
  });

  // Attacks on the early return: the launcher goes away while the jail is still being set up.
  // The program (sleep 300 ms, then create a marker) must never run, and no process of the jail
  // may outlive the launcher (every process of it starts in the launcher's working directory).
  // The control row lets the launcher wait: then the marker appears, so the rows can fail.
  const START = `jail.startJail(spec, { stdio: ['ignore', 'ignore', 'ignore'] })`;
  test.each([
    ['control: the launcher waits for the exit', `${START}.then((p) => p.exited).then((e) => console.log(JSON.stringify(e)));`, { code: 0, signal: null }, true],
    ['process.exit() right after the call', `${START}.catch(() => {}); process.exit(0);`, { code: 0, signal: null }, false],
    ['SIGKILL of the launcher right after the call', `${START}.catch(() => {}); process.kill(process.pid, 'SIGKILL');`, { code: null, signal: 'SIGKILL' }, false],
    ['SIGKILL of the launcher in the preload window', `${START}.catch(() => {}); setTimeout(() => process.kill(process.pid, 'SIGKILL'), 150);`, { code: null, signal: 'SIGKILL' }, false],
  ])('the launcher ending mid-setup takes the jail with it: %s', async (name, script, status, ran) => {
    const dir = tmpdir();
    const marker = path.join(dir, 'ran');
    const sp = spec(['sleep:300', `marker:${marker}`], { namespaces: PIDNS, cwd: dir,
      // A library that never acknowledges: the jail stays in the preload window for 5 s.
      ...(name.includes('preload') ? { noNewPrivs: true, seccomp: { bpf: filter({}) }, seccompTiming: 'preload' as const, preloadLibrary: bogusPreload(dir), preloadTimeoutMs: 5000 } : {}) });
    const r = await nodeIn(dir, script, sp);
    expect({ code: r.code, signal: r.signal }).toEqual(status);
    expect(await drained(dir)).toEqual([]);
    await new Promise((res) => setTimeout(res, 500));
    expect(fs.existsSync(marker)).toBe(ran);
  });

  test('a worker ending mid-setup takes its jail with it; the process goes on starting jails', async () => {
    const dir = tmpdir();
    const marker = path.join(dir, 'ran');
    const sp = spec(['sleep:300', `marker:${marker}`], { namespaces: PIDNS, cwd: dir });
    const script = `
      const { Worker } = require('worker_threads');
      const w = new Worker(\`const { parentPort, workerData } = require('worker_threads');
        require(\${JSON.stringify(${JSON.stringify(bundleJail())})}).startJail(workerData, { stdio: ['ignore', 'ignore', 'ignore'] }).catch(() => {});
        parentPort.postMessage('called');\`, { eval: true, workerData: spec });
      w.on('message', () => w.terminate());
      w.on('exit', async () => {
        const again = await jail.startJail({ ...spec, argv: [spec.path, 'exit:7'] }, { stdio: ['ignore', 'ignore', 'ignore'] });
        console.log(JSON.stringify(await again.exited));
      });`;
    const r = await nodeIn(dir, script, sp);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 7, reason: 'exit' });
    expect(await drained(dir)).toEqual([]);
    await new Promise((res) => setTimeout(res, 500));
    expect(fs.existsSync(marker)).toBe(false);
  });

  // The same race many times over: a jail's event (ready, or its JailError) reaching a worker
  // whose environment is being torn down once made node-addon-api abort the whole process
  // ("FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw", a few times in 60 here).
  test('workers terminated while their jails are set up, 60 times, 4 at once: the process lives on', async () => {
    const dir = tmpdir();
    const sp = spec(['sleep:300'], { namespaces: PIDNS, cwd: dir });
    const script = `
      const { Worker } = require('worker_threads');
      let ended = 0;
      const one = () => {
        const w = new Worker(\`const { parentPort, workerData } = require('worker_threads');
          require(\${JSON.stringify(${JSON.stringify(bundleJail())})}).startJail(workerData, { stdio: ['ignore', 'ignore', 'ignore'] }).catch(() => {});
          parentPort.postMessage('called');\`, { eval: true, workerData: spec });
        w.on('message', () => w.terminate());
        w.on('exit', () => { if (++ended < 60) { if (ended <= 56) one(); } else console.log('ended', ended); });
      };
      for (let i = 0; i < 4; i++) one();`;
    const r = await nodeIn(dir, script, sp);
    expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ code: 0, stderr: '', stdout: 'ended 60\n' });
    expect(await drained(dir)).toEqual([]);
  }, 60000);
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
