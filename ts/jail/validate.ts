// validateSpec: reject an invalid JailSpec naming the field, before anything forks (in phases,
// as better-sqlite3 checks its options: defaults, then validation, then interpretation).
// Returns a normalised copy.
import { JailSpec, MountSpec } from './spec';

export class SpecError extends TypeError {
  /** Dotted path of the offending field, e.g. 'user.uid'. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(`invalid jail spec: ${field}: ${message}`);
    this.name = 'SpecError';
    this.field = field;
  }
}

const NS_KEYS = ['user', 'pid', 'mount', 'net', 'ipc', 'uts', 'cgroup', 'time'];
const U32 = 0xffffffff;

function isInt(v: unknown, min = 0, max = U32): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}
function need(cond: boolean, field: string, message: string): asserts cond {
  if (!cond) throw new SpecError(field, message);
}
function absPath(v: unknown, field: string): void {
  need(typeof v === 'string' && v.startsWith('/') && !v.includes('\0'), field, 'must be an absolute path without NUL');
}
function strList(v: unknown, field: string): void {
  need(Array.isArray(v), field, 'must be an array of strings');
  (v as unknown[]).forEach((s, i) =>
    need(typeof s === 'string' && !s.includes('\0'), `${field}[${i}]`, 'must be a string without NUL'));
}
function idMaps(v: unknown, field: string): void {
  if (v === undefined) return;
  need(Array.isArray(v) && v.length > 0 && v.length <= 340, field, 'must be a non-empty array of {inside, outside, count}');
  (v as any[]).forEach((m, i) => {
    need(m !== null && typeof m === 'object', `${field}[${i}]`, 'must be an object');
    need(isInt(m.inside), `${field}[${i}].inside`, 'must be an integer id');
    need(isInt(m.outside), `${field}[${i}].outside`, 'must be an integer id');
    need(isInt(m.count, 1), `${field}[${i}].count`, 'must be a positive integer');
  });
}
function mount(m: MountSpec, field: string): void {
  need(m !== null && typeof m === 'object', field, 'must be an object');
  switch (m.kind) {
    case 'bind':
      absPath(m.source, `${field}.source`);
      absPath(m.target, `${field}.target`);
      need(typeof m.writable === 'boolean', `${field}.writable`, 'must be a boolean');
      need(typeof m.recursive === 'boolean', `${field}.recursive`, 'must be a boolean');
      return;
    case 'tmpfs':
      absPath(m.target, `${field}.target`);
      need(m.size === undefined || isInt(m.size, 1, Number.MAX_SAFE_INTEGER), `${field}.size`, 'must be a positive byte count');
      need(m.mode === undefined || isInt(m.mode, 0, 0o7777), `${field}.mode`, 'must be a mode (0-07777)');
      return;
    case 'proc':
      absPath(m.target, `${field}.target`);
      need(typeof m.readOnly === 'boolean', `${field}.readOnly`, 'must be a boolean');
      return;
    case 'dev':
    case 'remount-ro':
      absPath(m.target, `${field}.target`);
      return;
    case 'mount':
      need(typeof m.source === 'string', `${field}.source`, 'must be a string');
      absPath(m.target, `${field}.target`);
      need(typeof m.fstype === 'string' && m.fstype.length > 0, `${field}.fstype`, 'must be a filesystem type');
      need(isInt(m.flags), `${field}.flags`, 'must be MS_* flags');
      need(m.data === undefined || typeof m.data === 'string', `${field}.data`, 'must be a string');
      return;
    default:
      throw new SpecError(`${field}.kind`, `unknown mount kind ${JSON.stringify((m as any).kind)}`);
  }
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
  if (s.cwd !== undefined) absPath(s.cwd, 'cwd');

  for (const [k, v] of Object.entries(s.namespaces)) {
    need(NS_KEYS.includes(k), `namespaces.${k}`, `unknown namespace (one of ${NS_KEYS.join(', ')})`);
    need(v === undefined || typeof v === 'boolean', `namespaces.${k}`, 'must be a boolean');
  }
  need(s.programAsInit === undefined || typeof s.programAsInit === 'boolean', 'programAsInit', 'must be a boolean');
  need(!s.programAsInit || !!s.namespaces.pid, 'programAsInit', 'needs namespaces.pid');
  if (s.hostname !== undefined) {
    need(typeof s.hostname === 'string' && s.hostname.length > 0 && s.hostname.length <= 64, 'hostname', 'must be 1-64 characters');
    need(!!s.namespaces.uts, 'hostname', 'needs namespaces.uts (a new UTS namespace)');
  }

  const u = s.user;
  need(u.uid === undefined || isInt(u.uid, 0, U32 - 1), 'user.uid', 'must be an integer uid');
  need(u.gid === undefined || isInt(u.gid, 0, U32 - 1), 'user.gid', 'must be an integer gid');
  if (u.groups !== undefined && u.groups !== 'keep') {
    need(Array.isArray(u.groups) && u.groups.length <= 65536, 'user.groups', "must be 'keep' or an array of gids");
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
  }
  need(typeof s.noNewPrivs === 'boolean', 'noNewPrivs', 'must be a boolean');

  if (s.seccomp) {
    const b = s.seccomp.bpf;
    need(b instanceof Uint8Array, 'seccomp.bpf', 'must be a Uint8Array of sock_filter records');
    need(b.length > 0 && b.length % 8 === 0, 'seccomp.bpf', 'length must be a non-zero multiple of 8');
    need(b.length / 8 <= 4096, 'seccomp.bpf', 'has more than 4096 instructions (BPF_MAXINSNS)');
    need(s.seccomp.tsync === undefined || typeof s.seccomp.tsync === 'boolean', 'seccomp.tsync', 'must be a boolean');
    need(s.seccomp.log === undefined || typeof s.seccomp.log === 'boolean', 'seccomp.log', 'must be a boolean');
    if (s.seccomp.gateAllow !== undefined) {
      need(Array.isArray(s.seccomp.gateAllow), 'seccomp.gateAllow', 'must be an array of syscall numbers');
      s.seccomp.gateAllow.forEach((n, i) => need(isInt(n, 0, 4095), `seccomp.gateAllow[${i}]`, 'must be a syscall number'));
    }
  }
  need(s.seccompTiming === undefined || ['preload', 'exec', 'auto'].includes(s.seccompTiming), 'seccompTiming', "must be 'preload', 'exec' or 'auto'");

  need(s.filesystem !== null && typeof s.filesystem === 'object', 'filesystem', 'must be an object');
  if (s.filesystem.root !== undefined) absPath(s.filesystem.root, 'filesystem.root');
  need(s.filesystem.rootMode === undefined || ['pivot_root', 'chroot'].includes(s.filesystem.rootMode), 'filesystem.rootMode', "must be 'pivot_root' or 'chroot'");
  need(s.filesystem.propagation === undefined || ['private', 'slave', 'shared', 'unbindable'].includes(s.filesystem.propagation),
    'filesystem.propagation', "must be 'private', 'slave', 'shared' or 'unbindable'");
  need(Array.isArray(s.filesystem.mounts ?? []), 'filesystem.mounts', 'must be an array');
  s.filesystem = { ...s.filesystem, mounts: s.filesystem.mounts ?? [] };
  s.filesystem.mounts.forEach((m, i) => mount(m, `filesystem.mounts[${i}]`));
  need(s.filesystem.mounts.length === 0 && s.filesystem.root === undefined || !!s.namespaces.mount,
    'filesystem', 'mounts and a new root need namespaces.mount');

  if (s.landlock) {
    for (const k of ['ro', 'rw', 'rx'] as const) {
      need(Array.isArray(s.landlock[k] ?? []), `landlock.${k}`, 'must be an array of absolute paths');
      (s.landlock[k] ?? []).forEach((p, i) => absPath(p, `landlock.${k}[${i}]`));
    }
  }
  need(Array.isArray(s.rlimits), 'rlimits', 'must be an array');
  s.rlimits.forEach((r, i) => {
    need(typeof r.resource === 'string' || isInt(r.resource, 0, 63), `rlimits[${i}].resource`, 'must be an RLIMIT_* name or number');
    for (const k of ['soft', 'hard'] as const)
      need(r[k] === 'unlimited' || isInt(r[k], 0, Number.MAX_SAFE_INTEGER), `rlimits[${i}].${k}`, "must be a non-negative integer or 'unlimited'");
  });
  if (s.cgroup) {
    need(s.cgroup.memory === undefined || isInt(s.cgroup.memory, 4096, Number.MAX_SAFE_INTEGER), 'cgroup.memory', 'must be a byte count >= 4096');
    need(s.cgroup.pids === undefined || isInt(s.cgroup.pids, 1), 'cgroup.pids', 'must be a positive integer');
    need(s.cgroup.cpu === undefined || (typeof s.cgroup.cpu === 'number' && s.cgroup.cpu > 0 && s.cgroup.cpu <= 1024), 'cgroup.cpu', 'must be a positive fraction of CPUs');
  }
  need(Array.isArray(s.preserveFds), 'preserveFds', 'must be an array of fds');
  s.preserveFds.forEach((fd, i) => need(isInt(fd, 3, 65535), `preserveFds[${i}]`, 'must be an fd >= 3 (0-2 are always kept)'));
  need(s.timeLimitMs === undefined || isInt(s.timeLimitMs, 1, 2 ** 31 - 1), 'timeLimitMs', 'must be a positive number of milliseconds');
  if (s.pidFile !== undefined) absPath(s.pidFile, 'pidFile');
  if (s.preloadLibrary !== undefined) absPath(s.preloadLibrary, 'preloadLibrary');
  need(s.preloadTimeoutMs === undefined || isInt(s.preloadTimeoutMs, 1, 600000), 'preloadTimeoutMs', 'must be 1-600000 milliseconds');
  return s;
}
