// Explain a seccomp violation from the raw facts the runtime hands back (nr, arch, the six
// arguments, the verdict): the syscall's name on the arch the call was made in, the arguments
// as decoded values, the rule that decided (simulatePolicy on the same seccomp_data), and the
// line to add or the condition to widen. Browser-safe: the CLI, the Node API, an editor and a
// dashboard all get the same text from here.

import type { IRComparison, IRRule, IRSyscall } from './analyze';
import { analyzePolicy } from './analyze';
import type { SourceRange } from './diagnostics';
import type { FileSource } from './includes';
import type { PolicyFiles, PolicyOptions } from './request';
import { simulatePolicy } from './simulate';
import { ArchTables, arches, tables } from './tables';

/** What the runtime knows about a denied call (struct seccomp_data and the policy's verdict). */
export interface ViolationFacts {
  nr: number;
  /** AUDIT_ARCH_* of the call (seccomp_data.arch): an i386 call on x86_64 has i386's. */
  arch: number;
  args: ReadonlyArray<bigint | number>;
  ip?: bigint | number;
  /** The policy's SECCOMP_RET_* for the call, when the runtime knows it (absent = unknown: kill-process is assumed; 0 is SECCOMP_RET_KILL_THREAD). */
  ret?: number;
}

export interface ViolationReport {
  nr: number;
  /** The call's arch, canonical name (or `audit 0x...` for an arch the core does not know). */
  arch: string;
  /** The syscall's name on that arch; null when its table has no such number. */
  syscall: string | null;
  /** The six arguments decoded: fds, `O_RDONLY|O_CLOEXEC`, `TCGETS`, `PR_SET_NAME`, else hex. */
  args: string[];
  /** The six arguments as the kernel gave them. */
  rawArgs: bigint[];
  /** 'kill-process' or 'kill-thread' (what the policy meant, and what the runtime did: the process, or the calling thread). */
  verdict: string;
  /** `file:line` of the rule that decided, `no rule: default action`, `no rule: bad-arch action`, or `no source: rule unknown`. */
  rule: string;
  /** The rule's line as written, when a rule is involved. */
  ruleText?: string;
  /** What to change: `add \`statfs: 1\``, `widen \`write: arg0 == 1\` to \`...\``, ... */
  suggestion: string;
}

const RET_KILL_THREAD = 0x00000000;
const RET_ACTION_FULL = 0xffff0000;

function u64(v: bigint | number): bigint {
  return BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(v));
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

// ---- argument decoding ----------------------------------------------------------------------

type ArgKind = 'ptr' | 'fd' | 'dirfd' | 'open' | 'prot' | 'map' | 'af' | 'socktype' | 'ioctl' | 'prctl' | 'fcntl' | 'clone' | 'at' | 'int';

