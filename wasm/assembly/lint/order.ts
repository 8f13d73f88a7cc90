// Lint: rules that do nothing, by what they mean (lint/meaning.ts), per syscall of the IR:
//   6005 the condition holds for no call;
//   6007 an earlier rule with the same action already decides every call it matches (a repeat);
//   6006 earlier rules with other actions decide every call it matches (unreachable);
//   6004 a later rule gives its calls the same outcome, so its condition no longer matters
//        (`mprotect: 1` appended after the W^X rule), reported on the later rule;
//   6008 a conditional rule whose calls the default action gives the same outcome.

import { PolicyIR, SyscallRules, Rule } from '../ir';
import { Diagnostics, Code } from '../diagnostics';
import { actionText } from '../actions';
import { PolicySource } from './source';
import { canMatch, ruleMatters, coveredBy } from './meaning';

function where(src: PolicySource, r: Rule): string { return src.where(r.file, r.start); }

export function lintRuleOrder(ir: PolicyIR, src: PolicySource, diags: Diagnostics): void {
  for (let s = 0; s < ir.syscalls.length; s++) {
    const sc = ir.syscalls[s];
    const rules = sc.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      const span = r.span;
      if (span == null) continue;
      if (!canMatch(ir, sc, r)) {
        diags.warning(Code.RuleNeverMatches, span);
        continue;
      }
      if (ruleMatters(ir, sc, i)) continue;
      if (i > 0 && coveredBy(ir, sc, rules.slice(0, i), r)) {
        reportCovered(ir, sc, i, src, diags);
        continue;
      }
      // Not shadowed and yet without effect: what follows gives its calls the same outcome.
      let later = -1;
      for (let j = i + 1; j < rules.length; j++) if (rules[j].action == r.action) { later = j; break; }
      if (later < 0) {
        // `ptrace: kill` under a kill default documents a denial on purpose: only conditions count.
        if (!r.unconditional) diags.warning(Code.RuleRedundant, span, [actionText(ir.defaultAction)]);
        continue;
      }
      const lr = rules[later];
      const lspan = lr.span;
      // A later rule that adds nothing is itself a repeat, reported when its turn comes.
      if (lspan == null || coveredBy(ir, sc, rules.slice(0, later), lr)) continue;
      const d = diags.warning(Code.RuleWidened, lspan, [where(src, r), actionText(r.action)]);
      d.related = span;
      d.relatedMessage = 'the rule it widens';
    }
  }
}

function reportCovered(ir: PolicyIR, sc: SyscallRules, i: i32, src: PolicySource, diags: Diagnostics): void {
  const rules = sc.rules;
  const r = rules[i];
  const span = r.span!;
  // One earlier rule that covers it alone names the repeat; otherwise the first earlier rule.
  let single = -1;
  for (let j = 0; j < i; j++) {
    if (coveredBy(ir, sc, [rules[j]], r)) { single = j; break; }
  }
  const other = single >= 0 ? rules[single] : rules[0];
  const otherSpan = other.span;
  if (single >= 0 && other.action == r.action) {
    const d = diags.warning(Code.RuleRepeated, span, [where(src, other), actionText(r.action)]);
    if (otherSpan != null) { d.related = otherSpan; d.relatedMessage = 'the rule it repeats'; }
    const stmt = src.stmtAt(r.file, r.start);
    // Deleting the statement is safe only when it holds nothing but this rule.
    if (stmt != null && src.simple(stmt) && !hasOtherRules(sc, stmt.file, stmt.start, stmt.end, i)) {
      d.suggestReplacement('Delete the repeated rule', src.stmtLines(stmt), '');
    }
    return;
  }
  const d = diags.warning(Code.RuleUnreachable, span, [where(src, other)]);
  if (otherSpan != null) { d.related = otherSpan; d.relatedMessage = 'decided here first'; }
}

/** Another rule of `sc` from the same statement (minijail0's `EXPR; return N` gives two). */
function hasOtherRules(sc: SyscallRules, file: i32, start: i32, end: i32, skip: i32): bool {
  for (let k = 0; k < sc.rules.length; k++) {
    const o = sc.rules[k];
    if (k != skip && o.file == file && o.start >= start && o.start < end) return true;
  }
  return false;
}
