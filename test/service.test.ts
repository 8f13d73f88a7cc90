// The language service (ts/policy/service, over the core's tokens and syscallArguments
// exports): tokens with kinds, the outline, the token and rule at an offset, completions by
// context, hover, lint, format and simulation through PolicyDocument; then a corpus sweep asking
// for tokens, symbols, hover and completions at every rule of every policy.

import { PolicyDocument, archInfo, arches, constants, policyTokens, syscallArguments, syscallNames } from '../ts/policy/index';
import { constantsMatching } from '../ts/policy/service/arguments';
import type { PolicyCompletion } from '../ts/policy/index';
import { corpusDescribe, corpusPolicies, corpusResolver, corpusRows, mainPath, readCorpus } from './helpers/corpus';

const POLICY = [
  '# a small policy',
  '@include ./common.policy',
  'read: allow',
  'mmap: arg2 in ~PROT_EXEC || arg2 == PROT_READ',
  'openat: arg2 & O_CREAT; return EPERM',
  'write: return EBADF  # no writes',
  '',
].join('\n');
const FILES = { '/p/common.policy': 'exit_group: 1\nrt_sigreturn: 1\nrestart_syscall: 1\n' };
const doc = (text = POLICY, arch = 'x86_64') => new PolicyDocument(text, { arch, path: '/p/a.policy', files: FILES });
const labels = (cs: PolicyCompletion[]) => cs.map((c) => c.label);

describe('tokens', () => {
  test('every token has its kind, comments and line ends included', async () => {
    const text = 'read: arg0 == 1 && arg1 & O_RDONLY # c\nwrite: return EPERM\n@include /a.policy\n';
    const seen = (await policyTokens(text)).filter((t) => t.kind !== 'newline').map((t) => `${t.kind}:${text.slice(t.start, t.end)}`);
    expect(seen).toEqual([
      'syscall:read', 'punctuation::', 'argument:arg0', 'operator:==', 'number:1', 'operator:&&', 'argument:arg1',
      'operator:&', 'constant:O_RDONLY', 'comment:# c', 'syscall:write', 'punctuation::', 'keyword:return', 'constant:EPERM',
      'directive:@include', 'path:/a.policy',
    ]);
  });

  test('a continuation line belongs to its statement; CRLF stays out of comments', async () => {
    const text = 'read: arg0 == 1 \\\n  || arg0 == 2 # x\r\nwrite: allow\r\n';
    const d = new PolicyDocument(text, { arch: 'x86_64' });
    const outline = await d.outline();
    expect(outline.map((s) => s.name)).toEqual(['read', 'write']);
    expect(text.slice(outline[0].start, outline[0].end)).toBe('read: arg0 == 1 \\\n  || arg0 == 2');
    const comment = (await d.tokens()).find((t) => t.kind === 'comment')!;
    expect(text.slice(comment.start, comment.end)).toBe('# x');
  });
});

describe('outline and positions', () => {
  test('one symbol per rule and per include, with the name range', async () => {
    const outline = await doc().outline();
    expect(outline.map((s) => `${s.kind} ${s.name}`)).toEqual(['include ./common.policy', 'rule read', 'rule mmap', 'rule openat', 'rule write']);
    const inc = outline[0];
    expect(POLICY.slice(inc.nameStart, inc.nameEnd)).toBe('./common.policy');
  });

  test('rule and token at an offset', async () => {
    const d = doc();
    const off = POLICY.indexOf('PROT_READ') + 2;
    expect((await d.ruleAt(off))?.name).toBe('mmap');
    const t = (await d.tokenAt(off))!;
    expect([t.kind, POLICY.slice(t.start, t.end)]).toEqual(['constant', 'PROT_READ']);
    expect(await d.ruleAt(POLICY.indexOf('@include'))).toBeUndefined();
    expect(await d.ruleAt(POLICY.indexOf('# a small') + 3)).toBeUndefined();
  });
});

