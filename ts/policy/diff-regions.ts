// The core's diff regions as a reviewer reads them: each argument as one 64-bit value set
// (the core splits its input space into 32-bit words, so `arg0 >= 1` arrives as two regions,
// high word 0 with low word >= 1, and high word >= 1), regions that differ in one argument
// only joined back together, and values and masks named with the constants that fit that
// argument of that syscall (`arg2 & O_CREAT`, `arg1 == TCGETS`).

import { decodeSyscallArgs } from './explain';
import { constantsMatching, syscallArguments } from './service/arguments';
import type { ArchTables } from './tables';

/** A set of argument values: `min <= v <= max`, `(v & mask) == bits`, v not in `not`, `(v & m) != 0` for each m of `anyOf`. */
export interface ArgValues {
  min: bigint;
  max: bigint;
  mask: bigint;
  bits: bigint;
  not: bigint[];
  anyOf: bigint[];
}

/** One argument's part of a difference's condition. */
export interface ArgCondition {
  /** Argument index, 0-5. */
  arg: number;
  /** The condition as text, with constant names: `arg1 == O_RDONLY`, `arg0 >= 1`, `arg2 & O_CREAT`. */
  text: string;
  /**
   * The argument's values as one set of whole arguments (64-bit, or 32-bit on 32-bit arches);
   * null when they are not one such set, and `words` gives the high and low 32-bit halves.
   */
  values: ArgValues | null;
  words?: { high: ArgValues; low: ArgValues };
}

/** One word's Domain as the core writes it: [lo, hi, knownMask, knownVal, excluded, nonzero masks]. */
export type CoreWord = [number, number, number, number, number[], number[]];

const WORD32 = 0xffffffffn;

function wordValues(w: CoreWord): ArgValues {
  return { min: BigInt(w[0]), max: BigInt(w[1]), mask: BigInt(w[2]), bits: BigInt(w[3]) & BigInt(w[2]), not: w[4].map(BigInt), anyOf: w[5].map(BigInt) };
}

function isFull(v: ArgValues, max: bigint): boolean {
  return v.min === 0n && v.max === max && v.mask === 0n && v.not.length === 0 && v.anyOf.length === 0;
}

/** No interval or exclusion: bit conditions only. */
function bitsOnly(v: ArgValues, max: bigint): boolean {
  return v.min === 0n && v.max === max && v.not.length === 0;
}

/** The whole argument's values from its two words, or null when the product is not one ArgValues. */
export function joinWords(high: ArgValues, low: ArgValues): ArgValues | null {
  if (high.min === high.max) {
    const h = high.min << 32n;
    return { min: h | low.min, max: h | low.max, mask: low.mask, bits: low.bits, not: low.not.map((x) => h | x), anyOf: low.anyOf };
  }
  if (bitsOnly(low, WORD32) && high.not.length === 0) {
    return {
      min: high.min << 32n, max: (high.max << 32n) | WORD32, mask: (high.mask << 32n) | low.mask, bits: (high.bits << 32n) | low.bits,
      not: [], anyOf: [...high.anyOf.map((m) => m << 32n), ...low.anyOf],
    };
  }
  return null;
}

/** A difference region under construction: its argument sets and the size of what it names. */
export interface ArgRegion {
  args: Array<{ values: ArgValues | null; words: { high: ArgValues; low: ArgValues } }>;
  log2Count: number;
}

export function argRegion(words: CoreWord[], bits: 32 | 64, log2Count: number): ArgRegion {
  const args: ArgRegion['args'] = [];
  for (let k = 0; k < 6; k++) {
    const low = wordValues(words[4 + 2 * k]);
    // On 32-bit arches the high words are not part of the call (the kernel passes zero).
    const high = bits === 32 ? { min: 0n, max: 0n, mask: 0n, bits: 0n, not: [], anyOf: [] } : wordValues(words[5 + 2 * k]);
    args.push({ values: joinWords(high, low), words: { high, low } });
  }
  return { args, log2Count };
}

const big = (v: bigint) => '0x' + v.toString(16);
const key = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? big(x) : x));

