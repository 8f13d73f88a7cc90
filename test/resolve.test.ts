// Resolve: names and constants per arch, includes, @default/@denylist/@frequency, the two
// meanings of `; return`, and the vectors V1-V25 of test/vectors.test.ts evaluated on the IR
// (the simulator and kernel runs of the same vectors live in their own tests).

import { dump, irOf, evalIr, rulesOf, FLAG_RETURN_ON_MATCH, FLAG_KILL_THREAD } from './helpers/frontend';

const X86_64_AUDIT = 0xc000003e;

describe('§1.11 vectors at the IR level (x86_64, kill action = kill-process)', () => {
  test('V1 allow / 1; unlisted -> default', async () => {
    const ir = await irOf('read: allow\nwrite: 1');
    expect(evalIr(ir, 'read')).toBe('allow');
    expect(evalIr(ir, 'write')).toBe('allow');
    expect(evalIr(ir, 'close')).toBe('kill-process');
  });

  test('V2 == checks the whole 64-bit word', async () => {
    const ir = await irOf('read: arg0 == 0');
    expect(evalIr(ir, 'read', [0])).toBe('allow');
    expect(evalIr(ir, 'read', [1])).toBe('kill-process');
    expect(evalIr(ir, 'read', [1n << 32n])).toBe('kill-process');
  });

  test('V3 !=', async () => {
    const ir = await irOf('read: arg0 != 5');
    expect(evalIr(ir, 'read', [5])).toBe('kill-process');
    expect(evalIr(ir, 'read', [4])).toBe('allow');
    expect(evalIr(ir, 'read', [5n | (1n << 32n)])).toBe('allow');
  });

  test('V4 < and >= are unsigned 64-bit', async () => {
    const ir = await irOf('read: arg0 < 0x100\nwrite: arg1 >= 0x100000000');
    expect(evalIr(ir, 'read', [0xff])).toBe('allow');
    expect(evalIr(ir, 'read', [0x100])).toBe('kill-process');
    expect(evalIr(ir, 'read', [1n << 40n])).toBe('kill-process');
    expect(evalIr(ir, 'write', [0, 0xffffffff])).toBe('kill-process');
    expect(evalIr(ir, 'write', [0, 1n << 32n])).toBe('allow');
  });

  test('V5 & (some flag set)', async () => {
    const ir = await irOf('read: arg2 & PROT_WRITE|PROT_EXEC');
    expect([0, 2, 4, 8].map((p) => evalIr(ir, 'read', [0, 0, p]))).toEqual(['kill-process', 'allow', 'allow', 'kill-process']);
  });

  test('V6 in (subset of)', async () => {
    const ir = await irOf('read: arg2 in PROT_WRITE|PROT_EXEC');
    expect([0n, 6n, 1n, 1n << 33n].map((p) => evalIr(ir, 'read', [0, 0, p]))).toEqual(['allow', 'allow', 'kill-process', 'kill-process']);
  });

  test('V7 W^X', async () => {
    const ir = await irOf('read: arg2 in ~PROT_EXEC || arg2 in ~PROT_WRITE');
    expect([2, 4, 6, 1].map((p) => evalIr(ir, 'read', [0, 0, p]))).toEqual(['allow', 'allow', 'kill-process', 'allow']);
  });

  test('V8 && before ||', async () => {
    const ir = await irOf('read: arg0 == 0 && arg1 == 0 || arg0 == 1');
    expect(evalIr(ir, 'read', [0, 0])).toBe('allow');
    expect(evalIr(ir, 'read', [0, 1])).toBe('kill-process');
    expect(evalIr(ir, 'read', [1, 1])).toBe('allow');
  });

  test('V9 `EXPR; return N`: minijail0 meaning by default, compile_seccomp_policy meaning with returnOnMatch', async () => {
    const c = await irOf('read: arg0 == 0; return ENOSYS');
    expect(rulesOf(c, 'read')).toEqual(['allow if arg0 == 0x0', 'errno 38']);
    expect(evalIr(c, 'read', [0])).toBe('allow');
    expect(evalIr(c, 'read', [1])).toBe('errno 38');
    const py = await irOf('read: arg0 == 0; return ENOSYS', { flags: FLAG_RETURN_ON_MATCH });
    expect(rulesOf(py, 'read')).toEqual(['errno 38 if arg0 == 0x0']);
    expect(evalIr(py, 'read', [0])).toBe('errno 38');
    expect(evalIr(py, 'read', [1])).toBe('kill-process');
  });

  test('V9b the explicit forms mean minijail0\'s V9 under both options', async () => {
    for (const flags of [0, FLAG_RETURN_ON_MATCH]) {
      for (const text of ['read: {arg0 == 0, return ENOSYS}', 'read: arg0 == 0\nread: return ENOSYS']) {
        const ir = await irOf(text, { flags });
        expect(evalIr(ir, 'read', [0])).toBe('allow');
        expect(evalIr(ir, 'read', [1])).toBe('errno 38');
      }
    }
  });

  test('V10 return 1 / return 0', async () => {
    const ir = await irOf('read: return 1\nwrite: return 0');
    expect(evalIr(ir, 'read')).toBe('errno 1');
    expect(evalIr(ir, 'write')).toBe('errno 0');
  });

  test('V11 -1 is 2^64-1, not a zero-extended 32-bit -1', async () => {
    const ir = await irOf('read: arg0 == -1');
    expect(evalIr(ir, 'read', [0xffffffffffffffffn])).toBe('allow');
    expect(evalIr(ir, 'read', [0xffffffffn])).toBe('kill-process');
  });

  test('V12 ~', async () => {
    const ir = await irOf('read: arg0 == ~0\nwrite: arg0 == ~(1|2)');
    expect(evalIr(ir, 'read', [(1n << 64n) - 1n])).toBe('allow');
    expect(evalIr(ir, 'write', [(1n << 64n) - 4n])).toBe('allow');
    expect(evalIr(ir, 'write', [(1n << 64n) - 1n])).toBe('kill-process');
  });

  test('V13 octal, hex, decimal', async () => {
    const ir = await irOf('read: arg0 == 010 || arg0 == 0x10 || arg0 == 10');
    expect([8, 16, 10, 9].map((v) => evalIr(ir, 'read', [v]))).toEqual(['allow', 'allow', 'allow', 'kill-process']);
  });

  test('V14 filter list with actions (same under both options)', async () => {
    for (const flags of [0, FLAG_RETURN_ON_MATCH]) {
      const ir = await irOf('read: {arg0 == 0, arg0 == 1; return ENOSYS, trap}', { flags });
      expect([0, 1, 2].map((v) => evalIr(ir, 'read', [v]))).toEqual(['allow', 'errno 38', 'trap']);
    }
  });

  test('V15 a syscall named again continues its rule list', async () => {
    const text = 'read: arg0 == 0\nread: arg0 == 1; return 1';
    const py = await irOf(text, { flags: FLAG_RETURN_ON_MATCH });
    expect([0, 1, 2].map((v) => evalIr(py, 'read', [v]))).toEqual(['allow', 'errno 1', 'kill-process']);
    // minijail0's meaning of the second line: allow when arg0 == 1, else errno 1.
    const c = await irOf(text);
    expect(rulesOf(c, 'read')).toEqual(['allow if arg0 == 0x0', 'allow if arg0 == 0x1', 'errno 1']);
    expect([0, 1, 2].map((v) => evalIr(c, 'read', [v]))).toEqual(['allow', 'allow', 'errno 1']);
  });

  test('V16 @default and {a, b}', async () => {
    const ir = await irOf('@default kill-thread\n{read, write}: arg0 == 1');
    expect(evalIr(ir, 'read', [1])).toBe('allow');
    expect(evalIr(ir, 'write', [2])).toBe('kill-thread');
    expect(evalIr(ir, 'close')).toBe('kill-thread');
  });

  test('V17 every action', async () => {
    const ir = await irOf('read: trace\nwrite: user-notify\nopen: log\nclose: kill-thread\nkill: kill-process');
    expect(['read', 'write', 'open', 'close', 'kill'].map((n) => evalIr(ir, n)))
      .toEqual(['trace', 'user-notify', 'log', 'kill-thread', 'kill-process']);
    expect(ir.syscalls.map((s) => s.rules[0].action.ret)).toEqual([0x7ff00000, 0x7fc00000, 0x7ffc0000, 0, 0x80000000]);
  });

  test('V18 [arch=...] drops descriptors of other arches', async () => {
    const text = 'read[arch=test]: allow\nwrite[arch=x86_64]: allow';
    const x = await irOf(text);
    expect(evalIr(x, 'read')).toBe('kill-process');
    expect(evalIr(x, 'write')).toBe('allow');
    const a = await irOf(text, { arch: 'aarch64' });
    expect(a.syscalls).toEqual([]);
  });

  test('V19 syscall groups: none exist, so a group is an error', async () => {
    const r = await dump('io@libc: allow');
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0].code).toBe(2011);
    expect(r.diagnostics[0].message).toContain('nonexistent syscall group namespace');
  });

  test('V20 @denylist: default allow, rules take the on-match meaning', async () => {
    const ir = await irOf('@denylist\nread: return ENOSYS\nwrite: arg0 == 1; return 1');
    expect(evalIr(ir, 'read')).toBe('errno 38');
    expect(evalIr(ir, 'write', [1])).toBe('errno 1');
    expect(evalIr(ir, 'write', [2])).toBe('allow');
    expect(evalIr(ir, 'close')).toBe('allow');
    expect(ir.badArchAction.text).toBe('errno 1');
  });

  test('V21 errno above 4095 is an error, not masked', async () => {
    const r = await dump('read: return 65537');
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toEqual([2006]);
  });

  test('V22 rules before an allow suffix are kept', async () => {
    for (const text of ['read: {arg0 == 0; return 1, allow}', 'read: arg0 == 0; return 1\nread: allow']) {
      const ir = await irOf(text, { flags: FLAG_RETURN_ON_MATCH });
      expect(evalIr(ir, 'read', [0])).toBe('errno 1');
      expect(evalIr(ir, 'read', [5])).toBe('allow');
    }
    const braced = await irOf('read: {arg0 == 0; return 1, allow}');
    expect(rulesOf(braced, 'read')).toEqual(['errno 1 if arg0 == 0x0', 'allow']);
  });

  test('V23 continuation and a trailing comment', async () => {
    const ir = await irOf('read: arg0 == 1 \\\n  || arg0 == 2 # c');
    expect([1, 2, 3].map((v) => evalIr(ir, 'read', [v]))).toEqual(['allow', 'allow', 'kill-process']);
  });

  test('V24 a foreign arch gets the kill action', async () => {
    const ir = await irOf('read: allow');
    expect(evalIr(ir, 'read', [], 0xc000003e)).toBe('allow');
    expect(evalIr(ir, 'read', [], 0x40000003)).toBe('kill-process');
    expect(ir.auditArch).toBe(X86_64_AUDIT);
  });

  test('V25 a trailing comment after a rule', async () => {
    const ir = await irOf('read: arg0 == 1 # c');
    expect(rulesOf(ir, 'read')).toEqual(['allow if arg0 == 0x1']);
  });
});

