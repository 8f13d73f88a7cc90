// The policy grammar (docs/policy-language.md), observed through the IR the core builds:
// lexing rules, atoms, constant expressions, actions, lists, metadata, comments, continuations.

import { dump, irOf, rulesOf, scan } from './helpers/frontend';

describe('lexing', () => {
  test('whitespace is free, comments go anywhere, blank lines are fine', async () => {
    const ir = await irOf('# head\n\n  read :arg0==1# tail\n\twrite:\targ1!=2   \n# end');
    expect(rulesOf(ir, 'read')).toEqual(['allow if arg0 == 0x1']);
    expect(rulesOf(ir, 'write')).toEqual(['allow if arg1 != 0x2']);
  });

  test('a backslash at the end of a line joins the next one (LF and CRLF)', async () => {
    const ir = await irOf('read: arg0 == 1 \\\n  || arg0 == 2 # c\r\nwrite: arg0 == 3 \\\r\n || arg0 == 4\r\n');
    expect(rulesOf(ir, 'read')).toEqual(['allow if arg0 == 0x1 || arg0 == 0x2']);
    expect(rulesOf(ir, 'write')).toEqual(['allow if arg0 == 0x3 || arg0 == 0x4']);
  });

  test('a comment line ending in a backslash does not continue', async () => {
    const ir = await irOf('# comment \\\nread: allow');
    expect(rulesOf(ir, 'read')).toEqual(['allow']);
  });

  test('a leading byte-order mark is ignored', async () => {
    expect(rulesOf(await irOf('\ufeffread: allow\r\n'), 'read')).toEqual(['allow']);
  });

  test('a file without a final newline, an empty file, only comments', async () => {
    expect(rulesOf(await irOf('read: allow'), 'read')).toEqual(['allow']);
    expect((await irOf('')).syscalls).toEqual([]);
    expect((await irOf('# nothing\n\n   \n')).syscalls).toEqual([]);
  });

  test('numbers: hex, octal, decimal, and 09 is decimal (minijail Python rules)', async () => {
    const ir = await irOf('read: arg0 == 0x1F || arg0 == 0X1f || arg0 == 010 || arg0 == 10 || arg0 == 09 || arg0 == 0');
    expect(rulesOf(ir, 'read')).toEqual(['allow if arg0 == 0x1f || arg0 == 0x1f || arg0 == 0x8 || arg0 == 0xa || arg0 == 0x9 || arg0 == 0x0']);
  });

  test('negative numbers are two\'s complement in the arch word', async () => {
    expect(rulesOf(await irOf('read: arg0 == -1'), 'read')).toEqual(['allow if arg0 == 0xffffffffffffffff']);
    expect(rulesOf(await irOf('read: arg0 == -0x8000000000000000'), 'read')).toEqual(['allow if arg0 == 0x8000000000000000']);
    expect(rulesOf(await irOf('read: arg0 == -1', { arch: 'i386' }), 'read')).toEqual(['allow if arg0 == 0xffffffff']);
  });

  test('the largest values of each word size', async () => {
    expect(rulesOf(await irOf('read: arg0 == 0xffffffffffffffff'), 'read')).toEqual(['allow if arg0 == 0xffffffffffffffff']);
    expect(rulesOf(await irOf('read: arg0 == 18446744073709551615'), 'read')).toEqual(['allow if arg0 == 0xffffffffffffffff']);
    expect(rulesOf(await irOf('read: arg0 == 0xffffffff', { arch: 'arm' }), 'read')).toEqual(['allow if arg0 == 0xffffffff']);
  });
});

describe('atoms and expressions', () => {
  test('every operator', async () => {
    const ops = ['==', '!=', '<', '<=', '>', '>=', '&', 'in'];
    const ir = await irOf('read: ' + ops.map((op, i) => `arg${i % 6} ${op} ${i}`).join(' || '));
    expect(rulesOf(ir, 'read')).toEqual(['allow if ' + ops.map((op, i) => `arg${i % 6} ${op} 0x${i.toString(16)}`).join(' || ')]);
  });

  test('&& binds tighter than || (DNF)', async () => {
    const ir = await irOf('read: arg0 == 0 && arg1 == 0 || arg0 == 1 && arg2 == 2 && arg3 == 3 || arg5 == 5');
    const sc = ir.syscalls[0];
    expect(sc.rules[0].clauses.map((c) => c.length)).toEqual([2, 3, 1]);
  });

  test('constant expressions: | ~ ( ) and named constants', async () => {
    const ir = await irOf('read: arg2 in PROT_WRITE|PROT_EXEC || arg2 == ~PROT_EXEC || arg2 == ~(1|2) || arg2 == 0x0F|~(0x5AF000|0xA50FFF)|0xF0');
    expect(rulesOf(ir, 'read')).toEqual([
      'allow if arg2 in 0x6 || arg2 == 0xfffffffffffffffb || arg2 == 0xfffffffffffffffc || arg2 == 0xffffffffff0000ff']);
  });

  test('~ complements in the 32-bit word on 32-bit arches', async () => {
    const ir = await irOf('read: arg2 in ~PROT_EXEC', { arch: 'arm' });
    expect(rulesOf(ir, 'read')).toEqual(['allow if arg2 in 0xfffffffb']);
  });

  test('~ of a parenthesised complement is fine (only ~~ is rejected)', async () => {
    expect(rulesOf(await irOf('read: arg0 == ~(~0)'), 'read')).toEqual(['allow if arg0 == 0x0']);
  });

  test('nested parentheses', async () => {
    expect(rulesOf(await irOf('read: arg0 == ((((1))|((2))))'), 'read')).toEqual(['allow if arg0 == 0x3']);
  });

  test('MINIJAIL_ARCH_NR and MINIJAIL_ARCH_BITS are constants', async () => {
    const ir = await irOf('read: arg0 == MINIJAIL_ARCH_NR || arg0 == MINIJAIL_ARCH_BITS');
    expect(rulesOf(ir, 'read')).toEqual(['allow if arg0 == 0xc000003e || arg0 == 0x40']);
  });
});

