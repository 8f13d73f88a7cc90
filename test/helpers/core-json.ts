// Thin typed access to the core's verify/diff exports for tests (the public wrappers live in
// ts/policy; tests of the engine call the core directly with explicit file sets).
import { loadCore } from '../../ts/policy/core';
import { encodeFiles } from '../../ts/policy/request';

export interface Counterexample {
  arch: number; nr: number; syscall: string; args: string[]; ip: string;
  programAction: string; programRet: number; policyAction: string; policyRet: number;
  retPc: number; rule: { file: string; line: number; column: number; text: string } | null;
}
export interface VerifyReport { status: 'proven' | 'mismatch' | 'unproven'; reason?: string; counterexample?: Counterexample; paths: number; regions: number }
export interface DiffItem { syscall: string; nr?: number; scope: string; condition: string; old: string; new: string; oldAction: string; newAction: string; log2Count: number }

export function fileSet(main: string, text: string, files: Record<string, string> = {}): string {
  return encodeFiles([[main, text], ...Object.entries(files)]);
}

export async function verifyCore(set: string, arch: string, program: Uint8Array = new Uint8Array(0), flags = 0): Promise<{ ok: boolean; verify: VerifyReport | null; diagnostics: { formatted: string }[] }> {
  const c = await loadCore();
  return JSON.parse(c.verify(set, arch, flags, '', program));
}

export async function diffCore(oldSet: string, newSet: string, arch: string, flags = 0): Promise<{ ok: boolean; diff: { complete: boolean; differences: DiffItem[] } | null }> {
  const c = await loadCore();
  return JSON.parse(c.diff(oldSet, newSet, arch, flags, ''));
}
