// Sets of possible values of one 32-bit word of struct seccomp_data along a path:
// an interval [lo, hi], known bits (mask/value), and a short list of excluded values
// (from `!=` branches). Every operation here is exact: `first`/`last` find real members,
// so a domain that reports itself empty really is empty, and refinements never lose or
// invent values. Anything not representable is handled by the caller splitting the domain
// into representable parts.

export class Domain {
  constructor(
    public lo: u32 = 0,
    public hi: u32 = 0xffffffff,
    public knownMask: u32 = 0,
    public knownVal: u32 = 0,
    public excluded: u32[] = [],
  ) {}

  clone(): Domain {
    return new Domain(this.lo, this.hi, this.knownMask, this.knownVal, this.excluded.slice(0));
  }

  static single(v: u32): Domain { return new Domain(v, v, 0xffffffff, v, []); }

  /** Smallest member >= from, or -1 when none. */
  firstFrom(from: u32): i64 {
    if (from < this.lo) from = this.lo;
    if (from > this.hi) return -1;
    let x: i64 = <i64>from;
    for (let guard = 0; guard <= this.excluded.length + 1; guard++) {
      const v = nextMatching(<u32>x, this.knownMask, this.knownVal);
      if (v < 0 || v > <i64>this.hi) return -1;
      if (!this.isExcluded(<u32>v)) return v;
      if (v == 0xffffffff) return -1;
      x = v + 1;
    }
    // More exclusions hit than exist is impossible; be safe.
    return -1;
  }

  /** Largest member <= from, or -1 when none. */
  lastUpTo(from: u32): i64 {
    if (from > this.hi) from = this.hi;
    if (from < this.lo) return -1;
    let x: i64 = <i64>from;
    for (let guard = 0; guard <= this.excluded.length + 1; guard++) {
      const v = prevMatching(<u32>x, this.knownMask, this.knownVal);
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

  contains(v: u32): bool {
    return v >= this.lo && v <= this.hi && (v & this.knownMask) == this.knownVal && !this.isExcluded(v);
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
    if (!this.contains(v)) return new Domain(1, 0);
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
    return d;
  }

  /** An exact partition of this domain into parts where (w & m) != 0, and the part where it is 0. */
  splitAnyBit(m: u32): Domain[] {
    // parts: for each bit b of m (high to low): earlier bits of m zero, b one.
    const out = new Array<Domain>();
    let zeros: u32 = 0;
    for (let b = 31; b >= 0; b--) {
      const bit: u32 = (<u32>1) << <u32>b;
      if ((m & bit) == 0) continue;
      const part = this.withBits(zeros | bit, bit);
      if (!part.empty) out.push(part);
      zeros |= bit;
    }
    return out;
  }

  toString(): string {
    let s = '[0x' + this.lo.toString(16) + '..0x' + this.hi.toString(16) + ']';
    if (this.knownMask != 0) s += ' bits 0x' + this.knownMask.toString(16) + '=0x' + this.knownVal.toString(16);
    if (this.excluded.length > 0) s += ' except ' + this.excluded.length.toString();
    return s;
  }
}

/** Smallest v >= x with (v & mask) == val (val within mask), or -1. */
export function nextMatching(x: u32, mask: u32, val: u32): i64 {
  val &= mask;
  if ((x & mask) == val) return <i64>x;
  let best: i32 = -1; // lowest free bit above the conflict where x has 0
  for (let p = 31; p >= 0; p--) {
    const bit: u32 = (<u32>1) << <u32>p;
    const xb = x & bit;
    if ((mask & bit) != 0) {
      const vb = val & bit;
      if (vb == xb) continue;
      if (vb > xb) {
        // Raise this fixed bit: the prefix above equals x, so the result exceeds x.
        const above: u32 = p == 31 ? 0 : x & ~((bit << 1) - 1);
        return <i64>(above | bit | (val & (bit - 1)));
      }
      break; // fixed bit must be 0 where x has 1: raise a free bit above
    } else if (xb == 0) {
      best = p;
    }
  }
  if (best < 0) return -1;
  const b: u32 = (<u32>1) << <u32>best;
  const above: u32 = best == 31 ? 0 : x & ~((b << 1) - 1);
  return <i64>(above | b | (val & (b - 1)));
}

/** Largest v <= x with (v & mask) == val, or -1. */
export function prevMatching(x: u32, mask: u32, val: u32): i64 {
  // Mirror of nextMatching on the complemented value.
  const r = nextMatching(~x, mask, (~val) & mask);
  if (r < 0) return -1;
  return <i64>(~(<u32>r));
}
