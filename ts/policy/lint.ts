// lintPolicy: what is wrong or risky in a policy (docs/lint.md): the front end's errors and
// warnings plus the lint findings (6xxx codes), each with a full range and, where the change is
// mechanical, a suggestion (title and edits) an editor offers as a code action. The core does
// all the reasoning; this layer collects the @include files and types the result.

import { archNoted } from './compile';
import { withCore } from './core';
import { Diagnostic } from './diagnostics';
import { PolicyFiles, PolicyOptions, prepareRequest, requestFlags } from './request';

export interface LintResult {
  /** No errors (warnings allowed): `tsjail lint` exits 0. */
  ok: boolean;
  /** Canonical arch name ('' when the arch is unknown: see the diagnostics); several arches: their names, comma-separated. */
  arch: string;
  /** Paths of every file read, the main policy first. */
  files: string[];
  /**
   * Errors, warnings and findings in file order (host problems first). Several arches: each
   * arch is linted on its own; a finding every arch makes appears once, one only some make has
   * `arch` naming them (and `formatted` ends its first line with `(on ARCHES)`).
   */
  diagnostics: Diagnostic[];
}

/**
 * Lint a policy, for one arch or several (`arch: 'x86_64,aarch64'`, or `'all'`: every arch the
 * core knows, also those where the policy does not resolve). `source` and `options` as for analyzePolicy/compilePolicy (the main policy's
 * text and its @include files from options.files, or the complete file set). The findings about
 * meaning (rules that never match or are cancelled, dangerous calls, missing calls) need a
 * policy without errors; the text findings are made whatever the errors. Never throws on a bad
 * policy.
 */
export async function lintPolicy(source: string | PolicyFiles, options: PolicyOptions): Promise<LintResult> {
  const req = await prepareRequest('lintPolicy', source, options, requestFlags(options));
  const core = req.core;
  if (!core) return { ok: false, arch: '', files: req.files, diagnostics: req.diagnostics };
  const r = JSON.parse(await withCore((c) => c.lint(core.files, core.arch, core.flags, core.defaultAction))) as
    { ok: boolean; arch: string; diagnostics: Diagnostic[] };
  const found = r.diagnostics.map((d) => archNoted(d, r.arch));
  // Several arches: the core lists each arch's findings in turn; file order again (stable).
  if (r.arch.includes(',')) {
    const at = (d: Diagnostic) => [d.file === undefined ? -1 : req.files.indexOf(d.file), d.start ?? -1];
    found.sort((x, y) => {
      const [fx, sx] = at(x);
      const [fy, sy] = at(y);
      return fx - fy || sx - sy;
    });
  }
  const diagnostics = [...req.diagnostics, ...found];
  return { ok: r.ok && !diagnostics.some((d) => d.severity === 'error'), arch: r.arch, files: req.files, diagnostics };
}
