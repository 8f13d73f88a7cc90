// The language service: what an editor asks about a policy (tokens, outline, the rule and token
// at an offset, completions, hover, lint with fixes, formatting, simulation naming the rule).
// Browser-safe: @include files come from the options' map or resolver, as for lintPolicy.

export { PolicyDocument } from './document';
export type { ServiceSimulation } from './document';
export { policyTokens, tokenIndexAt } from './tokens';
export type { PolicyToken, TokenKind } from './tokens';
export { policyOutline, symbolAt } from './outline';
export type { PolicySymbol, PolicySymbolKind } from './outline';
export { ACTION_WORDS, DIRECTIVE_NAMES } from './completion';
export type { PolicyCompletion, CompletionKind } from './completion';
export type { PolicyHover } from './hover';
export { syscallArguments } from './arguments';
export type { SyscallArgument } from './arguments';
