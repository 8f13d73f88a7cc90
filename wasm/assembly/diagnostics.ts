// Diagnostics as values: the core never throws on user input. Codes are stable API (tests,
// the LSP and the CLI match on them); every message comes from MESSAGES with {0} placeholders.

import { Span, SourceSet } from './span';

export const enum Severity { Error = 1, Warning = 2 }

/** Stable diagnostic codes. Never renumber; add new codes at the end of their group. */
export namespace Code {
  // 1xxx lexer/parser
  export const InvalidToken: i32 = 1001;
  export const ExtraTokens: i32 = 1002;
  export const MissingColon: i32 = 1003;
  export const InvalidColon: i32 = 1004;
  export const InvalidSyscallDescriptor: i32 = 1005;
  export const MissingFilter: i32 = 1006;
  export const UnclosedBrace: i32 = 1007;
  export const MissingAction: i32 = 1008;
  export const InvalidAction: i32 = 1009;
  export const MissingReturnValue: i32 = 1010;
  export const MissingArgument: i32 = 1011;
  export const InvalidArgument: i32 = 1012;
  export const MissingOperator: i32 = 1013;
  export const InvalidOperator: i32 = 1014;
  export const EmptyClause: i32 = 1015;
  export const EmptyArgumentExpression: i32 = 1016;
  export const EmptyConstant: i32 = 1017;
  export const EmptyComplement: i32 = 1018;
  export const InvalidDoubleComplement: i32 = 1019;
  export const UnclosedParenthesis: i32 = 1020;
  export const InvalidConstantToken: i32 = 1021;
  export const InvalidKey: i32 = 1022;
  export const InvalidEqual: i32 = 1023;
  export const InvalidValue: i32 = 1024;
  export const EmptyValue: i32 = 1025;
  export const DuplicateMetadataKey: i32 = 1026;
  export const UnclosedBracket: i32 = 1027;
  export const EmptyIncludePath: i32 = 1028;
  export const InvalidIncludePath: i32 = 1029;
  export const EmptyFrequencyPath: i32 = 1030;
  export const InvalidFrequencyPath: i32 = 1031;
  export const EmptyAction: i32 = 1032;
  export const InvalidDefaultAction: i32 = 1033;
  export const InvalidPermissiveDefaultAction: i32 = 1034;
  export const BadContinuation: i32 = 1035;
  export const InvalidSyscallGroupName: i32 = 1036;
  export const MissingNumber: i32 = 1037;
  export const InvalidNumber: i32 = 1038;
  export const InvalidStatement: i32 = 1039;
  // 2xxx resolve (names, constants, includes)
  export const NonexistentSyscall: i32 = 2001;
  export const InvalidConstant: i32 = 2002;
  export const UnsignedOverflow: i32 = 2003;
  export const SignedUnderflow: i32 = 2004;
  export const InvalidArgumentIndex: i32 = 2005;
  export const InvalidErrno: i32 = 2006;
  export const CouldNotInclude: i32 = 2007;
  export const IncludeTooDeep: i32 = 2008;
  export const IncludeCycle: i32 = 2009;
  export const CouldNotOpenFrequency: i32 = 2010;
  export const NonexistentGroupNamespace: i32 = 2011;
  export const UnknownMetadataKey: i32 = 2012;
  // 3xxx semantics
  export const AlreadyUnconditional: i32 = 3001;
  export const InvalidDenylistPolicy: i32 = 3002;
  export const DuplicateRule: i32 = 3003;
  export const NeverHolds: i32 = 3004;
  // 4xxx codegen
  export const ProgramTooLong: i32 = 4001;
  // 5xxx verification
  export const VerifyFailed: i32 = 5001;
  export const InvalidProgram: i32 = 5002;
  // 9xxx request
  export const UnknownArch: i32 = 9001;
  export const InternalError: i32 = 9999;
}

