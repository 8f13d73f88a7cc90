// Downloads: the .bpf (the exact bytes `tsjail compile` writes), a C header, an OCI seccomp
// profile. The C header is toCHeader's, as `tsjail compile --format c` writes it.

import { compilePolicy, exportOciProfile, profileJson, toCHeader, writeJson } from '../policy/index';
import type { ExportKind, ExportView, Workspace } from './protocol';
import { baseName, mainText, policyOptions } from './workspace';

function stem(main: string): string {
  return baseName(main).replace(/\.[^.]*$/, '') || 'policy';
}

const encoder = new TextEncoder();

export async function exportFile(req: Workspace & { kind: ExportKind }): Promise<ExportView> {
  const options = policyOptions(req);
  const source = mainText(req);
  if (req.kind === 'oci') {
    const r = await exportOciProfile(source, options);
    if (!r.profile) {
      const why = r.diagnostics.find((d) => d.severity === 'error')?.formatted.split('\n')[0] ??
        r.problems.map((p) => `${p.syscall} (line ${p.rule.line}): ${p.reason}`).join('; ');
      return { ok: false, error: `no OCI profile: ${why}` };
    }
    return { ok: true, name: `${stem(req.main)}.json`, mime: 'application/json', data: encoder.encode(writeJson(profileJson(r.profile)) + '\n') };
  }
  const compiled = await compilePolicy(source, options);
  if (!compiled.ok) return { ok: false, error: 'the policy does not compile: fix its errors first' };
  if (req.kind === 'bpf') return { ok: true, name: `${stem(req.main)}.bpf`, mime: 'application/octet-stream', data: compiled.program };
  return { ok: true, name: `${stem(req.main)}.h`, mime: 'text/x-c', data: encoder.encode(toCHeader(compiled.program, compiled.arch, req.main, 'tsjail_filter')) };
}
