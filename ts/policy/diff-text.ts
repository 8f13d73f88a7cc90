// A diff's differences as people read them: what each one concerns (`write (1)`, `unlisted
// syscall numbers`) and its condition. One wording for `tsjail diff` and the review page, so a
// reviewer sees the same lines in either.

import type { DiffResult, PolicyDifference } from './verify';

/** The calls a difference concerns: `ioctl (16)`, prefixed with the arch when several were compared. */
export function differenceSubject(d: PolicyDifference, multiArch: boolean): string {
  const what = d.scope === 'syscall' ? `${d.syscall} (${d.nr})` : d.scope === 'numbers' ? 'unlisted syscall numbers' : 'foreign architectures';
  return (multiArch ? `${d.arch} ` : '') + what;
}

/** The difference's condition with constant names; `every call` when it has none. */
export function differenceCondition(d: PolicyDifference): string {
  return d.condition || 'every call';
}

function sizeNote(d: PolicyDifference): string {
  return d.log2Count >= 16 ? ` (about 2^${Math.round(d.log2Count)} argument values)` : '';
}

/**
 * Readable report: one block per subject, one line per region (`  arg1 == TIOCGWINSZ:
 * kill-process -> allow`), then a note when the analysis hit its budget.
 */
export function describeDiff(r: DiffResult): string {
  if (r.differences.length === 0) return 'no difference: the two policies give the same outcome for every call';
  const multi = r.arch.includes(',');
  const groups = new Map<string, PolicyDifference[]>();
  for (const d of r.differences) {
    const key = differenceSubject(d, multi);
    const list = groups.get(key) ?? [];
    list.push(d);
    groups.set(key, list);
  }
  const out: string[] = [];
  for (const [key, list] of groups) {
    out.push(`${key}:`);
    for (const d of list) out.push(`  ${differenceCondition(d)}: ${d.old} -> ${d.new}${sizeNote(d)}`);
  }
  if (!r.complete) out.push('(analysis budget reached: the list above is incomplete)');
  return out.join('\n');
}
