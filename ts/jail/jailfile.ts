// Jail files (docs/jailfile.md): a validated JailSpec, with the decisions spawn.ts makes for it
// (default id maps, capability sets, seccomp timing), encoded for tsjail-exec. The reader is
// native/exec/jailfile.c; the tags and constants here must match it.
//
// The payload holds what the addon's converters (native/addon/spec.cc, fs_spec.cc) would build:
// mount targets prefixed with the root, tmpfs data strings, the preload library's bind and
// Landlock rule, RLIMIT_* numbers. Every field is written as little-endian bytes in a tagged,
// length-prefixed record; nothing is a memory image of a C struct.
import * as os from 'os';
import * as path from 'path';
import { JailSpec } from './spec';
import { validateSpec } from './validate';
import { toNativeSpec } from './spawn';
import { nativeDir, NativeSpec } from './native';
import { loaderSyscalls } from './loader-syscalls';

export const JAILFILE_MAGIC = 'TSJLFILE';
export const JAILFILE_FORMAT_VERSION = 1;
/** Bumped with native/exec/jailfile.h's TSJAIL_JF_RUNTIME_ABI. */
export const JAILFILE_RUNTIME_ABI = 1;
export const JAILFILE_HEADER_SIZE = 32;

/** AUDIT_ARCH_* of the machine tsjail runs on (the runtime's build). */
export function auditArch(arch: string = process.arch): number {
  const a: Record<string, number> = { x64: 0xc000003e, arm64: 0xc00000b7, ia32: 0x40000003, arm: 0x40000028 };
  if (a[arch] === undefined) throw new Error(`jail files: no AUDIT_ARCH known for ${arch}`);
  return a[arch];
}

const T = {
  PATH: 1, ARG: 2, ENV: 3, CWD: 4, CLONE_FLAGS: 5, PROGRAM_AS_INIT: 6, HOSTNAME: 7, UID: 8, GID: 9, GROUPS: 10,
  UID_MAP: 11, GID_MAP: 12, CAPS: 13, NO_NEW_PRIVS: 14, SECCOMP_POLICY: 15, SECCOMP_MODE: 16, SECCOMP_FLAGS: 17,
  GATE_ALLOW: 18, PRELOAD_LIBRARY: 19, PRELOAD_TIMEOUT_MS: 20, PRESERVE_FDS: 21, FS: 22, LANDLOCK: 23, RLIMIT: 24,
  CGROUP: 25, TIME_LIMIT_MS: 26, PID_FILE: 27, SYSCALL_NAME: 28, SECCOMP_TIMING: 29, FORWARD_SIGNALS: 30,
} as const;
const FS = { ENABLED: 1, PROPAGATION: 2, ROOT_MODE: 3, ROOT: 4, MOUNT: 5 } as const;
const M = { KIND: 1, SOURCE: 2, TARGET: 3, FSTYPE: 4, DATA: 5, FLAGS: 6, WRITABLE: 7, RECURSIVE: 8, READ_ONLY: 9 } as const;
const MOUNT_KIND = { bind: 1, tmpfs: 2, proc: 3, dev: 4, mount: 5, 'remount-ro': 6 } as const;
const PROPAGATION = { private: 1, slave: 2, shared: 3, unbindable: 4 } as const;
const LANDLOCK_CLASS = { ro: 1, rw: 2, rx: 3 } as const;
const CLONE = {
  user: 0x10000000n, pid: 0x20000000n, mount: 0x00020000n, net: 0x40000000n,
  ipc: 0x08000000n, uts: 0x04000000n, cgroup: 0x02000000n, time: 0x00000080n,
} as const;
const RLIMIT: Record<string, number> = {
  CPU: 0, FSIZE: 1, DATA: 2, STACK: 3, CORE: 4, RSS: 5, NPROC: 6, NOFILE: 7, MEMLOCK: 8, AS: 9,
  LOCKS: 10, SIGPENDING: 11, MSGQUEUE: 12, NICE: 13, RTPRIO: 14, RTTIME: 15,
};
const RLIM_INFINITY = 0xffffffffffffffffn;

