// Resource steps against the kernel: rlimits (native/child/rlimits.c, child side) and the
// per-jail cgroup (native/parent/cgroup.c, parent side), plus the v1/v2/hybrid detection on
// synthetic /proc texts. Root and uid 65534 where the kernel allows; an unprivileged jail
// without a delegated cgroup must fail with a clear error instead of running unlimited.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DRIVER, NOBODY, WHO, Who, failure, isRoot, requireDriver, runDriver, runSh, tempDir } from '../native/test/driver';
import { spawnSync } from 'child_process';
import { describeUnless, testUnless } from './fixtures/jail/helpers';

const EPERM = 1;
const EACCES = 13;
const EINVAL = 22;
const RLIMIT_FSIZE = 1;
const RLIMIT_NOFILE = 7;
const SIGKILL = 9;
const SIGXFSZ = 25;

beforeAll(() => requireDriver());

/** CAP_SYS_RESOURCE (24) in our effective set: raising a hard rlimit needs it. */
function haveSysResource(): boolean {
  const capEff = /CapEff:\s*([0-9a-f]+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  return (BigInt('0x' + capEff) >> 24n) & 1n ? true : false;
}

/** Python that forks up to 20 sleeping children and prints how many it got, and the errno that stopped it. */
const FORK_20 = `import os, time
kids = []
try:
  for i in range(20):
    pid = os.fork()
    if pid == 0:
      time.sleep(5); os._exit(0)
    kids.append(pid)
except OSError as e:
  print(len(kids), e.errno)
for k in kids: os.kill(k, 9)`;

function currentHardNofile(): number {
  const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
  return Number(line.trim().split(/\s+/)[4]);
}

describe.each(WHO)('rlimits step as $name', (who: Who) => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('tsjail-rl-');
    fs.chmodSync(dir, 0o777);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('limits are visible in /proc/self/limits and enforced', () => {
    const r = runSh(who, ['--rlimit', `${RLIMIT_NOFILE},40,50`, '--rlimit', `${RLIMIT_FSIZE},4096,4096`],
      `grep -E '^Max (open files|file size)' /proc/self/limits | tr -s ' ' | sed 's/ *$//'
       /usr/bin/python3 -c '
import os
n = 0
try:
  while True: os.open("/dev/null", os.O_RDONLY); n += 1
except OSError as e: print("fds", n + 3, e.errno)'
       dd if=/dev/zero of=${dir}/big bs=8192 count=1 2>/dev/null; echo dd-status $?`);
    expect(r.stdout.split('\n')).toEqual([
      'Max file size 4096 4096 bytes',
      'Max open files 40 50 files',
      'fds 40 24', // EMFILE once fds 0..39 are in use
      `dd-status ${128 + SIGXFSZ}`,
      '',
    ]);
    expect(fs.statSync(path.join(dir, 'big')).size).toBe(4096);
  });

  // Root with CAP_SYS_RESOURCE may raise it (some VMs' root lacks the capability; checked below).
  const mayRaise = !who.userns && haveSysResource();
  (mayRaise ? test.skip : test)(`raising a hard limit without CAP_SYS_RESOURCE fails the rlimits step (EPERM); nothing runs${
    mayRaise ? ' [skipped: this root has CAP_SYS_RESOURCE]' : ''}`, () => {
    const hard = currentHardNofile();
    const r = runSh(who, ['--rlimit', `${RLIMIT_FSIZE},1000000,1000000`, '--rlimit', `${RLIMIT_NOFILE},${hard + 1},${hard + 1}`], 'echo ran');
    expect(r.stdout).toBe('');
    expect(failure(r)).toEqual({ step: 'rlimits', errno: EPERM, index: 1 });
  });

  test('a low NOFILE limit does not starve the later steps of fds (it is applied last)', () => {
    // Landlock opens one O_PATH fd per rule plus the ruleset after the other rlimits.
    const rules = ['/usr', '/bin', '/lib', '/lib64', '/etc'].filter((p) => fs.existsSync(p)).flatMap((p) => ['--ll-rx', p]);
    const r = runDriver(who, ['--rlimit', `${RLIMIT_NOFILE},4,4`, ...rules, '--ll-ro', '/proc', '--', '/bin/grep', '^Max open files', '/proc/self/limits']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Max open files +4 +4 +files *\n$/);
  });

  test('soft above hard is rejected (EINVAL) before anything runs', () => {
    const r = runSh(who, ['--rlimit', `${RLIMIT_NOFILE},64,32`], 'echo ran');
    expect(r.stdout).toBe('');
    expect(failure(r)).toEqual({ step: 'rlimits', errno: EINVAL, index: 0 });
  });
});

