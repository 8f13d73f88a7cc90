// Every policy of the shared corpus (../shared/corpus/policies, MANIFEST.tsv) goes through the
// front end for its arch without errors, its includes supplied the way a host supplies them
// (scanIncludes, then the file each include path means per the manifest's include_targets).
// The few policies broken at the source must instead fail with a located error, listed below
// with the reason. The same run then requires compile().ok (codegen included).

import { loadCore } from '../ts/policy/core';
import { dump, DumpJson } from './helpers/frontend';
import { CorpusPolicy, corpusDescribe, corpusFileSet, corpusMissing, corpusRequest, corpusRows, readCorpus } from './helpers/corpus';

type Entry = CorpusPolicy;

interface ExpectedFailure { code: number; fragment: string; reason: string }

const LACKS_NEWFSTATAT = 'lists newfstatat, which i386 does not have (its call is fstatat64)';

/** Policies broken at the source, with the first error they must report. */
const EXPECTED_FAILURES: Record<string, ExpectedFailure> = {
  'google__minijail/test__invalid_arg_filter.policy':
    { code: 1012, fragment: 'invalid argument', reason: 'minijail negative test: malformed argument filter' },
  'google__minijail/test__invalid_syscall_name.policy':
    { code: 2001, fragment: 'nonexistent syscall', reason: 'minijail negative test: unknown syscall name' },
  'ArthurSonzogni__chromiumos-platform2/minijail__test__invalid_arg_filter.policy':
    { code: 1012, fragment: 'invalid argument', reason: 'old copy of minijail\'s negative test' },
  'ArthurSonzogni__chromiumos-platform2/minijail__test__invalid_syscall_name.policy':
    { code: 2001, fragment: 'nonexistent syscall', reason: 'old copy of minijail\'s negative test' },
  'google__minijail/test__nested.policy':
    { code: 2008, fragment: 'nested too deep', reason: 'includes itself on purpose (nesting-limit test)' },
  'ArthurSonzogni__chromiumos-platform2/diagnostics__init__wilco_dtc_supportd-seccomp-arm.policy':
    { code: 2001, fragment: '"arch_prctl"', reason: 'lists arch_prctl, which arm does not have' },
  'ArthurSonzogni__chromiumos-platform2/attestation__server__attestationd-seccomp-x86.policy':
    { code: 2001, fragment: '"pwrite"', reason: 'lists pwrite, which is no syscall (pwrite64 is)' },
  'ArthurSonzogni__chromiumos-platform2/authpolicy__seccomp_filters__net_ads_join-seccomp.policy':
    { code: 2001, fragment: '"pwrite"', reason: 'lists pwrite, which is no syscall (pwrite64 is)' },
  'ArthurSonzogni__chromiumos-platform2/camera__common__arc-camera-algo.policy':
    { code: 2001, fragment: '"fcntl64"', reason: 'mixes 32-bit-only (fcntl64, fstat64) and 64-bit-only (mmap, accept) names: no arch has them all' },
  'LineageOS__android_frameworks_av/media__codec2__hal__services__seccomp_policy__android.hardware.media.c2-default-x86.policy':
    { code: 2001, fragment: '"newfstatat"', reason: LACKS_NEWFSTATAT },
  'LineageOS__android_frameworks_av/media__codec2__hal__services__seccomp_policy__android.hardware.media.c2-default-x86_64.policy':
    { code: 2001, fragment: '"newfstatat"', reason: LACKS_NEWFSTATAT + '; its other names are 32-bit, so it fails on x86_64 too' },
  'LineageOS__android_frameworks_av/media__codec2__hidl__services__seccomp_policy__android.hardware.media.c2@1.1-default-x86.policy':
    { code: 2001, fragment: '"newfstatat"', reason: LACKS_NEWFSTATAT },
  'LineageOS__android_frameworks_av/services__mediacodec__seccomp_policy__mediacodec-x86.policy':
    { code: 2001, fragment: '"newfstatat"', reason: LACKS_NEWFSTATAT },
  'LineageOS__android_frameworks_av/services__mediacodec__seccomp_policy__mediacodec-x86_64.policy':
    { code: 2001, fragment: '"newfstatat"', reason: LACKS_NEWFSTATAT + '; its other names are 32-bit, so it fails on x86_64 too' },
  'LineageOS__android_frameworks_av/services__mediacodec__seccomp_policy__mediaswcodec-x86.policy':
    { code: 2001, fragment: '"newfstatat"', reason: LACKS_NEWFSTATAT },
  'LineageOS__android_frameworks_av/services__mediacodec__seccomp_policy__mediaswcodec-x86_64.policy':
    { code: 2001, fragment: '"newfstatat"', reason: LACKS_NEWFSTATAT + '; its other names are 32-bit, so it fails on x86_64 too' },
};

/** mips is not one of our arches (x86_64, aarch64, arm, i386, riscv64). */
const UNSUPPORTED_ARCHES = new Set(['mips']);

