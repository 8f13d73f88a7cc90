// tsjail convert: the CLI around tsjail/policy's OCI profile conversion (files, messages,
// exit statuses). The conversions themselves are proven in oci-export.test.ts and
// oci-import.test.ts.

import { spawnSync, execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';

const root = path.resolve(__dirname, '..');
const STACK_LINE = /^\s+at .+\(.*:\d+:\d+\)|^\s+at .+:\d+:\d+$/m;

function tsjail(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'tsjail'), ...args], { cwd: root, input, encoding: 'utf8' });
  expect(r.stderr).not.toMatch(STACK_LINE);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-ts.js'), '--no-types'], { cwd: root, stdio: 'inherit' });
});

const dir = mkdtempSync(path.join(os.tmpdir(), 'tsjail-convert-'));

describe('tsjail convert --to oci', () => {
  test('writes a profile (-o) for --arch', () => {
    const pol = path.join(dir, 'a.policy');
    writeFileSync(pol, 'read: 1\nwrite: arg0 == 1\n');
    const out = path.join(dir, 'a.json');
    const r = tsjail(['convert', '--to', 'oci', pol, '--arch', 'x86_64', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const p = JSON.parse(readFileSync(out, 'utf8'));
    expect(p.architectures).toEqual(['SCMP_ARCH_X86_64']);
    expect(p.defaultAction).toBe('SCMP_ACT_KILL_PROCESS');
    expect(p.syscalls).toHaveLength(2);
  });

  test('--arch A,B: one profile listing both when the rules agree by name', () => {
    const r = tsjail(['convert', '--to', 'oci', '-', '--arch', 'x86_64,aarch64'], 'read: 1\nopenat: 1\n');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64']);
  });

  test('an inexpressible rule is named with its line and refused; --approximate writes it on the denying side', () => {
    const pol = path.join(dir, 'r.policy');
    writeFileSync(pol, 'read: 1\nwrite: arg0 >= 1 && arg0 <= 2\n');
    const r = tsjail(['convert', '--to', 'oci', pol, '--arch', 'x86_64']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${pol}:2:8: error: write (x86_64): cannot be written as an OCI rule: arg0: a range (1 to 2) needs two comparisons`);
    expect(r.stdout).toBe('');
    const a = tsjail(['convert', '--to', 'oci', pol, '--arch', 'x86_64', '--approximate']);
    expect(a.status).toBe(0);
    expect(a.stderr).toMatch(/warning: .*approximated: left out: these calls get the default action \(kill-process\)/);
    expect(JSON.parse(a.stdout).syscalls).toEqual([{ names: ['read'], action: 'SCMP_ACT_ALLOW' }]);
  });

  test('a policy error is a located diagnostic; neither or both directions is a usage error', () => {
    const r = tsjail(['convert', '--to', 'oci', '-', '--arch', 'x86_64'], 'reed: 1\n');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/<stdin>:1:1: error: .*"reed"/);
    expect(tsjail(['convert', '-', '--arch', 'x86_64'], 'read: 1\n').status).toBe(2);
  });
});

/** Docker's default profile in the shared corpus (next to the policies). */
const docker = path.resolve(process.env.TSJAIL_CORPUS ? path.resolve(process.env.TSJAIL_CORPUS, '../oci') : path.join(root, '../shared/corpus/oci'), 'docker-default.json');
const haveDocker = (() => { try { readFileSync(docker); return true; } catch { return false; } })();

describe('tsjail convert --from oci', () => {
  (haveDocker ? test : test.skip)('docker-default becomes a policy that compiles; --caps changes it', () => {
    const out = path.join(dir, 'docker.policy');
    const r = tsjail(['convert', '--from', 'oci', docker, '--arch', 'x86_64', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^@default return 1$/m);
    expect(tsjail(['compile', out, '--arch', 'x86_64', '-o', path.join(dir, 'docker.bpf')]).status).toBe(0);
    const admin = tsjail(['convert', '--from', 'oci', docker, '--arch', 'amd64', '--caps', 'CAP_SYS_ADMIN']);
    expect(admin.status).toBe(0);
    expect(admin.stdout).toMatch(/^clone: 1$/m);
    expect(admin.stdout).toMatch(/capabilities: CAP_SYS_ADMIN, kernel 6\.1/);
  });

  test('bad input: one line naming the file and the JSON path (or line:column), exit 1', () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_FOO"}]}]}');
    const r = tsjail(['convert', '--from', 'oci', bad, '--arch', 'x86_64']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tsjail: ${bad}: syscalls[0].args[0].op: unknown operator "SCMP_CMP_FOO"; expected one of SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ\n`);
    const j = tsjail(['convert', '--from', 'oci', '-', '--arch', 'x86_64'], '{\n  "defaultAction": }');
    expect(j.status).toBe(1);
    expect(j.stderr).toBe('tsjail: <stdin>:2:20: invalid JSON: unexpected "}"\n');
    expect(tsjail(['convert', '--from', 'oci', path.join(dir, 'nope.json'), '--arch', 'x86_64']).stderr).toMatch(/^tsjail: cannot read .*nope\.json: no such file or directory/);
  });
});

describe('tsjail run --seccomp-oci', () => {
  test('runs a program under a profile: a denied call fails with the profile\'s errno', () => {
    const prof = path.join(dir, 'deny-uname.json');
    writeFileSync(prof, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['uname', 'io_uring_setup', 'io_uring_enter', 'io_uring_register'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }));
    const r = tsjail(['run', '--seccomp-oci', prof, '--', '/bin/uname']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Operation not permitted/);
    expect(tsjail(['run', '--seccomp-oci', prof, '--', '/bin/true']).status).toBe(0);
  });

  (haveDocker ? test : test.skip)('docker-default: a shell runs; a new user namespace is refused without CAP_SYS_ADMIN, and --oci-caps changes the profile', () => {
    const sh = ['--', '/bin/sh', '-c', 'echo ok; unshare -U true 2>/dev/null; echo unshare=$?'];
    const none = tsjail(['run', '--seccomp-oci', docker, ...sh]);
    expect(none.status).toBe(0);
    expect(none.stdout).toBe('ok\nunshare=1\n');
    const admin = tsjail(['run', '--seccomp-oci', docker, '--oci-caps', 'CAP_SYS_ADMIN', ...sh]);
    expect(admin.status).toBe(0);
    expect(admin.stdout).toBe('ok\nunshare=0\n');
  });

  test('a bad profile is a usage error naming the JSON path; nothing runs', () => {
    const bad = path.join(dir, 'bad-run.json');
    writeFileSync(bad, '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_PERMIT"}]}');
    const r = tsjail(['run', '--seccomp-oci', bad, '--', '/bin/true']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^tsjail: run: --seccomp-oci ${bad.replace(/[.]/g, '\\.')}: syscalls\\[0\\]\\.action: unknown action "SCMP_ACT_PERMIT"`));
  });
});
