// analyzePolicy (ts/policy/analyze.ts over the core's analyze export): diagnostics with full
// ranges and structured suggestions, and the IR with the span of every rule and comparison.
// Ranges are checked against the texts themselves (slices and recomputed lines/columns); the
// IR's meaning is checked against what the compiled program does in the simulator, here on
// crafted policies and over the whole corpus.

import {
  DiagnosticCode, PolicyAnalysis, PolicyIR, SourceRange, Suggestion, analyzePolicy, compilePolicy, suggestNames,
} from '../ts/policy/index';
import { loadCore } from '../ts/policy/core';
import { seccompDataBytes } from './helpers/bpf';
import { CorpusPolicy, corpusDescribe, corpusFileSet, corpusMissing, corpusRows } from './helpers/corpus';
import { argumentCases, evalPolicyIR } from './helpers/policy-ir';
import { diagnosticRangeProblems, rangeProblem } from './helpers/ranges';

const X86_64 = { arch: 'x86_64', path: 'p.policy' };

function slice(texts: ReadonlyMap<string, string>, r: SourceRange): string {
  return texts.get(r.file)!.slice(r.start, r.end);
}

/** Apply one suggestion's edits (their ranges refer to the original texts). */
function applySuggestion(texts: ReadonlyMap<string, string>, s: Suggestion): Map<string, string> {
  const out = new Map(texts);
  const byFile = new Map<string, typeof s.edits>();
  for (const e of s.edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  for (const [file, edits] of byFile) {
    let t = out.get(file)!;
    for (const e of [...edits].sort((a, b) => b.start - a.start)) t = t.slice(0, e.start) + e.newText + t.slice(e.end);
    out.set(file, t);
  }
  return out;
}

/** Every span of the IR inside its file, and the problems found. */
function irSpanProblems(ir: PolicyIR, texts: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const sc of ir.syscalls) {
    for (const rule of sc.rules) {
      const p = rangeProblem(rule.span, texts, true);
      if (p) out.push(`${sc.name} rule: ${p}`);
      for (const c of rule.clauses.flat()) {
        const q = rangeProblem(c.span, texts, true);
        if (q) out.push(`${sc.name} arg${c.arg} ${c.op}: ${q}`);
        else if (c.span.file !== rule.span.file || c.span.start < rule.span.start || c.span.end > rule.span.end) {
          out.push(`${sc.name} arg${c.arg} ${c.op}: its span is not inside its rule's`);
        }
      }
    }
  }
  return out;
}

async function analyzeFiles(files: Array<[string, string]>, arch = 'x86_64'): Promise<{ r: PolicyAnalysis; texts: Map<string, string> }> {
  return { r: await analyzePolicy(files, { arch }), texts: new Map(files) };
}

describe('diagnostics: ranges', () => {
  test.each([
    // [policy, code, the text the range covers]
    ['read: arg0 == O_RDONY\n', DiagnosticCode.InvalidConstant, 'O_RDONY'],
    ['raed: allow\n', DiagnosticCode.NonexistentSyscall, 'raed'],
    ['read: alow\n', DiagnosticCode.InvalidAction, 'alow'],
    ['read: arg0 == 1 &&\n', DiagnosticCode.EmptyClause, '&&'],
    ['read: arg0 == 1 &&', DiagnosticCode.EmptyClause, '&&'],
    ['read\n', DiagnosticCode.MissingColon, 'read'],
    ['read: %\n', DiagnosticCode.InvalidToken, '%'],
    ['read: arg0 == (1 | 2\n', DiagnosticCode.UnclosedParenthesis, '('],
    ['read: arg7 == 1\n', DiagnosticCode.InvalidArgumentIndex, 'arg7'],
    ['read: return 5000\n', DiagnosticCode.InvalidErrno, '5000'],
    ['read: arg0 & O_RDONLY\n', DiagnosticCode.NeverHolds, 'arg0 & O_RDONLY'],
    ['@include ./gone.policy\n', DiagnosticCode.CouldNotInclude, './gone.policy'],
    ['# é😀 before\nread: arg0 == PROT_RAED\n', DiagnosticCode.InvalidConstant, 'PROT_RAED'],
    ['\ufeffread: arg0 == 1 ||\r\nwrite: allow\r\n', DiagnosticCode.EmptyArgumentExpression, '||'],
  ] as Array<[string, number, string]>)('%j: %i covers %j', async (text, code, covered) => {
    const r = await analyzePolicy(text, X86_64);
    const texts = new Map([['p.policy', text]]);
    const d = r.diagnostics.find((x) => x.code === code)!;
    expect(d).toBeDefined();
    expect(text.slice(d.start, d.end)).toBe(covered);
    expect(diagnosticRangeProblems(r.diagnostics, texts)).toEqual([]);
  });

  test('a related location has both ends too', async () => {
    const text = 'read: allow\nwrite: allow\nread: trap\n';
    const r = await analyzePolicy(text, X86_64);
    const d = r.diagnostics.find((x) => x.code === DiagnosticCode.AlreadyUnconditional)!;
    expect(d.related).toMatchObject({ file: 'p.policy', start: 0, end: 4, line: 1, column: 1, endLine: 1, endColumn: 5, message: 'previous definition' });
    expect(text.slice(d.start, d.end)).toBe('read');
    expect(d.line).toBe(3);
  });

  test('a diagnostic in an included file points into that file', async () => {
    const { r, texts } = await analyzeFiles([['/p/m.policy', '@include ./inc.policy\n'], ['/p/inc.policy', '\nwrite: arg1 == O_WRONY\n']]);
    const d = r.diagnostics[0];
    expect(d).toMatchObject({ code: DiagnosticCode.InvalidConstant, file: '/p/inc.policy', line: 2, column: 16, endLine: 2, endColumn: 23 });
    expect(slice(texts, d as SourceRange)).toBe('O_WRONY');
  });
});

