// convert --from oci: a profile turned into a policy gives, for every input, the verdict
// libseccomp gives for the original profile (loaded the way runc does, after Docker's
// includes/excludes): the verifier proves the policy equal to libseccomp's program.
// Docker's default profile for x86_64 and aarch64, without capabilities and with CAP_SYS_ADMIN.

import { readFileSync } from 'fs';
import path from 'path';
import { importOciProfile } from '../ts/policy/oci-import';
import { analyzePolicy } from '../ts/policy/analyze';
import { verifyPolicy } from '../ts/policy/verify';
import { simulatePolicy } from '../ts/policy/simulate';
import { lintPolicy } from '../ts/policy/lint';
import { answerOddNumbers, libseccompMissing, loadWithLibseccomp } from './helpers/oci';

const OCI_DIR = path.resolve(__dirname, '../../shared/corpus/oci');
const DOCKER = path.join(process.env.TSJAIL_CORPUS ? path.resolve(process.env.TSJAIL_CORPUS, '../oci') : OCI_DIR, 'docker-default.json');
let dockerText: string | undefined;
try { dockerText = readFileSync(DOCKER, 'utf8'); } catch { dockerText = undefined; }

const withLibseccomp = libseccompMissing || dockerText === undefined ? test.skip : test;
if (libseccompMissing) test('libseccomp proof skipped', () => console.warn(`skipped: ${libseccompMissing}`));

const GO: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64' };

async function proveImport(text: string, arch: string, caps: string[]): Promise<string> {
  const r = await importOciProfile(text, { arch, caps, path: 'docker-default.json' });
  expect(r.errors).toEqual([]);
  let policy = r.policy!;
  const a = await analyzePolicy(policy, { arch, path: 'p.policy', files: {} });
  expect(a.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const ir = a.ir!;
  // Names this libseccomp lacks: added by number on the host's arch; elsewhere libseccomp
  // cannot take numbers, so they are left out as runc leaves them out, and the proof is of the
  // policy without their lines (named in the result).
  const native = arch === 'x86_64';
  const numbers = native ? Object.fromEntries(ir.syscalls.map((s) => [s.name, s.nr])) : {};
  const loaded = loadWithLibseccomp(text, arch, ir.badArchAction.ret, numbers, { caps, kernel: '6.1', goarch: GO[arch] });
  const left = new Set(loaded.skipped);
  if (left.size > 0) policy = policy.split('\n').filter((l) => !left.has(l.split(':')[0].trim())).join('\n');
  const program = native ? answerOddNumbers(loaded.program, ir.auditArch, ir.badArchAction.ret, ir.defaultAction.ret) : loaded.program;
  const v = await verifyPolicy(policy, { arch, path: 'p.policy', files: {}, program });
  const ce = v.counterexample;
  const extra = native ? `by number: ${loaded.numbered.join(',') || 'none'}` : `left out (libseccomp lacks them): ${[...left].sort().join(',') || 'none'}`;
  return v.status === 'proven' ? `proven (${ir.syscalls.length} syscalls; ${extra})`
    : `${v.status}: ${ce ? `${ce.syscall}(${ce.args.join(',')}) libseccomp ${ce.programAction}, policy ${ce.policyAction}` : v.reason}`;
}

describe('convert --from oci', () => {
  for (const arch of ['x86_64', 'aarch64']) {
    for (const caps of [[], ['CAP_SYS_ADMIN']]) {
      withLibseccomp(`docker-default for ${arch}, caps ${caps.join(',') || 'none'}: proven equal to libseccomp's program`, async () => {
        const got = await proveImport(dockerText!, arch, caps);
        console.log(`docker-default ${arch} caps=${caps.join(',') || 'none'}: ${got}`);
        expect(got).toMatch(/^proven/);
      });
    }
  }

  const t = dockerText === undefined ? test.skip : test;
  t('docker-default: masked equality for clone, caps decide, the lint notes minijail cannot read it', async () => {
    const none = (await importOciProfile(dockerText!, { arch: 'x86_64' })).policy!;
    expect(none).toMatch(/^@default return 1$/m);
    expect(none).toMatch(/^clone: arg0 & 0x7e020000 == 0$/m);
    const admin = (await importOciProfile(dockerText!, { arch: 'x86_64', caps: ['sys_admin'] })).policy!;
    expect(admin).toMatch(/^clone: 1$/m);
    const opts = { arch: 'x86_64', path: 'p.policy', files: {} };
    const newuser = 0x10000000n;
    const s = await simulatePolicy(none, { ...opts, syscall: 'clone', args: [newuser] });
    expect(s.ok && s.action).toBe('errno');
    const s2 = await simulatePolicy(admin, { ...opts, syscall: 'clone', args: [newuser] });
    expect(s2.ok && s2.action).toBe('allow');
    const lint = await lintPolicy(none, opts);
    expect(lint.diagnostics.map((d) => d.code)).toEqual(expect.arrayContaining([6014, 6015]));
  });

  test('masked equality in the language: (arg & MASK) == VALUE', async () => {
    const opts = { arch: 'x86_64', path: 'm.policy', files: {} };
    const text = 'read: arg0 & 0xf0 == 0x30\n';
    for (const [v, want] of [[0x30n, 'allow'], [0x31n, 'allow'], [0x130n, 'allow'], [0x70n, 'kill-process'], [0x20n, 'kill-process'], [0n, 'kill-process']] as const) {
      const s = await simulatePolicy(text, { ...opts, syscall: 'read', args: [v] });
      expect(`${v}: ${s.ok && s.action}`).toBe(`${v}: ${want}`);
    }
    expect((await verifyPolicy(text, opts)).status).toBe('proven');
    const never = await analyzePolicy('read: arg0 & 0xf == 0x10\n', opts);
    expect(never.diagnostics.map((d) => d.code)).toContain(3004);
  });

  test('bad input: one located error (JSON path, or line and column for bad JSON)', async () => {
    const at = async (text: string) => {
      const r = await importOciProfile(text, { arch: 'x86_64' });
      expect(r.ok).toBe(false);
      expect(r.errors).toHaveLength(1);
      const e = r.errors[0];
      return e.line !== undefined ? `${e.line}:${e.column}: ${e.message}` : `${e.path}: ${e.message}`;
    };
    expect(await at('{"defaultAction": "SCMP_ACT_ERRNO",\n "syscalls": [}')).toBe('2:15: invalid JSON: unexpected "}"');
    expect(await at('{"defaultAction": "SCMP_ACT_NOPE"}')).toMatch(/^defaultAction: unknown action "SCMP_ACT_NOPE"/);
    expect(await at('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQQ"}]}]}'))
      .toMatch(/^syscalls\[1\]\.args\[0\]\.op: unknown operator "SCMP_CMP_EQQ"/);
    expect(await at('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "reed"], "action": "SCMP_ACT_ALLOW"}]}'))
      .toBe('syscalls[0].names[1]: unknown syscall "reed"');
    expect(await at('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}'))
      .toBe('syscalls[0].args[0].index: 6 is out of range (0 to 5)');
    expect(await at('[1]')).toBe(': expected an object, found an array');
  });

  test('containers/common errno names, and names another arch has are left out', async () => {
    const r = await importOciProfile('{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOSYS", "syscalls": [{"names": ["read", "chown32"], "action": "SCMP_ACT_ERRNO", "errno": "EPERM"}]}', { arch: 'x86_64' });
    expect(r.errors).toEqual([]);
    expect(r.policy).toMatch(/^@default return 38$/m);
    expect(r.policy).toMatch(/^read: return 1$/m);
    expect(r.policy).not.toMatch(/chown32/);
  });
});