describe('default and kill actions', () => {
  test('no @default: kill-process; kill-thread with FLAG_KILL_THREAD (kill, default, bad arch)', async () => {
    const p = await irOf('read: kill');
    expect([p.defaultAction.text, p.badArchAction.text, rulesOf(p, 'read')[0]]).toEqual(['kill-process', 'kill-process', 'kill-process']);
    const t = await irOf('read: kill', { flags: FLAG_KILL_THREAD });
    expect([t.defaultAction.text, t.badArchAction.text, rulesOf(t, 'read')[0]]).toEqual(['kill-thread', 'kill-thread', 'kill-thread']);
  });

  test('@default: each non-permissive action; the last one wins, also from an included file', async () => {
    for (const a of ['kill-process', 'kill-thread', 'trap', 'user-notify']) {
      expect((await irOf(`@default ${a}\nread: allow`)).defaultAction.text).toBe(a);
    }
    expect((await irOf('@default kill\n', { flags: FLAG_KILL_THREAD })).defaultAction.text).toBe('kill-thread');
    expect((await irOf('@default trap\n@default kill-thread\n')).defaultAction.text).toBe('kill-thread');
    const inc = await irOf('@default trap\n@include ./d.policy\n', { path: '/p/main.policy', files: { '/p/d.policy': '@default user-notify\n' } });
    expect(inc.defaultAction.text).toBe('user-notify');
  });

  test('@default does not change the bad-arch action', async () => {
    expect((await irOf('@default trap')).badArchAction.text).toBe('kill-process');
  });

  test('the host override replaces @default and may be permissive', async () => {
    for (const [o, t] of [['log', 'log'], ['allow', 'allow'], ['return 5', 'errno 5'], ['return EPERM', 'errno 1'], ['trace', 'trace']]) {
      expect((await irOf('@default trap\nread: allow', { defaultAction: o })).defaultAction.text).toBe(t);
    }
  });

  test('a bad override is reported against <default-action>', async () => {
    const r = await dump('read: allow', { defaultAction: 'return 99999' });
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({ code: 2006, file: '<default-action>' });
  });
});

