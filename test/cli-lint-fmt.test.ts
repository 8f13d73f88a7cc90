// `tsjail lint` and `tsjail fmt` as users run them (node bin/tsjail on the fresh bundle): exit
// statuses, the text line and the exact JSON shape of lint, fmt's stdout, --check and -w (in
// place, atomically), and errors as file:line:col lines without a stack.

import { spawnSync, execFileSync } from 'child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { writeAtomically } from '../ts/cli/fmt';
import { PolicyFailure } from '../ts/cli/errors';

const root = path.resolve(__dirname, '..');
const STACK_LINE = /^\s+at .+\(.*:\d+:\d+\)|^\s+at .+:\d+:\d+$/m;
const NEEDED = 'exit_group: 1\nrt_sigreturn: 1\nrestart_syscall: 1\n';

interface Run { status: number | null; stdout: string; stderr: string }

function tsjail(args: string[], input?: string): Run {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'tsjail'), ...args], { cwd: root, input });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(() => {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-ts.js'), '--no-types'], { cwd: root, stdio: 'inherit' });
  dir = mkdtempSync(path.join(tmpdir(), 'tsjail-lintfmt-'));
  writeFileSync(file('warn.policy'), `read: 1\nptrace: 1\nopenat: arg2 == 0\nopenat: 1\n${NEEDED}`);
  writeFileSync(file('typo.policy'), `read[arch=x86_65]: 1\n${NEEDED}`);
  writeFileSync(file('clean.policy'), `read: 1\n${NEEDED}`);
  writeFileSync(file('syntax.policy'), 'read: 1\nwrite: arg0 == %\n');
  writeFileSync(file('multi.policy'), `open: 1\nread: arg0 > 0xffffffff\nptrace: 1\n${NEEDED}`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tsjail lint', () => {
  test('warnings only: one line each, file:line:col: severity code: message; exit 0', () => {
    const r = tsjail(['lint', file('warn.policy'), '--arch', 'x86_64']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter((l) => l)).toEqual([
      `${file('warn.policy')}:2:9: warning 6001: ptrace is allowed without conditions: it controls other processes (and can bypass the filter)`,
      `${file('warn.policy')}:4:9: warning 6004: this rule widens the earlier rule at ${file('warn.policy')}:3:9: that rule's condition no longer matters (allow either way)`,
    ]);
  });

  test('no findings: nothing printed, exit 0', () => {
    const r = tsjail(['lint', file('clean.policy'), '--arch', 'x86_64']);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
  });

  test('an error finding: exit 1', () => {
    const r = tsjail(['lint', file('typo.policy'), '--arch', 'x86_64']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${file('typo.policy')}:1:11: error 6009: unknown arch "x86_65"`);
  });

  test('--format json: exactly [{file, line, column, endLine, endColumn, code, severity, message, fix?}]', () => {
    const r = tsjail(['lint', file('typo.policy'), file('warn.policy'), '--arch', 'x86_64', '--format', 'json']);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    const keys = ['file', 'line', 'column', 'endLine', 'endColumn', 'code', 'severity', 'message'];
    for (const f of out) expect(Object.keys(f).filter((k) => k !== 'fix')).toEqual(keys);
    expect(out[0]).toEqual({
      file: file('typo.policy'), line: 1, column: 11, endLine: 1, endColumn: 17, code: 6009, severity: 'error',
      message: 'unknown arch "x86_65" in [arch=...]: it matches no arch, so a typo silently drops the rule; did you mean "x86_64"?',
      fix: { title: 'Change to "x86_64"', edits: [{ file: file('typo.policy'), start: 10, end: 16, line: 1, column: 11, endLine: 1, endColumn: 17, newText: 'x86_64' }] },
    });
    expect(out.map((f) => f.code)).toEqual([6009, 6001, 6004]);
    expect(out[1].fix).toBeUndefined();
  });

  test('--arch A,B: a finding only some arches make says which, in the line and in the JSON; the others once', () => {
    const r = tsjail(['lint', file('multi.policy'), '--arch', 'x86_64,i386,aarch64']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    const p = file('multi.policy');
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^${p}:1:1: error 2001: nonexistent syscall "open" .* \\(on aarch64\\)$`)),
      `${p}:2:7: warning 6005: this rule never matches: its condition holds for no call (on i386)`,
      expect.stringMatching(new RegExp(`^${p}:3:9: warning 6001: ptrace is allowed without conditions: .* \\(on x86_64,i386\\)$`)),
    ]);
    const json = JSON.parse(tsjail(['lint', file('multi.policy'), '--arch', 'x86_64,i386,aarch64', '--format', 'json']).stdout);
    expect(json.map((f: { code: number; arch?: string }) => [f.code, f.arch])).toEqual([[2001, 'aarch64'], [6005, 'i386'], [6001, 'x86_64,i386']]);
    expect(json[1].message).toBe('this rule never matches: its condition holds for no call (on i386)');
    // Where every linted arch makes it, a finding names no arch.
    const both = JSON.parse(tsjail(['lint', file('warn.policy'), '--arch', 'x86_64,i386', '--format', 'json']).stdout);
    expect(both.length).toBeGreaterThan(0);
    expect(both.filter((f: { arch?: string }) => f.arch !== undefined)).toEqual([]);
    expect(new Set(both.map((f: { code: number; line: number }) => `${f.code}@${f.line}`)).size).toBe(both.length);
  });

  test('a policy error: file:line:col in the line, exit 1, no stack', () => {
    const r = tsjail(['lint', file('syntax.policy'), '--arch', 'x86_64']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`${file('syntax.policy')}:2:16: error 1001: invalid token "%"\n`);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  test('usage errors exit 2 with one line', () => {
    for (const args of [['--arch', 'vax'], ['--format', 'xml']]) {
      const r = tsjail(['lint', file('clean.policy'), ...args]);
      expect(r.status).toBe(2);
      expect(r.stderr).not.toMatch(STACK_LINE);
    }
    const missing = tsjail(['lint', file('nope.policy'), '--arch', 'x86_64']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^tsjail: cannot read .*nope\.policy: /);
  });
});

