// Lint: what the policy lets specific syscalls do, by meaning (lint/meaning.ts).
//   6001 a dangerous call (minijail's list, and a few more) allowed whatever its arguments;
//   6002 mmap/mprotect allowing PROT_WRITE|PROT_EXEC together (no W^X);
//   6003 clone allowing CLONE_NEW* flags;
//   6012 a call every program makes never allowed (exit_group, rt_sigreturn, restart_syscall);
//   6013 clone3 answered with EPERM, where libc falls back to clone only on ENOSYS.

import { PolicyIR, SyscallRules, Rule, Atom } from '../ir';
import { Diagnostics, Diagnostic, Code, Severity, formatTemplate } from '../diagnostics';
import { Span } from '../span';
import { RET_ALLOW, RET_ERRNO } from '../actions';
import { ActionKind } from '../ast';
import { PolicySource } from './source';
import { alwaysAllowed, allowedWhen, anyBit } from './meaning';

/** name, why allowing it whatever its arguments is dangerous. */
const DANGEROUS: string[] = [
  'clone3', 'its flags (new namespaces included) are in memory the filter cannot read; answer it with ENOSYS so libc uses clone',
  'mount', 'it changes the file system view',
  'umount2', 'it changes the file system view',
  'umount', 'it changes the file system view',
  'setns', 'it enters other namespaces',
  'unshare', 'it creates namespaces',
  'kill', 'it signals any process of the same user',
  'tkill', 'it signals any thread of the same user',
  'tgkill', 'it signals any thread of the same user',
  'execve', 'it runs another program under the same filter, which the policy may not be written for',
  'execveat', 'it runs another program under the same filter, which the policy may not be written for',
  'bpf', 'it loads programs into the kernel',
  'ptrace', 'it controls other processes (and can bypass the filter)',
  'process_vm_readv', 'it reads other processes\' memory',
  'process_vm_writev', 'it writes other processes\' memory',
  'prctl', 'it changes process attributes (no_new_privs, dumpable, seccomp, ...)',
  'ioctl', 'every driver\'s commands are reachable',
  'socket', 'every address family is reachable (check arg0)',
  'socketcall', 'every socket operation is reachable',
  'io_uring_setup', 'io_uring runs operations without syscalls, so the filter never sees them',
  'personality', 'it changes the execution domain (READ_IMPLIES_EXEC)',
  'keyctl', 'it reaches the kernel keyrings',
  'add_key', 'it reaches the kernel keyrings',
  'request_key', 'it reaches the kernel keyrings',
  'userfaultfd', 'it lets the process stall kernel accesses to its memory (a common exploit aid)',
  'perf_event_open', 'it exposes kernel performance data and a large attack surface',
  'swapon', 'it changes the system\'s swap',
  'swapoff', 'it changes the system\'s swap',
];

/** Calls whose third argument is the protection (PROT_*). */
const PROT_CALLS: string[] = ['mmap', 'mmap2', 'mprotect', 'pkey_mprotect'];

/** name, why every program needs it. */
const REQUIRED: string[] = [
  'exit_group', 'glibc\'s exit and returning from main call it',
  'rt_sigreturn', 'returning from a signal handler calls it',
  'restart_syscall', 'the kernel restarts interrupted sleeps (nanosleep, poll) through it',
];

function constant(ir: PolicyIR, name: string, fallback: u64): u64 {
  const t = ir.arch.constants;
  const at = t.indexOf(name);
  return at >= 0 ? unchecked(t.values[at]) : fallback;
}

function find(ir: PolicyIR, name: string): SyscallRules | null {
  const t = ir.arch.syscalls;
  const at = t.indexOf(name);
  if (at < 0) return null;
  const nr = unchecked(t.values[at]);
  for (let i = 0; i < ir.syscalls.length; i++) if (ir.syscalls[i].nr == nr) return ir.syscalls[i];
  return null;
}

/** The rule to point at: the first unconditional allow, else the first allow with a span. */
function allowRule(sc: SyscallRules): Rule | null {
  let first: Rule | null = null;
  for (let i = 0; i < sc.rules.length; i++) {
    const r = sc.rules[i];
    if (r.action != RET_ALLOW || r.file < 0) continue;
    if (r.unconditional) return r;
    if (first == null) first = r;
  }
  return first;
}

