// Lexer: policy text -> flat token arrays with UTF-16 offsets.
//
// Follows minijail's Python tokenizer (tools/parser.py), which is the more permissive of the
// two dialects: whitespace is free (`arg0==1`), `#` starts a comment anywhere, a `\` that
// is the last character of a line joins the next one, and numbers use its three rules
// (hex `0x..`, octal `0[0-7]+`, else decimal, so `09` is 9 and `0x` is `0` then `x`).
// The lexer never reports: a bad character becomes an Invalid token that the parser turns
// into a diagnostic, so scanIncludePaths can lex without a Diagnostics sink.
// Tokens live in parallel arrays (no object per token) to keep the hot path allocation-free.

export const enum Tok {
  EOF = 0,
  /** End of a logical line (continuations already joined). */
  Newline,
  Invalid,
  /** `\` followed by trailing blanks: minijail rejects it; kept apart for a clear message. */
  BadContinuation,
  Ident,
  Number,
  /** `/x`, `./x`: only after @include / @frequency does the parser accept one. */
  Path,
  /** `arg` followed by digits. */
  Argument,
  Return,
  /** allow kill kill-process kill-thread trap trace log user-notify (see ActionWord). */
  Action,
  AtDefault,
  AtInclude,
  AtFrequency,
  AtDenylist,
  /** `@` followed by anything else. */
  AtUnknown,
  Colon,
  Semicolon,
  Comma,
  Tilde,
  LParen,
  RParen,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  OrOr,
  AndAnd,
  Pipe,
  /** A comparison; which one is in `sub` (ir.Op values). */
  Op,
  Equal,
}

/** Action words, in Tok.Action tokens' `sub`. */
export const enum ActionWord {
  Allow = 0,
  Kill,
  KillProcess,
  KillThread,
  Trap,
  Trace,
  Log,
  UserNotify,
}

/**
 * Tokens as 4 ints each (kind, start, end, sub) in one growable buffer: no object per token.
 * Read and written by raw loads and stores: the typed array's checked accessors are calls
 * that the optimizer does not inline, and this is the front end's hottest data. Readers stay
 * below `length` (the parser never moves past the EOF token).
 */
export class Tokens {
  private data: Int32Array;
  private base: usize;
  private count: i32 = 0;
  /** Some token is Invalid or BadContinuation (the parser's per-line check is skipped otherwise). */
  hasBad: bool = false;

  constructor(capacity: i32) {
    const d = new Int32Array(max(capacity, 16) << 2);
    this.data = d;
    this.base = d.dataStart;
  }

  get length(): i32 { return this.count; }

  @inline kind(i: i32): i32 { return load<i32>(this.base + (<usize>i << 4)); }
  @inline start(i: i32): i32 { return load<i32>(this.base + (<usize>i << 4), 4); }
  @inline end(i: i32): i32 { return load<i32>(this.base + (<usize>i << 4), 8); }
  /** Op / ActionWord for Op and Action tokens, 0 otherwise. */
  @inline sub(i: i32): i32 { return load<i32>(this.base + (<usize>i << 4), 12); }

  push(kind: i32, start: i32, end: i32, sub: i32): void {
    const at = this.count << 2;
    if (at + 4 > this.data.length) {
      const grown = new Int32Array(this.data.length << 1);
      grown.set(this.data);
      this.data = grown;
      this.base = grown.dataStart;
    }
    if (kind == Tok.Invalid || kind == Tok.BadContinuation) this.hasBad = true;
    const p = this.base + (<usize>at << 2);
    store<i32>(p, kind);
    store<i32>(p, start, 4);
    store<i32>(p, end, 8);
    store<i32>(p, sub, 12);
    this.count++;
  }
}

// Character classes of ASCII, one byte each: the scanning loops test a bit instead of a chain
// of range comparisons.
const C_DIGIT: u8 = 1;
const C_OCTAL: u8 = 2;
const C_HEX: u8 = 4;
const C_ALPHA: u8 = 8;
/** Identifier continuation: minijail allows `-` (kill-process) and `@` (group@namespace). */
const C_IDENT: u8 = 16;
/** Python's `\s` minus the newline, which ends a line. */
const C_BLANK: u8 = 32;
const CLASSES = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 32, 32, 32, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0,
  23, 23, 23, 23, 23, 23, 23, 23, 21, 21, 0, 0, 0, 0, 0, 0,
  16, 28, 28, 28, 28, 28, 28, 24, 24, 24, 24, 24, 24, 24, 24, 24,
  24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 0, 0, 0, 0, 24,
  0, 28, 28, 28, 28, 28, 28, 24, 24, 24, 24, 24, 24, 24, 24, 24,
  24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 0, 0, 0, 0, 0,
]);