describe('diagnostics: suggestions', () => {
  const typos: Array<[string, string, string]> = [
    // [policy, the replacement offered, what the message says]
    ['raed: allow\n', 'read', 'did you mean "read"?'],
    ['READ: allow\n', 'read', 'did you mean "read"?'],
    ['openat: arg2 == O_RDONY\n', 'O_RDONLY', 'did you mean "O_RDONLY"?'],
    ['read: return EPERN\n', 'EPERM', 'did you mean "EPERM"?'],
    ['read: alow\n', 'allow', 'did you mean "allow"?'],
    ['read: arg0 == 1; kil\n', 'kill', 'did you mean "kill"?'],
    ['mmap: arg2 in ~PROT_EXCE\n', 'PROT_EXEC', 'did you mean "PROT_EXEC"?'],
  ];

  test.each(typos)('%j: the "did you mean" is a replacement, and applied, the policy compiles', async (text, replacement, said) => {
    const r = await analyzePolicy(text, X86_64);
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0];
    expect(d.message).toContain(said);
    expect(d.suggestions).toEqual([{
      title: `Change to "${replacement}"`,
      edits: [{ file: 'p.policy', start: d.start, end: d.end, line: d.line, column: d.column, endLine: d.endLine, endColumn: d.endColumn, newText: replacement }],
    }]);
    const fixed = applySuggestion(new Map([['p.policy', text]]), d.suggestions![0]).get('p.policy')!;
    const c = await compilePolicy(fixed, X86_64);
    expect(c.diagnostics).toEqual([]);
    expect(c.ok).toBe(true);
  });

  test('every message with a "did you mean" carries it as a suggestion, also in included files', async () => {
    const files: Array<[string, string]> = [
      ['/p/m.policy', '@include ./inc.policy\nraed: allow\nwrite: arg0 == STDOUT_FILEN0 || arg0 == 2\n'],
      ['/p/inc.policy', 'clsoe: allow\nioctl: arg1 == TCGETS; return ENOTTTY\n'],
    ];
    const { r, texts } = await analyzeFiles(files);
    const withHint = r.diagnostics.filter((d) => d.message.includes('did you mean'));
    expect(withHint.map((d) => d.code)).toEqual([
      DiagnosticCode.NonexistentSyscall, DiagnosticCode.InvalidConstant, DiagnosticCode.NonexistentSyscall, DiagnosticCode.InvalidConstant]);
    let fixed: Map<string, string> = texts;
    for (const d of withHint) {
      expect(d.suggestions).toHaveLength(1);
      expect(d.message).toContain(`did you mean "${d.suggestions![0].edits[0].newText}"?`);
      fixed = applySuggestion(fixed, d.suggestions![0]);
    }
    // Each suggestion's ranges refer to the original texts; they do not overlap, so applying
    // them one after another file by file from the end is the same as applying them at once.
    const again = await analyzePolicy([...fixed.entries()], { arch: 'x86_64' });
    expect(again.diagnostics).toEqual([]);
    expect(fixed.get('/p/inc.policy')).toBe('close: allow\nioctl: arg1 == TCGETS; return ENOTTY\n');
  });

  test('no suggestion when nothing is close; none either on diagnostics that have no "did you mean"', async () => {
    const r = await analyzePolicy('qqqqqqqqqq: allow\nread: arg0 == ZZZZZZZZZZZZ\nwrite: arg0 ==\n', X86_64);
    expect(r.diagnostics.map((d) => d.code)).toEqual([DiagnosticCode.NonexistentSyscall, DiagnosticCode.InvalidConstant, DiagnosticCode.EmptyConstant]);
    for (const d of r.diagnostics) expect(d.suggestions).toBeUndefined();
  });

  test('suggestNames: the same ranking and threshold, for the host\'s own messages', async () => {
    expect(await suggestNames('raed', ['write', 'read', 'readv'])).toEqual(['read']);
    expect(await suggestNames('READ', ['ready', 'read'])).toEqual(['read']);
    expect(await suggestNames('aarch46', ['x86_64', 'aarch64', 'arm', 'i386', 'riscv64'])).toEqual(['aarch64']);
    expect(await suggestNames('rea', ['read', 'ready', 'reap', 'x'], 3)).toEqual(['read', 'reap']);
    expect(await suggestNames('zzzz', ['read'])).toEqual([]);
    expect(await suggestNames('x', [])).toEqual([]);
  });
});