// ---- cgroups ---------------------------------------------------------------------------

interface Place { version: number; dir: string }
interface Layout { memory: Place; pids: Place; cpu: Place; v2: string }

/** Run the pure detection on the given texts through the driver. */
function detect(mountinfo: string, selfCgroup: string, controllers?: string): Layout | { error: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-cgdetect-'));
  try {
    const files = [['mountinfo', mountinfo], ['cgroup', selfCgroup], ...(controllers !== undefined ? [['controllers', controllers]] : [])];
    for (const [name, text] of files) fs.writeFileSync(path.join(dir, name), text);
    const r = spawnSync(DRIVER, ['--detect', ...files.map(([name]) => path.join(dir, name))], { encoding: 'utf8' });
    const err = /^error (\d+)/.exec(r.stdout);
    if (err) return { error: Number(err[1]) };
    const out: Record<string, unknown> = {};
    for (const line of r.stdout.trim().split('\n')) {
      const [name, a, ...rest] = line.split(' ');
      if (name === 'v2') out.v2 = [a, ...rest].join(' ');
      else out[name] = { version: Number(a), dir: rest.join(' ') };
    }
    return out as unknown as Layout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The layout of this machine, as the driver (and so the runtime) sees it. */
function hostLayout(): Layout {
  const mi = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const cg = fs.readFileSync('/proc/self/cgroup', 'utf8');
  const first = detect(mi, cg) as Layout;
  const ctl = first.v2 ? fs.readFileSync(path.join(first.v2, 'cgroup.controllers'), 'utf8') : undefined;
  return detect(mi, cg, ctl) as Layout;
}

const HYBRID_MOUNTINFO = `22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const HYBRID_CGROUP = `9:name=systemd:/
8:pids:/
4:memory:/process_api/f997346f30de44aa01e8bf8a3bb624c3
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;

describe('cgroup layout detection (synthetic /proc texts)', () => {
  test('hybrid (this VM): memory, pids, cpu on v1 under our own cgroups; v2 offers only hugetlb', () => {
    expect(detect(HYBRID_MOUNTINFO, HYBRID_CGROUP, 'hugetlb\n')).toEqual({
      memory: { version: 1, dir: '/sys/fs/cgroup/memory/process_api/f997346f30de44aa01e8bf8a3bb624c3' },
      pids: { version: 1, dir: '/sys/fs/cgroup/pids' },
      cpu: { version: 1, dir: '/sys/fs/cgroup/cpu' },
      v2: '/sys/fs/cgroup/unified',
    });
  });

  test('pure v2 (current distributions): everything in our own v2 cgroup', () => {
    const mi = '30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n';
    const cg = '0::/user.slice/user-1000.slice/user@1000.service/app.slice/tsjail.scope\n';
    const dir = '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/tsjail.scope';
    expect(detect(mi, cg, 'cpuset cpu io memory pids\n')).toEqual({
      memory: { version: 2, dir }, pids: { version: 2, dir }, cpu: { version: 2, dir }, v2: dir,
    });
    // A controller the parent does not offer is unavailable, not silently assumed.
    expect(detect(mi, cg, 'cpu memory\n')).toMatchObject({ pids: { version: 0, dir: '' } });
  });

  test('v1 co-mounted cpu,cpuacct; cpuset is not mistaken for cpu', () => {
    const mi = `34 31 0:31 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
`;
    const cg = '3:cpuset:/elsewhere\n2:cpu,cpuacct:/jobs/a\n';
    expect(detect(mi, cg)).toMatchObject({ cpu: { version: 1, dir: '/sys/fs/cgroup/cpu,cpuacct/jobs/a' } });
  });

  test('hybrid with memory on v2 and cpu on v1', () => {
    const mi = `32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
`;
    expect(detect(mi, '1:cpu:/\n0::/svc\n', 'memory pids\n')).toEqual({
      memory: { version: 2, dir: '/sys/fs/cgroup/unified/svc' },
      pids: { version: 2, dir: '/sys/fs/cgroup/unified/svc' },
      cpu: { version: 1, dir: '/sys/fs/cgroup/cpu' },
      v2: '/sys/fs/cgroup/unified/svc',
    });
  });

  test('a mount of a sub-cgroup (containers) and escaped mount points', () => {
    const mi = '50 40 0:40 /docker/abc /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw\n';
    expect(detect(mi, '0::/docker/abc/inner\n', 'memory\n')).toMatchObject({
      memory: { version: 2, dir: '/sys/fs/my cgroup/inner' },
    });
    // Our cgroup outside the mounted subtree: fall back to the mount point itself.
    expect(detect(mi, '0::/other\n', 'memory\n')).toMatchObject({ memory: { version: 2, dir: '/sys/fs/my cgroup' } });
  });

  test('no cgroup mounts at all: nothing available; malformed input: EINVAL', () => {
    expect(detect('27 1 254:0 / / rw - ext4 /dev/vda rw\n', '0::/\n')).toEqual({
      memory: { version: 0, dir: '' }, pids: { version: 0, dir: '' }, cpu: { version: 0, dir: '' }, v2: '',
    });
    expect(detect('garbage line\n', '0::/\n')).toEqual({ error: EINVAL });
    expect(detect(HYBRID_MOUNTINFO, 'no colons\n')).toEqual({ error: EINVAL });
  });
});

/** "cgroup-dir: X" lines the driver prints (--print-cgroup) before the program runs. */
function cgroupDirs(stderr: string): string[] {
  return [...stderr.matchAll(/^cgroup-dir: (.*)$/gm)].map((m) => m[1]);
}

const layout = hostLayout();
const haveControllers = layout.memory.version > 0 && layout.pids.version > 0 && layout.cpu.version > 0;
const NO_CONTROLLERS: [boolean, string] = [!haveControllers, 'no memory, pids and cpu cgroup controllers here'];
const rootCgroups = describeUnless([!isRoot, 'needs root'], NO_CONTROLLERS);

rootCgroups('cgroup step as root', () => {
  test('the jail gets its own cgroup under ours in each hierarchy, removed afterwards', () => {
    const r = runDriver(undefined, ['--memory', String(64 << 20), '--pids', '64', '--cpu', '0.5', '--print-cgroup',
      '--', '/bin/cat', '/proc/self/cgroup']);
    expect(r.code).toBe(0);
    const dirs = cgroupDirs(r.stderr);
    const places = [layout.memory, layout.pids, layout.cpu];
    expect(dirs.length).toBe(new Set(places.map((p) => p.dir)).size);
    for (const p of places) {
      expect(dirs.some((d) => path.dirname(d) === p.dir && /^tsjail-\d+-\d+$/.test(path.basename(d)))).toBe(true);
    }
    // The program ran inside them (its /proc/self/cgroup names the jail's cgroups) ...
    for (const d of dirs) expect(r.stdout).toContain(path.basename(d));
    // ... and they are gone.
    for (const d of dirs) expect(fs.existsSync(d)).toBe(false);
  });

  test('exceeding the memory limit gets the program OOM-killed; below it runs', () => {
    const hog = 's = bytearray(b"x") * (256 << 20); print(len(s))';
    const small = 's = bytearray(b"x") * (4 << 20); print(len(s))';
    const killed = runDriver(undefined, ['--memory', String(48 << 20), '--', '/usr/bin/python3', '-c', hog]);
    expect(killed.code).toBe(128 + SIGKILL);
    expect(killed.stdout).toBe('');
    const fine = runDriver(undefined, ['--memory', String(48 << 20), '--', '/usr/bin/python3', '-c', small]);
    expect(fine.stdout).toBe(`${4 << 20}\n`);
  });

  test('exceeding pids.max makes fork fail with EAGAIN', () => {
    const r = runDriver(undefined, ['--pids', '5', '--', '/usr/bin/python3', '-c', FORK_20]);
    // python itself is one of the 5 tasks.
    expect(r.stdout).toBe('4 11\n');
  });

  test('the cpu quota is written (cfs_quota_us/cfs_period_us on v1, cpu.max on v2) and throttles', () => {
    const file = layout.cpu.version === 2 ? 'cpu.max' : 'cpu.cfs_quota_us';
    // The program reads its own cgroup's files: the dir the driver printed is tsjail-<driver pid>-N.
    const r = runDriver(undefined, ['--cpu', '0.2', '--print-cgroup', '--', '/usr/bin/python3', '-c', `import glob, os, time
d = glob.glob(${JSON.stringify(layout.cpu.dir)} + '/tsjail-%d-*' % os.getppid())[0]
print(open(d + '/${file}').read().strip())
${layout.cpu.version === 1 ? "print(open(d + '/cpu.cfs_period_us').read().strip())" : ''}
end = time.time() + 1.0
while time.time() < end: pass
t = os.times()
print('cpu-seconds %.2f' % (t.user + t.system))`]);
    const lines = r.stdout.trim().split('\n');
    if (layout.cpu.version === 2) expect(lines[0]).toBe('20000 100000');
    else expect(lines.slice(0, 2)).toEqual(['20000', '100000']);
    // 20% of a CPU over ~1 s of wall time (contention can only lower it further).
    const used = Number(/cpu-seconds ([\d.]+)/.exec(r.stdout)![1]);
    expect(used).toBeLessThan(0.45);
  });

  test('a stale cgroup is not left behind when the program fails to start', () => {
    const r = runDriver(undefined, ['--pids', '8', '--print-cgroup', '--', '/nonexistent/program']);
    expect(failure(r)).toMatchObject({ step: 'exec' });
    const dirs = cgroupDirs(r.stderr);
    expect(dirs.length).toBeGreaterThan(0);
    for (const d of dirs) expect(fs.existsSync(d)).toBe(false);
  });
});

describe('cgroup step as uid 65534', () => {
  const delegated = haveControllers && [layout.memory.dir, layout.pids.dir, layout.cpu.dir]
    .every((d) => fs.statSync(d).uid === NOBODY);

  testUnless(NO_CONTROLLERS, [delegated, 'the cgroups here are delegated to uid 65534'])(
    'without a delegated cgroup the jail does not start and the error says why', () => {
      const who = WHO.find((w) => w.uid === NOBODY)!;
      const r = runSh(who, ['--memory', String(64 << 20)], 'echo ran');
      expect(r.stdout).toBe('');
      expect(r.code).toBe(125);
      expect(failure(r)).toMatchObject({ step: 'cgroup-create', errno: EACCES });
      expect(r.stderr).toContain(`not delegated to uid ${NOBODY}`);
      expect(r.stderr).toMatch(/Delegate=yes/);
      expect(r.stderr).toContain(layout.memory.dir);
    });
});

// Through the runtime: rlimits in native/child/child.c, the cgroup in the addon's parent part.
describe('through the runtime (Jail.run)', () => {
  const { Jail } = require('../ts/jail/jail') as typeof import('../ts/jail/jail');
  const { releaseIdleCgroups } = require('../ts/jail/spawn') as typeof import('../ts/jail/spawn');

  /**
   * The jail cgroups this process (the jest worker) created and has not removed, once the idle
   * ones kept for reuse are released.
   */
  function leftovers(): string[] {
    releaseIdleCgroups();
    return [layout.memory, layout.pids, layout.cpu].filter((p) => p.version > 0)
      .flatMap((p) => fs.readdirSync(p.dir).filter((n) => n.startsWith(`tsjail-${process.pid}-`)).map((n) => path.join(p.dir, n)));
  }

  test('rlimits by name are in place when the program starts', async () => {
    // NOFILE well above the fds jest holds: see the known bug below (close-fds, EMFILE).
    const r = await new Jail().rlimit({ resource: 'NOFILE', soft: 1000, hard: 2000 }).rlimit({ resource: 'RLIMIT_CORE', soft: 0, hard: 0 })
      .run(['/bin/sh', '-c', "grep -E '^Max (open files|core file size)' /proc/self/limits | tr -s ' ' | sed 's/ *$//'"]);
    expect(r.stdout.toString()).toBe('Max core file size 0 0 bytes\nMax open files 1000 2000 files\n');
  });

  testUnless([!isRoot, 'needs root'], NO_CONTROLLERS)('memory and pids limits hold, and the cgroup is removed afterwards', async () => {
    const oom = await new Jail().namespaces({ pid: true, mount: true }).cgroup({ memory: 48 << 20 })
      .run(['/usr/bin/python3', '-c', 's = bytearray(b"x") * (256 << 20); print(len(s))']);
    expect(oom.stdout.toString()).toBe('');
    // The init reports the program's death by SIGKILL as 128+9; without an init it is the signal.
    expect(oom.code === 128 + SIGKILL || oom.signal === 'SIGKILL').toBe(true);
    const forks = await new Jail().cgroup({ pids: 5 }).run(['/usr/bin/python3', '-c', FORK_20]);
    // Five processes: the init of the jail's pid namespace (every jail has one), python, three
    // children; the fourth fork fails with EAGAIN.
    expect(forks.stdout.toString()).toBe('3 11\n');
    expect(leftovers()).toEqual([]);
  });

  // The launcher's cgroup layout is detected once and kept while /proc/self/cgroup and the
  // directories stay the same (native/parent/cgroup.c): a launcher moved to another cgroup
  // must get its next jail below the new one, not below the remembered one.
  testUnless([!isRoot, 'needs root'], NO_CONTROLLERS)('a launcher moved to another cgroup puts its next jail below the new one', async () => {
    const { startJail } = require('../ts/jail/spawn') as typeof import('../ts/jail/spawn');
    // The jail's cgroup as the host sees it (inside, its cgroup namespace shows "/").
    const jailPidsCgroup = async () => {
      const p = await startJail(new Jail().cgroup({ pids: 64 }).toSpec(['/bin/sleep', '10']), { stdio: ['ignore', 'ignore', 'ignore'] });
      const line = fs.readFileSync(`/proc/${p.pid}/cgroup`, 'utf8').split('\n').find((l) => /^\d+:pids:/.test(l)) ?? '';
      p.kill('SIGKILL');
      await p.exited;
      return line;
    };
    expect(await jailPidsCgroup()).toMatch(new RegExp(`/tsjail-${process.pid}-\\d+$`));
    const own = path.join(layout.pids.dir, `tsjail-test-moved-${process.pid}`);
    fs.mkdirSync(own);
    try {
      fs.writeFileSync(path.join(own, 'cgroup.procs'), String(process.pid));
      expect(await jailPidsCgroup()).toMatch(new RegExp(`/tsjail-test-moved-${process.pid}/tsjail-${process.pid}-\\d+$`));
    } finally {
      fs.writeFileSync(path.join(layout.pids.dir, 'cgroup.procs'), String(process.pid));
      releaseIdleCgroups();
      fs.rmdirSync(own);
    }
    expect(leftovers()).toEqual([]);
  });

  // A memory limit write gives up with EINTR when a signal is pending for the writing thread,
  // and Node lets its handlers run on any thread, the jails' supervisor threads included: a
  // launcher that is signalled often (SIGCHLD from its other children, a signal loop) failed
  // about one jail in 600 at step 'cgroup' before the write was repeated.
  testUnless([!isRoot, 'needs root'], NO_CONTROLLERS)('a launcher flooded with signals still starts every jail with a memory limit', () => {
    // In a Node process of its own (dist/index.cjs), which a shell loop signals without pause.
    const script = `
      const { Jail, startJail } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'index.cjs'))});
      process.on('SIGUSR2', () => {});
      const flood = require('child_process').spawn('/bin/bash', ['-c', 'while kill -USR2 ' + process.pid + ' 2>/dev/null; do :; done'], { stdio: 'ignore' });
      (async () => {
        const spec = new Jail().namespaces({ user: true, pid: true }).cgroup({ memory: 64 << 20, pids: 64 }).toSpec(['/bin/true']);
        const failures = [];
        for (let round = 0; round < 40; round++) {
          await Promise.all(Array.from({ length: 16 }, () => startJail(spec, { stdio: ['ignore', 'ignore', 'ignore'] })
            .then((j) => j.exited).then((e) => { if (e.code !== 0) failures.push('exit ' + (e.code ?? e.signal)); }, (e) => { failures.push(e.message); })));
        }
        flood.once('exit', () => { console.log(JSON.stringify({ started: 640, failures })); process.exit(0); });
        flood.kill('SIGKILL');
      })();`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ started: 640, failures: [] });
    expect(fs.readdirSync(layout.memory.dir).filter((n) => /^tsjail-\d+-/.test(n) && !fs.existsSync(`/proc/${n.split('-')[1]}`))).toEqual([]);
  });
});

