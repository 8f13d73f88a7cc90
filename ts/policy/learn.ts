// The learned-policy writer: the calls a program made (from `tsjail learn`'s permissive run)
// become a policy in tsjail's language, with argument filters where one argument says what the
// call does, named constants, the lines ordered by frequency, and an @frequency file from the
// counts. Browser-safe: pure text over the core's tables.

import { decodeSyscallArgs } from './explain';
import type { PolicyOptions } from './request';
import { simulatePolicy } from './simulate';
import { ArchTables, arches, tables } from './tables';

/** One kind of call seen: its arch (AUDIT_ARCH_* or a name), number, arguments, count. */
export interface ObservedCall {
  nr: number;
  arch: number | string;
  args: ReadonlyArray<bigint | number | string>;
  count: number;
}

export interface LearnedPolicy {
  /** The policy text. */
  policy: string;
  /** `name: count` lines, for @frequency. */
  frequency: string;
  /** Syscalls the policy allows. */
  syscalls: string[];
  /** Calls made through another arch's entry (a policy for `arch` cannot allow them). */
  otherArch: string[];
}

export interface LearnOptions {
  /** The arch the policy is for (the program's). */
  arch: string;
  /** Comment lines for the top (without `#`). */
  header?: string[];
  /** The @frequency file's path, written into the policy as `@frequency PATH` when given. */
  frequencyPath?: string;
  /** Do not add the jail's own `execve` (the calls extend a policy that has its own). */
  noExecve?: boolean;
  /** Do not add sched_yield for a threaded program that was not seen calling it. */
  noTimingCalls?: boolean;
}

/** Calls worth a second look before the policy is enforced: what each lets the program do. */
const RISKY: Record<string, string> = {
  ptrace: 'inspect and change other processes', process_vm_readv: "read other processes' memory",
  process_vm_writev: "write other processes' memory", bpf: 'load programs into the kernel', perf_event_open: 'profile the kernel',
  mount: 'change the mount table', umount2: 'change the mount table', pivot_root: 'change the root', unshare: 'make namespaces',
  setns: 'enter namespaces', keyctl: 'use the kernel keyring', add_key: 'use the kernel keyring', request_key: 'use the kernel keyring',
  userfaultfd: 'stall the kernel on page faults (a common exploit aid)', io_uring_setup: 'run I/O that seccomp never sees',
  io_uring_enter: 'run I/O that seccomp never sees', io_uring_register: 'run I/O that seccomp never sees',
  init_module: 'load kernel modules', finit_module: 'load kernel modules', kexec_load: 'replace the kernel',
  open_by_handle_at: 'open files by handle, around path checks', personality: 'change the execution domain', execve: 'run other programs',
  execveat: 'run other programs',
};

/** The argument a rule filters on, for calls whose meaning is in one argument. */
const KEY_ARG: Record<string, number> = { ioctl: 1, fcntl: 1, prctl: 0, socket: 0 };

function toBig(v: bigint | number | string): bigint {
  return BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(v));
}

/** A value as a policy writes it: a decoded name or OR of names when it is one, else hex. */
function literal(decoded: string, raw: bigint): string {
  return /^[A-Z][A-Z0-9_]*(\|[A-Z][A-Z0-9_]*)*$/.test(decoded) && decoded !== 'AT_FDCWD' ? decoded : `0x${raw.toString(16)}`;
}

async function tablesFor(arch: number | string): Promise<ArchTables | undefined> {
  if (typeof arch === 'string') return tables(arch);
  for (const a of await arches()) {
    const t = await tables(a);
    if (t && t.auditArch >>> 0 === arch >>> 0) return t;
  }
  return undefined;
}

/**
 * The calls `existing` (policy text, compiled for `arch` with `options`) does not allow yet:
 * what a merge has to add. Calls of another arch are kept (the writer sets them aside).
 */
export async function callsNotAllowed(calls: readonly ObservedCall[], existing: string, options: PolicyOptions): Promise<ObservedCall[]> {
  const out: ObservedCall[] = [];
  for (const c of calls) {
    const ct = await tablesFor(c.arch);
    const pt = await tables(options.arch);
    if (!ct || !pt || ct.auditArch >>> 0 !== pt.auditArch >>> 0) {
      out.push(c);
      continue;
    }
    const r = await simulatePolicy(existing, { ...options, nr: c.nr, args: c.args.map(toBig) });
    if (!r.ok) throw new RangeError(`the policy to merge into does not compile: ${r.diagnostics.find((d) => d.severity === 'error')?.message ?? 'error'}`);
    if (r.action !== 'allow' && r.action !== 'log') out.push(c);
  }
  return out;
}