describe('the IR with spans', () => {
  test('each comparison\'s span slices its text; each rule\'s its filter', async () => {
    const text = [
      '# header',
      'write: arg0 == 1 || arg1 & PROT_READ|PROT_WRITE && arg2 in ~(1|2)',
      'ioctl: arg1 == TCGETS; return ENOTTY',
      'read: {arg0 == 0; return EPERM, arg0 >= 3, kill}',
      'openat: arg2 != O_RDONLY && \\',
      '  arg1 <= 5',
      'close: allow',
    ].join('\n') + '\n';
    const r = await analyzePolicy(text, X86_64);
    expect(r.diagnostics).toEqual([]);
    const ir = r.ir!;
    const texts = new Map([['p.policy', text]]);
    expect(irSpanProblems(ir, texts)).toEqual([]);
    const view = (name: string) => ir.syscalls.find((s) => s.name === name)!.rules.map((rule) => ({
      action: rule.action.text, rule: slice(texts, rule.span),
      clauses: rule.clauses.map((c) => c.map((a) => slice(texts, a.span))),
    }));
    expect(view('write')).toEqual([{
      action: 'allow', rule: 'arg0 == 1 || arg1 & PROT_READ|PROT_WRITE && arg2 in ~(1|2)',
      clauses: [['arg0 == 1'], ['arg1 & PROT_READ|PROT_WRITE', 'arg2 in ~(1|2)']],
    }]);
    // minijail0's `EXPR; return N`: allow when EXPR holds (the whole filter), then errno N.
    expect(view('ioctl')).toEqual([
      { action: 'allow', rule: 'arg1 == TCGETS; return ENOTTY', clauses: [['arg1 == TCGETS']] },
      { action: 'errno 25', rule: 'return ENOTTY', clauses: [] },
    ]);
    expect(view('read')).toEqual([
      { action: 'errno 1', rule: 'arg0 == 0; return EPERM', clauses: [['arg0 == 0']] },
      { action: 'allow', rule: 'arg0 >= 3', clauses: [['arg0 >= 3']] },
      { action: 'kill-process', rule: 'kill', clauses: [] },
    ]);
    expect(view('openat')).toEqual([{
      action: 'allow', rule: 'arg2 != O_RDONLY && \\\n  arg1 <= 5', clauses: [['arg2 != O_RDONLY', 'arg1 <= 5']],
    }]);
    const openat = ir.syscalls.find((s) => s.name === 'openat')!.rules[0];
    expect(openat.span).toMatchObject({ line: 5, column: 9, endLine: 6, endColumn: 12 });
    expect(view('close')).toEqual([{ action: 'allow', rule: 'allow', clauses: [] }]);
  });

  test('values and masks are bigints in the arch word', async () => {
    const write = (ir: PolicyIR) => ir.syscalls.find((s) => s.name === 'write')!.rules[0].clauses;
    const x64 = (await analyzePolicy('write: arg0 == -1 || arg1 in ~4 || arg2 & 0x30\n', X86_64)).ir!;
    expect(write(x64).map((c) => c.map(({ arg, op, value, mask }) => ({ arg, op, value, mask })))).toEqual([
      [{ arg: 0, op: '==', value: 0xffffffffffffffffn, mask: undefined }],
      [{ arg: 1, op: 'in', value: 0xfffffffffffffffbn, mask: 4n }],
      [{ arg: 2, op: '&', value: 0x30n, mask: 0x30n }],
    ]);
    const arm = (await analyzePolicy('write: arg0 == -1 || arg1 in 3\n', { arch: 'arm' })).ir!;
    expect(arm.bits).toBe(32);
    expect(write(arm).map((c) => [c[0].value, c[0].mask])).toEqual([[0xffffffffn, undefined], [3n, 0xfffffffcn]]);
  });

  test('syscalls carry number, name and @frequency weight; the default and bad-arch actions', async () => {
    const { r } = await analyzeFiles([
      ['/p/m.policy', '@frequency ./f.frequency\n@default trap\nwrite: allow\nread: allow\n'],
      ['/p/f.frequency', 'read: 40\nwrite: 2\nread: 2\n'],
    ]);
    const ir = r.ir!;
    expect({ arch: ir.arch, bits: ir.bits, auditArch: ir.auditArch }).toEqual({ arch: 'x86_64', bits: 64, auditArch: 0xc000003e });
    expect(ir.syscalls.map((s) => [s.nr, s.name, s.weight])).toEqual([[0, 'read', 42], [1, 'write', 2]]);
    expect(ir.defaultAction).toEqual({ ret: 0x00030000, name: 'trap', text: 'trap' });
    expect(ir.badArchAction).toEqual({ ret: 0x80000000, name: 'kill-process', text: 'kill-process' });
    expect(r.files).toEqual(['/p/m.policy', '/p/f.frequency']);
  });

  test('with errors, the IR holds what resolved; ok says it is incomplete', async () => {
    const r = await analyzePolicy('read: allow\nwrite: arg0 == NOPE\nclose: arg0 ==\nopenat: trap\n', X86_64);
    expect(r.ok).toBe(false);
    expect(r.ir!.syscalls.map((s) => s.name)).toEqual(['read', 'openat']);
  });

  test('checkOnly: diagnostics without the IR; an unknown arch: no IR; options reach the core', async () => {
    expect(await analyzePolicy('raed: allow\n', { ...X86_64, checkOnly: true })).toMatchObject({ ok: false, ir: null });
    const vax = await analyzePolicy('read: allow\n', { arch: 'vax' });
    expect(vax).toMatchObject({ ok: false, arch: '', ir: null });
    expect(vax.diagnostics[0].code).toBe(DiagnosticCode.UnknownArch);
    const r = await analyzePolicy('read: arg0 == 1; return 5\nread: kill\n', { ...X86_64, returnOnMatch: true, killAction: 'kill-thread', defaultAction: 'log' });
    expect(r.ir!.syscalls[0].rules.map((x) => x.action.text)).toEqual(['errno 5', 'kill-thread']);
    expect(r.ir!.defaultAction.name).toBe('log');
  });

  test('text or a complete file set; text with NUL bytes never reaches the core', async () => {
    const inc = { '/p/inc.policy': 'write: allow\n' };
    const a = await analyzePolicy('@include ./inc.policy\nread: allow\n', { arch: 'x86_64', path: '/p/m.policy', files: inc });
    const b = await analyzePolicy([['/p/m.policy', '@include ./inc.policy\nread: allow\n'], ['/p/inc.policy', 'write: allow\n']], { arch: 'x86_64' });
    expect(b).toEqual(a);
    const nul = await analyzePolicy('read: 1\0', X86_64);
    expect(nul).toMatchObject({ ok: false, ir: null, files: ['p.policy'] });
    expect(nul.diagnostics[0].code).toBe(DiagnosticCode.ReadFailed);
    await expect(analyzePolicy([] as Array<[string, string]>, { arch: 'x86_64' })).rejects.toThrow(TypeError);
  });
});

