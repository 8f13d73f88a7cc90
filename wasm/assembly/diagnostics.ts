// Diagnostics as values: the core never throws on user input. Codes are stable API (tests,
// the LSP and the CLI match on them); every message comes from MESSAGES with {0} placeholders.

import { Span, SourceSet } from './span';

export const enum Severity { Error = 1, Warning = 2 }

/** Stable diagnostic codes. Never renumber; add new codes at the end of their group. */
export namespace Code {
  // 1xxx lexer/parser
  export const InvalidToken: i32 = 1001;
  // 2xxx resolve (names, constants, includes)
  export const NonexistentSyscall: i32 = 2001;
  // 3xxx semantics
  // 4xxx codegen
  export const ProgramTooLong: i32 = 4001;
  // 9xxx request
  export const UnknownArch: i32 = 9001;
  export const InternalError: i32 = 9999;
}

/** code -> [name, template]. */
const MESSAGES = new Map<i32, string>();
function msg(code: i32, template: string): void { MESSAGES.set(code, template); }
msg(Code.InvalidToken, 'invalid token {0}');
msg(Code.NonexistentSyscall, 'nonexistent syscall "{0}"{1}');
msg(Code.ProgramTooLong, 'the program has {0} instructions, more than the kernel limit of 4096');
msg(Code.UnknownArch, 'unknown architecture "{0}" (expected x86_64, aarch64, arm, i386 or riscv64)');
msg(Code.InternalError, 'internal error: {0}');

/** Register a message template (used by modules that define their own codes). */
export function defineMessage(code: i32, template: string): void { MESSAGES.set(code, template); }

export function formatTemplate(code: i32, args: string[]): string {
  let t = MESSAGES.has(code) ? MESSAGES.get(code) : 'diagnostic {0}';
  for (let i = 0; i < args.length; i++) t = t.replaceAll('{' + i.toString() + '}', args[i]);
  return t;
}

export class Diagnostic {
  related: Span | null = null;
  relatedMessage: string = '';
  constructor(public code: i32, public severity: Severity, public message: string, public span: Span | null) {}
}

export class Diagnostics {
  list: Diagnostic[] = [];
  errorCount: i32 = 0;

  add(code: i32, severity: Severity, span: Span | null, args: string[]): Diagnostic {
    // Drop exact duplicates at one position (e.g. the same bad constant met twice).
    for (let i = 0; i < this.list.length; i++) {
      const d = this.list[i];
      const s = d.span;
      if (d.code == code && s != null && span != null && s.file == span.file && s.start == span.start) return d;
    }
    const d = new Diagnostic(code, severity, formatTemplate(code, args), span);
    this.list.push(d);
    if (severity == Severity.Error) this.errorCount++;
    return d;
  }

  error(code: i32, span: Span | null, args: string[] = []): Diagnostic {
    return this.add(code, Severity.Error, span, args);
  }

  warning(code: i32, span: Span | null, args: string[] = []): Diagnostic {
    return this.add(code, Severity.Warning, span, args);
  }

  get hasErrors(): bool { return this.errorCount > 0; }
}

/** minijail's familiar form, `file:line:col: error: message`, the source line and a caret. */
export function formatDiagnostic(d: Diagnostic, sources: SourceSet): string {
  const sev = d.severity == Severity.Error ? 'error' : 'warning';
  const span = d.span;
  if (span == null) return sev + ': ' + d.message;
  const line = sources.line(span.file, span.start);
  const col = sources.column(span.file, span.start);
  const text = sources.lineText(span.file, line);
  let caretLen = span.end - span.start;
  if (caretLen < 1) caretLen = 1;
  if (col - 1 + caretLen > text.length) caretLen = max(1, text.length - (col - 1));
  let pad = '';
  for (let i = 0; i < col - 1; i++) pad += text.charCodeAt(i) == 9 ? '\t' : ' ';
  return sources.paths[span.file] + ':' + line.toString() + ':' + col.toString() + ': ' + sev + ': ' + d.message +
    '\n' + text + '\n' + pad + '^'.repeat(caretLen);
}