/** Which arguments of a call have a meaning worth decoding; the rest are shown in hex. */
const ARG_KINDS: Record<string, ArgKind[]> = {
  read: ['fd', 'ptr', 'int'], write: ['fd', 'ptr', 'int'], close: ['fd'], fstat: ['fd'], lseek: ['fd', 'int', 'int'],
  pread64: ['fd', 'ptr', 'int', 'int'], pwrite64: ['fd', 'ptr', 'int', 'int'], readv: ['fd', 'ptr', 'int'], writev: ['fd', 'ptr', 'int'],
  fstatfs: ['fd'], getdents64: ['fd', 'ptr', 'int'], dup: ['fd'], dup2: ['fd', 'fd'], dup3: ['fd', 'fd', 'open'],
  fsync: ['fd'], fdatasync: ['fd'], ftruncate: ['fd', 'int'], fchdir: ['fd'], fchmod: ['fd'], flock: ['fd', 'int'],
  ioctl: ['fd', 'ioctl'], fcntl: ['fd', 'fcntl'], fcntl64: ['fd', 'fcntl'],
  open: ['ptr', 'open'], openat: ['dirfd', 'ptr', 'open'], openat2: ['dirfd'],
  newfstatat: ['dirfd', 'ptr', 'ptr', 'at'], fstatat64: ['dirfd', 'ptr', 'ptr', 'at'], statx: ['dirfd', 'ptr', 'at'],
  readlinkat: ['dirfd'], unlinkat: ['dirfd', 'ptr', 'at'], mkdirat: ['dirfd'], faccessat: ['dirfd'], faccessat2: ['dirfd', 'ptr', 'ptr', 'at'],
  fchmodat: ['dirfd'], fchownat: ['dirfd', 'ptr', 'int', 'int', 'at'], utimensat: ['dirfd', 'ptr', 'ptr', 'at'], execveat: ['dirfd', 'ptr', 'ptr', 'ptr', 'at'],
  mmap: ['ptr', 'int', 'prot', 'map', 'fd', 'int'], mmap2: ['ptr', 'int', 'prot', 'map', 'fd', 'int'],
  mprotect: ['ptr', 'int', 'prot'], pkey_mprotect: ['ptr', 'int', 'prot'],
  socket: ['af', 'socktype', 'int'], socketpair: ['af', 'socktype', 'int'],
  connect: ['fd'], bind: ['fd'], listen: ['fd', 'int'], accept: ['fd'], accept4: ['fd', 'int', 'int', 'socktype'], shutdown: ['fd', 'int'],
  sendto: ['fd'], recvfrom: ['fd'], sendmsg: ['fd'], recvmsg: ['fd'], getsockopt: ['fd'], setsockopt: ['fd'],
  getsockname: ['fd'], getpeername: ['fd'], epoll_ctl: ['fd', 'int', 'fd'],
  prctl: ['prctl'], clone: ['clone'],
};

/** Kernel aliases and non-flag names that would make a flag set read wrong. */
const NOT_FLAGS = new Set(['O_ACCMODE', 'O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_NDELAY', 'O_FSYNC', 'O_RSYNC', 'MAP_ANON', 'MAP_FILE',
  'MAP_TYPE', 'MAP_HUGE_MASK', 'MAP_HUGE_SHIFT', 'PROT_NONE', 'CLONE_ARGS_SIZE_VER0', 'CLONE_ARGS_SIZE_VER1', 'CLONE_ARGS_SIZE_VER2',
  'SOCK_TYPE_MASK', 'AT_FDCWD', 'AT_STATX_SYNC_TYPE', 'AT_STATX_SYNC_AS_STAT', 'SOCK_IOC_TYPE', 'SOCK_BUF_LOCK_MASK', 'SOCK_SNDBUF_LOCK',
  'SOCK_RCVBUF_LOCK', 'CSIGNAL']);

/** `A|B|0x40`: the named single-or-multi-bit flags of `prefix` that make up v, the rest in hex. */
function flagsOf(t: ArchTables, prefix: string, v: bigint, exclude: (n: string) => boolean = () => false): string[] {
  const cands = [...t.constants].filter(([n, c]) => n.startsWith(prefix) && c !== 0n && !NOT_FLAGS.has(n) && !exclude(n) &&
    !n.startsWith('MAP_HUGE_'));
  // Wider flags first (O_SYNC before O_DSYNC), then the table's order: each bit named once.
  const pop = (x: bigint) => x.toString(2).replace(/0/g, '').length;
  cands.sort((a, b) => pop(b[1]) - pop(a[1]));
  const out: string[] = [];
  let rest = v;
  for (const [n, c] of cands) {
    if ((rest & c) === c) {
      out.push(n);
      rest &= ~c;
    }
  }
  if (rest !== 0n) out.push(hex(rest));
  return out;
}

function nameOf(t: ArchTables, v: bigint, accept: (n: string) => boolean, rank: (n: string) => number = () => 0): string | undefined {
  const names = [...t.constants].filter(([n, c]) => c === v && accept(n)).map(([n]) => n);
  names.sort((a, b) => rank(a) - rank(b) || a.length - b.length || (a < b ? -1 : 1));
  return names[0];
}