// The pool (native/parent/cgroup.h): a jail's cgroup is kept for the next jail with the same
// limits when nothing of the jail is left in it. What a hostile jail could leave behind (a
// process, memory charged to the cgroup) must keep its cgroup from being reused, and counters
// of the last jail must not decide the next one's exit reason.
describe('the pool of idle jail cgroups (through the runtime, as root)', () => {
  const { Jail } = require('../ts/jail/jail') as typeof import('../ts/jail/jail');
  const { startJail, releaseIdleCgroups } = require('../ts/jail/spawn') as typeof import('../ts/jail/spawn');
  const rootTest = testUnless([!isRoot, 'needs root'], NO_CONTROLLERS);
  const quiet = { stdio: ['ignore', 'ignore', 'ignore'] as ['ignore', 'ignore', 'ignore'] };
  /** The host's path of a running jail's cgroup in one hierarchy. */
  const cgroupOf = (pid: number, controller: string, place: { dir: string }) => {
    const line = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller)) ?? '';
    return path.join(place.dir, path.basename(line.split(':')[2] ?? ''));
  };
  afterEach(() => releaseIdleCgroups());

  rootTest('the next jail with the same limits gets the same cgroup, one with other limits another', async () => {
    const runIn = async (pids: number) => {
      const p = await startJail(new Jail().cgroup({ pids }).toSpec(['/bin/sleep', '10']), quiet);
      const dir = cgroupOf(p.pid, 'pids', layout.pids);
      p.kill('SIGKILL');
      await p.exited;
      return dir;
    };
    const first = await runIn(64);
    expect(path.basename(first)).toMatch(new RegExp(`^tsjail-${process.pid}-\\d+$`));
    expect(fs.existsSync(first)).toBe(true); // idle, kept
    expect(await runIn(64)).toBe(first);
    const other = await runIn(65);
    expect(other).not.toBe(first);
    expect(fs.readFileSync(path.join(first, 'pids.max'), 'utf8')).toBe('64\n');
    expect(releaseIdleCgroups()).toBe(2);
    expect(fs.existsSync(first) || fs.existsSync(other)).toBe(false);
  });

  rootTest('a cgroup that still holds a process is not reused: the process is killed and the cgroup removed', async () => {
    // The jail ends by itself (a SIGKILL through the handle would kill its whole cgroup).
    const jail = await startJail(new Jail().cgroup({ pids: 64 }).toSpec(['/bin/sleep', '0.5']), quiet);
    const dir = cgroupOf(jail.pid, 'pids', layout.pids);
    // Something the jail would leave behind: a process in its cgroup outside its pid namespace.
    const stray = require('child_process').spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    const strayExit = new Promise((r) => stray.once('exit', (_c: number, sig: string) => r(sig)));
    fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(stray.pid));
    expect((await jail.exited).code).toBe(0);
    expect(await strayExit).toBe('SIGKILL');
    expect(fs.existsSync(dir)).toBe(false);
    // Alive while its cgroup is looked up (a /bin/true could be gone by then: /proc/PID/cgroup).
    const next = await startJail(new Jail().cgroup({ pids: 64 }).toSpec(['/bin/sleep', '0.3']), quiet);
    const nextDir = cgroupOf(next.pid, 'pids', layout.pids);
    await next.exited;
    expect(nextDir).not.toBe(dir);
  });

  rootTest('a cgroup with memory still charged to it is not reused, and the next jail gets its whole limit', async () => {
    const file = `/dev/shm/tsjail-test-charge-${process.pid}`;
    try {
      // 16 MiB of tmpfs outlive the program and stay charged to its memory cgroup.
      const a = await startJail(new Jail().cgroup({ memory: 64 << 20 }).toSpec(['/bin/sh', '-c', `sleep 0.2; head -c ${16 << 20} /dev/zero > ${file}`]), quiet);
      const dirA = cgroupOf(a.pid, 'memory', layout.memory);
      expect((await a.exited).code).toBe(0);
      expect(fs.statSync(file).size).toBe(16 << 20);
      expect(fs.existsSync(dirA)).toBe(false); // removed: its charge went to the parent
      const b = await new Jail().namespaces({ pid: true, mount: true }).cgroup({ memory: 64 << 20 })
        .run(['/usr/bin/python3', '-c', 's = bytearray(b"x") * (48 << 20); print(len(s) >> 20)']);
      expect(b.stdout.toString()).toBe('48\n');
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  rootTest("a reused cgroup's earlier OOM kill does not make the next jail's SIGKILL a memory-limit exit", async () => {
    const spec = (argv: string[]) => new Jail().namespaces({ pid: true, mount: true }).cgroup({ memory: 128 << 20 }).toSpec(argv);
    const a = await startJail(spec(['/usr/bin/python3', '-c', 'import time; time.sleep(0.2); s = bytearray(b"x") * (512 << 20)']), quiet);
    const dirA = cgroupOf(a.pid, 'memory', layout.memory);
    expect((await a.exited).reason).toBe('memory-limit');
    const b = await startJail(spec(['/bin/sleep', '10']), quiet);
    expect(cgroupOf(b.pid, 'memory', layout.memory)).toBe(dirA); // reused: the OOM count there is 1
    b.kill('SIGKILL');
    const eb = await b.exited;
    // Killed through its handle: a plain signal exit, not the earlier jail's OOM kill.
    expect(eb).toMatchObject({ code: null, signal: 'SIGKILL', reason: 'signal' });
  });

  rootTest('a launcher that exits leaves no idle cgroup behind', () => {
    const script = `
      const { Jail, startJail } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'index.cjs'))});
      (async () => {
        for (let i = 0; i < 3; i++) await (await startJail(new Jail().cgroup({ pids: 64, memory: 64 << 20 }).toSpec(['/bin/true']), { stdio: ['ignore', 'ignore', 'ignore'] })).exited;
        console.log(process.pid);
      })();`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const pid = r.stdout.trim();
    expect(pid).toMatch(/^\d+$/);
    for (const place of [layout.memory, layout.pids]) expect(fs.readdirSync(place.dir).filter((n) => n.startsWith(`tsjail-${pid}-`))).toEqual([]);
  });
});

describe('through the runtime as uid 65534', () => {
  const { runJailAs, cleanupRuntimeAs } = require('../native/test/runtime-as') as typeof import('../native/test/runtime-as');
  afterAll(() => cleanupRuntimeAs());

  test('rlimits apply', () => {
    const ok = runJailAs(NOBODY, { namespaces: { user: true }, rlimits: [{ resource: 'CORE', soft: 0, hard: 0 }] },
      ['/bin/sh', '-c', "grep '^Max core file size' /proc/self/limits | tr -s ' ' | sed 's/ *$//'"]);
    expect(ok.stdout).toBe('Max core file size 0 0 bytes\n');
  });

  // The child applies RLIMIT_NOFILE after closing the fds inherited from Node (child.c), so a
  // limit below the number Node holds does not fail the setup with EMFILE.
  test('a NOFILE limit below the number of fds Node holds still starts the program', () => {
    const ok = runJailAs(NOBODY, { namespaces: { user: true }, rlimits: [{ resource: 'NOFILE', soft: 10, hard: 10 }] },
      ['/bin/sh', '-c', "grep '^Max open files' /proc/self/limits | tr -s ' ' | sed 's/ *$//'"]);
    expect(ok.stdout).toBe('Max open files 10 10 files\n');
  });

  test('raising a hard limit is a JailError at step "rlimits"', () => {
    const hard = currentHardNofile();
    const bad = runJailAs(NOBODY, { namespaces: { user: true }, rlimits: [{ resource: 'NOFILE', soft: hard + 1, hard: hard + 1 }] }, ['/bin/true']);
    expect(bad.error).toMatchObject({ name: 'JailError', step: 'rlimits', code: 'EPERM' });
  });

  const delegated = haveControllers && [layout.memory.dir, layout.pids.dir, layout.cpu.dir]
    .every((d) => fs.statSync(d).uid === NOBODY);
  testUnless(NO_CONTROLLERS, [delegated, 'the cgroups here are delegated to uid 65534'])('a cgroup limit without delegation is a clear JailError; nothing runs', () => {
    const dir = tempDir('tsjail-cgnobody-');
    fs.chmodSync(dir, 0o777);
    try {
      const r = runJailAs(NOBODY, { namespaces: { user: true }, cgroup: { pids: 10 } }, ['/bin/sh', '-c', `touch ${dir}/ran`]);
      expect(r.error).toMatchObject({ name: 'JailError', step: 'cgroup', code: 'EACCES' });
      expect(r.error!.message).toMatch(/not delegated to uid 65534/);
      expect(r.error!.message).toMatch(/Delegate=yes/);
      expect(fs.existsSync(path.join(dir, 'ran'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The cgroup v2 path needs a pure-v2 kernel, which this hybrid machine is not: qemu-v2.sh
// boots one (Debian 12's amd64 kernel, the one `npm run test:cgroup-v2` boots, or
// TSJAIL_V2_KERNEL; a busybox initramfs; ~10 s under TCG) and checks limits, OOM, pids, cleanup,
// the cgroup pool, delegation and Landlock ABI 2 there through the C code itself (jailfs-driver).
const V2_KERNEL = process.env.TSJAIL_V2_KERNEL || '/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/linux';
const hasTool = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
testUnless(
  [process.platform !== 'linux' || process.arch !== 'x64', 'the pure-v2 VM check runs on x86_64 Linux'],
  [!fs.existsSync(V2_KERNEL), `no kernel at ${V2_KERNEL} (apt-get install debian-installer-12-netboot-amd64, or set TSJAIL_V2_KERNEL)`],
  [!hasTool('qemu-system-x86_64'), 'no qemu-system-x86_64 (apt-get install qemu-system-x86)'],
  [!fs.existsSync('/bin/busybox'), 'no /bin/busybox (apt-get install busybox-static)'],
  [!hasTool('cpio'), 'no cpio (apt-get install cpio)'],
)('cgroup v2, its pool and Landlock ABI 2 in a pure-v2 VM (native/test/qemu-v2.sh)', () => {
  const r = spawnSync(path.join(__dirname, '..', 'native', 'test', 'qemu-v2.sh'), [V2_KERNEL], { encoding: 'utf8', timeout: 300000 });
  expect(r.stdout).not.toMatch(/FAIL/);
  expect(r.stdout.match(/^PASS /gm)?.length).toBe(16);
  expect(r.status).toBe(0);
}, 320000);
