// Sets of possible values of one 32-bit word of struct seccomp_data along a path:
// an interval [lo, hi], known bits (mask/value), masks of which some bit is known to be set
// (from `&` tests that held: `(w & m) != 0`), and a short list of excluded values (from `!=`
// branches). Every operation here is exact: `first`/`last` find real members, so a domain
// that reports itself empty really is empty, and refinements never lose or invent values.
// Anything not representable is handled by the caller splitting the domain into
// representable parts.
//
// The nonzero masks keep a passed mask test in one piece. Split into one part per bit (the
// exact alternative without them), each JSET that holds multiplies the paths by its bit
// count, and a few masked conditions on different words multiply out into millions.

export class Domain {
  constructor(
    public lo: u32 = 0,
    public hi: u32 = 0xffffffff,
    public knownMask: u32 = 0,
    public knownVal: u32 = 0,
    public excluded: u32[] = [],
    /** Masks m with (w & m) != 0, each without known bits, none containing another. */
    public nz: u32[] = [],
  ) {}

  clone(): Domain {
    return new Domain(this.lo, this.hi, this.knownMask, this.knownVal, this.excluded.slice(0), this.nz.slice(0));
  }

  static single(v: u32): Domain { return new Domain(v, v, 0xffffffff, v, [], []); }

  static none(): Domain { return new Domain(1, 0); }

  /** Smallest member >= from whose bits under `mask` are `val` and that has a bit of `extra` set (0: no such condition), or -1. */
  firstWith(from: u32, mask: u32, val: u32, extra: u32): i64 {
    if (from < this.lo) from = this.lo;
    if (from > this.hi) return -1;
    const m = this.knownMask | mask;
    if ((this.knownMask & mask & (this.knownVal ^ val)) != 0) return -1;
    const v0 = (this.knownVal & this.knownMask) | (val & mask);
    let x: i64 = <i64>from;
    for (let guard = 0; guard <= this.excluded.length + 1; guard++) {
      const v = nextValid(<u32>x, m, v0, this.nz, extra);
      if (v < 0 || v > <i64>this.hi) return -1;
      if (!this.isExcluded(<u32>v)) return v;
      if (v == 0xffffffff) return -1;
      x = v + 1;
    }
    // More exclusions hit than exist is impossible; be safe.
    return -1;
  }

  /** Smallest member >= from, or -1 when none. */
  firstFrom(from: u32): i64 { return this.firstWith(from, 0, 0, 0); }

  /** Largest member <= from, or -1 when none. */
  lastUpTo(from: u32): i64 {
    if (from > this.hi) from = this.hi;
    if (from < this.lo) return -1;
    let x: i64 = <i64>from;
    for (let guard = 0; guard <= this.excluded.length + 1; guard++) {
      const v = prevValid(<u32>x, this.knownMask, this.knownVal, this.nz);
      if (v < 0 || v < <i64>this.lo) return -1;
      if (!this.isExcluded(<u32>v)) return v;
      if (v == 0) return -1;
      x = v - 1;
    }
    return -1;
  }

  get min(): i64 { return this.firstFrom(this.lo); }
  get max(): i64 { return this.lastUpTo(this.hi); }
  get empty(): bool { return this.min < 0; }

  /** Exactly one member? */
  get singleton(): bool {
    const a = this.min;
    return a >= 0 && a == this.max;
  }

  /** Some member has the bits `val` under `mask`. */
  someWithBits(mask: u32, val: u32): bool { return this.firstWith(this.lo, mask, val & mask, 0) >= 0; }

  /** Some member has a bit of `m` set. */
  someWithAnyBit(m: u32): bool { return m != 0 && this.firstWith(this.lo, 0, 0, m) >= 0; }

  contains(v: u32): bool {
    if (v < this.lo || v > this.hi || (v & this.knownMask) != (this.knownVal & this.knownMask) || this.isExcluded(v)) return false;
    for (let i = 0; i < this.nz.length; i++) if ((v & this.nz[i]) == 0) return false;
    return true;
  }

  isExcluded(v: u32): bool {
    for (let i = 0; i < this.excluded.length; i++) if (this.excluded[i] == v) return true;
    return false;
  }

  // ---- refinements: each returns a new domain (possibly empty) ----

  withRange(lo: u32, hi: u32): Domain {
    const d = this.clone();
    if (lo > d.lo) d.lo = lo;
    if (hi < d.hi) d.hi = hi;
    if (d.lo > d.hi) { d.lo = 1; d.hi = 0; }
    return d;
  }

  withValue(v: u32): Domain {
    if (!this.contains(v)) return Domain.none();
    return Domain.single(v);
  }

  without(v: u32): Domain {
    const d = this.clone();
    if (d.contains(v)) {
      if (v == d.lo && d.lo < d.hi) d.lo = v + 1;
      else if (v == d.hi && d.hi > d.lo) d.hi = v - 1;
      else if (d.lo == d.hi) { d.lo = 1; d.hi = 0; }
      else d.excluded.push(v);
    }
    return d;
  }

  /** Members whose bits under `mask` equal `val`. */
  withBits(mask: u32, val: u32): Domain {
    const d = this.clone();
    val &= mask;
    if ((d.knownMask & mask & (d.knownVal ^ val)) != 0) { d.lo = 1; d.hi = 0; return d; }
    d.knownMask |= mask;
    d.knownVal = (d.knownVal & ~mask) | val;
    d.normalizeMasks();
    return d;
  }

  /** Members with some bit of `m` set. */
  withAnyBit(m: u32): Domain {
    const d = this.clone();
    d.nz.push(m);
    d.normalizeMasks();
    return d;
  }