const IOCTL_PREFIXES = ['FIO', 'TC', 'TIOC', 'SIOC', 'FS_IOC', 'BLK', 'RND', 'NS_GET', 'SECCOMP_IOCTL', 'PERF_EVENT_IOC', 'KD', 'VT_', 'FICLONE', 'FIDEDUPERANGE', 'TUN', 'UI_', 'USBDEVFS'];
const FCNTL_NOT = new Set(['F_OK', 'F_ULOCK', 'F_LOCK', 'F_TLOCK', 'F_TEST', 'F_RDLCK', 'F_WRLCK', 'F_UNLCK', 'F_EXLCK', 'F_SHLCK']);

function decodeArg(t: ArchTables, kind: ArgKind | undefined, raw: bigint): string {
  const signed32 = BigInt.asIntN(32, raw);
  const word = t.bits === 32 ? BigInt.asUintN(32, raw) : raw;
  switch (kind) {
    case 'fd':
      return String(signed32);
    case 'dirfd':
      return signed32 === -100n ? 'AT_FDCWD' : String(signed32);
    case 'open': {
      const acc = word & 3n;
      const mode = acc === 0n ? 'O_RDONLY' : acc === 1n ? 'O_WRONLY' : acc === 2n ? 'O_RDWR' : hex(acc);
      return [mode, ...flagsOf(t, 'O_', word & ~3n)].join('|');
    }
    case 'prot':
      return word === 0n ? 'PROT_NONE' : flagsOf(t, 'PROT_', word).join('|');
    case 'map': {
      const type = word & 0xfn; // MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE
      const tn = nameOf(t, type, (n) => ['MAP_SHARED', 'MAP_PRIVATE', 'MAP_SHARED_VALIDATE'].includes(n)) ?? hex(type);
      const rest = flagsOf(t, 'MAP_', word & ~0xfn, (n) => ['MAP_SHARED', 'MAP_PRIVATE', 'MAP_SHARED_VALIDATE'].includes(n));
      return [tn, ...(word & ~0xfn ? rest : [])].join('|');
    }
    case 'af':
      return nameOf(t, word, (n) => n.startsWith('AF_'), (n) => (['AF_FILE', 'AF_LOCAL'].includes(n) ? 1 : 0)) ?? String(word);
    case 'socktype': {
      const type = word & 0xfn;
      const tn = type === 0n ? [] : [nameOf(t, type, (n) => /^SOCK_(STREAM|DGRAM|RAW|RDM|SEQPACKET|DCCP|PACKET)$/.test(n)) ?? hex(type)];
      const rest = word & ~0xfn;
      return [...tn, ...(rest ? flagsOf(t, 'SOCK_', rest, (n) => !['SOCK_NONBLOCK', 'SOCK_CLOEXEC'].includes(n)) : [])].join('|') || '0';
    }
    case 'ioctl':
      // Aliases (SIOCINQ and TIOCINQ are FIONREAD) resolve to the earlier family in IOCTL_PREFIXES.
      return nameOf(t, BigInt.asUintN(32, word), (n) => IOCTL_PREFIXES.some((p) => n.startsWith(p)),
        (n) => IOCTL_PREFIXES.findIndex((p) => n.startsWith(p))) ?? hex(word);
    case 'prctl':
      return nameOf(t, word, (n) => n.startsWith('PR_'), (n) => (/^PR_(SET|GET)_[A-Z_]+$/.test(n) && !/^PR_SET_MM_/.test(n) ? 0 : 1)) ?? String(word);
    case 'fcntl':
      return nameOf(t, word, (n) => n.startsWith('F_') && !FCNTL_NOT.has(n) && !n.startsWith('F_SEAL_') && !n.startsWith('F_OWNER_')) ?? String(word);
    case 'clone': {
      const sig = word & 0xffn;
      const parts = word & ~0xffn ? flagsOf(t, 'CLONE_', word & ~0xffn) : [];
      if (sig) parts.push(nameOf(t, sig, (n) => /^SIG[A-Z0-9]+$/.test(n) && !['SIGIOT', 'SIGPOLL', 'SIGCLD', 'SIGUNUSED'].includes(n)) ?? hex(sig));
      return parts.join('|') || '0';
    }
    case 'at':
      return word === 0n ? '0' : flagsOf(t, 'AT_', word).join('|');
    case 'int':
      return word < 0x10000n ? String(word) : hex(word);
    default:
      return hex(word);
  }
}

