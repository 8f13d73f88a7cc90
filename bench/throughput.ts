// Part "throughput": the launch path under load. From this one Node process, N jails
// of /bin/true (default 2,000 per variant) with user+pid+mount+net+ipc+uts namespaces, at most
// 32 in flight, through the tsjail Node API; the same through bwrap driven the same way
// (child_process.spawn, 32 in flight); and both again with limits. Reported per variant: jails
// per second (all blocks, and the quietest block), latency from the start call to the exit
// notification, how long each start call blocks the event loop, CPU per jail (this process and
// its children), the machine's context switches per jail, and leak checks (every start exited 0, fds and threads of this process, cgroup
// directories left, zombies). The variants run in interleaved blocks (round-robin, rotating
// order) so background load on the shared machine hits every variant alike.
//
// A second section times the Node side of one start without starting anything (the builder,
// validation, the jail file spawnJail encodes, policy compilation per jail vs once), and a
// third repeats the plain and limited runs as uid 65534 in a child process (unprivileged user
// namespaces), where that applies.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { cpus, tmpdir } from 'os';
import * as path from 'path';
import { compilePolicy } from '../ts/policy/compile';
import { Jail } from '../ts/jail/jail';
import { JailExit, JailProcess, StdioOption, releaseIdleCgroups, startJail } from '../ts/jail/spawn';
import { JailSpec } from '../ts/jail/spec';
import { validateSpec } from '../ts/jail/validate';
import { encodeJailFile, encodeValidatedJailFile } from '../ts/jail/jailfile';
import { NATIVE, RESULTS, WORK } from './paths';
import { Summary, fmt, nowUs, summarize } from './stats';
import { neededWithLoaderPolicy } from './syscall-policy';
import { probeJail } from './spawn';

const TRUE = '/bin/true';
const NAMESPACES = { user: true, pid: true, mount: true, net: true, ipc: true, uts: true };
export const DEFAULT_JAILS = 2000;
const CONCURRENCY = 32;
/** Blocks per variant: the runs are split so that every variant sees every phase of the load. */
const BLOCKS = 10;
/** The limits of the limited variants. /bin/true never reaches them. */
const CGROUP_LIMITS = { pids: 64, memory: 64 * 1024 * 1024 };
const TIME_LIMIT_MS = 10_000;
/** A jail still running after this long is killed and counted as failed (a watchdog, not a limit). */
const WATCHDOG_MS = 30_000;
/** The uid of the unprivileged run. */
const NOBODY = 65534;

type Group = 'plain' | 'limits' | 'breakdown' | 'launcher';
type Tool = 'tsjail' | 'bwrap' | 'tsjail-exec';

interface Started {
  /** Resolves when the program exited with status 0; rejects with the reason otherwise. */
  done: Promise<void>;
  kill: () => void;
}

interface TpVariant {
  name: string;
  tool: Tool;
  group: Group;
  description: string;
  /** Start one jail (synchronously: the time this call blocks is measured). */
  start: () => Started;
  /** Start one and keep stderr, to explain a failure of the probe run. */
  explain?: () => Promise<string | undefined>;
}

export interface BlockResult {
  round: number;
  n: number;
  ok: number;
  failed: number;
  seconds: number;
  jailsPerSecond: number;
  /** CPU time per jail in this process and in its (waited-for) children, ms. */
  cpuSelfMs: number;
  cpuChildrenMs: number;
  /** After the block, once every exit was delivered. */
  fds: number;
  threads: number;
  zombies: number;
  cgroupsLeft: number;
  load1: number;
  /**
   * Busy CPU of the whole machine (/proc/stat) outside this process and its waited-for
   * children, as a share of all cores over the block: the other work on the shared machine
   * (plus kernel threads working for the jails, e.g. network namespace clean-up).
   */
  otherCpu: number;
  /**
   * Context switches of the whole machine during the block (/proc/stat ctxt) per jail: the
   * hand-offs a jail costs (clone, release, each seccomp notification and its answer, the exit's
   * wake-ups), plus other work's (see otherCpu).
   */
  ctxtPerJail: number;
}

export interface TpVariantResult {
  name: string;
  tool: Tool;
  group: Group;
  description: string;
  skipped?: string;
  /** Jails started, exited 0, failed (any other exit, a start that threw, the watchdog). */
  started?: number;
  ok?: number;
  failed?: number;
  firstFailure?: string;
  /** All jails / all block time. */
  jailsPerSecond?: number;
  /** The block with the highest rate (the least disturbed by other work on the machine). */
  bestBlockJailsPerSecond?: number;
  blocks?: BlockResult[];
  /** ms from the start call to the exit notification, over every jail that exited 0. */
  latencyMs?: Summary;
  /** ms the start call itself blocked the event loop, over every start. */
  startCallMs?: Summary;
  cpuSelfMsPerJail?: number;
  cpuChildrenMsPerJail?: number;
  /** Machine-wide context switches per jail over all blocks (BlockResult.ctxtPerJail). */
  ctxtPerJail?: number;
}