/** Programs of the compiled policy agree with the IR on inputs around each comparison. */
async function meaningMismatches(ir: PolicyIR, program: Uint8Array, label: string): Promise<string[]> {
  const core = await loadCore();
  const out: string[] = [];
  const unlisted = [...Array(600).keys()].find((n) => !ir.syscalls.some((s) => s.nr === n))!;
  const calls: Array<[number, number, bigint[]]> = [[ir.auditArch, unlisted, [0n, 0n, 0n, 0n, 0n, 0n]], [0x40000003, 0, [0n, 0n, 0n, 0n, 0n, 0n]]];
  for (const sc of ir.syscalls) for (const args of argumentCases(ir, sc.nr)) calls.push([ir.auditArch, sc.nr, args]);
  for (const [audit, nr, args] of calls) {
    const want = evalPolicyIR(ir, audit, nr, args) >>> 0;
    const got = JSON.parse(core.simulate(program, seccompDataBytes(nr, audit, args))) as { ok: boolean; ret: number };
    if (!got.ok || got.ret >>> 0 !== want) {
      out.push(`${label}: nr ${nr} args ${args.map((a) => '0x' + a.toString(16)).join(',')}: IR 0x${want.toString(16)}, program 0x${(got.ret >>> 0).toString(16)}`);
      if (out.length > 5) break;
    }
  }
  return out;
}

