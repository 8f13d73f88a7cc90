// The outline of one policy file: one symbol per statement (a rule, an @include, an
// @frequency, @default, @denylist), found from the core's tokens (statements are logical lines).

import type { PolicyToken } from './tokens';

export type PolicySymbolKind = 'rule' | 'include' | 'frequency' | 'default' | 'denylist' | 'directive';

export interface PolicySymbol {
  kind: PolicySymbolKind;
  /** The syscall name of a rule, the path of an @include/@frequency, the directive otherwise. */
  name: string;
  /** The whole statement (first token to last, comments excluded). */
  start: number;
  end: number;
  /** The name's own stretch (the syscall, the path, or the directive). */
  nameStart: number;
  nameEnd: number;
  /** Indices of the statement's tokens in the token list: [first, last]. */
  tokens: [number, number];
}

const DIRECTIVES: Record<string, PolicySymbolKind> = {
  '@include': 'include', '@frequency': 'frequency', '@default': 'default', '@denylist': 'denylist',
};

/** The statements of a file, in order. */
export function policyOutline(text: string, tokens: readonly PolicyToken[]): PolicySymbol[] {
  const out: PolicySymbol[] = [];
  let first = -1;
  let last = -1;
  const close = () => {
    if (first < 0) return;
    const head = tokens[first];
    const word = text.slice(head.start, head.end);
    let kind: PolicySymbolKind = 'rule';
    let nameTok = head;
    if (head.kind === 'directive') {
      kind = DIRECTIVES[word] ?? 'directive';
      const next = tokens[first + 1];
      if ((kind === 'include' || kind === 'frequency') && first < last && next.kind === 'path') nameTok = next;
    }
    out.push({
      kind, name: text.slice(nameTok.start, nameTok.end), start: head.start, end: tokens[last].end,
      nameStart: nameTok.start, nameEnd: nameTok.end, tokens: [first, last],
    });
    first = -1;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'newline') {
      close();
      continue;
    }
    if (t.kind === 'comment') continue;
    if (first < 0) first = i;
    last = i;
  }
  close();
  return out;
}

/** The statement whose stretch holds `offset` (its end included), or undefined. */
export function symbolAt(symbols: readonly PolicySymbol[], offset: number): PolicySymbol | undefined {
  let lo = 0;
  let hi = symbols.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = symbols[mid];
    if (offset < s.start) hi = mid - 1;
    else if (offset > s.end) lo = mid + 1;
    else return s;
  }
  return undefined;
}