/**
 * Join regions (same syscall and verdicts, already grouped by the caller) that differ in one
 * argument whose value ranges touch, with the same bit conditions: their union is one region.
 */
export function mergeRegions<T extends ArgRegion>(regions: T[]): T[] {
  let list = regions;
  for (let changed = true; changed;) {
    changed = false;
    for (let k = 0; k < 6; k++) {
      const buckets = new Map<string, T[]>();
      for (const r of list) {
        const v = r.args[k].values;
        const sig = key([r.args.map((a, j) => (j === k ? null : a.values ?? a.words)), v ? [v.mask, v.bits, v.anyOf] : ['words', r.args[k].words]]);
        // An argument that is not one value set is never joined: its region keeps a bucket of its own.
        const bk = v ? sig : `${sig}#${buckets.size}`;
        const b = buckets.get(bk) ?? [];
        b.push(r);
        buckets.set(bk, b);
      }
      const next: T[] = [];
      for (const b of buckets.values()) {
        b.sort((x, y) => (x.args[k].values!.min < y.args[k].values!.min ? -1 : 1));
        let cur = b[0];
        for (const r of b.slice(1)) {
          const a = cur.args[k].values, n = r.args[k].values;
          if (a && n && a.max + 1n === n.min) {
            const values = { ...a, max: n.max, not: [...a.not.filter((x) => x >= a.min && x <= a.max), ...n.not.filter((x) => x >= n.min && x <= n.max)] };
            const args = cur.args.slice();
            args[k] = { values, words: cur.args[k].words };
            const hi = Math.max(cur.log2Count, r.log2Count), lo = Math.min(cur.log2Count, r.log2Count);
            cur = { ...cur, args, log2Count: Math.round((hi + Math.log2(1 + 2 ** (lo - hi))) * 10) / 10 };
            changed = true;
          } else {
            next.push(cur);
            cur = r;
          }
        }
        next.push(cur);
      }
      list = next;
    }
  }
  return list;
}

/** The same set with excluded bounds moved inward (the core keeps `>= 1 && != 1` as such) and exclusions outside the bounds dropped. */
function tighten(v: ArgValues): ArgValues {
  const not = new Set(v.not);
  let min = v.min, max = v.max;
  while (min < max && not.has(min)) min++;
  while (max > min && not.has(max)) max--;
  return { ...v, min, max, not: [...not].filter((x) => x > min && x < max).sort((a, b) => (a < b ? -1 : 1)) };
}

const popcount = (v: bigint) => v.toString(2).replace(/0/g, '').length;

/** Names a syscall's argument values and masks with the constants that fit that argument. */
export class ArgNamer {
  private constructor(private t: ArchTables, private syscall: string, private patterns: string[][], private fitting: string[][]) {}

  static async create(t: ArchTables, syscall: string): Promise<ArgNamer> {
    const args = (await syscallArguments(syscall)) ?? [];
    const names = [...t.constants.keys()];
    const patterns = [0, 1, 2, 3, 4, 5].map((k) => args[k]?.constants ?? []);
    return new ArgNamer(t, syscall, patterns, patterns.map((p) => constantsMatching(p, names)));
  }

