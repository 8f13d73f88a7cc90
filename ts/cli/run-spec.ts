// RunRequest (what the flags asked for) -> JailSpec (what the runtime gets), resolving against
// the system: users and groups from /etc, the program on PATH and through the jail's mounts, the
// seccomp policy compiled for this arch, files that must exist. Everything that can be found
// wrong here is reported before anything forks.
//
// The system is reached only through a SpecHost, so tests can substitute /etc files and the
// policy compiler; nodeSpecHost() is the real one.

import * as fs from 'fs';
import * as path from 'path';
import type { CapsSpec, IdMap, JailSpec, MountSpec } from '../jail/spec';
import { defaultIdMap } from '../jail/decide';
import { ProgramLookupError, findProgram, nodeProgramHost } from '../jail/program';
import { RunRequest, RunUsageError } from './run-options';
import { UserDb, numericId } from './run-users';
import { MS } from './run-values';
import { describeFsError } from '../node/system-errors';
import { EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND } from './run-status';
import { ioUringCallsAllowed, ioUringRisk } from '../jail/io-uring';

/** The program could not be found (exit 127) or is not executable (exit 126), like env(1). */
export class ProgramError extends Error {
  constructor(readonly status: typeof EXIT_NOT_EXECUTABLE | typeof EXIT_NOT_FOUND, message: string) {
    super(message);
  }
}

/** The seccomp policy does not compile: its diagnostics, already formatted. */
export class PolicyCompileError extends Error {
  constructor(readonly formatted: string, readonly errorCount: number) {
    super(`the seccomp policy has ${errorCount} error${errorCount === 1 ? '' : 's'}`);
  }
}

export interface CompiledPolicy {
  bpf: Uint8Array;
  arch: string;
  /** The text and options it was compiled from: a violation names its rule and the line to add. */
  source?: NonNullable<JailSpec['seccomp']>['source'];
}

export interface SpecHost {
  /** tsjail's own environment (the program's unless --env-reset). */
  env: Record<string, string | undefined>;
  uid: number;
  gid: number;
  cwd: string;
  /** Highest capability number the kernel knows (/proc/sys/kernel/cap_last_cap). */
  capLastCap: number;
  readText(file: string): string;
  readBytes(file: string): Uint8Array;
  /** undefined when the path does not exist (lstat semantics are not wanted: follow links). */
  stat(file: string): fs.Stats | undefined;
  /** access(2) with X_OK for the current user. */
  executable(file: string): boolean;
  /** Compile a policy file with its @include files; throws PolicyCompileError. */
  compilePolicy(file: string): Promise<CompiledPolicy>;
  /** Convert an OCI seccomp profile for this arch and compile it (--seccomp-oci). */
  compileOciProfile?(file: string, caps: string, kernel: string): Promise<CompiledPolicy>;
  /** Syscall names by number for the arch a filter is for (names a violation). */
  syscallNames(arch: string): Promise<Record<number, string>>;
  /** The arch this machine runs, in the policy core's names. */
  arch(): string;
  passwdFile: string;
  groupFile: string;
}

function usage(msg: string): never {
  throw new RunUsageError(msg);
}

// ---------------------------------------------------------------------------------------------
// Identity

interface Identity {
  uid?: number;
  gid?: number;
  groups?: 'keep' | number[];
}

