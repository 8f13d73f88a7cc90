// spawnJail: validated JailSpec -> jail-file bytes (ts/jail/jailfile.ts) -> a running jail (the
// addon decodes, launches and supervises them) -> a JailProcess handle. Exit is observed by the
// addon without blocking Node's loop (a waiter thread per jail posting through a
// ThreadSafeFunction); this module only turns numbers into names.
import * as fs from 'fs';
import * as net from 'net';
import { constants as osConstants } from 'os';
import { Readable, Writable } from 'stream';
import { JailSpec } from './spec';
import { validateSpec } from './validate';
import { encodeValidatedJailFile } from './jailfile';
import { loadAddon, NativeExit, NativeSpawned, NativeStartEvent, ExitReason, RawViolation } from './native';
import { coreArch } from './arch';
import { JailError } from './errors';
import { nodeDecideHost, preloadHiddenMessage } from './decide';

export type { ExitReason } from './native';

export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number;

export interface SpawnOptions {
  /** fd 0, 1, 2 of the program (default: all 'pipe'). */
  stdio?: StdioOption[];
}

export interface JailViolation {
  /** Syscall number the filter stopped. */
  nr: number;
  /** Its name on the arch it was made in, when the policy core's table (or the spec's seccomp.names) knows it. */
  syscall?: string;
  /** The call's arch (canonical name: an i386 call on x86_64 is 'i386'). */
  arch?: string;
  /** The six arguments decoded (fds, `O_RDONLY|O_CLOEXEC`, `TCGETS`, `PR_SET_NAME`, else hex). */
  args?: string[];
  /** The six arguments as the kernel gave them, in hex (strings: a JailExit stays JSON). */
  rawArgs?: string[];
  /** What the policy said: 'kill-process' (the runtime killed the process) or 'kill-thread' (it ended the calling thread only, as the kernel would). */
  verdict?: string;
  /** `file:line` of the deciding rule, `no rule: default action`, or `no source: rule unknown` (spec.seccomp.source not given). */
  rule?: string;
  /** The deciding (or widenable) rule's line as written. */
  ruleText?: string;
  /** The line to add or the condition to widen (tsjail/policy's explainViolation). */
  suggestion?: string;
}

export interface JailExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  violation?: JailViolation;
  /**
   * seccomp.logMode: the calls the policy would have denied (they ran), one entry per syscall
   * and verdict, with the first call's arguments and how many there were; [] when none.
   */
  wouldDeny?: Array<JailViolation & { count: number }>;
  /** seccomp.logMode: calls of kinds beyond the record's 512 entries (counted, not described). */
  wouldDenyDropped?: number;
  /**
   * Why the jail ended: 'exit' (the program exited: code), 'signal' (it died of one: signal),
   * 'violation' (the supervisor killed it for a call the policy denies: violation, signal
   * SIGSYS; a kill-thread verdict ends only the calling thread: the reason is then the
   * process's own end, with `violation` set, unless that thread was its last), 'time-limit' (timeLimitMs passed and the jail was killed: signal SIGKILL),
   * 'memory-limit' (the OOM killer of the jail's memory cgroup killed it: signal SIGKILL).
   */
  reason: ExitReason;
}

export interface JailProcess {
  /** Pid (in Node's pid namespace) of the jail's first process: the init, or the program. */
  pid: number;
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  exited: Promise<JailExit>;
  /** Signal the jail (its init forwards SIGTERM/INT/HUP/QUIT/USR1/USR2; SIGKILL ends the whole jail). */
  kill(signal?: NodeJS.Signals | number): void;
}