export function lintCalls(ir: PolicyIR, src: PolicySource, diags: Diagnostics): void {
  for (let i = 0; i < DANGEROUS.length; i += 2) {
    const sc = find(ir, DANGEROUS[i]);
    if (sc == null || !alwaysAllowed(ir, sc)) continue;
    const r = allowRule(sc);
    if (r != null) diags.warning(Code.DangerousCall, r.span, [sc.name, DANGEROUS[i + 1]]);
  }

  const write = constant(ir, 'PROT_WRITE', 2), exec = constant(ir, 'PROT_EXEC', 4);
  for (let i = 0; i < PROT_CALLS.length; i++) {
    const sc = find(ir, PROT_CALLS[i]);
    if (sc == null || !allowedWhen(ir, sc, [anyBit(2, write), anyBit(2, exec)])) continue;
    const r = allowRule(sc);
    if (r == null) continue;
    const d = diags.warning(Code.WriteExecMemory, r.span, [sc.name]);
    suggestCondition(d, r, src, 'Allow only W^X (never PROT_WRITE and PROT_EXEC together)', 'arg2 in ~PROT_EXEC || arg2 in ~PROT_WRITE');
  }

  const clone = find(ir, 'clone');
  if (clone != null) {
    let ns: u64 = 0;
    const names = ['CLONE_NEWNS', 'CLONE_NEWCGROUP', 'CLONE_NEWUTS', 'CLONE_NEWIPC', 'CLONE_NEWUSER', 'CLONE_NEWPID', 'CLONE_NEWNET'];
    for (let i = 0; i < names.length; i++) ns |= constant(ir, names[i], 0);
    if (ns != 0 && allowedWhen(ir, clone, [anyBit(0, ns)])) {
      const r = allowRule(clone);
      if (r != null) {
        const d = diags.warning(Code.CloneNamespaces, r.span);
        suggestCondition(d, r, src, 'Allow clone only without namespace flags',
          'arg0 in ~(CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET)');
      }
    }
  }

  lintRequired(ir, src, diags);
  lintEperm(ir, src, diags);
}

/**
 * Offer `condition` in place of an unconditional allow written alone on its line (`name: 1`,
 * `name: allow`): the only case where the rewrite is mechanical.
 */
function suggestCondition(d: Diagnostic, r: Rule, src: PolicySource, title: string, condition: string): void {
  if (!r.unconditional) return;
  const stmt = src.stmtAt(r.file, r.start);
  if (stmt == null || !src.simple(stmt)) return;
  const f = stmt.filter(0);
  if (f.expr != null || (f.action != null && f.action!.kind != ActionKind.Allow)) return;
  d.suggestReplacement(title, f.span, condition);
}

function lintRequired(ir: PolicyIR, src: PolicySource, diags: Diagnostics): void {
  if (ir.defaultAction == RET_ALLOW) return;
  const text = src.sources.texts[0];
  const end = text.length;
  for (let i = 0; i < REQUIRED.length; i += 2) {
    const name = REQUIRED[i];
    if (!ir.arch.syscalls.has(name)) continue;
    const sc = find(ir, name);
    if (sc != null && allowedWhen(ir, sc, [])) continue;
    // Not tied to a line: the start of the main file, and the fix appends the rule at its end.
    // Built directly: Diagnostics.add would merge the three findings at this one position.
    const d = new Diagnostic(Code.MissingRequiredSyscall, Severity.Warning,
      formatTemplate(Code.MissingRequiredSyscall, [name, REQUIRED[i + 1]]), new Span(0, 0, min(1, end)));
    diags.list.push(d);
    const sep = end > 0 && text.charCodeAt(end - 1) != 10 ? '\n' : '';
    d.suggestReplacement('Allow ' + name, new Span(0, end, end), sep + name + ': 1\n');
  }
}

function lintEperm(ir: PolicyIR, src: PolicySource, diags: Diagnostics): void {
  if (!ir.arch.syscalls.has('clone3')) return;
  const eperm = RET_ERRNO | <u32>constant(ir, 'EPERM', 1);
  const sc = find(ir, 'clone3');
  if (sc == null) {
    // Unlisted, clone3 gets the default action: EPERM from --default-action "return EPERM".
    if (ir.defaultAction != eperm) return;
    const text = src.sources.texts[0];
    const end = text.length;
    const d = diags.warning(Code.EpermNotEnosys, new Span(0, 0, min(1, end)),
      ['clone3 (through the default action)', 'clone', 'creating a thread or process']);
    const sep = end > 0 && text.charCodeAt(end - 1) != 10 ? '\n' : '';
    d.suggestReplacement('Answer clone3 with ENOSYS', new Span(0, end, end), sep + 'clone3: return ENOSYS\n');
    return;
  }
  for (let i = 0; i < sc.rules.length; i++) {
    const r = sc.rules[i];
    const span = r.span;
    if (r.action != eperm || span == null) continue;
    const d = diags.warning(Code.EpermNotEnosys, span, ['clone3', 'clone', 'creating a thread or process']);
    const stmt = src.stmtAt(r.file, r.start);
    if (stmt == null) continue;
    // The `return N` of the filter this rule came from.
    for (let k = 0; k < stmt.filterCount; k++) {
      const a = stmt.filter(k).action;
      if (a == null || a.kind != ActionKind.Return || a.value == null) continue;
      if (a.start < r.start || a.start >= r.end) continue;
      const v = a.value!;
      d.suggestReplacement('Return ENOSYS', v.span, 'ENOSYS');
      break;
    }
  }
}