function resolveIdentity(r: RunRequest, host: SpecHost): Identity {
  const needsDb = (r.user !== undefined && numericId(r.user) === undefined) ||
    (r.group !== undefined && numericId(r.group) === undefined) ||
    r.supplGroups.some((g) => numericId(g) === undefined) || r.inheritGroups;
  let db: UserDb | undefined;
  if (needsDb) {
    const read = (f: string): string => {
      try {
        return host.readText(f);
      } catch {
        return usage(`cannot read ${f} to look up user and group names`);
      }
    };
    db = UserDb.fromText(read(host.passwdFile), read(host.groupFile));
  }
  const id: Identity = {};
  let userEntry;
  if (r.user !== undefined) {
    const n = numericId(r.user);
    if (n !== undefined) id.uid = n;
    else {
      userEntry = db!.user(r.user);
      if (!userEntry) usage(`-u: unknown user '${r.user}' (not in ${host.passwdFile})`);
      id.uid = userEntry.uid;
    }
  }
  const groupId = (g: string, flag: string): number => {
    const n = numericId(g);
    if (n !== undefined) return n;
    const e = db!.group(g);
    if (!e) usage(`${flag}: unknown group '${g}' (not in ${host.groupFile})`);
    return e.gid;
  };
  if (r.group !== undefined) id.gid = groupId(r.group, '-g');
  if (r.keepGroups) id.groups = 'keep';
  else if (r.inheritGroups) id.groups = db!.groupsOf(userEntry!);
  else if (r.supplGroups.length > 0) {
    const gids: number[] = [];
    for (const g of r.supplGroups) {
      const gid = groupId(g, '--add-suppl-group');
      if (!gids.includes(gid)) gids.push(gid);
    }
    id.groups = gids;
  }
  return id;
}

// ---------------------------------------------------------------------------------------------
// Mounts

function depth(p: string): number {
  return p === '/' ? 0 : p.split('/').length - 1;
}

/**
 * The mount list in the order the runtime applies it. Parents go before children (a stable
 * sort by target depth), so `-b /` under a profile does not cover the /dev and /tmp mounts made
 * after it, and a bind into /dev lands inside the new /dev; otherwise flag order is kept.
 */
function orderMounts(r: RunRequest, host: SpecHost): MountSpec[] {
  const list: MountSpec[] = [];
  for (const m of r.mounts) {
    const spec = m.mount;
    if (spec.kind === 'bind') {
      const st = host.stat(spec.source);
      if (!st) {
        if (m.ifSourceExists) continue;
        usage(`${m.origin}: bind source ${spec.source} does not exist`);
      }
    }
    list.push(spec);
  }
  if (r.mountDev) list.push({ kind: 'dev', target: '/dev' });
  if (r.tmpSize !== undefined) {
    // minijail's mount_tmp exactly: nodev, noexec and nosuid, which the plain tmpfs kind does not say.
    list.push({
      kind: 'mount', source: 'none', target: '/tmp', fstype: 'tmpfs',
      flags: MS.MS_NODEV | MS.MS_NOEXEC | MS.MS_NOSUID, data: `size=${r.tmpSize},mode=1777`,
    });
  }
  if (r.procReadOnly) list.push({ kind: 'proc', target: '/proc', readOnly: true });
  return list
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.target) - depth(b.m.target) || a.i - b.i)
    .map((x) => x.m);
}

// Moved to the lookup's module with the rest of the program lookup; still importable from here.
export { hostPathOf } from '../jail/program';

// ---------------------------------------------------------------------------------------------
// Program