describe('completions', () => {
  const at = async (text: string, arch = 'x86_64') => {
    const off = text.indexOf('¦');
    return new PolicyDocument(text.slice(0, off) + text.slice(off + 1), { arch }).completions(off);
  };

  test('syscall names of the arch and directives where a statement starts', async () => {
    const x86 = labels(await at('rea¦'));
    expect(x86).toEqual(expect.arrayContaining(['read', 'openat', 'open', '@include', '@default']));
    const arm64 = labels(await at('rea¦', 'aarch64'));
    expect(arm64).toContain('openat');
    expect(arm64).not.toContain('open');
    const c = (await at('rea¦')).find((i) => i.label === 'read')!;
    expect([c.start, c.end, c.detail]).toEqual([0, 3, 'syscall 0 on x86_64']);
  });

  test('arguments, actions and return after the colon; operators after an argument', async () => {
    const afterColon = labels(await at('read: ¦'));
    expect(afterColon).toEqual(expect.arrayContaining(['arg0', 'arg5', 'allow', 'kill', 'return']));
    expect(afterColon).not.toContain('read');
    expect((await at('mmap: ¦')).find((c) => c.label === 'arg2')?.detail).toBe('prot');
    expect(labels(await at('read: arg0 ¦'))).toEqual(['==', '!=', '<', '<=', '>', '>=', '&', 'in']);
    expect(labels(await at('read: arg0 == 1 && ¦'))).toEqual(['arg0', 'arg1', 'arg2', 'arg3', 'arg4', 'arg5']);
  });

  test('constants that fit the syscall argument', async () => {
    const prot = labels(await at('mmap: arg2 in ~¦'));
    expect(prot).toEqual(expect.arrayContaining(['PROT_READ', 'PROT_WRITE', 'PROT_EXEC']));
    expect(prot.every((n) => n.startsWith('PROT_'))).toBe(true);
    const flags = labels(await at('openat: arg2 & O_¦'));
    expect(flags).toEqual(expect.arrayContaining(['O_CREAT', 'O_RDONLY']));
    expect(flags.every((n) => n.startsWith('O_'))).toBe(true);
    const ioctl = labels(await at('ioctl: arg1 == ¦'));
    expect(ioctl).toEqual(expect.arrayContaining(['TCGETS', 'FIONREAD', 'TIOCGWINSZ']));
    expect(ioctl).not.toContain('PROT_READ');
    const af = labels(await at('socket: arg0 == ¦'));
    expect(af).toEqual(expect.arrayContaining(['AF_UNIX', 'AF_INET', 'AF_NETLINK']));
    expect(af.every((n) => n.startsWith('AF_'))).toBe(true);
    expect(labels(await at('mmap: arg2 == PROT_READ|¦'))).toContain('PROT_WRITE');
    // An argument whose constants are not known: every constant of the arch.
    expect(labels(await at('read: arg0 == ¦')).length).toBeGreaterThan(1000);
  });

  test('errno names after return, actions after @default, nothing in a comment', async () => {
    const errnos = labels(await at('read: return E¦'));
    expect(errnos).toEqual(expect.arrayContaining(['EPERM', 'ENOSYS', 'EACCES']));
    expect(errnos).not.toContain('EPOLLIN');
    expect(errnos.every((n) => /^E[A-Z0-9]+$/.test(n))).toBe(true);
    expect(labels(await at('@default ¦'))).toEqual(expect.arrayContaining(['kill', 'log', 'return']));
    expect(await at('read: allow # arg¦')).toEqual([]);
    expect(await at('read: allow', 'no-such-arch')).toEqual([]);
  });
});

describe('hover', () => {
  test('a syscall: its number per arch, its argument names, the rule compiled, its cost and lint findings', async () => {
    const text = 'mmap: arg2 in ~PROT_EXEC\nmmap: allow\nexit_group: 1\nrt_sigreturn: 1\nrestart_syscall: 1\n';
    const h = (await new PolicyDocument(text, { arch: 'x86_64', path: 'a.policy' }).hover(1))!;
    expect(text.slice(h.start, h.end)).toBe('mmap');
    expect(h.markdown).toContain('`mmap(addr, length, prot, flags, fd, offset)`');
    expect(h.markdown).toMatch(/\*\*x86_64\*\*: 9\b/);
    expect(h.markdown).toMatch(/aarch64: 222\b/);
    expect(h.markdown).toContain('`arg2 in 0x');
    expect(h.markdown).toMatch(/Cost: \d+ BPF instructions to decide `mmap` with all arguments 0 \(→ allow\)/);
    // The second mmap rule repeats the syscall: lint says so on this rule.
    const second = (await new PolicyDocument(text, { arch: 'x86_64', path: 'a.policy' }).hover(text.indexOf('mmap: allow') + 1))!;
    expect(second.markdown).toMatch(/Lint:\n\n- (warning|error) 6\d\d\d: /);
  });

  test('a constant per arch, an argument by name, an action, a directive', async () => {
    const d = doc();
    const c = (await d.hover(POLICY.indexOf('PROT_READ')))!;
    expect(c.markdown).toContain('**PROT_READ** (constant; arch x86_64)');
    expect(c.markdown).toMatch(/\*\*x86_64\*\*: 0x1 \(1\)/);
    const a = (await d.hover(POLICY.indexOf('arg2')))!;
    expect(a.markdown).toBe('**arg2**: argument 2 (`prot`) of mmap. Constants that fit: PROT_*.');
    expect((await d.hover(POLICY.indexOf('allow')))!.markdown).toContain('SECCOMP_RET_ALLOW');
    expect((await d.hover(POLICY.indexOf('@include')))!.markdown).toContain('**@include**');
    expect(await d.hover(POLICY.indexOf('small'))).toBeUndefined();
  });
});

