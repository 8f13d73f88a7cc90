// validateSpec: reject an invalid JailSpec naming the field, before anything forks (defaults,
// then validation; the interpretation is decide.ts's and the runtime's). Returns a normalised
// copy.
//
// The limits below are the native reader's (native/parent/jailfile.h), which enforces them
// again at the trust boundary; here they get friendly errors. test/jail-limits-agree.test.ts
// builds specs at and just past each limit and checks that both sides agree.
import { JailSpec, MountSpec } from './spec';
import { ioUringCallsAllowed, ioUringRisk } from './io-uring';

export class SpecError extends TypeError {
  /** Dotted path of the offending field, e.g. 'user.uid'. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(`invalid jail spec: ${field}: ${message}`);
    this.name = 'SpecError';
    this.field = field;
  }
}

/** The jail's limits, as native/parent/jailfile.h and the step headers define them. */
export const LIMITS = {
  /** Filesystem paths, in bytes, NUL excluded (PATH_MAX includes it). */
  pathBytes: 4095,
  /** One argv or env string, in bytes without its NUL (the kernel's MAX_ARG_STRLEN includes it). */
  argBytes: 131071,
  /** argv and env together, NULs included. */
  argsTotalBytes: 16 * 1024 * 1024,
  hostnameBytes: 64,
  groups: 65536,
  idMapLines: 340,
  mounts: 128,
  landlockRules: 128,
  rlimits: 32,
  preserveFds: 1024,
  maxFd: 65535,
  policyInstructions: 4096,
  syscallNames: 4096,
  timeLimitMs: 2 ** 31 - 1,
  preloadTimeoutMs: 600000,
} as const;

const NS_KEYS = ['user', 'pid', 'mount', 'net', 'ipc', 'uts', 'cgroup', 'time'];
const U32 = 0xffffffff;

/** RLIMIT_* numbers (asm-generic/resource.h; the same on x86_64 and aarch64). */
const RLIMIT: Record<string, number> = {
  CPU: 0, FSIZE: 1, DATA: 2, STACK: 3, CORE: 4, RSS: 5, NPROC: 6, NOFILE: 7, MEMLOCK: 8, AS: 9,
  LOCKS: 10, SIGPENDING: 11, MSGQUEUE: 12, NICE: 13, RTPRIO: 14, RTTIME: 15,
};
const RLIMIT_NLIMITS = 16;

/** An rlimit resource (a name with or without RLIMIT_, or a number) as its number, or undefined. */
export function rlimitNumber(resource: string | number): number | undefined {
  if (typeof resource === 'number') return Number.isInteger(resource) && resource >= 0 && resource < RLIMIT_NLIMITS ? resource : undefined;
  return RLIMIT[resource.replace(/^RLIMIT_/, '')];
}

/**
 * "/a//b/./c/" -> "/a/b/c": the form the native reader takes for an absolute path without '..'.
 * Anything else is returned as given (only unvalidated specs have such paths; the reader
 * refuses them).
 */
export function normalizePath(p: string): string {
  if (!p.startsWith('/') || p.split('/').includes('..')) return p;
  return '/' + p.split('/').filter((c) => c !== '' && c !== '.').join('/');
}

function bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function isInt(v: unknown, min = 0, max = U32): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}
function need(cond: boolean, field: string, message: string): asserts cond {
  if (!cond) throw new SpecError(field, message);
}
function absPath(v: unknown, field: string): asserts v is string {
  need(typeof v === 'string' && v.startsWith('/') && !v.includes('\0'), field, 'must be an absolute path without NUL');
  need(bytes(v) <= LIMITS.pathBytes, field, `must be shorter than ${LIMITS.pathBytes + 1} bytes`);
}
/** A path the mount and Landlock steps use as given: absolute, no '..' (nothing in the child interprets one). */
function fsPath(v: unknown, field: string): asserts v is string {
  absPath(v, field);
  need(!v.split('/').includes('..'), field, "must be an absolute path without '..'");
}
function str(v: unknown, field: string): asserts v is string {
  need(typeof v === 'string' && !v.includes('\0'), field, 'must be a string without NUL');
}
function strList(v: unknown, field: string): void {
  need(Array.isArray(v), field, 'must be an array of strings');
  (v as unknown[]).forEach((s, i) => str(s, `${field}[${i}]`));
}
function idMaps(v: unknown, field: string): void {
  if (v === undefined) return;
  need(Array.isArray(v) && v.length > 0 && v.length <= LIMITS.idMapLines, field,
    `must be a non-empty array of at most ${LIMITS.idMapLines} {inside, outside, count}`);
  (v as any[]).forEach((m, i) => {
    need(m !== null && typeof m === 'object', `${field}[${i}]`, 'must be an object');
    need(isInt(m.inside), `${field}[${i}].inside`, 'must be an integer id');
    need(isInt(m.outside), `${field}[${i}].outside`, 'must be an integer id');
    need(isInt(m.count, 1), `${field}[${i}].count`, 'must be a positive integer');
  });
}
function mount(m: MountSpec, field: string, root: string | undefined): void {
  need(m !== null && typeof m === 'object', field, 'must be an object');
  const target = () => {
    fsPath(m.target, `${field}.target`);
    // The child sees it under the new root, and the native path limit applies to that.
    const full = root ? (normalizePath(m.target) === '/' ? root : root + normalizePath(m.target)) : m.target;
    need(bytes(full) <= LIMITS.pathBytes, `${field}.target`, `is longer than ${LIMITS.pathBytes} bytes under the root`);
  };
  switch (m.kind) {
    case 'bind':
      fsPath(m.source, `${field}.source`);
      target();
      need(typeof m.writable === 'boolean', `${field}.writable`, 'must be a boolean');
      need(typeof m.recursive === 'boolean', `${field}.recursive`, 'must be a boolean');
      return;
    case 'tmpfs':
      target();
      need(m.size === undefined || isInt(m.size, 1, Number.MAX_SAFE_INTEGER), `${field}.size`, 'must be a positive byte count');
      need(m.mode === undefined || isInt(m.mode, 0, 0o7777), `${field}.mode`, 'must be a mode (0-07777)');
      return;
    case 'proc':
      target();
      need(typeof m.readOnly === 'boolean', `${field}.readOnly`, 'must be a boolean');
      return;
    case 'dev':
    case 'remount-ro':
      target();
      return;
    case 'mount':
      str(m.source, `${field}.source`);
      target();
      need(typeof m.fstype === 'string' && m.fstype.length > 0 && !m.fstype.includes('\0'), `${field}.fstype`, 'must be a filesystem type');
      need(isInt(m.flags), `${field}.flags`, 'must be MS_* flags');
      if (m.data !== undefined) str(m.data, `${field}.data`);
      return;
    default:
      throw new SpecError(`${field}.kind`, `unknown mount kind ${JSON.stringify((m as any).kind)}`);
  }
}
function rlimitValue(v: unknown): bigint | undefined {
  if (v === 'unlimited') return 0xffffffffffffffffn;
  return isInt(v, 0, Number.MAX_SAFE_INTEGER) ? BigInt(v) : undefined;
}

