// The policy core's memory manager (asconfig "runtime" is rt/index-arena.ts, which imports it):
// a bump allocator whose per-call memory is dropped wholesale when an exported call returns.
//
// Why: every export is a stateless request -> response call, and nearly everything it allocates
// (tokens, AST, IR, codegen tables, JSON pieces) dies when it returns. A general allocator and
// a tracing GC spent about a third of `compile`'s time (TLSF block splitting/merging, itcms
// marking); bumping a pointer and resetting it costs nothing.
//
// The contract with the rest of the core (see wasm/assembly/index.ts, tables/index.ts,
// codegen/search.ts):
//  - `arenaRelease()` ends an exported call: everything allocated since the last `arenaKeep()`
//    becomes free. The result object stays intact in memory until the next allocation, and the
//    raw-bindings glue (core.js) lifts it right after the call returns, before it lowers the
//    next call's arguments.
//  - `arenaEnter()` begins every exported call. The first one keeps everything allocated so far:
//    the start code's module-level objects (asc appends a global's initializer to the start
//    function when it first compiles a use of it, so no statement in index.ts is sure to run
//    last) and that first call's lowered arguments (a few KB, once).
//  - `arenaKeep()` makes everything allocated so far permanent. It runs after each lazily built
//    structure that outlives a call (per-arch maps, codegen's grown scratch buffers). Whatever
//    temporaries the current call made before that point are kept too: a bounded, one-off cost.
//  - Nothing else may keep a reference to memory allocated during a call.
//  - Exports never call each other (an inner arenaRelease would free the outer call's data).
// Objects are laid out like the stock runtimes' (BLOCK + OBJECT headers from ~lib/rt/common),
// so the compiler's generated code and the standard library work unchanged. There is no
// collector: __link/__visit/__pin/__unpin are no-ops, __collect does nothing.

import { AL_MASK, BLOCK, BLOCK_OVERHEAD, BLOCK_MAXSIZE, OBJECT, OBJECT_OVERHEAD, OBJECT_MAXSIZE, TOTAL_OVERHEAD } from "~lib/rt/common";
import { E_ALLOCATION_TOO_LARGE } from "~lib/util/error";

