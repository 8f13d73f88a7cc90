// Options of one compile request (set from the host through index.ts flags).

import { RET_KILL_PROCESS } from './actions';

export class CompileOptions {
  /**
   * Meaning of `name: EXPR; return N`. false (default) = minijail0's runtime parser:
   * allow when EXPR holds, else errno N. true = compile_seccomp_policy's meaning: errno N
   * when EXPR holds, else the next rule / default.
   */
  returnOnMatch: bool = false;
  /** What the `kill` action and the implicit default mean. */
  killAction: u32 = RET_KILL_PROCESS;
  /** Replaces the policy's @default (may be permissive), or '' for none. Policy syntax: `log`, `return 5`. */
  defaultActionOverride: string = '';
  /** Maximum @include nesting below the main file. */
  includeDepthLimit: i32 = 8;
  /** Run the symbolic verifier on the emitted program (docs/verify.md). */
  verify: bool = false;
}

// The request flags that set these options are generated (abi.ts, from wasm/abi.json).
export { FLAG_RETURN_ON_MATCH, FLAG_KILL_THREAD, FLAG_VERIFY, FLAG_CHECK_ONLY } from './abi';
