// tsjail convert --to oci POLICY | --from oci PROFILE.json: between tsjail policies and OCI
// runtime-spec seccomp profiles. The conversion itself is tsjail/policy's; this only reads
// and writes files and prints what it says.

import { Command, Option } from 'commander';
import { PolicyError, formatDiagnostics } from '../policy/index';
import { exportOciProfile, OciProfile, profileJson } from '../policy/oci-export';
import { writeJson } from '../policy/oci-json';
import { fileResolver } from '../policy-node/index';
import { PolicyOptions, addPolicyOptions, includeMapOf, policyCompileOptions, resolveArch } from './common';
import { PolicyFailure, UsageError } from './errors';
import { readInput, writeOutput } from './io';

interface ConvertCliOptions extends PolicyOptions {
  to?: string;
  from?: string;
  output?: string;
  approximate?: boolean;
  caps?: string;
  kernel?: string;
}

async function toOci(policy: string, opts: ConvertCliOptions): Promise<void> {
  const archList = (opts.arch ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const archesWanted = archList.length > 0 ? archList : [undefined];
  const input = await readInput(policy);
  if (input.kind === 'bpf') throw new PolicyFailure(`${input.path} is a BPF program; convert --to oci takes a policy`);
  const map = includeMapOf(opts);
  const profiles: OciProfile[] = [];
  for (const want of archesWanted) {
    const arch = await resolveArch(want);
    const r = await exportOciProfile(input.text, {
      arch, path: input.path, files: fileResolver(map), ...policyCompileOptions(opts), approximate: !!opts.approximate,
    });
    if (r.diagnostics.some((d) => d.severity === 'error')) throw new PolicyError(r.diagnostics);
    const warnings = r.diagnostics.filter((d) => d.severity === 'warning');
    if (warnings.length > 0) process.stderr.write(formatDiagnostics(warnings) + '\n');
    for (const p of r.problems) {
      const where = `${p.rule.file}:${p.rule.line}:${p.rule.column}`;
      const sev = p.approximation ? 'warning' : 'error';
      process.stderr.write(`${where}: ${sev}: ${p.syscall} (${arch}): cannot be written as an OCI rule: ${p.reason}` +
        (p.approximation ? `; approximated: ${p.approximation}` : '') + '\n');
    }
    if (!r.profile) {
      const denyward = r.problems.every((p) => p.approximation !== undefined || !opts.approximate);
      throw new PolicyFailure(opts.approximate && !denyward
        ? `no profile written: a rule above denies more than the default action, so leaving it out would allow more (--approximate only errs on the side of denying)`
        : 'no profile written: the policy has rules that OCI profiles cannot express exactly (--approximate leaves them out, so those calls get the default action)');
    }
    profiles.push(r.profile);
  }
  // Rules compared by meaning: names sorted, entries sorted (syscall numbers differ per arch).
  const canon = (p: OciProfile) => writeJson(profileJson({
    ...p, architectures: [],
    syscalls: p.syscalls.map((r) => ({ ...r, names: [...r.names].sort() })).sort((x, y) => (writeJson(profileJson({ ...p, architectures: [], syscalls: [x] })) < writeJson(profileJson({ ...p, architectures: [], syscalls: [y] })) ? -1 : 1)),
  }));
  const merged = profiles[0];
  for (const p of profiles.slice(1)) {
    const same = canon(p) === canon(merged);
    if (!same) {
      throw new PolicyFailure(`the policy means different rules on ${p.architectures[0]} and ${merged.architectures[0]}; ` +
        'one profile lists one rule set for all its architectures: convert one arch at a time');
    }
    merged.architectures.push(...p.architectures);
  }
  await writeOutput(opts.output, writeJson(profileJson(merged)) + '\n');
}

async function run(file: string, opts: ConvertCliOptions): Promise<void> {
  if ((opts.to === undefined) === (opts.from === undefined)) throw new UsageError('give exactly one of --to oci or --from oci');
  if (opts.to !== undefined) return toOci(file, opts);
  const { fromOci } = await import('./convert-from');
  return fromOci(file, opts);
}

export function registerConvert(program: Command): void {
  const cmd = program
    .command('convert')
    .summary('convert between policies and OCI seccomp profiles (Docker, Podman, Kubernetes)')
    .description('--to oci POLICY: write an OCI runtime-spec seccomp profile with the same meaning (one ' +
      'arch, or --arch A,B for one profile listing several when the rules agree). Rules a profile cannot ' +
      'express are named and refused unless --approximate, which leaves them out on the side of denying.\n\n' +
      '--from oci PROFILE.json: write a tsjail policy for one arch, with the capabilities and kernel ' +
      'version a runtime would assume (Docker\'s includes/excludes).')
    .argument('<input>', 'policy (--to) or profile JSON (--from); - for stdin')
    .addOption(new Option('--to <format>', 'write this format').choices(['oci']))
    .addOption(new Option('--from <format>', 'read this format').choices(['oci']))
    .option('-o, --output <file>', 'write here instead of stdout')
    .option('--approximate', '--to: leave out rules a profile cannot express (their calls get the default action)')
    .option('--caps <caps>', '--from: capabilities the container has (CAP_SYS_ADMIN,CAP_NET_ADMIN...; default none)')
    .option('--kernel <X.Y>', '--from: kernel version for minKernel (default 6.1)');
  addPolicyOptions(cmd, { verify: false }).action((file: string, opts: ConvertCliOptions) => run(file, opts));
}
