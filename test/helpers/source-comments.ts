// The comments of a source file, by the file's language: TypeScript/JavaScript through
// TypeScript's parser (so a `//` inside a string, template or regular expression is no
// comment), C and C++ with a small lexer that knows strings and character literals, and the
// `#` languages (shell, CMake, policies, tables) by line. Files of other kinds have none.

import * as ts from 'typescript';

export interface SourceComment {
  /** 1-based line where the comment starts. */
  line: number;
  text: string;
}

type Language = 'ts' | 'c' | 'hash' | 'none';

/** The language of a repository file, from its name (and `#!` line for extensionless scripts). */
export function languageOf(file: string, text: string): Language {
  if (/\.(ts|js|mjs|cjs)$/.test(file)) return 'ts';
  if (/\.(c|h|cc|cpp|hpp)$/.test(file)) return 'c';
  if (/(^|\/)CMakeLists\.txt$|\.(cmake|sh|policy|tsv|txt)$|(^|\/)\.gitignore$/.test(file)) return 'hash';
  const shebang = /^#!.*\b(node|bash|sh)\b/.exec(text);
  if (shebang) return shebang[1] === 'node' ? 'ts' : 'hash';
  return 'none';
}

function lineCounter(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

function tsComments(file: string, text: string): SourceComment[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lineAt = lineCounter(text);
  const seen = new Map<number, SourceComment>();
  const add = (ranges: ts.CommentRange[] | undefined) => {
    for (const r of ranges ?? []) {
      if (!seen.has(r.pos)) seen.set(r.pos, { line: lineAt(r.pos), text: text.slice(r.pos, r.end) });
    }
  };
  // Every comment is trivia before (or after, on the same line) some token.
  const visit = (node: ts.Node): void => {
    add(ts.getLeadingCommentRanges(text, node.pos));
    add(ts.getTrailingCommentRanges(text, node.end));
    for (const child of node.getChildren(sf)) visit(child);
  };
  visit(sf);
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
}

function cComments(text: string): SourceComment[] {
  const lineAt = lineCounter(text);
  const out: SourceComment[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' || ch === "'") {
      // A string or character literal, escapes included; it cannot span lines.
      for (i++; i < text.length && text[i] !== ch && text[i] !== '\n'; i++) if (text[i] === '\\') i++;
    } else if (ch === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) {
      const lineComment = text[i + 1] === '/';
      const close = lineComment ? text.indexOf('\n', i) : text.indexOf('*/', i + 2);
      const end = close < 0 ? text.length : lineComment ? close : close + 2;
      out.push({ line: lineAt(i), text: text.slice(i, end) });
      i = end - 1;
    }
  }
  return out;
}

function hashComments(text: string): SourceComment[] {
  const out: SourceComment[] = [];
  text.split('\n').forEach((l, i) => {
    // A '#' starts a comment at the start of a line or after blank space (not in `$#`, `a#b`).
    const m = /(^|\s)#(?!!)/.exec(l);
    if (m) out.push({ line: i + 1, text: l.slice(m.index + m[1].length) });
  });
  return out;
}

/** Every comment of `file` (its path decides the language), in order. */
export function sourceComments(file: string, text: string): SourceComment[] {
  switch (languageOf(file, text)) {
    case 'ts': return tsComments(file, text);
    case 'c': return cComments(text);
    case 'hash': return hashComments(text);
    default: return [];
  }
}
