// Jail files (docs/jailfile.md): the one encoding in which a jail reaches native code. spawnJail
// hands these bytes to the addon, `tsjail run --save-jail` writes them for tsjail-exec, and
// both decode them with the same reader (native/parent/jailfile.c, the trust boundary); the
// tags and constants here must match it.
//
// The payload is a validated JailSpec plus the decisions ts/jail/decide.ts makes for it (ids,
// id maps, capabilities, the preload library's path), with paths normalised, mount targets
// prefixed with the new root, tmpfs data strings built and RLIMIT_* names resolved. What only
// the runtime can know (the seccomp timing from the program's ELF, the loader set, the preload
// library's bind and Landlock rule) is decided at launch. Every field is written as
// little-endian bytes in a tagged, length-prefixed record; nothing is a memory image of a C
// struct.
import * as os from 'os';
import { JailSpec } from './spec';
import { SpecError, normalizePath, rlimitNumber, validateSpec } from './validate';
import { Decided, DecideHost, decide, nodeDecideHost } from './decide';
import { auditArch } from './arch';

export { auditArch } from './arch';

export const JAILFILE_MAGIC = 'TSJLFILE';
export const JAILFILE_FORMAT_VERSION = 3;
/** The oldest format the reader still takes: format 3 only added tag 32. */
export const JAILFILE_OLDEST_FORMAT_VERSION = 2;
/** Bumped with native/parent/jailfile.h's TSJAIL_JF_RUNTIME_ABI. */
export const JAILFILE_RUNTIME_ABI = 2;
export const JAILFILE_HEADER_SIZE = 32;
/** The largest jail file the reader takes (TSJAIL_JF_MAX_SIZE). */
export const JAILFILE_MAX_SIZE = 64 * 1024 * 1024;

// Format 2 dropped 16 (the seccomp mode decided by the writer) and 18 (the gate's loader set):
// the launch decides both.
const T = {
  PATH: 1, ARG: 2, ENV: 3, CWD: 4, CLONE_FLAGS: 5, PROGRAM_AS_INIT: 6, HOSTNAME: 7, UID: 8, GID: 9, GROUPS: 10,
  UID_MAP: 11, GID_MAP: 12, CAPS: 13, NO_NEW_PRIVS: 14, SECCOMP_POLICY: 15, SECCOMP_FLAGS: 17,
  PRELOAD_LIBRARY: 19, PRELOAD_TIMEOUT_MS: 20, PRESERVE_FDS: 21, FS: 22, LANDLOCK: 23, RLIMIT: 24,
  CGROUP: 25, TIME_LIMIT_MS: 26, PID_FILE: 27, SYSCALL_NAME: 28, SECCOMP_TIMING: 29, FORWARD_SIGNALS: 30,
  KEEP_SESSION: 31, POLICY_SOURCE: 32,
} as const;
// Inside FS (1, format 1's "enabled", follows from the mount namespace).
const FS = { PROPAGATION: 2, ROOT_MODE: 3, ROOT: 4, MOUNT: 5 } as const;
const M = { KIND: 1, SOURCE: 2, TARGET: 3, FSTYPE: 4, DATA: 5, FLAGS: 6, WRITABLE: 7, RECURSIVE: 8, READ_ONLY: 9 } as const;
const MOUNT_KIND = { bind: 1, tmpfs: 2, proc: 3, dev: 4, mount: 5, 'remount-ro': 6 } as const;
const PROPAGATION = { private: 1, slave: 2, shared: 3, unbindable: 4 } as const;
const LANDLOCK_CLASS = { ro: 1, rw: 2, rx: 3 } as const;
const CLONE = {
  user: 0x10000000n, pid: 0x20000000n, mount: 0x00020000n, net: 0x40000000n,
  ipc: 0x08000000n, uts: 0x04000000n, cgroup: 0x02000000n, time: 0x00000080n,
} as const;
const TIMING = { auto: 0, exec: 1, preload: 2 } as const;
const RLIM_INFINITY = 0xffffffffffffffffn;

/** CRC-32C's byte table (Castagnoli, reflected 0x82f63b78). */
const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0x82f63b78 & -(c & 1));
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C, as native/parent/jailfile.c computes it (a byte at a time here, a bit at a time there). */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC32C_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (~crc) >>> 0;
}

