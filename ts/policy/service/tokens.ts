// The tokens of one policy file with the part each plays, from the core's lexer (the `tokens`
// export): what semantic highlighting paints and what the rest of the service reads context from.

import { withCore } from '../core';

/** The part a token plays; `newline` is the zero-width end of a logical line (continuations joined). */
export type TokenKind = 'syscall' | 'argument' | 'constant' | 'number' | 'operator' | 'action' | 'keyword' |
  'directive' | 'path' | 'comment' | 'punctuation' | 'invalid' | 'newline';

export interface PolicyToken {
  kind: TokenKind;
  /** UTF-16 offsets into the text, end exclusive. */
  start: number;
  end: number;
}

/** Every token of `text` in order, comments and logical line ends included. */
export async function policyTokens(text: string): Promise<PolicyToken[]> {
  const r = JSON.parse(await withCore((c) => c.tokens(text))) as { kinds: TokenKind[]; tokens: number[] };
  const out: PolicyToken[] = [];
  for (let i = 0; i < r.tokens.length; i += 3) out.push({ kind: r.kinds[r.tokens[i]], start: r.tokens[i + 1], end: r.tokens[i + 2] });
  return out;
}

/**
 * Index of the token at `offset` (one that contains it, or ends at it: the word being typed),
 * preferring a token that starts there; -1 when the offset is in blank space.
 */
export function tokenIndexAt(tokens: readonly PolicyToken[], offset: number): number {
  let lo = 0;
  let hi = tokens.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid].start <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  while (found >= 0 && tokens[found].kind === 'newline' && tokens[found].start === offset) found--;
  if (found < 0) return -1;
  const t = tokens[found];
  return offset <= t.end && t.kind !== 'newline' ? found : -1;
}