// @ts-ignore: decorator
@inline function hasClass(c: i32, k: u8): bool { return <u32>c < 128 && (load<u8>(CLASSES + <usize>c) & k) != 0; }
@inline function isDigit(c: i32): bool { return hasClass(c, C_DIGIT); }
@inline function isOctal(c: i32): bool { return hasClass(c, C_OCTAL); }
@inline function isHex(c: i32): bool { return hasClass(c, C_HEX); }
@inline function isAlpha(c: i32): bool { return hasClass(c, C_ALPHA); }
@inline function isIdent(c: i32): bool { return hasClass(c, C_IDENT); }
@inline function isBlank(c: i32): bool { return hasClass(c, C_BLANK); }
/** `\S` for paths. */
@inline function isPathChar(c: i32): bool { return !isBlank(c) && c != 10; }

/**
 * First index of the UTF-16 unit `c` in `s` at or after `from`, or -1. String#indexOf compares
 * memory at every position, several times slower for the one-character searches of the core.
 */
export function indexOfChar(s: string, c: i32, from: i32 = 0): i32 {
  const n = s.length;
  const base = changetype<usize>(s);
  for (let i = max(from, 0); i < n; i++) if (<i32>load<u16>(base + (<usize>i << 1)) == c) return i;
  return -1;
}

/**
 * UTF-16 unit `i` of `text`, for indices the caller has already checked against the length
 * (the lexer's scanning loops; String#charCodeAt re-checks every time).
 */
// @ts-ignore: decorator
@inline function ch(text: string, i: i32): i32 { return <i32>load<u16>(changetype<usize>(text) + (<usize>i << 1)); }

function wordEquals(text: string, start: i32, end: i32, word: string): bool {
  const n = word.length;
  if (end - start != n) return false;
  for (let i = 0; i < n; i++) if (ch(text, start + i) != word.charCodeAt(i)) return false;
  return true;
}

function classifyWord(text: string, s: i32, e: i32, out: Tokens): void {
  const n = e - s;
  const c0 = ch(text, s);
  if (c0 == 97 /* a */ && n > 3 && ch(text, s + 1) == 114 && ch(text, s + 2) == 103) {
    let digits = true;
    for (let i = s + 3; i < e; i++) if (!isDigit(ch(text, i))) { digits = false; break; }
    if (digits) { out.push(Tok.Argument, s, e, 0); return; }
  }
  if (wordEquals(text, s, e, 'in')) { out.push(Tok.Op, s, e, 7 /* Op.IN */); return; }
  if (wordEquals(text, s, e, 'return')) { out.push(Tok.Return, s, e, 0); return; }
  let a: i32 = -1;
  if (wordEquals(text, s, e, 'allow')) a = ActionWord.Allow;
  else if (wordEquals(text, s, e, 'kill')) a = ActionWord.Kill;
  else if (wordEquals(text, s, e, 'kill-process')) a = ActionWord.KillProcess;
  else if (wordEquals(text, s, e, 'kill-thread')) a = ActionWord.KillThread;
  else if (wordEquals(text, s, e, 'trap')) a = ActionWord.Trap;
  else if (wordEquals(text, s, e, 'trace')) a = ActionWord.Trace;
  else if (wordEquals(text, s, e, 'log')) a = ActionWord.Log;
  else if (wordEquals(text, s, e, 'user-notify')) a = ActionWord.UserNotify;
  if (a >= 0) { out.push(Tok.Action, s, e, a); return; }
  out.push(Tok.Ident, s, e, 0);
}

