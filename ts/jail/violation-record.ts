// Violation records: how a violation in a jail run by tsjail-exec reaches the policy core.
// tsjail-exec has no core, so it cannot name the deciding rule or decode the arguments; with
// `--violations-file FILE` it writes the raw facts (struct seccomp_data and the verdict) and the
// policy the jail file carries (tag 32, written here at pack time and never read by native
// code), and `tsjail explain FILE` hands both to explainViolation: the one decoder, the same
// report `tsjail run` and the Node API give (docs/jailfile.md, "Violation records").
import type { FileSource, PolicyFiles, PolicyOptions } from '../policy/index';
import type { ViolationFacts } from '../policy/explain';
import { collectFiles } from '../policy/includes';
import type { JailSpec } from './spec';

/** The record's format; `tsjail explain` refuses others. */
export const VIOLATION_RECORD_VERSION = 1;

/** A policy as a jail file carries it: every file it includes, and the options it was compiled with. */
export interface CarriedPolicy {
  files: Array<[string, string]>;
  options: Pick<PolicyOptions, 'arch' | 'path' | 'returnOnMatch' | 'killAction' | 'defaultAction'>;
}

/** A violation record as tsjail-exec writes it (numbers as the kernel gave them; 64-bit values in hex). */
export interface ViolationRecord {
  tsjailViolation: number;
  nr: number;
  arch: number;
  ip: string;
  args: string[];
  ret: number;
  /** 'exit' (the supervisor killed the running program) or 'preload' (a kill in the preload window). */
  when: string;
  /** The jail file's tag 32 as written (CarriedPolicy as JSON), or null. */
  policy: string | null;
}

/**
 * The policy behind spec.seccomp, self-contained (the @include files read now), as the JSON a
 * jail file carries; undefined when the spec has only bytes.
 */
export async function carriedPolicyJson(spec: JailSpec): Promise<string | undefined> {
  const source = spec.seccomp?.source;
  if (!source) return undefined;
  const { arch, path, returnOnMatch, killAction, defaultAction } = source.options;
  let files: Array<[string, string]>;
  if (typeof source.text === 'string') {
    // The compile that made the filter read the same files a moment ago: nothing to report.
    files = (await collectFiles(path ?? 'policy', source.text, source.options.files as FileSource | undefined)).files;
  } else {
    files = source.text.map(([p, t]) => [p, t]);
  }
  const carried: CarriedPolicy = { files, options: { arch, path, returnOnMatch, killAction, defaultAction } };
  return JSON.stringify(carried);
}

/** Why a record cannot be explained, as one line (`tsjail explain` prints it). */
export class ViolationRecordError extends Error {}

const hex64 = /^0x[0-9a-f]{1,16}$/;

/** A record's text -> the facts explainViolation takes, and the carried policy when there is one. */
export function readViolationRecord(text: string): { facts: ViolationFacts; policy?: { text: PolicyFiles; options: PolicyOptions } } {
  let r: ViolationRecord;
  try {
    r = JSON.parse(text) as ViolationRecord;
  } catch (e) {
    throw new ViolationRecordError(`not a violation record: ${(e as Error).message}`);
  }
  if (typeof r !== 'object' || r === null || r.tsjailViolation === undefined) throw new ViolationRecordError('not a violation record (no tsjailViolation field)');
  if (r.tsjailViolation !== VIOLATION_RECORD_VERSION) {
    throw new ViolationRecordError(`violation record version ${String(r.tsjailViolation)}, this tsjail reads ${VIOLATION_RECORD_VERSION}`);
  }
  const u32 = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
  if (!u32(r.nr) || !u32(r.arch) || !u32(r.ret)) throw new ViolationRecordError('nr, arch and ret must be 32-bit unsigned numbers');
  if (typeof r.ip !== 'string' || !hex64.test(r.ip) || !Array.isArray(r.args) || r.args.length !== 6 || !r.args.every((a) => typeof a === 'string' && hex64.test(a))) {
    throw new ViolationRecordError('ip and the six args must be hex strings (0x...)');
  }
  const facts: ViolationFacts = { nr: r.nr, arch: r.arch, ret: r.ret, ip: BigInt(r.ip), args: r.args.map((a) => BigInt(a)) };
  if (r.policy === null || r.policy === undefined) return { facts };
  let carried: CarriedPolicy;
  try {
    carried = JSON.parse(r.policy) as CarriedPolicy;
  } catch (e) {
    throw new ViolationRecordError(`its policy is not readable: ${(e as Error).message}`);
  }
  if (!Array.isArray(carried.files) || carried.files.length === 0 || !carried.files.every((f) => Array.isArray(f) && f.length === 2 && typeof f[0] === 'string' && typeof f[1] === 'string')
    || typeof carried.options !== 'object' || carried.options === null || typeof carried.options.arch !== 'string') {
    throw new ViolationRecordError('its policy is not a file set with options');
  }
  return { facts, policy: { text: carried.files, options: carried.options } };
}
