// Diagnostics as values: the core never throws on user input. Codes are stable API (tests,
// the LSP and the CLI match on them); every message comes from the generated table of
// wasm/abi.json (abi.ts messageTemplate) with {0} placeholders.

import { Span, SourceSet } from './span';
import { Code, messageTemplate } from './abi';
import { replaceTitle } from './suggest';

export { Code };

export const enum Severity { Error = 1, Warning = 2 }

export function formatTemplate(code: i32, args: string[]): string {
  const t = messageTemplate(code);
  // Not String#replaceAll: in AssemblyScript 0.28 it corrupts the heap when the replacement
  // is much longer than the pattern (reproduced: a 38-character argument breaks TLSF).
  const parts = new Array<string>();
  let from = 0;
  for (let i = 0; i < t.length; i++) {
    if (t.charCodeAt(i) != 123 /* { */) continue;
    const close = t.indexOf('}', i + 1);
    if (close < 0) break;
    let n = 0;
    for (let j = i + 1; j < close && n <= args.length; j++) {
      const d = t.charCodeAt(j) - 48;
      n = d >= 0 && d <= 9 ? n * 10 + d : args.length;
    }
    if (close == i + 1 || n >= args.length) continue;
    parts.push(t.substring(from, i));
    parts.push(args[n]);
    from = close + 1;
    i = close;
  }
  parts.push(t.substring(from));
  return parts.join('');
}

/** Replace the text of `span` with `newText` (an empty span inserts, an empty text deletes). */
export class TextEdit {
  constructor(public span: Span, public newText: string) {}
}

/** A fix a tool can offer and apply: its edits, all at once (e.g. "did you mean" as a replacement). */
export class Suggestion {
  edits: TextEdit[] = [];
  constructor(public title: string) {}
}

export class Diagnostic {
  related: Span | null = null;
  relatedMessage: string = '';
  /** null until the first suggestion: only a few diagnostics carry one. */
  suggestions: Suggestion[] | null = null;
  constructor(public code: i32, public severity: Severity, public message: string, public span: Span | null) {}

  /** Offer to replace `span` with `text`; a duplicate diagnostic (same code and place) asks again, once is kept. */
  suggestReplacement(title: string, span: Span, text: string): void {
    let list = this.suggestions;
    if (list == null) { list = new Array<Suggestion>(); this.suggestions = list; }
    for (let i = 0; i < list.length; i++) if (list[i].title == title) return;
    const s = new Suggestion(title);
    s.edits.push(new TextEdit(span, text));
    list.push(s);
  }

  /** Offer the "did you mean" name `name` in place of `span`; nothing when there is none (''). */
  suggestName(span: Span, name: string): void {
    if (name.length > 0) this.suggestReplacement(replaceTitle(name), span, name);
  }
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

class Positioned {
  constructor(public d: Diagnostic, public index: i32) {}
}

/**
 * Put `diags` in file order (file, then start; no span first), stable: diagnostics at one
 * position keep the order they were reported in. Users read them top to bottom.
 */
export function sortByPosition(diags: Diagnostics): void {
  const n = diags.list.length;
  if (n < 2) return;
  const tmp = new Array<Positioned>(n);
  for (let i = 0; i < n; i++) tmp[i] = new Positioned(diags.list[i], i);
  tmp.sort((a: Positioned, b: Positioned): i32 => {
    const sa = a.d.span, sb = b.d.span;
    const fa = sa != null ? sa.file : -1, fb = sb != null ? sb.file : -1;
    if (fa != fb) return fa - fb;
    const pa = sa != null ? sa.start : -1, pb = sb != null ? sb.start : -1;
    if (pa != pb) return pa - pb;
    return a.index - b.index;
  });
  for (let i = 0; i < n; i++) diags.list[i] = tmp[i].d;
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
