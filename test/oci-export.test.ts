// convert --to oci: a policy exported as an OCI seccomp profile, loaded through libseccomp the
// way runc loads it (python3-seccomp), gives a program the verifier proves equal to the
// policy for every input. `npm test` runs a deterministic slice of the x86_64 corpus (every
// SLICE_STEP-th policy); `npm run test:oci` sets TSJAIL_OCI_SWEEP=full for all of them.

import { loadCore } from '../ts/policy/core';
import { exportOciProfile, irToOci, profileJson } from '../ts/policy/oci-export';
import { writeJson } from '../ts/policy/oci-json';
import { analyzePolicy } from '../ts/policy/analyze';
import { verifyPolicy } from '../ts/policy/verify';
import { simulate, simulatePolicy } from '../ts/policy/simulate';
import { corpusFileSet, corpusMissing, corpusRows } from './helpers/corpus';
import { answerOddNumbers, libseccompMissing, loadWithLibseccomp } from './helpers/oci';

const FULL = process.env.TSJAIL_OCI_SWEEP === 'full';
const SLICE_STEP = FULL ? 1 : 10;

const withLibseccomp = libseccompMissing ? test.skip : test;
if (libseccompMissing) test('libseccomp proof skipped', () => console.warn(`skipped: ${libseccompMissing}`));

/** Export, load through libseccomp, verify; the outcome in one word (and why). */
async function prove(text: string, files: Record<string, string>, path: string, approximate = false): Promise<{ status: string; detail: string }> {
  const arch = 'x86_64';
  const r = await exportOciProfile(text, { arch, path, files, approximate });
  if (!r.ok) {
    if (r.diagnostics.some((d) => d.severity === 'error')) return { status: 'policy-error', detail: r.diagnostics[0].message };
    return { status: 'refused', detail: r.problems.map((p) => `${p.syscall}: ${p.reason}`).join('; ') };
  }
  const a = await analyzePolicy(text, { arch, path, files });
  let loaded;
  try {
    const numbers = Object.fromEntries(a.ir!.syscalls.map((sc) => [sc.name, sc.nr]));
    loaded = loadWithLibseccomp(writeJson(profileJson(r.profile!)), arch, a.ir!.badArchAction.ret, numbers);
  } catch (e) {
    return { status: 'libseccomp-refused', detail: `${(e as Error).message}\n${writeJson(profileJson(r.profile!))}` };
  }
  if (loaded.skipped.length > 0) return { status: 'libseccomp-unknown', detail: loaded.skipped.join(',') };
  const ir = a.ir!;
  const program = ir.arch === 'x86_64' ? answerOddNumbers(loaded.program, ir.auditArch, ir.badArchAction.ret, ir.defaultAction.ret) : loaded.program;
  const v = await verifyPolicy(text, { arch, path, files, program });
  if (v.status !== 'proven') {
    const ce = v.counterexample;
    // An approximated profile differs by design (checked to deny more in the tests above).
    if (r.problems.length > 0) return { status: 'approximated', detail: r.problems.map((p) => `${p.syscall}: ${p.reason}`).join('; ') };
    return { status: 'mismatch', detail: ce ? `arch=0x${ce.arch.toString(16)} nr=0x${ce.nr.toString(16)} ${ce.syscall}(${ce.args.join(',')}): libseccomp ${ce.programAction}, policy ${ce.policyAction}` : v.reason ?? '' };
  }
  if (r.problems.length > 0) return { status: 'approximated', detail: '' };
  // Exact; names this libseccomp lacks were added by number (runc would leave them out).
  return loaded.numbered.length > 0 ? { status: 'exact-by-number', detail: loaded.numbered.join(',') } : { status: 'exact', detail: '' };
}

