// `tsjail run`'s options: one table (flag letters, long names, argument kind, help, and what the
// flag records into a RunRequest). The parser (run-parse.ts), config-file keys and `--help`
// (run-help.ts) all come from it.
//
// A RunRequest is the user's intent with every value parsed, but nothing resolved against the
// system yet (users, files, the policy); run-spec.ts turns it into a JailSpec.

import type { IdMap, MountSpec, RlimitSpec } from '../jail/spec';
import {
  ValueError, parseCaps, parseCount, parseDuration, parseIdMap, parseMountFlags, parseRlimit, parseSize, MS,
} from './run-values';

/** A command-line mistake: exit status 2, nothing forked. */
export class RunUsageError extends Error {}

export type OptionGroup = 'account' | 'namespaces' | 'mounts' | 'landlock' | 'seccomp' | 'resources' | 'process';

export const GROUP_TITLES: Record<OptionGroup, string> = {
  account: 'Account (user/group/capability) options',
  namespaces: 'Namespace options',
  mounts: 'Mount/path options',
  landlock: 'Landlock (path access) options',
  seccomp: 'Seccomp options',
  resources: 'Resource limits',
  process: 'Process and other options',
};

/** Where one occurrence of an option came from, for error messages. */
export interface OptionUse {
  /** As written: `-b`, `--bind-mount`, or the config key. */
  flag: string;
  file?: string;
  line?: number;
}

export interface RequestedMount {
  mount: MountSpec;
  /** Dropped instead of failing when the source does not exist (the profile's /dev/log). */
  ifSourceExists?: boolean;
  /** The flag that asked for it, for messages about this mount. */
  origin: string;
}

export type Propagation = 'private' | 'slave' | 'shared' | 'unbindable';

/** Everything `tsjail run` was asked to do, parsed but not yet resolved against the system. */
export interface RunRequest {
  /** PROGRAM and its arguments. */
  program: string[];
  help: boolean;
  ns: { user: boolean; pid: boolean; mount: boolean; net: boolean; ipc: boolean; uts: boolean; cgroup: boolean; time: boolean };
  /** `-v` given (minijail only accepts bind mounts with -v, -C or -P, not with implied namespaces). */
  explicitMountNs: boolean;
  programAsInit: boolean;
  hostname?: string;
  /** undefined: tsjail's default (see run-spec.ts). */
  propagation?: Propagation;
  remountModeGiven: boolean;
  user?: string;
  group?: string;
  inheritGroups: boolean;
  keepGroups: boolean;
  supplGroups: string[];
  /** 'default' = the flag without a map: current id -> the chosen id (or 0). */
  uidMap?: IdMap[] | 'default';
  gidMap?: IdMap[] | 'default';
  caps?: bigint;
  ambient: boolean;
  securebitsSkip?: number;
  noNewPrivs: boolean;
  /** minijail0 sets no_new_privs when no seccomp filter is given, unless told not to. */
  defaultRuntime: boolean;
  seccomp?: { kind: 'policy' | 'binary' | 'oci'; path: string; flag: string };
  /** --seccomp-oci: the capabilities and kernel version the profile's includes/excludes assume. */
  ociCaps?: string;
  ociKernel?: string;
  seccompLog: boolean;
  seccompTsync: boolean;
  /** --allow-io-uring: run a policy that lets io_uring through (warned about, not refused). */
  allowIoUring: boolean;
  /** --log: permissive mode, the policy's denials run and are recorded (SeccompSpec.logMode). */
  logMode: boolean;
  /** --log-file FILE: the record as JSON (with --log). */
  logFile?: string;
  mounts: RequestedMount[];
  bindMountGiven: boolean;
  root?: { path: string; mode: 'chroot' | 'pivot_root'; flag: string };
  procReadOnly: boolean;
  mountDev: boolean;
  tmpSize?: number;
  profile?: string;
  landlock: { ro: string[]; rw: string[]; rx: string[] };
  fsDefaultPaths: boolean;
  fsPathGiven: boolean;
  noFsRestrictions: boolean;
  rlimits: RlimitSpec[];
  memory?: number;
  pids?: number;
  cpu?: number;
  timeLimitMs?: number;
  pidFile?: string;
  elfType?: 'static' | 'dynamic';
  /** 'inherit' = start from tsjail's environment; 'empty' after --env-reset. */
  envBase: 'inherit' | 'empty';
  envAdd: Array<[string, string]>;
  preserveFds: number[];
  forwardSignals: boolean;
  /** --no-new-sessions: the jail keeps tsjail's session (and so its controlling terminal). */
  keepSession: boolean;
  /** --save-jail: write a jail file for tsjail-exec instead of running (ts/cli/pack-jail.ts). */
  saveJail?: string;
  /** Config files read, in order (for messages). */
  configFiles: string[];
}

