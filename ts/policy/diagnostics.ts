// Diagnostics as data, as the core reports them (codes are stable API: match on `code`, not
// on `message`), plus the few the host adds while collecting @include files.

export type Severity = 'error' | 'warning';

/** A second location that explains a diagnostic (e.g. the first definition of a duplicate). */
export interface RelatedLocation {
  file: string;
  /** 1-based line and column (UTF-16 code units). */
  line: number;
  column: number;
  /** UTF-16 offsets into the file's text. */
  start: number;
  end: number;
  message: string;
}

export interface Diagnostic {
  /** Stable code: 1xxx syntax, 2xxx names/includes, 3xxx semantics, 4xxx codegen, 5xxx verification, 9xxx request/host. */
  code: number;
  severity: Severity;
  message: string;
  /** Where it happened; absent for request-level errors (unknown arch, ...). */
  file?: string;
  line?: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  start?: number;
  end?: number;
  related?: RelatedLocation;
  /** `file:line:col: error: message`, the source line and a caret. */
  formatted: string;
}

/** Codes the host (this layer, not the core) reports while collecting files. */
export const HostCode = {
  /** A policy names more files through @include/@frequency than MAX_POLICY_FILES. */
  TooManyFiles: 9501,
  /** A file exists but could not be read (permissions, a directory, a resolver failure, not text). */
  ReadFailed: 9502,
} as const;

export function hostDiagnostic(code: number, file: string | undefined, message: string): Diagnostic {
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
