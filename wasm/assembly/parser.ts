// Parser: tokens of one file -> FileAst (grammar: docs/policy-language.md, "Grammar").
//
// A policy is line oriented, so recovery is simple and total: the first error in a logical
// line is reported and the parser resumes at the next line. Each file is therefore reported
// in full in one pass, with at most one diagnostic per line (as minijail does per line).
// Recursion (parentheses) is bounded so no input can exhaust the wasm stack.

import { Span } from './span';
import { Diagnostics, Diagnostic, Code } from './diagnostics';
import { Tok, Tokens, ActionWord, lex, indexOfChar } from './lexer';
import {
  FileAst, Stmt, StmtKind, PathStmt, DefaultStmt, DenylistStmt, RuleStmt, Descriptor, MetaEntry,
  ActionNode, ActionKind, AtomNode, ClauseNode, FilterNode, ConstNode, ConstKind,
} from './ast';
import { resolveIncludePath } from './paths';
import { closest, didYouMeanText } from './suggest';

const MAX_NESTING: i32 = 64;
const ACTION_NAMES: string[] = ['allow', 'kill', 'kill-process', 'kill-thread', 'trap', 'trace', 'log', 'user-notify', 'return'];

/** One `descriptor: count` line of a @frequency file. */
export class FrequencyEntry {
  constructor(public descriptors: Descriptor[], public count: u64, public span: Span) {}
}

class Parser {
  toks: Tokens;
  pos: i32 = 0;
  /** The descriptors and filters of all this file's rules (each RuleStmt holds a slice). */
  descriptorPool: Descriptor[] = [];
  filterPool: FilterNode[] = [];
  /** Set by the first error of the current line; every parse step then unwinds. */
  failed: bool = false;
  depth: i32 = 0;

  constructor(public file: i32, public path: string, public text: string, public diags: Diagnostics) {
    this.toks = lex(text);
  }

  // ---- token helpers ----------------------------------------------------------------

  @inline kind(): i32 { return this.toks.kind(this.pos); }
  @inline sub(): i32 { return this.toks.sub(this.pos); }
  @inline advance(): void { if (this.pos < this.toks.length - 1) this.pos++; }

  tokText(i: i32): string { return this.text.substring(this.toks.start(i), this.toks.end(i)); }

  span(i: i32): Span { return new Span(this.file, this.toks.start(i), this.toks.end(i)); }

  /** From token a's start to token b's end. */
  spanFrom(a: i32, b: i32): Span {
    if (b < a) b = a;
    return new Span(this.file, this.toks.start(a), this.toks.end(b));
  }

  /**
   * Where something is missing: on the token it should have followed (the messages say "after
   * X"), so the range is never empty and never runs past the line or the file. With nothing
   * before it (a blank default-action text), the whole text.
   */
  missingSpan(): Span {
    if (this.pos > 0) {
      const s = this.toks.start(this.pos - 1), e = this.toks.end(this.pos - 1);
      if (e > s) return new Span(this.file, s, e);
    }
    return new Span(this.file, 0, this.text.length);
  }

  atLineEnd(): bool {
    const k = this.kind();
    return k == Tok.Newline || k == Tok.EOF;
  }

  /** Where one single filter ends. */
  atFilterEnd(): bool {
    const k = this.kind();
    return k == Tok.Newline || k == Tok.EOF || k == Tok.Comma || k == Tok.RBrace;
  }

  /** Where an atom should follow `&&` / `||` but the expression goes on or ends instead. */
  atExprBreak(): bool {
    const k = this.kind();
    return this.atFilterEnd() || k == Tok.Semicolon || k == Tok.OrOr || k == Tok.AndAnd;
  }

  /** Where a constant expression ends. */
  atValueEnd(): bool {
    const k = this.kind();
    return k == Tok.Newline || k == Tok.EOF || k == Tok.Comma || k == Tok.RBrace || k == Tok.Semicolon ||
      k == Tok.OrOr || k == Tok.AndAnd || k == Tok.RParen;
  }

  isWord(): bool {
    const k = this.kind();
    return k == Tok.Ident || k == Tok.Action || k == Tok.Return || k == Tok.Argument || (k == Tok.Op && this.sub() == 7);
  }