// @ts-ignore: decorator
@lazy let heapStart: usize = ((__heap_base + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD;
/** Next free block header position (always aligned so that the payload is). */
// @ts-ignore: decorator
@lazy let top: usize = heapStart;
/** What arenaRelease returns to: the end of the permanent allocations. */
// @ts-ignore: decorator
@lazy let floor: usize = heapStart;

// @ts-ignore: decorator
@inline function payloadSize(size: usize): usize {
  return ((size + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD;
}

/** End of linear memory as last seen (only this file grows it): the bump path's one compare. */
// @ts-ignore: decorator
@lazy let memoryEnd: usize = 0;

// @ts-ignore: decorator
@inline function ensureMemory(end: usize): void {
  if (end > memoryEnd) growMemory(end);
}

function growMemory(end: usize): void {
  const pages = memory.size();
  const have = <usize>pages << 16;
  if (end > have) {
    const need = <i32>((end - have + 0xffff) >>> 16);
    // Double when possible so a growing call does not grow page by page.
    if (memory.grow(max(pages, need)) < 0) {
      if (memory.grow(need) < 0) unreachable(); // out of memory
    }
  }
  memoryEnd = <usize>memory.size() << 16;
}

/**
 * Zero an object's payload. Most objects are a few words, and memory.fill is a call into the
 * engine (V8): plain stores are several times faster there. The payload is 16-byte aligned and
 * its block has room up to the next multiple of 4 (payloadSize pads size + 20 to 16), so the
 * 4-byte tail store stays inside it.
 */
// @ts-ignore: decorator
@inline function zero(at: usize, size: usize): void {
  if (size > 128) { memory.fill(at, 0, size); return; }
  const end = at + ((size + 3) & ~<usize>3);
  let p = at;
  while (p + 8 <= end) { store<u64>(p, 0); p += 8; }
  if (p < end) store<u32>(p, 0);
}

/** Bump `top` past a new block with room for `size` bytes; its payload. Inlined: __new's hot path. */
// @ts-ignore: decorator
@inline function bump(size: usize): usize {
  const block = top;
  const ptr = block + BLOCK_OVERHEAD;
  const psize = payloadSize(size);
  ensureMemory(ptr + psize);
  changetype<BLOCK>(block).mmInfo = psize;
  top = ptr + psize;
  return ptr;
}

// @ts-ignore: decorator
@unsafe @global
export function __alloc(size: usize): usize {
  if (size > BLOCK_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  return bump(size);
}

// @ts-ignore: decorator
@unsafe @global
export function __realloc(ptr: usize, size: usize): usize {
  const block = changetype<BLOCK>(ptr - BLOCK_OVERHEAD);
  const have = block.mmInfo;
  const psize = payloadSize(size);
  const last = ptr + have == top;
  if (last && ptr >= floor) {
    // The newest block grows or shrinks in place.
    if (size > BLOCK_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
    ensureMemory(ptr + psize);
    block.mmInfo = psize;
    top = ptr + psize;
    return ptr;
  }
  if (size <= have) return ptr;
  // Elsewhere: move to a new block with room to grow again (arrays double anyway).
  const moved = __alloc(max<usize>(psize, have << 1));
  memory.copy(moved, ptr, have);
  return moved;
}

// @ts-ignore: decorator
@unsafe @global
export function __free(ptr: usize): void {
  const block = changetype<BLOCK>(ptr - BLOCK_OVERHEAD);
  if (ptr + block.mmInfo == top && ptr >= floor) top = changetype<usize>(block);
}

// @ts-ignore: decorator
@unsafe @global
export function __new(size: usize, id: u32): usize {
  if (size > OBJECT_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  const ptr = bump(OBJECT_OVERHEAD + size);
  const object = changetype<OBJECT>(ptr - BLOCK_OVERHEAD);
  object.gcInfo = 0;
  object.gcInfo2 = 0;
  object.rtId = id;
  object.rtSize = <u32>size;
  // The standard library relies on zeroed objects under the stock runtime (Map buckets, grown
  // arrays), and memory reused after arenaRelease holds old data.
  zero(ptr + OBJECT_OVERHEAD, size);
  return ptr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global
export function __renew(oldPtr: usize, size: usize): usize {
  if (size > OBJECT_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  const object = changetype<OBJECT>(oldPtr - TOTAL_OVERHEAD);
  const oldSize = <usize>object.rtSize;
  const ptr = __realloc(oldPtr - OBJECT_OVERHEAD, OBJECT_OVERHEAD + size);
  changetype<OBJECT>(ptr - BLOCK_OVERHEAD).rtSize = <u32>size;
  if (size > oldSize) memory.fill(ptr + OBJECT_OVERHEAD + oldSize, 0, size - oldSize);
  return ptr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@global @unsafe
export function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {}

// @ts-ignore: decorator
@global @unsafe
export function __pin(ptr: usize): usize { return ptr; }

// @ts-ignore: decorator
@global @unsafe
export function __unpin(ptr: usize): void {}

// @ts-ignore: decorator
@global @unsafe
function __visit(ptr: usize, cookie: u32): void {} // eslint-disable-line @typescript-eslint/no-unused-vars

// @ts-ignore: decorator
@global @unsafe
export function __collect(): void {}

// @ts-ignore: decorator
@lazy let entered: bool = false;

/** Start of an exported call (see the contract above). */
// @ts-ignore: decorator
@global @unsafe
export function arenaEnter(): void {
  if (!entered) {
    entered = true;
    floor = top;
  }
}

/** Make everything allocated so far permanent (see the contract above). */
// @ts-ignore: decorator
@global @unsafe
export function arenaKeep(): void { floor = top; }

/** The current end of the allocations, for arenaReset. */
// @ts-ignore: decorator
@global @unsafe
export function arenaMark(): usize { return top; }

/**
 * Free everything allocated after `mark` (never below the last arenaKeep). For long loops whose
 * garbage is last-in first-out (the verifier's depth-first work stacks, verify/frontier.ts):
 * the caller guarantees nothing allocated after `mark` is still referenced.
 */
// @ts-ignore: decorator
@global @unsafe
export function arenaReset(mark: usize): void { top = max(mark, floor); }

/**
 * Move a string down to `mark` and free everything else allocated after it: for loops that
 * build one result string per step out of much garbage (verify/report.ts). Strings hold no
 * pointers, so moving the block (headers included) is all it takes.
 */
// @ts-ignore: decorator
@global @unsafe
export function arenaSettle(mark: usize, s: string): string {
  const block = changetype<usize>(s) - TOTAL_OVERHEAD;
  if (mark < floor || mark >= block || block < floor) return s;
  const size = BLOCK_OVERHEAD + changetype<BLOCK>(block).mmInfo;
  memory.copy(mark, block, size);
  top = mark + size;
  return changetype<string>(mark + TOTAL_OVERHEAD);
}

/** End of an exported call: free everything allocated since the last arenaKeep. */
// @ts-ignore: decorator
@global @unsafe
export function arenaRelease(): void { top = floor; }
