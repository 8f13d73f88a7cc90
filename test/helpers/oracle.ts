// The kernel as a test oracle: runs native/tools/seccomp-oracle (built into build/native/Release
// by scripts/build-native.js), which loads a filter in real children and reports, per syscall,
// what the kernel did. docs/testing.md explains why its answers are exact. Also here: the
// mapping from a simulator verdict to the same outcome classes. The BPF assembly helpers the
// oracle tests use live in ./bpf and are re-exported.

import { spawnSync } from 'child_process';
import { accessSync, chmodSync, constants as fsConstants, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

export * from './bpf';

export const ORACLE_PATH = path.resolve(__dirname, '..', '..', 'build', 'native', 'Release', 'seccomp-oracle');

/**
 * What the kernel did. `allow-class` = the filter let the call through to a lower-precedence
 * action: ALLOW, LOG, TRACE or USER_NOTIF (the oracle never lets a tested call execute; with
 * `refine` it says which, in `pass`). `unfiltered` = the call never reached seccomp on this
 * kernel (data = the signal or errno the kernel answered with before any filter ran).
 */
export type OracleKind = 'allow-class' | 'errno' | 'trap' | 'kill-thread' | 'kill-process' | 'unfiltered';

/** Which allow-class action (with `refine`): ALLOW or LOG (one class: LOG only audits), TRACE, USER_NOTIF. */
export type PassKind = 'allow' | 'trace' | 'user-notif';

export interface OracleCase {
  nr: number;
  /** Six u64 arguments (fewer are padded with 0). */
  args: readonly bigint[];
  /** 'i386' issues the call through int $0x80 (args truncated to 32 bits). Default x86_64. */
  arch?: 'x86_64' | 'i386';
}

export interface OracleResult {
  kind: OracleKind;
  /** errno value, trap si_errno, TRACE data (refined), or for `unfiltered` the signal/errno; else 0. */
  data: number;
  /** For `allow-class` with `refine`. */
  pass?: PassKind;
  /** For `trap`: si_syscall and si_arch as the kernel reported them. */
  trapNr?: number;
  trapArch?: number;
  /** The oracle's raw line. */
  line: string;
}

export interface OracleOptions {
  /** Run the oracle as this uid/gid (through setpriv, with no supplementary groups). */
  asUser?: number;
  /** Split allow-class into ALLOW/LOG, TRACE (with data) and USER_NOTIF (x86_64; uses ptrace). */
  refine?: boolean;
}

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
export const X32_SYSCALL_BIT = 0x40000000;

/**
 * Why the oracle cannot run on this machine, or undefined when it can. A missing binary is
 * not a reason: on Linux x86_64 that is a build failure, and runOracle reports it.
 */
export function oracleUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'the seccomp oracle needs Linux';
  if (process.arch !== 'x64') return 'the seccomp oracle tests are written for x86_64';
  return undefined;
}

const pathForUser = new Map<number, string>();

/**
 * A path to the oracle that `uid` can execute. A checkout under a private directory (say
 * /root) is not reachable by uid 65534, so then the binary is copied to a fresh world-readable
 * temporary directory, once per process.
 */
