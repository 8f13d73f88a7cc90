// wasm/abi.json is the one source of the core's flags, action names and diagnostic codes:
// scripts/gen-abi.js must reproduce the committed AssemblyScript, TypeScript and documentation
// from it byte for byte, and must notice when one of them was edited by hand.

import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { ACTION_NAMES, DIAGNOSTIC_MESSAGES, DiagnosticCode, Flag } from '../ts/policy/abi';
import { analyzePolicy, compilePolicy, simulate } from '../ts/policy/index';

import { ROOT, inScratchCopy, runCheck as runGenerator } from './helpers/generated-check';

const GENERATED = ['wasm/assembly/abi.ts', 'ts/policy/abi.ts', 'docs/policy-language.md'];

const runCheck = (root: string) => runGenerator(root, 'scripts/gen-abi.js');

describe('scripts/gen-abi.js', () => {
  test('--check reproduces the committed files byte for byte', () => {
    const r = runCheck(ROOT);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('--check fails and names the file when a generated file was edited by hand', () => {
    inScratchCopy(['scripts/gen-abi.js', 'scripts/generated-check.js', 'wasm/abi.json', ...GENERATED], (dir) => {
      expect(runCheck(dir).status).toBe(0);
      const ts = path.join(dir, 'ts/policy/abi.ts');
      writeFileSync(ts, readFileSync(ts, 'utf8').replace('InvalidConstant: 2002', 'InvalidConstant: 2020'));
      const r = runCheck(dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('ts/policy/abi.ts (line');
      expect(r.stderr).toContain('InvalidConstant: 2020');
    });
  });
});

describe('the generated TypeScript side', () => {
  const abi = JSON.parse(readFileSync(path.join(ROOT, 'wasm/abi.json'), 'utf8')) as {
    diagnostics: Array<{ code: number; name: string; message: string }>;
  };

  test('every code has its name and message; codes keep their numbers', () => {
    for (const d of abi.diagnostics) {
      expect((DiagnosticCode as Record<string, number>)[d.name]).toBe(d.code);
      expect((DIAGNOSTIC_MESSAGES as Record<number, string>)[d.code]).toBe(d.message);
    }
    // A few numbers that are API (tests, the CLI's users and editors match on them).
    expect([DiagnosticCode.InvalidToken, DiagnosticCode.NonexistentSyscall, DiagnosticCode.InvalidConstant,
      DiagnosticCode.AlreadyUnconditional, DiagnosticCode.UnknownArch, DiagnosticCode.ReadFailed]).toEqual([1001, 2001, 2002, 3001, 9001, 9502]);
  });

  test('the core reports the codes and messages of the table', async () => {
    const r = await analyzePolicy('read: arg0 == O_RDONY\nfoo: allow\n', { arch: 'x86_64', path: 'p.policy' });
    expect(r.diagnostics.map((d) => d.code)).toEqual([DiagnosticCode.InvalidConstant, DiagnosticCode.NonexistentSyscall]);
    expect(r.diagnostics[0].message).toBe(DIAGNOSTIC_MESSAGES[DiagnosticCode.InvalidConstant].replace('{0}', 'O_RDONY').replace('{1}', '; did you mean "O_RDONLY"?'));
  });

  test('the flags mean what they say in the core', async () => {
    const text = 'read: arg0 == 1; return EPERM\n';
    const plain = await compilePolicy(text, { arch: 'x86_64' });
    const onMatch = await compilePolicy(text, { arch: 'x86_64', returnOnMatch: true });
    expect((await simulate(plain.program, { arch: 'x86_64', syscall: 'read', args: [1] })).action).toBe('allow');
    expect((await simulate(onMatch.program, { arch: 'x86_64', syscall: 'read', args: [1] })).action).toBe('errno');
    expect(Flag.CheckOnly & (Flag.ReturnOnMatch | Flag.KillThread | Flag.Verify)).toBe(0);
    const check = await analyzePolicy('read: allow\n', { arch: 'x86_64', checkOnly: true });
    expect(check).toMatchObject({ ok: true, ir: null });
  });

  test('every action name the simulator reports is one of ACTION_NAMES', async () => {
    const seen = new Set<string>();
    for (const [action, syscall] of [['allow', 'read'], ['kill-thread', 'write'], ['trap', 'close'], ['log', 'openat'], ['user-notify', 'ioctl'], ['trace', 'mmap'], ['return 5', 'brk']]) {
      const r = await compilePolicy(`${syscall}: ${action}\n`, { arch: 'x86_64' });
      seen.add((await simulate(r.program, { arch: 'x86_64', syscall })).action);
      seen.add((await simulate(r.program, { arch: 'x86_64', syscall: 'getpid' })).action);
    }
    expect([...seen].sort()).toEqual([...ACTION_NAMES].sort());
  });
});
