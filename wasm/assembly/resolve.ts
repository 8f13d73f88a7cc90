// Resolve: the ASTs of a policy's file set -> PolicyIR for one arch.
//
// Two passes. `collect` walks the main file and, in place of each @include, the included
// file (depth limit and cycle detection at the @include line), gathering rule statements in
// file order plus @default, @denylist and @frequency. `build` then turns names into numbers
// and constants into values of the arch word, and appends each statement's rules to its
// syscalls' lists. Every error is reported and resolution carries on, so one pass shows all.
//
// Semantics chosen where minijail's two compilers disagree (docs/policy-language.md):
// * `name: EXPR; return N` (one filter, no braces) means minijail0's runtime parser:
//   [EXPR -> allow, true -> errno N]; with opts.returnOnMatch (and in @denylist policies,
//   a Python-only feature) compile_seccomp_policy's: [EXPR -> errno N], then the next rule.
//   Inside `{...}` filter lists (Python-only syntax) `EXPR; action` is always "on match".
// * Rules before an unconditional one are kept (minijail's Python compiler drops them).

import { indexOfChar } from './lexer';
import { Span, SourceSet } from './span';
import { Diagnostics, Code, sortByPosition } from './diagnostics';
import { CompileOptions } from './options';
import { Arch, allArches } from './tables/index';
import { PolicyIR, SyscallRules, Rule, Clause, Atom, Op } from './ir';
import {
  RET_ALLOW, RET_ERRNO, RET_KILL_PROCESS, RET_KILL_THREAD, RET_TRAP, RET_TRACE, RET_LOG, RET_USER_NOTIF, MAX_ERRNO,
} from './actions';
import {
  FileAst, Stmt, StmtKind, PathStmt, DefaultStmt, RuleStmt, Descriptor, ActionNode, ActionKind, ClauseNode,
  ConstNode, ConstKind,
} from './ast';
import { parseFile, parseFrequencyFile, parseActionText, scanIncludePaths as scan, FrequencyEntry } from './parser';
import { closest, didYouMeanText } from './suggest';
import { sortNumbers } from './sortnum';
import { normalizePath } from './paths';

/** Hard cap on include nesting whatever the options say: recursion must stay shallow. */
const MAX_INCLUDE_DEPTH: i32 = 64;
const EPERM: u32 = 1;

/** Resolved paths named by the @include / @frequency lines of one file (lexing only). */
export function scanIncludePaths(path: string, text: string): string[] {
  return scan(path, text);
}

/** Numbers below this are indexed directly (every arch's table but ARM's private calls). */
const DIRECT_NRS: i32 = 1024;

/**
 * The syscalls a policy lists, by number: a direct array for the usual numbers (one load per
 * lookup, and walking it yields them sorted), a map for the rest.
 */
class ListedByNr {
  private direct: Array<Listed | null> = new Array<Listed | null>(DIRECT_NRS);
  private far: Map<i32, Listed> = new Map<i32, Listed>();

  get(nr: i32): Listed | null {
    if (<u32>nr < <u32>DIRECT_NRS) return unchecked(this.direct[nr]);
    return this.far.has(nr) ? this.far.get(nr) : null;
  }

  set(nr: i32, l: Listed): void {
    if (<u32>nr < <u32>DIRECT_NRS) unchecked(this.direct[nr] = l);
    else this.far.set(nr, l);
  }

  /** Their rule lists in ascending number order. */
  sorted(): SyscallRules[] {
    const out = new Array<SyscallRules>();
    for (let nr = 0; nr < DIRECT_NRS; nr++) {
      const l = unchecked(this.direct[nr]);
      if (l != null) out.push(l.sc);
    }
    const far = this.far.keys();
    sortNumbers(far);
    for (let i = 0; i < far.length; i++) out.push(this.far.get(far[i]).sc);
    return out;
  }
}

/** Build the IR of `sources` (file 0 is the main policy) for `arch`; null if nothing usable. */
export function buildIR(sources: SourceSet, arch: Arch, opts: CompileOptions, diags: Diagnostics): PolicyIR | null {
  if (sources.paths.length == 0) return null;
  const r = new Resolver(sources, arch, opts, diags);
  r.collect(0, 0);
  const ir = r.build();
  // Parse errors come before resolve errors; users read them in file order.
  sortByPosition(diags);
  return ir;
}

/** A syscall's rule list while resolving, and where it got its unconditional rule (for "previous definition"). */
class Listed {
  finalAt: Descriptor | null = null;
  constructor(public sc: SyscallRules) {}
}

