// The syntax tree of one policy file, as written (names unresolved, numbers unparsed).
// Every node carries the Span of the text it came from; resolve.ts turns it into the IR.

import { Span } from './span';

export const enum StmtKind { Rule = 0, Include, Frequency, Default, Denylist }

/** Positions are offsets (the Span made on demand): rules are the most numerous statements. */
export class Stmt {
  constructor(public kind: StmtKind, public file: i32, public start: i32, public end: i32) {}
  get span(): Span { return new Span(this.file, this.start, this.end); }
}

/** `@include PATH` / `@frequency PATH`; `path` as written, `resolved` against the file's directory. */
export class PathStmt extends Stmt {
  constructor(kind: StmtKind, span: Span, public path: string, public resolved: string, public pathSpan: Span) {
    super(kind, span.file, span.start, span.end);
  }
}

/** `@default ACTION`. */
export class DefaultStmt extends Stmt {
  constructor(span: Span, public action: ActionNode) { super(StmtKind.Default, span.file, span.start, span.end); }
}

/** `@denylist`. */
export class DenylistStmt extends Stmt {
  constructor(span: Span) { super(StmtKind.Denylist, span.file, span.start, span.end); }
}

/**
 * `descriptors: filters`. The descriptors and filters live in lists shared by all the rules of
 * a file (a slice each): two arrays per rule were four allocations per policy line.
 */
export class RuleStmt extends Stmt {
  /** Written as `{f1, f2}`: the filters take compile_seccomp_policy's meaning (see resolve.ts). */
  braced: bool = false;
  constructor(file: i32, start: i32, end: i32,
    private descriptorPool: Descriptor[], private descriptorStart: i32, public descriptorCount: i32,
    private filterPool: FilterNode[], private filterStart: i32, public filterCount: i32) {
    super(StmtKind.Rule, file, start, end);
  }
  descriptor(i: i32): Descriptor { return this.descriptorPool[this.descriptorStart + i]; }
  filter(i: i32): FilterNode { return this.filterPool[this.filterStart + i]; }
}

/** `key=v1,v2` inside `[...]` after a syscall name. */
export class MetaEntry {
  values: string[] = [];
  valueSpans: Span[] = [];
  constructor(public key: string, public keySpan: Span) {}
}

/** A syscall name or `group@namespace`, with optional `[key=value;...]` metadata. */
export class Descriptor {
  /** null when there is no `[...]` (most descriptors: no array allocated for them). */
  meta: MetaEntry[] | null = null;
  constructor(public name: string, public file: i32, public start: i32, public end: i32) {}
  /** Made on demand: only a diagnostic needs it. */
  get span(): Span { return new Span(this.file, this.start, this.end); }
}

export const enum ActionKind { Allow = 0, Kill, KillProcess, KillThread, Trap, Trace, Log, UserNotify, Return }

export class ActionNode {
  /** For Return: the errno, a Number or Name constant. */
  value: ConstNode | null = null;
  constructor(public kind: ActionKind, public file: i32, public start: i32, public end: i32) {}
  /** Made on demand (diagnostics, the errno rule of `EXPR; return N`). */
  get span(): Span { return new Span(this.file, this.start, this.end); }
}

/** `argN OP value`. `arg` is the number as written (range-checked in resolve, to locate arg6). */
export class AtomNode {
  /** `argN` as written, kept only when N > 5 (for the message). */
  argText: string = '';
  /** `argN & MASK == VALUE` (the masked equality of OCI's SCMP_CMP_MASKED_EQ): VALUE; op is `&`. */
  masked: ConstNode | null = null;
  constructor(public arg: i32, public argStart: i32, public argEnd: i32, public op: i32, public value: ConstNode,
    public span: Span) {}
  /** Made on demand: only an error needs it. */
  get argSpan(): Span { return new Span(this.span.file, this.argStart, this.argEnd); }
}

/** A conjunction `atom && atom ...`. */
export class ClauseNode {
  atoms: AtomNode[] = [];
}

/** `expr`, `action`, or `expr; action`. expr == null: unconditional. action == null: allow. */
export class FilterNode {
  expr: ClauseNode[] | null = null;
  action: ActionNode | null = null;
  constructor(public file: i32, public start: i32, public end: i32) {}
  get span(): Span { return new Span(this.file, this.start, this.end); }
}

export const enum ConstKind { Number = 0, Name, Or, Not }

/**
 * A constant expression: NUMBER | NAME | a|b|... | ~x (parentheses leave no node). Positions
 * are plain offsets (Span made on demand): constants are the most numerous nodes and only an
 * error needs their span.
 */
export class ConstNode {
  /** Name: the name. Number: '' (resolve reads the digits from the source by offset). */
  text: string = '';
  /** Or: the alternatives; Not: the one operand; null for leaves. */
  children: ConstNode[] | null = null;
  constructor(public kind: ConstKind, public file: i32, public start: i32, public end: i32) {}
  get span(): Span { return new Span(this.file, this.start, this.end); }
}

export class FileAst {
  stmts: Stmt[] = [];
  constructor(public file: i32) {}
}
