// spawnJail: validated JailSpec -> a running jail (via the addon) -> a JailProcess handle.
// Exit is observed by the addon without blocking Node's loop (a waiter thread per jail
// posting through a ThreadSafeFunction); this module only turns numbers into names.
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { constants as osConstants } from 'os';
import { Readable, Writable } from 'stream';
import { JailSpec } from './spec';
import { validateSpec } from './validate';
import { JailError } from './errors';
import { loadAddon, nativeDir, NativeSpec, NativeExit } from './native';
import { loaderSyscalls } from './loader-syscalls';

export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number;

export interface SpawnOptions {
  /** fd 0, 1, 2 of the program (default: all 'pipe'). */
  stdio?: StdioOption[];
}

export interface JailViolation {
  /** Syscall number the filter stopped. */
  nr: number;
  /** Its name, when the spec's seccomp.names (or the built-in loader table) knows it. */
  syscall?: string;
}

export interface JailExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  violation?: JailViolation;
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

/** Where seccomp goes for this program: 'exec' (static or explicitly asked) or 'preload'. */
function seccompMode(spec: JailSpec, interp: string | null): 'exec' | 'preload' {
  const timing = spec.seccompTiming ?? 'auto';
  if (timing !== 'auto') return timing;
  if (interp === '') return 'exec';
  if (interp !== null && !/\/ld-linux[^/]*\.so(\.\d+)*$/.test(interp)) {
    // Not glibc's loader (e.g. musl's ld-musl): the preload hook cannot run there.
    throw new JailError('prepare', osConstants.errno.ENOEXEC,
      `${spec.path} uses the non-glibc interpreter ${interp}; the preload library cannot jail it: set seccompTiming 'exec' (the policy must then allow the loader's syscalls)`);
  }
  return 'preload';
}

function programInterp(spec: JailSpec): string | null {
  const addon = loadAddon();
  // Inside a new root the program path names a file under it (before other mounts move it).
  const candidates = spec.filesystem.root ? [path.join(spec.filesystem.root, spec.path), spec.path] : [spec.path];
  for (const c of candidates) {
    if (fs.existsSync(c)) return addon.elfInterpreter(c);
  }
  return null; // missing here; execve in the jail reports ENOENT with the right step
}

/** JailSpec -> the addon's input (also what a jail file stores, ts/jail/jailfile.ts). */
export function toNativeSpec(spec: JailSpec): NativeSpec {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const userns = !!spec.namespaces.user;
  const u = spec.user;
  const native: NativeSpec = {
    path: spec.path,
    argv: spec.argv,
    env: spec.env,
    cwd: spec.cwd,
    namespaces: { ...spec.namespaces },
    programAsInit: !!spec.programAsInit,
    hostname: spec.hostname,
    uid: u.uid,
    gid: u.gid,
    groups: u.groups === undefined || u.groups === 'keep' ? undefined : u.groups,
    noNewPrivs: spec.noNewPrivs,
    seccompMode: 'exec',
    seccompTsync: !!spec.seccomp?.tsync,
    seccompLog: !!spec.seccomp?.log,
    reportViolations: spec.seccomp ? spec.seccomp.reportViolations !== false : false,
    preloadTimeoutMs: spec.preloadTimeoutMs ?? 5000,
    preserveFds: spec.preserveFds,
    filesystem: spec.filesystem,
    landlock: spec.landlock,
    rlimits: spec.rlimits,
    cgroup: spec.cgroup,
    pidFile: spec.pidFile,
  };
  if (userns) {
    // Default maps: our own id -> the requested id (or 0), like minijail's -m/-M without a map.
    native.uidMap = u.uidMap ?? [{ inside: u.uid ?? 0, outside: uid, count: 1 }];
    native.gidMap = u.gidMap ?? [{ inside: u.gid ?? 0, outside: gid, count: 1 }];
    if (native.uid === undefined) native.uid = u.uidMap ? undefined : 0;
    if (native.gid === undefined) native.gid = u.gidMap ? undefined : 0;
  }
  if (spec.caps) {
    const keep = spec.caps.keep ?? 0n;
    // Caps are set before exec, so what survives exec is the kernel's rule: a root program gets
    // its bounding set, a non-root one its ambient set. Default securebits: NO_SETUID_FIXUP and
    // KEEP_CAPS locked, plus NOROOT (locked) unless a root program is to keep caps through its
    // bounding set (NOROOT would leave it nothing).
    const targetUid = native.uid ?? (userns ? 0 : uid);
    const rootKeeps = targetUid === 0 && !spec.caps.ambient;
    native.caps = {
      keep,
      bounding: spec.caps.bounding ?? keep,
      ambient: !!spec.caps.ambient,
      securebits: spec.caps.securebits ?? (rootKeeps ? 0x2c : 0x2f),
    };
  }
  if (spec.seccomp) {
    const mode = seccompMode(spec, programInterp(spec));
    native.seccompMode = mode;
    native.seccomp = spec.seccomp.bpf;
    // The gate needs no_new_privs before exec (setuid bits ignored, ld.so not in secure mode,
    // and unprivileged filters need it anyway).
    native.noNewPrivs = true;
    if (mode === 'preload') {
      const allow = spec.seccomp.gateAllow ?? Object.values(loaderSyscalls() ?? {});
      native.seccompGate = new Uint8Array(new Uint32Array(allow).buffer);
      const lib = spec.preloadLibrary ?? path.join(nativeDir(), 'libtsjailpreload.so');
      native.preloadLibrary = lib;
      // ld.so must be able to open it inside the jail: the addon's fs/landlock converters bind it
      // in under a new root and add a Landlock read rule (native/addon/fs_spec.h).
    }
  }
  return native;
}