describe('several rules for one syscall', () => {
  test('rules append in file order across statements and includes', async () => {
    const ir = await irOf('read: arg0 == 1\n@include ./b.policy\nread: arg0 == 3\n', {
      path: '/p/a.policy', files: { '/p/b.policy': 'read: arg0 == 2; trap\n' },
    });
    expect(rulesOf(ir, 'read')).toEqual(['allow if arg0 == 0x1', 'trap if arg0 == 0x2', 'allow if arg0 == 0x3']);
  });

  test('a rule after an unconditional one is an error pointing at the previous definition', async () => {
    const r = await dump('read: allow\nwrite: allow\nread: arg0 == 1; trap');
    expect(r.ok).toBe(false);
    const d = r.diagnostics[0];
    expect(d).toMatchObject({ code: 3001, line: 3, column: 1 });
    expect(d.message).toContain('already had an unconditional action applied');
    expect(d.related).toMatchObject({ line: 1, column: 1, message: 'previous definition' });
  });

  test('a rule after an unconditional one with the same action is a warning (Android policies do it)', async () => {
    const r = await dump('read: 1\nwrite: 1\nread: allow\nread: arg0 == 1\n');
    expect(r.ok).toBe(true);
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.line])).toEqual([[3003, 'warning', 3], [3003, 'warning', 4]]);
    expect(r.diagnostics[0].related).toMatchObject({ line: 1, message: 'previous definition' });
    expect(rulesOf(r.ir!, 'read')).toEqual(['allow']);
  });

  test('minijail0\'s `; return` makes the rule list final', async () => {
    const r = await dump('read: arg0 == 1; return 1\nread: allow');
    expect(r.diagnostics.map((d) => d.code)).toEqual([3001]);
    expect((await dump('read: arg0 == 1; return 1\nread: allow', { flags: FLAG_RETURN_ON_MATCH })).ok).toBe(true);
  });
});

