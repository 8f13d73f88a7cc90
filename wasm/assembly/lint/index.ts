// Lint: findings about a policy that compiles (or at least parses), as diagnostics with stable
// 6xxx codes, full ranges and, where the change is mechanical, suggestions (the editor's code
// actions). Text rules here; rules about meaning in order.ts and calls.ts, which run only on a
// policy without errors (a partial IR would make them guess).
//   6009 an [arch=...] value that names no arch (the descriptor is silently dropped everywhere);
//   6011 an [arch=...] that names an arch which does not have the syscall;
//   6010 `EXPR; return N`, whose meaning differs between minijail's two compilers;
//   6014 `argN & MASK == VALUE`, tsjail's masked equality, which minijail cannot read;
//   6015 `@default return N`, tsjail's errno default, which minijail cannot read.

import { SourceSet, Span } from '../span';
import { Diagnostics, sortByPosition } from '../diagnostics';
import { Code } from '../abi';
import { PolicyIR } from '../ir';
import { Arch, allArches, findArch } from '../tables/index';
import { ActionKind, ClauseNode, DefaultStmt, StmtKind } from '../ast';
import { closest, didYouMeanText } from '../suggest';
import { PolicySource } from './source';
import { lintRuleOrder } from './order';
import { lintCalls } from './calls';

/** minijail's own [arch=...] names (tools/parser.py, from arch_nr) that tsjail has no tables for. */
const MINIJAIL_ONLY_ARCHES: string[] = ['loong64', 'mips', 'mipsel', 'mips64', 'mips64el', 'ppc64', 'ppc64le', 's390x'];

/**
 * Add the lint findings of the policy in `sources` (file 0 the main one) to `diags`. `ir` is the
 * front end's result (null when the policy has errors); `returnOnMatch` as the request's flag.
 */
export function lintPolicy(sources: SourceSet, arch: Arch, ir: PolicyIR | null, returnOnMatch: bool, diags: Diagnostics): void {
  if (sources.paths.length == 0) return;
  const src = new PolicySource(sources);
  const findings = new Diagnostics();
  lintArchTags(src, findings);
  lintAmbiguousReturn(src, returnOnMatch || src.denylist, findings);
  lintMaskedEquality(src, findings);
  if (ir != null) {
    lintRuleOrder(ir, src, findings);
    lintCalls(ir, src, findings);
  }
  for (let i = 0; i < findings.list.length; i++) {
    diags.list.push(findings.list[i]);
    if (findings.list[i].severity == 1) diags.errorCount++;
  }
  // One list in file order (stable: the front end's order at one position is kept).
  sortByPosition(diags);
}

function knownArchNames(): string[] {
  const out = new Array<string>();
  const l = allArches();
  for (let i = 0; i < l.length; i++) {
    out.push(l[i].name);
    for (let k = 0; k < l[i].aliases.length; k++) out.push(l[i].aliases[k]);
  }
  for (let i = 0; i < MINIJAIL_ONLY_ARCHES.length; i++) out.push(MINIJAIL_ONLY_ARCHES[i]);
  return out;
}

function lintArchTags(src: PolicySource, diags: Diagnostics): void {
  const stmts = src.ruleStmts();
  let known: string[] | null = null;
  for (let i = 0; i < stmts.length; i++) {
    const stmt = stmts[i];
    for (let j = 0; j < stmt.descriptorCount; j++) {
      const desc = stmt.descriptor(j);
      const meta = desc.meta;
      if (meta == null) continue;
      for (let k = 0; k < meta.length; k++) {
        const m = meta[k];
        if (m.key != 'arch') continue;
        for (let v = 0; v < m.values.length; v++) {
          const value = m.values[v];
          const a = findArch(value);
          if (a != null) {
            if (desc.name.indexOf('@') < 0 && !a.syscalls.has(desc.name)) {
              diags.warning(Code.SyscallNotOnArch, desc.span, [desc.name, a.name]);
            }
            continue;
          }
          if (known == null) known = knownArchNames();
          if (known.includes(value)) continue;
          const suggestion = closest(value, known);
          const d = diags.error(Code.UnknownArchTag, m.valueSpans[v], [value, didYouMeanText(suggestion)]);
          d.suggestName(m.valueSpans[v], suggestion);
        }
      }
    }
  }
}

/**
 * `name: EXPR; return N` outside braces. The fix writes the meaning tsjail gives it in the syntax
 * both of minijail's readings agree on: `{EXPR, return N}` (allow when EXPR holds, else errno N)
 * or, with --return-on-match, `{EXPR; return N}` (errno N when EXPR holds, else the next rule).
 */
function lintAmbiguousReturn(src: PolicySource, onMatch: bool, diags: Diagnostics): void {
  const stmts = src.ruleStmts();
  for (let i = 0; i < stmts.length; i++) {
    const stmt = stmts[i];
    if (stmt.braced || stmt.filterCount != 1) continue;
    const f = stmt.filter(0);
    const expr = f.expr;
    const a = f.action;
    if (expr == null || a == null || a.kind != ActionKind.Return) continue;
    const d = diags.warning(Code.AmbiguousReturn, f.span,
      [onMatch ? 'compile_seccomp_policy does (--return-on-match)' : 'minijail0 does (allow when EXPR holds, else errno N)']);
    const first = firstAtomStart(expr), last = lastAtomEnd(expr);
    if (first < 0) continue;
    const exprText = src.text(f.file, first, last);
    const actionText = src.text(a.file, a.start, a.end);
    const sep = onMatch ? '; ' : ', ';
    d.suggestReplacement(onMatch ? 'Write it as {EXPR; return N}' : 'Write it as {EXPR, return N}', new Span(f.file, f.start, f.end),
      '{' + exprText + sep + actionText + '}');
  }
}

/** Masked equalities: tsjail's own syntax (from OCI profiles), which minijail cannot read. */
function lintMaskedEquality(src: PolicySource, diags: Diagnostics): void {
  for (let f = 0; f < src.files.length; f++) {
    const all = src.files[f].stmts;
    for (let i = 0; i < all.length; i++) {
      const s = all[i];
      if (s.kind == StmtKind.Default && (<DefaultStmt>s).action.kind == ActionKind.Return) diags.warning(Code.ErrnoDefault, s.span, []);
    }
  }
  const stmts = src.ruleStmts();
  for (let i = 0; i < stmts.length; i++) {
    const stmt = stmts[i];
    for (let j = 0; j < stmt.filterCount; j++) {
      const expr = stmt.filter(j).expr;
      if (expr == null) continue;
      for (let k = 0; k < expr.length; k++) {
        const atoms = expr[k].atoms;
        for (let m = 0; m < atoms.length; m++) if (atoms[m].masked != null) diags.warning(Code.MaskedEquality, atoms[m].span, []);
      }
    }
  }
}

function firstAtomStart(expr: ClauseNode[]): i32 {
  if (expr.length == 0 || expr[0].atoms.length == 0) return -1;
  return expr[0].atoms[0].span.start;
}

function lastAtomEnd(expr: ClauseNode[]): i32 {
  const c = expr[expr.length - 1];
  return c.atoms[c.atoms.length - 1].span.end;
}
