// The jail spec: the validated, plain-data description of one jail. The builder
// (ts/jail/jail.ts) and the CLI (`tsjail run`, `--config`) produce it; validate.ts checks it,
// decide.ts adds the TypeScript layer's decisions, and jailfile.ts encodes it as the jail file
// the native runtime decodes (the addon in memory, tsjail-exec from disk). The runtime gets
// only BPF bytes; the policy text may ride along (seccomp.source) for the TS layer alone, to
// explain a violation.
//
// All paths are absolute. Numbers are plain integers. Optional fields mean "leave as is".

import type { PolicyFiles, PolicyOptions } from '../policy/request';

export interface IdMap {
  /** First id inside the namespace. */
  inside: number;
  /** First id outside (in the parent's namespace). */
  outside: number;
  count: number;
}

export interface NamespacesSpec {
  user?: boolean;
  pid?: boolean;
  mount?: boolean;
  net?: boolean;
  ipc?: boolean;
  uts?: boolean;
  cgroup?: boolean;
  time?: boolean;
}

export interface UserSpec {
  uid?: number;
  gid?: number;
  /** 'keep' = inherit; an array = exactly these supplementary groups. */
  groups?: 'keep' | number[];
  /** uid_map/gid_map lines when a user namespace is made (default: current id -> uid/gid or 0). */
  uidMap?: IdMap[];
  gidMap?: IdMap[];
}

export type MountSpec =
  | { kind: 'bind'; source: string; target: string; writable: boolean; recursive: boolean }
  | { kind: 'tmpfs'; target: string; size?: number; mode?: number }
  | { kind: 'proc'; target: string; readOnly: boolean }
  | { kind: 'dev'; target: string } // minimal /dev: null zero full random urandom tty, fd/std* links, pts, shm
  | { kind: 'mount'; source: string; target: string; fstype: string; flags: number; data?: string }
  | { kind: 'remount-ro'; target: string };

export interface FilesystemSpec {
  /** pivot_root (or chroot when rootMode is 'chroot') into this directory after mounting. */
  root?: string;
  rootMode?: 'pivot_root' | 'chroot';
  /** Propagation of the new mount namespace's tree. */
  propagation?: 'private' | 'slave' | 'shared' | 'unbindable';
  /** Applied in order, after the new root (if any) is prepared. Targets are inside the jail. */
  mounts: MountSpec[];
}

export interface CapsSpec {
  /** Bitmask over CAP_* numbers (bigint: up to CAP_LAST_CAP 40). Omitted = drop all when uid != 0. */
  keep?: bigint;
  /** Also raise them as ambient, so they survive exec for a non-root program. */
  ambient?: boolean;
  /** Bounding set to leave (default: same as keep). */
  bounding?: bigint;
  /** Securebits to set (default: NOROOT|NO_SETUID_FIXUP|KEEP_CAPS locked, like minijail). */
  securebits?: number;
}

export interface SeccompSpec {
  /** struct sock_filter[] bytes (a multiple of 8). */
  bpf: Uint8Array;
  /** SECCOMP_FILTER_FLAG_TSYNC. */
  tsync?: boolean;
  /** SECCOMP_FILTER_FLAG_LOG (log failures in the audit log). */
  log?: boolean;
  /** Syscall names by number, for naming a violation (filled by the TS layer from the core). */
  names?: Record<number, string>;
  /**
   * The policy `bpf` was compiled from, with the options it was compiled with: a violation is
   * then reported with the rule that decided and the line to add (JailViolation.rule and
   * .suggestion). Without it the rule is "no source: rule unknown". Not sent to the runtime.
   */
  source?: { text: string | PolicyFiles; options: PolicyOptions };
  /**
   * Report which syscall a kill-process verdict stopped (JailExit.violation). The runtime turns
   * the policy's SECCOMP_RET_KILL_PROCESS returns into SECCOMP_RET_USER_NOTIF and the parent's
   * supervisor, on the notification, records the syscall and kills the process with SIGKILL
   * (the syscall never runs). Default true; false installs the bytes exactly as given before
   * exec (docs/runtime.md says what the preload path does then).
   */
  reportViolations?: boolean;
  /**
   * The program may allow io_uring_setup/io_uring_enter/io_uring_register. io_uring runs
   * openat, read, connect, mkdirat... in kernel workers that seccomp never sees, so such a
   * policy does not hold; validateSpec refuses it unless this is true.
   */
  allowIoUring?: boolean;
  /**
   * Permissive mode (tsjail run --log): the policy is NOT enforced. It is installed before exec
   * (whatever seccompTiming says) with every verdict but allow sent to the supervisor, which
   * lets the call run (SECCOMP_USER_NOTIF_FLAG_CONTINUE) and records it; JailExit.wouldDeny
   * lists what the policy would have denied. Every other part of the jail is unchanged.
   */
  logMode?: boolean;
}

export interface LandlockSpec {
  ro: string[];
  rw: string[];
  /** Paths whose files may be executed (and read). */
  rx: string[];
}

export interface RlimitSpec {
  /** RLIMIT_* name (e.g. 'NOFILE', 'AS') or number. */
  resource: string | number;
  soft: number | 'unlimited';
  hard: number | 'unlimited';
}

export interface CgroupSpec {
  /** Bytes. */
  memory?: number;
  pids?: number;
  /** Fraction of one CPU, e.g. 0.5. */
  cpu?: number;
}

export interface JailSpec {
  /** Resolved executable path (execve, no PATH search in the child). */
  path: string;
  argv: string[];
  /** Complete environment, already reset/extended. */
  env: string[];
  cwd?: string;
  namespaces: NamespacesSpec;
  /** With a pid namespace: true = the program is pid 1; false (default) = tsjail's init. */
  programAsInit?: boolean;
  hostname?: string;
  user: UserSpec;
  caps?: CapsSpec;
  noNewPrivs: boolean;
  /**
   * Keep the launcher's session (default false: the runtime calls setsid, so the jail has no
   * controlling terminal and cannot push input into the caller's with TIOCSTI). true exposes
   * the caller's terminal to the jail as its controlling terminal: for interactive programs
   * that need job control, and only for programs trusted with that terminal.
   */
  keepSession?: boolean;
  seccomp?: SeccompSpec;
  /**
   * 'preload' = after libc starts (dynamic binaries), 'exec' = before execve (static), 'auto'
   * (default) = decided by the runtime at launch: before execve for a static program, and for a
   * dynamic one whose policy allows every call of the loader whatever the arguments (the
   * preload window would change nothing); otherwise after libc starts.
   */
  seccompTiming?: 'preload' | 'exec' | 'auto';
  filesystem: FilesystemSpec;
  landlock?: LandlockSpec;
  rlimits: RlimitSpec[];
  cgroup?: CgroupSpec;
  /** Extra fds kept open (same numbers); everything else but 0-2 is closed. */
  preserveFds: number[];
  /** Kill the jail after this many milliseconds (its first process: with a pid namespace, all of it). */
  timeLimitMs?: number;
  /** Written with the jail's pid right after the launch (a failure kills the jail: step pid-file). */
  pidFile?: string;
  /** The preload library (default: libtsjailpreload.so next to the addon). */
  preloadLibrary?: string;
  /** How long the parent waits for the preload's acknowledgement before killing the jail (default 5000). */
  preloadTimeoutMs?: number;
}
