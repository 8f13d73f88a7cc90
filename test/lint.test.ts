// lint (wasm/assembly/lint/, lintPolicy): one table row per rule with a real policy snippet and
// the exact code, range and message; each fix applied gives a policy that lints without that
// finding and compiles (the text rules' fixes to the same program). Then the whole corpus:
// lint never crashes, and the counts per code are printed.

import { DiagnosticCode, compilePolicy, lintPolicy } from '../ts/policy/index';
import type { Diagnostic, Suggestion } from '../ts/policy/index';
import { loadCore } from '../ts/policy/core';
import { corpusDescribe, corpusMissing, corpusRequest, corpusRows } from './helpers/corpus';

/** The calls every program needs (6012), so the rows show only their own findings. */
const NEEDED = 'exit_group: 1\nrt_sigreturn: 1\nrestart_syscall: 1\n';

async function lint(text: string, arch = 'x86_64') {
  return lintPolicy(text, { arch, path: 'a.policy' });
}

function applyFix(text: string, fix: Suggestion): string {
  let out = text;
  for (const e of [...fix.edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

const at = (d: Diagnostic) => [d.line, d.column, d.endLine, d.endColumn];
const count = (ds: Diagnostic[], code: number) => ds.filter((d) => d.code === code).length;

interface Row {
  title: string;
  policy: string;
  code: number;
  /** line, column, endLine, endColumn of the finding */
  range: [number, number, number, number];
  message: string;
  severity?: 'error' | 'warning';
  /** The fix's title when one is offered. */
  fix?: string;
  /** The fix rewrites text only: the program must stay the same. */
  sameProgram?: boolean;
  /** x86_64 unless given. */
  arch?: string;
}

const ROWS: Row[] = [
  { title: 'ptrace allowed without conditions', policy: 'ptrace: 1\n', code: DiagnosticCode.DangerousCall, range: [1, 9, 1, 10],
    message: 'ptrace is allowed without conditions: it controls other processes (and can bypass the filter)' },
  { title: 'io_uring_setup: the filter never sees its operations', policy: 'io_uring_setup: allow\n', code: DiagnosticCode.DangerousCall,
    range: [1, 17, 1, 22], message: 'io_uring_setup is allowed without conditions: io_uring runs operations without syscalls, so the filter never sees them' },
  { title: 'clone3 allowed', policy: 'clone3: 1\n', code: DiagnosticCode.DangerousCall, range: [1, 9, 1, 10],
    message: 'clone3 is allowed without conditions: its flags (new namespaces included) are in memory the filter cannot read; answer it with ENOSYS so libc uses clone' },
  { title: 'mmap without W^X', policy: 'mmap: 1\n', code: DiagnosticCode.WriteExecMemory, range: [1, 7, 1, 8],
    message: 'mmap allows memory that is writable and executable at once (PROT_WRITE|PROT_EXEC): no W^X condition on arg2',
    fix: 'Allow only W^X (never PROT_WRITE and PROT_EXEC together)' },
  { title: 'mprotect: 1 appended after the W^X rule', policy: 'mprotect: arg2 in ~PROT_EXEC || arg2 in ~PROT_WRITE\nmprotect: 1\n',
    code: DiagnosticCode.WriteExecMemory, range: [2, 11, 2, 12],
    message: 'mprotect allows memory that is writable and executable at once (PROT_WRITE|PROT_EXEC): no W^X condition on arg2',
    fix: 'Allow only W^X (never PROT_WRITE and PROT_EXEC together)' },
  { title: '... which also widens the W^X rule', policy: 'mprotect: arg2 in ~PROT_EXEC || arg2 in ~PROT_WRITE\nmprotect: 1\n',
    code: DiagnosticCode.RuleWidened, range: [2, 11, 2, 12],
    message: 'this rule widens the earlier rule at a.policy:1:11: that rule\'s condition no longer matters (allow either way)' },
  { title: 'clone without namespace-flag checks', policy: 'clone: 1\n', code: DiagnosticCode.CloneNamespaces, range: [1, 8, 1, 9],
    message: 'clone is allowed with namespace flags (CLONE_NEW*): nothing checks them in arg0', fix: 'Allow clone only without namespace flags' },
  { title: 'clone checking only one namespace flag', policy: 'clone: arg0 in ~CLONE_NEWUSER\n', code: DiagnosticCode.CloneNamespaces,
    range: [1, 8, 1, 30], message: 'clone is allowed with namespace flags (CLONE_NEW*): nothing checks them in arg0' },
  { title: 'openat: arg2 == 0 then openat: 1', policy: 'openat: arg2 == 0\nopenat: 1\n', code: DiagnosticCode.RuleWidened, range: [2, 9, 2, 10],
    message: 'this rule widens the earlier rule at a.policy:1:9: that rule\'s condition no longer matters (allow either way)' },
  { title: 'a condition that holds for no call', policy: 'read: arg0 == 1 && arg0 == 2\n', code: DiagnosticCode.RuleNeverMatches,
    range: [1, 7, 1, 29], message: 'this rule never matches: its condition holds for no call' },
  { title: 'arg0 > 0xffffffff on a 32-bit arch never holds', policy: 'read: arg0 > 0xffffffff\n', code: DiagnosticCode.RuleNeverMatches,
    range: [1, 7, 1, 24], message: 'this rule never matches: its condition holds for no call', arch: 'i386' },
  { title: 'an earlier errno rule decides every call a later allow matches', policy: 'read: {arg0 < 10; return 1}\nread: arg0 == 5\n',
    code: DiagnosticCode.RuleUnreachable, range: [2, 7, 2, 16],
    message: 'this rule never decides a call: the rules before it (a.policy:1:8) decide every call it matches' },
  { title: 'the same rule twice', policy: 'read: arg0 == 1\nread: arg0 == 1\n', code: DiagnosticCode.RuleRepeated, range: [2, 7, 2, 16],
    message: 'this rule repeats the rule at a.policy:1:7, which already decides every call it matches (allow)', fix: 'Delete the repeated rule' },
  { title: 'a narrower repeat of a wider rule', policy: 'read: arg0 < 10\nread: arg0 == 5\n', code: DiagnosticCode.RuleRepeated, range: [2, 7, 2, 16],
    message: 'this rule repeats the rule at a.policy:1:7, which already decides every call it matches (allow)', fix: 'Delete the repeated rule' },
  { title: 'a rule that gives what the default gives', policy: 'read: {arg0 == 1; kill-process, arg0 == 2}\n', code: DiagnosticCode.RuleRedundant,
    range: [1, 8, 1, 31], message: 'this rule changes nothing: without it its calls get the same outcome (kill-process) from the default action' },
  { title: 'an [arch=...] typo, with did-you-mean', policy: 'read[arch=x86_65]: 1\n', code: DiagnosticCode.UnknownArchTag, range: [1, 11, 1, 17],
    severity: 'error', message: 'unknown arch "x86_65" in [arch=...]: it matches no arch, so a typo silently drops the rule; did you mean "x86_64"?',
    fix: 'Change to "x86_64"' },
  { title: 'an [arch=...] that names nothing like an arch', policy: 'read[arch=nosucharch]: 1\n', code: DiagnosticCode.UnknownArchTag,
    range: [1, 11, 1, 21], severity: 'error', message: 'unknown arch "nosucharch" in [arch=...]: it matches no arch, so a typo silently drops the rule' },
  { title: 'EXPR; return N', policy: 'openat: arg2 == 0; return EPERM\n', code: DiagnosticCode.AmbiguousReturn, range: [1, 9, 1, 32],
    message: '"EXPR; return N" means opposite things in minijail\'s two compilers (minijail0: allow when EXPR holds, else errno N; ' +
      'compile_seccomp_policy: errno N when EXPR holds); tsjail reads it as minijail0 does (allow when EXPR holds, else errno N)',
    fix: 'Write it as {EXPR, return N}', sameProgram: true },
  { title: 'a syscall its [arch=...] does not have', policy: 'open[arch=aarch64,x86_64]: 1\n', code: DiagnosticCode.SyscallNotOnArch,
    range: [1, 1, 1, 5], message: 'open does not exist on aarch64, which its [arch=...] names' },
  { title: 'clone3 answered with EPERM', policy: 'clone3: return EPERM\n', code: DiagnosticCode.EpermNotEnosys, range: [1, 9, 1, 21],
    message: 'clone3 returns EPERM: libc falls back to clone only on ENOSYS, so creating a thread or process fails instead', fix: 'Return ENOSYS' },
];

describe('lint: one row per rule', () => {
  test.each(ROWS.map((r) => [r.title, r] as const))('%s', async (_t, row) => {
    const text = row.policy + NEEDED;
    const arch = row.arch ?? 'x86_64';
    const r = await lint(text, arch);
    const found = r.diagnostics.filter((d) => d.code === row.code);
    expect(found.map((d) => d.message)).toEqual([row.message]);
    const d = found[0];
    expect(at(d)).toEqual(row.range);
    expect(d.file).toBe('a.policy');
    expect(d.severity).toBe(row.severity ?? 'warning');
    expect(r.ok).toBe(d.severity !== 'error');
    if (!row.fix) {
      expect(d.suggestions).toBeUndefined();
      return;
    }
    expect(d.suggestions![0].title).toBe(row.fix);
    const fixed = applyFix(text, d.suggestions![0]);
    const after = await lint(fixed, arch);
    expect(count(after.diagnostics, row.code)).toBe(0);
    expect(after.ok).toBe(true);
    const compiled = await compilePolicy(fixed, { arch, path: 'a.policy' });
    expect(compiled.ok).toBe(true);
    if (row.sameProgram) {
      const before = await compilePolicy(text, { arch, path: 'a.policy' });
      expect(Buffer.from(compiled.program)).toEqual(Buffer.from(before.program));
    }
  });

  test('calls every program needs: one finding each, a fix appending the rule', async () => {
    const text = 'read: 1\nwrite: 1';
    const r = await lint(text);
    const found = r.diagnostics.filter((d) => d.code === DiagnosticCode.MissingRequiredSyscall);
    expect(found.map((d) => d.message)).toEqual([
      'the policy never allows exit_group, a call every program needs: glibc\'s exit and returning from main call it',
      'the policy never allows rt_sigreturn, a call every program needs: returning from a signal handler calls it',
      'the policy never allows restart_syscall, a call every program needs: the kernel restarts interrupted sleeps (nanosleep, poll) through it',
    ]);
    expect(found.map(at)).toEqual([[1, 1, 1, 2], [1, 1, 1, 2], [1, 1, 1, 2]]);
    let fixed = text;
    for (const d of found) fixed = applyFix(fixed, d.suggestions![0]);
    // Each fix alone inserts at the end; applied one after the other they still do.
    const again = await lint(fixed.replace('write: 1exit', 'write: 1\nexit'));
    expect(count(again.diagnostics, DiagnosticCode.MissingRequiredSyscall)).toBe(0);
    expect(applyFix(text, found[0].suggestions![0])).toBe('read: 1\nwrite: 1\nexit_group: 1\n');
  });

  test('an EPERM default reaches clone3: the finding, and a fix answering it with ENOSYS', async () => {
    const text = 'read: 1\n' + NEEDED;
    const r = await lintPolicy(text, { arch: 'x86_64', path: 'a.policy', defaultAction: 'return EPERM' });
    const found = r.diagnostics.filter((d) => d.code === DiagnosticCode.EpermNotEnosys);
    expect(found.map((d) => [d.message, ...at(d)])).toEqual([[
      'clone3 (through the default action) returns EPERM: libc falls back to clone only on ENOSYS, so creating a thread or process fails instead',
      1, 1, 1, 2]]);
    const fixed = applyFix(text, found[0].suggestions![0]);
    expect(fixed).toBe(text + 'clone3: return ENOSYS\n');
    const after = await lintPolicy(fixed, { arch: 'x86_64', path: 'a.policy', defaultAction: 'return EPERM' });
    expect(count(after.diagnostics, DiagnosticCode.EpermNotEnosys)).toBe(0);
    // Without the override the default kills: nothing to report.
    expect(count((await lint(text)).diagnostics, DiagnosticCode.EpermNotEnosys)).toBe(0);
  });

  test('no findings on what the rules are meant to allow', async () => {
    const policy = [
      'mmap: arg2 in ~PROT_EXEC || arg2 in ~PROT_WRITE',
      'mprotect: arg2 in ~PROT_EXEC || arg2 in ~PROT_WRITE',
      'clone: arg0 in ~(CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET)',
      'clone3: return ENOSYS',
      'ioctl: arg1 == TCGETS',
      'read: {arg0 == 0, return EBADF}',
      'openat: arg2 in O_RDONLY|O_CLOEXEC',
      'openat: return EACCES',
      'socket: arg0 == AF_UNIX',
      '',
    ].join('\n') + NEEDED;
    const r = await lint(policy);
    expect(r.diagnostics.map((d) => d.formatted)).toEqual([]);
    expect(r.ok).toBe(true);
  });

  test('--return-on-match: the fix keeps that meaning ({EXPR; return N})', async () => {
    const text = 'openat: arg2 == 0; return EPERM\nopenat: 1\n' + NEEDED;
    const r = await lintPolicy(text, { arch: 'x86_64', path: 'a.policy', returnOnMatch: true });
    const d = r.diagnostics.find((x) => x.code === DiagnosticCode.AmbiguousReturn)!;
    expect(d.message).toContain('tsjail reads it as compile_seccomp_policy does (--return-on-match)');
    expect(d.suggestions![0].edits[0].newText).toBe('{arg2 == 0; return EPERM}');
    const fixed = applyFix(text, d.suggestions![0]);
    const a = await compilePolicy(text, { arch: 'x86_64', returnOnMatch: true });
    const b = await compilePolicy(fixed, { arch: 'x86_64', returnOnMatch: true });
    expect(Buffer.from(b.program)).toEqual(Buffer.from(a.program));
  });

  test('a policy with errors: the errors, the text findings, no findings about meaning', async () => {
    const r = await lint('read[arch=x86_65]: 1\nwrite: arg0 == NOPE\nptrace: 1\n');
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toEqual([DiagnosticCode.UnknownArchTag, DiagnosticCode.InvalidConstant]);
  });

  test('several arches: a finding only some arches make names them; one every arch makes appears once, without', async () => {
    // `open` is missing on aarch64; `arg0 > 0xffffffff` can hold on x86_64 only; ptrace: 1 is
    // dangerous wherever the policy resolves; the [arch=] typo is the same text everywhere.
    const text = `read: arg0 > 0xffffffff\nptrace: 1\nwrite[arch=x86_65]: 1\n${NEEDED}`;
    const r = await lint(text, 'x86_64,i386');
    expect(r.arch).toBe('x86_64,i386');
    const dead = r.diagnostics.filter((d) => d.code === DiagnosticCode.RuleNeverMatches);
    expect(dead.map((d) => [d.arch, d.line])).toEqual([['i386', 1]]);
    expect(dead[0].formatted.split('\n')[0]).toMatch(/ \(on i386\)$/);
    for (const code of [DiagnosticCode.DangerousCall, DiagnosticCode.UnknownArchTag]) {
      const found = r.diagnostics.filter((d) => d.code === code);
      expect([code, found.length, found[0].arch]).toEqual([code, 1, 'x86_64,i386']);
      expect(found[0].formatted).not.toMatch(/\(on /);
    }
    // File order, whichever arch made a finding.
    const lines = r.diagnostics.map((d) => d.line!);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  test('several arches: a syscall one arch lacks is an error for that arch only; `all` keeps every arch', async () => {
    const text = `open: 1\nread: 1\n${NEEDED}`;
    const two = await lint(text, 'x86_64,aarch64');
    expect(two.ok).toBe(false);
    const missing = two.diagnostics.filter((d) => d.code === DiagnosticCode.NonexistentSyscall);
    expect(missing.map((d) => [d.arch, d.line, d.severity])).toEqual([['aarch64', 1, 'error']]);
    const all = await lint(text, 'all');
    expect(all.arch.split(',').sort()).toEqual(['aarch64', 'arm', 'i386', 'riscv64', 'x86_64']);
    expect(all.diagnostics.filter((d) => d.code === DiagnosticCode.NonexistentSyscall).map((d) => d.arch)).toEqual(['aarch64,riscv64']);
    // One arch: the result as before, no arch on any finding.
    const one = await lint(`ptrace: 1\n${NEEDED}`);
    expect(one.arch).toBe('x86_64');
    expect(one.diagnostics.map((d) => d.arch)).toEqual([undefined]);
  });

  test('findings in an included file name that file', async () => {
    const r = await lintPolicy('@include ./common.policy\n' + NEEDED, {
      arch: 'x86_64', path: '/p/main.policy', files: { '/p/common.policy': 'read: arg0 == 1\nread: arg0 == 1\n' },
    });
    const d = r.diagnostics.find((x) => x.code === DiagnosticCode.RuleRepeated)!;
    expect([d.file, d.line, d.column]).toEqual(['/p/common.policy', 2, 7]);
    expect(d.suggestions![0].edits[0].file).toBe('/p/common.policy');
  });
});

/** Findings checked by hand in the corpus: file, code, where (file suffix:line:col), a fragment of the message. */
const CORPUS_FINDINGS: Array<[string, number, string, string]> = [
  ['google__crosvm/jail__seccomp__x86_64__input_device.policy', 6004, 'x86_64/input_device.policy:7:8',
    'widens the earlier rule at /usr/share/policy/crosvm/common_device.policy:82:8'],
  ['google__crosvm/jail__seccomp__x86_64__jail_warden.policy', 6004, 'x86_64/jail_warden.policy:32:7',
    'widens the earlier rule at /usr/share/policy/crosvm/common_device.policy:41:7'],
  ['google__crosvm/jail__seccomp__aarch64__gpu_common.policy', 6007, 'aarch64/gpu_common.policy:109:8',
    'repeats the rule at /google/crosvm/jail/seccomp/aarch64/gpu_common.policy:79:8'],
  ['ArthurSonzogni__chromiumos-platform2/attestation__server__attestationd-seccomp-amd64.policy', 6010,
    'attestationd-seccomp-amd64.policy:23:9', 'tsjail reads it as minijail0 does'],
  ['ArthurSonzogni__chromiumos-platform2/apmanager__init__apmanager-seccomp-amd64.policy', 6002,
    'apmanager-seccomp-amd64.policy:47:7', 'mmap allows memory that is writable and executable'],
  ['ArthurSonzogni__chromiumos-platform2/apmanager__init__apmanager-seccomp-arm.policy', 6002,
    'apmanager-seccomp-arm.policy:18:8', 'mmap2 allows memory that is writable and executable'],
  ['google__crosvm/jail__seccomp__x86_64__block_device.policy', 6003, 'crosvm/common_device.policy:15:8',
    'clone is allowed with namespace flags'],
  ['google__crosvm/jail__seccomp__x86_64__block_device.policy', 6001, 'crosvm/common_device.policy:33:17',
    'io_uring_setup is allowed without conditions'],
  ['google__crosvm/jail__seccomp__x86_64__block_device.policy', 6001, 'crosvm/common_device.policy:16:9',
    'clone3 is allowed without conditions'],
  ['google__crosvm/jail__seccomp__x86_64__block.policy', 6012, 'x86_64/block.policy:1:1', 'never allows exit_group'],
];

corpusDescribe('lint over the corpus', () => {
  const rows = corpusMissing ? [] : corpusRows();
  const byFile = new Map(rows.map((e) => [e.file, e]));

  test.each(CORPUS_FINDINGS)('%s: %d at %s', async (file, code, where, fragment) => {
    const core = await loadCore();
    const e = byFile.get(file)!;
    const r = JSON.parse(core.lint(corpusRequest(core, e, byFile), e.arch, 0, '')) as { diagnostics: Diagnostic[] };
    const hits = r.diagnostics.filter((d) => d.code === code && `${d.file}:${d.line}:${d.column}`.endsWith(where));
    expect(hits.filter((d) => d.message.includes(fragment)).length).toBe(1);
  });

  test('never crashes; findings per code', async () => {
    const core = await loadCore();
    const counts = new Map<number, number>();
    let linted = 0;
    const started = Date.now();
    for (const e of rows) {
      if (e.notes.startsWith('@frequency data file') || e.arch === 'mips') continue;
      const r = JSON.parse(core.lint(corpusRequest(core, e, byFile), e.arch, 0, '')) as { ok: boolean; diagnostics: Diagnostic[] };
      for (const d of r.diagnostics) counts.set(d.code, (counts.get(d.code) ?? 0) + 1);
      linted++;
    }
    const summary = [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}:${n}`).join(' ');
    process.stdout.write(`lint corpus: ${linted} policies in ${Date.now() - started} ms; findings by code: ${summary}\n`);
    expect(linted).toBeGreaterThan(700);
  }, 600_000);
});
