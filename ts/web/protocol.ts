// What the page asks of the policy worker and what it gets back: plain, structured-cloneable
// data (bigints and Uint8Arrays cross postMessage as they are).

import type { PolicyCompletion, PolicyHover } from '../policy/index';

/** The page's policy files: the one being edited is compiled, the others are what it @includes. */
export interface Workspace {
  files: Array<[string, string]>;
  main: string;
  arch: string;
}

/** A diagnostic in the main file, as the editor marks it. */
export interface EditorDiagnostic {
  from: number;
  to: number;
  severity: 'error' | 'warning';
  message: string;
  line: number;
}

export interface RuleView {
  id: number;
  syscall: string;
  nr: number;
  file: string;
  line: number;
  start: number;
  end: number;
  /** The rule's text (its filter) and what it returns. */
  text: string;
  action: string;
}

export interface CostRow {
  syscall: string;
  nr: number;
  /** @frequency weight (1 when the policy gives none). */
  weight: number;
  /** Allowed for some arguments. */
  allowed: boolean;
  /** Instructions executed with all arguments 0, and on the longest path found over its rules. */
  zero: number;
  worst: number;
  /** A linear filter (minijail's C compiler's layout): arch check, one comparison per syscall listed before it, the return. */
  linear: number;
}

export interface BuildView {
  ok: boolean;
  arch: string;
  /** Errors when !ok (formatted, one per line). */
  errors: string[];
  insns: number;
  program: Uint8Array;
  /** One disassembly line per instruction, and the listing's header lines. */
  listing: string[];
  header: string[];
  verify: { status: string; detail: string };
  rules: RuleView[];
  /** Per instruction: the rules whose calls pass through it. */
  insnRules: number[][];
  /** Per rule: the instructions a call it decides executes. */
  ruleInsns: number[][];
  cost: CostRow[];
  /** Instructions for a syscall the policy does not list. */
  unlistedCost: number;
}

export interface WhatIfView {
  ok: boolean;
  /** Why the call could not be made (unknown syscall, bad argument, policy errors). */
  error?: string;
  syscall?: string;
  nr?: number;
  args?: string[];
  verdict?: string;
  insns?: number;
  /** The deciding rule, null for the default action. */
  rule?: { file: string; line: number; start: number; end: number; text: string } | null;
  /** Instructions executed, in order; empty when the path could not be followed. */
  path?: number[];
}

export interface DiffRow {
  /** The calls concerned, as `tsjail diff` heads them: `ioctl (16)`, `unlisted syscall numbers`. */
  subject: string;
  /** The inputs concerned, with constant names where the argument has known ones. */
  condition: string;
  old: string;
  new: string;
  example: string;
}

export interface DiffView {
  ok: boolean;
  complete: boolean;
  errors: string[];
  rows: DiffRow[];
}

export type ExportKind = 'bpf' | 'c' | 'oci';

export interface ExportView {
  ok: boolean;
  error?: string;
  name?: string;
  mime?: string;
  data?: Uint8Array;
}

/** Requests: method name -> [params, result]. */
export interface Methods {
  check: [Workspace, EditorDiagnostic[]];
  lint: [Workspace, EditorDiagnostic[]];
  complete: [Workspace & { offset: number }, PolicyCompletion[]];
  hover: [Workspace & { offset: number }, PolicyHover | null];
  build: [Workspace, BuildView];
  whatIf: [Workspace & { syscall: string; args: string[] }, WhatIfView];
  diff: [{ old: Workspace; current: Workspace }, DiffView];
  export: [Workspace & { kind: ExportKind }, ExportView];
}

export type Method = keyof Methods;
export interface Request<M extends Method = Method> { id: number; method: M; params: Methods[M][0] }
/** The page's first message to a worker: the compiled core, or null (the worker loads core.wasm itself). */
export interface CoreMessage { core: WebAssembly.Module | null }
export type Response = { id: number; result: unknown } | { id: number; error: string };