const CORE_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', arm: 'arm', ia32: 'i386', riscv64: 'riscv64' };

/** The violating syscall's name: the spec's table, else the policy core's table for this arch. */
async function nameSyscall(spec: JailSpec, nr: number): Promise<string | undefined> {
  const fromSpec = spec.seccomp?.names?.[nr];
  if (fromSpec) return fromSpec;
  try {
    // Lazy: the core (wasm) loads only when a violation needs a name.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { syscallName } = require('../policy/tables') as typeof import('../policy/tables');
    const name = await syscallName(CORE_ARCH[process.arch] ?? process.arch, nr);
    if (name) return name;
  } catch {
    /* the core is not built: fall back to the loader table */
  }
  const loader = loaderSyscalls();
  if (loader) for (const [name, n] of Object.entries(loader)) if (n === nr) return name;
  return undefined;
}

/** Start a jailed program. Throws SpecError (bad spec) or JailError (a setup step failed; nothing ran). */
export function spawnJail(input: JailSpec, opts: SpawnOptions = {}): JailProcess {
  const spec = validateSpec(input);
  const addon = loadAddon();
  const stdioOpt = opts.stdio ?? ['pipe', 'pipe', 'pipe'];
  if (stdioOpt.length > 3) throw new TypeError('stdio: only fds 0-2 can be set (use preserveFds for more)');
  const opened: number[] = [];
  const stdioFds: number[] = [0, 1, 2].map((i) => {
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

  let resolveExit!: (e: JailExit) => void;
  const exited = new Promise<JailExit>((r) => (resolveExit = r));
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const onExit = (e: NativeExit) => {
    done = true;
    if (timer) clearTimeout(timer);
    const exit: JailExit = { code: e.code, signal: e.signal === null ? null : SIGNAL_NAMES[e.signal] ?? null };
    if (e.violationNr === undefined) return resolveExit(exit);
    // The supervisor killed the process with SIGKILL before the syscall ran; report it the
    // way the kernel's kill-process verdict would look, plus the syscall.
    const nr = e.violationNr;
    exit.code = null;
    exit.signal = 'SIGSYS';
    void nameSyscall(spec, nr).then((syscall) => resolveExit({ ...exit, violation: { nr, syscall } }));
  };

  let spawned;
  try {
    spawned = addon.spawn(toNativeSpec(spec), stdioFds, onExit);
  } finally {
    for (const fd of opened) fs.closeSync(fd);
  }
  const { id, pid } = spawned;
  const kill = (signal?: NodeJS.Signals | number) => {
    if (!done) addon.kill(id, signalNumber(signal));
  };

  if (spec.pidFile) {
    try {
      fs.writeFileSync(spec.pidFile, `${pid}\n`);
    } catch (err) {
      kill('SIGKILL');
      throw new JailError('pid-file', (err as NodeJS.ErrnoException).errno ? -(err as any).errno : 0, spec.pidFile);
    }
  }
  if (spec.timeLimitMs !== undefined) {
    // SIGKILL of the init ends the whole pid namespace; without one, only the program.
    timer = setTimeout(() => kill('SIGKILL'), spec.timeLimitMs);
  }

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
