// Diagnostics as data, as the core reports them (codes are stable API: match on `code`, with
// the names of DiagnosticCode, not on `message`), plus the few the host adds while collecting
// @include files. Codes, names and message templates come from wasm/abi.json (abi.ts).

import { DIAGNOSTIC_MESSAGES, DiagnosticCode } from './abi';

export { DiagnosticCode };

export type Severity = 'error' | 'warning';

/**
 * A stretch of a policy file. Offsets are UTF-16 code units into the file's text as given (JS
 * string indices: `text.slice(start, end)` is the stretch), the end exclusive; lines and
 * columns are 1-based (columns count UTF-16 units), derived by the core. Never empty when it
 * comes from a diagnostic.
 */
export interface SourceRange {
  file: string;
  start: number;
  end: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** A second location that explains a diagnostic (e.g. the first definition of a duplicate). */
export interface RelatedLocation extends SourceRange {
  message: string;
}

/** Replace the text of a range with `newText` (an empty range inserts, an empty text deletes). */
export interface TextEdit extends SourceRange {
  newText: string;
}

/** A fix a tool can offer: apply all its edits at once (each range refers to the text before any edit). */
export interface Suggestion {
  /** For a menu: `Change to "read"`. */
  title: string;
  edits: TextEdit[];
}

export interface Diagnostic {
  /** Stable code (DiagnosticCode): 1xxx syntax, 2xxx names/includes, 3xxx semantics, 4xxx codegen, 5xxx verification, 6xxx lint, 9xxx request/host. */
  code: number;
  severity: Severity;
  message: string;
  /** Where it happened (a SourceRange's fields); absent for request-level errors (unknown arch, ...). */
  file?: string;
  line?: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  start?: number;
  end?: number;
  related?: RelatedLocation;
  /** Fixes, e.g. every "did you mean" as a replacement; absent when there are none. */
  suggestions?: Suggestion[];
  /** `file:line:col: error: message`, the source line and a caret. */
  formatted: string;
  /**
   * Multi-arch requests only: the arches that report it, comma-separated (a diagnostic every
   * arch reports appears once). `formatted` then ends its first line with `(on ARCHES)` when
   * not every arch reports it.
   */
  arch?: string;
}

/** Codes the host (this layer, not the core) reports while collecting files. */
export const HostCode = {
  /** A policy names more files through @include/@frequency than MAX_POLICY_FILES. */
  TooManyFiles: DiagnosticCode.TooManyFiles,
  /** A file exists but could not be read (permissions, a directory, a resolver failure, not text). */
  ReadFailed: DiagnosticCode.ReadFailed,
} as const;

/** A code's message with its {0}, {1}... filled in (as the core does). */
export function formatMessage(code: DiagnosticCode, args: readonly string[]): string {
  return DIAGNOSTIC_MESSAGES[code].replace(/\{(\d+)\}/g, (all, n: string) => args[Number(n)] ?? all);
}

/** A diagnostic of this layer (an error; `file` without a position). */
export function hostDiagnostic(code: (typeof HostCode)[keyof typeof HostCode], file: string | undefined, args: readonly string[]): Diagnostic {
  const message = formatMessage(code, args);
  return {
    code,
    severity: 'error',
    message,
    ...(file !== undefined ? { file } : {}),
    formatted: `${file !== undefined ? file + ': ' : ''}error: ${message}`,
  };
}

/** Every diagnostic in the familiar form, related notes after their diagnostic. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map((d) => (d.related ? `${d.formatted}\n${d.related.file}:${d.related.line}:${d.related.column}: note: ${d.related.message}` : d.formatted))
    .join('\n');
}

/** A policy did not compile. Carries every diagnostic (errors and warnings) of the attempt. */
export class PolicyError extends Error {
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0] ?? diagnostics[0];
    const head = first ? first.formatted.split('\n')[0] : 'policy did not compile';
    super(errors.length > 1 ? `${head} (and ${errors.length - 1} more errors)` : head);
    this.name = 'PolicyError';
    this.diagnostics = diagnostics;
  }

  get errors(): Diagnostic[] {
    return this.diagnostics.filter((d) => d.severity === 'error');
  }
}

/** Bytes that are not a valid classic BPF program (bad length, bad jump, no return...). */
export class InvalidProgramError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidProgramError';
  }
}

/** The core failed (a trap or an abort): a bug in tsjail, never a verdict on the policy. */
export class CoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CoreError';
  }
}
