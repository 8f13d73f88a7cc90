// tsjail compile POLICY: policy text -> a BPF program as raw sock_filter bytes, C or JSON.

import { Command, Option } from 'commander';
import { CompileResult, Diagnostic, PolicyError, decodeProgram, formatDiagnostics, toCHeader } from '../policy/index';
import { PolicyOptions, addPolicyOptions, includeMapOf, compileWithOptions, resolveArchList } from './common';
import { PolicyFailure, UsageError } from './errors';
import { readInput, writeOutput } from './io';
import { ioUringCallsAllowed, ioUringRisk } from '../jail/io-uring';
import { nodeArch } from '../jail/arch';

type Format = 'raw' | 'c' | 'json';

interface CompileCliOptions extends PolicyOptions {
  output?: string;
  format: Format;
  name: string;
}

export function toJson(r: CompileResult): string {
  let hex = '';
  for (const b of r.program) hex += b.toString(16).padStart(2, '0');
  return JSON.stringify({
    ok: r.ok,
    arch: r.arch,
    insns: r.insns,
    program: hex,
    filter: r.ok ? decodeProgram(r.program) : [],
    diagnostics: r.diagnostics,
    files: r.files,
    ...(r.verify ? { verify: r.verify } : {}),
    ...(r.arches && r.arches.length > 0 ? { arches: r.arches } : {}),
  }) + '\n';
}

function warn(diags: readonly Diagnostic[]): void {
  const w = diags.filter((d) => d.severity === 'warning');
  if (w.length > 0) process.stderr.write(formatDiagnostics(w) + '\n');
}

async function run(policy: string, opts: CompileCliOptions): Promise<void> {
  const arch = await resolveArchList(opts.arch);
  includeMapOf(opts);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(opts.name)) throw new UsageError(`--name "${opts.name}" is not a C identifier`);
  const toStdout = opts.output === undefined || opts.output === '-';
  if (opts.format === 'raw' && toStdout && process.stdout.isTTY) {
    throw new UsageError('refusing to write a binary program to a terminal; use -o FILE or --format c|json');
  }
  const input = await readInput(policy);
  if (input.kind === 'bpf') throw new PolicyFailure(`${input.path} is already a BPF program; compile takes policy text`);
  let r: CompileResult;
  try {
    r = await compileWithOptions(input.path, input.text, arch, opts);
  } catch (e) {
    // JSON consumers get the diagnostics on stdout too; the status still says it failed.
    if (e instanceof PolicyError && opts.format === 'json') {
      await writeOutput(opts.output, toJson({ ok: false, arch, program: new Uint8Array(0), insns: 0, diagnostics: [...e.diagnostics], files: [input.path] }));
    }
    throw e;
  }
  warn(r.diagnostics);
  const uring = [...new Set(r.arch.split(',').flatMap((a) => ioUringCallsAllowed(r.program, nodeArch(a) ?? a)))];
  if (uring.length) process.stderr.write(`tsjail: warning: ${ioUringRisk(uring)}\n`);
  const out = opts.format === 'raw' ? r.program : opts.format === 'c' ? toCHeader(r.program, r.arch, input.path, opts.name) : toJson(r);
  await writeOutput(opts.output, out);
}

export function registerCompile(program: Command): void {
  const cmd = program
    .command('compile')
    .summary('compile a seccomp policy to BPF')
    .description('Compile a minijail seccomp policy to a classic BPF program.\n\n' +
      'raw (default) writes the kernel\'s struct sock_filter array, 8 bytes per instruction: the same ' +
      '.bpf format minijail\'s compile_seccomp_policy writes and `minijail0 --seccomp-bpf-binary` reads. ' +
      'c writes a C header (the array and its struct sock_fprog); json writes ' +
      '{ok, arch, insns, program (hex), filter [{code, jt, jf, k}], diagnostics, files}; a multi-arch program ' +
      '(--arch x86_64,i386 or --arch all) adds arches [{arch, start, insns}].')
    .argument('<policy>', 'policy file (- for stdin)')
    .option('-o, --output <file>', 'write here instead of stdout')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['raw', 'c', 'json']).default('raw'))
    .option('--name <ident>', 'C identifier for --format c', 'tsjail_filter');
  addPolicyOptions(cmd).action((policy: string, opts: CompileCliOptions) => run(policy, opts));
}