  /**
   * The nonzero masks in a normal form, so equal sets mostly look equal (the verifier's
   * memo compares domains field by field): a mask with a known one bit holds and goes, known
   * bits leave the others, a single remaining bit becomes a known one, and a mask containing
   * another is implied by it. A mask left with no bit makes the domain empty.
   */
  private normalizeMasks(): void {
    for (;;) {
      let changed = false;
      const ones = this.knownVal & this.knownMask;
      const out = new Array<u32>();
      for (let i = 0; i < this.nz.length; i++) {
        const m = this.nz[i];
        if ((m & ones) != 0) continue;
        const e = m & ~this.knownMask;
        if (e == 0) { this.lo = 1; this.hi = 0; this.nz = []; return; }
        if (popcnt(e) == 1) { this.knownMask |= e; this.knownVal |= e; changed = true; continue; }
        out.push(e);
      }
      if (changed) { this.nz = out; continue; }
      // Drop duplicates and masks that contain another (implied by it).
      const kept = new Array<u32>();
      for (let i = 0; i < out.length; i++) {
        let implied = false;
        for (let j = 0; j < out.length && !implied; j++) {
          if (i == j) continue;
          const a = out[i], b = out[j];
          if ((b & ~a) == 0 && (b != a || j < i)) implied = true;
        }
        if (!implied) kept.push(out[i]);
      }
      this.nz = kept;
      return;
    }
  }

  toString(): string {
    let s = '[0x' + this.lo.toString(16) + '..0x' + this.hi.toString(16) + ']';
    if (this.knownMask != 0) s += ' bits 0x' + this.knownMask.toString(16) + '=0x' + this.knownVal.toString(16);
    for (let i = 0; i < this.nz.length; i++) s += ' any 0x' + this.nz[i].toString(16);
    if (this.excluded.length > 0) s += ' except ' + this.excluded.length.toString();
    return s;
  }
}

// @ts-ignore: decorator
@inline function below(p: i32): u32 { return p >= 32 ? 0xffffffff : ((<u32>1 << <u32>p) - 1); }

function allHit(v: u32, nz: u32[], extra: u32): bool {
  if (extra != 0 && (v & extra) == 0) return false;
  for (let i = 0; i < nz.length; i++) if ((v & unchecked(nz[i])) == 0) return false;
  return true;
}

/**
 * The least value of bits 0..p-1 that, with the fixed bits above (`prefix`), keeps the known
 * bits and hits every mask, or -1. From the top bit down, a free bit stays 0 unless some mask
 * not yet hit has no free bit further down; that is the least choice, since a value is
 * ordered by its highest differing bit.
 */
function leastBelow(p: i32, prefix: u32, mask: u32, val: u32, nz: u32[], extra: u32): i64 {
  const low = below(p);
  const free = ~mask & low;
  let v = val & mask & low;
  const n = nz.length + (extra != 0 ? 1 : 0);
  for (let i = 0; i < n; i++) {
    const m = i < nz.length ? unchecked(nz[i]) : extra;
    if (((prefix | v) & m) == 0 && (m & free) == 0) return -1;
  }
  for (let b = p - 1; b >= 0; b--) {
    const bit: u32 = <u32>1 << <u32>b;
    if ((free & bit) == 0) continue;
    const rest = free & (bit - 1);
    for (let i = 0; i < n; i++) {
      const m = i < nz.length ? unchecked(nz[i]) : extra;
      if (((prefix | v) & m) == 0 && (m & rest) == 0) { v |= bit; break; }
    }
  }
  return <i64>v;
}

/**
 * Smallest v >= x with (v & mask) == val (val within mask) that has a bit of every mask in
 * `nz` (and of `extra` unless 0) set, or -1. Any larger v first differs from x at some bit p
 * where x has 0 and v has 1, equals x above and is least below; the lowest workable p wins.
 */
export function nextValid(x: u32, mask: u32, val: u32, nz: u32[], extra: u32): i64 {
  val &= mask;
  if ((x & mask) == val && allHit(x, nz, extra)) return <i64>x;
  for (let p = 0; p < 32; p++) {
    const bit: u32 = <u32>1 << <u32>p;
    if ((x & bit) != 0) continue;
    if ((mask & bit) != 0 && (val & bit) == 0) continue;
    const above: u32 = ~below(p + 1);
    if (((x ^ val) & mask & above) != 0) continue;
    const prefix = (x & above) | bit;
    const low = leastBelow(p, prefix, mask, val, nz, extra);
    if (low >= 0) return <i64>(prefix | <u32>low);
  }
  return -1;
}

/**
 * Largest v <= x with (v & mask) == val that has a bit of every mask in `nz` set, or -1.
 * Below the first bit where v drops under x, every free bit is 1: the largest choice, and
 * the one that hits the most masks.
 */
export function prevValid(x: u32, mask: u32, val: u32, nz: u32[]): i64 {
  val &= mask;
  if ((x & mask) == val && allHit(x, nz, 0)) return <i64>x;
  for (let p = 0; p < 32; p++) {
    const bit: u32 = <u32>1 << <u32>p;
    if ((x & bit) == 0) continue;
    if ((mask & bit) != 0 && (val & bit) != 0) continue;
    const above: u32 = ~below(p + 1);
    if (((x ^ val) & mask & above) != 0) continue;
    const low = below(p);
    const v = (x & above) | (~mask & low) | (val & low);
    if (allHit(v, nz, 0)) return <i64>v;
  }
  return -1;
}