export interface LeakCheck {
  fdsBefore: number;
  fdsAfter: number;
  threadsBefore: number;
  threadsAfter: number;
  /** Children of the bench process in state Z after the run. */
  zombies: number;
  /** Idle cgroups the runtime kept for reuse at the end, removed by releaseIdleCgroups(). */
  cgroupsIdle: number;
  /** tsjail-<bench pid>-* directories anywhere under /sys/fs/cgroup after the run, once those are released. */
  cgroupsLeft: number;
  cgroupRoot: string;
  /** No fd, thread, cgroup or zombie left behind (failed starts are counted apart). */
  clean: boolean;
}

export interface TpRun {
  uid: number;
  jailsPerVariant: number;
  concurrency: number;
  blocks: number;
  variants: TpVariantResult[];
  leaks: LeakCheck;
  /** Every start of every variant that ran exited 0. */
  allExited0: boolean;
  /** The round (one block of every variant) with the least other work on the machine. */
  quietestRound?: { round: number; otherCpu: number; jailsPerSecond: Record<string, number> };
  targets: {
    /** tsjail / bwrap jails per second (all blocks); target >= 1.3. */
    vsBwrap?: number;
    /** The same in the quietest round (below). */
    vsBwrapQuietest?: number;
    /** 1 - tsjail-limits / tsjail; target <= 0.15. */
    limitsCost?: number;
    limitsCostQuietest?: number;
    /** Median over rounds of the ratio within each round (paired: the blocks ran back to back). */
    vsBwrapRoundMedian?: number;
    limitsCostRoundMedian?: number;
    bwrapLimitsCost?: number;
    /** The same two for tsjail-exec driven like bwrap (what a launch outside Node's main thread gives). */
    execVsBwrap?: number;
    execLimitsCost?: number;
  };
  seconds: number;
}

export interface NodeSideRow {
  name: string;
  description: string;
  /** µs per operation: median over repetitions of a timed loop. */
  us: number;
  usAll: number[];
  iterations: number;
}

export interface ThroughputResult {
  part: 'throughput';
  policy: { syscalls: number; names: string[]; insns: number };
  cgroupLimits: typeof CGROUP_LIMITS;
  timeLimitMs: number;
  root: TpRun;
  nobody?: TpRun;
  nobodySkipped?: string;
  nodeSide: NodeSideRow[];
  seconds: number;
}

// ---- process state for the leak checks ----------------------------------------------------

const countDir = (dir: string): number => {
  try {
    return readdirSync(dir).length;
  } catch {
    return -1;
  }
};

/** Children of this process in state Z (a zombie is a child nobody has reaped). */
function zombieChildren(): number {
  let n = 0;
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' && Number(rest[1]) === process.pid) n++;
  }
  return n;
}

/** Directories named tsjail-<pid>-* (the runtime's per-jail cgroups) under root, any depth. */
function cgroupsLeftBy(pid: number, root = '/sys/fs/cgroup'): number {
  const prefix = `tsjail-${pid}-`;
  let n = 0;
  const walk = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (e.name.startsWith(prefix)) n++;
      if (depth < 8) walk(path.join(dir, e.name), depth + 1);
    }
  };
  walk(root, 0);
  return n;
}

let clkTck = 0;
/** CPU ms of this process and of its waited-for children (/proc/self/stat, clock ticks). */
function cpuMs(): { self: number; children: number } {
  if (!clkTck) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    clkTck = Number(r.stdout) || 100;
  }
  const rest = readFileSync('/proc/self/stat', 'utf8');
  const f = rest.slice(rest.lastIndexOf(')') + 2).split(' ');
  // Fields 16-17 of proc(5)'s stat = cutime cstime; index 13-14 here (field 3, the state, is 0).
  const children = ((Number(f[13]) + Number(f[14])) * 1000) / clkTck;
  const u = process.cpuUsage();
  return { self: (u.user + u.system) / 1000, children };
}

/** Context switches of all CPUs since boot (/proc/stat's ctxt line). */
function machineContextSwitches(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('ctxt '));
  return line ? Number(line.slice(5)) : NaN;
}

/** Busy ms of all CPUs since boot (/proc/stat: everything but idle and iowait). */
function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return ((user + nice + system + irq + softirq + (steal ?? 0)) * 1000) / (clkTck || 100);
}

const CORES = Math.max(1, cpus().length);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The fd count once the last exit's finalizers ran (they close the pidfd after the callback). */
async function settledFds(baseline: number): Promise<number> {
  let fds = countDir('/proc/self/fd');
  for (let i = 0; i < 20 && fds > baseline; i++) {
    await sleep(25);
    fds = countDir('/proc/self/fd');
  }
  return fds;
}

// ---- the variants -------------------------------------------------------------------------

interface TsjailOptions {
  cgroup?: boolean;
  seccomp?: Uint8Array;
  timing?: 'exec' | 'preload';
  timeLimit?: boolean;
  /** spawnJail, which holds the event loop until the program runs, instead of startJail. */
  blocking?: boolean;
}