describe('convert --to oci', () => {
  withLibseccomp('small policies: conditions, orders and actions', async () => {
    const cases = [
      'read: 1\nwrite: arg0 == 1 || arg0 == 2\nexit_group: 1\n',
      'openat: arg2 in O_RDONLY|O_CLOEXEC\nmmap: arg2 in ~PROT_EXEC || arg2 in ~PROT_WRITE\n',
      'ioctl: arg1 == TCGETS; return EPERM\n',
      '@default trap\nclone: arg0 & CLONE_NEWUSER; return EPERM\nunshare: arg0 in CLONE_NEWNS|CLONE_NEWUTS\n',
      'socket: arg0 == AF_UNIX && arg1 != 3\nprctl: arg0 >= 5 || arg0 == 1\nkill: arg1 & 0x3\n',
      'fcntl: {arg1 == F_GETFD, arg1 == F_SETFD; return 22, arg1 == F_GETFL}\nmadvise: kill\nuname: trap\nfutex: log\n',
    ];
    for (const text of cases) {
      const got = await prove(text, {}, 'case.policy');
      expect(`${text}=> ${got.status} ${got.detail}`).toBe(`${text}=> exact `);
    }
  });

  withLibseccomp('the two differences: syscall numbers -1 and 0x80000000..0xbfffffff on x86_64', async () => {
    const text = 'read: 1\n';
    const opts = { arch: 'x86_64', path: 'p', files: {}, defaultAction: 'trap' };
    const r = await exportOciProfile(text, opts);
    const loaded = loadWithLibseccomp(writeJson(profileJson(r.profile!)), 'x86_64', 0x80000000);
    for (const [nr, lib, ours] of [[0xffffffff, 'trap', 'kill-process'], [0x80000000, 'kill-process', 'trap'], [0xbfffffff, 'kill-process', 'trap']] as const) {
      expect((await simulate(loaded.program, { arch: 'x86_64', nr })).action).toBe(lib);
      const sp = await simulatePolicy(text, { ...opts, nr });
      expect(sp.ok && sp.action).toBe(ours);
    }
    // Everything else agrees.
    const a = await analyzePolicy(text, opts);
    const fixed = answerOddNumbers(loaded.program, a.ir!.auditArch, a.ir!.badArchAction.ret, a.ir!.defaultAction.ret);
    expect((await verifyPolicy(text, { ...opts, program: fixed })).status).toBe('proven');
  });

  test('a range on one argument is named and refused; --approximate leaves it out on the denying side', async () => {
    const text = 'read: 1\nwrite: arg0 >= 1 && arg0 <= 2\n';
    const r = await exportOciProfile(text, { arch: 'x86_64', path: 'r.policy', files: {} });
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([expect.objectContaining({ syscall: 'write', reason: 'arg0: a range (1 to 2) needs two comparisons' })]);
    expect(r.problems[0].rule.line).toBe(2);
    const a = await exportOciProfile(text, { arch: 'x86_64', path: 'r.policy', files: {}, approximate: true });
    expect(a.ok).toBe(true);
    expect(a.problems[0].approximation).toMatch(/default action \(kill-process\)/);
    expect(a.profile!.syscalls.map((s) => s.names)).toEqual([['read']]);
    // A deny rule cannot be left out when the default allows more.
    const d = await exportOciProfile('@default allow\nwrite: arg0 >= 1 && arg0 <= 2; return 1\n', { arch: 'x86_64', path: 'd.policy', files: {}, approximate: true });
    expect(d.ok).toBe(false);
  });

  test('actions and the default are written as OCI names', async () => {
    const a = await analyzePolicy('read: 1\nwrite: arg0 == 1; return 5\n', { arch: 'x86_64', path: 'p', files: {}, defaultAction: 'return 38' });
    const { profile } = irToOci(a.ir!);
    expect(JSON.parse(writeJson(profileJson(profile!)))).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, valueTwo: 0, op: 'SCMP_CMP_EQ' }] },
        { names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 5, args: [{ index: 0, value: 1, valueTwo: 0, op: 'SCMP_CMP_NE' }] },
      ],
    });
  });

  const corpusTest = corpusMissing || libseccompMissing ? test.skip : test;
  corpusTest(`x86_64 corpus (${FULL ? 'all' : `every ${SLICE_STEP}th`} policy): exported, loaded by libseccomp, proven equal`, async () => {
    const core = await loadCore();
    const rows = corpusRows().filter((e) => !e.notes.startsWith('@frequency data file'));
    const byFile = new Map(rows.map((e) => [e.file, e]));
    const x86 = rows.filter((e) => e.arch === 'x86_64');
    const slice = x86.filter((_e, i) => i % SLICE_STEP === 0);
    const tally = new Map<string, string[]>();
    for (const e of slice) {
      const [[main, text], ...rest] = corpusFileSet(core, e, byFile);
      let got = await prove(text, Object.fromEntries(rest), main);
      if (got.status === 'refused') {
        const approx = await prove(text, Object.fromEntries(rest), main, true);
        got = { status: `refused/${approx.status}`, detail: got.detail + (approx.detail ? ` | ${approx.detail}` : '') };
      }
      const l = tally.get(got.status) ?? [];
      l.push(`${e.file}: ${got.detail}`);
      tally.set(got.status, l);
    }
    const summary = [...tally.entries()].map(([k, v]) => `${k}: ${v.length}`).join(', ');
    console.log(`OCI export over ${slice.length} of ${x86.length} x86_64 corpus policies: ${summary}\n` +
      [...tally.entries()].filter(([k]) => k !== 'exact').map(([k, v]) => `${k}:\n  ${v.join('\n  ')}`).join('\n'));
    // Never a profile that libseccomp turns into a different program.
    expect(tally.get('mismatch') ?? []).toEqual([]);
    expect(tally.get('libseccomp-refused') ?? []).toEqual([]);
    expect(tally.get('libseccomp-unknown') ?? []).toEqual([]);
    expect(tally.get('refused/mismatch') ?? []).toEqual([]);
  }, FULL ? 1800000 : 300000);
});
