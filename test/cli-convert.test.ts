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