function tsjailStart(o: TsjailOptions): Started {
  const jail = new Jail().namespaces(NAMESPACES);
  if (o.cgroup) jail.cgroup(CGROUP_LIMITS);
  if (o.seccomp) jail.seccomp(o.seccomp, o.timing ? { timing: o.timing } : {});
  if (o.timeLimit) jail.timeLimit(TIME_LIMIT_MS);
  const stdio: StdioOption[] = ['ignore', 'ignore', 'ignore'];
  const check = (e: JailExit) => {
    if (e.code !== 0) throw new Error(`ended with ${e.code ?? e.signal}${e.violation ? ` (seccomp stopped ${e.violation.syscall ?? e.violation.nr})` : ''}`);
  };
  if (o.blocking) {
    const p = jail.spawn([TRUE], { stdio });
    return { done: p.exited.then(check), kill: () => p.kill('SIGKILL') };
  }
  // startJail directly rather than Jail.start, whose await of prepare() would move the start
  // call out of the synchronous part the driver times. Until it resolves there is no handle to
  // kill: a set-up that hangs ends at the runtime's preload timeout.
  let handle: JailProcess | undefined;
  const started = startJail(jail.toSpec([TRUE]), { stdio });
  return {
    done: started.then((p) => {
      handle = p;
      return p.exited;
    }).then(check),
    kill: () => handle?.kill('SIGKILL'),
  };
}

