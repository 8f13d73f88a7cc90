// `tsjail explain RECORD [--policy FILE]`: the report `tsjail run` prints for a violation, for
// one tsjail-exec recorded (`tsjail-exec --violations-file RECORD`, docs/jailfile.md). The
// record holds the call as the kernel gave it and the policy the jail file carries; the policy
// core names the call, decodes its arguments, finds the rule and the line to add.

import type { Command } from 'commander';
import { explainViolation, formatViolation } from '../policy/explain';
import type { PolicyFiles, PolicyOptions } from '../policy/index';
import { fileResolver } from '../policy-node/index';
import { ViolationRecordError, readViolationRecord } from '../jail/violation-record';
import { PolicyFailure } from './errors';
import { hostArch, policyText, readBytes } from './io';

/** The report's lines (without the `tsjail: ` prefix). */
export async function explainRecord(recordFile: string, policyFile?: string): Promise<string[]> {
  const text = (await readBytes(recordFile)).toString('utf8');
  let read;
  try {
    read = readViolationRecord(text);
  } catch (e) {
    if (e instanceof ViolationRecordError) throw new PolicyFailure(`explain: ${recordFile}: ${e.message}`);
    throw e;
  }
  let source: string | PolicyFiles | undefined = read.policy?.text;
  let options: PolicyOptions | undefined = read.policy?.options;
  if (policyFile !== undefined) {
    // Another policy than the one the jail carries (or one for a jail saved from bytes): read
    // from disk now, compiled for the arch the jail's own policy was, else this machine's.
    source = policyText(policyFile, await readBytes(policyFile));
    options = { arch: options?.arch ?? hostArch(), path: policyFile, files: fileResolver() };
  }
  return formatViolation(await explainViolation(read.facts, source, options));
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description("explain a violation tsjail-exec recorded (--violations-file): the call decoded, the rule, the line to add")
    .argument('<record>', 'the violation record tsjail-exec wrote')
    .option('--policy <file>', 'explain against this policy instead of the one the jail file carries')
    .action(async (record: string, opts: { policy?: string }) => {
      for (const line of await explainRecord(record, opts.policy)) process.stdout.write(`${line}\n`);
    });
}
