// fmt: the canonical layout of one policy file (docs/fmt.md "Canonical layout").
//
// Works on physical lines and their tokens (the lexer's), never on the syntax tree, so every
// comment, @include and continuation stays where it was; only the blanks between tokens, the
// indentation and runs of blank lines change. Spacing never joins or splits a token (each
// token is written back as it was), so the tokens, and with them the meaning, stay the same;
// test/format.test.ts checks compile(fmt(p)) == compile(p) over the corpus.
// A file with syntax errors is not formatted: its tokens may not be the ones the author meant.

import { lex, Tok, Tokens } from './lexer';
import { Diagnostics, Code } from './diagnostics';
import { parseFile } from './parser';

export class FormatResult {
  /** The formatted text; '' when `ok` is false. */
  text: string = '';
  ok: bool = false;
  constructor(public diags: Diagnostics) {}
}

/** The state carried from one physical line to the next: `[...]` depth and continuation. */
class LineState {
  bracket: i32 = 0;
  /** Indentation of continued lines: the column after `name: ` on the statement's first line. */
  continuationIndent: i32 = -1;
  continuing: bool = false;
}

/** The blank between tokens `a` and `b` (kinds) in canonical layout: ' ' or ''. */
function gap(a: i32, b: i32, inBracket: bool): string {
  // Never around these: `name[arch=x]`, `(A|B)`, `~X`, `{read, write}`.
  if (b == Tok.Colon || b == Tok.Comma || b == Tok.Semicolon || b == Tok.RParen || b == Tok.RBracket || b == Tok.RBrace) return '';
  if (b == Tok.LBracket || a == Tok.LBracket || a == Tok.LParen || a == Tok.LBrace || a == Tok.Tilde) return '';
  if (a == Tok.Pipe || b == Tok.Pipe || a == Tok.Equal || b == Tok.Equal) return '';
  if (inBracket) return '';
  // Everything else: after `:`, `,`, `;`, around comparisons, `||` and `&&`, between words.
  return ' ';
}

function isBlankLine(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c != 32 && c != 9 && c != 13 && c != 11 && c != 12) return false;
  }
  return true;
}

function trimEnd(s: string): string {
  let e = s.length;
  while (e > 0) {
    const c = s.charCodeAt(e - 1);
    if (c != 32 && c != 9 && c != 13 && c != 11 && c != 12) break;
    e--;
  }
  return s.substring(0, e);
}

function spaces(n: i32): string { return n > 0 ? ' '.repeat(n) : ''; }

/** One physical line in canonical layout (no newline). */
function formatLine(line: string, st: LineState): string {
  const toks: Tokens = lex(line);
  const parts = new Array<string>();
  let width = 0;
  let last = -1;
  let lastEnd = 0;
  const indent = st.continuing ? (st.continuationIndent >= 0 ? st.continuationIndent : 2) : 0;
  if (indent > 0) { parts.push(spaces(indent)); width += indent; }
  for (let i = 0; i < toks.length; i++) {
    const k = toks.kind(i);
    if (k == Tok.Newline || k == Tok.EOF) continue;
    if (last >= 0) {
      const g = gap(last, k, st.bracket > 0);
      parts.push(g);
      width += g.length;
    }
    if (k == Tok.LBracket) st.bracket++;
    if (k == Tok.RBracket && st.bracket > 0) st.bracket--;
    const t = line.substring(toks.start(i), toks.end(i));
    parts.push(t);
    width += t.length;
    if (k == Tok.Colon && !st.continuing && st.continuationIndent < 0) st.continuationIndent = width + 1;
    last = k;
    lastEnd = toks.end(i);
  }
  // After the last token: blanks, then a comment (`#` to the end of the line) or a continuation.
  let rest = trimEnd(line.substring(lastEnd));
  let r = 0;
  while (r < rest.length && (rest.charCodeAt(r) == 32 || rest.charCodeAt(r) == 9)) r++;
  rest = rest.substring(r);
  let continues = false;
  if (rest.length > 0 && rest.charCodeAt(0) == 35 /* # */) {
    parts.push(last >= 0 ? ' ' + rest : rest);
  } else if (rest == '\\') {
    continues = true;
    parts.push(last >= 0 ? ' \\' : '\\');
  }
  if (!continues) { st.continuing = false; st.continuationIndent = -1; st.bracket = 0; }
  else st.continuing = true;
  // A comment line or a lone `\` inside a continued statement keeps the indentation too.
  const out = parts.join('');
  return last < 0 && indent > 0 && rest.length == 0 ? '' : out;
}

/**
 * The canonical layout of `text` (path for messages). Refuses (ok false, the syntax errors in
 * diags) when the file does not parse.
 */
export function formatPolicy(path: string, text: string): FormatResult {
  const diags = new Diagnostics();
  const res = new FormatResult(diags);
  parseFile(0, path, text, diags);
  // Syntax errors (1xxx) only: names and includes do not matter to the layout.
  for (let i = 0; i < diags.list.length; i++) if (diags.list[i].code < 2000 && diags.list[i].severity == 1) return res;
  let body = text;
  let bom = '';
  if (body.length > 0 && body.charCodeAt(0) == 0xfeff) { bom = '\uFEFF'; body = body.substring(1); }
  const lines = body.split('\n');
  const out = new Array<string>();
  const st = new LineState();
  let pendingBlank = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (isBlankLine(raw) && !st.continuing) {
      if (out.length > 0) pendingBlank = true;
      continue;
    }
    const f = formatLine(raw, st);
    if (pendingBlank) { out.push(''); pendingBlank = false; }
    out.push(f);
  }
  const formatted = out.length > 0 ? bom + out.join('\n') + '\n' : bom;
  // The same tokens in the same logical lines, or the layout broke something: never hand out
  // a changed meaning.
  if (!sameTokens(text, formatted)) {
    diags.error(Code.InternalError, null, ['fmt would change the tokens of ' + path]);
    return res;
  }
  res.text = formatted;
  res.ok = true;
  return res;
}

function sameTokens(a: string, b: string): bool {
  const ta = lex(a), tb = lex(b);
  if (ta.length != tb.length) return false;
  for (let i = 0; i < ta.length; i++) {
    if (ta.kind(i) != tb.kind(i)) return false;
    const la = ta.end(i) - ta.start(i);
    if (la != tb.end(i) - tb.start(i)) return false;
    for (let k = 0; k < la; k++) if (a.charCodeAt(ta.start(i) + k) != b.charCodeAt(tb.start(i) + k)) return false;
  }
  return true;
}
