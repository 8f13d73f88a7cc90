// Reading the CLI's inputs (policy text or a .bpf program, '-' = stdin) and writing outputs.

import { fstatSync } from 'fs';
import { readFile, writeFile } from 'fs/promises';
import { extname } from 'path';
import { InvalidProgramError } from '../policy/index';
import { describeFsError } from '../node/system-errors';
import { EXIT_FAILURE, ExitStatus, PolicyFailure, UsageError } from './errors';
import { coreArch } from '../jail/arch';
import { badPolicyByte, describeBadPolicyByte } from '../policy-node/index';

export type Input =
  | { kind: 'policy'; path: string; text: string }
  | { kind: 'bpf'; path: string; program: Uint8Array };

async function readStdin(): Promise<Buffer> {
  // Node reads a directory on fd 0 as empty input, which would be a valid, deny-all policy.
  if (fstatSync(0).isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function readBytes(path: string): Promise<Buffer> {
  try {
    return path === '-' ? await readStdin() : await readFile(path);
  } catch (e) {
    throw new PolicyFailure(`cannot read ${path === '-' ? '<stdin>' : path}: ${describeFsError(e)}`);
  }
}

/**
 * A .bpf file (struct sock_filter records, as `tsjail compile` and minijail's
 * compile_seccomp_policy write them) or policy text. Policies never hold NUL bytes; every
 * real program does (jt/jf of 0, high bytes of small constants), so content decides when the
 * extension does not.
 */
export function looksLikeBpf(path: string, bytes: Uint8Array): boolean {
  if (extname(path) === '.bpf') return true;
  return bytes.length > 0 && bytes.length % 8 === 0 && bytes.includes(0);
}

/** Policy text from file bytes; a PolicyFailure located at the first byte that is not policy text. */
export function policyText(shown: string, bytes: Buffer): string {
  const bad = badPolicyByte(bytes);
  if (bad) throw new PolicyFailure(describeBadPolicyByte(shown, bad));
  return bytes.toString('utf8');
}

export async function readInput(path: string): Promise<Input> {
  const bytes = await readBytes(path);
  const shown = path === '-' ? '<stdin>' : path;
  if (looksLikeBpf(path, bytes)) {
    if (bytes.length === 0) throw new InvalidProgramError(`${shown}: not a seccomp program: the file is empty`);
    if (bytes.length % 8 !== 0) {
      throw new InvalidProgramError(`${shown}: not a seccomp program: ${bytes.length} bytes is not a whole number of 8-byte instructions`);
    }
    return { kind: 'bpf', path: shown, program: new Uint8Array(bytes) };
  }
  return { kind: 'policy', path: shown, text: policyText(shown, bytes) };
}

/** Write to a file, or to stdout when `path` is undefined or '-'. */
export async function writeOutput(path: string | undefined, data: string | Uint8Array): Promise<void> {
  if (path === undefined || path === '-') {
    // main.ts reports the stream's 'error' event; here only the status is left to set.
    await new Promise<void>((resolve, reject) => process.stdout.write(data, (e) => (e ? reject(new ExitStatus(EXIT_FAILURE)) : resolve())));
    return;
  }
  try {
    await writeFile(path, data);
  } catch (e) {
    throw new PolicyFailure(`cannot write ${path}: ${describeFsError(e)}`);
  }
}

/** The arch tsjail (and so a program it jails) runs on, in the core's names; undefined if none. */
export function hostSeccompArch(): string | undefined {
  return coreArch();
}

/** The default --arch: the host's, or a usage error asking for --arch. */
export function hostArch(): string {
  const a = hostSeccompArch();
  if (!a) throw new UsageError(`no seccomp arch known for this host (${process.arch}); pass --arch`);
  return a;
}
