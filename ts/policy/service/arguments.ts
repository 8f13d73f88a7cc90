// What the arguments of well-known syscalls are called and which named constants fit each (the
// core's `syscallArguments` table, from the man pages' prototypes), matched against an arch's
// constant table.

import { withCore } from '../core';

export interface SyscallArgument {
  name: string;
  /** Constant names or prefixes ending in `*` (PROT_*) that fit the argument; [] when not known. */
  constants: string[];
}

const cache = new Map<string, SyscallArgument[] | null>();

/** A syscall's argument names (in order) and fitting constants, or null when the core does not list it. */
export async function syscallArguments(name: string): Promise<SyscallArgument[] | null> {
  let r = cache.get(name);
  if (r === undefined) {
    const json = await withCore((c) => c.syscallArguments(name));
    r = json === '' ? null : (JSON.parse(json) as SyscallArgument[]);
    cache.set(name, r);
  }
  return r;
}

/** The names of `constants` that fit the patterns (a name, or a prefix ending in `*`). */
export function constantsMatching(patterns: readonly string[], constants: Iterable<string>): string[] {
  const exact = new Set(patterns.filter((p) => !p.endsWith('*')));
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  const out: string[] = [];
  for (const c of constants) if (exact.has(c) || prefixes.some((p) => c.startsWith(p))) out.push(c);
  return out.sort();
}