/**
 * Write a policy that allows exactly the kinds of calls seen (the arguments of ioctl, fcntl,
 * prctl and socket pinned to the values seen; mmap and mprotect keep W^X unless a W+X mapping
 * was seen; clone pinned to the flag sets seen). Throws RangeError for an unknown arch.
 */
export async function writeLearnedPolicy(calls: readonly ObservedCall[], options: LearnOptions): Promise<LearnedPolicy> {
  const t = await tables(options.arch);
  if (!t) throw new RangeError(`writeLearnedPolicy: unknown architecture "${options.arch}"`);
  const bySyscall = new Map<string, { count: number; values: Map<string, bigint>; wx: boolean }>();
  const other = new Set<string>();
  for (const c of calls) {
    const ct = await tablesFor(c.arch);
    if (!ct || ct.auditArch >>> 0 !== t.auditArch >>> 0) {
      other.add(`${ct?.names.get(c.nr) ?? `syscall ${c.nr}`} (${ct?.name ?? 'unknown arch'})`);
      continue;
    }
    const name = t.names.get(c.nr);
    if (!name) continue;
    const args = [0, 1, 2, 3, 4, 5].map((i) => toBig(c.args[i] ?? 0));
    const e = bySyscall.get(name) ?? { count: 0, values: new Map<string, bigint>(), wx: false };
    e.count += c.count;
    const decoded = await decodeSyscallArgs(t.name, name, args);
    const key = KEY_ARG[name] ?? (name === 'clone' ? 0 : undefined);
    if (key !== undefined) e.values.set(literal(decoded[key], args[key]), args[key]);
    if (name === 'mmap' || name === 'mprotect' || name === 'pkey_mprotect') {
      const w = t.constants.get('PROT_WRITE') ?? 2n;
      const x = t.constants.get('PROT_EXEC') ?? 4n;
      if ((args[2] & w) !== 0n && (args[2] & x) !== 0n) e.wx = true;
    }
    bySyscall.set(name, e);
  }
  // The jail's own execve runs before the policy can see it (permissive runs let it through
  // uncounted); a policy installed before exec (-T static) needs it.
  const sawExec = bySyscall.has('execve');
  if (!sawExec && !options.noExecve && t.syscalls.has('execve')) bySyscall.set('execve', { count: 1, values: new Map(), wx: false });
  // A threaded program (futex seen) calls sched_yield only when its threads happen to contend:
  // one run may not show it, and the next run, under other load, dies of it. It changes nothing
  // but scheduling, so it is added with a comment saying why.
  const addedYield = bySyscall.has('futex') && !bySyscall.has('sched_yield') && !options.noTimingCalls && t.syscalls.has('sched_yield');
  if (addedYield) bySyscall.set('sched_yield', { count: 0, values: new Map(), wx: false });
  const sorted = [...bySyscall.entries()].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1));
  const lines: string[] = [];
  for (const h of options.header ?? []) lines.push(`# ${h}`);
  lines.push(`# ${sorted.length} syscalls, most frequent first. Arguments are filtered where one says what the call does.`);
  if (other.size) lines.push(`# Also seen through another arch's entry (no policy for ${t.name} can allow them): ${[...other].join(', ')}`);
  if (options.frequencyPath) lines.push(`@frequency ${options.frequencyPath}`);
  for (const [name, e] of sorted) {
    let rule = '1';
    if (KEY_ARG[name] !== undefined || name === 'clone') {
      const k = KEY_ARG[name] ?? 0;
      rule = [...e.values.keys()].map((v) => `arg${k} == ${v}`).join(' || ') || '1';
    } else if (name === 'mmap' || name === 'mprotect' || name === 'pkey_mprotect') {
      rule = e.wx ? '1' : 'arg2 in ~PROT_EXEC || arg2 in ~PROT_WRITE';
      if (e.wx) lines.push(`# ${name}: the program mapped memory writable and executable (W+X)`);
    }
    if (name === 'sched_yield' && addedYield) lines.push('# sched_yield: not seen, but a threaded program calls it when its threads contend (timing-dependent)');
    else if (name === 'execve' && !sawExec) lines.push('# execve: the jail\'s own exec of the program (needed when the policy goes in before exec)');
    else if (RISKY[name]) lines.push(`# review: the program called ${name}, which lets it ${RISKY[name]}`);
    lines.push(`${name}: ${rule}`);
  }
  const frequency = sorted.filter(([, e]) => e.count > 0).map(([name, e]) => `${name}: ${e.count}`).join('\n') + '\n';
  return { policy: lines.join('\n') + '\n', frequency, syscalls: sorted.map(([n]) => n), otherArch: [...other] };
}
