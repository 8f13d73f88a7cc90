// The addon's typed surface (like node-pty's native.d.ts) and its loader, which names every
// path it tried. Node-only.
import * as fs from 'fs';
import * as path from 'path';
import * as url from 'url';
import { JailError } from './errors';

/** How the child gets fd 0-2: -1 = a new pipe (the parent end is returned), else an fd to dup. */
export type NativeStdio = number;

/** Why a jail ended (native/parent/launch.h, enum tsjail_exit_reason). */
export type ExitReason = 'exit' | 'signal' | 'violation' | 'time-limit' | 'memory-limit';

export interface NativeExit {
  /** Exit code, or null when the program died of a signal. */
  code: number | null;
  /** Signal number, or null. */
  signal: number | null;
  /** Set when the supervisor killed a process for a call the policy denies. */
  violationNr?: number;
  /** That call's raw facts (native/addon/addon.cc ViolationObject). */
  violation?: RawViolation;
  /** Permissive mode: what the policy would have denied, one entry per (arch, nr, verdict). */
  wouldDeny?: Array<RawViolation & { count: number }>;
  /** Permissive mode: calls beyond the supervisor's table (counted, not described). */
  wouldDenyDropped?: number;
  reason: ExitReason;
}

/** A denied call as the supervisor saw it: seccomp_data and the policy's verdict. */
export interface RawViolation {
  nr: number;
  /** AUDIT_ARCH_* of the call. */
  arch: number;
  ip: bigint;
  args: bigint[];
  /** The policy's SECCOMP_RET_* for the call. */
  ret: number;
}

export interface NativeSpawned {
  /** Pid of the jail's first process (the init with a pid namespace, else the program). */
  pid: number;
  /** Handle for kill(); valid until the exit callback ran. */
  id: number;
  /** Parent ends of the pipes made for stdio entries given as -1 (else null). */
  stdio: (number | null)[];
}

/** start()'s callback: 'ready' once the program runs, or 'failed'; then 'exit' after 'ready'. */
export type NativeStartEvent = {
  (kind: 'ready', payload: NativeSpawned): void;
  (kind: 'failed', payload: JailError): void;
  (kind: 'exit', payload: NativeExit): void;
};

export interface NativeAddon {
  /** Hands the addon the error class it raises (once per addon instance). */
  setErrorClass(cls: typeof JailError): void;
  /**
   * Decode a jail file (ts/jail/jailfile.ts's bytes) with the native reader, launch it and
   * supervise it until it exits (its time limit and pid file included). Throws TypeError for
   * bytes the reader refuses, JailError naming the failed step (the program did not run).
   */
  spawn(jailFile: Uint8Array, stdio: NativeStdio[], onExit: (e: NativeExit) => void): NativeSpawned;
  /**
   * spawn() without blocking the event loop through the child's set-up: the stages up to the
   * clone run in the call (and throw as spawn's do); the jail's waiter thread finishes the
   * launch (id maps, cgroup, release, handshake, preload window, pid file) and calls
   * onEvent('ready', ...) or onEvent('failed', JailError) (the program did not run), then after
   * 'ready' onEvent('exit', ...).
   */
  start(jailFile: Uint8Array, stdio: NativeStdio[], onEvent: NativeStartEvent): void;
  /** Signal the jail's first process through its pidfd; false once it has been reaped. */
  kill(id: number, signal: number): boolean;
  /** The step names in order (native/common/steps.h). */
  stepNames(): string[];
  /** What spawn would launch for these bytes, as JSON (tsjail-exec --dump's); TypeError if the reader refuses them. */
  dumpJailFile(jailFile: Uint8Array): string;
  /** The signal numbers the init and tsjail-exec forward (native/common/signals.h). */
  forwardedSignals(): number[];
  /** The SECCOMP_RET_* value the supervisor's BPF interpreter gets for 64 bytes of seccomp_data; TypeError for a program the kernel would refuse. */
  evaluateFilter(bpf: Uint8Array, seccompData: Uint8Array): number;
  /** Whether the program allows the call (arch, nr) whatever its arguments; TypeError for a program the kernel would refuse. */
  alwaysAllows(bpf: Uint8Array, arch: number, nr: number): boolean;
  /** Whether it so allows every call the preload window lets the loader make (timing 'auto' then installs it before exec). */
  policyAllowsLoader(bpf: Uint8Array): boolean;
  /** Remove the idle jail cgroups kept for reuse (native/parent/cgroup.h, the pool); how many. */
  releaseIdleCgroups(): number;
}

let addon: NativeAddon | undefined;

/** Directory of the built native artefacts (tsjail.node, libtsjailpreload.so). */
export function nativeDir(): string {
  return path.dirname(loadAddonPath());
}

/** This module's directory: __dirname in CJS (sources, dist/index.cjs); in the ESM bundle
 * (no __dirname, and import.meta is not expressible in this CJS-typed source) the file URL
 * of the current stack frame. */
function hereDir(): string {
  if (typeof __dirname === 'string') return __dirname;
  const m = /(file:\/\/[^\s)]+?):\d+:\d+/.exec(new Error().stack ?? '');
  return m ? path.dirname(url.fileURLToPath(m[1])) : process.cwd();
}

/** The platforms the package ships prebuilt binaries for (prebuilds/<name>/, scripts/prebuild.js). */
export const PREBUILT_PLATFORMS = ['linux-x64', 'linux-arm64'] as const;

/** This process's platform as the prebuilds name it: linux-x64, linux-arm64, linux-arm, darwin-arm64...
 * with `-musl` on a musl libc (the prebuilds link glibc). */
export function platformName(): string {
  let name = `${process.platform}-${process.arch}`;
  if (process.platform === 'linux') {
    // Node's report names the glibc it runs on; musl builds of Node have none.
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    if (header && !header.glibcVersionRuntime) name += '-musl';
  }
  return name;
}

let addonPath: string | undefined;
function loadAddonPath(): string {
  if (addonPath) return addonPath;
  const here = hereDir();
  const platform = platformName();
  const shipped = (PREBUILT_PLATFORMS as readonly string[]).includes(platform);
  // From ts/jail/ (tests, sources) and from dist/ (the bundles): a build from source
  // (build/native) first, then the package's prebuilt binaries for this platform.
  const candidates = [
    process.env.TSJAIL_NATIVE_DIR ? path.join(process.env.TSJAIL_NATIVE_DIR, 'tsjail.node') : '',
    path.resolve(here, '../../build/native/Release/tsjail.node'),
    path.resolve(here, '../build/native/Release/tsjail.node'),
    shipped ? path.resolve(here, `../../prebuilds/${platform}/tsjail.node`) : '',
    shipped ? path.resolve(here, `../prebuilds/${platform}/tsjail.node`) : '',
  ].filter(Boolean);
  for (const c of candidates) if (fs.existsSync(c)) return (addonPath = c);
  if (!shipped) {
    throw new Error(`tsjail: the jail runtime has no binaries for ${platform} (prebuilt: ${PREBUILT_PLATFORMS.join(', ')} with glibc); the policy tools still work`);
  }
  throw new Error(`tsjail: native addon not found (run npm run build:native); tried:\n  ${candidates.join('\n  ')}`);
}

/** The addon, loaded once. */
export function loadAddon(): NativeAddon {
  if (addon) return addon;
  const p = loadAddonPath();
  const m = { exports: {} as NativeAddon };
  process.dlopen(m, p);
  m.exports.setErrorClass(JailError);
  addon = m.exports;
  return addon;
}
