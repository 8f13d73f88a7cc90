// tsjail lint POLICY...: the policy's errors and warnings plus the lint findings (docs/lint.md),
// one line each (`file:line:col: severity code: message`), or with --format json exactly
// [{file, line, column, endLine, endColumn, code, severity, message, fix?}]. Exit 1 when there
// are errors, 0 otherwise (warnings only), 2 on usage errors.

import { Command, Option } from 'commander';
import { Diagnostic, Suggestion, lintPolicy } from '../policy/index';
import { fileResolver } from '../policy-node/index';
import { PolicyOptions, addPolicyOptions, includeMapOf, policyCompileOptions, resolveArchList } from './common';
import { EXIT_FAILURE, ExitStatus, PolicyFailure } from './errors';
import { readInput, writeOutput } from './io';

interface LintCliOptions extends PolicyOptions {
  format?: 'text' | 'json';
}

/** One finding of `--format json`. */
export interface LintFinding {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  code: number;
  severity: 'error' | 'warning';
  message: string;
  /**
   * Several arches (--arch A,B or all): the arches that make this finding, comma-separated;
   * absent when every linted arch makes it. The message then ends with `(on ARCHES)`.
   */
  arch?: string;
  /** The first suggested fix, as the core gives it: apply all its edits at once. */
  fix?: Suggestion;
}

/**
 * A diagnostic as a finding; one without a position (a request-level error) is placed at the
 * file's start. `arches`: every arch linted (a finding they all make names none).
 */
export function toFinding(d: Diagnostic, path: string, arches?: string): LintFinding {
  const f: LintFinding = {
    file: d.file ?? path,
    line: d.line ?? 1,
    column: d.column ?? 1,
    endLine: d.endLine ?? d.line ?? 1,
    endColumn: d.endColumn ?? d.column ?? 1,
    code: d.code,
    severity: d.severity,
    message: d.message,
  };
  if (d.arch !== undefined && d.arch !== arches) {
    f.arch = d.arch;
    f.message = `${d.message} (on ${d.arch})`;
  }
  if (d.suggestions && d.suggestions.length > 0) f.fix = d.suggestions[0];
  return f;
}

export function findingLine(f: LintFinding): string {
  return `${f.file}:${f.line}:${f.column}: ${f.severity} ${f.code}: ${f.message}`;
}

async function run(policies: string[], opts: LintCliOptions): Promise<void> {
  const arch = await resolveArchList(opts.arch);
  const map = includeMapOf(opts);
  const compileOpts = policyCompileOptions(opts);
  const all: LintFinding[] = [];
  for (const policy of policies) {
    const input = await readInput(policy);
    if (input.kind === 'bpf') throw new PolicyFailure(`${input.path} is a BPF program; lint takes policy text`);
    const r = await lintPolicy(input.text, { arch, path: input.path, files: fileResolver(map), ...compileOpts });
    all.push(...r.diagnostics.map((d) => toFinding(d, input.path, r.arch)));
  }
  if (opts.format === 'json') await writeOutput(undefined, JSON.stringify(all, null, 2) + '\n');
  else if (all.length > 0) await writeOutput(undefined, all.map(findingLine).join('\n') + '\n');
  if (all.some((f) => f.severity === 'error')) throw new ExitStatus(EXIT_FAILURE);
}

export function registerLint(program: Command): void {
  const cmd = program
    .command('lint')
    .summary('find risky or meaningless rules in a policy (findings with fixes)')
    .description('Report a policy\'s errors and warnings and the lint findings: dangerous calls allowed without ' +
      'conditions, mmap/mprotect without W^X, rules that never match, repeat or widen earlier ones, unknown ' +
      '[arch=...] names, the ambiguous `EXPR; return N`, calls every program needs but the policy lacks, ' +
      'clone3 answered with EPERM. One line per finding: file:line:col: severity code: message (codes in docs/lint.md). ' +
      '--arch also takes a list (x86_64,aarch64) or all: each arch is linted, and a finding only some make ends with (on ARCHES).\n\n' +
      'Exit 0: no errors (warnings allowed); 1: errors; 2: usage errors.')
    .argument('<policy...>', 'policy files (- for stdin)')
    .addOption(new Option('--format <format>', 'text, or json: [{file, line, column, endLine, endColumn, code, severity, message, fix?}]')
      .choices(['text', 'json']).default('text'));
  addPolicyOptions(cmd, { verify: false }).action((policies: string[], opts: LintCliOptions) => run(policies, opts));
}
