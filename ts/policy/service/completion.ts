// Completions at an offset, from the statement's tokens: what may come next there in the
// language (docs/policy-language.md) and what the arch's tables hold.

import { ACTION_NAMES } from '../abi';
import { ArchTables } from '../tables';
import { constantsMatching, syscallArguments } from './arguments';
import { PolicySymbol, symbolAt } from './outline';
import { PolicyToken, tokenIndexAt } from './tokens';

export type CompletionKind = 'syscall' | 'directive' | 'argument' | 'operator' | 'constant' | 'errno' | 'action' | 'keyword';

export interface PolicyCompletion {
  label: string;
  kind: CompletionKind;
  /** One line: a syscall's number, an argument's name, a constant's value. */
  detail?: string;
  /** The stretch the completion replaces (the word being typed; empty at a fresh position). */
  start: number;
  end: number;
}

/** The directives a statement may start with. */
export const DIRECTIVE_NAMES = ['@include', '@frequency', '@default', '@denylist'] as const;
const OPERATORS = ['==', '!=', '<', '<=', '>', '>=', '&', 'in'];
/** The action words of a rule (minijail's names; `return N` is the errno action). */
export const ACTION_WORDS = ['allow', 'kill', 'kill-process', 'kill-thread', 'trap', 'trace', 'log', 'user-notify'];

/** errno names of an arch's constant table (E + capitals, below 4096; EPOLL* are not errnos). */
export function errnoNames(t: ArchTables): string[] {
  return [...t.constants].filter(([n, v]) => /^E[A-Z0-9]+$/.test(n) && !n.startsWith('EPOLL') && v > 0n && v < 4096n).map(([n]) => n).sort();
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

interface Context { symbol?: PolicySymbol; prev?: PolicyToken; start: number; end: number }

function context(tokens: readonly PolicyToken[], symbols: readonly PolicySymbol[], offset: number): Context | 'comment' {
  const at = tokenIndexAt(tokens, offset);
  let start = offset;
  let end = offset;
  let before = at;
  if (at >= 0) {
    const t = tokens[at];
    if (t.kind === 'comment' && offset > t.start) return 'comment';
    if (t.kind === 'syscall' || t.kind === 'constant' || t.kind === 'argument' || t.kind === 'action' || t.kind === 'directive' || t.kind === 'keyword' || t.kind === 'invalid' || t.kind === 'path') {
      start = t.start;
      end = t.end;
      before = at - 1;
    } else if (offset === t.start) {
      before = at - 1;
    }
  } else {
    before = -1;
    for (let i = 0; i < tokens.length && tokens[i].end <= offset; i++) before = i;
  }
  let prev: PolicyToken | undefined;
  for (let i = before; i >= 0; i--) {
    const t = tokens[i];
    // A line end at or after the offset ends the statement being typed, not a previous one.
    if (t.kind === 'newline' && t.start < offset) break;
    if (t.kind === 'newline') continue;
    if (t.kind === 'comment') continue;
    prev = t;
    break;
  }
  // The statement being typed is the one the previous token belongs to (the offset may be past its end).
  const symbol = symbolAt(symbols, prev ? prev.start : start);
  return { symbol, prev, start, end };
}

/**
 * Completions at `offset` of `text`: syscall names and directives where a statement starts,
 * `arg0`..`arg5`, actions and `return` in a filter, operators after an argument, the constants
 * that fit the compared argument (all constants when the syscall's arguments are not known),
 * errno names after `return`, actions after `@default`.
 */
export async function completionsAt(text: string, tokens: readonly PolicyToken[], symbols: readonly PolicySymbol[],
  offset: number, t: ArchTables): Promise<PolicyCompletion[]> {
  const ctx = context(tokens, symbols, offset);
  if (ctx === 'comment') return [];
  const { prev, start, end, symbol } = ctx;
  const item = (label: string, kind: CompletionKind, detail?: string): PolicyCompletion =>
    detail === undefined ? { label, kind, start, end } : { label, kind, detail, start, end };
  const actions = () => [...ACTION_WORDS.map((a) => item(a, 'action')), item('return', 'keyword', 'return an errno: return EPERM')];
  if (!prev) {
    const out = [...t.syscalls].sort((a, b) => a[1] - b[1]).map(([n, nr]) => item(n, 'syscall', `syscall ${nr} on ${t.name}`));
    for (const d of DIRECTIVE_NAMES) out.push(item(d, 'directive'));
    return out;
  }
  const word = text.slice(prev.start, prev.end);
  if (prev.kind === 'directive') return word === '@default' ? actions() : [];
  if (prev.kind === 'keyword') return errnoNames(t).map((n) => item(n, 'errno', `${t.constants.get(n)}`));
  if (prev.kind === 'argument') return OPERATORS.map((o) => item(o, 'operator'));
  if (prev.kind === 'operator' && word !== '||' && word !== '&&') {
    return (await fittingConstants(text, tokens, symbol, prev, t)).map((n) => item(n, 'constant', hex(t.constants.get(n) ?? 0n)));
  }
  if (word === ':' || word === '||' || word === '&&' || word === '(' || word === '{' || word === ',') {
    const args = symbol && symbol.kind === 'rule' ? await syscallArguments(symbol.name) : null;
    const out = [0, 1, 2, 3, 4, 5].map((i) => item(`arg${i}`, 'argument', args?.[i]?.name));
    if (word === ':' || word === '{' || word === ',') out.push(...actions());
    return out;
  }
  if (word === ';') return [item('return', 'keyword', 'return an errno: return EPERM')];
  return [];
}

/** The constants that fit the argument compared just before `prev` in the statement. */
async function fittingConstants(text: string, tokens: readonly PolicyToken[], symbol: PolicySymbol | undefined,
  prev: PolicyToken, t: ArchTables): Promise<string[]> {
  let arg = -1;
  if (symbol && symbol.kind === 'rule') {
    for (let i = symbol.tokens[1]; i >= symbol.tokens[0]; i--) {
      const tok = tokens[i];
      if (tok.start > prev.start) continue;
      if (tok.kind === 'argument') {
        arg = Number(text.slice(tok.start + 3, tok.end));
        break;
      }
      const w = text.slice(tok.start, tok.end);
      if (w === '||' || w === '&&' || w === ':') break;
    }
  }
  const args = arg >= 0 && symbol ? await syscallArguments(symbol.name) : null;
  const patterns = args?.[arg]?.constants ?? [];
  if (patterns.length > 0) {
    const fit = constantsMatching(patterns, t.constants.keys());
    if (fit.length > 0) return fit;
  }
  return [...t.constants.keys()].sort();
}