describe('several arches', () => {
  test('each arch\'s IR with its own numbers; a diagnostic one arch makes names it, one both make appears once', async () => {
    const text = 'read: 1\nopen: 1\nwrite: arg0 == NOPE\n';
    const r = await analyzePolicy(text, { arch: 'x86_64,aarch64', path: 'p.policy' });
    expect(r.arch).toBe('x86_64,aarch64');
    expect(r.ir).toBeNull();
    expect(r.arches!.map((a) => a.arch)).toEqual(['x86_64', 'aarch64']);
    // read is 0 on x86_64 and 63 on aarch64: each IR resolved on its own arch.
    expect(r.arches!.map((a) => a.ir!.syscalls.find((s) => s.name === 'read')!.nr)).toEqual([0, 63]);
    expect(r.arches!.map((a) => a.ir!.syscalls.some((s) => s.name === 'open'))).toEqual([true, false]);
    const byCode = (code: number) => r.diagnostics.filter((d) => d.code === code).map((d) => d.arch);
    expect(byCode(DiagnosticCode.NonexistentSyscall)).toEqual(['aarch64']);
    expect(byCode(DiagnosticCode.InvalidConstant)).toEqual(['x86_64,aarch64']);
    expect(r.ok).toBe(false);
  });

  test('one arch: no `arches`, no arch on diagnostics (the editor\'s path)', async () => {
    const r = await analyzePolicy('read: 1\nwrite: arg0 == NOPE\n', X86_64);
    expect(r.arches).toBeUndefined();
    expect(r.ir).not.toBeNull();
    expect(r.diagnostics.map((d) => d.arch)).toEqual([undefined]);
  });
});

describe('the IR means what the program does', () => {
  test('crafted policies, several arches and options', async () => {
    const cases: Array<[string, string, object]> = [
      ['write: arg0 == 1 || arg1 & 0x30 && arg2 in ~(1|2)\nioctl: arg1 == TCGETS; return ENOTTY\nread: {arg0 == 0; return EPERM, arg0 >= 3, kill}\n', 'x86_64', {}],
      ['write: arg0 == -1 || arg1 in 3\nread: arg0 < 5 && arg0 > 1\nclose: arg0 != 2; return 9\n', 'arm', {}],
      ['write: arg0 == 1; return 5\nopenat: arg2 & O_CREAT; trap\n', 'aarch64', { returnOnMatch: true, defaultAction: 'log' }],
    ];
    for (const [text, arch, opts] of cases) {
      const a = await analyzePolicy(text, { arch, ...opts });
      const c = await compilePolicy(text, { arch, ...opts });
      expect([a.ok, c.ok]).toEqual([true, true]);
      expect(await meaningMismatches(a.ir!, c.program, `${arch}: ${text}`)).toEqual([]);
    }
  });
});

corpusDescribe('corpus: analyzePolicy', () => {
  test('every policy analyses, every span lies inside its file, and the IR means what the compiled program does', async () => {
    const core = await loadCore();
    const rows = corpusRows();
    const byFile = new Map(rows.map((e) => [e.file, e]));
    const policies = corpusMissing ? [] : rows.filter((e: CorpusPolicy) => !e.notes.startsWith('@frequency data file') && e.arch !== 'mips');
    const problems: string[] = [];
    let compared = 0;
    for (const p of policies) {
      const files = corpusFileSet(core, p, byFile);
      const texts = new Map(files);
      const a = await analyzePolicy(files, { arch: p.arch });
      problems.push(...diagnosticRangeProblems(a.diagnostics, texts).map((x) => `${p.file}: ${x}`));
      if (!a.ir) {
        problems.push(`${p.file}: no IR`);
        continue;
      }
      problems.push(...irSpanProblems(a.ir, texts).map((x) => `${p.file}: ${x}`));
      if (!a.ok) continue; // the policies broken at the source (corpus-compile.test.ts lists them)
      const c = await compilePolicy(files[0][1], { arch: p.arch, path: files[0][0], files: Object.fromEntries(files.slice(1)) });
      if (!c.ok) {
        problems.push(`${p.file}: analyses but does not compile`);
        continue;
      }
      problems.push(...await meaningMismatches(a.ir, c.program, p.file));
      compared++;
      if (problems.length > 20) break;
    }
    expect(problems).toEqual([]);
    expect(compared).toBeGreaterThan(650);
  });
});