class Resolver {
  asts: Array<FileAst | null> = [];
  stack: i32[] = [];
  rules: RuleStmt[] = [];
  defaultStmt: DefaultStmt | null = null;
  denylist: bool = false;
  denylistSpan: Span | null = null;
  frequency: FrequencyEntry[] = [];
  mask: u64;
  killAction: u32 = 0;
  private syscallNames: string[] | null = null;
  private constantNames: string[] | null = null;
  private ruleScratch: Rule[] = [];
  /** Set when the constant being evaluated had an error (its value is then meaningless). */
  constFailed: bool = false;

  constructor(public sources: SourceSet, public arch: Arch, public opts: CompileOptions, public diags: Diagnostics) {
    this.mask = arch.bits == 32 ? <u64>0xffffffff : <u64>0xffffffffffffffff;
    for (let i = 0; i < sources.paths.length; i++) this.asts.push(null);
  }

  ast(file: i32): FileAst {
    const cached = this.asts[file];
    if (cached != null) return cached;
    const a = parseFile(file, this.sources.paths[file], this.sources.texts[file], this.diags);
    this.asts[file] = a;
    return a;
  }

  /**
   * The file id of a resolved include path. Include paths are normalised, the host's paths
   * (the main file's especially) may not be: `./a.policy` including `./a.policy` is a cycle.
   */
  findFile(resolved: string): i32 {
    const exact = this.sources.indexOf(resolved);
    if (exact >= 0) return exact;
    for (let i = 0; i < this.sources.paths.length; i++) {
      if (normalizePath(this.sources.paths[i]) == resolved) return i;
    }
    return -1;
  }

  // ---- pass 1: flatten includes --------------------------------------------------------

  collect(file: i32, depth: i32): void {
    const ast = this.ast(file);
    this.stack.push(file);
    const limit = min(this.opts.includeDepthLimit, MAX_INCLUDE_DEPTH);
    for (let i = 0; i < ast.stmts.length; i++) {
      const s = ast.stmts[i];
      switch (s.kind) {
        case StmtKind.Rule: this.rules.push(<RuleStmt>s); break;
        case StmtKind.Default: this.defaultStmt = <DefaultStmt>s; break;
        case StmtKind.Denylist:
          this.denylist = true;
          if (this.denylistSpan == null) this.denylistSpan = s.span;
          break;
        case StmtKind.Include: {
          const p = <PathStmt>s;
          const target = this.findFile(p.resolved);
          if (target < 0) {
            this.diags.error(Code.CouldNotInclude, p.pathSpan, [p.path]);
          } else if (this.stack.includes(target)) {
            this.diags.error(Code.IncludeCycle, p.pathSpan, [p.resolved]);
          } else if (depth + 1 > limit) {
            this.diags.error(Code.IncludeTooDeep, p.pathSpan, [limit.toString()]);
          } else {
            this.collect(target, depth + 1);
          }
          break;
        }
        case StmtKind.Frequency: {
          const p = <PathStmt>s;
          const target = this.findFile(p.resolved);
          if (target < 0) {
            this.diags.error(Code.CouldNotOpenFrequency, p.pathSpan, [p.path]);
          } else {
            const entries = parseFrequencyFile(target, this.sources.paths[target], this.sources.texts[target], this.diags);
            for (let j = 0; j < entries.length; j++) this.frequency.push(entries[j]);
          }
          break;
        }
      }
    }
    this.stack.pop();
  }

  // ---- pass 2: names, constants, rules ---------------------------------------------------

