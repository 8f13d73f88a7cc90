// The semantic diff between two versions: which calls change verdict and for which arguments.
// The core states conditions with numbers (`arg1 == 0x5401`); the page names the values where
// the argument has well-known constants (ioctl requests, PROT_*...), from the core's argument
// table. To be replaced when tsjail/policy's diff names constants itself.

import { constants, diffPolicies, syscallArguments } from '../policy/index';
import type { DiffRow, DiffView, Workspace } from './protocol';
import { mainText, policyOptions } from './workspace';

/** Exact-value names for each argument of a syscall: arg index -> value -> name. */
async function argumentNames(arch: string, syscall: string): Promise<Map<number, Map<bigint, string>>> {
  const out = new Map<number, Map<bigint, string>>();
  const described = await syscallArguments(syscall);
  if (!described) return out;
  const table = await constants(arch);
  described.forEach((arg, i) => {
    const names = new Map<bigint, string>();
    for (const pattern of arg.constants) {
      const matches = pattern.endsWith('*') ? [...table.keys()].filter((n) => n.startsWith(pattern.slice(0, -1))) : [pattern];
      for (const n of matches) {
        const v = table.get(n);
        // Several names for one value: the first listed wins, as the pattern order is the man page's.
        if (v !== undefined && !names.has(v)) names.set(v, n);
      }
    }
    if (names.size > 0) out.set(i, names);
  });
  return out;
}

/** `arg1 == 0x5401` -> `arg1 == TCGETS (0x5401)` where arg1 has a constant of that value. */
export function nameValues(condition: string, names: Map<number, Map<bigint, string>>): string {
  return condition.replace(/arg([0-5])((?:\.lo|\.hi)?\)?\s*(?:==|!=|<=|>=|<|>|&)\s*)(0x[0-9a-f]+|\d+)/gi, (all, arg: string, mid: string, value: string) => {
    if (mid.includes('.hi')) return all;
    const name = names.get(Number(arg))?.get(BigInt(value));
    return name ? `arg${arg}${mid}${name} (${value})` : all;
  });
}

export async function diff(req: { old: Workspace; current: Workspace }): Promise<DiffView> {
  const arch = req.current.arch;
  const r = await diffPolicies(mainText(req.old), mainText(req.current), {
    // diffPolicies takes one file source for both versions: includes are the current set's.
    ...policyOptions(req.current), oldPath: req.old.main, newPath: req.current.main,
  });
  const errors = [
    ...r.diagnosticsOld.filter((d) => d.severity === 'error').map((d) => `saved version: ${d.formatted.split('\n')[0]}`),
    ...r.diagnosticsNew.filter((d) => d.severity === 'error').map((d) => `current version: ${d.formatted.split('\n')[0]}`),
  ];
  const rows: DiffRow[] = [];
  const cache = new Map<string, Map<number, Map<bigint, string>>>();
  for (const d of r.differences) {
    let names = cache.get(d.syscall);
    if (!names) cache.set(d.syscall, (names = d.syscall ? await argumentNames(arch, d.syscall) : new Map()));
    const syscall = d.scope === 'syscall' ? d.syscall : d.scope === 'numbers' ? 'unlisted numbers' : 'another arch';
    rows.push({
      syscall, nr: d.nr, condition: d.condition === '' ? 'every call' : nameValues(d.condition, names), old: d.old, new: d.new,
      example: `nr ${d.example.nr}, args ${d.example.args.map((a) => a.replace(/^0x0*(?=.)/, '0x')).join(', ')}`,
    });
  }
  return { ok: r.ok, complete: r.complete, errors, rows };
}