/** Lex a whole file. The result always ends with Newline (if any tokens) and EOF. */
export function lex(text: string): Tokens {
  const n = text.length;
  // Policies average one token per 5-6 characters; growth covers denser input.
  const out = new Tokens(n / 5 + 8);
  // A byte-order mark (editors on Windows add one) is not part of the policy.
  let i = n > 0 && ch(text, 0) == 0xfeff ? 1 : 0;
  let lineHasTokens = false;
  while (i < n) {
    const c = ch(text, i);
    if (c == 10) {
      if (lineHasTokens) out.push(Tok.Newline, i, i, 0);
      lineHasTokens = false;
      i++;
      continue;
    }
    if (isBlank(c)) { i++; continue; }
    if (c == 35 /* # */) {
      while (i < n && ch(text, i) != 10) i++;
      continue;
    }
    if (c == 92 /* \ */) {
      // A continuation joins the next line: skip the backslash and the newline (CRLF too).
      let j = i + 1;
      if (j < n && ch(text, j) == 13 && j + 1 < n && ch(text, j + 1) == 10) j++;
      if (j >= n || ch(text, j) == 10) { i = j + 1; continue; }
      let k = j;
      while (k < n && isBlank(ch(text, k))) k++;
      lineHasTokens = true;
      if (k > j && (k >= n || ch(text, k) == 10)) {
        // Meant as a continuation: report it, but still join the lines so the next line's
        // tokens do not produce a second, misleading error.
        out.push(Tok.BadContinuation, i, i + 1, 0);
        i = k + 1;
        continue;
      }
      out.push(Tok.Invalid, i, i + 1, 0);
      i++;
      continue;
    }
    lineHasTokens = true;
    const start = i;
    if (c == 64 /* @ */) {
      let j = i + 1;
      while (j < n && isIdent(ch(text, j))) j++;
      let kind = Tok.AtUnknown;
      if (wordEquals(text, i, j, '@default')) kind = Tok.AtDefault;
      else if (wordEquals(text, i, j, '@include')) kind = Tok.AtInclude;
      else if (wordEquals(text, i, j, '@frequency')) kind = Tok.AtFrequency;
      else if (wordEquals(text, i, j, '@denylist')) kind = Tok.AtDenylist;
      out.push(kind, start, j > i + 1 ? j : i + 1, 0);
      i = j > i + 1 ? j : i + 1;
      continue;
    }
    if (c == 47 /* / */ || (c == 46 /* . */ && i + 1 < n && ch(text, i + 1) == 47)) {
      let j = i + 1;
      while (j < n && isPathChar(ch(text, j))) j++;
      out.push(Tok.Path, start, j, 0);
      i = j;
      continue;
    }
    if (isDigit(c) || (c == 45 /* - */ && i + 1 < n && isDigit(ch(text, i + 1)))) {
      let j = c == 45 ? i + 1 : i;
      if (ch(text, j) == 48 && j + 1 < n) {
        const c1 = ch(text, j + 1);
        if ((c1 == 120 || c1 == 88) && j + 2 < n && isHex(ch(text, j + 2))) {
          j += 2;
          while (j < n && isHex(ch(text, j))) j++;
          out.push(Tok.Number, start, j, 0);
          i = j;
          continue;
        }
        if (isOctal(c1)) {
          j += 1;
          while (j < n && isOctal(ch(text, j))) j++;
          out.push(Tok.Number, start, j, 0);
          i = j;
          continue;
        }
      }
      while (j < n && isDigit(ch(text, j))) j++;
      out.push(Tok.Number, start, j, 0);
      i = j;
      continue;
    }
    if (isAlpha(c)) {
      let j = i + 1;
      while (j < n && isIdent(ch(text, j))) j++;
      classifyWord(text, i, j, out);
      i = j;
      continue;
    }
    const c1 = i + 1 < n ? ch(text, i + 1) : 0;
    let kind = Tok.Invalid;
    let len = 1;
    let sub = 0;
    switch (c) {
      case 58: kind = Tok.Colon; break;
      case 59: kind = Tok.Semicolon; break;
      case 44: kind = Tok.Comma; break;
      case 126: kind = Tok.Tilde; break;
      case 40: kind = Tok.LParen; break;
      case 41: kind = Tok.RParen; break;
      case 123: kind = Tok.LBrace; break;
      case 125: kind = Tok.RBrace; break;
      case 91: kind = Tok.LBracket; break;
      case 93: kind = Tok.RBracket; break;
      case 124: if (c1 == 124) { kind = Tok.OrOr; len = 2; } else kind = Tok.Pipe; break;
      case 38: if (c1 == 38) { kind = Tok.AndAnd; len = 2; } else { kind = Tok.Op; sub = 6; /* Op.SET */ } break;
      case 61: if (c1 == 61) { kind = Tok.Op; len = 2; sub = 0; /* EQ */ } else kind = Tok.Equal; break;
      case 33: if (c1 == 61) { kind = Tok.Op; len = 2; sub = 1; /* NE */ } break;
      case 60: kind = Tok.Op; if (c1 == 61) { len = 2; sub = 3; /* LE */ } else sub = 2; /* LT */ break;
      case 62: kind = Tok.Op; if (c1 == 61) { len = 2; sub = 5; /* GE */ } else sub = 4; /* GT */ break;
    }
    // A surrogate pair is one bad character, not two.
    if (kind == Tok.Invalid && c >= 0xd800 && c <= 0xdbff && c1 >= 0xdc00 && c1 <= 0xdfff) len = 2;
    out.push(kind, start, start + len, sub);
    i += len;
  }
  if (lineHasTokens) out.push(Tok.Newline, n, n, 0);
  out.push(Tok.EOF, n, n, 0);
  return out;
}