async function compileEntry(e: Entry, byFile: Map<string, Entry>): Promise<{ arch: string; files: Array<[string, string]>; ir: DumpJson }> {
  const files = corpusFileSet(await loadCore(), e, byFile);
  const [main, ...rest] = files;
  const ir = await dump(main[1], { arch: e.arch, path: main[0], files: Object.fromEntries(rest) });
  return { arch: e.arch, files, ir };
}

corpusDescribe('corpus: every policy reaches IR for its arch', () => {
  const entries = corpusMissing ? [] : corpusRows();
  const policies = entries.filter((e) => !e.notes.startsWith('@frequency data file'));
  const byFile = new Map(entries.map((e) => [e.file, e]));

  test('the manifest lists the corpus (725 policies + 1 frequency file)', () => {
    expect(entries.length).toBe(726);
    expect(policies.length).toBe(725);
    for (const f of Object.keys(EXPECTED_FAILURES)) expect(policies.some((e) => e.file === f)).toBe(true);
  });

  test('all policies compile except the listed ones, which fail with a located error', async () => {
    const problems: string[] = [];
    let compiled = 0;
    for (const e of policies) {
      if (UNSUPPORTED_ARCHES.has(e.arch)) continue;
      const { arch, ir } = await compileEntry(e, byFile);
      const expected = EXPECTED_FAILURES[e.file];
      if (expected) {
        const d = ir.diagnostics.find((x) => x.severity === 'error');
        if (ir.ok || !d) problems.push(`${e.file} (${arch}): expected to fail (${expected.reason}) but compiled`);
        else if (d.code !== expected.code || !d.message.includes(expected.fragment) || !d.file || !d.line || !d.column) {
          problems.push(`${e.file} (${arch}): expected ${expected.code} "${expected.fragment}" with a position, got ${d.formatted}`);
        }
        continue;
      }
      if (!ir.ok) {
        problems.push(`${e.file} (${arch}):\n  ` + ir.diagnostics.filter((d) => d.severity === 'error')
          .slice(0, 3).map((d) => d.formatted.split('\n')[0]).join('\n  '));
        continue;
      }
      compiled++;
    }
    expect(problems).toEqual([]);
    expect(compiled).toBe(policies.length - Object.keys(EXPECTED_FAILURES).length -
      policies.filter((e) => UNSUPPORTED_ARCHES.has(e.arch)).length);
  });

  test('mips policies: the arch is not supported, and the core says so', async () => {
    const mips = policies.filter((e) => UNSUPPORTED_ARCHES.has(e.arch));
    expect(mips.length).toBe(4);
    for (const e of mips) {
      const r = await dump(readCorpus(e.file), { arch: 'mips' });
      expect(r.ok).toBe(false);
      expect(r.diagnostics[0].code).toBe(9001);
    }
  });

  test('includes resolve to the manifest\'s targets (crosvm, Android, the frequency file)', async () => {
    const e = entries.find((x) => x.file === 'google__crosvm/jail__seccomp__x86_64__block_device.policy')!;
    const { files, ir } = await compileEntry(e, byFile);
    expect(ir.ok).toBe(true);
    expect(files.map(([p]) => p)).toEqual([
      '/google/crosvm/jail/seccomp/x86_64/block_device.policy',
      '/usr/share/policy/crosvm/common_device.policy',
      '/usr/share/policy/crosvm/block.policy',
      '/usr/share/policy/crosvm/common_device.frequency',
    ]);
    // The @frequency counts of common_device.frequency reach the weights.
    expect(ir.ir!.syscalls.some((s) => s.weight > 1)).toBe(true);
  });

  test('the @denylist policy compiles in denylist mode (default allow)', async () => {
    const e = entries.find((x) => x.file === 'google__minijail/policies__cros_default_v0.policy')!;
    const { ir } = await compileEntry(e, byFile);
    expect(ir.ok).toBe(true);
    expect(ir.ir!.defaultAction.name).toBe('allow');
  });
});

corpusDescribe('corpus: full compile', () => {
  test('compile(...).ok for every policy that reaches IR', async () => {
    const core = await loadCore();
    const problems: string[] = [];
    const entries = corpusRows();
    const byFile = new Map(entries.map((e) => [e.file, e]));
    let attempted = 0;
    for (const e of entries) {
      if (e.notes.startsWith('@frequency data file') || EXPECTED_FAILURES[e.file] || UNSUPPORTED_ARCHES.has(e.arch)) continue;
      attempted++;
      const r = JSON.parse(core.compile(corpusRequest(core, e, byFile), e.arch, 0, '')) as { ok: boolean; diagnostics: Array<{ formatted: string }> };
      if (!r.ok) problems.push(`${e.file} (${e.arch}): ${r.diagnostics.map((d) => d.formatted.split('\n')[0]).join('; ')}`);
    }
    expect(problems).toEqual([]);
    expect(attempted).toBeGreaterThan(650);
  });
});
