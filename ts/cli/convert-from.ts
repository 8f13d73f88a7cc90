// tsjail convert --from oci PROFILE.json: the file side of tsjail/policy's importOciProfile.

import { readFile } from 'fs/promises';
import { importOciProfile } from '../policy/index';
import { describeFsError } from '../node/system-errors';
import { resolveArch } from './common';
import { PolicyFailure } from './errors';
import { writeOutput } from './io';

export interface OciInputOptions { arch?: string; caps?: string; kernel?: string }

/** Read a profile (- for stdin) and turn it into policy text for one arch; errors name the JSON path. */
export async function policyFromOciFile(file: string, opts: OciInputOptions): Promise<{ policy: string; arch: string; notes: string[] }> {
  const arch = await resolveArch(opts.arch);
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (e) {
    throw new PolicyFailure(`cannot read ${file}: ${describeFsError(e)}`);
  }
  const shown = file === '-' ? '<stdin>' : file;
  const r = await importOciProfile(text, { arch, caps: (opts.caps ?? '').split(','), kernel: opts.kernel ?? '6.1', path: shown });
  if (!r.ok) {
    const e = r.errors[0];
    const where = e.line !== undefined ? `${shown}:${e.line}:${e.column}` : `${shown}: ${e.path === '' ? '(top level)' : e.path}`;
    throw new PolicyFailure(`${where}: ${e.message}`);
  }
  return { policy: r.policy!, arch, notes: r.notes };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function fromOci(file: string, opts: OciInputOptions & { output?: string }): Promise<void> {
  const { policy } = await policyFromOciFile(file, opts);
  await writeOutput(opts.output, policy);
}