function environment(r: RunRequest, host: SpecHost): string[] {
  const env = new Map<string, string>();
  if (r.envBase === 'inherit') {
    for (const [k, v] of Object.entries(host.env)) if (v !== undefined) env.set(k, v);
  }
  for (const [k, v] of r.envAdd) env.set(k, v);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

/**
 * The executable's path inside the jail, by the lookup the builder uses too (findProgram): the
 * child execs without a search, so 127/126 are answered here, before anything forks.
 */
function resolveProgram(name: string, env: string[], mounts: MountSpec[], root: string | undefined, host: SpecHost): string {
  try {
    return findProgram(name, env, { mounts, root }, {
      envPath: host.env.PATH, cwd: host.cwd, stat: (f) => host.stat(f), executable: (f) => host.executable(f),
    });
  } catch (e) {
    if (!(e instanceof ProgramLookupError)) throw e;
    if (e.problem === 'relative-under-root') usage(`with -C/-P the program path must be absolute (got '${name}')`);
    throw new ProgramError(e.problem === 'not-executable' ? EXIT_NOT_EXECUTABLE : EXIT_NOT_FOUND, e.message);
  }
}

// ---------------------------------------------------------------------------------------------
// Capabilities, seccomp, Landlock

// linux/securebits.h
const SECBIT = {
  NOROOT: 1 << 0, NOROOT_LOCKED: 1 << 1, NO_SETUID_FIXUP: 1 << 2, NO_SETUID_FIXUP_LOCKED: 1 << 3,
  KEEP_CAPS: 1 << 4, KEEP_CAPS_LOCKED: 1 << 5, NO_CAP_AMBIENT_RAISE: 1 << 6, NO_CAP_AMBIENT_RAISE_LOCKED: 1 << 7,
};

/** minijail's default securebits for -c (lock_securebits), minus what -B asks to skip. */
export function securebitsFor(ambient: boolean, skip: number): number {
  let bits = SECBIT.NOROOT | SECBIT.NOROOT_LOCKED | SECBIT.NO_SETUID_FIXUP | SECBIT.NO_SETUID_FIXUP_LOCKED |
    SECBIT.KEEP_CAPS_LOCKED;
  if (!ambient) bits |= SECBIT.NO_CAP_AMBIENT_RAISE | SECBIT.NO_CAP_AMBIENT_RAISE_LOCKED;
  return bits & ~skip;
}

function capsSpec(r: RunRequest, host: SpecHost): CapsSpec | undefined {
  if (r.caps === undefined) return undefined;
  if (r.caps >> BigInt(host.capLastCap + 1) !== 0n) {
    usage(`-c: the set names capabilities above ${host.capLastCap}, which this kernel does not have`);
  }
  const caps: CapsSpec = { keep: r.caps, ambient: r.ambient };
  if (r.securebitsSkip !== undefined) caps.securebits = securebitsFor(r.ambient, r.securebitsSkip);
  return caps;
}

const FS_DEFAULT_RX = ['/lib', '/lib64', '/usr/lib', '/usr/lib64', '/bin', '/sbin', '/usr/bin', '/usr/sbin'];
const FS_DEFAULT_RO = ['/etc/passwd', '/etc/group'];

function landlockSpec(r: RunRequest, host: SpecHost): JailSpec['landlock'] {
  if (!r.fsPathGiven) return undefined;
  const ll = { ro: [...r.landlock.ro], rw: [...r.landlock.rw], rx: [...r.landlock.rx] };
  if (r.fsDefaultPaths) {
    // Landlock rules need an open fd on the path, so only the defaults that exist are used.
    for (const p of FS_DEFAULT_RX) if (host.stat(p) && !ll.rx.includes(p)) ll.rx.push(p);
    for (const p of FS_DEFAULT_RO) if (host.stat(p) && !ll.ro.includes(p)) ll.ro.push(p);
  }
  // Rules are opened after the root change; only without one do host paths mean the same thing.
  if (!r.root) {
    for (const [kind, list] of [['ro', ll.ro], ['rx', ll.rx], ['rw', ll.rw]] as const) {
      for (const p of list) if (!host.stat(p)) usage(`--fs-path-${kind} ${p}: no such file or directory`);
    }
  }
  return ll;
}

async function seccompSpec(r: RunRequest, host: SpecHost): Promise<JailSpec['seccomp']> {
  if (!r.seccomp) return undefined;
  const { kind, path: file, flag } = r.seccomp;
  let bpf: Uint8Array;
  let arch = host.arch();
  let source: CompiledPolicy['source'];
  if (kind === 'binary') {
    try {
      bpf = host.readBytes(file);
    } catch (e) {
      return usage(`${flag} ${file}: cannot read: ${describeFsError(e)}`);
    }
    if (bpf.length === 0 || bpf.length % 8 !== 0) {
      usage(`${flag} ${file}: filter size (${bpf.length}) is not a non-zero multiple of 8`);
    }
    if (bpf.length / 8 > 4096) usage(`${flag} ${file}: ${bpf.length / 8} instructions exceed the kernel's 4096`);
  } else {
    if (!host.stat(file)) usage(`${flag} ${file}: no such file or directory`);
    if (kind === 'oci' && !host.compileOciProfile) usage(`${flag}: OCI profiles are not supported here`);
    const compiled = kind === 'oci' ? await host.compileOciProfile!(file, r.ociCaps ?? '', r.ociKernel ?? '6.1') : await host.compilePolicy(file);
    bpf = compiled.bpf;
    arch = compiled.arch;
    source = compiled.source;
  }
  const spec: NonNullable<JailSpec['seccomp']> = { bpf, names: await host.syscallNames(arch) };
  if (source) spec.source = source;
  const uring = ioUringCallsAllowed(bpf);
  if (uring.length && !r.allowIoUring) usage(`${flag} ${file}: ${ioUringRisk(uring)}; pass --allow-io-uring to run it anyway`);
  if (uring.length) spec.allowIoUring = true;
  if (r.seccompTsync) spec.tsync = true;
  if (r.seccompLog) spec.log = true;
  if (r.logMode) spec.logMode = true;
  return spec;
}

// ---------------------------------------------------------------------------------------------

function idMapFor(given: IdMap[] | 'default' | undefined, userNs: boolean, inside: number | undefined, outside: number): IdMap[] | undefined {
  if (Array.isArray(given)) return given;
  if (given === 'default' || userNs) return defaultIdMap(inside, outside);
  return undefined;
}

/** The JailSpec for a parsed request. Throws RunUsageError, ProgramError or PolicyCompileError. */
export async function buildSpec(r: RunRequest, host: SpecHost): Promise<JailSpec> {
  const id = resolveIdentity(r, host);
  const mounts = orderMounts(r, host);
  const root = r.root?.path;
  if (r.root) {
    const st = host.stat(r.root.path);
    if (!st) {
      const advice = r.profile ? ` (--profile ${r.profile} pivots into it: create it with mkdir -m 0755 ${r.root.path})` : '';
      usage(`${r.root.flag}: ${r.root.path} does not exist${advice}`);
    }
    if (!st.isDirectory()) usage(`${r.root.flag}: ${r.root.path} is not a directory`);
  }
  for (const m of mounts) {
    if ((m.kind === 'bind' || m.kind === 'mount') && m.target !== '/' && /(^|\/)\.\.?(\/|$)/.test(m.target)) {
      usage(`mount target ${m.target} must not contain . or .. components`);
    }
  }
  if (r.pidFile !== undefined) {
    const dir = path.dirname(path.resolve(host.cwd, r.pidFile));
    if (!host.stat(dir)?.isDirectory()) usage(`--pid-file ${r.pidFile}: directory ${dir} does not exist`);
  }
  const env = environment(r, host);
  const programPath = resolveProgram(r.program[0], env, mounts, root, host);

  const spec: JailSpec = {
    path: programPath,
    argv: [...r.program],
    env,
    namespaces: { ...r.ns },
    user: {},
    noNewPrivs: r.noNewPrivs || (r.seccomp === undefined && r.defaultRuntime),
    ...(r.keepSession ? { keepSession: true } : {}),
    filesystem: { mounts },
    rlimits: [...r.rlimits],
    preserveFds: [...r.preserveFds],
  };
  if (r.ns.pid) spec.programAsInit = r.programAsInit;
  if (r.hostname !== undefined) spec.hostname = r.hostname;
  if (id.uid !== undefined) spec.user.uid = id.uid;
  if (id.gid !== undefined) spec.user.gid = id.gid;
  if (id.groups !== undefined) spec.user.groups = id.groups;
  else if ((id.uid !== undefined || id.gid !== undefined) && !(r.ns.user && host.uid !== 0)) {
    // Changing identity drops tsjail's supplementary groups, as minijail0 does without -y/-G:
    // a program run as nobody must not keep, say, root's disk group. (An unprivileged user
    // namespace cannot: setgroups is denied there so groups cannot be shed to dodge ACLs.)
    spec.user.groups = [];
  }
  const uidMap = idMapFor(r.uidMap, r.ns.user, id.uid, host.uid);
  const gidMap = idMapFor(r.gidMap, r.ns.user, id.gid, host.gid);
  if (uidMap) spec.user.uidMap = uidMap;
  if (gidMap) spec.user.gidMap = gidMap;
  if (r.root) {
    spec.filesystem.root = r.root.path;
    spec.filesystem.rootMode = r.root.mode;
  }
  if (r.ns.mount) {
    // -v asks for slave propagation (minijail0's CLI default); a mount namespace implied by
    // another flag gets the library default, private. -KMODE overrides both.
    spec.filesystem.propagation = r.propagation ?? (r.explicitMountNs ? 'slave' : 'private');
  } else if (mounts.length > 0 || r.root?.mode === 'chroot') {
    // Never mount in tsjail's own namespace (minijail0 -C without -v would).
    spec.namespaces.mount = true;
    spec.filesystem.propagation = 'private';
  }
  const caps = capsSpec(r, host);
  if (caps) {
    // The runtime sets capabilities before exec (only seccomp waits for the preload library),
    // so a non-root program keeps them only as ambient ones: minijail0's rule for static
    // programs ("Try passing --ambient") holds for every program here.
    if (caps.keep !== 0n && !caps.ambient && id.uid !== undefined && id.uid !== 0) {
      usage(`-c: a program running as uid ${id.uid} loses these capabilities at exec unless they are also ambient; add --ambient`);
    }
    spec.caps = caps;
  }
  const seccomp = await seccompSpec(r, host);
  if (seccomp) spec.seccomp = seccomp;
  spec.seccompTiming = r.elfType === 'static' ? 'exec' : r.elfType === 'dynamic' ? 'preload' : 'auto';
  const landlock = landlockSpec(r, host);
  if (landlock) spec.landlock = landlock;
  if (r.memory !== undefined || r.pids !== undefined || r.cpu !== undefined) {
    spec.cgroup = {};
    if (r.memory !== undefined) spec.cgroup.memory = r.memory;
    if (r.pids !== undefined) spec.cgroup.pids = r.pids;
    if (r.cpu !== undefined) spec.cgroup.cpu = r.cpu;
  }
  if (r.timeLimitMs !== undefined) spec.timeLimitMs = r.timeLimitMs;
  if (r.pidFile !== undefined) spec.pidFile = path.resolve(host.cwd, r.pidFile);
  return spec;
}

// ---------------------------------------------------------------------------------------------

function readCapLastCap(): number {
  try {
    const n = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : 40;
  } catch {
    return 40;
  }
}

/**
 * The real system. The policy compiler is passed in (run-command.ts wires ts/policy) so this
 * module stays free of the wasm core and can be tested with /etc files of the test's choosing.
 */
export function nodeSpecHost(parts: Pick<SpecHost, 'compilePolicy' | 'syscallNames' | 'arch'> & Partial<SpecHost>): SpecHost {
  const files = nodeProgramHost();
  return {
    env: process.env,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    cwd: process.cwd(),
    capLastCap: readCapLastCap(),
    readText: (f) => fs.readFileSync(f, 'utf8'),
    readBytes: (f) => new Uint8Array(fs.readFileSync(f)),
    // The program lookup's own view of the files (stat following links, access X_OK).
    stat: files.stat,
    executable: files.executable,
    passwdFile: '/etc/passwd',
    groupFile: '/etc/group',
    ...parts,
  };
}
