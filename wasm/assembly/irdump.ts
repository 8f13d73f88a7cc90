// PolicyIR -> JSON, for the analyze export (tools: the TypeScript analyzePolicy, OCI export,
// lint, the language service, diff tests). Shape:
// {
//   "arch": "x86_64", "auditArch": 3221225534, "bits": 64,
//   "defaultAction": ACTION, "badArchAction": ACTION,
//   "syscalls": [ { "nr": 0, "name": "read", "weight": 1,
//                   "rules": [ { "action": ACTION, "file": "p.policy", SPAN,
//                                "clauses": [ [ { "arg": 0, "op": "==", "value": "0x1", SPAN } ] ] } ] } ]
// }
// ACTION = { "ret": <u32 seccomp return value>, "name": "allow|errno|kill-process|...", "text": "errno 38" }.
// SPAN = "start", "end" (UTF-16 offsets into the file's text), "line", "column", "endLine",
// "endColumn" (1-based; the end is exclusive). A rule's span is the filter it comes from (the
// text after the colon, or one `{...}` item); minijail0's `EXPR; return N` gives two rules, the
// allow rule spanning the whole filter and the errno rule its `return N`. A comparison's span
// is its text, `argN OP value`, in the rule's file.
// "clauses" is the DNF (OR of ANDs); an empty list means the rule is unconditional.
// `&` and `in` comparisons add "mask": the bits they test, in the arch word (`&` holds when
// (arg & mask) != 0, so mask = value; `in` when (arg & mask) == 0, so mask = ~value).
// Values are hex strings because u64 does not survive a JSON number.
//
// Written into one list of parts joined once at the end (and each distinct action and file
// name escaped once): per-object builders made the dump cost three times the front end.

import { PolicyIR, Rule, Op, opText } from './ir';
import { SourceSet } from './span';
import { actionName, actionText } from './actions';
import { JsonObject, jsonString } from './json';

export function actionJson(ret: u32): string {
  return new JsonObject().int('ret', <i64>ret).str('name', actionName(ret)).str('text', actionText(ret)).toString();
}

class IrWriter {
  parts: string[] = [];
  private actions: Map<u32, string> = new Map<u32, string>();
  private files: Map<i32, string> = new Map<i32, string>();
  private wordMask: u64;

  constructor(public sources: SourceSet, bits: i32) {
    this.wordMask = bits == 32 ? <u64>0xffffffff : <u64>0xffffffffffffffff;
  }

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

  /** `,"line":L,"column":C` of an offset (one line search for both). */
  position(file: i32, offset: i32, lineKey: string, columnKey: string): void {
    const line = this.sources.line(file, offset);
    const p = this.parts;
    p.push(lineKey);
    p.push(line.toString());
    p.push(columnKey);
    p.push((offset - this.sources.lineStart(file, line) + 1).toString());
  }

  /** The SPAN fields (see the top of the file). */
  span(file: i32, start: i32, end: i32): void {
    const p = this.parts;
    p.push(',"start":');
    p.push(start.toString());
    p.push(',"end":');
    p.push(end.toString());
    this.position(file, start, ',"line":', ',"column":');
    this.position(file, end, ',"endLine":', ',"endColumn":');
  }

  rule(rule: Rule): void {
    const p = this.parts;
    p.push('{"action":');
    p.push(this.action(rule.action));
    const file = rule.file;
    const located = file >= 0 && file < this.sources.paths.length;
    if (located) {
      p.push(',"file":');
      p.push(this.file(file));
      this.span(file, rule.start, rule.end);
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
        p.push('"');
        if (at.op == Op.SET || at.op == Op.IN) {
          p.push(',"mask":"0x');
          p.push((at.op == Op.SET ? at.value : ~at.value & this.wordMask).toString(16));
          p.push('"');
        }
        const s = at.span;
        if (located && s != null && s.file == file) this.span(file, s.start, s.end);
        p.push('}');
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
  const w = new IrWriter(sources, ir.arch.bits);
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