  startsWithArg(i: i32): bool {
    const s = this.toks.start(i);
    return this.toks.end(i) - s >= 3 && this.text.charCodeAt(s) == 97 && this.text.charCodeAt(s + 1) == 114 &&
      this.text.charCodeAt(s + 2) == 103;
  }

  /** `"text"` of the current token, or `end of line`, for messages. */
  describe(): string {
    if (this.atLineEnd()) return 'end of line';
    let t = this.tokText(this.pos);
    if (t.length > 40) t = t.substring(0, 40) + '...';
    return '"' + t + '"';
  }

  /** Report the line's first error (null when the line already has one). */
  fail(code: i32, span: Span, args: string[] = []): Diagnostic | null {
    if (this.failed) return null;
    this.failed = true;
    return this.diags.error(code, span, args);
  }

  failHere(code: i32, args: string[] = []): Diagnostic | null {
    return this.fail(code, this.atLineEnd() ? this.missingSpan() : this.span(this.pos), args);
  }

  /** Report a line's first bad character (minijail's lexer stops there too). True if one was found. */
  checkInvalidTokens(): bool {
    if (!this.toks.hasBad) return false;
    for (let i = this.pos; i < this.toks.length; i++) {
      const k = this.toks.kind(i);
      if (k == Tok.Newline || k == Tok.EOF) return false;
      if (k == Tok.Invalid) { this.fail(Code.InvalidToken, this.span(i), ['"' + this.tokText(i) + '"']); return true; }
      if (k == Tok.BadContinuation) { this.fail(Code.BadContinuation, this.span(i)); return true; }
    }
    return false;
  }

  skipLine(): void {
    while (!this.atLineEnd()) this.advance();
    if (this.kind() == Tok.Newline) this.advance();
  }

  expectLineEnd(): void {
    if (this.failed || this.atLineEnd()) return;
    this.failHere(Code.ExtraTokens, [this.describe()]);
  }

  // ---- file -------------------------------------------------------------------------

  parseFile(): FileAst {
    const ast = new FileAst(this.file);
    while (this.kind() != Tok.EOF) {
      this.failed = false;
      this.depth = 0;
      if (!this.checkInvalidTokens()) {
        const s = this.parseStatement();
        this.expectLineEnd();
        if (s != null && !this.failed) ast.stmts.push(s);
      }
      this.skipLine();
    }
    return ast;
  }

  parseStatement(): Stmt | null {
    const first = this.pos;
    const k = this.kind();
    if (k == Tok.AtInclude || k == Tok.AtFrequency) {
      const isInclude = k == Tok.AtInclude;
      this.advance();
      if (this.atLineEnd()) {
        this.failHere(isInclude ? Code.EmptyIncludePath : Code.EmptyFrequencyPath);
        return null;
      }
      if (this.kind() != Tok.Path) {
        this.failHere(isInclude ? Code.InvalidIncludePath : Code.InvalidFrequencyPath, [this.describe()]);
        return null;
      }
      const written = this.tokText(this.pos);
      const pathSpan = this.span(this.pos);
      this.advance();
      return new PathStmt(isInclude ? StmtKind.Include : StmtKind.Frequency, this.spanFrom(first, this.pos - 1),
        written, resolveIncludePath(this.path, written), pathSpan);
    }
    if (k == Tok.AtDefault) {
      this.advance();
      if (this.atLineEnd()) { this.failHere(Code.EmptyAction); return null; }
      const at = this.pos;
      const ak = this.kind();
      if (ak == Tok.Action) {
        const w = this.sub();
        if (w == ActionWord.Allow || w == ActionWord.Log || w == ActionWord.Trace) {
          this.failHere(Code.InvalidPermissiveDefaultAction, [this.tokText(at)]);
          return null;
        }
      } else if (ak == Tok.Return) {
        // `@default return N`: an errno default, as OCI profiles have (tsjail's; minijail refuses it).
      } else if (ak == Tok.Number && this.tokText(at) == '1') {
        this.failHere(Code.InvalidPermissiveDefaultAction, ['1']);
        return null;
      } else {
        this.failHere(Code.InvalidDefaultAction, [this.describe()]);
        return null;
      }
      const action = this.parseAction();
      if (action == null) return null;
      return new DefaultStmt(this.spanFrom(first, this.pos - 1), action);
    }
    if (k == Tok.AtDenylist) {
      this.advance();
      return new DenylistStmt(this.span(first));
    }
    if (k == Tok.AtUnknown) {
      this.failHere(Code.InvalidStatement, [this.describe()]);
      return null;
    }
    return this.parseRule();
  }