/**
 * A call's six arguments as decoded values on an arch: fds as numbers (AT_FDCWD), flags as an
 * OR of names (`O_RDONLY|O_CLOEXEC`), ioctl requests, prctl options, fcntl commands, socket
 * families and types by name; anything else in hex. Throws RangeError for an unknown arch.
 */
export async function decodeSyscallArgs(arch: string, syscall: string, args: ReadonlyArray<bigint | number>): Promise<string[]> {
  const t = await tables(arch);
  if (!t) throw new RangeError(`decodeSyscallArgs: unknown architecture "${arch}"`);
  const kinds = ARG_KINDS[syscall] ?? [];
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(decodeArg(t, kinds[i], u64(args[i] ?? 0)));
  return out;
}

// ---- the rule and the suggestion ------------------------------------------------------------

/** The argument that says what a call does (a new rule for it filters on that one). */
const KEY_ARG: Record<string, number> = { socket: 0, ioctl: 1, prctl: 0, fcntl: 1, fcntl64: 1 };

async function archOf(audit: number): Promise<ArchTables | undefined> {
  for (const a of await arches()) {
    const t = await tables(a);
    if (t && t.auditArch >>> 0 === audit >>> 0) return t;
  }
  return undefined;
}

async function fileText(path: string, source: string | PolicyFiles, options: { path?: string; files?: FileSource }): Promise<string | undefined> {
  if (typeof source !== 'string') return source.find(([p]) => p === path)?.[1];
  if (path === (options.path ?? 'policy')) return source;
  const f = options.files;
  if (!f) return undefined;
  if (typeof f === 'function') return (await f(path)) ?? undefined;
  if (f instanceof Map) return f.get(path);
  return Object.prototype.hasOwnProperty.call(f, path) ? f[path] : undefined;
}