const SIGNAL_NAMES: Record<number, NodeJS.Signals> = Object.fromEntries(
  Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

function signalNumber(sig: NodeJS.Signals | number | undefined): number {
  if (sig === undefined) return osConstants.signals.SIGTERM;
  if (typeof sig === 'number') return sig;
  const n = (osConstants.signals as Record<string, number>)[sig];
  if (n === undefined) throw new TypeError(`unknown signal ${sig}`);
  return n;
}

/** The violating syscall's name: the spec's table, else the policy core's table for this arch. */
async function nameSyscall(spec: JailSpec, nr: number): Promise<string | undefined> {
  const fromSpec = spec.seccomp?.names?.[nr];
  if (fromSpec) return fromSpec;
  const arch = coreArch();
  if (!arch) return undefined;
  try {
    // Lazy: the core (wasm) loads only when a violation needs a name.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { syscallName } = require('../policy/tables') as typeof import('../policy/tables');
    return await syscallName(arch, nr);
  } catch {
    return undefined; // the core is not built: the number alone
  }
}

/**
 * A violation explained by the policy core (lazy: it loads only when a violation needs it):
 * the name, decoded arguments, rule and suggestion; the number and name alone when the core
 * is not built.
 */
export async function describeViolation(spec: JailSpec, raw: RawViolation): Promise<JailViolation> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { explainViolation } = require('../policy/explain') as typeof import('../policy/explain');
    const src = spec.seccomp?.source;
    const r = await explainViolation(raw, src?.text, src?.options);
    const v: JailViolation = { nr: r.nr, syscall: r.syscall ?? spec.seccomp?.names?.[raw.nr], arch: r.arch, args: r.args,
      rawArgs: r.rawArgs.map((a) => `0x${a.toString(16)}`), verdict: r.verdict, rule: r.rule, suggestion: r.suggestion };
    if (r.ruleText) v.ruleText = r.ruleText;
    return v;
  } catch {
    return { nr: raw.nr, syscall: await nameSyscall(spec, raw.nr) };
  }
}

/** The exit callback for a spec: numbers to names, a violation explained; resolves `exited`. */
function exitHandler(spec: JailSpec, resolveExit: (e: JailExit) => void): (e: NativeExit) => void {
  return (e: NativeExit) => {
    const exit: JailExit = { code: e.code, signal: e.signal === null ? null : SIGNAL_NAMES[e.signal] ?? null, reason: e.reason };
    if (e.wouldDeny) {
      const raw = e.wouldDeny;
      exit.wouldDenyDropped = e.wouldDenyDropped ?? 0;
      void Promise.all(raw.map(async (w) => ({ ...(await describeViolation(spec, w)), count: w.count })))
        .then((wouldDeny) => resolveExit({ ...exit, wouldDeny }));
      return;
    }
    if (e.violationNr === undefined) return resolveExit(exit);
    // The supervisor killed the process with SIGKILL before the syscall ran; report it the
    // way the kernel's kill-process verdict would look, plus the syscall. A kill-thread
    // verdict ended one thread: the process's own end stands, with the violation.
    const nr = e.violationNr;
    if (e.reason === 'violation') {
      exit.code = null;
      exit.signal = 'SIGSYS';
    }
    if (e.violation) void describeViolation(spec, e.violation).then((violation) => resolveExit({ ...exit, violation }));
    else void nameSyscall(spec, nr).then((syscall) => resolveExit({ ...exit, violation: { nr, syscall } }));
  };
}

/** fd 0-2 for the addon (-1 = a new pipe), opening /dev/null for 'ignore' (the caller closes `opened`). */
function stdioFds(stdioOpt: StdioOption[], opened: number[]): number[] {
  return [0, 1, 2].map((i) => {
    const o = stdioOpt[i] ?? 'pipe';
    if (o === 'pipe') return -1;
    if (o === 'inherit') return i;
    if (o === 'ignore') {
      const fd = fs.openSync('/dev/null', i === 0 ? 'r' : 'w');
      opened.push(fd);
      return fd;
    }
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
    throw new TypeError(`stdio[${i}]: expected 'pipe', 'inherit', 'ignore' or an fd`);
  });
}

/** The handle of a running jail, from what the addon returned. */
function jailProcess(spawned: NativeSpawned, exited: Promise<JailExit>, isDone: () => boolean): JailProcess {
  const addon = loadAddon();
  const { id, pid } = spawned;
  const kill = (signal?: NodeJS.Signals | number) => {
    if (!isDone()) addon.kill(id, signalNumber(signal));
  };
  const wrap = (fd: number | null, readable: boolean) => {
    if (fd === null) return null;
    return new net.Socket({ fd, readable, writable: !readable });
  };
  const [inFd, outFd, errFd] = spawned.stdio;
  return {
    pid,
    stdin: wrap(inFd, false) as Writable | null,
    stdout: wrap(outFd, true) as Readable | null,
    stderr: wrap(errFd, true) as Readable | null,
    exited,
    kill,
  };
}

/**
 * A failed preload step whose library one of the jail's own mounts hid gets that as its hint
 * (the errno alone cannot tell); `tsjail run` says the same in its flags' words.
 */