function oracleFor(uid: number): string {
  const known = pathForUser.get(uid);
  if (known) return known;
  const id = String(uid);
  const probe = spawnSync('setpriv', [`--reuid=${id}`, `--regid=${id}`, '--clear-groups', 'test', '-x', ORACLE_PATH]);
  let p = ORACLE_PATH;
  if (probe.status !== 0) {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsjail-oracle-'));
    chmodSync(dir, 0o755);
    p = path.join(dir, 'seccomp-oracle');
    copyFileSync(ORACLE_PATH, p);
    chmodSync(p, 0o755);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  pathForUser.set(uid, p);
  return p;
}

function spawnOracle(args: string[], input: string, opts: OracleOptions): string {
  try {
    accessSync(ORACLE_PATH, fsConstants.X_OK);
  } catch {
    throw new Error(`${ORACLE_PATH} is missing or not executable: run node scripts/build-native.js`);
  }
  let cmd = ORACLE_PATH;
  let argv = args;
  if (opts.asUser !== undefined) {
    const id = String(opts.asUser);
    cmd = 'setpriv';
    argv = [`--reuid=${id}`, `--regid=${id}`, '--clear-groups', oracleFor(opts.asUser), ...args];
  }
  const r = spawnSync(cmd, argv, { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`seccomp-oracle exited with ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** Which foreign entry points reach seccomp here: x32 numbers and i386 int $0x80. */
export function probeOracle(opts: OracleOptions = {}): { x32: boolean; i386: boolean } {
  const out = spawnOracle(['--probe'], '', opts);
  return { x32: /^x32 yes$/m.test(out), i386: /^i386 yes$/m.test(out) };
}

function u64(v: bigint): string {
  if (v < 0n || v >= 1n << 64n) throw new RangeError(`argument out of u64 range: ${v}`);
  return '0x' + v.toString(16);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Text input of seccomp-oracle (format at the top of native/tools/seccomp-oracle.c). */
export function oracleInput(program: Uint8Array, cases: readonly OracleCase[]): string {
  const lines = [`program ${hex(program)}`];
  for (const c of cases) {
    if (!Number.isInteger(c.nr) || c.nr < 0 || c.nr > 0xffffffff) throw new RangeError(`bad syscall number ${c.nr}`);
    const args: string[] = [];
    for (let i = 0; i < 6; i++) args.push(u64(c.args[i] ?? 0n));
    lines.push(`case ${c.nr} ${args.join(' ')}${c.arch === 'i386' ? ' i386' : ''}`);
  }
  return lines.join('\n') + '\n';
}

function parseLine(line: string): OracleResult {
  const w = line.split(' ');
  switch (w[0]) {
    case 'allow-class':
      if (w[1] === 'allow' || w[1] === 'user-notif') return { kind: 'allow-class', data: 0, pass: w[1], line };
      if (w[1] === 'trace') return { kind: 'allow-class', data: Number(w[2]), pass: 'trace', line };
      return { kind: 'allow-class', data: 0, line };
    case 'kill-thread':
    case 'kill-process':
      return { kind: w[0], data: 0, line };
    case 'errno':
      return { kind: 'errno', data: Number(w[1]), line };
    case 'trap':
      return { kind: 'trap', data: Number(w[1]), trapNr: Number(w[2]), trapArch: Number(w[3]), line };
    case 'unfiltered':
      return { kind: 'unfiltered', data: Number(w[2] ?? 0), line };
    default:
      throw new Error(`seccomp-oracle: unexpected output line "${line}"`);
  }
}

/** Loads `program` in real children and reports what the kernel did for each case, in order. */
export function runOracle(program: Uint8Array, cases: readonly OracleCase[], opts: OracleOptions = {}): OracleResult[] {
  if (cases.length === 0) return [];
  const input = oracleInput(program, cases);
  // For reproducing a failure by hand: TSJAIL_ORACLE_DUMP=FILE keeps the last input.
  if (process.env.TSJAIL_ORACLE_DUMP) writeFileSync(process.env.TSJAIL_ORACLE_DUMP, input);
  const out = spawnOracle(opts.refine ? ['--refine'] : [], input, opts);
  const lines = out.split('\n').filter((l) => l !== '');
  if (lines.length !== cases.length) {
    throw new Error(`seccomp-oracle answered ${lines.length} lines for ${cases.length} cases`);
  }
  return lines.map(parseLine);
}

/** The simulator's verdict (the core's simulate() JSON) in the oracle's terms. */
export interface SimVerdict {
  action: string;
  data: number;
  ret?: number;
}

export interface ExpectedOutcome {
  kind: OracleKind;
  data: number;
  pass?: PassKind;
}

/** The oracle outcome a simulator verdict predicts; `refined` for runs with `refine`. */
export function expectedFromSimulator(sim: SimVerdict, refined = false): ExpectedOutcome {
  switch (sim.action) {
    case 'allow':
    case 'log':
      return refined ? { kind: 'allow-class', data: 0, pass: 'allow' } : { kind: 'allow-class', data: 0 };
    case 'trace':
      return refined ? { kind: 'allow-class', data: sim.data, pass: 'trace' } : { kind: 'allow-class', data: 0 };
    case 'user-notify':
      return refined ? { kind: 'allow-class', data: 0, pass: 'user-notif' } : { kind: 'allow-class', data: 0 };
    case 'errno':
      // The kernel caps SECCOMP_RET_DATA above MAX_ERRNO (kernel/seccomp.c, __seccomp_filter).
      return { kind: 'errno', data: Math.min(sim.data, 4095) };
    case 'trap':
      return { kind: 'trap', data: sim.data };
    case 'kill-thread':
      return { kind: 'kill-thread', data: 0 };
    case 'kill-process':
      return { kind: 'kill-process', data: 0 };
    default:
      // Undefined action values: the kernel kills the process for those below ERRNO in
      // precedence; the oracle cannot observe the ones above (its guard wins), and codegen
      // never emits either.
      throw new Error(`no oracle class for simulator action "${sim.action}"`);
  }
}

/** The outcome as one comparable string, e.g. "errno 38", "trap 5", "allow-class trace 3". */
export function outcomeKey(o: { kind: OracleKind; data: number; pass?: PassKind }): string {
  if (o.kind === 'allow-class' && o.pass) return o.pass === 'trace' ? `allow-class trace ${o.data}` : `allow-class ${o.pass}`;
  return o.kind === 'errno' || o.kind === 'trap' || o.kind === 'unfiltered' ? `${o.kind} ${o.data}` : o.kind;
}
