// Checks of the source ranges the core hands out (diagnostics, related locations, suggested
// edits, IR spans) against the texts they point into, recomputing lines and columns here.
import type { Diagnostic, SourceRange } from '../../ts/policy/diagnostics';

/** 1-based line and column (UTF-16 units) of an offset, counted afresh. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastNewline = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: offset - lastNewline };
}

/**
 * What is wrong with one range: its file must be known, its offsets inside the text and ordered
 * (non-empty when `nonEmpty`), and its lines and columns those of its offsets.
 */
export function rangeProblem(r: SourceRange, texts: ReadonlyMap<string, string>, nonEmpty: boolean): string | undefined {
  const text = texts.get(r.file);
  if (text === undefined) return `unknown file ${r.file}`;
  if (!(r.start >= 0 && r.end <= text.length && r.start <= r.end)) return `[${r.start}, ${r.end}) is not inside ${r.file} (${text.length} units)`;
  if (nonEmpty && r.end <= r.start) return `[${r.start}, ${r.end}) is empty`;
  const s = lineColumn(text, r.start);
  const e = lineColumn(text, r.end);
  if (s.line !== r.line || s.column !== r.column || e.line !== r.endLine || e.column !== r.endColumn) {
    return `${r.line}:${r.column}-${r.endLine}:${r.endColumn} is not where [${r.start}, ${r.end}) is (${s.line}:${s.column}-${e.line}:${e.column})`;
  }
  return undefined;
}

/** Every located diagnostic covers at least one character of its file, and so do its related location and edits' ranges. */
export function diagnosticRangeProblems(diagnostics: readonly Diagnostic[], texts: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const d of diagnostics) {
    const where = `${d.code} "${d.message}"`;
    if (d.start !== undefined || d.end !== undefined || d.line !== undefined) {
      const p = rangeProblem(d as SourceRange, texts, true);
      if (p) out.push(`${where}: ${p}`);
    }
    if (d.related) {
      const p = rangeProblem(d.related, texts, true);
      if (p) out.push(`${where}, related: ${p}`);
    }
    for (const s of d.suggestions ?? []) {
      for (const e of s.edits) {
        const p = rangeProblem(e, texts, false);
        if (p) out.push(`${where}, suggestion "${s.title}": ${p}`);
      }
    }
  }
  return out;
}
