// tsjail verify POLICY: prove that a program (tsjail's own, or --program FILE.bpf from any
// compiler) gives the policy's outcome for every input; exit 0 proven, 1 with a
// counterexample (or when no proof could be made), 2 on usage errors.

import { Command } from 'commander';
import { PolicyError, VerifyResult, formatDiagnostics, verifyPolicy } from '../policy/index';
import { fileResolver } from '../policy-node/index';
import { PolicyOptions, addPolicyOptions, includeMapOf, policyCompileOptions, resolveArchList } from './common';
import { ExitStatus, PolicyFailure } from './errors';
import { readInput } from './io';

interface VerifyCliOptions extends PolicyOptions {
  program?: string;
  json?: boolean;
}

const hex = (v: bigint) => '0x' + v.toString(16);

/** One paragraph a reviewer can act on. */
export function describeVerify(r: VerifyResult, what: string): string {
  if (r.status === 'proven' && r.arches) {
    const per = r.arches.map((a) => `${a.arch}: ${a.paths} paths, ${a.regions} regions`).join('; ');
    return `proven: ${what} (${r.insns} instructions, ${r.arches.length} arches) gives each arch's policy outcome for every input (${per}); any other arch gets the bad-arch action`;
  }
  if (r.status === 'proven') {
    return `proven: ${what} (${r.insns} instructions) gives the policy's outcome for every input (${r.paths} paths, ${r.regions} regions checked)`;
  }
  if (r.status === 'unproven') return `not proven${r.arch ? ` (${r.arch})` : ''}: ${r.reason ?? 'unknown reason'}`;
  const ce = r.counterexample;
  if (!ce) return `MISMATCH: ${what} differs from the policy${r.arch ? ` (${r.arch})` : ''}: ${r.reason ?? 'unknown reason'}`;
  const call = `${ce.syscall || '#' + ce.nr}(${ce.args.map(hex).join(', ')})`;
  const lines = [
    `MISMATCH: ${what} differs from the policy${r.arch ? ` of ${r.arch}` : ''}`,
    `  input:   arch=0x${ce.arch.toString(16)} nr=${ce.nr} ${call} ip=${hex(ce.ip)}`,
    `  program: ${ce.programAction}`,
    `  policy:  ${ce.policyAction}`,
  ];
  if (ce.rule) lines.push(`  rule:    ${ce.rule.file}:${ce.rule.line}:${ce.rule.column}: ${ce.rule.text}`);
  else lines.push('  rule:    (no rule matches: the default or arch action)');
  return lines.join('\n');
}

async function run(policy: string, opts: VerifyCliOptions): Promise<void> {
  const arch = await resolveArchList(opts.arch);
  const map = includeMapOf(opts);
  const input = await readInput(policy);
  if (input.kind === 'bpf') throw new PolicyFailure(`${input.path} is a BPF program; verify takes the policy (give the program with --program)`);
  let program: Uint8Array | undefined;
  if (opts.program !== undefined) {
    const p = await readInput(opts.program);
    if (p.kind !== 'bpf') throw new PolicyFailure(`${p.path} is not a BPF program (a whole number of 8-byte sock_filter records)`);
    program = p.program;
  }
  const r = await verifyPolicy(input.text, {
    arch, path: input.path, files: fileResolver(map), ...policyCompileOptions(opts),
    ...(program ? { program } : {}),
  });
  if (r.status === 'error') throw new PolicyError(r.diagnostics);
  const warnings = r.diagnostics.filter((d) => d.severity === 'warning');
  if (warnings.length > 0) process.stderr.write(formatDiagnostics(warnings) + '\n');
  if (opts.json) {
    process.stdout.write(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? hex(v) : v)) + '\n');
  } else {
    process.stdout.write(describeVerify(r, opts.program ?? `tsjail's program for ${input.path}`) + '\n');
  }
  if (r.status !== 'proven') throw new ExitStatus(1);
}

export function registerVerify(program: Command): void {
  const cmd = program
    .command('verify')
    .summary('prove a compiled filter equal to its policy for every input')
    .description('Prove that a BPF program gives the policy\'s outcome for every possible input (every arch ' +
      'value, syscall number and 64-bit argument), by walking the program\'s paths symbolically.\n\n' +
      'Without --program, checks tsjail\'s own output. Exit 0: proven; 1: a counterexample (or no ' +
      'proof), printed with the input, both outcomes and the policy line involved.')
    .argument('<policy>', 'policy file (- for stdin)')
    .option('--program <file.bpf>', 'check this program (e.g. from minijail or libseccomp) instead of tsjail\'s')
    .option('--json', 'print the result as JSON');
  addPolicyOptions(cmd, { verify: false }).action((policy: string, opts: VerifyCliOptions) => run(policy, opts));
}