/** Check a spec and fill defaults; throws SpecError naming the first bad field. */
export function validateSpec(input: JailSpec): JailSpec {
  need(input !== null && typeof input === 'object', 'spec', 'must be an object');
  const s: JailSpec = {
    ...input,
    namespaces: { ...(input.namespaces ?? {}) },
    user: { ...(input.user ?? {}) },
    noNewPrivs: input.noNewPrivs ?? false,
    filesystem: input.filesystem ?? { mounts: [] },
    rlimits: input.rlimits ?? [],
    preserveFds: input.preserveFds ?? [],
    env: input.env ?? [],
  };
  absPath(s.path, 'path');
  strList(s.argv, 'argv');
  need(s.argv.length > 0, 'argv', 'must name at least argv[0]');
  strList(s.env, 'env');
  s.env.forEach((e, i) => need(e.includes('='), `env[${i}]`, 'must be NAME=value'));
  let total = 0;
  for (const [list, name] of [[s.argv, 'argv'], [s.env, 'env']] as const) {
    list.forEach((a, i) => {
      const n = bytes(a);
      need(n <= LIMITS.argBytes, `${name}[${i}]`, `is ${n} bytes, more than the kernel's ${LIMITS.argBytes} (MAX_ARG_STRLEN)`);
      total += n + 1;
    });
  }
  need(total <= LIMITS.argsTotalBytes, 'argv', `argv and env are ${total} bytes, more than ${LIMITS.argsTotalBytes}`);
  if (s.cwd !== undefined) absPath(s.cwd, 'cwd');

  for (const [k, v] of Object.entries(s.namespaces)) {
    need(NS_KEYS.includes(k), `namespaces.${k}`, `unknown namespace (one of ${NS_KEYS.join(', ')})`);
    need(v === undefined || typeof v === 'boolean', `namespaces.${k}`, 'must be a boolean');
  }
  need(s.programAsInit === undefined || typeof s.programAsInit === 'boolean', 'programAsInit', 'must be a boolean');
  need(s.keepSession === undefined || typeof s.keepSession === 'boolean', 'keepSession', 'must be a boolean');
  need(!s.programAsInit || !!s.namespaces.pid, 'programAsInit', 'needs namespaces.pid');
  if (s.hostname !== undefined) {
    need(typeof s.hostname === 'string' && !s.hostname.includes('\0') && bytes(s.hostname) > 0 && bytes(s.hostname) <= LIMITS.hostnameBytes,
      'hostname', `must be 1-${LIMITS.hostnameBytes} bytes`);
    need(!!s.namespaces.uts, 'hostname', 'needs namespaces.uts (a new UTS namespace)');
  }

  const u = s.user;
  need(u.uid === undefined || isInt(u.uid, 0, U32 - 1), 'user.uid', 'must be an integer uid');
  need(u.gid === undefined || isInt(u.gid, 0, U32 - 1), 'user.gid', 'must be an integer gid');
  if (u.groups !== undefined && u.groups !== 'keep') {
    need(Array.isArray(u.groups) && u.groups.length <= LIMITS.groups, 'user.groups', `must be 'keep' or an array of at most ${LIMITS.groups} gids`);
    u.groups.forEach((g, i) => need(isInt(g, 0, U32 - 1), `user.groups[${i}]`, 'must be an integer gid'));
  }
  idMaps(u.uidMap, 'user.uidMap');
  idMaps(u.gidMap, 'user.gidMap');
  need(!(u.uidMap || u.gidMap) || !!s.namespaces.user, 'user.uidMap', 'id maps need namespaces.user');

  if (s.caps) {
    const c = s.caps;
    const capMask = (v: unknown, f: string) =>
      need(v === undefined || (typeof v === 'bigint' && v >= 0n && v < 1n << 64n), f, 'must be a bigint bitmask of CAP_* numbers');
    capMask(c.keep, 'caps.keep');
    capMask(c.bounding, 'caps.bounding');
    need(c.ambient === undefined || typeof c.ambient === 'boolean', 'caps.ambient', 'must be a boolean');
    need(c.securebits === undefined || isInt(c.securebits, 0, 0xff), 'caps.securebits', 'must be SECBIT_* bits (0-0xff)');
    // open_by_handle_at needs CAP_DAC_READ_SEARCH in the initial user namespace and opens any
    // file of a mounted filesystem by its handle: no root directory confines it.
    const dacReadSearch = 1n << 2n;
    need(!(s.filesystem?.root !== undefined && !s.namespaces.user && (((c.keep ?? 0n) | (c.bounding ?? 0n)) & dacReadSearch)),
      'caps.keep', 'CAP_DAC_READ_SEARCH with a new root: open_by_handle_at reaches files outside the root');
  }
  need(typeof s.noNewPrivs === 'boolean', 'noNewPrivs', 'must be a boolean');

  if (s.seccomp) {
    const b = s.seccomp.bpf;
    need(b instanceof Uint8Array, 'seccomp.bpf', 'must be a Uint8Array of sock_filter records');
    need(b.length > 0 && b.length % 8 === 0, 'seccomp.bpf', 'length must be a non-zero multiple of 8');
    need(b.length / 8 <= LIMITS.policyInstructions, 'seccomp.bpf', `has more than ${LIMITS.policyInstructions} instructions (BPF_MAXINSNS)`);
    need(s.seccomp.tsync === undefined || typeof s.seccomp.tsync === 'boolean', 'seccomp.tsync', 'must be a boolean');
    need(s.seccomp.log === undefined || typeof s.seccomp.log === 'boolean', 'seccomp.log', 'must be a boolean');
    need(s.seccomp.reportViolations === undefined || typeof s.seccomp.reportViolations === 'boolean', 'seccomp.reportViolations', 'must be a boolean');
    need(s.seccomp.allowIoUring === undefined || typeof s.seccomp.allowIoUring === 'boolean', 'seccomp.allowIoUring', 'must be a boolean');
    need(s.seccomp.logMode === undefined || typeof s.seccomp.logMode === 'boolean', 'seccomp.logMode', 'must be a boolean');
    if (!s.seccomp.allowIoUring) {
      const uring = ioUringCallsAllowed(b);
      need(uring.length === 0, 'seccomp.bpf', `${ioUringRisk(uring)}; set seccomp.allowIoUring if that is intended`);
    }
    if (s.seccomp.names !== undefined) {
      need(s.seccomp.names !== null && typeof s.seccomp.names === 'object', 'seccomp.names', 'must be an object of syscall names by number');
      const entries = Object.entries(s.seccomp.names);
      need(entries.length <= LIMITS.syscallNames, 'seccomp.names', `has more than ${LIMITS.syscallNames} entries`);
      for (const [nr, name] of entries) {
        need(isInt(Number(nr)) && String(Number(nr)) === nr, `seccomp.names.${nr}`, 'must be keyed by a syscall number');
        need(typeof name === 'string' && name.length > 0 && !name.includes('\0'), `seccomp.names.${nr}`, 'must be a syscall name');
      }
    }
  }
  need(s.seccompTiming === undefined || ['preload', 'exec', 'auto'].includes(s.seccompTiming), 'seccompTiming', "must be 'preload', 'exec' or 'auto'");

  need(s.filesystem !== null && typeof s.filesystem === 'object', 'filesystem', 'must be an object');
  if (s.filesystem.root !== undefined) {
    fsPath(s.filesystem.root, 'filesystem.root');
    need(normalizePath(s.filesystem.root) !== '/', 'filesystem.root', "must not be '/' (omit it to keep the current root)");
  }
  need(s.filesystem.rootMode === undefined || ['pivot_root', 'chroot'].includes(s.filesystem.rootMode), 'filesystem.rootMode', "must be 'pivot_root' or 'chroot'");
  need(s.filesystem.propagation === undefined || ['private', 'slave', 'shared', 'unbindable'].includes(s.filesystem.propagation),
    'filesystem.propagation', "must be 'private', 'slave', 'shared' or 'unbindable'");
  need(Array.isArray(s.filesystem.mounts ?? []), 'filesystem.mounts', 'must be an array');
  s.filesystem = { ...s.filesystem, mounts: s.filesystem.mounts ?? [] };
  need(s.filesystem.mounts.length <= LIMITS.mounts, 'filesystem.mounts', `has ${s.filesystem.mounts.length} entries (at most ${LIMITS.mounts})`);
  const root = s.filesystem.root !== undefined ? normalizePath(s.filesystem.root) : undefined;
  s.filesystem.mounts.forEach((m, i) => mount(m, `filesystem.mounts[${i}]`, root));
  need(s.filesystem.mounts.length === 0 && s.filesystem.root === undefined || !!s.namespaces.mount,
    'filesystem', 'mounts and a new root need namespaces.mount');

  if (s.landlock) {
    need(s.landlock !== null && typeof s.landlock === 'object', 'landlock', 'must be an object');
    let rules = 0;
    for (const k of ['ro', 'rw', 'rx'] as const) {
      need(Array.isArray(s.landlock[k] ?? []), `landlock.${k}`, 'must be an array of absolute paths');
      (s.landlock[k] ?? []).forEach((p, i) => fsPath(p, `landlock.${k}[${i}]`));
      rules += (s.landlock[k] ?? []).length;
    }
    need(rules <= LIMITS.landlockRules, 'landlock', `has ${rules} rules (at most ${LIMITS.landlockRules})`);
  }
  need(Array.isArray(s.rlimits), 'rlimits', 'must be an array');
  need(s.rlimits.length <= LIMITS.rlimits, 'rlimits', `has ${s.rlimits.length} entries (at most ${LIMITS.rlimits})`);
  s.rlimits.forEach((r, i) => {
    need(r !== null && typeof r === 'object', `rlimits[${i}]`, 'must be an object');
    need((typeof r.resource === 'string' || typeof r.resource === 'number') && rlimitNumber(r.resource) !== undefined,
      `rlimits[${i}].resource`, `must be an RLIMIT_* name or a number below ${RLIMIT_NLIMITS}`);
    const soft = rlimitValue(r.soft);
    const hard = rlimitValue(r.hard);
    need(soft !== undefined, `rlimits[${i}].soft`, "must be a non-negative integer or 'unlimited'");
    need(hard !== undefined, `rlimits[${i}].hard`, "must be a non-negative integer or 'unlimited'");
    need(soft <= hard, `rlimits[${i}].soft`, 'must not exceed hard');
  });
  if (s.cgroup) {
    need(s.cgroup.memory === undefined || isInt(s.cgroup.memory, 4096, Number.MAX_SAFE_INTEGER), 'cgroup.memory', 'must be a byte count >= 4096');
    need(s.cgroup.pids === undefined || isInt(s.cgroup.pids, 1, Number.MAX_SAFE_INTEGER), 'cgroup.pids', 'must be a positive integer');
    need(s.cgroup.cpu === undefined || (typeof s.cgroup.cpu === 'number' && s.cgroup.cpu > 0 && s.cgroup.cpu <= 1024), 'cgroup.cpu', 'must be a positive fraction of CPUs');
  }
  need(Array.isArray(s.preserveFds), 'preserveFds', 'must be an array of fds');
  need(s.preserveFds.length <= LIMITS.preserveFds, 'preserveFds', `has ${s.preserveFds.length} entries (at most ${LIMITS.preserveFds})`);
  s.preserveFds.forEach((fd, i) => need(isInt(fd, 3, LIMITS.maxFd), `preserveFds[${i}]`, `must be an fd from 3 to ${LIMITS.maxFd} (0-2 are always kept)`));
  need(s.timeLimitMs === undefined || isInt(s.timeLimitMs, 1, LIMITS.timeLimitMs), 'timeLimitMs', 'must be a positive number of milliseconds');
  if (s.pidFile !== undefined) absPath(s.pidFile, 'pidFile');
  if (s.preloadLibrary !== undefined) fsPath(s.preloadLibrary, 'preloadLibrary');
  need(s.preloadTimeoutMs === undefined || isInt(s.preloadTimeoutMs, 1, LIMITS.preloadTimeoutMs), 'preloadTimeoutMs', `must be 1-${LIMITS.preloadTimeoutMs} milliseconds`);
  return s;
}
