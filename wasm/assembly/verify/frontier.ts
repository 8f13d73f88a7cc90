// A depth-first work stack that returns its garbage to the per-call arena (wasm/assembly/rt/arena.ts).
//
// The core frees memory only when an exported call returns, but the verifier and diff may take
// millions of steps in one call. Their work is last-in first-out: when an item is popped, every
// item pushed after it has been popped and finished, so everything allocated after this item was
// pushed is garbage — unless it was stored somewhere that outlives the step. pop() therefore
// resets the arena to the position recorded at push time, and keep() protects what was
// allocated so far (results the caller recorded); the stack's own storage is kept when it grows.
// The caller's rule: nothing allocated after a push may be referenced once that item is popped,
// except through keep(). Mutating a popped item and pushing it again is fine (a new mark).

export class Frontier<T> {
  private items: T[] = [];
  private marks: usize[] = [];
  /** Never reset below this: grown storage and kept results. */
  private kept: usize = 0;

  get length(): i32 { return this.items.length; }

  push(item: T): void {
    const before = this.items.dataStart;
    const beforeMarks = this.marks.dataStart;
    this.marks.push(arenaMark());
    this.items.push(item);
    if (this.items.dataStart != before || this.marks.dataStart != beforeMarks) this.keep();
  }

  /** The newest item; everything allocated since it was pushed is freed. */
  pop(): T {
    const mark = this.marks.pop();
    const item = this.items.pop();
    arenaReset(max(mark, this.kept));
    return item;
  }

  /** Keep everything allocated so far (something outliving the step refers to it). */
  keep(): void { this.kept = arenaMark(); }
}
