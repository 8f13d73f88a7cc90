// The editor's questions: diagnostics for every version, completion and hover at an offset.
// Each answer comes from the language service (PolicyDocument) of tsjail/policy.

import { PolicyDocument } from '../policy/index';
import type { Diagnostic } from '../policy/index';
import type { EditorDiagnostic, Workspace } from './protocol';
import { mainText, policyOptions } from './workspace';

function documentOf(ws: Workspace): PolicyDocument {
  return new PolicyDocument(mainText(ws), policyOptions(ws));
}

/**
 * Diagnostics as the editor marks them. Problems with no place in the edited file (an unknown
 * arch, an error inside an included file) go on its first character so they are never dropped.
 */
function editorDiagnostics(ws: Workspace, found: Diagnostic[]): EditorDiagnostic[] {
  const text = mainText(ws);
  return found.map((d) => {
    const here = d.file === ws.main && d.start !== undefined && d.end !== undefined;
    const from = here ? Math.min(d.start!, text.length) : 0;
    const to = here ? Math.max(from, Math.min(d.end!, text.length)) : Math.min(1, text.length);
    const message = here ? d.message : d.formatted.split('\n')[0];
    return { from, to, severity: d.severity, message, line: here ? d.line ?? 1 : 1 };
  });
}

/** The front end's diagnostics: cheap enough for every keystroke. */
export async function check(ws: Workspace): Promise<EditorDiagnostic[]> {
  return editorDiagnostics(ws, (await documentOf(ws).check()).diagnostics);
}

/** The same plus lint's findings (docs/lint.md), which take longer on a large policy: once typing pauses. */
export async function lint(ws: Workspace): Promise<EditorDiagnostic[]> {
  return editorDiagnostics(ws, (await documentOf(ws).lint()).diagnostics);
}

export async function complete(ws: Workspace & { offset: number }) {
  return documentOf(ws).completions(ws.offset);
}

export async function hover(ws: Workspace & { offset: number }) {
  return (await documentOf(ws).hover(ws.offset)) ?? null;
}
