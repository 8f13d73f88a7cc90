// The semantic diff between two versions: which calls change verdict and for which arguments.
// Subjects and conditions (with constant names) are the library's, worded as `tsjail diff`
// prints them.

import { diffPolicies, differenceCondition, differenceSubject } from '../policy/index';
import type { DiffRow, DiffView, Workspace } from './protocol';
import { mainText, policyOptions } from './workspace';

export async function diff(req: { old: Workspace; current: Workspace }): Promise<DiffView> {
  const r = await diffPolicies(mainText(req.old), mainText(req.current), {
    // diffPolicies takes one file source for both versions: includes are the current set's.
    ...policyOptions(req.current), oldPath: req.old.main, newPath: req.current.main,
  });
  const errors = [
    ...r.diagnosticsOld.filter((d) => d.severity === 'error').map((d) => `saved version: ${d.formatted.split('\n')[0]}`),
    ...r.diagnosticsNew.filter((d) => d.severity === 'error').map((d) => `current version: ${d.formatted.split('\n')[0]}`),
  ];
  const multi = r.arch.includes(',');
  const rows: DiffRow[] = r.differences.map((d) => ({
    subject: differenceSubject(d, multi), condition: differenceCondition(d), old: d.old, new: d.new,
    example: `nr ${d.example.nr}, args ${d.example.args.map((a) => a.replace(/^0x0*(?=.)/, '0x')).join(', ')}`,
  }));
  return { ok: r.ok, complete: r.complete, errors, rows };
}
