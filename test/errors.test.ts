// Expected diagnostics as data: minijail's error messages (its Python parser's, tools/parser.py) for the parts
// our superset shares, plus the defects we fix (arg6, errno > 4095, include cycles and depth,
// unknown metadata keys). Each row: policy text, expected code, line, column, message fragment.

import { dump, DumpOptions } from './helpers/frontend';
import { diagnosticRangeProblems } from './helpers/ranges';

/** The texts a dump() request holds, by path, for checking the ranges diagnostics point into. */
function textsOf(text: string, o: DumpOptions): Map<string, string> {
  const m = new Map<string, string>([[o.path ?? 'main.policy', text], ...Object.entries(o.files ?? {})]);
  if (o.defaultAction !== undefined) m.set('<default-action>', o.defaultAction);
  return m;
}

type Row = [string, number, number, number, string, DumpOptions?];

const rows: Row[] = [
  // lexer
  ['%x', 1001, 1, 1, 'invalid token'],
  ['read: !(arg0 == 1)', 1001, 1, 7, 'invalid token'],
  ['read: arg0 == 1 \\ \n  || arg0 == 2', 1035, 1, 17, 'invalid token'],
  ['read: arg0 == 1 \\x', 1001, 1, 17, 'invalid token'],
  ['read: ../x', 1001, 1, 7, 'invalid token'],
  ['@unknown', 1039, 1, 1, 'invalid statement'],
  // constants
  ['read: arg0 == foo', 2002, 1, 15, 'invalid constant'],
  ['read: return EFOO', 2002, 1, 14, 'invalid constant'],
  ['read: return arg0', 1021, 1, 14, 'invalid constant'],
  ['read: arg0 == 0x10000000000000000', 2003, 1, 15, 'unsigned overflow'],
  ['read: arg0 == 18446744073709551616', 2003, 1, 15, 'unsigned overflow'],
  ['read: arg0 == -0x8000000000000001', 2004, 1, 15, 'signed underflow'],
  ['read: arg0 == 0x100000000', 2003, 1, 15, 'does not fit in 32 bits', { arch: 'arm' }],
  ['read: arg0 == -0x80000001', 2004, 1, 15, 'signed underflow', { arch: 'i386' }],
  ['read: arg0 == ~', 1018, 1, 15, 'empty complement'],
  ['read: arg0 == ~~0', 1019, 1, 16, 'invalid double complement'],
  ['read: arg0 == (1', 1020, 1, 15, 'unclosed parenthesis'],
  ['read: arg0 in', 1017, 1, 12, 'empty constant'],
  ['read: arg0 == 0|', 1017, 1, 16, 'empty constant'],
  ['read: arg0 == 0|;allow', 1017, 1, 17, 'empty constant'],
  ['read: arg0 == ' + '('.repeat(200) + '1' + ')'.repeat(200), 1021, 1, 79, 'nested too deeply'],
  // arguments and operators
  ['read: argX in 1', 1012, 1, 7, 'invalid argument'],
  ['read: arg6 == 0', 2005, 1, 7, 'invalid argument "arg6"'],
  ['read: arg7 == 0', 2005, 1, 7, 'arg0 to arg5'],
  ['read: arg99999999999 == 0', 2005, 1, 7, 'invalid argument'],
  ['read: arg0', 1013, 1, 7, 'missing operator'],
  ['read: arg0 = 1', 1014, 1, 12, 'invalid operator'],
  ['read: arg0 ~ 1', 1014, 1, 12, 'invalid operator'],
  ['read: arg0 == 1 &&', 1015, 1, 17, 'empty clause'],
  ['read: arg0 == 1 && || arg0 == 2', 1015, 1, 20, 'empty clause'],
  ['read: arg0 == 1 ||', 1016, 1, 17, 'empty argument expression'],
  ['read: &&', 1012, 1, 7, 'invalid argument'],
  // actions and filters
  ['read: arg0 == 1;', 1008, 1, 16, 'missing action'],
  ['read: 0', 1009, 1, 7, 'invalid action'],
  ['read: alow', 1009, 1, 7, 'did you mean "allow"'],
  ['read: return', 1010, 1, 7, 'missing return value'],
  ['read: return 65537', 2006, 1, 14, 'invalid errno value 65537'],
  ['read: return 4096', 2006, 1, 14, 'must be 0 to 4095'],
  ['read: return -1', 2006, 1, 14, 'invalid errno value -1'],
  ['read: arg0 == 1; return 5000', 2006, 1, 25, 'invalid errno'],
  ['read:', 1006, 1, 5, 'missing filter'],
  ['read: {}', 1006, 1, 8, 'missing filter'],
  ['read: { allow', 1007, 1, 9, 'unclosed brace'],
  ['{read, write: allow', 1007, 1, 13, 'unclosed brace'],
  ['read: allow; allow', 1002, 1, 12, 'extra tokens'],
  ['read: arg0 == 1 allow', 1002, 1, 17, 'extra tokens'],
  ['read: arg0 == 0x', 1002, 1, 16, 'extra tokens'],
  ['read: {allow allow}', 1002, 1, 14, 'extra tokens'],
  // descriptors
  [': allow', 1005, 1, 1, 'invalid syscall descriptor'],
  ['READ: allow', 2001, 1, 1, 'nonexistent syscall "READ"; did you mean "read"?'],
  ['raed: allow', 2001, 1, 1, 'did you mean "read"?'],
  ['qqqqqqqqqq: allow', 2001, 1, 1, 'nonexistent syscall "qqqqqqqqqq"'],
  ['mmap2: allow', 2001, 1, 1, '(it exists on arm, i386: is the policy for another arch?)'],
  ['fstatat64: allow', 2001, 1, 1, 'exists on arm, i386', { arch: 'aarch64' }],
  ['a@b@c: allow', 1036, 1, 1, 'invalid syscall group name'],
  ['io@nope: allow', 2011, 1, 1, 'nonexistent syscall group namespace'],
  ['read', 1003, 1, 1, 'missing colon'],
  ['read allow', 1004, 1, 6, 'invalid colon'],
  // metadata
  ['read[arch=]: allow', 1024, 1, 11, 'invalid value'],
  ['read[arch=', 1025, 1, 10, 'empty value'],
  ['read[arch=x86_64;arch=arm]: allow', 1026, 1, 18, 'duplicate metadata key "arch"'],
  ['read[arch=x86_64: allow', 1027, 1, 17, 'unclosed bracket'],
  ['read[arch=x86_64', 1027, 1, 11, 'unclosed bracket'],
  ['read[1=a]: allow', 1022, 1, 6, 'invalid key'],
  ['read[arch a]: allow', 1023, 1, 11, 'invalid equal'],
  ['read[foo=bar]: allow', 2012, 1, 6, 'unknown metadata key "foo"'],
  // directives
  ['@include', 1028, 1, 1, 'empty include path'],
  ['@include foo', 1029, 1, 10, 'invalid include path'],
  ['@include ./missing.policy', 2007, 1, 10, 'could not @include ./missing.policy'],
  ['@include ./a.policy extra', 1002, 1, 21, 'extra tokens'],
  ['@frequency', 1030, 1, 1, 'empty frequency path'],
  ['@frequency foo', 1031, 1, 12, 'invalid frequency path'],
  ['@frequency ./nope.frequency', 2010, 1, 12, 'could not open frequency file'],
  ['@default', 1032, 1, 1, 'empty action'],
  ['@default read', 1033, 1, 10, 'invalid default action'],
  ['@default allow', 1034, 1, 10, 'invalid permissive default action'],
  ['@default log', 1034, 1, 10, 'invalid permissive default action'],
  ['@default trace', 1034, 1, 10, 'invalid permissive default action'],
  ['@denylist extra', 1002, 1, 11, 'extra tokens'],
  // semantics
  ['@denylist\nread: kill', 3002, 2, 7, 'invalid denylist policy'],
  ['@denylist\nread: arg0 == 1', 3002, 2, 7, 'invalid denylist policy'],
  ['read: allow\nread: trap', 3001, 2, 1, 'syscall read (number 0) already had an unconditional action applied'],
  ['read: allow\nread: arg0 == 1; return 1', 3001, 2, 1, 'already had an unconditional action applied'],
  ['read: trap\nread: arg0 == 1', 3001, 2, 1, 'already had an unconditional action applied'],
  ['read: {arg0 == 1, allow, arg1 == 2; trap}', 3001, 1, 1, 'already had an unconditional action applied'],
  // frequency file contents
  ['@frequency ./f', 1003, 1, 1, 'missing colon', { files: { f: 'read' } }],
  ['@frequency ./f', 1004, 1, 6, 'invalid colon', { files: { f: 'read 5' } }],
  ['@frequency ./f', 1037, 1, 5, 'missing number', { files: { f: 'read:' } }],
  ['@frequency ./f', 1038, 1, 7, 'invalid number', { files: { f: 'read: -3' } }],
  ['@frequency ./f', 1038, 1, 7, 'invalid number', { files: { f: 'read: x' } }],
  ['@frequency ./f', 2001, 1, 1, 'nonexistent syscall', { files: { f: 'reed: 3' } }],
];