  // ---- rules ------------------------------------------------------------------------

  parseRule(): RuleStmt | null {
    const first = this.pos;
    const descriptors = this.descriptorPool;
    const filters = this.filterPool;
    const d0 = descriptors.length;
    const f0 = filters.length;
    let braced = false;
    if (this.kind() == Tok.LBrace) {
      this.advance();
      while (true) {
        const d = this.parseDescriptor();
        if (d == null) return null;
        descriptors.push(d);
        if (this.kind() == Tok.Comma) { this.advance(); continue; }
        if (this.kind() == Tok.RBrace) { this.advance(); break; }
        this.failHere(Code.UnclosedBrace, ['"," or "}" after the syscall name']);
        return null;
      }
    } else {
      const d = this.parseDescriptor();
      if (d == null) return null;
      descriptors.push(d);
    }
    if (this.kind() != Tok.Colon) {
      if (this.atLineEnd()) this.failHere(Code.MissingColon);
      else this.failHere(Code.InvalidColon, [this.describe()]);
      return null;
    }
    this.advance();
    if (this.atLineEnd()) { this.failHere(Code.MissingFilter); return null; }
    if (this.kind() == Tok.LBrace) {
      braced = true;
      this.advance();
      while (true) {
        const f = this.parseSingleFilter();
        if (f == null) return null;
        filters.push(f);
        if (this.kind() == Tok.Comma) { this.advance(); continue; }
        if (this.kind() == Tok.RBrace) { this.advance(); break; }
        if (this.atLineEnd()) this.failHere(Code.UnclosedBrace, ['"}"']);
        else this.failHere(Code.ExtraTokens, [this.describe()]);
        return null;
      }
    } else {
      const f = this.parseSingleFilter();
      if (f == null) return null;
      filters.push(f);
    }
    // (A rule that failed above leaves its pushed entries unused in the pools: harmless.)
    const rule = new RuleStmt(this.file, this.toks.start(first), this.toks.end(max(first, this.pos - 1)),
      descriptors, d0, descriptors.length - d0, filters, f0, filters.length - f0);
    rule.braced = braced;
    return rule;
  }

  parseDescriptor(): Descriptor | null {
    if (!this.isWord()) {
      this.failHere(Code.InvalidSyscallDescriptor, [this.describe()]);
      return null;
    }
    const name = this.tokText(this.pos);
    const d = new Descriptor(name, this.file, this.toks.start(this.pos), this.toks.end(this.pos));
    const at = indexOfChar(name, 64 /* @ */);
    if (at >= 0 && (at == 0 || at == name.length - 1 || indexOfChar(name, 64, at + 1) >= 0)) {
      this.failHere(Code.InvalidSyscallGroupName, [name]);
      return null;
    }
    this.advance();
    if (this.kind() == Tok.LBracket) {
      this.advance();
      if (!this.parseMetadata(d)) return null;
    }
    return d;
  }

