// The shared policy corpus (../shared/corpus/policies): which arch each policy compiles for,
// and its complete @include/@frequency file set, from MANIFEST.tsv. One place for every test
// (and bench) that walks the corpus.
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import type { Core } from '../../ts/policy/core';
import { encodeFiles } from '../../ts/policy/request';

export const CORPUS = process.env.TSJAIL_CORPUS ?? path.resolve(__dirname, '../../../shared/corpus/policies');

export interface CorpusPolicy {
  /** Path inside the corpus (owner__repo/flattened__path). */
  file: string;
  /** MANIFEST's arch column as written (x86_64, aarch64, arm, i386, riscv64, mips, unknown). */
  manifestArch: string;
  /** The arch tsjail compiles it for (see archFor). */
  arch: string;
  /** `@include W => T` pairs: the include path as written -> the corpus file it means. */
  includes: Array<[string, string]>;
  notes: string;
}

export function corpusAvailable(): boolean {
  return existsSync(path.join(CORPUS, 'MANIFEST.tsv'));
}

/** Why corpus tests are skipped on this machine; undefined when the corpus is there. */
export const corpusMissing: string | undefined = corpusAvailable() ? undefined : `no corpus at ${CORPUS} (set TSJAIL_CORPUS)`;

/** `test`, or a `test.skip` whose title carries the reason when the corpus is missing. */
export function corpusTest(title: string, fn: () => unknown | Promise<unknown>, timeout?: number): void {
  if (corpusMissing) test.skip(`${title} [skipped: ${corpusMissing}]`, () => undefined);
  else test(title, fn as () => Promise<unknown>, timeout);
}

/** `describe`, or a skipped one whose title carries the reason when the corpus is missing. */
export function corpusDescribe(title: string, fn: () => void): void {
  if (corpusMissing) describe.skip(`${title} [skipped: ${corpusMissing}]`, fn);
  else describe(title, fn);
}

/**
 * Files whose manifest arch (inferred from the path) is `unknown` but whose syscall names pin
 * them to a 32-bit ABI: compiled for that arch instead of the default x86_64.
 */
export const ARCH_OVERRIDES: Record<string, [string, string]> = {
  'ArthurSonzogni__chromiumos-platform2/webserver__webservd__usr__share__filters__webservd-seccomp.policy':
    ['arm', 'lists fcntl64, fstat64, fstatat64 and ARM-only calls'],
  'ArthurSonzogni__chromiumos-platform2/sirenia__seccomp__common.policy': ['i386', 'lists mmap2 (a 32-bit-only call)'],
};

/**
 * The arch a corpus policy is compiled for: the manifest's, `unknown` = x86_64 (as the issue
 * says), the Android files whose notes say they list 32-bit names (mediacodec-arm64, *-x86_64)
 * for the 32-bit arch they really are written for, and ARCH_OVERRIDES.
 */
export function archFor(file: string, manifestArch: string, notes: string): string {
  const override = ARCH_OVERRIDES[file];
  if (override) return override[0];
  const android = file.startsWith('LineageOS__') || file.startsWith('aosp-mirror__');
  if (android && notes.startsWith('names not in')) {
    if (manifestArch === 'aarch64') return 'arm';
    if (manifestArch === 'x86_64') return 'i386';
  }
  return manifestArch === 'unknown' ? 'x86_64' : manifestArch;
}

/** `@include W => T ...` entries of an include_targets cell. */
export function includeEntries(cell: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of cell.split(' | ')) {
    const m = /^@(?:include|frequency)\s+(\S+)\s+=>\s+(\S+)/.exec(part.trim());
    if (m) out.push([m[1], m[2]]);
  }
  return out;
}

/** Every MANIFEST row (policies and the frequency data file). */
export function corpusRows(): CorpusPolicy[] {
  const lines = readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n').filter((l) => l !== '');
  const head = lines[0].split('\t');
  const col = (name: string) => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`MANIFEST.tsv has no column ${name}`);
    return i;
  };
  const [f, a, it, n] = [col('file'), col('arch'), col('include_targets'), col('notes')];
  return lines.slice(1).map((l) => {
    const c = l.split('\t');
    const notes = c[n] ?? '';
    return { file: c[f], manifestArch: c[a], arch: archFor(c[f], c[a], notes), includes: includeEntries(c[it] ?? ''), notes };
  });
}

/** The policies (every row but the @frequency data file). */
export function corpusPolicies(): CorpusPolicy[] {
  return corpusRows().filter((p) => !p.notes.startsWith('@frequency data file'));
}

/** The main file's path inside its repository, so `./x` includes resolve as in the source tree. */
export function mainPath(p: { file: string }): string {
  return '/' + p.file.replace('__', '/').replace(/__/g, '/');
}

export function readCorpus(file: string): string {
  return readFileSync(path.join(CORPUS, file), 'utf8');
}

function lookup(resolved: string, entries: Array<[string, string]>): string | undefined {
  for (const [written, target] of entries) {
    if (written === resolved) return target;
    // `./x` resolves against the including file's virtual directory: match by suffix.
    if (written.startsWith('./') && resolved.endsWith(written.slice(1))) return target;
  }
  return undefined;
}

/**
 * A resolver for ts/policy's `files` option: an include path as the core resolved it -> the
 * text of the corpus file it means, from this policy's include_targets and then those of the
 * files it has pulled in (nested includes). No other row is consulted: crosvm's
 * /usr/share/policy/crosvm/common_device.policy exists once per arch in the corpus.
 */
export function corpusResolver(p: CorpusPolicy, byFile: Map<string, CorpusPolicy>): (resolved: string) => string | undefined {
  const entries = [...p.includes];
  return (resolved) => {
    const t = lookup(resolved, entries);
    if (t === undefined) return undefined;
    const row = byFile.get(t);
    if (row) entries.push(...row.includes);
    return readCorpus(t);
  };
}

/**
 * The complete file set a host would build for one policy, as [path, text] pairs (main
 * first): scanIncludes on each file, each resolved path mapped through the including file's
 * manifest row. Bounded like the host's collector (a self-include stops at the bound; the
 * core reports the depth error at the @include line).
 */
export function corpusFileSet(core: Core, p: CorpusPolicy, byFile: Map<string, CorpusPolicy>, maxFiles = 32): Array<[string, string]> {
  const out: Array<[string, string]> = [[mainPath(p), readCorpus(p.file)]];
  const rows: CorpusPolicy[] = [p];
  const seen = new Set([out[0][0]]);
  for (let i = 0; i < out.length && out.length < maxFiles; i++) {
    for (const named of core.scanIncludes(out[i][0], out[i][1]).split('\n').filter((s) => s !== '')) {
      if (seen.has(named)) continue;
      seen.add(named);
      const target = lookup(named, rows[i].includes);
      if (target === undefined) continue;
      out.push([named, readCorpus(target)]);
      rows.push(byFile.get(target) ?? { file: target, manifestArch: p.manifestArch, arch: p.arch, includes: [], notes: '' });
    }
  }
  return out;
}

/** corpusFileSet as the core's `compile` request (ts/policy's one encoding). */
export function corpusRequest(core: Core, p: CorpusPolicy, byFile: Map<string, CorpusPolicy>): string {
  return encodeFiles(corpusFileSet(core, p, byFile));
}
