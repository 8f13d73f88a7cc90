// fmt (wasm/assembly/format.ts, formatPolicy): the canonical layout of docs/fmt.md on real
// snippets, idempotence, refusal with located errors on syntax errors, and over the whole
// corpus: fmt(fmt(p)) == fmt(p) and compile(fmt(p)) == compile(p) byte for byte.

import { formatPolicy } from '../ts/policy/index';
import { loadCore } from '../ts/policy/core';
import { encodeFiles } from '../ts/policy/request';
import { corpusDescribe, corpusFileSet, corpusMissing, corpusRows } from './helpers/corpus';

const CASES: Array<[string, string, string]> = [
  ['spaces around comparisons, after the colon', 'read:arg0==1\n', 'read: arg0 == 1\n'],
  ['|| and && get one space each', 'read: arg0 == 1||arg0 == 2&&arg1 != 3\n', 'read: arg0 == 1 || arg0 == 2 && arg1 != 3\n'],
  ['constants keep no spaces (minijail0 splits atoms at spaces)', 'mmap: arg2 in ~( PROT_READ | PROT_WRITE )\n', 'mmap: arg2 in ~(PROT_READ|PROT_WRITE)\n'],
  ['in and & are comparisons', 'mprotect: arg2   in~PROT_EXEC||arg2&PROT_READ\n', 'mprotect: arg2 in ~PROT_EXEC || arg2 & PROT_READ\n'],
  ['; return N', 'openat: arg2 == 0 ;return  EPERM\n', 'openat: arg2 == 0; return EPERM\n'],
  ['braces and metadata', '{ read[arch=x86_64 , arm64] ,write } : { arg0 == 1 , return 1 }\n', '{read[arch=x86_64,arm64], write}: {arg0 == 1, return 1}\n'],
  ['directives: one space', '@include    ./common.policy\n@default   kill-thread\n  @denylist\n', '@include ./common.policy\n@default kill-thread\n@denylist\n'],
  ['comments kept verbatim, trailing ones after one space', '  # own line   \nread: 1     #trailing  \n#read: 1\n', '# own line\nread: 1 #trailing\n#read: 1\n'],
  ['blank lines: runs become one, none at the ends', '\n\n\nread: 1\n\n\n\nwrite: 1\n\n\n', 'read: 1\n\nwrite: 1\n'],
  ['continuations aligned after "name: "', 'ioctl: arg1 == 1 ||\\\n        arg1 == 2 ||   \\\n arg1 == 3\n', 'ioctl: arg1 == 1 || \\\n       arg1 == 2 || \\\n       arg1 == 3\n'],
  ['CRLF becomes LF, a missing final newline is added', 'read: 1\r\nwrite:1', 'read: 1\nwrite: 1\n'],
  ['tabs are blanks', 'read:\targ0\t==\t1\n', 'read: arg0 == 1\n'],
  ['negative numbers and kill as a syscall name', 'kill:arg1==-1\n', 'kill: arg1 == -1\n'],
  ['an empty file stays empty', '', ''],
];

describe('fmt: canonical layout', () => {
  test.each(CASES)('%s', async (_title, input, expected) => {
    const r = await formatPolicy(input, { path: 'a.policy' });
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.text).toBe(expected);
    expect(r.changed).toBe(input !== expected);
    // Idempotent.
    const again = await formatPolicy(r.text);
    expect(again.text).toBe(r.text);
    expect(again.changed).toBe(false);
  });

  test('a file with a syntax error is not formatted; the error has file:line:col', async () => {
    const r = await formatPolicy('read: 1\nwrite: arg0 == %\n', { path: 'bad.policy' });
    expect(r.ok).toBe(false);
    expect(r.text).toBe('');
    expect(r.diagnostics.map((d) => [d.code, d.file, d.line, d.column])).toEqual([[1001, 'bad.policy', 2, 16]]);
  });

  test('unknown names do not stop fmt (they are no syntax): per file, no arch', async () => {
    const r = await formatPolicy('nosuchcall:arg0==NO_SUCH_CONSTANT\n');
    expect(r.ok).toBe(true);
    expect(r.text).toBe('nosuchcall: arg0 == NO_SUCH_CONSTANT\n');
  });
});

corpusDescribe('fmt over the corpus', () => {
  test('fmt is idempotent and compile(fmt(p)) == compile(p) byte for byte, includes formatted too', async () => {
    const core = await loadCore();
    const rows = corpusMissing ? [] : corpusRows();
    const byFile = new Map(rows.map((e) => [e.file, e]));
    const fmt = (p: string, t: string) => JSON.parse(core.format(p, t)) as { ok: boolean; text: string; changed: boolean };
    const problems: string[] = [];
    let compared = 0;
    let changed = 0;
    let refused = 0;
    for (const e of rows) {
      if (e.notes.startsWith('@frequency data file') || e.arch === 'mips') continue;
      const files = corpusFileSet(core, e, byFile);
      const formatted: Array<[string, string]> = [];
      for (const [p, t] of files) {
        if (p.endsWith('.frequency')) { formatted.push([p, t]); continue; }
        const r = fmt(p, t);
        if (!r.ok) { formatted.push([p, t]); if (p === files[0][0]) refused++; continue; }
        if (p === files[0][0] && r.changed) changed++;
        const again = fmt(p, r.text);
        if (!again.ok || again.text !== r.text) problems.push(`${e.file}: ${p} not idempotent`);
        formatted.push([p, r.text]);
      }
      const before = JSON.parse(core.compile(encodeFiles(files), e.arch, 0, '')) as { ok: boolean; program: string; diagnostics: Array<{ code: number }> };
      const after = JSON.parse(core.compile(encodeFiles(formatted), e.arch, 0, '')) as typeof before;
      if (before.ok !== after.ok || before.program !== after.program) problems.push(`${e.file}: compile differs after fmt`);
      else if (!before.ok && JSON.stringify(before.diagnostics.map((d) => d.code)) !== JSON.stringify(after.diagnostics.map((d) => d.code))) {
        problems.push(`${e.file}: diagnostics differ after fmt`);
      }
      compared++;
    }
    process.stdout.write(`fmt corpus: ${compared} policies compared, ${changed} not in canonical layout, ${refused} refused (syntax errors)\n`);
    expect(problems).toEqual([]);
    expect(compared).toBeGreaterThan(700);
    // Only minijail's own negative test has a syntax error.
    expect(refused).toBeLessThanOrEqual(2);
  }, 600_000);
});
