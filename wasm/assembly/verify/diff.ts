// Semantic diff of two policies: the exact set of inputs whose outcome changes, as regions.
// Both IRs are refined together (ireval.ts) until each region is decided by both; a region
// whose two actions differ is a difference. Equal meanings give no regions, whatever the
// text looked like (order, formatting, redundant rules).

import { PolicyIR } from '../ir';
import { Region, WORD_NR, argLoWord, argHiWord } from './region';
import { decideIR } from './ireval';
import { Domain } from './domain';
import { Frontier } from './frontier';

export class DiffRegion {
  constructor(public region: Region, public oldAction: u32, public newAction: u32) {}
}

export class DiffResult {
  regions: DiffRegion[] = [];
  complete: bool = true;
  checked: i32 = 0;
}

const DIFF_BUDGET: i32 = 2000000;

export function diffIR(a: PolicyIR, b: PolicyIR): DiffResult {
  const res = new DiffResult();
  // Depth-first: each popped region frees the garbage of the ones explored after it was pushed.
  const work = new Frontier<Region>();
  work.push(new Region());
  while (work.length > 0) {
    if (res.checked++ > DIFF_BUDGET) { res.complete = false; break; }
    const r = work.pop();
    const da = decideIR(a, r);
    if (!da.decided) { pushSplit(work, r, da.split!.word, da.split!.parts); continue; }
    const db = decideIR(b, r);
    if (!db.decided) { pushSplit(work, r, db.split!.word, db.split!.parts); continue; }
    if (da.action != db.action) {
      res.regions.push(new DiffRegion(r, da.action, db.action));
      work.keep(); // the difference outlives this step
    }
  }
  // Present in syscall-number order (the work stack yields them in reverse).
  res.regions.sort((x: DiffRegion, y: DiffRegion): i32 => {
    const nx = x.region.words[WORD_NR].min, ny = y.region.words[WORD_NR].min;
    return nx < ny ? -1 : nx > ny ? 1 : 0;
  });
  return res;
}

function pushSplit(work: Frontier<Region>, r: Region, word: i32, parts: Domain[]): void {
  for (let i = parts.length - 1; i >= 0; i--) if (!parts[i].empty) work.push(r.with(word, parts[i]));
}

/** Readable condition on one 32-bit word, or '' when the word is unconstrained. */
export function describeWord(name: string, d: Domain): string {
  const parts = new Array<string>();
  const mn = d.min, mx = d.max;
  if (mn >= 0 && mn == mx) return name + ' == 0x' + (<u32>mn).toString(16);
  if (d.lo != 0 || d.hi != 0xffffffff) {
    if (d.lo != 0 && d.hi != 0xffffffff) parts.push('0x' + d.lo.toString(16) + ' <= ' + name + ' <= 0x' + d.hi.toString(16));
    else if (d.lo != 0) parts.push(name + ' >= 0x' + d.lo.toString(16));
    else parts.push(name + ' <= 0x' + d.hi.toString(16));
  }
  if (d.knownMask != 0) {
    if (d.knownVal == 0) parts.push('(' + name + ' & 0x' + d.knownMask.toString(16) + ') == 0');
    else if (d.knownVal == d.knownMask && popcnt(d.knownMask) == 1) parts.push(name + ' & 0x' + d.knownMask.toString(16));
    else parts.push('(' + name + ' & 0x' + d.knownMask.toString(16) + ') == 0x' + d.knownVal.toString(16));
  }
  for (let i = 0; i < d.excluded.length; i++) parts.push(name + ' != 0x' + d.excluded[i].toString(16));
  return parts.join(' && ');
}

/** Readable condition on the arguments of a region (64-bit args as one value where possible). */
export function describeArgs(r: Region, bits: i32): string {
  const parts = new Array<string>();
  for (let k = 0; k < 6; k++) {
    const lo = r.words[argLoWord(k)];
    const hi = r.words[argHiWord(k)];
    const name = 'arg' + k.toString();
    if (bits == 32) {
      const s = describeWord(name, lo);
      if (s.length > 0) parts.push(s);
      continue;
    }
    const hmin = hi.min;
    if (hi.singleton && hmin == 0) {
      // Upper half zero: the low word's condition is the argument's (for values < 2^32).
      const s = describeWord(name, lo);
      parts.push(s.length > 0 ? s : name + ' <= 0xffffffff');
      continue;
    }
    if (hi.singleton && lo.singleton) {
      parts.push(name + ' == 0x' + ((<u64>hmin << 32) | <u64>lo.min).toString(16));
      continue;
    }
    const hiFull = hi.lo == 0 && hi.hi == 0xffffffff && hi.knownMask == 0 && hi.excluded.length == 0;
    if (hiFull && lo.lo == 0 && lo.hi == 0xffffffff && lo.excluded.length == 0) {
      // Only bit conditions on the low word: they hold for the 64-bit value as written.
      const s = describeWord(name, lo);
      if (s.length > 0) parts.push(s);
      continue;
    }
    const sh = describeWord(name + '.hi', hi);
    const sl = describeWord(name + '.lo', lo);
    if (sh.length > 0) parts.push(sh);
    if (sl.length > 0) parts.push(sl);
  }
  return parts.join(' && ');
}

/** Approximate log2 of the number of inputs in the region's argument words (for "large" regions). */
export function argBits(r: Region, bits: i32): f64 {
  let total: f64 = 0;
  for (let k = 0; k < 6; k++) {
    const lo = wordBits(r.words[argLoWord(k)]);
    const hi = bits == 64 ? wordBits(r.words[argHiWord(k)]) : 0;
    // An argument the region does not constrain is not counted: the size is of what it names.
    if (lo >= 32 && (bits == 32 || hi >= 32)) continue;
    total += lo + hi;
  }
  return total;
}

function wordBits(d: Domain): f64 {
  const free = 32 - popcnt(d.knownMask);
  const span = <f64>(d.hi - d.lo) + 1.0;
  let size = Math.min(span, Math.pow(2.0, <f64>free));
  size -= <f64>d.excluded.length;
  return size <= 1 ? 0 : Math.log2(size);
}
