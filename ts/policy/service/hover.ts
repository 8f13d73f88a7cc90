// Hover text at an offset, as Markdown: a syscall's number on every arch and its argument names,
// an argument's name, a constant's value on every arch, an action or directive's meaning, and for
// a rule what it compiles to (its clauses and action in the IR), what deciding the call costs
// (instructions the compiled program runs) and the lint findings on it.

import type { Diagnostic } from '../diagnostics';
import type { IRComparison, IRRule, PolicyIR } from '../analyze';
import { arches, tables } from '../tables';
import { syscallArguments } from './arguments';
import type { PolicySymbol } from './outline';
import type { PolicyToken } from './tokens';

export interface PolicyHover {
  /** The stretch the hover is about. */
  start: number;
  end: number;
  /** Markdown. */
  markdown: string;
}

/** What a rule costs and what lint says about it: the parts of a rule's hover that need the whole policy. */
export interface RuleFacts {
  /** The policy's IR (null when it did not resolve). */
  ir: PolicyIR | null;
  /** Instructions the compiled program runs to decide this syscall with all arguments 0 (undefined: not compiled). */
  insns?: number;
  /** What that call gets (`allow`, `errno 1`...). */
  verdict?: string;
  /** Lint findings and diagnostics whose range meets the rule. */
  findings: Diagnostic[];
}

const ACTIONS: Record<string, string> = {
  allow: 'let the call run (SECCOMP_RET_ALLOW)',
  kill: 'kill the process (SECCOMP_RET_KILL_PROCESS; the thread with the kill-thread option)',
  'kill-process': 'kill the whole process (SECCOMP_RET_KILL_PROCESS)',
  'kill-thread': 'kill the calling thread (SECCOMP_RET_KILL_THREAD)',
  trap: 'send SIGSYS to the thread (SECCOMP_RET_TRAP)',
  trace: 'notify a ptrace tracer (SECCOMP_RET_TRACE); without one the call fails with ENOSYS',
  log: 'log the call and let it run (SECCOMP_RET_LOG)',
  'user-notify': 'ask the supervisor listening on the filter\'s notification fd (SECCOMP_RET_USER_NOTIF)',
  return: 'fail the call with the errno that follows (SECCOMP_RET_ERRNO)',
};

const DIRECTIVES: Record<string, string> = {
  '@include': 'read the rules of another policy file here (a path; relative paths resolve against this file)',
  '@frequency': 'a file of `syscall: count` lines: how often each call is made, to order the program\'s search',
  '@default': 'the action for calls no rule allows (`@default kill`, `@default return EPERM`, `@default log`...)',
  '@denylist': 'the policy lists calls to refuse; everything else is allowed',
};

const hex = (v: bigint) => `0x${v.toString(16)}`;

async function perArch(lookup: (t: NonNullable<Awaited<ReturnType<typeof tables>>>) => string | undefined, current: string): Promise<string[]> {
  const lines: string[] = [];
  for (const a of await arches()) {
    const t = await tables(a);
    const v = t ? lookup(t) : undefined;
    lines.push(`${a === current ? `**${a}**` : a}: ${v ?? '—'}`);
  }
  return lines;
}

function comparisonText(c: IRComparison): string {
  return `arg${c.arg} ${c.op} ${hex(c.value)}`;
}

function ruleText(r: IRRule): string {
  const cond = r.clauses.length === 0 ? 'always' : r.clauses.map((cl) => cl.map(comparisonText).join(' && ')).join(' || ');
  return `${cond} → ${r.action.text}`;
}

/** The hover of one token (`index` into `tokens`) in its statement; undefined when there is nothing to say. */
export async function hoverAt(text: string, tokens: readonly PolicyToken[], index: number, symbol: PolicySymbol | undefined,
  arch: string, rule: () => Promise<RuleFacts>): Promise<PolicyHover | undefined> {
  const tok = tokens[index];
  const word = text.slice(tok.start, tok.end);
  const at = (markdown: string): PolicyHover => ({ start: tok.start, end: tok.end, markdown });
  switch (tok.kind) {
    case 'syscall': {
      const parts = [`**${word}** (syscall; arch ${arch})`];
      const args = await syscallArguments(word);
      if (args) parts.push(`\`${word}(${args.map((a) => a.name).join(', ')})\``);
      parts.push(`Number per arch: ${(await perArch((t) => t.syscalls.get(word)?.toString(), arch)).join(', ')}`);
      if (symbol && symbol.kind === 'rule') parts.push(...ruleParts(word, await rule()));
      return at(parts.join('\n\n'));
    }
    case 'argument': {
      const n = Number(word.slice(3));
      const args = symbol && symbol.kind === 'rule' ? await syscallArguments(symbol.name) : null;
      const name = args?.[n]?.name;
      const fits = args?.[n]?.constants.length ? ` Constants that fit: ${args[n].constants.join(', ')}.` : '';
      return at(`**${word}**: argument ${n}${name ? ` (\`${name}\`)` : ''}${symbol ? ` of ${symbol.name}` : ''}.${fits}`);
    }
    case 'constant': {
      const lines = await perArch((t) => { const v = t.constants.get(word); return v === undefined ? undefined : `${hex(v)} (${v})`; }, arch);
      return at(`**${word}** (constant; arch ${arch})\n\n${lines.join('  \n')}`);
    }
    case 'number': {
      try {
        const v = BigInt(word.startsWith('0') && /^-?0[0-7]+$/.test(word) ? `0o${word.slice(1)}` : word);
        return at(`${word} = ${v} = ${hex(BigInt.asUintN(64, v))}`);
      } catch {
        return undefined;
      }
    }
    case 'action':
    case 'keyword':
      return ACTIONS[word] ? at(`**${word}**: ${ACTIONS[word]}`) : undefined;
    case 'directive':
      return DIRECTIVES[word] ? at(`**${word}**: ${DIRECTIVES[word]}`) : at(`**${word}**: not a directive this language knows`);
    default:
      return undefined;
  }
}

function ruleParts(name: string, facts: RuleFacts): string[] {
  const out: string[] = [];
  const sc = facts.ir?.syscalls.find((s) => s.name === name);
  if (sc) {
    out.push(`Compiles to (first match wins, else ${facts.ir!.defaultAction.text}):\n\n${sc.rules.map((r) => `- \`${ruleText(r)}\``).join('\n')}`);
  }
  if (facts.insns !== undefined) out.push(`Cost: ${facts.insns} BPF instructions to decide \`${name}\` with all arguments 0 (→ ${facts.verdict}).`);
  if (facts.findings.length > 0) out.push(`Lint:\n\n${facts.findings.map((d) => `- ${d.severity} ${d.code}: ${d.message}`).join('\n')}`);
  return out;
}