describe('diagnostic catalogue', () => {
  // A rest parameter: jest takes a callback with more parameters than the row as done-style.
  test.each(rows)('%j -> %i at %i:%i', async (...row: Row) => {
    const [text, code, line, column, fragment, opts] = row;
    const r = await dump(text, { path: 'main.policy', ...(opts ?? {}) });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.length).toBeGreaterThanOrEqual(1);
    const d = r.diagnostics[0];
    expect({ code: d.code, line: d.line, column: d.column }).toEqual({ code, line, column });
    expect(d.message).toContain(fragment);
    expect(d.severity).toBe('error');
    // Every range covers at least one character of its file, at the line and column it says.
    expect(diagnosticRangeProblems(r.diagnostics, textsOf(text, { path: 'main.policy', ...(opts ?? {}) }))).toEqual([]);
  });
});

describe('diagnostic format', () => {
  test('file:line:col: error: message, the source line and a caret under the token', async () => {
    const r = await dump('read: allow\nwrite: arg0 == PROT_WRTE\n', { path: 'dir/p.policy' });
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0].formatted).toBe(
      'dir/p.policy:2:16: error: invalid constant "PROT_WRTE"; did you mean "PROT_WRITE"?\n' +
      'write: arg0 == PROT_WRTE\n' +
      '               ^^^^^^^^^');
  });

  test('a missing token is marked on the token it should follow (never an empty range)', async () => {
    const r = await dump('read: arg0 ==   # comment');
    expect(r.diagnostics[0].formatted).toBe('main.policy:1:12: error: empty constant: expected a number or a named constant\n' +
      'read: arg0 ==   # comment\n' +
      '           ^^');
    expect(r.diagnostics[0]).toMatchObject({ start: 11, end: 13, line: 1, column: 12, endLine: 1, endColumn: 14 });
  });

  test('errors in an included file point into that file', async () => {
    const r = await dump('@include ./inc.policy\n', { path: '/p/main.policy', files: { '/p/inc.policy': '\n\nreed: allow\n' } });
    expect(r.diagnostics[0]).toMatchObject({ code: 2001, file: '/p/inc.policy', line: 3, column: 1 });
  });
});

