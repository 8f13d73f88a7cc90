// Syscall dispatch: the u32 space of `nr` partitioned into ranges of consecutive numbers with
// the same outcome (listed syscalls, the gaps between them that take the default action, and
// on x86_64 the x32 half-spaces that take the bad-arch action), then one weighted search tree
// over the ranges. Folding x32 into the partition means rejecting it costs nothing extra
// when the bad-arch and default actions agree (they merge into the gap ranges).

import { Dag } from './dag';
import { RangeSet, buildSearch } from './search';
import { SECCOMP_DATA_NR } from '../bpf/insn';

/**
 * Weight of one range that no listed syscall occupies. Small: unlisted numbers are the ones a
 * sandboxed program rarely calls, and allowed calls should stay shallow.
 */
export const GAP_WEIGHT: f64 = 0.01;

const X32_BIT: u32 = 0x40000000;

export class DispatchEntry {
  constructor(public nr: u32, public node: i32, public weight: f64) {}
}

/**
 * The dispatch tree (its first node loads nr). `entries` sorted by nr without duplicates;
 * `gapNode` is the default action's node, `x32Node` the bad-arch node or -1 (no x32 check).
 */
export function buildDispatch(dag: Dag, entries: DispatchEntry[], gapNode: i32, x32Node: i32): i32 {
  const ranges = new RangeSet();
  // Walk the u32 space in order: x32 blocks are [0x40000000, 0x7fffffff] and [0xc0000000, max].
  let next: u32 = 0; // first number not yet covered
  let done = false;
  let e = 0;
  while (!done) {
    const inX32 = x32Node >= 0 && (next & X32_BIT) != 0;
    // End of the current region (inclusive).
    let regionEnd: u32 = 0xffffffff;
    if (x32Node >= 0) regionEnd = inX32 ? (next | 0x3fffffff) : ((next & 0x80000000) | 0x3fffffff);
    if (inX32) {
      ranges.add(next, x32Node, GAP_WEIGHT);
      while (e < entries.length && entries[e].nr <= regionEnd) e++; // x32 numbers are rejected first
    } else {
      let cur = next;
      let open = true; // [cur, regionEnd] not yet covered
      while (e < entries.length && entries[e].nr <= regionEnd) {
        const en = entries[e++];
        if (en.nr > cur) ranges.add(cur, gapNode, GAP_WEIGHT);
        ranges.add(en.nr, en.node, en.weight);
        if (en.nr == regionEnd) { open = false; break; }
        cur = en.nr + 1;
      }
      if (open) ranges.add(cur, gapNode, GAP_WEIGHT);
    }
    if (regionEnd == 0xffffffff) done = true;
    else next = regionEnd + 1;
  }
  return buildSearch(dag, ranges, 0xffffffff, <i32>SECCOMP_DATA_NR);
}