describe('@denylist', () => {
  test('every action must be return N', async () => {
    const r = await dump('@denylist\nread: kill\nwrite: allow\nopen: arg0 == 1\nclose: return 1');
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([[3002, 2], [3002, 3], [3002, 4]]);
    expect(r.diagnostics[0].message).toContain('invalid denylist policy');
  });

  test('@default is rejected in a denylist policy', async () => {
    expect((await dump('@denylist\n@default trap\nread: return 1')).diagnostics.map((d) => d.code)).toEqual([3002]);
  });

  test('the override still applies', async () => {
    expect((await irOf('@denylist\nread: return 1', { defaultAction: 'log' })).defaultAction.text).toBe('log');
    expect((await irOf('@denylist\nread: return 1', { defaultAction: 'kill' })).defaultAction.text).toBe('errno 1');
  });
});

describe('@include', () => {
  test('relative, absolute and ./../ forms', async () => {
    const files = {
      '/etc/p/a.policy': 'read: allow\n@include ./sub/b.policy',
      '/etc/p/sub/b.policy': 'write: allow\n@include ./../c.policy',
      '/etc/p/c.policy': 'close: allow\n@include /abs/d.policy',
      '/abs/d.policy': 'open: allow',
    };
    const ir = await irOf('@include ./a.policy', { path: '/etc/p/main.policy', files });
    expect(ir.syscalls.map((s) => s.name)).toEqual(['read', 'write', 'open', 'close']);
  });

  test('a file included twice contributes twice (the second time errors if final)', async () => {
    const r = await dump('@include ./a.policy\n@include ./a.policy\n', { path: 'm', files: { 'a.policy': 'read: arg0 == 1\n' } });
    expect(rulesOf(r.ir!, 'read')).toEqual(['allow if arg0 == 0x1', 'allow if arg0 == 0x1']);
  });

  test('nesting up to the depth limit (8 below main) works', async () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 8; i++) files[`/p/f${i}`] = i < 8 ? `@include ./f${i + 1}\n` : 'read: allow\n';
    const ir = await irOf('@include ./f1', { path: '/p/main', files });
    expect(rulesOf(ir, 'read')).toEqual(['allow']);
  });
});

describe('@frequency', () => {
  test('counts add up into weights; unlisted syscalls weigh 1', async () => {
    const ir = await irOf('@frequency ./f.frequency\n@frequency ./g.frequency\nread: allow\nwrite: allow\nclose: allow\nopen: allow', {
      path: '/p/main.policy',
      files: {
        '/p/f.frequency': '# counts\nread: 10\nwrite: 5\n{read, close}: 3\n',
        '/p/g.frequency': 'read: 7\nexit_group: 100\n',
      },
    });
    expect(Object.fromEntries(ir.syscalls.map((s) => [s.name, s.weight]))).toEqual({ read: 20, write: 5, close: 3, open: 1 });
  });
});

describe('warnings', () => {
  test('a comparison that never holds (`& 0`, `< 0`) is a warning, not an error', async () => {
    const r = await dump('open: arg1 & O_RDONLY || arg2 < 0 || arg0 == 0');
    expect(r.ok).toBe(true);
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.column])).toEqual([[3004, 'warning', 7], [3004, 'warning', 26]]);
    expect(r.diagnostics[0].message).toContain('O_RDONLY');
    expect(rulesOf(r.ir!, 'open')).toEqual(['allow if arg1 & 0x0 || arg2 < 0x0 || arg0 == 0x0']);
  });
});

describe('32-bit arches', () => {
  test('constants are in the 32-bit word', async () => {
    const ir = await irOf('read: arg0 == ~0 || arg1 in ~PROT_WRITE || arg2 == -2', { arch: 'i386' });
    expect(rulesOf(ir, 'read')).toEqual(['allow if arg0 == 0xffffffff || arg1 in 0xfffffffd || arg2 == 0xfffffffe']);
    expect(ir.bits).toBe(32);
  });
});
