// tsjail diff OLD NEW: the exact set of calls whose outcome changes between two policies,
// grouped per syscall. Exit 0 (or, with --exit-code, 1 when they differ), 1 on policy errors.

import { Command } from 'commander';
import { DiffResult, PolicyDifference, PolicyError, diffPolicies } from '../policy/index';
import { fileResolver } from '../policy-node/index';
import { PolicyOptions, addPolicyOptions, includeMapOf, policyCompileOptions, resolveArchList } from './common';
import { ExitStatus, PolicyFailure } from './errors';
import { readInput } from './io';

interface DiffCliOptions extends PolicyOptions {
  json?: boolean;
  exitCode?: boolean;
}

function sizeNote(d: PolicyDifference): string {
  return d.log2Count >= 16 ? ` (about 2^${Math.round(d.log2Count)} argument values)` : '';
}

/**
 * Readable report: one block per syscall (prefixed with its arch when several were compared),
 * one line per region, each region's condition per whole argument with constant names.
 */
export function describeDiff(r: DiffResult): string {
  if (r.differences.length === 0) return 'no difference: the two policies give the same outcome for every call';
  const multi = r.arch.includes(',');
  const groups = new Map<string, PolicyDifference[]>();
  for (const d of r.differences) {
    const key = (multi ? `${d.arch} ` : '') + (d.scope === 'syscall' ? `${d.syscall} (${d.nr})` : d.scope === 'numbers' ? 'unlisted syscall numbers' : 'foreign architectures');
    const list = groups.get(key) ?? [];
    list.push(d);
    groups.set(key, list);
  }
  const out: string[] = [];
  for (const [key, list] of groups) {
    out.push(`${key}:`);
    for (const d of list) out.push(`  ${d.condition || 'every call'}: ${d.old} -> ${d.new}${sizeNote(d)}`);
  }
  if (!r.complete) out.push('(analysis budget reached: the list above is incomplete)');
  return out.join('\n');
}

async function run(oldPath: string, newPath: string, opts: DiffCliOptions): Promise<void> {
  const arch = await resolveArchList(opts.arch);
  const map = includeMapOf(opts);
  const a = await readInput(oldPath);
  const b = await readInput(newPath);
  if (a.kind === 'bpf' || b.kind === 'bpf') throw new PolicyFailure('diff compares policies, not BPF programs');
  const r = await diffPolicies(a.text, b.text, {
    arch, oldPath: a.path, newPath: b.path, files: fileResolver(map), ...policyCompileOptions(opts),
  });
  if (!r.ok) throw new PolicyError([...r.diagnosticsOld, ...r.diagnosticsNew].filter((d) => d.severity === 'error'));
  if (opts.json) {
    // Argument bounds and masks are u64: written as 0x-hex strings, as `example.args` are.
    const json = JSON.stringify({ arch: r.arch, complete: r.complete, differences: r.differences }, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
    process.stdout.write(json + '\n');
  } else {
    process.stdout.write(describeDiff(r) + '\n');
  }
  if (opts.exitCode && r.differences.length > 0) throw new ExitStatus(1);
}

export function registerDiff(program: Command): void {
  const cmd = program
    .command('diff')
    .summary('what a policy change allows or forbids, exactly')
    .description('Compare two policies by meaning: every region of calls (syscall and argument values) ' +
      'whose outcome changes, grouped per syscall. Reordered, reformatted or redundant rules give no ' +
      'difference.')
    .argument('<old>', 'the old policy')
    .argument('<new>', 'the new policy')
    .option('--json', 'print the differences as JSON (for dashboards)')
    .option('--exit-code', 'exit 1 when the policies differ');
  addPolicyOptions(cmd, { verify: false }).action((o: string, n: string, opts: DiffCliOptions) => run(o, n, opts));
}