// The same namespaces as the tsjail variants, plus what bwrap can add of the containment tsjail
// gives every jail: its own session (setsid) and death with the parent (PDEATHSIG). bwrap sets
// no_new_privs itself and runs its own pid 1 in the pid namespace. It has no Landlock domain, no
// session keyring and no rlimits.
const BWRAP_NS = ['--unshare-user', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--bind', '/', '/', '--new-session', '--die-with-parent'];

/** A command started by child_process.spawn, as bwrap and tsjail-exec are driven. */
interface Command {
  file: string;
  args: string[];
  /** Handed to the child as fd 3 (bwrap --seccomp 3). */
  fdFile?: string;
  /** The driver's time limit: Node kills the command after TIME_LIMIT_MS. */
  timeLimit?: boolean;
}

function bwrapCommand(o: { bpfFile?: string; timeLimit?: boolean; cgroupNs?: boolean }): Command {
  // bwrap has no time limit of its own: the driver's kill, and --die-with-parent takes the
  // sandbox with it. It cannot make a cgroup; it can unshare the cgroup namespace, as tsjail
  // does for a jail with a cgroup.
  return {
    file: 'bwrap',
    args: [...BWRAP_NS, ...(o.cgroupNs ? ['--unshare-cgroup'] : []), ...(o.bpfFile ? ['--seccomp', '3'] : []), TRUE],
    fdFile: o.bpfFile,
    timeLimit: o.timeLimit,
  };
}

function commandSpawn(c: Command, stderr: 'ignore' | 'pipe'): ChildProcess {
  const fd = c.fdFile ? openSync(c.fdFile, 'r') : undefined;
  try {
    return spawn(c.file, c.args, {
      stdio: ['ignore', 'ignore', stderr, ...(fd === undefined ? [] : [fd])],
      ...(c.timeLimit ? { timeout: TIME_LIMIT_MS, killSignal: 'SIGKILL' as const } : {}),
    });
  } finally {
    if (fd !== undefined) closeSync(fd); // the child has its copy
  }
}

function exitPromise(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${what} exited with ${code ?? signal}`))));
  });
}

function commandStart(c: Command): Started {
  const child = commandSpawn(c, 'ignore');
  return { done: exitPromise(child, c.file), kill: () => child.kill('SIGKILL') };
}

async function commandExplain(c: Command): Promise<string | undefined> {
  const child = commandSpawn(c, 'pipe');
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { if (err.length < 4096) err += d.toString(); });
  try {
    await exitPromise(child, c.file);
    return undefined;
  } catch (e) {
    return `${e instanceof Error ? e.message : String(e)}${err ? ': ' + err.trim().split('\n').slice(-2).join(' / ') : ''}`;
  }
}

async function tsjailExplain(o: TsjailOptions): Promise<string | undefined> {
  try {
    await tsjailStart(o).done;
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** The jail files tsjail-exec runs: the spec of the tsjail and tsjail-limits variants. */
export interface JailFiles {
  plain: string;
  limits: string;
}

export function writeJailFiles(dir: string, bpf: Uint8Array): JailFiles {
  const spec = (limits: boolean) => {
    const j = new Jail().namespaces(NAMESPACES);
    if (limits) j.cgroup(CGROUP_LIMITS).seccomp(bpf).timeLimit(TIME_LIMIT_MS);
    return j.toSpec([TRUE]);
  };
  const files = { plain: path.join(dir, 'throughput-plain.jail'), limits: path.join(dir, 'throughput-limits.jail') };
  writeFileSync(files.plain, encodeJailFile(spec(false)), { mode: 0o644 });
  writeFileSync(files.limits, encodeJailFile(spec(true)), { mode: 0o644 });
  return files;
}

function variants(bpf: Uint8Array, bpfFile: string, policySize: number, jailFiles: JailFiles | undefined, withBreakdown: boolean): TpVariant[] {
  const ns = 'user+pid+mount+net+ipc+uts namespaces';
  const limits = `cgroup pids.max ${CGROUP_LIMITS.pids} + memory ${CGROUP_LIMITS.memory / 1048576} MiB, the ${policySize}-syscall policy, time limit ${TIME_LIMIT_MS / 1000} s`;
  const t = (name: string, group: Group, description: string, o: TsjailOptions): TpVariant =>
    ({ name, tool: 'tsjail', group, description, start: () => tsjailStart(o), explain: () => tsjailExplain(o) });
  const c = (name: string, group: Group, description: string, cmd: Command): TpVariant =>
    ({ name, tool: cmd.file === 'bwrap' ? 'bwrap' : 'tsjail-exec', group, description: `${description}: ${cmd.file === 'bwrap' ? 'bwrap' : 'tsjail-exec'} ${cmd.args.join(' ').replace(' 3 ', ' FD ')}`,
      start: () => commandStart(cmd), explain: () => commandExplain(cmd) });
  const out: TpVariant[] = [
    t('tsjail', 'plain', `startJail(Jail().namespaces(${ns}).toSpec(/bin/true)), stdio ignored; no mounts (the mount namespace is a private copy of ours); ` +
      `the runtime's defaults: tsjail's init as pid 1, its own session, PDEATHSIG, no_new_privs, a Landlock domain with the signal and abstract-socket scopes, ` +
      `a fresh session keyring, RLIMIT_CORE 0, RLIMIT_NPROC 1024 (the default pid ceiling in a user namespace), lo up in the new network namespace`, {}),
    c('bwrap', 'plain', `${ns}, its own session, die with the parent (no_new_privs and an init of its own are bwrap's defaults); bwrap always builds a new root (tmpfs, pivot_root), here a recursive bind of /`, bwrapCommand({})),
    t('tsjail-limits', 'limits', `the same + ${limits}: a cgroup in the pids and memory hierarchies per jail (made or reused from the pool, limited, attached, returned to the pool or removed), ` +
      `a cgroup namespace and every cgroup hierarchy covered read-only (one cover over a tmpfs /sys/fs/cgroup holding them); the policy allows the loader's calls, so seccompTiming 'auto' installs it before execve (/bin/true is dynamic; no preload window)`, { cgroup: true, seccomp: bpf, timeLimit: true }),
    c('bwrap-limits', 'limits', `the same + the same BPF by --seccomp, a cgroup namespace, a driver time limit (spawn timeout); no cgroup (bwrap cannot make one)`, bwrapCommand({ bpfFile, timeLimit: true, cgroupNs: true })),
  ];
  if (withBreakdown) {
    out.push(
      t('tsjail-blocking', 'breakdown', `tsjail started by spawnJail, which holds the event loop through the set-up`, { blocking: true }),
      t('tsjail-limits-blocking', 'breakdown', `tsjail-limits started by spawnJail`, { cgroup: true, seccomp: bpf, timeLimit: true, blocking: true }),
      t('tsjail-cgroup', 'breakdown', `tsjail + the cgroup only (pids + memory)`, { cgroup: true }),
      t('tsjail-limits-window', 'breakdown', `tsjail-limits with seccompTiming 'preload': the preload handshake a policy that leaves the loader's calls out needs`, { cgroup: true, seccomp: bpf, timeLimit: true, timing: 'preload' }),
      t('tsjail-seccomp', 'breakdown', `tsjail + the policy only (seccompTiming 'auto': before execve)`, { seccomp: bpf }),
      t('tsjail-seccomp-preload', 'breakdown', `tsjail + the policy only, seccompTiming 'preload' (the preload handshake)`, { seccomp: bpf, timing: 'preload' }),
      t('tsjail-timelimit', 'breakdown', `tsjail + the time limit only`, { timeLimit: true }),
    );
  }
  if (jailFiles) {
    out.push(
      c('tsjail-exec', 'launcher', `the tsjail variant's spec as a jail file, run by the Node-free launcher, driven like bwrap (child_process.spawn)`, { file: path.join(NATIVE, 'tsjail-exec'), args: [jailFiles.plain] }),
      c('tsjail-exec-limits', 'launcher', `the tsjail-limits variant's spec as a jail file (the launcher enforces the time limit itself), driven like bwrap`, { file: path.join(NATIVE, 'tsjail-exec'), args: [jailFiles.limits] }),
    );
  }
  return out;
}

// ---- the driver ---------------------------------------------------------------------------

interface BlockSamples {
  latency: number[];
  startCall: number[];
  failures: string[];
}

/** n starts of one variant, at most CONCURRENCY in flight; the next starts as soon as one ends. */
async function runBlock(v: TpVariant, n: number, round: number, samples: BlockSamples, baselineFds: number): Promise<BlockResult> {
  const inFlight = new Map<number, { t: number; kill: () => void }>();
  let ok = 0;
  let failed = 0;
  const cpu0 = cpuMs();
  const busy0 = machineBusyMs();
  const ctxt0 = machineContextSwitches();
  const t0 = nowUs();
  await new Promise<void>((resolve) => {
    let started = 0;
    const watchdog = setInterval(() => {
      const now = nowUs();
      for (const j of inFlight.values()) if (now - j.t > WATCHDOG_MS * 1000) j.kill();
    }, 1000);
    const finishIfDone = () => {
      if (started < n || inFlight.size > 0) return false;
      clearInterval(watchdog);
      resolve();
      return true;
    };
    const end = (id: number) => {
      inFlight.delete(id);
      if (!finishIfDone()) fill();
    };
    const fill = () => {
      while (inFlight.size < CONCURRENCY && started < n) {
        const id = started++;
        const t = nowUs();
        let s: Started;
        try {
          s = v.start();
        } catch (e) {
          failed++;
          if (samples.failures.length < 3) samples.failures.push(e instanceof Error ? e.message : String(e));
          continue;
        }
        samples.startCall.push((nowUs() - t) / 1000);
        inFlight.set(id, { t, kill: s.kill });
        s.done.then(
          () => {
            ok++;
            samples.latency.push((nowUs() - t) / 1000);
          },
          (e) => {
            failed++;
            if (samples.failures.length < 3) samples.failures.push(e instanceof Error ? e.message : String(e));
          },
        ).finally(() => end(id));
      }
      finishIfDone();
    };
    fill();
  });
  const seconds = (nowUs() - t0) / 1e6;
  const cpu1 = cpuMs();
  const busy = machineBusyMs() - busy0;
  const ctxt = machineContextSwitches() - ctxt0;
  const ours = cpu1.self - cpu0.self + cpu1.children - cpu0.children;
  const fds = await settledFds(baselineFds);
  return {
    round, n, ok, failed, seconds,
    jailsPerSecond: n / seconds,
    cpuSelfMs: (cpu1.self - cpu0.self) / n,
    cpuChildrenMs: (cpu1.children - cpu0.children) / n,
    fds,
    threads: countDir('/proc/self/task'),
    zombies: zombieChildren(),
    cgroupsLeft: cgroupsLeftBy(process.pid),
    load1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
    otherCpu: Math.max(0, (busy - ours) / (seconds * 1000 * CORES)),
    ctxtPerJail: ctxt / n,
  };
}

/** Every variant: probe (a failure is a skipped row with the reason), warm up, then the blocks. */
async function runVariants(all: TpVariant[], jails: number, log: (s: string) => void, uid: number): Promise<TpRun> {
  const t0 = Date.now();
  const results = new Map<string, TpVariantResult>();
  const active: TpVariant[] = [];
  for (const v of all) {
    const base = { name: v.name, tool: v.tool, group: v.group, description: v.description };
    const why = v.explain ? await v.explain() : undefined;
    if (why) {
      log(`  throughput: ${v.name} skipped: ${why}`);
      results.set(v.name, { ...base, skipped: why });
      continue;
    }
    results.set(v.name, base);
    active.push(v);
  }
  // Warm-up: one block of 2 x CONCURRENCY per variant (code paths, caches, the addon).
  const warm: BlockSamples = { latency: [], startCall: [], failures: [] };
  for (const v of active) await runBlock(v, 2 * CONCURRENCY, -1, warm, Infinity);
  await settledFds(0);
  const fdsBefore = countDir('/proc/self/fd');
  const threadsBefore = countDir('/proc/self/task');

  const perBlock = Math.ceil(jails / BLOCKS);
  const samples = new Map(active.map((v) => [v.name, { latency: [], startCall: [], failures: [] } as BlockSamples]));
  const blocks = new Map(active.map((v) => [v.name, [] as BlockResult[]]));
  for (let r = 0; r < BLOCKS; r++) {
    const n = Math.min(perBlock, jails - r * perBlock);
    if (n <= 0) break;
    for (let k = 0; k < active.length; k++) {
      const v = active[(r + k) % active.length];
      const b = await runBlock(v, n, r, samples.get(v.name)!, fdsBefore);
      blocks.get(v.name)!.push(b);
      log(`  throughput: round ${r + 1}/${BLOCKS} ${v.name.padEnd(20)} ${fmt(b.jailsPerSecond, 0).padStart(5)} jails/s  ${b.ok}/${b.n} ok  other CPU ${fmt(100 * b.otherCpu, 0)}%`);
    }
  }
  for (const v of active) {
    const bs = blocks.get(v.name)!;
    const s = samples.get(v.name)!;
    const n = bs.reduce((a, b) => a + b.n, 0);
    const secs = bs.reduce((a, b) => a + b.seconds, 0);
    const r = results.get(v.name)!;
    Object.assign(r, {
      started: n,
      ok: bs.reduce((a, b) => a + b.ok, 0),
      failed: bs.reduce((a, b) => a + b.failed, 0),
      firstFailure: s.failures[0],
      jailsPerSecond: n / secs,
      bestBlockJailsPerSecond: Math.max(...bs.map((b) => b.jailsPerSecond)),
      blocks: bs,
      latencyMs: summarize(s.latency),
      startCallMs: summarize(s.startCall),
      cpuSelfMsPerJail: bs.reduce((a, b) => a + b.cpuSelfMs * b.n, 0) / n,
      cpuChildrenMsPerJail: bs.reduce((a, b) => a + b.cpuChildrenMs * b.n, 0) / n,
      ctxtPerJail: bs.reduce((a, b) => a + b.ctxtPerJail * b.n, 0) / n,
    } satisfies Partial<TpVariantResult>);
  }
  const fdsAfter = await settledFds(fdsBefore);
  const zombies = zombieChildren();
  // The cgroups kept for reuse are not leaks; what is left once they are released would be.
  const cgroupsIdle = releaseIdleCgroups();
  const cgroupsLeft = cgroupsLeftBy(process.pid);
  const threadsAfter = countDir('/proc/self/task');
  const list = all.map((v) => results.get(v.name)!);
  // Rounds are compared whole: every variant ran one block in each, back to back.
  let quietest: TpRun['quietestRound'];
  for (let r = 0; r < BLOCKS; r++) {
    const inRound = active.map((v) => blocks.get(v.name)!.find((b) => b.round === r)).filter((b): b is BlockResult => !!b);
    if (inRound.length !== active.length || inRound.length === 0) continue;
    const other = inRound.reduce((a, b) => a + b.otherCpu, 0) / inRound.length;
    if (!quietest || other < quietest.otherCpu) {
      quietest = { round: r, otherCpu: other, jailsPerSecond: Object.fromEntries(active.map((v, i) => [v.name, inRound[i].jailsPerSecond])) };
    }
  }
  const rate = (name: string, inQuietest = false) => (inQuietest ? quietest?.jailsPerSecond[name] : results.get(name)?.jailsPerSecond);
  const perRound = (a: string, b: string): number | undefined => {
    const ba = blocks.get(a), bb = blocks.get(b);
    if (!ba || !bb) return undefined;
    const r = ba.map((x) => { const y = bb.find((z) => z.round === x.round); return y ? x.jailsPerSecond / y.jailsPerSecond : NaN; }).filter((x) => !Number.isNaN(x));
    return r.length ? summarize(r).median : undefined;
  };
  const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined ? a / b : undefined);
  const cost = (a?: number, b?: number) => (a !== undefined && b !== undefined ? 1 - a / b : undefined);
  return {
    uid,
    jailsPerVariant: jails,
    concurrency: CONCURRENCY,
    blocks: BLOCKS,
    variants: list,
    leaks: {
      fdsBefore, fdsAfter, threadsBefore, threadsAfter, zombies, cgroupsIdle, cgroupsLeft, cgroupRoot: '/sys/fs/cgroup',
      clean: fdsAfter <= fdsBefore && zombies === 0 && cgroupsLeft === 0 && threadsAfter <= threadsBefore,
    },
    allExited0: list.every((v) => v.skipped !== undefined || v.failed === 0),
    quietestRound: quietest,
    targets: {
      vsBwrap: ratio(rate('tsjail'), rate('bwrap')),
      vsBwrapQuietest: ratio(rate('tsjail', true), rate('bwrap', true)),
      limitsCost: cost(rate('tsjail-limits'), rate('tsjail')),
      limitsCostQuietest: cost(rate('tsjail-limits', true), rate('tsjail', true)),
      vsBwrapRoundMedian: perRound('tsjail', 'bwrap'),
      limitsCostRoundMedian: ((x) => (x === undefined ? undefined : 1 - x))(perRound('tsjail-limits', 'tsjail')),
      bwrapLimitsCost: cost(rate('bwrap-limits'), rate('bwrap')),
      execVsBwrap: ratio(rate('tsjail-exec'), rate('bwrap')),
      execLimitsCost: cost(rate('tsjail-exec-limits'), rate('tsjail-exec')),
    },
    seconds: (Date.now() - t0) / 1000,
  };
}

