// PolicyIR -> JSON, for the analyze export (tools: the TypeScript analyzePolicy, OCI export,
// lint, the language service; front-end tests). Shape:
// {
//   "arch": "x86_64", "auditArch": 3221225534, "bits": 64,
//   "defaultAction": ACTION, "badArchAction": ACTION,
//   "files": ["p.policy", ...], "actions": [ACTION, ...],
//   "syscalls": [ { "nr": 0, "name": "read", "weight": 1,
//                   "rules": [ { "action": 0, "file": 0, "span": SPAN,
//                                "clauses": [ [ { "arg": 0, "op": "==", "value": "0x1", "span": SPAN } ] ] } ] } ]
// }
// ACTION = { "ret": <u32 seccomp return value>, "name": "allow|errno|kill-process|...", "text": "errno 38" }.
// A rule's "action" indexes "actions", its "file" indexes "files" (the request's paths). SPAN = [start, end, line, column, endLine,
// endColumn]: UTF-16 offsets into the file's text (end exclusive), then 1-based line and column
// of both ends (an array: spans are most of the text, and keys would double it). A rule's span
// is the filter it comes from (the text after the colon, or one `{...}` item); minijail0's
// `EXPR; return N` gives two rules, the allow rule spanning the whole filter and the errno rule
// its `return N`. A comparison's span is its text, `argN OP value`, in its rule's file.
// "clauses" is the DNF (OR of ANDs); an empty list means the rule is unconditional.
// `&` and `in` comparisons add "mask": the bits they test, in the arch word (`&` holds when
// (arg & mask) != 0, so mask = value; `in` when (arg & mask) == 0, so mask = ~value).
// Values are hex strings because u64 does not survive a JSON number.
//
// Written into one TextBuffer, each action once: per-object builders made the dump cost three
// times the front end, and a string per number most of the rest; actions written out in every
// rule were a fifth of the text.

import { PolicyIR, Rule, Op, opText } from './ir';
import { SourceSet } from './span';
import { actionName, actionText } from './actions';
import { JsonObject, TextBuffer, jsonString } from './json';

export function actionJson(ret: u32): string {
  return new JsonObject().int('ret', <i64>ret).str('name', actionName(ret)).str('text', actionText(ret)).toString();
}

class IrWriter {
  out: TextBuffer = new TextBuffer(1 << 14);
  /** ret -> index in `actionList`. */
  private actions: Map<u32, i32> = new Map<u32, i32>();
  actionList: u32[] = [];
  private wordMask: u64;

  constructor(public sources: SourceSet, bits: i32) {
    this.wordMask = bits == 32 ? <u64>0xffffffff : <u64>0xffffffffffffffff;
  }

  /** The index of an action in the "actions" list. */
  action(ret: u32): i32 {
    if (this.actions.has(ret)) return this.actions.get(ret);
    const i = this.actionList.length;
    this.actionList.push(ret);
    this.actions.set(ret, i);
    return i;
  }

  /** `line,column` of an offset (one line search for both). */
  position(file: i32, offset: i32): void {
    const line = this.sources.line(file, offset);
    this.out.uint(<u64>line).str(',').uint(<u64>(offset - this.sources.lineStart(file, line) + 1));
  }

  /** `"span":SPAN` (see the top of the file). */
  span(file: i32, start: i32, end: i32): void {
    const o = this.out;
    o.str(',"span":[').uint(<u64>start).str(',').uint(<u64>end).str(',');
    this.position(file, start);
    o.str(',');
    this.position(file, end);
    o.str(']');
  }

  rule(rule: Rule): void {
    const o = this.out;
    o.str('{"action":').uint(<u64>this.action(rule.action));
    const file = rule.file;
    const located = file >= 0 && file < this.sources.paths.length;
    if (located) {
      o.str(',"file":').uint(<u64>file);
      this.span(file, rule.start, rule.end);
    }
    o.str(',"clauses":[');
    for (let c = 0; c < rule.clauses.length; c++) {
      o.str(c > 0 ? ',[' : '[');
      const atoms = rule.clauses[c].atoms;
      for (let a = 0; a < atoms.length; a++) {
        const at = atoms[a];
        o.str(a > 0 ? ',{"arg":' : '{"arg":').uint(<u64>at.arg).str(',"op":"').str(opText(at.op)).str('","value":"').hex(at.value).str('"');
        if (at.op == Op.SET || at.op == Op.IN) {
          o.str(',"mask":"').hex(at.op == Op.SET ? at.value : ~at.value & this.wordMask).str('"');
        }
        const s = at.span;
        if (located && s != null && s.file == file) this.span(file, s.start, s.end);
        o.str('}');
      }
      o.str(']');
    }
    o.str(']}');
  }
}

/** A JSON number: integral weights print without a fraction. */
function numberText(v: f64): string {
  if (!isFinite(v)) return 'null';
  return v == Math.floor(v) && Math.abs(v) < 9e15 ? (<i64>v).toString() : v.toString();
}

export function irJson(ir: PolicyIR, sources: SourceSet): string {
  // The rules first (they name the actions), the head after: one more copy of the text, cheaper
  // than a pass to collect the actions.
  const w = new IrWriter(sources, ir.arch.bits);
  const o = w.out;
  for (let i = 0; i < ir.syscalls.length; i++) {
    const sc = ir.syscalls[i];
    o.str(i > 0 ? ',{"nr":' : '{"nr":').str(sc.nr.toString())
      .str(',"name":').str(jsonString(sc.name))
      .str(',"weight":').str(numberText(sc.weight))
      .str(',"rules":[');
    for (let r = 0; r < sc.rules.length; r++) {
      if (r > 0) o.str(',');
      w.rule(sc.rules[r]);
    }
    o.str(']}');
  }
  const syscalls = o.toString();
  const head = new TextBuffer(1024);
  head.str('{"arch":').str(jsonString(ir.arch.name))
    .str(',"auditArch":').uint(<u64>ir.arch.auditArch)
    .str(',"bits":').uint(<u64>ir.arch.bits)
    .str(',"defaultAction":').str(actionJson(ir.defaultAction))
    .str(',"badArchAction":').str(actionJson(ir.badArchAction))
    .str(',"files":[');
  for (let f = 0; f < sources.paths.length; f++) head.str(f > 0 ? ',' : '').str(jsonString(sources.paths[f]));
  head.str('],"actions":[');
  for (let a = 0; a < w.actionList.length; a++) head.str(a > 0 ? ',' : '').str(actionJson(w.actionList[a]));
  return head.str('],"syscalls":[').str(syscalls).str(']}').toString();
}