export function emptyRequest(): RunRequest {
  return {
    program: [], help: false,
    ns: { user: false, pid: false, mount: false, net: false, ipc: false, uts: false, cgroup: false, time: false },
    explicitMountNs: false, programAsInit: false, remountModeGiven: false,
    inheritGroups: false, keepGroups: false, supplGroups: [],
    ambient: false, noNewPrivs: false, defaultRuntime: true, seccompLog: false, seccompTsync: false, allowIoUring: false, logMode: false,
    mounts: [], bindMountGiven: false, procReadOnly: false, mountDev: false,
    landlock: { ro: [], rw: [], rx: [] }, fsDefaultPaths: false, fsPathGiven: false, noFsRestrictions: false,
    rlimits: [], envBase: 'inherit', envAdd: [], preserveFds: [], forwardSignals: true, keepSession: false, configFiles: [],
  };
}

export type ArgKind = 'none' | 'required' | 'optional';

export interface OptionDef {
  short?: string;
  long: string;
  /** Other long names (minijail0's where ours differ, and readable synonyms). */
  aliases?: string[];
  arg: ArgKind;
  metavar?: string;
  group: OptionGroup;
  help: string;
  apply(r: RunRequest, value: string | undefined, use: OptionUse): void;
}

/** minijail0's default /tmp size for -t. */
export const DEFAULT_TMP_SIZE = 64 * 2 ** 20;
/** minijail's DEFAULT_PIVOT_ROOT, used by --profile minimalistic-mountns. */
export const PROFILE_PIVOT_ROOT = '/var/empty';
export const PROFILES = ['minimalistic-mountns', 'minimalistic-mountns-nodev'];

// Implications mirror minijail's library calls: namespace_pids also makes a mount namespace and
// remounts /proc read-only so it shows the new namespace; namespace_user implies pids.
function pidNs(r: RunRequest): void {
  r.ns.pid = true;
  r.ns.mount = true;
  r.procReadOnly = true;
}
function userNs(r: RunRequest): void {
  r.ns.user = true;
  pidNs(r);
}

