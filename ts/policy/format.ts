// formatPolicy: the canonical layout of one policy file (tsjail fmt, an editor's "format
// document"). The core does the work; per file, so no arch and no @include files are needed.

import { withCore } from './core';
import { Diagnostic } from './diagnostics';

export interface FormatResult {
  /** The file parsed and was formatted. */
  ok: boolean;
  /** The formatted text ('' when not ok). */
  text: string;
  /** `text` differs from the input. */
  changed: boolean;
  /** The syntax errors that stopped formatting (none when ok). */
  diagnostics: Diagnostic[];
}

/**
 * The canonical layout of `text`: one space around comparisons, `||` and `&&` and after `:`,
 * `,` and `;`; none inside constants (`A|B`) and `[arch=...]`; comments and line breaks kept,
 * runs of blank lines collapsed. It never changes what the policy means (the same tokens in the
 * same lines); formatting its output again changes nothing. A file with syntax errors is
 * returned unformatted with its errors (ok false). `path` names the file in diagnostics.
 */
export async function formatPolicy(text: string, options: { path?: string } = {}): Promise<FormatResult> {
  const path = options.path ?? '<policy>';
  return JSON.parse(await withCore((c) => c.format(path, text))) as FormatResult;
}
