// PolicyIR -> JSON, for dumpIR (front-end tests, diff and LSP tools). Shape:
// {
//   "arch": "x86_64", "auditArch": 3221225534, "bits": 64,
//   "defaultAction": ACTION, "badArchAction": ACTION,
//   "syscalls": [ { "nr": 0, "name": "read", "weight": 1,
//                   "rules": [ { "action": ACTION, "line": 3, "column": 7,
//                                "clauses": [ [ { "arg": 0, "op": "==", "value": "0x1" } ] ] } ] } ]
// }
// ACTION = { "ret": <u32 seccomp return value>, "name": "allow|errno|kill-process|...", "text": "errno 38" }.
// "clauses" is the DNF (OR of ANDs); an empty list means the rule is unconditional.
// Values are hex strings because u64 does not survive a JSON number.

import { PolicyIR, Rule, opText } from './ir';
import { SourceSet } from './span';
import { actionName, actionText } from './actions';
import { JsonObject, jsonArray, hex64 } from './json';

export function actionJson(ret: u32): string {
  return new JsonObject().int('ret', <i64>ret).str('name', actionName(ret)).str('text', actionText(ret)).toString();
}

function ruleJson(rule: Rule, sources: SourceSet): string {
  const clauses = new Array<string>(rule.clauses.length);
  for (let c = 0; c < rule.clauses.length; c++) {
    const atoms = rule.clauses[c].atoms;
    const items = new Array<string>(atoms.length);
    for (let a = 0; a < atoms.length; a++) {
      const at = atoms[a];
      items[a] = new JsonObject().int('arg', at.arg).str('op', opText(at.op)).str('value', hex64(at.value)).toString();
    }
    clauses[c] = jsonArray(items);
  }
  const o = new JsonObject().raw('action', actionJson(rule.action));
  const s = rule.span;
  if (s != null && s.file >= 0 && s.file < sources.paths.length) {
    o.str('file', sources.paths[s.file]).int('line', sources.line(s.file, s.start)).int('column', sources.column(s.file, s.start));
  }
  return o.raw('clauses', jsonArray(clauses)).toString();
}

export function irJson(ir: PolicyIR, sources: SourceSet): string {
  const scs = new Array<string>(ir.syscalls.length);
  for (let i = 0; i < ir.syscalls.length; i++) {
    const sc = ir.syscalls[i];
    const rules = new Array<string>(sc.rules.length);
    for (let r = 0; r < sc.rules.length; r++) rules[r] = ruleJson(sc.rules[r], sources);
    scs[i] = new JsonObject().int('nr', sc.nr).str('name', sc.name).num('weight', sc.weight)
      .raw('rules', jsonArray(rules)).toString();
  }
  return new JsonObject()
    .str('arch', ir.arch.name).int('auditArch', <i64>ir.arch.auditArch).int('bits', ir.arch.bits)
    .raw('defaultAction', actionJson(ir.defaultAction))
    .raw('badArchAction', actionJson(ir.badArchAction))
    .raw('syscalls', jsonArray(scs))
    .toString();
}