  /** `key=v1,v2;key2=v3]` (the `[` already consumed). */
  parseMetadata(d: Descriptor): bool {
    while (true) {
      if (this.atLineEnd()) { this.failHere(Code.UnclosedBracket); return false; }
      if (this.kind() != Tok.Ident) { this.failHere(Code.InvalidKey, [this.describe()]); return false; }
      const key = this.tokText(this.pos);
      const entry = new MetaEntry(key, this.span(this.pos));
      let meta = d.meta;
      if (meta == null) { meta = new Array<MetaEntry>(); d.meta = meta; }
      for (let i = 0; i < meta.length; i++) {
        if (meta[i].key == key) { this.failHere(Code.DuplicateMetadataKey, [key]); return false; }
      }
      this.advance();
      if (this.kind() != Tok.Equal) { this.failHere(Code.InvalidEqual, [this.describe()]); return false; }
      this.advance();
      while (true) {
        if (this.atLineEnd()) { this.failHere(Code.EmptyValue); return false; }
        if (!this.isWord()) { this.failHere(Code.InvalidValue, [this.describe()]); return false; }
        entry.values.push(this.tokText(this.pos));
        entry.valueSpans.push(this.span(this.pos));
        this.advance();
        if (this.kind() == Tok.Comma) { this.advance(); continue; }
        break;
      }
      meta.push(entry);
      if (this.kind() == Tok.Semicolon) { this.advance(); continue; }
      if (this.kind() == Tok.RBracket) { this.advance(); return true; }
      this.failHere(Code.UnclosedBracket);
      return false;
    }
  }

  // ---- filters ----------------------------------------------------------------------

  parseSingleFilter(): FilterNode | null {
    const first = this.pos;
    if (this.atFilterEnd()) { this.failHere(Code.MissingFilter); return null; }
    const k = this.kind();
    // A word that cannot start an argument is a misspelt action (`alow`), not an argument.
    const misspeltAction = k == Tok.Ident && !this.startsWithArg(first);
    let action: ActionNode | null = null;
    let expr: ClauseNode[] | null = null;
    if (k == Tok.Action || k == Tok.Return || k == Tok.Number || misspeltAction) {
      action = this.parseAction();
      if (action == null) return null;
    } else {
      expr = this.parseArgExpr();
      if (expr == null) return null;
      if (this.kind() == Tok.Semicolon) {
        this.advance();
        if (this.atFilterEnd()) { this.failHere(Code.MissingAction); return null; }
        action = this.parseAction();
        if (action == null) return null;
      }
    }
    const f = new FilterNode(this.file, this.toks.start(first), this.toks.end(max(first, this.pos - 1)));
    f.expr = expr;
    f.action = action;
    return f;
  }

  parseAction(): ActionNode | null {
    const at = this.pos;
    const k = this.kind();
    if (k == Tok.Action) {
      this.advance();
      return new ActionNode(<ActionKind>this.toks.sub(at), this.file, this.toks.start(at), this.toks.end(at));
    }
    if (k == Tok.Number) {
      if (this.tokText(at) == '1') {
        this.advance();
        return new ActionNode(ActionKind.Allow, this.file, this.toks.start(at), this.toks.end(at));
      }
      this.failHere(Code.InvalidAction, [this.describe(), ' (only 1 means allow; use "return N" for an errno)']);
      return null;
    }
    if (k == Tok.Return) {
      this.advance();
      const vk = this.kind();
      if (this.atFilterEnd() || vk == Tok.Semicolon) { this.failHere(Code.MissingReturnValue); return null; }
      if (vk != Tok.Number && vk != Tok.Ident) {
        this.failHere(Code.InvalidConstantToken, [this.describe()]);
        return null;
      }
      const a = new ActionNode(ActionKind.Return, this.file, this.toks.start(at), this.toks.end(this.pos));
      const c = this.leaf(this.pos);
      a.value = c;
      this.advance();
      return a;
    }
    if (this.atLineEnd()) { this.failHere(Code.MissingAction); return null; }
    const suggestion = this.isWord() ? closest(this.tokText(at), ACTION_NAMES) : '';
    const d = this.failHere(Code.InvalidAction, [this.describe(), didYouMeanText(suggestion)]);
    if (d != null) d.suggestName(this.span(at), suggestion);
    return null;
  }

  /** clause { "||" clause } */
  parseArgExpr(): ClauseNode[] | null {
    const clauses = new Array<ClauseNode>();
    while (true) {
      const c = this.parseClause();
      if (c == null) return null;
      clauses.push(c);
      if (this.kind() != Tok.OrOr) return clauses;
      this.advance();
      if (this.atExprBreak()) { this.failHere(Code.EmptyArgumentExpression); return null; }
    }
  }