describe('tsjail fmt', () => {
  test('prints the canonical layout; stdin too', () => {
    const r = tsjail(['fmt', '-'], 'read:arg0==1||arg0==2   # c\n\n\nwrite :1\n');
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'read: arg0 == 1 || arg0 == 2 # c\n\nwrite: 1\n', '']);
  });

  test('--check names the files that would change, exit 1; 0 when all are canonical', () => {
    writeFileSync(file('ugly.policy'), 'read:1\n');
    const r = tsjail(['fmt', '--check', file('ugly.policy'), file('clean.policy')]);
    expect([r.status, r.stdout]).toEqual([1, `${file('ugly.policy')}\n`]);
    expect(readFileSync(file('ugly.policy'), 'utf8')).toBe('read:1\n');
    expect(tsjail(['fmt', '--check', file('clean.policy')]).status).toBe(0);
  });

  test('-w rewrites in place, keeping the mode; nothing else is left in the directory', () => {
    const sub = mkdtempSync(path.join(dir, 'w-'));
    const p = path.join(sub, 'a.policy');
    writeFileSync(p, 'read:1\n');
    chmodSync(p, 0o640);
    const r = tsjail(['fmt', '-w', p]);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
    expect(readFileSync(p, 'utf8')).toBe('read: 1\n');
    expect(statSync(p).mode & 0o777).toBe(0o640);
    expect(readdirSync(sub)).toEqual(['a.policy']);
  });

  test('-w on a file with a syntax error: the error with file:line:col, the file untouched, exit 1', () => {
    const before = readFileSync(file('syntax.policy'), 'utf8');
    const r = tsjail(['fmt', '-w', file('syntax.policy')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file('syntax.policy')}:2:16: error: invalid token "%"`);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(readFileSync(file('syntax.policy'), 'utf8')).toBe(before);
  });

  test('the atomic write: a failed rename leaves the original and no temporary file', () => {
    const sub = mkdtempSync(path.join(dir, 'atomic-'));
    mkdirSync(path.join(sub, 'target'));
    writeFileSync(path.join(sub, 'target', 'keep'), 'x');
    expect(() => writeAtomically(path.join(sub, 'target'), 'read: 1\n')).toThrow(PolicyFailure);
    expect(readdirSync(sub)).toEqual(['target']);
    expect(readFileSync(path.join(sub, 'target', 'keep'), 'utf8')).toBe('x');
  });

  test('usage errors exit 2', () => {
    expect(tsjail(['fmt', '--check', '-w', file('clean.policy')]).status).toBe(2);
    expect(tsjail(['fmt', '-w', '-'], 'read: 1\n').status).toBe(2);
    expect(tsjail(['fmt', file('clean.policy'), file('warn.policy')]).status).toBe(2);
  });
});