// ---- the Node side of one start, without starting anything ---------------------------------

/** µs per call of fn: `reps` timed loops of `iterations` calls, after one untimed loop. */
async function timeLoop(iterations: number, reps: number, fn: () => unknown | Promise<unknown>): Promise<{ us: number; usAll: number[] }> {
  const all: number[] = [];
  for (let r = -1; r < reps; r++) {
    const t = nowUs();
    for (let i = 0; i < iterations; i++) {
      const x = fn();
      if (x instanceof Promise) await x;
    }
    if (r >= 0) all.push((nowUs() - t) / iterations);
  }
  return { us: summarize(all).median, usAll: all };
}

async function nodeSide(policyText: string, bpf: Uint8Array): Promise<NodeSideRow[]> {
  const build = (limits: boolean) => {
    const j = new Jail().namespaces(NAMESPACES);
    if (limits) j.cgroup(CGROUP_LIMITS).seccomp(bpf).timeLimit(TIME_LIMIT_MS);
    return j.toSpec([TRUE]);
  };
  const plainSpec = validateSpec(build(false));
  const limitsSpec = validateSpec(build(true));
  const rows: NodeSideRow[] = [];
  const add = async (name: string, description: string, iterations: number, fn: () => unknown) => {
    const t = await timeLoop(iterations, 7, fn);
    rows.push({ name, description, iterations, ...t });
  };
  await add('builder', 'new Jail().namespaces(...).toSpec([/bin/true]) (no limits)', 2000, () => build(false));
  await add('builder-limits', 'the same with .cgroup().seccomp(bytes).timeLimit()', 2000, () => build(true));
  await add('validate', 'validateSpec, no limits', 2000, () => validateSpec(build(false)));
  await add('validate-limits', 'validateSpec, with the limits', 2000, () => validateSpec(build(true)));
  await add('jailfile', 'encodeValidatedJailFile (the addon\'s input: spawnJail encodes a jail file per start), no limits', 1000, () => encodeValidatedJailFile(plainSpec));
  await add('jailfile-limits', 'the same with the limits: the policy re-encoded little-endian, its flags, timing and the preload library\'s path (the seccomp mode is decided at launch)', 1000, () => encodeValidatedJailFile(limitsSpec));
  await add('devnull', 'stdio ignore: three opens and closes of /dev/null per start', 2000, () => {
    for (let i = 0; i < 3; i++) closeSync(openSync('/dev/null', i === 0 ? 'r' : 'w'));
  });
  await add('compile-policy', `compilePolicy of the policy text (what a caller that compiles per jail pays)`, 200, () => compilePolicy(policyText, { arch: 'x86_64' }));
  await add('prepare-text', `new Jail().seccomp(text).prepare(): compile + the syscall-name table per jail`, 50, () => new Jail().namespaces(NAMESPACES).seccomp(policyText).prepare());
  await add('jailfile-checked', 'encodeJailFile of the limited spec (validate + encode: what writing a jail file for tsjail-exec costs)', 1000, () => encodeJailFile(limitsSpec as JailSpec));
  return rows;
}