describe('all errors in one pass', () => {
  test('every bad line is reported, in file order, with parse and resolve errors mixed', async () => {
    const text = [
      'READ: allow', // 2001
      'write: arg0 == 1 &&', // 1015
      'close: arg9 == 0', // 2005
      'open: arg0 == NOPE', // 2002
      'exit_group: allow', // fine
      'kill: return 9999', // 2006
      '%', // 1001
      'read: arg0 ==', // 1017
    ].join('\n');
    const r = await dump(text);
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      [2001, 1], [1015, 2], [2005, 3], [2002, 4], [2006, 6], [1001, 7], [1017, 8]]);
  });

  test('several bad names in one statement are each reported', async () => {
    const r = await dump('{raed, wrte}: arg0 == FOO || arg1 == BAR');
    expect(r.diagnostics.map((d) => [d.code, d.column])).toEqual([[2001, 2], [2001, 8], [2002, 23], [2002, 38]]);
  });
});

describe('@include errors', () => {
  test('a cycle is reported at the @include line that closes it', async () => {
    const r = await dump('@include ./a.policy\n', {
      path: '/p/main.policy',
      files: { '/p/a.policy': 'read: allow\n@include ./b.policy\n', '/p/b.policy': '\n@include ./a.policy\n' },
    });
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 2009, file: '/p/b.policy', line: 2, column: 10 });
    expect(r.diagnostics[0].message).toContain('/p/a.policy');
  });

  test('a self-include, also when the main path is spelled with ./', async () => {
    for (const path of ['/p/self.policy', './self.policy', 'self.policy']) {
      const r = await dump('@include ./self.policy\n', { path });
      expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([[2009, 1]]);
    }
  });

  test('deeper than the limit (8 below main) is an error at the 9th @include', async () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 9; i++) files[`/p/f${i}`] = `# level ${i}\n@include ./f${i + 1}\n`;
    files['/p/f10'] = 'read: allow\n';
    const r = await dump('@include ./f1', { path: '/p/main', files });
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 2008, file: '/p/f8', line: 2, column: 10 });
    expect(r.diagnostics[0].message).toContain('nested too deep');
  });

  test('a missing file is reported at its @include line, with the path as written', async () => {
    const r = await dump('read: allow\n\n@include ./x/../gone.policy\n', { path: '/p/m.policy' });
    expect(r.diagnostics[0]).toMatchObject({ code: 2007, line: 3, column: 10 });
    expect(r.diagnostics[0].message).toBe('could not @include ./x/../gone.policy');
  });
});