function lineOf(text: string | undefined, r: SourceRange): string | undefined {
  if (text === undefined) return undefined;
  const line = text.split('\n')[r.line - 1];
  return line === undefined ? undefined : line.replace(/#.*$/, '').trim();
}

/** Whether the value v satisfies one IR comparison (the page's witness search uses it too). */
export function comparisonHolds(c: IRComparison, v: bigint): boolean {
  switch (c.op) {
    case '==': return v === c.value;
    case '!=': return v !== c.value;
    case '<': return v < c.value;
    case '<=': return v <= c.value;
    case '>': return v > c.value;
    case '>=': return v >= c.value;
    case '&': return (v & (c.mask ?? c.value)) !== 0n;
    case 'in': return (v & (c.mask ?? 0n)) === 0n;
  }
}

/** The value as a policy writes it: the decoded name when it is one constant, else the number. */
function literal(decoded: string, raw: bigint): string {
  return /^[A-Z][A-Z0-9_]*$/.test(decoded) && decoded !== 'AT_FDCWD' ? decoded : raw < 0x10000n ? String(raw) : hex(raw);
}

/**
 * Explain a violation. `source` is the policy the jail was built from (text or a file set, as
 * simulatePolicy takes it; `options.arch` the arch it was compiled for); without it the rule
 * is "no source: rule unknown" and the suggestion names the call alone. Never throws on a bad
 * policy (its rule is then unknown too).
 */
export async function explainViolation(facts: ViolationFacts, source?: string | PolicyFiles | null, options?: PolicyOptions): Promise<ViolationReport> {
  const rawArgs = [0, 1, 2, 3, 4, 5].map((i) => u64(facts.args[i] ?? 0));
  const t = await archOf(facts.arch);
  const syscall = t?.names.get(facts.nr) ?? null;
  const args = t ? rawArgs.map((a, i) => decodeArg(t, (ARG_KINDS[syscall ?? ''] ?? [])[i], a)) : rawArgs.map(hex);
  const verdict = facts.ret !== undefined && ((facts.ret >>> 0) & RET_ACTION_FULL) >>> 0 === RET_KILL_THREAD ? 'kill-thread' : 'kill-process';
  const report: ViolationReport = {
    nr: facts.nr, arch: t?.name ?? `audit ${hex(BigInt(facts.arch >>> 0))}`, syscall, args, rawArgs, verdict,
    rule: 'no source: rule unknown',
    suggestion: syscall ? `add \`${syscall}: 1\` (or widen its rule)` : `syscall ${facts.nr} has no name on this arch`,
  };
  if (source === undefined || source === null || !options) return report;
  const policyArch = await tables(options.arch);
  if (!policyArch) return report;
  if (!t || t.auditArch >>> 0 !== policyArch.auditArch >>> 0) {
    report.rule = 'no rule: bad-arch action';
    report.suggestion = `the policy is for ${policyArch.name} and denies every call made through another arch's entry (this one is ${report.arch}): a policy cannot allow it`;
    return report;
  }
  const sim = await simulatePolicy(source, { ...options, nr: facts.nr, args: rawArgs, ip: facts.ip ?? 0 });
  if (!sim.ok) return report;
  const name = syscall ?? String(facts.nr);
  if (sim.rule) {
    const text = lineOf(await fileText(sim.rule.file, source, options), sim.rule);
    report.rule = `${sim.rule.file}:${sim.rule.line}`;
    if (text) report.ruleText = text;
    if (sim.action === 'allow' || sim.action === 'log') {
      report.suggestion = `the policy allows this call now (${report.rule})`;
    } else {
      report.suggestion = `the rule at ${report.rule}${text ? ` (\`${text}\`)` : ''} denies it (${sim.action}): change its action, or add an allowing condition before it`;
    }
    return report;
  }
  report.rule = 'no rule: default action';
  if (sim.action === 'allow' || sim.action === 'log') {
    report.suggestion = 'the policy allows this call now (its default action)';
    return report;
  }
  const analysis = await analyzePolicy(source, options);
  const entry: IRSyscall | undefined = analysis.ir?.syscalls.find((s) => s.nr === facts.nr);
  const allowing = entry?.rules.filter((r: IRRule) => r.action.name === 'allow' || r.action.name === 'log') ?? [];
  const widen = allowing.find((r) => r.clauses.length > 0 && r.clauses[0].length > 0);
  if (!entry || !widen) {
    // Calls whose meaning is in one argument get that argument pinned (the learned policy's
    // choice too): allowing every ioctl or prctl is rarely what the program needed.
    const key = KEY_ARG[name];
    const pinned = key !== undefined && entry === undefined ? `arg${key} == ${literal(args[key], rawArgs[key])}` : '1';
    report.suggestion = `add \`${name}: ${pinned}\``;
    return report;
  }
  const text = lineOf(await fileText(widen.span.file, source, options), widen.span);
  const clause = widen.clauses[0].map((c) => {
    if (comparisonHolds(c, rawArgs[c.arg])) return `arg${c.arg} ${c.op} ${c.op === '&' || c.op === 'in' ? hex(c.value) : literal(String(c.value), c.value)}`;
    return `arg${c.arg} == ${literal(args[c.arg], rawArgs[c.arg])}`;
  });
  const added = clause.join(' && ');
  report.ruleText = text;
  report.suggestion = text
    ? `widen \`${text}\` (${widen.span.file}:${widen.span.line}) to \`${text} || ${added}\``
    : `widen the rule at ${widen.span.file}:${widen.span.line} with \`|| ${added}\``;
  return report;
}

/**
 * A report as lines for a terminal (tsjail run): the first is `seccomp violation: NAME (NR)`,
 * then the call with its decoded arguments, the rule, and what to change.
 */
export function formatViolation(r: ViolationReport): string[] {
  const name = r.syscall ?? 'unknown syscall';
  // Trailing zero arguments are dropped: most calls take fewer than six.
  let n = 6;
  while (n > 1 && r.rawArgs[n - 1] === 0n) n--;
  const shown = r.args.slice(0, n);
  return [
    `seccomp violation: ${name} (${r.nr})`,
    `  call: ${r.syscall ?? `syscall ${r.nr}`}(${shown.join(', ')}) on ${r.arch}; policy verdict ${r.verdict}`,
    `  rule: ${r.rule}${r.ruleText && !r.rule.startsWith('no ') ? ` \`${r.ruleText}\`` : ''}`,
    `  suggestion: ${r.suggestion}`,
  ];
}