// ---- the unprivileged run -----------------------------------------------------------------

/** Run in a child as uid 65534 (bench/main.ts exports it): prints the TpRun as JSON. */
export async function throughputChild(jails: number, bpfFile: string, policySize: number): Promise<void> {
  const bpf = new Uint8Array(readFileSync(bpfFile));
  // This user's jail files (their id maps name this uid), in a directory of its own.
  const dir = existsSync(path.join(NATIVE, 'tsjail-exec')) ? mkdtempSync(path.join(tmpdir(), 'tsjail-bench-')) : undefined;
  try {
    const all = variants(bpf, bpfFile, policySize, dir ? writeJailFiles(dir, bpf) : undefined, false);
    // As an unprivileged user the cgroup step needs a delegated cgroup: the rows with one stay
    // (their skip reason says why) and this row has the limits such a user can have.
    all.splice(4, 0, {
      name: 'tsjail-limits-nocgroup', tool: 'tsjail', group: 'limits',
      description: `tsjail with the ${policySize}-syscall policy and the time limit, no cgroup`,
      start: () => tsjailStart({ seccomp: bpf, timeLimit: true }),
      explain: () => tsjailExplain({ seccomp: bpf, timeLimit: true }),
    });
    const run = await runVariants(all, jails, (s) => process.stderr.write(s + '\n'), process.getuid?.() ?? -1);
    process.stdout.write(JSON.stringify(run) + '\n');
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

function runAsNobody(bundle: string, jails: number, bpfFile: string, policySize: number, log: (s: string) => void): { run?: TpRun; skipped?: string } {
  if ((process.getuid?.() ?? -1) !== 0) return { skipped: 'the bench does not run as root, so it cannot switch to uid 65534' };
  const script = `require(${JSON.stringify(bundle)}).throughputChild(${jails}, ${JSON.stringify(bpfFile)}, ${policySize}).catch((e) => { console.error(e && e.stack ? e.stack : String(e)); process.exit(1); })`;
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', process.execPath, '-e', script],
    { encoding: 'utf8', timeout: 30 * 60_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, cwd: '/' });
  for (const l of (r.stderr ?? '').split('\n')) if (l.startsWith('  throughput:')) log(l.replace('throughput:', 'throughput (uid 65534):'));
  if (r.error) return { skipped: `the uid ${NOBODY} run did not finish: ${r.error.message}` };
  if (r.status !== 0) return { skipped: `the uid ${NOBODY} run failed: ${(r.stderr || `exit ${r.status ?? r.signal}`).trim().split('\n').slice(-3).join(' / ')}` };
  try {
    return { run: JSON.parse(r.stdout.trim().split('\n').pop()!) as TpRun };
  } catch {
    return { skipped: `the uid ${NOBODY} run printed no result` };
  }
}

// ---- the part -----------------------------------------------------------------------------

export async function runThroughput(log: (s: string) => void, bundle: string, jails = DEFAULT_JAILS): Promise<ThroughputResult> {
  const t0 = Date.now();
  const policy = await neededWithLoaderPolicy();
  const compiled = await compilePolicy(policy.text, { arch: 'x86_64', path: 'bench-needed.policy' });
  if (!compiled.ok) throw new Error(`the bench policy did not compile: ${compiled.diagnostics.map((d) => d.message).join('; ')}`);
  const bpf = compiled.program;
  const bpfFile = path.join(WORK, 'policy-needed.bpf');
  writeFileSync(bpfFile, bpf);
  writeFileSync(path.join(WORK, 'policy-needed.policy'), policy.text);

  const jailFiles = existsSync(path.join(NATIVE, 'tsjail-exec')) ? writeJailFiles(WORK, bpf) : undefined;
  const all = variants(bpf, bpfFile, policy.names.length, jailFiles, true);
  // The jail runtime is native code: a hang or crash there must cost skipped rows, not the bench.
  const jailSkip = existsSync(bundle) ? probeJail(bundle, bpfFile) : undefined;
  const usable = jailSkip ? all.filter((v) => v.tool === 'bwrap') : all;
  if (jailSkip) log(`  throughput: tsjail rows skipped: ${jailSkip}`);
  log(`  throughput: ${jails} jails per variant, ${CONCURRENCY} in flight, ${BLOCKS} interleaved blocks, as uid ${process.getuid?.()}`);
  const root = await runVariants(usable, jails, log, process.getuid?.() ?? -1);
  if (jailSkip) {
    for (const v of all.filter((x) => x.tool !== 'bwrap')) root.variants.push({ name: v.name, tool: v.tool, group: v.group, description: v.description, skipped: jailSkip });
  }
  const nodeRows = await nodeSide(policy.text, bpf);
  for (const r of nodeRows) log(`  throughput: node side ${r.name.padEnd(20)} ${fmt(r.us, 1)} µs`);
  const nobody = jailSkip ? { skipped: jailSkip } : runAsNobody(bundle, jails, bpfFile, policy.names.length, log);
  if (nobody.skipped) log(`  throughput: uid ${NOBODY} run skipped: ${nobody.skipped}`);

  writeTsv(root, nobody.run, nodeRows);
  return {
    part: 'throughput',
    policy: { syscalls: policy.names.length, names: policy.names, insns: bpf.length / 8 },
    cgroupLimits: CGROUP_LIMITS,
    timeLimitMs: TIME_LIMIT_MS,
    root,
    nobody: nobody.run,
    nobodySkipped: nobody.skipped,
    nodeSide: nodeRows,
    seconds: (Date.now() - t0) / 1000,
  };
}

function writeTsv(root: TpRun, nobody: TpRun | undefined, nodeRows: NodeSideRow[]): void {
  const tsv = ['uid\tvariant\tstarted\tok\tfailed\tjails_per_s\tbest_block_jails_per_s\tblock_rates\tblock_other_cpu_pct\tp50_ms\tp95_ms\tmax_ms\tstart_call_mean_ms\tcpu_self_ms_per_jail\tcpu_children_ms_per_jail\tctxt_per_jail\tnote'];
  for (const run of nobody ? [root, nobody] : [root]) {
    for (const v of run.variants) {
      tsv.push([run.uid, v.name, v.started ?? 0, v.ok ?? 0, v.failed ?? 0, fmt(v.jailsPerSecond, 1), fmt(v.bestBlockJailsPerSecond, 1),
        (v.blocks ?? []).map((b) => fmt(b.jailsPerSecond, 0)).join(','), (v.blocks ?? []).map((b) => fmt(100 * b.otherCpu, 0)).join(','), fmt(v.latencyMs?.median, 2), fmt(v.latencyMs?.p95, 2),
        fmt(v.latencyMs?.max, 2), fmt(v.startCallMs?.mean, 3), fmt(v.cpuSelfMsPerJail, 3), fmt(v.cpuChildrenMsPerJail, 3), fmt(v.ctxtPerJail, 1),
        v.skipped ? `skipped: ${v.skipped}` : v.description].join('\t'));
    }
  }
  for (const r of nodeRows) tsv.push(['node-side', r.name, r.iterations, '', '', '', '', '', '', '', '', '', fmt(r.us / 1000, 4), '', '', '', r.description].join('\t'));
  writeFileSync(path.join(RESULTS, 'throughput.tsv'), tsv.join('\n') + '\n');
}
