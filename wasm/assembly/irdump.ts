// PolicyIR -> JSON, for dumpIR (front-end tests, diff and LSP tools). Shape:
// {
//   "arch": "x86_64", "auditArch": 3221225534, "bits": 64,
//   "defaultAction": ACTION, "badArchAction": ACTION,
//   "syscalls": [ { "nr": 0, "name": "read", "weight": 1,
//                   "rules": [ { "action": ACTION, "file": "p.policy", "line": 3, "column": 7,
//                                "clauses": [ [ { "arg": 0, "op": "==", "value": "0x1" } ] ] } ] } ]
// }
// ACTION = { "ret": <u32 seccomp return value>, "name": "allow|errno|kill-process|...", "text": "errno 38" }.
// "clauses" is the DNF (OR of ANDs); an empty list means the rule is unconditional.
// Values are hex strings because u64 does not survive a JSON number.
//
// Written into one list of parts joined once at the end (and each distinct action and file
// name escaped once): per-object builders made the dump cost three times the front end.

import { PolicyIR, Rule, opText } from './ir';
import { SourceSet } from './span';
import { actionName, actionText } from './actions';
import { JsonObject, jsonString } from './json';

/** dumpIR flag: check only, leave the "ir" key out (for linting on every keystroke). */
export const FLAG_DUMP_CHECK_ONLY: u32 = 0x100;

export function actionJson(ret: u32): string {
  return new JsonObject().int('ret', <i64>ret).str('name', actionName(ret)).str('text', actionText(ret)).toString();
}

class IrWriter {
  parts: string[] = [];
  private actions: Map<u32, string> = new Map<u32, string>();
  private files: Map<i32, string> = new Map<i32, string>();

  constructor(public sources: SourceSet) {}

  action(ret: u32): string {
    if (this.actions.has(ret)) return this.actions.get(ret);
    const s = actionJson(ret);
    this.actions.set(ret, s);
    return s;
  }

  file(id: i32): string {
    if (this.files.has(id)) return this.files.get(id);
    const s = jsonString(this.sources.paths[id]);
    this.files.set(id, s);
    return s;
  }

  rule(rule: Rule): void {
    const p = this.parts;
    p.push('{"action":');
    p.push(this.action(rule.action));
    const s = rule.span;
    if (s != null && s.file >= 0 && s.file < this.sources.paths.length) {
      p.push(',"file":');
      p.push(this.file(s.file));
      p.push(',"line":');
      p.push(this.sources.line(s.file, s.start).toString());
      p.push(',"column":');
      p.push(this.sources.column(s.file, s.start).toString());
    }
    p.push(',"clauses":[');
    for (let c = 0; c < rule.clauses.length; c++) {
      if (c > 0) p.push(',');
      p.push('[');
      const atoms = rule.clauses[c].atoms;
      for (let a = 0; a < atoms.length; a++) {
        const at = atoms[a];
        p.push(a > 0 ? ',{"arg":' : '{"arg":');
        p.push(at.arg.toString());
        p.push(',"op":"');
        p.push(opText(at.op));
        p.push('","value":"0x');
        p.push(at.value.toString(16));
        p.push('"}');
      }
      p.push(']');
    }
    p.push(']}');
  }
}

/** A JSON number: integral weights print without a fraction. */
function numberText(v: f64): string {
  if (!isFinite(v)) return 'null';
  return v == Math.floor(v) && Math.abs(v) < 9e15 ? (<i64>v).toString() : v.toString();
}

export function irJson(ir: PolicyIR, sources: SourceSet): string {
  const w = new IrWriter(sources);
  const p = w.parts;
  p.push('{"arch":');
  p.push(jsonString(ir.arch.name));
  p.push(',"auditArch":');
  p.push(ir.arch.auditArch.toString());
  p.push(',"bits":');
  p.push(ir.arch.bits.toString());
  p.push(',"defaultAction":');
  p.push(w.action(ir.defaultAction));
  p.push(',"badArchAction":');
  p.push(w.action(ir.badArchAction));
  p.push(',"syscalls":[');
  for (let i = 0; i < ir.syscalls.length; i++) {
    const sc = ir.syscalls[i];
    p.push(i > 0 ? ',{"nr":' : '{"nr":');
    p.push(sc.nr.toString());
    p.push(',"name":');
    p.push(jsonString(sc.name));
    p.push(',"weight":');
    p.push(numberText(sc.weight));
    p.push(',"rules":[');
    for (let r = 0; r < sc.rules.length; r++) {
      if (r > 0) p.push(',');
      w.rule(sc.rules[r]);
    }
    p.push(']}');
  }
  p.push(']}');
  return p.join('');
}