/** code -> message template ({0}, {1}... are the diagnostic's arguments). */
const MESSAGES = new Map<i32, string>();
function msg(code: i32, template: string): void { MESSAGES.set(code, template); }
msg(Code.InvalidToken, 'invalid token {0}');
msg(Code.NonexistentSyscall, 'nonexistent syscall "{0}"{1}');
// Front end (lexer, parser, resolve): minijail's own wording first, our detail after it.
msg(Code.ExtraTokens, 'extra tokens: unexpected {0}');
msg(Code.MissingColon, 'missing colon after the syscall name');
msg(Code.InvalidColon, 'invalid colon: expected ":" but found {0}');
msg(Code.InvalidSyscallDescriptor, 'invalid syscall descriptor {0}');
msg(Code.MissingFilter, 'missing filter after ":"');
msg(Code.UnclosedBrace, 'unclosed brace: expected {0}');
msg(Code.MissingAction, 'missing action after ";"');
msg(Code.InvalidAction, 'invalid action {0}{1}');
msg(Code.MissingReturnValue, 'missing return value after "return"');
msg(Code.MissingArgument, 'missing argument: expected arg0..arg5');
msg(Code.InvalidArgument, 'invalid argument {0}: expected arg0..arg5');
msg(Code.MissingOperator, 'missing operator: expected == != < <= > >= & or in');
msg(Code.InvalidOperator, 'invalid operator {0}: expected == != < <= > >= & or in');
msg(Code.EmptyClause, 'empty clause: expected an argument comparison after "&&"');
msg(Code.EmptyArgumentExpression, 'empty argument expression: expected an argument comparison after "||"');
msg(Code.EmptyConstant, 'empty constant: expected a number or a named constant');
msg(Code.EmptyComplement, 'empty complement: expected a constant after "~"');
msg(Code.InvalidDoubleComplement, 'invalid double complement');
msg(Code.UnclosedParenthesis, 'unclosed parenthesis');
msg(Code.InvalidConstantToken, 'invalid constant {0}');
msg(Code.InvalidKey, 'invalid key {0}');
msg(Code.InvalidEqual, 'invalid equal: expected "=" after the key, found {0}');
msg(Code.InvalidValue, 'invalid value {0}');
msg(Code.EmptyValue, 'empty value after "="');
msg(Code.DuplicateMetadataKey, 'duplicate metadata key "{0}"');
msg(Code.UnclosedBracket, 'unclosed bracket: expected "]"');
msg(Code.EmptyIncludePath, 'empty include path');
msg(Code.InvalidIncludePath, 'invalid include path {0}: it must start with "/" or "./"');
msg(Code.EmptyFrequencyPath, 'empty frequency path');
msg(Code.InvalidFrequencyPath, 'invalid frequency path {0}: it must start with "/" or "./"');
msg(Code.EmptyAction, 'empty action after @default');
msg(Code.InvalidDefaultAction, 'invalid default action {0}: expected kill-process, kill-thread, kill, trap or user-notify');
msg(Code.InvalidPermissiveDefaultAction, 'invalid permissive default action "{0}"');
msg(Code.BadContinuation, 'invalid token: a "\\" continuation must be the last character of the line (trailing whitespace after it)');
msg(Code.InvalidSyscallGroupName, 'invalid syscall group name "{0}"');
msg(Code.MissingNumber, 'missing number after ":"');
msg(Code.InvalidNumber, 'invalid number {0}: expected a non-negative count');
msg(Code.InvalidStatement, 'invalid statement {0}: expected @include, @frequency, @default or @denylist');
msg(Code.InvalidConstant, 'invalid constant "{0}"{1}');
msg(Code.UnsignedOverflow, 'unsigned overflow: {0} does not fit in {1} bits');
msg(Code.SignedUnderflow, 'signed underflow: {0} does not fit in {1} bits');
msg(Code.InvalidArgumentIndex, 'invalid argument "{0}": syscalls take arg0 to arg5');
msg(Code.InvalidErrno, 'invalid errno value {0}: must be 0 to 4095');
msg(Code.CouldNotInclude, 'could not @include {0}');
msg(Code.IncludeTooDeep, '@include statement nested too deep (limit {0})');
msg(Code.IncludeCycle, '@include cycle: {0} is already being included');
msg(Code.CouldNotOpenFrequency, 'could not open frequency file {0}');
msg(Code.NonexistentGroupNamespace, 'nonexistent syscall group namespace "{0}" (no syscall groups are defined)');
msg(Code.UnknownMetadataKey, 'unknown metadata key "{0}" (only "arch" is supported)');
msg(Code.AlreadyUnconditional, 'syscall {0} (number {1}) already had an unconditional action applied');
msg(Code.InvalidDenylistPolicy, 'invalid denylist policy: {0}');
msg(Code.NeverHolds, 'this comparison never holds: {0}');
msg(Code.DuplicateRule, 'syscall {0} already had an unconditional action applied; this rule has the same action and changes nothing');
msg(Code.VerifyFailed, 'verification failed: {0}');
msg(Code.InvalidProgram, 'invalid BPF program: {0}');
msg(Code.ProgramTooLong, 'the program has {0} instructions, more than the kernel limit of 4096');
msg(Code.UnknownArch, 'unknown architecture "{0}" (expected x86_64, aarch64, arm, i386 or riscv64)');
msg(Code.InternalError, 'internal error: {0}');

/** Register a message template (used by modules that define their own codes). */
export function defineMessage(code: i32, template: string): void { MESSAGES.set(code, template); }

export function formatTemplate(code: i32, args: string[]): string {
  let t = MESSAGES.has(code) ? MESSAGES.get(code) : 'diagnostic {0}';
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
