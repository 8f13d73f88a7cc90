// The filter cost metric (docs/benchmarks.md, "filters"), reusable by `npm run bench` and by
// throwaway comparisons: instructions executed per allowed / denied syscall (all-zero
// arguments), per allowed conditional call (argument vectors built from comparison
// constants), the worst path, and program length. Runs programs through the core's
// simulator, so the numbers are the ones the kernel would execute.

/** One row of minijail-bst-x86_64.tsv, or the same measures for one of our programs. */
export interface FilterMetric {
  len: number;
  allowedN: number;
  allowedMean: number;
  allowedMax: number;
  deniedMean: number;
  deniedMax: number;
  condCases: number;
  condMean: number;
  worst: number;
}

export interface ReferenceRow extends FilterMetric {
  file: string;
  linearAllowedMean: number;
  /** nr -> argument indices the reference path reads. */
  plan: Map<number, number[]>;
  /** The reference program's comparison constants. */
  consts: bigint[];
}

/** Run one program: the action name and instructions executed. */
export type Runner = (nr: number, args: bigint[]) => { action: string; insns: number };

/** The README's syscall range for x86_64. */
export const NR_RANGE = 470;
export const AUDIT_ARCH_X86_64 = 0xc000003e;

const M64 = (1n << 64n) - 1n;

export function parseReferenceTsv(text: string): ReferenceRow[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const head = lines[0].split('\t');
  const col = (n: string) => head.indexOf(n);
  return lines.slice(1).map((l) => {
    const c = l.split('\t');
    const num = (n: string) => Number(c[col(n)]);
    const plan = new Map<number, number[]>();
    const planCell = c[col('plan')] ?? '';
    for (const part of planCell.split(';')) {
      if (!part.includes(':')) continue;
      const [nr, idx] = part.split(':');
      plan.set(Number(nr), idx.split(',').filter((x) => x !== '').map(Number));
    }
    const constsCell = c[col('consts')] ?? '';
    return {
      file: c[col('file')],
      len: num('len'), allowedN: num('allowed_n'), allowedMean: num('allowed_mean'), allowedMax: num('allowed_max'),
      deniedMean: num('denied_mean'), deniedMax: num('denied_max'), condCases: num('cond_cases'), condMean: num('cond_mean'),
      worst: num('worst'), linearAllowedMean: num('linear_allowed_mean'), plan,
      consts: constsCell.split(',').filter((x) => x !== '').map((x) => BigInt('0x' + x)),
    };
  });
}

/**
 * Argument values for conditional calls: each constant c, c ^ 0xffffffff, c - 1, c + 1, each
 * also with bit 32 set and shifted into the high word; plus 0, 1, 2^32-1, 2^64-1 and 2^32.
 */
export function condValues(consts: bigint[]): bigint[] {
  const out = new Set<bigint>([0n, 1n, 0xffffffffn, M64, 1n << 32n]);
  for (const c of consts) {
    for (const v0 of [c, c ^ 0xffffffffn, c - 1n, c + 1n]) {
      const v = BigInt.asUintN(32, v0);
      out.add(v);
      out.add(v | (1n << 32n));
      out.add(v << 32n);
    }
  }
  return [...out];
}

const mean = (l: number[]) => (l.length === 0 ? 0 : l.reduce((a, b) => a + b, 0) / l.length);
const max = (l: number[]) => l.reduce((a, b) => Math.max(a, b), 0);

/** The metric for one program on the reference's calls (`plan` and `consts`). */
export function measure(len: number, run: Runner, plan: Map<number, number[]>, consts: bigint[]): FilterMetric {
  const zero = [0n, 0n, 0n, 0n, 0n, 0n];
  const allowed: number[] = [];
  const denied: number[] = [];
  for (let nr = 0; nr < NR_RANGE; nr++) {
    const r = run(nr, zero);
    (r.action === 'allow' ? allowed : denied).push(r.insns);
  }
  const cond: number[] = [];
  const values = condValues(consts);
  for (const [nr, indices] of plan) {
    for (const i of indices) {
      for (const v of values) {
        const args = zero.slice();
        args[i] = v;
        const r = run(nr, args);
        if (r.action === 'allow') cond.push(r.insns);
      }
    }
  }
  return {
    len,
    allowedN: allowed.length, allowedMean: mean(allowed), allowedMax: max(allowed),
    deniedMean: mean(denied), deniedMax: max(denied),
    condCases: cond.length, condMean: mean(cond),
    worst: Math.max(max(allowed), max(cond)),
  };
}

/** Corpus-wide means of the per-policy values. */
export function corpusMeans(rows: FilterMetric[]): FilterMetric {
  const m = (f: (r: FilterMetric) => number) => mean(rows.map(f));
  return {
    len: m((r) => r.len), allowedN: m((r) => r.allowedN), allowedMean: m((r) => r.allowedMean), allowedMax: m((r) => r.allowedMax),
    deniedMean: m((r) => r.deniedMean), deniedMax: m((r) => r.deniedMax), condCases: m((r) => r.condCases),
    condMean: m((r) => r.condMean), worst: m((r) => r.worst),
  };
}

/** 64 bytes of struct seccomp_data (little-endian). */
export function seccompDataBytes(arch: number, nr: number, args: bigint[], ip = 0n): Uint8Array {
  const b = new Uint8Array(64);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, nr >>> 0, true);
  dv.setUint32(4, arch >>> 0, true);
  dv.setBigUint64(8, ip, true);
  for (let i = 0; i < 6; i++) dv.setBigUint64(16 + 8 * i, BigInt.asUintN(64, args[i] ?? 0n), true);
  return b;
}