  /** Where a name's pattern comes in the argument's list: the table lists the usual meaning first (fcntl's arg: FD_CLOEXEC before O_*). */
  private patternRank(k: number, name: string): number {
    return this.patterns[k].findIndex((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
  }

  private number(v: bigint, max: bigint): string {
    if (v < 4096n) return v.toString();
    // Small negative numbers (AT_FDCWD, -1) as a policy writes them.
    if (max - v < 4096n) return '-' + (max - v + 1n).toString();
    return big(v);
  }

  /** The constants fitting argument k whose value is v, best first (the name violation reports use, the table's order, the shortest). */
  private async exact(k: number, v: bigint): Promise<string[]> {
    const hits = this.fitting[k].filter((n) => this.t.constants.get(n) === BigInt.asUintN(this.t.bits, v));
    if (hits.length < 2) return hits;
    const args = [0n, 0n, 0n, 0n, 0n, 0n];
    args[k] = v;
    const decoded = new Set((await decodeSyscallArgs(this.t.name, this.syscall, args))[k].split('|'));
    return hits.sort((a, b) => Number(decoded.has(b)) - Number(decoded.has(a)) || this.patternRank(k, a) - this.patternRank(k, b) ||
      a.length - b.length || (a < b ? -1 : 1));
  }

  /**
   * A value argument k is compared with: as violation reports decode it when that is an OR of
   * constants fitting the argument (`O_RDONLY|O_CLOEXEC`), else one such constant, else the number.
   */
  async value(k: number, v: bigint, max: bigint): Promise<string> {
    const args = [0n, 0n, 0n, 0n, 0n, 0n];
    args[k] = v;
    const decoded = (await decodeSyscallArgs(this.t.name, this.syscall, args))[k];
    if (decoded.split('|').every((n) => this.fitting[k].includes(n))) return decoded;
    return (await this.exact(k, v))[0] ?? this.number(v, max);
  }

  /** A mask: one constant, else an OR of single-bit constants covering it exactly, else the number. */
  async mask(k: number, m: bigint, max: bigint): Promise<string> {
    const [one] = await this.exact(k, m);
    if (one !== undefined) return one;
    const parts: string[] = [];
    for (let rest = m; rest !== 0n;) {
      const bit = rest & -rest;
      const [n] = await this.exact(k, bit);
      if (n === undefined) return this.number(m, max);
      parts.push(n);
      rest &= ~bit;
    }
    return parts.join('|');
  }

  /** `arg1 == O_RDONLY`, `arg0 >= 1 && arg0 != 7`, `(arg2 & O_ACCMODE) == O_WRONLY`; '' when every value is in. */
  async describe(k: number, name: string, loose: ArgValues, max: bigint): Promise<string> {
    const v = tighten(loose);
    if (isFull(v, max)) return '';
    if (v.min === v.max) return `${name} == ${await this.value(k, v.min, max)}`;
    const parts: string[] = [];
    if (v.min > 0n && v.max < max) parts.push(`${this.number(v.min, max)} <= ${name} <= ${this.number(v.max, max)}`);
    else if (v.min > 0n) parts.push(`${name} >= ${this.number(v.min, max)}`);
    else if (v.max < max) parts.push(`${name} <= ${this.number(v.max, max)}`);
    if (v.mask !== 0n) {
      const m = await this.mask(k, v.mask, max);
      if (v.bits === 0n) parts.push(`(${name} & ${m}) == 0`);
      else if (v.bits === v.mask && popcount(v.mask) === 1) parts.push(`${name} & ${m}`);
      else parts.push(`(${name} & ${m}) == ${v.bits === v.mask ? m : await this.mask(k, v.bits, max)}`);
    }
    for (const x of v.not) if (x >= v.min && x <= v.max) parts.push(`${name} != ${await this.value(k, x, max)}`);
    for (const m of v.anyOf) parts.push(popcount(m) === 1 ? `${name} & ${await this.mask(k, m, max)}` : `(${name} & ${await this.mask(k, m, max)}) != 0`);
    return parts.join(' && ');
  }

  /** Every constrained argument of a region. */
  async conditions(r: ArgRegion): Promise<ArgCondition[]> {
    const max = this.t.bits === 32 ? WORD32 : (1n << 64n) - 1n;
    const out: ArgCondition[] = [];
    for (let k = 0; k < 6; k++) {
      const a = r.args[k];
      const name = `arg${k}`;
      if (a.values) {
        const values = tighten(a.values);
        const text = await this.describe(k, name, values, max);
        if (text !== '') out.push({ arg: k, text, values });
        continue;
      }
      const words = { high: tighten(a.words.high), low: tighten(a.words.low) };
      const hi = await this.describe(k, `${name}.hi`, words.high, WORD32);
      const lo = await this.describe(k, `${name}.lo`, words.low, WORD32);
      out.push({ arg: k, text: [hi, lo].filter((s) => s !== '').join(' && '), values: null, words });
    }
    return out;
  }
}
