// tsjail diff OLD NEW: the exact set of calls whose outcome changes between two policies,
// grouped per syscall. Exit 0 (or, with --exit-code, 1 when they differ), 1 on policy errors.

import { Command } from 'commander';
import { PolicyError, describeDiff, diffPolicies } from '../policy/index';
import { fileResolver } from '../policy-node/index';
import { PolicyOptions, addPolicyOptions, includeMapOf, policyCompileOptions, resolveArchList } from './common';
import { ExitStatus, PolicyFailure } from './errors';
import { readInput } from './io';

interface DiffCliOptions extends PolicyOptions {
  json?: boolean;
  exitCode?: boolean;
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
