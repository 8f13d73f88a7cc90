// The disassembler: one line per instruction with address, raw fields and pseudo-code whose
// constants are decoded from what A holds (seccomp_data field, AUDIT_ARCH, syscall names
// after a load of nr, actions with their data).
import { loadCore, Core } from '../ts/policy/core';
import { Insn, assemble, insn as ins } from './helpers/bpf';

let core: Core;
beforeAll(async () => { core = await loadCore(); });
/** Pseudo-code column of each line. */
const text = (prog: Insn[], arch = '') => core.disassemble(assemble(prog), arch).trimEnd().split('\n').slice(2).map((l) => l.slice(36));

describe('disassemble', () => {
  test('header, addresses, raw fields and jump-target marks', () => {
    const out = core.disassemble(assemble([ins(0x20, 4), ins(0x15, 0xc000003e, 1, 0), ins(0x06, 0), ins(0x06, 0x7fff0000)]), '');
    expect(out).toBe([
      ' line  CODE  JT   JF      K',
      '=================================',
      ' 0000: 0x20 0x00 0x00 0x00000004    A = arch',
      ' 0001: 0x15 0x01 0x00 0xc000003e    if (A == AUDIT_ARCH_X86_64) goto 0003',
      ' 0002: 0x06 0x00 0x00 0x00000000    return KILL_THREAD',
      'L0003: 0x06 0x00 0x00 0x7fff0000    return ALLOW',
      '',
    ].join('\n'));
  });

  test('seccomp_data fields by offset', () => {
    expect(text([ins(0x20, 0), ins(0x20, 4), ins(0x20, 8), ins(0x20, 12), ins(0x20, 16), ins(0x20, 20), ins(0x20, 56), ins(0x20, 60), ins(0x06)])).toEqual([
      'A = nr', 'A = arch', 'A = ip', 'A = ip.hi', 'A = args[0].lo', 'A = args[0].hi', 'A = args[5].lo', 'A = args[5].hi', 'return KILL_THREAD',
    ]);
  });

  test('syscall names after a load of nr (per arch), plain hex elsewhere', () => {
    const prog = [ins(0x20, 0), ins(0x15, 59, 0, 1), ins(0x20, 16), ins(0x15, 59, 0, 0), ins(0x06)];
    const x86 = text(prog, 'x86_64');
    expect(x86[1]).toBe('if (A != 59 /* execve */) goto 0003');
    expect(x86[3]).toBe('if (A == 0x3b) goto 0004');
    expect(text(prog, 'aarch64')[1]).toMatch(/^if \(A != 59( \/\* \w+ \*\/)?\) goto 0003$/);
    expect(text(prog, '')[1]).toBe('if (A != 59) goto 0003');
  });

  test('what A holds is merged over paths: ambiguous loads print plain constants', () => {
    // 0: if (X...) jumps to 2 or 3; path to 3 has A = nr, path through 2 has A = args[0].lo.
    const prog = [ins(0x20, 0), ins(0x15, 1, 1, 0), ins(0x20, 16), ins(0x15, 59, 0, 0), ins(0x06)];
    expect(text(prog, 'x86_64')[3]).toBe('if (A == 0x3b) goto 0004');
  });

  test('conditions with both targets, negated forms and X operands', () => {
    expect(text([ins(0x20, 16), ins(0x25, 7, 1, 2), ins(0x35, 7, 0, 1), ins(0x45, 4, 0, 0), ins(0x1d, 0, 0, 0), ins(0x06), ins(0x06)])).toEqual([
      'A = args[0].lo',
      'if (A > 0x7) goto 0003 else goto 0004',
      'if (A < 0x7) goto 0004',
      'if (A & 0x4) goto 0004',
      'if (A == X) goto 0005',
      'return KILL_THREAD',
      'return KILL_THREAD',
    ]);
    expect(text([ins(0x45, 4, 0, 1), ins(0x06), ins(0x06)])[0]).toBe('if (!(A & 0x4)) goto 0002');
  });

  test('every other instruction class', () => {
    expect(text([
      ins(0x00, 5), ins(0x01, 6), ins(0x80), ins(0x81), ins(0x60, 1), ins(0x61, 2), ins(0x02, 3), ins(0x03, 4),
      ins(0x04, 1), ins(0x0c), ins(0x14, 2), ins(0x24, 3), ins(0x34, 4), ins(0x44, 5), ins(0x54, 6), ins(0x64, 7), ins(0x74, 8),
      ins(0x84), ins(0x94, 9), ins(0xa4, 10), ins(0x07), ins(0x87), ins(0x05, 0), ins(0x16), ins(0x28, 4), ins(0xff), ins(0x06),
    ])).toEqual([
      'A = 0x5', 'X = 0x6', 'A = sizeof(seccomp_data)', 'X = sizeof(seccomp_data)', 'A = M[1]', 'X = M[2]', 'M[3] = A', 'M[4] = X',
      'A += 0x1', 'A += X', 'A -= 0x2', 'A *= 0x3', 'A /= 0x4', 'A |= 0x5', 'A &= 0x6', 'A <<= 0x7', 'A >>= 0x8',
      'A = -A', 'A %= 0x9', 'A ^= 0xa', 'X = A', 'A = X', 'goto 0023', 'return A', 'A = u16 [4]', '??? misc 0xff', 'return KILL_THREAD',
    ]);
  });

  test('actions with their data', () => {
    expect(text([ins(0x06, 0x80000000), ins(0x06, 0x00050026), ins(0x06, 0x00030000), ins(0x06, 0x00030007), ins(0x06, 0x7ff00003),
      ins(0x06, 0x7ffc0000), ins(0x06, 0x7fc00000), ins(0x06, 0x7fff0000), ins(0x06, 0x12345678)])).toEqual([
      'return KILL_PROCESS', 'return ERRNO(38)', 'return TRAP', 'return TRAP(7)', 'return TRACE(3)', 'return LOG', 'return USER_NOTIF',
      'return ALLOW', 'return 0x12345678',
    ]);
  });

  test('foreign arch constants are named too', () => {
    expect(text([ins(0x20, 4), ins(0x15, 0x40000003, 0, 0), ins(0x15, 0xc00000b7, 0, 0), ins(0x15, 0x40000028, 0, 0), ins(0x06)])).toEqual([
      'A = arch', 'if (A == AUDIT_ARCH_I386) goto 0002', 'if (A == AUDIT_ARCH_AARCH64) goto 0003', 'if (A == AUDIT_ARCH_ARM) goto 0004', 'return KILL_THREAD',
    ]);
  });

  test('a byte length that is not a multiple of 8 is reported', () => {
    expect(core.disassemble(new Uint8Array(9), '')).toMatch(/^error: .*not a multiple of 8/);
  });
});