/** Records being written: tag (u16), length (u32), value. */
class Records {
  private parts: Uint8Array[] = [];

  bytes(tag: number, v: Uint8Array): this {
    const h = new Uint8Array(6);
    const dv = new DataView(h.buffer);
    dv.setUint16(0, tag, true);
    dv.setUint32(2, v.length, true);
    this.parts.push(h, v);
    return this;
  }
  str(tag: number, s: string | undefined): this {
    if (s === undefined) return this;
    if (s.includes('\0')) throw new Error(`jail files: a string contains NUL: ${JSON.stringify(s)}`);
    return this.bytes(tag, Buffer.from(s, 'utf8'));
  }
  u8(tag: number, v: number | boolean): this {
    return this.bytes(tag, Uint8Array.of(Number(v)));
  }
  u32(tag: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    return this.bytes(tag, b);
  }
  u64(tag: number, v: bigint | number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    return this.bytes(tag, b);
  }
  f64(tag: number, v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    return this.bytes(tag, b);
  }
  u32s(tag: number, vs: number[]): this {
    const b = new Uint8Array(4 * vs.length);
    const dv = new DataView(b.buffer);
    vs.forEach((v, i) => dv.setUint32(4 * i, v, true));
    return this.bytes(tag, b);
  }
  nested(tag: number, r: Records): this {
    return this.bytes(tag, r.done());
  }
  done(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

/** spec.filesystem: mount targets under the root (a target of "/" is the root itself), tmpfs data strings. */
function encodeFs(spec: JailSpec): Records {
  const r = new Records();
  const f = spec.filesystem;
  const root = f.root !== undefined ? normalizePath(f.root) : undefined;
  if (root) {
    r.u8(FS.ROOT_MODE, f.rootMode === 'chroot' ? 2 : 1);
    r.str(FS.ROOT, root);
  }
  r.u8(FS.PROPAGATION, PROPAGATION[f.propagation ?? 'private']);
  const targetOf = (t: string) => {
    const n = normalizePath(t);
    return root ? (n === '/' ? root : root + n) : n;
  };
  for (const m of f.mounts) {
    const e = new Records().u8(M.KIND, MOUNT_KIND[m.kind]).str(M.TARGET, targetOf(m.target));
    switch (m.kind) {
      case 'bind':
        e.str(M.SOURCE, normalizePath(m.source)).u8(M.WRITABLE, !!m.writable).u8(M.RECURSIVE, !!m.recursive);
        break;
      case 'tmpfs': {
        const mode = (m.mode ?? 0o755).toString(8);
        e.str(M.DATA, m.size !== undefined ? `mode=0${mode},size=${m.size}` : `mode=0${mode}`);
        break;
      }
      case 'proc':
        e.u8(M.READ_ONLY, !!m.readOnly);
        break;
      case 'mount':
        e.str(M.SOURCE, m.source).str(M.FSTYPE, m.fstype).u32(M.FLAGS, m.flags ?? 0).str(M.DATA, m.data);
        break;
      default:
        break;
    }
    r.nested(FS.MOUNT, e);
  }
  return r;
}

/** spec.landlock: one rule per path, ro then rw then rx. */
function encodeLandlock(spec: JailSpec): Records | undefined {
  if (!spec.landlock) return undefined;
  const r = new Records();
  for (const cls of ['ro', 'rw', 'rx'] as const) {
    for (const p of spec.landlock[cls] ?? []) {
      r.bytes(1, Buffer.concat([Uint8Array.of(LANDLOCK_CLASS[cls]), Buffer.from(normalizePath(p), 'utf8')]));
    }
  }
  return r;
}

/** sock_filter bytes (host order, as the core produces them) -> the file's little-endian records. */
function policyRecords(bpf: Uint8Array): Uint8Array {
  const le = os.endianness() === 'LE';
  const src = new DataView(bpf.buffer, bpf.byteOffset, bpf.byteLength);
  const out = new Uint8Array(bpf.length);
  const dst = new DataView(out.buffer);
  for (let i = 0; i + 8 <= bpf.length; i += 8) {
    dst.setUint16(i, src.getUint16(i, le), true);
    out[i + 2] = bpf[i + 2];
    out[i + 3] = bpf[i + 3];
    dst.setUint32(i + 4, src.getUint32(i + 4, le), true);
  }
  return out;
}

export interface JailFileOptions {
  /** Forward SIGTERM/INT/HUP/QUIT/USR1/USR2 to the jail (tsjail run's default; tsjail-exec only). */
  forwardSignals?: boolean;
  /** Who makes the jail (default ids) and where the preload library is (tests substitute it). */
  host?: DecideHost;
  /**
   * The policy the filter was compiled from, as ts/jail/violation-record.ts encodes it (its
   * files and compile options, JSON): tsjail-exec copies it, unread, into a violation record
   * so that `tsjail explain` can name the rule. Native code never parses it.
   */
  policySource?: string;
}

/** The payload records of a spec and its decisions. */
function encodePayload(spec: JailSpec, d: Decided, opts: JailFileOptions): Uint8Array {
  const r = new Records();
  r.str(T.PATH, normalizePath(spec.path));
  for (const a of spec.argv) r.str(T.ARG, a);
  for (const e of spec.env) r.str(T.ENV, e);
  if (spec.cwd !== undefined) r.str(T.CWD, spec.cwd);
  let flags = 0n;
  for (const [k, bit] of Object.entries(CLONE)) if (spec.namespaces[k as keyof typeof CLONE]) flags |= bit;
  r.u64(T.CLONE_FLAGS, flags);
  r.u8(T.PROGRAM_AS_INIT, !!spec.programAsInit);
  r.str(T.HOSTNAME, spec.hostname);
  if (d.uid !== undefined) r.u32(T.UID, d.uid);
  if (d.gid !== undefined) r.u32(T.GID, d.gid);
  if (d.groups !== undefined) r.u32s(T.GROUPS, d.groups);
  const mapText = (m: { inside: number; outside: number; count: number }[]) => m.map((l) => `${l.inside} ${l.outside} ${l.count}\n`).join('');
  if (d.uidMap) r.str(T.UID_MAP, mapText(d.uidMap));
  if (d.gidMap) r.str(T.GID_MAP, mapText(d.gidMap));
  if (d.caps) {
    const b = new Uint8Array(21);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, d.caps.keep, true);
    dv.setBigUint64(8, d.caps.bounding, true);
    b[16] = d.caps.ambient ? 1 : 0;
    dv.setInt32(17, d.caps.securebits, true);
    r.bytes(T.CAPS, b);
  }
  r.u8(T.NO_NEW_PRIVS, !!spec.noNewPrivs);
  if (spec.seccomp) {
    r.bytes(T.SECCOMP_POLICY, policyRecords(spec.seccomp.bpf));
    const report = spec.seccomp.reportViolations !== false;
    r.u32(T.SECCOMP_FLAGS, (spec.seccomp.tsync ? 1 : 0) | (spec.seccomp.log ? 2 : 0) | (report ? 4 : 0) | (spec.seccomp.logMode ? 8 : 0));
    r.u8(T.SECCOMP_TIMING, TIMING[spec.seccompTiming ?? 'auto']);
    if (d.preloadLibrary !== undefined) r.str(T.PRELOAD_LIBRARY, normalizePath(d.preloadLibrary));
    r.u32(T.PRELOAD_TIMEOUT_MS, spec.preloadTimeoutMs ?? 5000);
    for (const [nr, name] of Object.entries(spec.seccomp.names ?? {})) {
      const b = Buffer.alloc(4 + Buffer.byteLength(name, 'utf8'));
      b.writeUInt32LE(Number(nr), 0);
      b.write(name, 4, 'utf8');
      r.bytes(T.SYSCALL_NAME, b);
    }
  }
  if (spec.preserveFds.length) r.u32s(T.PRESERVE_FDS, spec.preserveFds);
  r.nested(T.FS, encodeFs(spec));
  const ll = encodeLandlock(spec);
  if (ll) r.nested(T.LANDLOCK, ll);
  for (const l of spec.rlimits) {
    const b = new Uint8Array(20);
    const dv = new DataView(b.buffer);
    // (An unchecked spec's unknown name becomes a number the reader refuses.)
    dv.setUint32(0, rlimitNumber(l.resource) ?? (typeof l.resource === 'number' ? l.resource >>> 0 : 0xffffffff), true);
    dv.setBigUint64(4, l.soft === 'unlimited' ? RLIM_INFINITY : BigInt(l.soft), true);
    dv.setBigUint64(12, l.hard === 'unlimited' ? RLIM_INFINITY : BigInt(l.hard), true);
    r.bytes(T.RLIMIT, b);
  }
  if (spec.cgroup) {
    const c = new Records();
    if (spec.cgroup.memory !== undefined) c.u64(1, spec.cgroup.memory);
    if (spec.cgroup.pids !== undefined) c.u64(2, spec.cgroup.pids);
    if (spec.cgroup.cpu !== undefined) c.f64(3, spec.cgroup.cpu);
    r.nested(T.CGROUP, c);
  }
  if (spec.timeLimitMs !== undefined) r.u64(T.TIME_LIMIT_MS, spec.timeLimitMs);
  if (spec.pidFile !== undefined) r.str(T.PID_FILE, spec.pidFile);
  r.u8(T.FORWARD_SIGNALS, opts.forwardSignals ?? true);
  // Only when asked: a file without it keeps the default (a new session) on every reader.
  if (spec.keepSession) r.u8(T.KEEP_SESSION, true);
  if (spec.seccomp && opts.policySource !== undefined) r.str(T.POLICY_SOURCE, opts.policySource);
  return r.done();
}

/** The header and checksums around a payload (exported for tests that build odd files). */
export function frameJailFile(payload: Uint8Array, fields: { version?: number; abi?: number; arch?: number } = {}): Uint8Array {
  const out = new Uint8Array(JAILFILE_HEADER_SIZE + payload.length);
  const dv = new DataView(out.buffer);
  out.set(Buffer.from(JAILFILE_MAGIC, 'latin1'), 0);
  dv.setUint16(8, fields.version ?? JAILFILE_FORMAT_VERSION, true);
  dv.setUint16(10, JAILFILE_HEADER_SIZE, true);
  dv.setUint32(12, fields.arch ?? auditArch(), true);
  dv.setUint32(16, fields.abi ?? JAILFILE_RUNTIME_ABI, true);
  dv.setUint32(20, payload.length, true);
  dv.setUint32(24, crc32c(payload), true);
  dv.setUint32(28, crc32c(out.subarray(0, 28)), true);
  out.set(payload, JAILFILE_HEADER_SIZE);
  return out;
}

/** A JailSpec -> jail file bytes. Throws SpecError (an invalid spec: nothing is written). */
export function encodeJailFile(input: JailSpec, opts: JailFileOptions = {}): Uint8Array {
  return encodeValidatedJailFile(validateSpec(input), opts);
}

/** Jail file bytes for a spec validateSpec already returned (spawnJail's path). */
export function encodeValidatedJailFile(spec: JailSpec, opts: JailFileOptions = {}): Uint8Array {
  const file = frameJailFile(encodePayload(spec, decide(spec, opts.host ?? nodeDecideHost()), opts));
  if (file.length > JAILFILE_MAX_SIZE) {
    throw new SpecError('spec', `its jail file would be ${file.length} bytes, more than the ${JAILFILE_MAX_SIZE} the runtime reads`);
  }
  return file;
}

/**
 * Bytes for a spec that did NOT pass validateSpec, for tests of the native reader (the trust
 * boundary must refuse what validateSpec refuses): the defaults are filled, nothing is checked.
 */
export function encodeUncheckedJailFile(input: JailSpec, opts: JailFileOptions = {}): Uint8Array {
  const spec: JailSpec = {
    ...input, namespaces: input.namespaces ?? {}, user: input.user ?? {}, env: input.env ?? [], noNewPrivs: !!input.noNewPrivs,
    filesystem: { ...(input.filesystem ?? {}), mounts: input.filesystem?.mounts ?? [] }, rlimits: input.rlimits ?? [], preserveFds: input.preserveFds ?? [],
  };
  return frameJailFile(encodePayload(spec, decide(spec, opts.host ?? nodeDecideHost()), opts));
}

/** Recompute both checksums after a test edited the bytes (so the decoder itself is exercised). */
export function refreshChecksums(file: Uint8Array): Uint8Array {
  const out = Uint8Array.from(file);
  if (out.length < JAILFILE_HEADER_SIZE) return out;
  const dv = new DataView(out.buffer);
  dv.setUint32(24, crc32c(out.subarray(JAILFILE_HEADER_SIZE)), true);
  dv.setUint32(20, out.length - JAILFILE_HEADER_SIZE, true);
  dv.setUint32(28, crc32c(out.subarray(0, 28)), true);
  return out;
}