  /** atom { "&&" atom } */
  parseClause(): ClauseNode | null {
    const c = new ClauseNode();
    while (true) {
      const a = this.parseAtom();
      if (a == null) return null;
      c.atoms.push(a);
      if (this.kind() != Tok.AndAnd) return c;
      this.advance();
      if (this.atExprBreak()) { this.failHere(Code.EmptyClause); return null; }
    }
  }

  parseAtom(): AtomNode | null {
    const first = this.pos;
    if (this.kind() != Tok.Argument) {
      if (this.atFilterEnd() || this.kind() == Tok.Semicolon) this.failHere(Code.MissingArgument);
      else this.failHere(Code.InvalidArgument, [this.describe()]);
      return null;
    }
    // `arg` + digits; cap the index so a huge number cannot overflow (resolve rejects > 5).
    let arg = 0;
    for (let i = this.toks.start(first) + 3; i < this.toks.end(first); i++) {
      arg = arg * 10 + (this.text.charCodeAt(i) - 48);
      if (arg > 1000000) { arg = 1000000; break; }
    }
    this.advance();
    if (this.kind() != Tok.Op) {
      if (this.atValueEnd()) this.failHere(Code.MissingOperator);
      else this.failHere(Code.InvalidOperator, [this.describe()]);
      return null;
    }
    const op = this.sub();
    this.advance();
    const v = this.parseValue();
    if (v == null) return null;
    // `argN & MASK == VALUE`: masked equality (tsjail's extension; minijail reads only `argN & MASK`).
    let masked: ConstNode | null = null;
    if (op == 6 /* Op.SET */ && this.kind() == Tok.Op && this.sub() == 0 /* Op.EQ */) {
      this.advance();
      masked = this.parseValue();
      if (masked == null) return null;
    }
    const atom = new AtomNode(arg, this.toks.start(first), this.toks.end(first), op, v, this.spanFrom(first, this.pos - 1));
    atom.masked = masked;
    if (arg > 5) atom.argText = this.tokText(first);
    return atom;
  }

  // ---- constants --------------------------------------------------------------------

  /** constant { "|" constant } */
  parseValue(): ConstNode | null {
    const first = this.pos;
    if (this.atValueEnd()) { this.failHere(Code.EmptyConstant); return null; }
    const c = this.parseConstant();
    if (c == null) return null;
    if (this.kind() != Tok.Pipe) return c;
    const alternatives = new Array<ConstNode>();
    alternatives.push(c);
    while (this.kind() == Tok.Pipe) {
      this.advance();
      if (this.atValueEnd()) { this.failHere(Code.EmptyConstant); return null; }
      const n = this.parseConstant();
      if (n == null) return null;
      alternatives.push(n);
    }
    const or = new ConstNode(ConstKind.Or, this.file, this.toks.start(first), this.toks.end(this.pos - 1));
    or.children = alternatives;
    return or;
  }

  /** [ "~" ] ( NUMBER | NAME | "(" value ")" ) */
  parseConstant(): ConstNode | null {
    const first = this.pos;
    if (this.kind() == Tok.Tilde) {
      this.advance();
      if (this.kind() == Tok.Tilde) { this.failHere(Code.InvalidDoubleComplement); return null; }
      if (this.atValueEnd()) { this.failHere(Code.EmptyComplement); return null; }
      const inner = this.parseSingle();
      if (inner == null) return null;
      const not = new ConstNode(ConstKind.Not, this.file, this.toks.start(first), this.toks.end(this.pos - 1));
      not.children = [inner];
      return not;
    }
    return this.parseSingle();
  }

  /** A Number or Name constant from token i. */
  leaf(i: i32): ConstNode {
    const isNumber = this.toks.kind(i) == Tok.Number;
    const c = new ConstNode(isNumber ? ConstKind.Number : ConstKind.Name, this.file, this.toks.start(i), this.toks.end(i));
    if (!isNumber) c.text = this.tokText(i);
    return c;
  }