  build(): PolicyIR | null {
    const denylist = this.denylist;
    this.killAction = denylist ? RET_ERRNO | EPERM : this.opts.killAction;
    let defaultAction = denylist ? RET_ALLOW : this.killAction;
    const badArch = this.killAction;

    const d = this.defaultStmt;
    if (d != null) {
      if (denylist) {
        this.diags.error(Code.InvalidDenylistPolicy, d.span, ['@default cannot be used in a @denylist policy (its default is allow)']);
      } else {
        const v = this.actionValue(d.action);
        if (!this.constFailed) defaultAction = v;
      }
    }
    if (this.opts.defaultActionOverride.length > 0) {
      const file = this.sources.add('<default-action>', this.opts.defaultActionOverride);
      this.asts.push(null);
      const a = parseActionText(file, this.opts.defaultActionOverride, this.diags);
      if (a != null) {
        const v = this.actionValue(a);
        if (!this.constFailed) defaultAction = v;
      }
    }

    const byNr = new ListedByNr();
    const nrs = new Array<i32>();
    const descs = new Array<Descriptor>();
    for (let i = 0; i < this.rules.length; i++) {
      const stmt = this.rules[i];
      nrs.length = 0;
      descs.length = 0;
      for (let j = 0; j < stmt.descriptorCount; j++) {
        const desc = stmt.descriptor(j);
        const nr = this.resolveDescriptor(desc);
        if (nr >= 0) { nrs.push(nr); descs.push(desc); }
      }
      // Resolve the filters even when no descriptor survived, to report their errors too.
      const rules = this.buildRules(stmt);
      if (rules == null) continue;
      for (let j = 0; j < nrs.length; j++) {
        const nr = nrs[j];
        let listed: Listed;
        const known = byNr.get(nr);
        if (known != null) listed = known;
        else { listed = new Listed(new SyscallRules(nr, descs[j].name)); byNr.set(nr, listed); }
        const sc = listed.sc;
        for (let k = 0; k < rules.length; k++) {
          const rule = rules[k];
          const n = sc.rules.length;
          if (n > 0 && sc.rules[n - 1].unconditional) {
            const final = sc.rules[n - 1].action;
            let same = true;
            for (let m = k; m < rules.length; m++) if (rules[m].action != final) same = false;
            // Real policies repeat a syscall after `name: 1` (Android builds minijail with
            // ALLOW_DUPLICATE_SYSCALLS, first line wins, and crash_dump.policy narrows calls its
            // includer already allowed). A later rule with the same action cannot change any
            // outcome, so it is only a warning; one with another action would be silently lost.
            const name = descs[j].name;
            const diag = same
              ? this.diags.warning(Code.DuplicateRule, descs[j].span, [name])
              : this.diags.error(Code.AlreadyUnconditional, descs[j].span, [name, nr.toString()]);
            const previous = listed.finalAt;
            if (previous != null) { diag.related = previous.span; diag.relatedMessage = 'previous definition'; }
            break;
          }
          // Most syscalls get one rule: a one-element list, not a push into an empty array.
          if (n == 0) sc.rules = [rule];
          else sc.rules.push(rule);
          if (rule.unconditional) listed.finalAt = descs[j];
        }
      }
    }

    this.applyFrequency(byNr);

    const ir = new PolicyIR(this.arch, defaultAction, badArch);
    ir.syscalls = byNr.sorted();
    return ir;
  }

  /** The syscall number a descriptor names for this arch, or -1 (dropped or an error). */
  resolveDescriptor(desc: Descriptor): i32 {
    let keep = true;
    const meta = desc.meta;
    for (let k = 0; meta != null && k < meta.length; k++) {
      const m = meta[k];
      if (m.key != 'arch') {
        this.diags.error(Code.UnknownMetadataKey, m.keySpan, [m.key]);
        keep = false;
        continue;
      }
      let any = false;
      for (let v = 0; v < m.values.length; v++) if (this.arch.matches(m.values[v])) any = true;
      if (!any) keep = false;
    }
    const at = indexOfChar(desc.name, 64 /* @ */);
    if (at > 0) {
      this.diags.error(Code.NonexistentGroupNamespace, desc.span, [desc.name.substring(at + 1)]);
      return -1;
    }
    if (!keep) return -1;
    const table = this.arch.syscalls;
    const index = table.indexOf(desc.name);
    if (index >= 0) return unchecked(table.values[index]);
    const suggestion = closest(desc.name, this.allSyscallNames());
    const d = this.diags.error(Code.NonexistentSyscall, desc.span,
      [desc.name, didYouMeanText(suggestion) + this.otherArchesHint(desc.name)]);
    d.suggestName(desc.span, suggestion);
    return -1;
  }

  /** ` (it exists on arm, i386)`: a policy written for another ABI is the usual cause. */
  otherArchesHint(name: string): string {
    const archs = allArches();
    const found = new Array<string>();
    for (let i = 0; i < archs.length; i++) {
      if (archs[i] !== this.arch && archs[i].syscalls.has(name)) found.push(archs[i].name);
    }
    if (found.length == 0) return '';
    return ' (it exists on ' + found.join(', ') + ': is the policy for another arch?)';
  }