function withHiddenPreload(e: unknown, spec: JailSpec): unknown {
  if (!(e instanceof JailError) || e.step !== 'preload') return e;
  const hidden = preloadHiddenMessage(spec, spec.preloadLibrary ?? nodeDecideHost().preloadLibrary());
  if (hidden === undefined) return e;
  const out = new JailError(e.step, e.errno, e.detail, hidden);
  if (e.rawViolation) out.rawViolation = e.rawViolation;
  return out;
}

function checkedStdio(opts: SpawnOptions): StdioOption[] {
  const stdioOpt = opts.stdio ?? ['pipe', 'pipe', 'pipe'];
  if (stdioOpt.length > 3) throw new TypeError('stdio: only fds 0-2 can be set (use preserveFds for more)');
  return stdioOpt;
}

/** What both start paths prepare before the addon runs: the checked spec, its jail file, the exit promise. */
interface PreparedStart {
  spec: JailSpec;
  addon: ReturnType<typeof loadAddon>;
  jailFile: Uint8Array;
  stdioOpt: StdioOption[];
  exited: Promise<JailExit>;
  /** The exit callback for the addon; marks the jail done (kill() is then a no-op). */
  onExit: (e: NativeExit) => void;
  isDone: () => boolean;
}

function prepareStart(input: JailSpec, opts: SpawnOptions): PreparedStart {
  const spec = validateSpec(input);
  const addon = loadAddon();
  const stdioOpt = checkedStdio(opts);
  const jailFile = encodeValidatedJailFile(spec);
  let resolveExit!: (e: JailExit) => void;
  const exited = new Promise<JailExit>((r) => (resolveExit = r));
  let done = false;
  const handleExit = exitHandler(spec, (e) => resolveExit(e));
  const onExit = (e: NativeExit) => {
    done = true;
    handleExit(e);
  };
  return { spec, addon, jailFile, stdioOpt, exited, onExit, isDone: () => done };
}

/**
 * Start a jailed program, blocking Node's event loop until it runs (the set-up, and with a
 * dynamic program and a policy the preload window, on this thread). Throws SpecError (bad spec)
 * or JailError (a setup step failed; nothing ran). startJail does the same without blocking.
 */
export function spawnJail(input: JailSpec, opts: SpawnOptions = {}): JailProcess {
  const p = prepareStart(input, opts);
  const opened: number[] = [];
  let spawned;
  try {
    // The pid file and the time limit are the runtime's: written and enforced by the addon.
    spawned = p.addon.spawn(p.jailFile, stdioFds(p.stdioOpt, opened), p.onExit);
  } catch (e) {
    throw withHiddenPreload(e, p.spec);
  } finally {
    for (const fd of opened) fs.closeSync(fd);
  }
  return jailProcess(spawned, p.exited, p.isDone);
}

/**
 * Remove now the cgroups this process keeps for its next jails. A jail with cgroup limits
 * gets a cgroup of its own; when the jail ends with nothing left in it (no process, little
 * memory still charged), the runtime keeps that cgroup for the next jail with the same limits
 * instead of removing it (making and removing memory cgroups costs the whole machine far more
 * than reusing them). One idle for more than 10 seconds is removed when a jail with a cgroup starts or ends;
 * all of them go at exit. Returns how many were removed.
 */
export function releaseIdleCgroups(): number {
  return loadAddon().releaseIdleCgroups();
}

/**
 * Start a jailed program without blocking Node's event loop: only the steps up to the clone run
 * on this thread; the child's set-up (id maps, cgroup, its own steps) and the preload window are
 * served by the jail's supervisor thread. Resolves with the handle once the program runs (as
 * spawnJail returns); rejects with SpecError (bad spec) or JailError (a setup step failed;
 * nothing ran). Until it settles there is no handle: nothing can signal or wait on a jail whose
 * set-up is still running.
 */
export function startJail(input: JailSpec, opts: SpawnOptions = {}): Promise<JailProcess> {
  return new Promise<JailProcess>((resolve, reject) => {
    const p = prepareStart(input, opts);
    const opened: number[] = [];
    const onEvent: NativeStartEvent = (kind: string, payload: unknown) => {
      if (kind === 'ready') resolve(jailProcess(payload as NativeSpawned, p.exited, p.isDone));
      else if (kind === 'failed') reject(withHiddenPreload(payload, p.spec));
      else p.onExit(payload as NativeExit);
    };
    try {
      // The fds are dup'ed into the child by the clone, before start returns: closing ours
      // then is safe.
      p.addon.start(p.jailFile, stdioFds(p.stdioOpt, opened), onEvent);
    } finally {
      for (const fd of opened) fs.closeSync(fd);
    }
  });
}