/** CRC-32C (Castagnoli, reflected 0x82f63b78), as native/exec/jailfile.c. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
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

/** "/a//b/./c/" -> "/a/b/c" (fs_spec.cc's NormalizeAbsolute); '..' or a relative path is refused. */
function normalize(p: string, field: string): string {
  if (!p.startsWith('/')) throw new Error(`jail files: ${field} must be an absolute path`);
  const parts = p.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.includes('..')) throw new Error(`jail files: ${field} must not contain '..'`);
  return '/' + parts.join('/');
}

function preloadLibraryOf(spec: JailSpec): string {
  return normalize(spec.preloadLibrary ?? path.join(nativeDir(), 'libtsjailpreload.so'), 'preloadLibrary');
}

/** spec.filesystem as tsjail_fs_from_js builds it. */
function encodeFs(spec: JailSpec, native: NativeSpec): Records {
  const r = new Records();
  const f = spec.filesystem;
  const mountNs = !!spec.namespaces.mount;
  r.u8(FS.ENABLED, mountNs);
  const root = f.root !== undefined ? normalize(f.root, 'filesystem.root') : undefined;
  if (root === '/') throw new Error("jail files: filesystem.root must not be '/'");
  if (root) {
    r.u8(FS.ROOT_MODE, f.rootMode === 'chroot' ? 2 : 1);
    r.str(FS.ROOT, root);
  }
  r.u8(FS.PROPAGATION, PROPAGATION[f.propagation ?? 'private']);
  const prefix = root ?? '';
  const targetOf = (t: string) => (t === '/' && prefix ? prefix : prefix + t);
  // The preload library bound at its own path inside a new root, after the user's mounts and
  // before trailing read-only remounts (fs_spec.cc).
  let lib = root && native.seccompMode === 'preload' && native.preloadLibrary ? normalize(native.preloadLibrary, 'preloadLibrary') : '';
  const mounts = f.mounts;
  if (lib && mounts.some((m) => m.kind === 'bind' && normalize(m.source, 'source') === lib && normalize(m.target, 'target') === lib)) lib = '';
  let libAt = mounts.length;
  while (libAt > 0 && mounts[libAt - 1].kind === 'remount-ro') libAt--;
  const bindLib = () => r.nested(FS.MOUNT, new Records().u8(M.KIND, MOUNT_KIND.bind).str(M.SOURCE, lib).str(M.TARGET, targetOf(lib)));
  mounts.forEach((m, i) => {
    if (i === libAt && lib) bindLib();
    const field = `filesystem.mounts[${i}]`;
    const e = new Records().u8(M.KIND, MOUNT_KIND[m.kind]).str(M.TARGET, targetOf(normalize(m.target, `${field}.target`)));
    switch (m.kind) {
      case 'bind':
        e.str(M.SOURCE, normalize(m.source, `${field}.source`)).u8(M.WRITABLE, !!m.writable).u8(M.RECURSIVE, !!m.recursive);
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
  });
  if (libAt === mounts.length && lib) bindLib();
  return r;
}

/** spec.landlock as tsjail_landlock_from_js builds it (plus the preload library's read rule). */
function encodeLandlock(spec: JailSpec, native: NativeSpec): Records | undefined {
  if (!spec.landlock) return undefined;
  const r = new Records();
  const paths: string[] = [];
  for (const cls of ['ro', 'rw', 'rx'] as const) {
    (spec.landlock[cls] ?? []).forEach((p, i) => {
      const n = normalize(p, `landlock.${cls}[${i}]`);
      paths.push(n);
      r.bytes(1, Buffer.concat([Uint8Array.of(LANDLOCK_CLASS[cls]), Buffer.from(n, 'utf8')]));
    });
  }
  const lib = native.seccompMode === 'preload' && native.preloadLibrary ? normalize(native.preloadLibrary, 'preloadLibrary') : '';
  if (lib && !paths.includes(lib)) r.bytes(1, Buffer.concat([Uint8Array.of(LANDLOCK_CLASS.ro), Buffer.from(lib, 'utf8')]));
  return r;
}

function rlimitNumber(resource: string | number): number {
  if (typeof resource === 'number') return resource;
  const name = resource.replace(/^RLIMIT_/, '');
  const n = RLIMIT[name];
  if (n === undefined) throw new Error(`jail files: ${resource} is not an RLIMIT_* name`);
  return n;
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
  /** Forward SIGTERM/INT/HUP/QUIT/USR1/USR2 to the jail (tsjail run's default). */
  forwardSignals?: boolean;
}

/** The payload records of a validated spec. */
function encodePayload(spec: JailSpec, opts: JailFileOptions): Uint8Array {
  const native = toNativeSpec(spec);
  const r = new Records();
  r.str(T.PATH, normalize(native.path, 'path'));
  for (const a of native.argv) r.str(T.ARG, a);
  for (const e of native.env) r.str(T.ENV, e);
  if (native.cwd !== undefined) r.str(T.CWD, native.cwd);
  let flags = 0n;
  for (const [k, bit] of Object.entries(CLONE)) if (native.namespaces[k]) flags |= bit;
  r.u64(T.CLONE_FLAGS, flags);
  r.u8(T.PROGRAM_AS_INIT, native.programAsInit);
  r.str(T.HOSTNAME, native.hostname);
  if (native.uid !== undefined) r.u32(T.UID, native.uid);
  if (native.gid !== undefined) r.u32(T.GID, native.gid);
  if (native.groups !== undefined) r.u32s(T.GROUPS, native.groups);
  const mapText = (m: { inside: number; outside: number; count: number }[]) => m.map((l) => `${l.inside} ${l.outside} ${l.count}\n`).join('');
  if (native.uidMap) r.str(T.UID_MAP, mapText(native.uidMap));
  if (native.gidMap) r.str(T.GID_MAP, mapText(native.gidMap));
  if (native.caps) {
    const b = new Uint8Array(21);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, native.caps.keep, true);
    dv.setBigUint64(8, native.caps.bounding, true);
    b[16] = native.caps.ambient ? 1 : 0;
    dv.setInt32(17, native.caps.securebits, true);
    r.bytes(T.CAPS, b);
  }
  r.u8(T.NO_NEW_PRIVS, native.noNewPrivs);
  if (native.seccomp && spec.seccomp) {
    r.bytes(T.SECCOMP_POLICY, policyRecords(native.seccomp));
    r.u8(T.SECCOMP_MODE, native.seccompMode === 'preload' ? 2 : 1);
    r.u32(T.SECCOMP_FLAGS, (native.seccompTsync ? 1 : 0) | (native.seccompLog ? 2 : 0) | (native.reportViolations ? 4 : 0));
    r.u8(T.SECCOMP_TIMING, { auto: 0, exec: 1, preload: 2 }[spec.seccompTiming ?? 'auto']);
    // Always named, so tsjail-exec -- OTHER can re-decide the timing for another program.
    const gate = spec.seccomp.gateAllow ?? Object.values(loaderSyscalls() ?? {});
    r.u32s(T.GATE_ALLOW, gate);
    r.str(T.PRELOAD_LIBRARY, native.preloadLibrary ?? preloadLibraryOf(spec));
    r.u32(T.PRELOAD_TIMEOUT_MS, native.preloadTimeoutMs);
    for (const [nr, name] of Object.entries(spec.seccomp.names ?? {})) {
      const b = Buffer.alloc(4 + Buffer.byteLength(name, 'utf8'));
      b.writeUInt32LE(Number(nr), 0);
      b.write(name, 4, 'utf8');
      r.bytes(T.SYSCALL_NAME, b);
    }
  }
  if (native.preserveFds.length) r.u32s(T.PRESERVE_FDS, native.preserveFds);
  r.nested(T.FS, encodeFs(spec, native));
  const ll = encodeLandlock(spec, native);
  if (ll) r.nested(T.LANDLOCK, ll);
  for (const l of spec.rlimits) {
    const b = new Uint8Array(20);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, rlimitNumber(l.resource), true);
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

/** A JailSpec -> jail file bytes. Throws SpecError (invalid spec) or JailError (e.g. a non-glibc program). */
export function encodeJailFile(input: JailSpec, opts: JailFileOptions = {}): Uint8Array {
  return frameJailFile(encodePayload(validateSpec(input), opts));
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