  /** The statement's rules, or null after an error; valid until the next call (one list, reused). */
  buildRules(stmt: RuleStmt): Rule[] | null {
    const out = this.ruleScratch;
    out.length = 0;
    let ok = true;
    const single = !stmt.braced && stmt.filterCount == 1;
    for (let i = 0; i < stmt.filterCount; i++) {
      const f = stmt.filter(i);
      let clauses: Clause[] | null = null;
      const e = f.expr;
      if (e != null) {
        clauses = this.resolveExpr(e);
        if (clauses == null) ok = false;
      }
      let action = RET_ALLOW;
      const a = f.action;
      if (a != null) {
        action = this.actionValue(a);
        if (this.constFailed) ok = false;
        if (this.denylist && a.kind != ActionKind.Return) {
          this.diags.error(Code.InvalidDenylistPolicy, a.span, ['every action must be "return N"']);
          ok = false;
        }
      } else if (this.denylist) {
        this.diags.error(Code.InvalidDenylistPolicy, f.span, ['every action must be "return N" (this allows)']);
        ok = false;
      }
      if (!ok) continue;
      if (clauses == null) {
        out.push(new Rule(action, f.file, f.start, f.end));
        continue;
      }
      const rule = new Rule(action, f.file, f.start, f.end);
      if (a != null && a.kind == ActionKind.Return && single && !this.opts.returnOnMatch && !this.denylist) {
        // minijail0's `EXPR; return N`: allow when EXPR holds, errno N otherwise.
        rule.action = RET_ALLOW;
        rule.clauses = clauses;
        out.push(rule);
        out.push(new Rule(action, a.file, a.start, a.end));
      } else {
        rule.clauses = clauses;
        out.push(rule);
      }
    }
    return ok ? out : null;
  }

  resolveExpr(expr: ClauseNode[]): Clause[] | null {
    const out = new Array<Clause>(expr.length);
    let ok = true;
    for (let i = 0; i < expr.length; i++) {
      const cn = expr[i];
      const c = new Clause();
      for (let j = 0; j < cn.atoms.length; j++) {
        const an = cn.atoms[j];
        if (an.arg > 5) {
          this.diags.error(Code.InvalidArgumentIndex, an.argSpan, [an.argText]);
          ok = false;
        }
        this.constFailed = false;
        const v = this.evalConst(an.value);
        if (this.constFailed) ok = false;
        else if (v == 0 && (an.op == Op.SET || an.op == Op.LT)) {
          // minijail0.5's own example, `open: arg1 & O_RDONLY`, is always false (O_RDONLY is 0).
          this.diags.warning(Code.NeverHolds, an.span, [an.op == Op.SET
            ? '"&" tests bits of 0 (a zero flag such as O_RDONLY cannot be tested with "&")'
            : 'no unsigned value is below 0']);
        }
        const mv = an.masked;
        if (mv != null) {
          // (arg & m) == w: the bits of m outside w clear (`in`), each bit of w set (`&`).
          this.constFailed = false;
          const w = this.evalConst(mv);
          if (this.constFailed) { ok = false; continue; }
          if ((w & ~v) != 0) {
            this.diags.warning(Code.NeverHolds, an.span, ['the value has bits outside the mask, so the masked argument never equals it']);
            c.atoms.push(new Atom(an.arg, Op.EQ, 0, an.span));
            c.atoms.push(new Atom(an.arg, Op.NE, 0, an.span));
            continue;
          }
          const clear = v & ~w;
          if (clear != 0) c.atoms.push(new Atom(an.arg, Op.IN, (~clear) & this.mask, an.span));
          for (let b: u64 = 1; b != 0 && b <= w; b <<= 1) {
            if ((w & b) != 0) c.atoms.push(new Atom(an.arg, Op.SET, b, an.span));
          }
          continue;
        }
        c.atoms.push(new Atom(an.arg, an.op, v, an.span));
      }
      out[i] = c;
    }
    return ok ? out : null;
  }

  /** The RET_* value of an action; sets constFailed on a bad errno. */
  actionValue(a: ActionNode): u32 {
    this.constFailed = false;
    switch (a.kind) {
      case ActionKind.Allow: return RET_ALLOW;
      case ActionKind.Kill: return this.killAction;
      case ActionKind.KillProcess: return RET_KILL_PROCESS;
      case ActionKind.KillThread: return RET_KILL_THREAD;
      case ActionKind.Trap: return RET_TRAP;
      case ActionKind.Trace: return RET_TRACE;
      case ActionKind.Log: return RET_LOG;
      case ActionKind.UserNotify: return RET_USER_NOTIF;
    }
    const c = a.value;
    if (c == null) { this.constFailed = true; return 0; }
    const v = this.evalConst(c);
    if (this.constFailed) return 0;
    if (v > <u64>MAX_ERRNO) {
      // Report what was written; a negative number shows as written, not as 2^64-1.
      this.diags.error(Code.InvalidErrno, c.span, [this.sourceText(c)]);
      this.constFailed = true;
      return 0;
    }
    return RET_ERRNO | <u32>v;
  }

