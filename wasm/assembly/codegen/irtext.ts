// A compact line format for a PolicyIR, so tests and fuzzers can drive codegen directly
// (without the policy language front end). One directive per line, '#' starts a comment:
//   default <action>          default action (a 32-bit RET value; decimal or 0x hex)
//   badarch <action>          action for a foreign arch (and x32 on x86_64)
//   sys <nr> [weight]         starts a syscall's rule list (nr as u32; weight defaults to 1)
//   rule <action>             starts a rule of the current syscall (unconditional until a clause follows)
//   clause [<arg> <op> <value>]...   adds a conjunction to the current rule; ops == != < <= > >= & in
// Example:  default 0x80000000 / badarch 0 / sys 1 / rule 0x7fff0000 / clause 0 == 5 1 & 0x3

import { PolicyIR, SyscallRules, Rule, Clause, Atom, Op } from '../ir';
import { Arch } from '../tables/index';
import { RET_KILL_PROCESS } from '../actions';

export class IRTextResult {
  ir: PolicyIR | null = null;
  error: string = '';
}

function parseU64(s: string, ok: StaticArray<bool>): u64 {
  let v: u64 = 0;
  ok[0] = s.length > 0;
  if (s.startsWith('0x') || s.startsWith('0X')) {
    if (s.length == 2) ok[0] = false;
    for (let i = 2; i < s.length; i++) {
      const c = s.charCodeAt(i);
      let d: u64 = 0;
      if (c >= 48 && c <= 57) d = <u64>(c - 48);
      else if (c >= 97 && c <= 102) d = <u64>(c - 87);
      else if (c >= 65 && c <= 70) d = <u64>(c - 55);
      else { ok[0] = false; break; }
      v = (v << 4) | d;
    }
  } else {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) { ok[0] = false; break; }
      v = v * 10 + <u64>(c - 48);
    }
  }
  return v;
}

function parseOp(s: string): i32 {
  if (s == '==') return Op.EQ;
  if (s == '!=') return Op.NE;
  if (s == '<') return Op.LT;
  if (s == '<=') return Op.LE;
  if (s == '>') return Op.GT;
  if (s == '>=') return Op.GE;
  if (s == '&') return Op.SET;
  if (s == 'in') return Op.IN;
  return -1;
}

function words(line: string): string[] {
  const parts = line.replaceAll('\t', ' ').split(' ');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) if (parts[i].length > 0) out.push(parts[i]);
  return out;
}

/** Parse the format above for `arch`; on a malformed line, `error` names it. */
export function parseIRText(text: string, arch: Arch): IRTextResult {
  const res = new IRTextResult();
  const ir = new PolicyIR(arch, RET_KILL_PROCESS, RET_KILL_PROCESS);
  const ok = new StaticArray<bool>(1);
  let sc: SyscallRules | null = null;
  let rule: Rule | null = null;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n];
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.substring(0, hash);
    const w = words(line);
    if (w.length == 0) continue;
    const where = 'line ' + (n + 1).toString() + ': ';
    const d = w[0];
    if (d == 'default' || d == 'badarch') {
      if (w.length != 2) { res.error = where + d + ' takes one value'; return res; }
      const v = parseU64(w[1], ok);
      if (!ok[0] || v > 0xffffffff) { res.error = where + 'bad action ' + w[1]; return res; }
      if (d == 'default') ir.defaultAction = <u32>v; else ir.badArchAction = <u32>v;
    } else if (d == 'sys') {
      if (w.length < 2 || w.length > 3) { res.error = where + 'sys takes a number and an optional weight'; return res; }
      const nr = parseU64(w[1], ok);
      if (!ok[0] || nr > 0xffffffff) { res.error = where + 'bad syscall number ' + w[1]; return res; }
      const s = new SyscallRules(<i32>(<u32>nr), 'sys' + nr.toString());
      if (w.length == 3) {
        const wt = parseFloat(w[2]);
        if (isNaN(wt) || wt <= 0) { res.error = where + 'bad weight ' + w[2]; return res; }
        s.weight = wt;
      }
      ir.syscalls.push(s);
      sc = s;
      rule = null;
    } else if (d == 'rule') {
      if (sc == null) { res.error = where + 'rule outside sys'; return res; }
      if (w.length != 2) { res.error = where + 'rule takes one action'; return res; }
      const v = parseU64(w[1], ok);
      if (!ok[0] || v > 0xffffffff) { res.error = where + 'bad action ' + w[1]; return res; }
      const r = new Rule(<u32>v);
      if (sc.rules.length == 0) sc.rules = [r];
      else sc.rules.push(r);
      rule = r;
    } else if (d == 'clause') {
      if (rule == null) { res.error = where + 'clause outside rule'; return res; }
      if ((w.length - 1) % 3 != 0) { res.error = where + 'clause atoms are <arg> <op> <value>'; return res; }
      const c = new Clause();
      for (let i = 1; i < w.length; i += 3) {
        const arg = parseU64(w[i], ok);
        if (!ok[0] || arg > 5) { res.error = where + 'bad argument index ' + w[i]; return res; }
        const op = parseOp(w[i + 1]);
        if (op < 0) { res.error = where + 'bad operator ' + w[i + 1]; return res; }
        let v = parseU64(w[i + 2], ok);
        if (!ok[0]) { res.error = where + 'bad value ' + w[i + 2]; return res; }
        // As resolve does: constants are truncated to the arch word.
        if (arch.bits == 32) v &= 0xffffffff;
        c.atoms.push(new Atom(<i32>arg, <Op>op, v));
      }
      if (rule.clauses.length == 0) rule.clauses = [c];
      else rule.clauses.push(c);
    } else {
      res.error = where + 'unknown directive ' + d;
      return res;
    }
  }
  // The IR contract: sorted by nr (codegen sorts anyway; keep the text order otherwise).
  res.ir = ir;
  return res;
}