function absolute(path: string, what: string): string {
  if (!path.startsWith('/')) throw new ValueError(`${what} '${path}' must be an absolute path`);
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

function setRoot(r: RunRequest, path: string, mode: 'chroot' | 'pivot_root', flag: string): void {
  if (r.root && r.root.mode !== mode) {
    throw new ValueError(mode === 'chroot' ? 'cannot chroot (-C) because -P (pivot_root) was given'
      : 'cannot pivot_root (-P) because -C (chroot) was given');
  }
  r.root = { path: absolute(path, 'root directory'), mode, flag };
  if (mode === 'pivot_root') r.ns.mount = true;
}

/** `-b SRC[,DST[,WRITABLE]]`: DST defaults to SRC; WRITABLE is 1 (or 0, the default). */
function parseBinding(text: string): MountSpec {
  const parts = text.split(',');
  if (parts.length > 3 || parts[0] === '') throw new ValueError(`bad binding '${text}' (expected SRC[,DST[,1]])`);
  const source = absolute(parts[0], 'bind source');
  const target = parts[1] ? absolute(parts[1], 'bind target') : source;
  const w = parts[2] ?? '';
  if (w !== '' && w !== '0' && w !== '1') throw new ValueError(`bad value for WRITABLE '${w}' in '${text}' (0 or 1)`);
  return { kind: 'bind', source, target, writable: w === '1', recursive: true };
}

/**
 * `-k SRC,DST,TYPE[,FLAGS[,DATA]]`, minijail's mount(2) front end: FLAGS is a constant
 * expression, 0 or absent means nodev|noexec|nosuid, everything after FLAGS is the data string
 * (commas included), and tmpfs data defaults to `mode=0755,size=10M`. With MS_BIND in FLAGS it
 * becomes a bind mount: read-only if MS_RDONLY is among the flags, recursive with MS_REC.
 */
function parseMountArg(text: string): MountSpec {
  const parts = text.split(',');
  const [source, dst, fstype] = parts;
  if (!source || !dst || !fstype) throw new ValueError(`bad mount '${text}' (expected SRC,DST,TYPE[,FLAGS[,DATA]])`);
  const target = absolute(dst, 'mount target');
  let flags = parts.length > 3 && parts[3] !== '' ? parseMountFlags(parts[3]) : 0;
  let data = parts.length > 4 ? parts.slice(4).join(',') : undefined;
  if (flags & MS.MS_BIND) {
    if (data !== undefined) throw new ValueError(`bad mount '${text}': a bind mount takes no data after the flags`);
    return {
      kind: 'bind', source: absolute(source, 'bind source'), target,
      writable: (flags & MS.MS_RDONLY) === 0, recursive: (flags & MS.MS_REC) !== 0,
    };
  }
  if (flags === 0) flags = MS.MS_NODEV | MS.MS_NOEXEC | MS.MS_NOSUID;
  if (fstype === 'tmpfs' && data === undefined) data = 'mode=0755,size=10M';
  return data === undefined ? { kind: 'mount', source, target, fstype, flags } : { kind: 'mount', source, target, fstype, flags, data };
}

function addMount(r: RunRequest, mount: MountSpec, use: OptionUse, ifSourceExists = false): void {
  const origin = use.file ? `${use.file}:${use.line}: ${use.flag}` : use.flag;
  r.mounts.push(ifSourceExists ? { mount, origin, ifSourceExists } : { mount, origin });
}

function setSeccomp(r: RunRequest, kind: 'policy' | 'binary' | 'oci', path: string, flag: string): void {
  if (r.seccomp && r.seccomp.kind !== kind) throw new ValueError('use one of -S, --seccomp-bpf-binary and --seccomp-oci');
  if (kind === 'binary' && r.seccompLog) throw new ValueError('-L (--seccomp-log) does not work with --seccomp-bpf-binary');
  r.seccomp = { kind, path, flag };
}

function applyProfile(r: RunRequest, name: string, use: OptionUse): void {
  if (!PROFILES.includes(name)) throw new ValueError(`unknown profile '${name}' (one of ${PROFILES.join(', ')})`);
  r.profile = name;
  r.ns.mount = true;
  addMount(r, { kind: 'bind', source: '/', target: '/', writable: false, recursive: true }, use);
  addMount(r, { kind: 'bind', source: '/proc', target: '/proc', writable: false, recursive: true }, use);
  if (name === 'minimalistic-mountns') {
    addMount(r, { kind: 'bind', source: '/dev/log', target: '/dev/log', writable: false, recursive: false }, use, true);
    r.mountDev = true;
  }
  r.tmpSize ??= DEFAULT_TMP_SIZE;
  r.procReadOnly = true;
  setRoot(r, PROFILE_PIVOT_ROOT, 'pivot_root', use.flag);
}

function needValue(v: string | undefined): string {
  // The parser guarantees a value for 'required' options; this narrows the type.
  if (v === undefined) throw new ValueError('needs a value');
  return v;
}

const propagationModes: Propagation[] = ['private', 'slave', 'shared', 'unbindable'];

/** The option table. Order within a group is the order of `--help`. */
export const OPTIONS: OptionDef[] = [
  // --- account ---------------------------------------------------------------------------
  {
    short: 'u', long: 'uid', aliases: ['user'], arg: 'required', metavar: 'USER', group: 'account',
    help: 'Run as USER: a name from /etc/passwd or a number. As with minijail0, the gid is only changed by -g.',
    apply(r, v) {
      if (r.user !== undefined) throw new ValueError('-u given more than once');
      r.user = needValue(v);
    },
  },
  {
    short: 'g', long: 'gid', aliases: ['group'], arg: 'required', metavar: 'GROUP', group: 'account',
    help: 'Run with primary group GROUP: a name from /etc/group or a number.',
    apply(r, v) {
      if (r.group !== undefined) throw new ValueError('-g given more than once');
      r.group = needValue(v);
    },
  },
  {
    short: 'G', long: 'inherit-groups', arg: 'none', group: 'account',
    help: "Take the supplementary groups of the -u user (needs -u NAME). Not with -y or --add-suppl-group.",
    apply(r) {
      if (r.keepGroups) throw new ValueError('-y and -G are not compatible');
      r.inheritGroups = true;
    },
  },
  {
    short: 'y', long: 'keep-groups', arg: 'none', group: 'account',
    help: "Keep tsjail's own supplementary groups. Not with -G or --add-suppl-group.",
    apply(r) {
      if (r.inheritGroups) throw new ValueError('-y and -G are not compatible');
      r.keepGroups = true;
    },
  },
  {
    long: 'add-suppl-group', arg: 'required', metavar: 'GROUP', group: 'account',
    help: 'Add GROUP (name or number) to the supplementary groups; repeatable. Not with -y or -G.',
    apply(r, v) { r.supplGroups.push(needValue(v)); },
  },
  {
    short: 'c', long: 'caps', arg: 'required', metavar: 'CAPS', group: 'account',
    help: 'Keep only these capabilities (permitted, effective, inheritable and bounding): a hex mask '
      + '(0x400) or cap_from_text(3) text (cap_net_bind_service=eip, cap_chown,cap_kill+e).',
    apply(r, v) { r.caps = parseCaps(needValue(v)); },
  },
  {
    long: 'ambient', arg: 'none', group: 'account',
    help: 'Also raise the -c capabilities as ambient, so a non-root program keeps them across exec. Needs -c.',
    apply(r) { r.ambient = true; },
  },
  {
    short: 'B', long: 'skip-securebits', arg: 'required', metavar: 'MASK', group: 'account',
    help: 'Hex mask of securebits NOT to set with -c (default: NOROOT, NO_SETUID_FIXUP, KEEP_CAPS locks).',
    apply(r, v) {
      const t = needValue(v).trim();
      if (!/^(0x)?[0-9a-f]+$/i.test(t)) throw new ValueError(`bad securebits mask '${v}' (hex)`);
      r.securebitsSkip = Number(BigInt(t.toLowerCase().startsWith('0x') ? t : '0x' + t) & 0xffn);
    },
  },
  {
    short: 'n', long: 'no-new-privs', arg: 'none', group: 'account',
    help: 'Set no_new_privs: setuid binaries and file capabilities grant nothing.',
    apply(r) { r.noNewPrivs = true; },
  },
  // --- namespaces ------------------------------------------------------------------------
  {
    short: 'v', long: 'ns-mount', aliases: ['mount-ns'], arg: 'none', group: 'namespaces',
    help: 'New mount namespace; existing mounts become slaves (mounts do not leak out).',
    apply(r) {
      r.ns.mount = true;
      r.explicitMountNs = true;
    },
  },
  {
    short: 'K', long: 'remount-mode', arg: 'optional', metavar: 'MODE', group: 'namespaces',
    help: '-KMODE: make existing mounts MODE (private, slave, shared, unbindable) instead of slave. '
      + "Needs -v. (minijail0's bare -K, leave them alone, is not supported: the runtime always sets one.)",
    apply(r, v) {
      if (v === undefined) {
        throw new ValueError('-K without a mode is not supported (the runtime always sets the propagation); give one: -Kslave, -Kprivate, -Kshared or -Kunbindable');
      }
      if (!propagationModes.includes(v as Propagation)) {
        throw new ValueError(`unknown remount mode '${v}' (one of ${propagationModes.join(', ')})`);
      }
      r.propagation = v as Propagation;
      r.remountModeGiven = true;
    },
  },
  {
    short: 'p', long: 'pid-ns', arg: 'none', group: 'namespaces',
    help: "New PID namespace (implies -v -r); tsjail's init is pid 1 and reaps, forwards signals.",
    apply(r) { pidNs(r); },
  },
  {
    short: 'I', long: 'pid-init', aliases: ['run-as-init'], arg: 'none', group: 'namespaces',
    help: 'The program itself is pid 1 of the new PID namespace (implies -p).',
    apply(r) {
      pidNs(r);
      r.programAsInit = true;
    },
  },
  {
    short: 'U', long: 'user-ns', arg: 'none', group: 'namespaces',
    help: 'New user namespace (implies -p). Without -m/-M, the current uid/gid map to -u/-g (or 0).',
    apply(r) { userNs(r); },
  },
  {
    short: 'm', long: 'uid-map', arg: 'optional', metavar: 'MAP', group: 'namespaces',
    help: "uid map 'INSIDE OUTSIDE COUNT[,...]' (attached: -m'0 1000 1'); without MAP, the current "
      + 'uid maps to -u (or 0). Implies -U.',
    apply(r, v) {
      userNs(r);
      r.uidMap = v === undefined ? 'default' : parseIdMap(v);
    },
  },
  {
    short: 'M', long: 'gid-map', arg: 'optional', metavar: 'MAP', group: 'namespaces',
    help: 'gid map, like -m; without MAP, the current gid maps to -g (or 0). Implies -U.',
    apply(r, v) {
      userNs(r);
      r.gidMap = v === undefined ? 'default' : parseIdMap(v);
    },
  },
  {
    short: 'e', long: 'net-ns', arg: 'optional', metavar: 'FILE', group: 'namespaces',
    help: 'New network namespace with only loopback (up). Joining an existing one (-eFILE) is not supported.',
    apply(r, v) {
      if (v !== undefined) throw new ValueError('joining an existing network namespace (-eFILE) is not supported');
      r.ns.net = true;
    },
  },
  {
    short: 'l', long: 'ipc-ns', arg: 'none', group: 'namespaces',
    help: 'New IPC namespace.',
    apply(r) { r.ns.ipc = true; },
  },
  {
    short: 'N', long: 'cgroup-ns', arg: 'none', group: 'namespaces',
    help: 'New cgroup namespace.',
    apply(r) { r.ns.cgroup = true; },
  },
  {
    long: 'uts', aliases: ['uts-ns'], arg: 'optional', metavar: 'HOST', group: 'namespaces',
    help: 'New UTS namespace; --uts=HOST also sets the hostname.',
    apply(r, v) {
      r.ns.uts = true;
      if (v !== undefined) {
        const n = Buffer.byteLength(v);
        if (n === 0) throw new ValueError("empty hostname (write --uts for a new UTS namespace keeping the name)");
        // sethostname(2) takes at most the kernel's __NEW_UTS_LEN (64) bytes.
        if (n > 64) throw new ValueError(`hostname '${v}' is ${n} bytes; the kernel allows at most 64`);
        if (/[\0/\s]/.test(v)) throw new ValueError(`bad hostname '${v}': no NUL, '/' or white space`);
        r.hostname = v;
      }
    },
  },
  {
    long: 'time-ns', arg: 'none', group: 'namespaces',
    help: 'New time namespace.',
    apply(r) { r.ns.time = true; },
  },
  // --- mounts ----------------------------------------------------------------------------
  {
    short: 'b', long: 'bind-mount', aliases: ['bind'], arg: 'required', metavar: 'SRC[,DST[,1]]', group: 'mounts',
    help: 'Bind SRC (host) to DST (in the jail, default SRC), read-only unless the third field is 1. '
      + 'Needs -v, -C or -P.',
    apply(r, v, use) {
      addMount(r, parseBinding(needValue(v)), use);
      r.bindMountGiven = true;
    },
  },
  {
    short: 'k', long: 'mount', arg: 'required', metavar: 'SRC,DST,TYPE[,FLAGS[,DATA]]', group: 'mounts',
    help: 'mount(2) SRC on DST. FLAGS: MS_* names and numbers joined by | (0 or absent = '
      + 'MS_NODEV|MS_NOEXEC|MS_NOSUID); DATA is everything after FLAGS (tmpfs: mode=0755,size=10M).',
    apply(r, v, use) {
      r.ns.mount = true;
      addMount(r, parseMountArg(needValue(v)), use);
    },
  },
  {
    short: 'C', long: 'chroot', arg: 'required', metavar: 'DIR', group: 'mounts',
    help: 'chroot(2) into DIR after mounting. Not with -P.',
    apply(r, v, use) { setRoot(r, needValue(v), 'chroot', use.flag); },
  },
  {
    short: 'P', long: 'pivot-root', arg: 'required', metavar: 'DIR', group: 'mounts',
    help: 'pivot_root(2) into DIR (implies -v). Not with -C.',
    apply(r, v, use) { setRoot(r, needValue(v), 'pivot_root', use.flag); },
  },
  {
    short: 'r', long: 'remount-proc-ro', aliases: ['proc-ro'], arg: 'none', group: 'mounts',
    help: 'Mount a fresh, read-only /proc (implies -v).',
    apply(r) {
      r.ns.mount = true;
      r.procReadOnly = true;
    },
  },
  {
    short: 'd', long: 'mount-dev', arg: 'none', group: 'mounts',
    help: 'A minimal /dev: null zero full random urandom tty, fd/std* links, pts, shm (implies -v).',
    apply(r) {
      r.ns.mount = true;
      r.mountDev = true;
    },
  },
  {
    short: 't', long: 'tmpfs', aliases: ['mount-tmp'], arg: 'optional', metavar: 'SIZE', group: 'mounts',
    help: 'A tmpfs on /tmp, mode 1777, nodev/noexec/nosuid; -tSIZE sets its size (default 64M) (implies -v).',
    apply(r, v) {
      r.ns.mount = true;
      r.tmpSize = v === undefined ? r.tmpSize ?? DEFAULT_TMP_SIZE : parseSize(v);
    },
  },
  {
    long: 'profile', arg: 'required', metavar: 'NAME', group: 'mounts',
    help: 'minimalistic-mountns: -v -P /var/empty -b / -b /proc -b /dev/log (if present) -d -t -r; '
      + 'minimalistic-mountns-nodev: the same without /dev/log and -d.',
    apply(r, v, use) { applyProfile(r, needValue(v), use); },
  },
  // --- landlock --------------------------------------------------------------------------
  {
    long: 'fs-path-ro', arg: 'required', metavar: 'PATH', group: 'landlock',
    help: 'Landlock: allow reading files and listing directories under PATH. With any --fs-* '
      + 'option, every path not allowed is denied.',
    apply(r, v) {
      r.landlock.ro.push(absolute(needValue(v), 'path'));
      r.fsPathGiven = true;
    },
  },
  {
    long: 'fs-path-rx', arg: 'required', metavar: 'PATH', group: 'landlock',
    help: 'Landlock: allow reading and executing under PATH.',
    apply(r, v) {
      r.landlock.rx.push(absolute(needValue(v), 'path'));
      r.fsPathGiven = true;
    },
  },
  {
    long: 'fs-path-rw', arg: 'required', metavar: 'PATH', group: 'landlock',
    help: 'Landlock: allow reading, writing, creating and removing under PATH.',
    apply(r, v) {
      r.landlock.rw.push(absolute(needValue(v), 'path'));
      r.fsPathGiven = true;
    },
  },
  {
    long: 'fs-default-paths', arg: 'none', group: 'landlock',
    help: 'Landlock: allow RX on /lib /lib64 /usr/lib /usr/lib64 /bin /sbin /usr/bin /usr/sbin and '
      + 'RO on /etc/passwd /etc/group (those that exist).',
    apply(r) {
      r.fsDefaultPaths = true;
      r.fsPathGiven = true;
    },
  },
  {
    long: 'no-fs-restrictions', arg: 'none', group: 'landlock',
    help: 'No Landlock rules (an error together with --fs-* options).',
    apply(r) { r.noFsRestrictions = true; },
  },
  // --- seccomp ---------------------------------------------------------------------------
  {
    short: 'S', long: 'seccomp-policy', arg: 'required', metavar: 'FILE', group: 'seccomp',
    help: "Compile the minijail policy FILE (with its @include files) for this machine's arch and "
      + 'apply it. A blocked syscall kills the program and is reported by name.',
    apply(r, v, use) { setSeccomp(r, 'policy', needValue(v), use.flag); },
  },
  {
    long: 'seccomp-bpf-binary', arg: 'required', metavar: 'FILE', group: 'seccomp',
    help: 'Apply a compiled filter (struct sock_filter[], e.g. from `tsjail compile`); size a multiple of 8.',
    apply(r, v, use) { setSeccomp(r, 'binary', needValue(v), use.flag); },
  },
  {
    long: 'seccomp-oci', arg: 'required', metavar: 'FILE', group: 'seccomp',
    help: 'Apply an OCI seccomp profile (Docker, Podman, Kubernetes Localhost) as a container runtime '
      + 'would: converted to a policy for this machine\'s arch (see --oci-caps, --oci-kernel) and compiled.',
    apply(r, v, use) { setSeccomp(r, 'oci', needValue(v), use.flag); },
  },
  {
    long: 'oci-caps', arg: 'required', metavar: 'CAPS', group: 'seccomp',
    help: 'Capabilities the --seccomp-oci profile\'s includes/excludes assume (CAP_SYS_ADMIN,...; default none).',
    apply(r, v) { r.ociCaps = needValue(v); },
  },
  {
    long: 'oci-kernel', arg: 'required', metavar: 'X.Y', group: 'seccomp',
    help: 'Kernel version the --seccomp-oci profile\'s minKernel assumes (default 6.1).',
    apply(r, v) { r.ociKernel = needValue(v); },
  },
  {
    short: 'L', long: 'seccomp-log', arg: 'none', group: 'seccomp',
    help: 'Log blocked syscalls (SECCOMP_FILTER_FLAG_LOG). Not with --seccomp-bpf-binary.',
    apply(r) {
      if (r.seccomp?.kind === 'binary') throw new ValueError('-L (--seccomp-log) does not work with --seccomp-bpf-binary');
      r.seccompLog = true;
    },
  },
  {
    short: 'Y', long: 'seccomp-tsync', arg: 'none', group: 'seccomp',
    help: 'Synchronize the filter across all threads (SECCOMP_FILTER_FLAG_TSYNC).',
    apply(r) { r.seccompTsync = true; },
  },
  {
    long: 'allow-io-uring', arg: 'none', group: 'seccomp',
    help: 'Run a policy that allows io_uring_setup/enter/register (refused without this): io_uring operations '
      + "(openat, read, connect, mkdirat...) are not checked by the policy's other rules.",
    apply(r) { r.allowIoUring = true; },
  },
  {
    long: 'log', arg: 'none', group: 'seccomp',
    help: 'Permissive mode: the program is NOT contained by its policy. Calls the policy would deny run and are '
      + 'recorded; at exit a summary with counts, arguments and the lines to add. Every other containment stays on.',
    apply(r, _v, use) {
      // A config file handed over with a program must not switch its policy off unseen.
      if (use.file) throw new ValueError('log cannot be set in a config file: it runs the program without its policy; pass --log on the command line');
      r.logMode = true;
    },
  },
  {
    long: 'log-file', arg: 'required', metavar: 'FILE', group: 'seccomp',
    help: "With --log: also write the record as JSON to FILE.",
    apply(r, v) { r.logFile = needValue(v); },
  },
  // --- resources -------------------------------------------------------------------------
  {
    short: 'R', long: 'rlimit', arg: 'required', metavar: 'TYPE,CUR,MAX', group: 'resources',
    help: 'setrlimit: TYPE is RLIMIT_* (or NOFILE, or a number), CUR and MAX numbers or unlimited; repeatable.',
    apply(r, v) { r.rlimits.push(parseRlimit(needValue(v))); },
  },
  {
    long: 'memory', arg: 'required', metavar: 'SIZE', group: 'resources',
    help: 'Memory limit for the whole jail, in a per-jail cgroup (64M, 1G, bytes).',
    apply(r, v) {
      const n = parseSize(needValue(v));
      if (n === 0) throw new ValueError('memory limit must be positive');
      r.memory = n;
    },
  },
  {
    long: 'pids', arg: 'required', metavar: 'N', group: 'resources',
    help: 'Limit on processes and threads in the jail (cgroup pids.max).',
    apply(r, v) {
      const n = parseCount(needValue(v), 'pids limit');
      if (n === 0) throw new ValueError('pids limit must be at least 1');
      r.pids = n;
    },
  },
  {
    long: 'cpu', arg: 'required', metavar: 'FRACTION', group: 'resources',
    help: 'CPU limit as a fraction of one CPU (0.5 = half a CPU; cgroup cpu.max).',
    apply(r, v) {
      const t = needValue(v).trim();
      const n = Number(t);
      if (!/^\d+(\.\d+)?$/.test(t) || !(n > 0)) throw new ValueError(`bad cpu limit '${v}' (a positive number, e.g. 0.5)`);
      r.cpu = n;
    },
  },
  {
    long: 'time-limit', arg: 'required', metavar: 'DURATION', group: 'resources',
    help: 'Kill the whole jail after DURATION of wall-clock time (30, 30s, 500ms, 2m, 1h).',
    apply(r, v) { r.timeLimitMs = parseDuration(needValue(v)); },
  },
  // --- process ---------------------------------------------------------------------------
  {
    long: 'env-reset', arg: 'none', group: 'process',
    help: 'Start the program with an empty environment (before any --env-add).',
    apply(r) {
      r.envBase = 'empty';
      r.envAdd = [];
    },
  },
  {
    long: 'env-add', arg: 'required', metavar: 'NAME=VALUE', group: 'process',
    help: "Set NAME=VALUE in the program's environment; repeatable.",
    apply(r, v) {
      const t = needValue(v);
      const eq = t.indexOf('=');
      if (eq <= 0) throw new ValueError(`expected NAME=VALUE (got '${t}')`);
      r.envAdd.push([t.slice(0, eq), t.slice(eq + 1)]);
    },
  },
  {
    long: 'preserve-fd', arg: 'required', metavar: 'N', group: 'process',
    help: 'Keep fd N open in the program (same number); every other fd but 0-2 is closed.',
    apply(r, v) {
      const fd = parseCount(needValue(v), 'fd');
      if (fd > 0x7fffffff) throw new ValueError(`bad fd '${v}'`);
      if (fd > 2 && !r.preserveFds.includes(fd)) r.preserveFds.push(fd);
    },
  },
  {
    short: 'f', long: 'pid-file', arg: 'required', metavar: 'FILE', group: 'process',
    help: "Write the program's pid (as seen from outside) to FILE.",
    apply(r, v) { r.pidFile = needValue(v); },
  },
  {
    short: 'T', long: 'elf-type', arg: 'required', metavar: 'static|dynamic', group: 'process',
    help: 'Do not inspect PROGRAM: static = apply everything, seccomp included, before exec; '
      + 'dynamic = apply seccomp from the preload library, after libc starts.',
    apply(r, v) {
      if (v !== 'static' && v !== 'dynamic') throw new ValueError("ELF type must be 'static' or 'dynamic'");
      r.elfType = v;
    },
  },
  {
    short: 'z', long: 'no-signal-forwarding', arg: 'none', group: 'process',
    help: 'Do not forward SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 to the jail.',
    apply(r) { r.forwardSignals = false; },
  },
  {
    short: 'w', long: 'new-session-keyring', arg: 'none', group: 'process',
    help: 'Join a new anonymous session keyring: every jail does (accepted for minijail0 command lines).',
    apply() { /* the runtime's default */ },
  },
  {
    long: 'no-new-sessions', arg: 'none', group: 'process',
    help: "Keep tsjail's session: the jail gets the caller's terminal as its controlling terminal "
      + '(job control, /dev/tty) and can push input into it (TIOCSTI). Default: a new session.',
    apply(r) { r.keepSession = true; },
  },
  {
    long: 'save-jail', arg: 'required', metavar: 'FILE', group: 'process',
    help: 'Do not run: write the jail (spec and policy, resolved now) to FILE for tsjail-exec (docs/jailfile.md).',
    apply(r, v) { r.saveJail = needValue(v); },
  },
  {
    long: 'no-default-runtime-environment', arg: 'none', group: 'process',
    help: 'Do not set no_new_privs by default (minijail0 sets it when no seccomp filter is given).',
    apply(r) { r.defaultRuntime = false; },
  },
  {
    long: 'config', arg: 'required', metavar: 'FILE', group: 'process',
    help: "Read options from FILE, minijail's format: first line '% minijail-config-file v0', then "
      + "'key = value' or bare 'key' lines (long names or letters), '#' comments, '\\' continuations. "
      + 'They apply where --config appears; config files do not nest.',
    apply() { /* handled by the parser, which needs to read the file */ },
  },
  {
    short: 'h', long: 'help', arg: 'none', group: 'process',
    help: 'Show this help.',
    apply(r) { r.help = true; },
  },
];

/** minijail0 flags tsjail knows but does not implement, and why; better than "unknown option". */
export const UNSUPPORTED: Record<string, string> = {
  s: 'seccomp strict mode (-s) is not supported; use -S with a policy',
  a: 'alternate syscall tables (-a) are ChromeOS-only and not supported',
  H: 'listing syscalls (-H) is not part of `tsjail run`',
  V: 'entering an existing mount namespace (-V) is not supported',
  i: 'backgrounding (-i) is not supported; tsjail waits for the jail to clean up its cgroup and time limit',
  logging: '--logging is not supported; tsjail reports on stderr',
  'preload-library': '--preload-library is not supported; the preload library ships with the runtime',
  'gen-config': '--gen-config is not supported',
  'allow-speculative-execution': '--allow-speculative-execution is not supported',
  'fs-path-advanced-rw': '--fs-path-advanced-rw is not supported; use --fs-path-rw',
  'enable-profile-fs-restrictions': '--enable-profile-fs-restrictions is not supported; use --fs-path-*',
};

const byShort = new Map<string, OptionDef>();
const byLong = new Map<string, OptionDef>();
for (const o of OPTIONS) {
  if (o.short) byShort.set(o.short, o);
  byLong.set(o.long, o);
  for (const a of o.aliases ?? []) byLong.set(a, o);
}

/** The option a config key names: a long name (or alias) first, then a single letter. */
export function optionForKey(key: string): OptionDef | undefined {
  return byLong.get(key) ?? (key.length === 1 ? byShort.get(key) : undefined);
}

/** The option for `--NAME` (a long name or alias). */
export function longOption(name: string): OptionDef | undefined {
  return byLong.get(name);
}

/** The option for `-L`. */
export function shortOption(letter: string): OptionDef | undefined {
  return byShort.get(letter);
}

/** Every long name and alias, for "did you mean". */
export function longNames(): string[] {
  return [...byLong.keys()];
}