  /** Value of a constant expression in the arch word; errors set constFailed. */
  evalConst(c: ConstNode): u64 {
    switch (c.kind) {
      case ConstKind.Number: return this.evalNumber(c);
      case ConstKind.Name: {
        const table = this.arch.constants;
        const at = table.indexOf(c.text);
        if (at >= 0) return unchecked(table.values[at]) & this.mask;
        const suggestion = closest(c.text, this.allConstantNames());
        const d = this.diags.error(Code.InvalidConstant, c.span, [c.text, didYouMeanText(suggestion)]);
        d.suggestName(c.span, suggestion);
        this.constFailed = true;
        return 0;
      }
      case ConstKind.Or: {
        const kids = c.children;
        let v: u64 = 0;
        for (let i = 0; kids != null && i < kids.length; i++) v |= this.evalConst(kids[i]);
        return v;
      }
      case ConstKind.Not: {
        const kids = c.children;
        if (kids == null || kids.length == 0) { this.constFailed = true; return 0; }
        return (~this.evalConst(kids[0])) & this.mask;
      }
    }
    this.constFailed = true;
    return 0;
  }

  /** minijail's number rules: hex 0x.., octal 0[0-7]+, else decimal; `-` is two's complement. */
  evalNumber(c: ConstNode): u64 {
    // Read the digits in place: no substring unless an error needs the text.
    const t = c.file >= 0 && c.file < this.sources.texts.length ? this.sources.texts[c.file] : '';
    const end = min(c.end, t.length);
    let i = max(c.start, 0);
    const negative = i < end && t.charCodeAt(i) == 45;
    if (negative) i++;
    let base: u64 = 10;
    if (end > i + 1 && t.charCodeAt(i) == 48) {
      const c1 = t.charCodeAt(i + 1);
      if (c1 == 120 || c1 == 88) { base = 16; i += 2; }
      else if (c1 >= 48 && c1 <= 55) { base = 8; i += 1; }
    }
    let v: u64 = 0;
    let overflow = false;
    for (; i < end; i++) {
      const ch = t.charCodeAt(i);
      let d: u64 = 0;
      if (ch >= 48 && ch <= 57) d = <u64>(ch - 48);
      else if (ch >= 97 && ch <= 102) d = <u64>(ch - 87);
      else if (ch >= 65 && ch <= 70) d = <u64>(ch - 55);
      if (d >= base) { d = 0; }
      if (v > (<u64>0xffffffffffffffff - d) / base) { overflow = true; break; }
      v = v * base + d;
    }
    const bits = this.arch.bits.toString();
    if (negative) {
      const limit: u64 = (this.mask >> 1) + 1; // 2^(bits-1)
      if (overflow || v > limit) {
        this.diags.error(Code.SignedUnderflow, c.span, [this.sourceText(c), bits]);
        this.constFailed = true;
        return 0;
      }
      return (0 - v) & this.mask;
    }
    if (overflow || v > this.mask) {
      this.diags.error(Code.UnsignedOverflow, c.span, [this.sourceText(c), bits]);
      this.constFailed = true;
      return 0;
    }
    return v;
  }

  /** The text a constant was written as (for messages). */
  sourceText(c: ConstNode): string {
    if (c.kind == ConstKind.Name) return c.text;
    if (c.file < 0 || c.file >= this.sources.texts.length) return '';
    return this.sources.texts[c.file].substring(c.start, c.end);
  }

  applyFrequency(byNr: ListedByNr): void {
    if (this.frequency.length == 0) return;
    const counts = new Map<i32, f64>();
    for (let i = 0; i < this.frequency.length; i++) {
      const e = this.frequency[i];
      for (let j = 0; j < e.descriptors.length; j++) {
        const nr = this.resolveDescriptor(e.descriptors[j]);
        if (nr < 0) continue;
        const prev = counts.has(nr) ? counts.get(nr) : 0.0;
        counts.set(nr, prev + <f64>e.count);
      }
    }
    const keys = counts.keys();
    for (let i = 0; i < keys.length; i++) {
      const l = byNr.get(keys[i]);
      if (l != null) l.sc.weight = counts.get(keys[i]);
    }
  }

  allSyscallNames(): string[] {
    let l = this.syscallNames;
    if (l == null) { l = this.arch.syscalls.names; this.syscallNames = l; }
    return l;
  }

  allConstantNames(): string[] {
    let l = this.constantNames;
    if (l == null) { l = this.arch.constants.names; this.constantNames = l; }
    return l;
  }
}