describe('lint, format, simulate', () => {
  test('every diagnostic range covers at least one character, also after a trailing &&', async () => {
    for (const text of ['read: arg0 == 1 &&\n', 'read: arg0 ==\n', 'read:\n', 'read: arg0 == 1 ||', 'reed: allow\n', '@include\n']) {
      const r = await new PolicyDocument(text, { arch: 'x86_64', path: 'a.policy' }).lint();
      expect(r.diagnostics.length).toBeGreaterThan(0);
      for (const d of r.diagnostics) if (d.start !== undefined) expect(d.end! - d.start).toBeGreaterThan(0);
    }
  });

  test('lint findings carry fixes; format gives the canonical layout', async () => {
    const r = await doc('reed: allow\n').lint();
    expect(r.diagnostics[0].suggestions?.[0].title).toContain('read');
    expect((await doc('read:allow\n').format()).text).toBe('read: allow\n');
  });

  test('simulate names the deciding rule as file:line', async () => {
    const d = doc();
    // minijail0's `EXPR; return N`: allowed when EXPR holds, else errno N; one rule decides both.
    const s = await d.simulate({ syscall: 'openat', args: [0, 0, 0] });
    expect(s.ok && [s.action, s.data]).toEqual(['errno', 1]);
    expect(s.where).toBe('/p/a.policy:5');
    const created = await d.simulate({ syscall: 'openat', args: [0, 0, 0o100] });
    expect([created.ok && created.action, created.where]).toEqual(['allow', '/p/a.policy:5']);
    expect((await d.simulate({ syscall: 'exit_group' })).where).toBe('/p/common.policy:1');
    expect((await d.simulate({ syscall: 'close' })).where).toBe('');
    await expect(d.simulate({ syscall: 'nosuch' })).rejects.toThrow(/unknown syscall "nosuch"/);
  });

  test('argument names come from the core; unknown syscalls have none', async () => {
    expect((await syscallArguments('socket'))!.map((a) => a.name)).toEqual(['domain', 'type', 'protocol']);
    expect(await syscallArguments('no_such_call')).toBeNull();
  });

  test('the argument table: about a hundred syscalls of the tables, every constant pattern names constants the tables hold', async () => {
    const names = new Set<string>();
    const consts = new Set<string>();
    for (const a of await arches()) {
      for (const n of await syscallNames(a)) names.add(n);
      for (const n of (await constants(a)).keys()) consts.add(n);
    }
    let listed = 0;
    const empty: string[] = [];
    for (const n of names) {
      const args = await syscallArguments(n);
      if (!args) continue;
      listed++;
      expect(args.length).toBeLessThanOrEqual(6);
      for (const a of args) for (const p of a.constants) if (constantsMatching([p], consts).length === 0) empty.push(`${n} ${a.name} ${p}`);
    }
    expect(empty).toEqual([]);
    expect(listed).toBeGreaterThanOrEqual(100);
  });

  test('bad input is a TypeError, not a crash later', () => {
    expect(() => new PolicyDocument(undefined as unknown as string, { arch: 'x86_64' })).toThrow(TypeError);
    expect(() => new PolicyDocument('', {} as { arch: string })).toThrow(/options.arch/);
  });
});

corpusDescribe('corpus sweep', () => {
  test('tokens, symbols, hover and completions at every rule of every policy', async () => {
    const byFile = new Map(corpusRows().map((r) => [r.file, r]));
    let rules = 0;
    for (const p of corpusPolicies()) {
      const text = readCorpus(p.file);
      const d = new PolicyDocument(text, { arch: p.arch, path: mainPath(p), files: corpusResolver(p, byFile) });
      const tokens = await d.tokens();
      for (const t of tokens) expect(t.end).toBeGreaterThanOrEqual(t.start);
      const symbols = await d.outline();
      // The corpus has policies for arches the core lacks (mips): no names to complete there.
      const known = (await archInfo(p.arch)) !== undefined;
      for (const s of symbols.filter((x) => x.kind === 'rule')) {
        rules++;
        expect(text.slice(s.nameStart, s.nameEnd)).toBe(s.name);
        const h = await d.hover(s.nameStart);
        expect(h?.markdown).toContain(`**${s.name}**`);
        expect(Array.isArray(await d.completions(s.end))).toBe(true);
        const names = await d.completions(s.nameStart);
        if (known && names.length === 0) throw new Error(`${p.file} (${p.arch}): no completions at ${s.name}`);
      }
    }
    expect(rules).toBeGreaterThan(1000);
  }, 600000);
});