  parseSingle(): ConstNode | null {
    const k = this.kind();
    if (k == Tok.LParen) {
      const open = this.pos;
      if (++this.depth > MAX_NESTING) { this.failHere(Code.InvalidConstantToken, ['"(": parentheses nested too deeply']); return null; }
      this.advance();
      const v = this.parseValue();
      if (v == null) return null;
      if (this.kind() != Tok.RParen) { this.fail(Code.UnclosedParenthesis, this.span(open)); return null; }
      this.advance();
      this.depth--;
      return v;
    }
    if (k == Tok.Number || k == Tok.Ident) {
      const c = this.leaf(this.pos);
      this.advance();
      return c;
    }
    this.failHere(Code.InvalidConstantToken, [this.describe()]);
    return null;
  }

  // ---- @frequency files -------------------------------------------------------------

  parseFrequencyFile(): FrequencyEntry[] {
    const out = new Array<FrequencyEntry>();
    while (this.kind() != Tok.EOF) {
      this.failed = false;
      if (!this.checkInvalidTokens()) {
        const e = this.parseFrequencyLine();
        this.expectLineEnd();
        if (e != null && !this.failed) out.push(e);
      }
      this.skipLine();
    }
    return out;
  }

  parseFrequencyLine(): FrequencyEntry | null {
    const first = this.pos;
    const ds = new Array<Descriptor>();
    if (this.kind() == Tok.LBrace) {
      this.advance();
      while (true) {
        const d = this.parseDescriptor();
        if (d == null) return null;
        ds.push(d);
        if (this.kind() == Tok.Comma) { this.advance(); continue; }
        if (this.kind() == Tok.RBrace) { this.advance(); break; }
        this.failHere(Code.UnclosedBrace, ['"," or "}" after the syscall name']);
        return null;
      }
    } else {
      const d = this.parseDescriptor();
      if (d == null) return null;
      ds.push(d);
    }
    if (this.kind() != Tok.Colon) {
      if (this.atLineEnd()) this.failHere(Code.MissingColon);
      else this.failHere(Code.InvalidColon, [this.describe()]);
      return null;
    }
    this.advance();
    if (this.atLineEnd()) { this.failHere(Code.MissingNumber); return null; }
    const t = this.tokText(this.pos);
    // Counts are plain decimal (minijail crashes on `010`; we read it as ten).
    let v: u64 = 0;
    let ok = this.kind() == Tok.Number && t.length > 0;
    for (let i = 0; ok && i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c < 48 || c > 57 || v > 0xffffffffffff) { ok = false; break; }
      v = v * 10 + <u64>(c - 48);
    }
    if (!ok) { this.failHere(Code.InvalidNumber, [this.describe()]); return null; }
    this.advance();
    return new FrequencyEntry(ds, v, this.spanFrom(first, this.pos - 1));
  }
}

/** Parse one policy file (id `file` in the SourceSet, at `path`); errors go to `diags`. */
export function parseFile(file: i32, path: string, text: string, diags: Diagnostics): FileAst {
  return new Parser(file, path, text, diags).parseFile();
}

/** Parse one @frequency file: `descriptor: count` lines. */
export function parseFrequencyFile(file: i32, path: string, text: string, diags: Diagnostics): FrequencyEntry[] {
  return new Parser(file, path, text, diags).parseFrequencyFile();
}

/** Parse a lone action (the host's default-action override), e.g. `log` or `return 5`. */
export function parseActionText(file: i32, text: string, diags: Diagnostics): ActionNode | null {
  const p = new Parser(file, '', text, diags);
  if (p.checkInvalidTokens()) return null;
  if (p.atLineEnd()) { p.failHere(Code.EmptyAction); return null; }
  const a = p.parseAction();
  p.expectLineEnd();
  return p.failed ? null : a;
}

/** Resolved paths named by the @include / @frequency lines of one file (lexing only). */
export function scanIncludePaths(path: string, text: string): string[] {
  const toks = lex(text);
  const out = new Array<string>();
  let lineStart = true;
  for (let i = 0; i < toks.length; i++) {
    const k = toks.kind(i);
    if (lineStart && (k == Tok.AtInclude || k == Tok.AtFrequency) && i + 1 < toks.length && toks.kind(i + 1) == Tok.Path) {
      const p = resolveIncludePath(path, text.substring(toks.start(i + 1), toks.end(i + 1)));
      if (!out.includes(p)) out.push(p);
    }
    lineStart = k == Tok.Newline;
  }
  return out;
}