describe('the core never traps', () => {
  // A small deterministic mutation run (the long fuzz run is `npm run fuzz`).
  const seeds = [
    'read: arg0 == 1 || arg1 & PROT_WRITE|PROT_EXEC && arg2 in ~(1|2)\n',
    '@include ./a.policy\n@frequency ./f\n@default trap\n{read, write}[arch=x86_64]: {arg0 == 1; return EPERM, allow}\n',
    '@denylist\nread: arg0 == -1; return 1\n# c \\\nwrite: return 0\n',
  ];
  const alphabet = ['read', 'arg0', 'arg6', '==', '&', 'in', '~', '(', ')', '{', '}', '[', ']', '|', '||', '&&', ';', ':', ',',
    'return', 'allow', 'kill', '0x', '09', '-1', '@include', '@default', './a.policy', '\\', '\\ ', '\n', '#', '=', 'arch',
    '\u00e9', '\ud83d\ude00', '\r', '\t', '@', '99999999999999999999999', 'PROT_WRITE', ' '];
  let seed = 12345;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };

  test('mutated policies give diagnostics or IR, never a trap', async () => {
    for (let i = 0; i < 1500; i++) {
      let t = seeds[rnd(seeds.length)];
      const edits = 1 + rnd(6);
      for (let e = 0; e < edits; e++) {
        const at = rnd(t.length + 1);
        const kind = rnd(3);
        if (kind === 0) t = t.slice(0, at) + alphabet[rnd(alphabet.length)] + t.slice(at);
        else if (kind === 1) t = t.slice(0, at) + t.slice(at + 1 + rnd(4));
        else t = t.slice(0, at) + t.slice(rnd(t.length + 1));
      }
      const o = { path: '/p/m', arch: ['x86_64', 'arm'][i & 1], files: { '/p/a.policy': t, '/p/f': t } };
      const r = await dump(t, o);
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) expect(r.diagnostics.length).toBeGreaterThan(0);
      const problems = diagnosticRangeProblems(r.diagnostics, textsOf(t, o));
      if (problems.length > 0) throw new Error(`bad ranges for ${JSON.stringify(t)}:\n${problems.join('\n')}`);
    }
  });
});