describe('actions', () => {
  test.each([
    ['allow', 'allow'], ['1', 'allow'], ['kill-process', 'kill-process'], ['kill-thread', 'kill-thread'],
    ['kill', 'kill-process'], ['trap', 'trap'], ['trace', 'trace'], ['log', 'log'], ['user-notify', 'user-notify'],
    ['return 0', 'errno 0'], ['return 1', 'errno 1'], ['return ENOSYS', 'errno 38'], ['return 4095', 'errno 4095'],
    ['return 0x26', 'errno 38'],
  ])('read: %s', async (text, expected) => {
    expect(rulesOf(await irOf('read: ' + text), 'read')).toEqual([expected]);
  });

  test('an action after ";" applies when the expression holds', async () => {
    const ir = await irOf('read: arg0 == 1; trap\nwrite: arg0 == 1; allow\nclose: arg0 == 1; kill-thread');
    expect(rulesOf(ir, 'read')).toEqual(['trap if arg0 == 0x1']);
    expect(rulesOf(ir, 'write')).toEqual(['allow if arg0 == 0x1']);
    expect(rulesOf(ir, 'close')).toEqual(['kill-thread if arg0 == 0x1']);
  });
});

describe('lists, names, metadata', () => {
  test('{a, b} syscall lists share the filter', async () => {
    const ir = await irOf('{read, write, close}: arg0 == 1');
    expect(ir.syscalls.map((s) => s.name)).toEqual(['read', 'write', 'close']);
    for (const n of ['read', 'write', 'close']) expect(rulesOf(ir, n)).toEqual(['allow if arg0 == 0x1']);
  });

  test('{f1, f2} filter lists are evaluated in order', async () => {
    const ir = await irOf('read: {arg0 == 0, arg0 == 1; return ENOSYS, trap}');
    expect(rulesOf(ir, 'read')).toEqual(['allow if arg0 == 0x0', 'errno 38 if arg0 == 0x1', 'trap']);
  });

  test('kill is a syscall name before the colon and an action after it', async () => {
    const ir = await irOf('kill: kill\n');
    expect(rulesOf(ir, 'kill')).toEqual(['kill-process']);
  });

  test('[arch=...] keeps a descriptor only on the listed arches, with minijail and our names', async () => {
    const text = 'read[arch=x86_64]: allow\nwrite[arch=arm64,x86]: allow\nclose[arch=test]: allow\nopen[arch=i386;arch2=x]: allow';
    const x = await dump('read[arch=x86_64]: allow\nwrite[arch=arm64,x86]: allow\nclose[arch=test]: allow');
    expect(x.ok).toBe(true);
    expect(x.ir!.syscalls.map((s) => s.name)).toEqual(['read']);
    const i = await dump('read[arch=x86_64]: allow\nwrite[arch=arm64,x86]: allow', { arch: 'i386' });
    expect(i.ir!.syscalls.map((s) => s.name)).toEqual(['write']);
    const a = await dump('read[arch=aarch64]: allow\nwrite[arch=arm64]: allow', { arch: 'aarch64' });
    expect(a.ir!.syscalls.map((s) => s.name).sort()).toEqual(['read', 'write']);
    // Unknown keys are an error (minijail ignores them silently).
    expect((await dump(text)).diagnostics.map((d) => d.code)).toEqual([2012]);
  });

  test('a statement whose descriptors are all dropped is skipped', async () => {
    const ir = await irOf('{read[arch=arm], write[arch=arm]}: allow\nclose: allow');
    expect(ir.syscalls.map((s) => s.name)).toEqual(['close']);
  });
});

describe('@include / @frequency paths (scanIncludes)', () => {
  test('relative to the including file, absolute as is, ./../ normalised', async () => {
    expect(await scan('/etc/p/main.policy', '@include ./a.policy\n@include /usr/b.policy\n@include ./../c.policy\n@frequency ./f.frequency'))
      .toEqual(['/etc/p/a.policy', '/usr/b.policy', '/etc/c.policy', '/etc/p/f.frequency']);
    expect(await scan('dir/main.policy', '@include ./sub/../x/./y.policy')).toEqual(['dir/x/y.policy']);
    expect(await scan('main.policy', '@include ./a.policy')).toEqual(['a.policy']);
    expect(await scan('/main.policy', '@include ./../../a.policy')).toEqual(['/a.policy']);
  });

  test('only directive lines count; comments and other tokens do not', async () => {
    expect(await scan('/p/m', '# @include ./no\nread: allow # @include ./no2\n@include ./yes # c\n  @include   ./yes2')).toEqual(['/p/yes', '/p/yes2']);
  });

  test('a path ends at whitespace (minijail: PATH is \\S+)', async () => {
    expect(await scan('/p/m', '@include ./a:b#c')).toEqual(['/p/a:b#c']);
  });
});
