// Violation reports, field by field, on every path: tsjail run on the preload path (default)
// and the static path (-T static), a kill in the preload window, tsjail-exec on a saved jail
// (its record explained by `tsjail explain`), and the Node API (policy text, and bytes alone);
// kill-thread verdicts on all of them, with a second thread that dies while the program goes on. A small C program makes one denied call
// with known arguments (test/fixtures/violations/calls.c), so each decoded argument, the rule
// and the suggestion can be asserted exactly. x86_64 only: the policies include the x86_64
// libc start-up set, and one case makes an i386 call through int 0x80.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Jail } from '../ts/jail/jail';
import { JailError } from '../ts/jail/errors';
import { compilePolicyOrThrow } from '../ts/policy/index';
import { explainViolation, decodeSyscallArgs } from '../ts/policy/explain';
import { NO_ADDON, describeUnless, testUnless, tmpdir, compileFixture, ROOT, NATIVE_DIR, isRoot, execCollect, ExecResult } from './fixtures/jail/helpers';

const BIN = path.join(ROOT, 'bin', 'tsjail');
const TSJAIL_EXEC = path.join(NATIVE_DIR, 'tsjail-exec');
const STARTUP = path.join(ROOT, 'policies', 'libc-startup-x86_64.policy');
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const x86 = process.arch === 'x64';

const calls = () => compileFixture('../violations/calls.c', 'violation-calls', ['-Wall', '-pthread']);

let work = '';
let policy = '';
const POLICY_TEXT = `@include ${STARTUP}\nwrite: arg0 == 1\nexit_group: 1\n`;
// The static path installs the policy before execve: the loader's own calls must be in it.
const STATIC_TEXT = `${POLICY_TEXT}openat: 1\nread: 1\nclose: 1\n`;
// The API compiles without a file resolver: the start-up set inline, `write` on line 1.
const apiText = () => `write: arg0 == 1\nexit_group: 1\n${fs.readFileSync(STARTUP, 'utf8')}`;
let staticPolicy = '';
// A kill-thread rule, on line 4, and what a second thread needs; the static path's loader calls too.
const THREAD_TEXT = `${POLICY_TEXT}prctl: kill-thread\n` +
  'rt_sigaction: 1\nrt_sigprocmask: 1\nclone3: 1\nclone: 1\nfutex: 1\nmadvise: 1\nexit: 1\nmmap: 1\nmprotect: 1\nmunmap: 1\n' +
  'set_robust_list: 1\nrseq: 1\nopenat: 1\nread: 1\nclose: 1\n';
let threadPolicy = '';

beforeAll(() => {
  work = tmpdir();
  policy = path.join(work, 'calls.policy');
  fs.writeFileSync(policy, POLICY_TEXT, { mode: 0o644 });
  staticPolicy = path.join(work, 'static.policy');
  fs.writeFileSync(staticPolicy, STATIC_TEXT, { mode: 0o644 });
  threadPolicy = path.join(work, 'thread.policy');
  fs.writeFileSync(threadPolicy, THREAD_TEXT, { mode: 0o644 });
});
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function run(args: string[], nobody = false): Promise<ExecResult> {
  const argv = [process.execPath, BIN, 'run', ...args];
  return execCollect(nobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv);
}

/** The report's lines after the first, without the run-specific pointers. */
function lines(stderr: string): string[] {
  return stderr.trimEnd().split('\n');
}

const d = describeUnless(NO_ADDON, [!x86, 'x86_64 fixtures'], [!isRoot, 'needs root']);

d('tsjail run: every violation is named, decoded, located and given a fix', () => {
  const USERS: Array<[string, boolean]> = hasSetpriv ? [['root', false], ['uid 65534', true]] : [['root', false]];
  const PATHS: Array<[string, string[]]> = [['preload path', []], ['static path (-T static)', ['-T', 'static']]];
  for (const [who, nobody] of USERS) {
    for (const [where, flags] of PATHS) {
      test(`${where}, ${who}: write to fd 2 under \`write: arg0 == 1\` says which condition to widen`, async () => {
        const p = flags.length ? staticPolicy : policy;
        const r = await run([...flags, '-S', p, '--', calls(), 'write2'], nobody);
        expect(r.status).toBe(159);
        expect(r.stdout).toBe('main\n');
        const l = lines(r.stderr);
        expect(l[0]).toBe('tsjail: seccomp violation: write (1)');
        expect(l[1]).toMatch(/^tsjail: {3}call: write\(2, 0x[0-9a-f]+, 2\b.*\) on x86_64; policy verdict kill-process$/);
        expect(l[2]).toBe('tsjail:   rule: no rule: default action');
        expect(l[3]).toBe(`tsjail:   suggestion: widen \`write: arg0 == 1\` (${p}:2) to \`write: arg0 == 1 || arg0 == 2\``);
        expect(l).toHaveLength(4);
      });
    }
  }

  const CASES: Array<[string, string, RegExp, string]> = [
    ['openat', 'openat (257)', /^openat\(AT_FDCWD, 0x[0-9a-f]+, O_RDONLY\|O_CLOEXEC\b/, 'add `openat: 1`'],
    ['ioctl', 'ioctl (16)', /^ioctl\(1, TCGETS, 0x[0-9a-f]+/, 'add `ioctl: arg1 == TCGETS`'],
    ['prctl', 'prctl (157)', /^prctl\(PR_SET_NAME, 0x[0-9a-f]+/, 'add `prctl: arg0 == PR_SET_NAME`'],
    ['statfs', 'statfs (137)', /^statfs\(0x[0-9a-f]+/, 'add `statfs: 1`'],
  ];
  for (const [what, name, call, suggestion] of CASES) {
    test(`${what}: the arguments decoded, the line to add`, async () => {
      const r = await run(['-S', policy, '--', calls(), what]);
      expect(r.status).toBe(159);
      const l = lines(r.stderr);
      expect(l[0]).toBe(`tsjail: seccomp violation: ${name}`);
      expect(l[1].replace(/^tsjail: {3}call: /, '')).toMatch(call);
      expect(l[2]).toBe('tsjail:   rule: no rule: default action');
      expect(l[3]).toBe(`tsjail:   suggestion: ${suggestion}`);
    });
  }

  test('an i386 call on x86_64 is named by its i386 name, and the bad-arch action decided', async () => {
    const r = await run(['-S', policy, '--', calls(), 'i386']);
    expect(r.status).toBe(159);
    const l = lines(r.stderr);
    expect(l[0]).toBe('tsjail: seccomp violation: getpid (20)');
    expect(l[1]).toMatch(/ on i386; policy verdict kill-process$/);
    expect(l[2]).toBe('tsjail:   rule: no rule: bad-arch action');
  });

  test('a rule that denies explicitly is named by file:line', async () => {
    const p = path.join(work, 'deny.policy');
    fs.writeFileSync(p, `@include ${STARTUP}\nwrite: arg0 == 1\nstatfs: kill\nexit_group: 1\n`, { mode: 0o644 });
    const r = await run(['-S', p, '--', calls(), 'statfs']);
    const l = lines(r.stderr);
    expect(l[0]).toBe('tsjail: seccomp violation: statfs (137)');
    expect(l[2]).toBe(`tsjail:   rule: ${p}:3 \`statfs: kill\``);
    expect(l[3]).toMatch(new RegExp(`^tsjail: {3}suggestion: the rule at ${p}:3 \\(\`statfs: kill\`\\) denies it \\(kill-process\\)`));
  });

  test('a kill in the preload window (ls under the example policy) names the call and the line to add', async () => {
    const r = await run(['-v', '-n', '-S', path.join(ROOT, 'policies', 'example.policy'), '--', '/bin/ls']);
    expect(r.status).toBe(125);
    const l = lines(r.stderr);
    expect(l[0]).toMatch(/^tsjail: jail setup failed at preload: .*syscall statfs \(137\), denied by the policy/);
    expect(l[1]).toMatch(/^tsjail: {3}call: statfs\(0x[0-9a-f]+/);
    expect(l[2]).toBe('tsjail:   rule: no rule: default action');
    expect(l[3]).toBe('tsjail:   suggestion: add `statfs: 1`');
  });
});

d('kill-thread: the calling thread ends (the program goes on), and the call is named like any other', () => {
  const USERS: Array<[string, boolean]> = hasSetpriv ? [['root', false], ['uid 65534', true]] : [['root', false]];
  const PATHS: Array<[string, string[]]> = [['preload path', []], ['static path (-T static)', ['-T', 'static']]];
  const suggestion = () => `the rule at ${threadPolicy}:4 (\`prctl: kill-thread\`) denies it (kill-thread): change its action, or add an allowing condition before it`;
  for (const [who, nobody] of USERS) {
    for (const [where, flags] of PATHS) {
      test(`${where}, ${who}: a second thread's prctl ends that thread; main joins it and exits 7; the report names the rule`, async () => {
        const r = await run([...flags, '-S', threadPolicy, '--', calls(), 'thread-prctl'], nobody);
        // The program's own status and output: the thread died in its call ("thread survived"
        // never printed), the main thread went on.
        expect([r.status, r.stdout]).toEqual([7, 'main\njoined\n']);
        const l = lines(r.stderr);
        expect(l[0]).toBe('tsjail: seccomp violation: prctl (157)');
        expect(l[1]).toMatch(/^tsjail: {3}call: prctl\(PR_SET_NAME, 0x[0-9a-f]+.*\) on x86_64; policy verdict kill-thread$/);
        expect(l[2]).toBe(`tsjail:   rule: ${threadPolicy}:4 \`prctl: kill-thread\``);
        expect(l[3]).toBe(`tsjail:   suggestion: ${suggestion()}`);
        expect(l).toHaveLength(4);
      });
    }
  }

  // The attack on ending one thread: a child of the program ptraces the calling thread first, so
  // the supervisor's PTRACE_SEIZE fails (one tracer per thread). The call must still never run:
  // the whole process is killed instead ("no seize" would mean the attack was not set up).
  for (const [who, nobody] of USERS) {
    test(`the calling thread already traced by the program's own child, ${who}: the whole process dies, the call never runs`, async () => {
      const p = path.join(work, 'traced.policy');
      fs.writeFileSync(p, THREAD_TEXT.replace('write: arg0 == 1\n', 'write: 1\n') +
        'ptrace: 1\npipe: 1\npipe2: 1\nwait4: 1\nclock_nanosleep: 1\nnanosleep: 1\ngettid: 1\n', { mode: 0o644 });
      const r = await run(['-S', p, '--', calls(), 'thread-prctl-traced'], nobody);
      expect([r.status, r.stdout]).toEqual([159, 'main\n']);
      const l = lines(r.stderr);
      expect(l[0]).toBe('tsjail: seccomp violation: prctl (157)');
      expect(l[1]).toMatch(/policy verdict kill-thread$/);
    });
  }

  test('the last thread: the process dies of it, as the kernel does (159), named', async () => {
    const r = await run(['-S', threadPolicy, '--', calls(), 'prctl']);
    expect([r.status, r.stdout]).toEqual([159, 'main\n']);
    const l = lines(r.stderr);
    expect(l[0]).toBe('tsjail: seccomp violation: prctl (157)');
    expect(l[1]).toMatch(/policy verdict kill-thread$/);
  });

  const apiThreadText = () => `prctl: kill-thread\n${THREAD_TEXT.split('\n').slice(4).join('\n')}${apiText()}`;

  test('the Node API: exit is the program\'s own, with violation {verdict: kill-thread, rule, suggestion}', async () => {
    const text = apiThreadText();
    const r = await new Jail().seccomp(text).run([calls(), 'thread-prctl']);
    expect(r).toMatchObject({ code: 7, signal: null, reason: 'exit' });
    expect(String(r.stdout)).toBe('main\njoined\n');
    expect(r.violation).toMatchObject({ nr: 157, arch: 'x86_64', syscall: 'prctl', verdict: 'kill-thread', rule: 'policy:1',
      ruleText: 'prctl: kill-thread',
      suggestion: 'the rule at policy:1 (`prctl: kill-thread`) denies it (kill-thread): change its action, or add an allowing condition before it' });
    expect(r.violation!.args![0]).toBe('PR_SET_NAME');
  });

  testUnless([!hasSetpriv, 'setpriv not found'])('the Node API as uid 65534', async () => {
    const file = path.join(work, 'api-thread.policy');
    fs.writeFileSync(file, apiThreadText(), { mode: 0o644 });
    const script = `const { Jail } = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.cjs'))});
      new Jail().seccomp(require('fs').readFileSync(${JSON.stringify(file)}, 'utf8')).run([${JSON.stringify(calls())}, 'thread-prctl'])
        .then((r) => process.stdout.write(JSON.stringify({ uid: process.getuid(), code: r.code, reason: r.reason, out: String(r.stdout), violation: r.violation })));`;
    const r = await execCollect(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout)).toMatchObject({ uid: 65534, code: 7, reason: 'exit', out: 'main\njoined\n',
      violation: { nr: 157, syscall: 'prctl', verdict: 'kill-thread', rule: 'policy:1', args: expect.arrayContaining(['PR_SET_NAME']) } });
  });

  test.each([['root', false], ['uid 65534', true]] as Array<[string, boolean]>)('tsjail-exec, %s: the program goes on; the record says kill-thread; explain names the rule', async (_who, nobody) => {
    if (nobody && !hasSetpriv) return;
    const file = path.join(work, `thread-${nobody ? 'nobody' : 'root'}.jail`);
    const save = await execCollect([process.execPath, BIN, 'pack-jail', '-o', file, '-S', threadPolicy, '--', calls(), 'thread-prctl']);
    expect(save.status).toBe(0);
    const dir = path.join(work, `thread-records-${nobody ? 'nobody' : 'root'}`);
    fs.mkdirSync(dir, { mode: 0o777 });
    fs.chmodSync(dir, 0o777);
    const record = path.join(dir, 'v.json');
    const argv = [TSJAIL_EXEC, '--violations-file', record, file];
    const r = await execCollect(nobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv);
    expect([r.status, r.stdout]).toEqual([7, 'main\njoined\n']);
    const l = lines(r.stderr);
    expect(l[0]).toBe('tsjail: seccomp violation: prctl (157)');
    expect(l[2]).toBe(`tsjail:   verdict: kill-thread; rule: \`tsjail explain ${record}\` names it and the line to add`);
    expect(JSON.parse(fs.readFileSync(record, 'utf8'))).toMatchObject({ nr: 157, ret: 0 });
    const x = await execCollect([process.execPath, BIN, 'explain', record]);
    expect(lines(x.stdout).slice(1)).toEqual([
      expect.stringMatching(/^ {2}call: prctl\(PR_SET_NAME, .*policy verdict kill-thread$/),
      `  rule: ${threadPolicy}:4 \`prctl: kill-thread\``,
      `  suggestion: the rule at ${threadPolicy}:4 (\`prctl: kill-thread\`) denies it (kill-thread): change its action, or add an allowing condition before it`,
    ]);
  });
});

d('tsjail-exec: the call named, its arguments raw; its record explained by `tsjail explain` in full', () => {
  let records = '';
  beforeAll(() => {
    // Where uid 65534's tsjail-exec may write its record.
    records = path.join(work, 'records');
    fs.mkdirSync(records, { mode: 0o777 });
    fs.chmodSync(records, 0o777);
  });
  const as = (nobody: boolean, argv: string[]) => execCollect(nobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv);
  const explain = (...args: string[]) => execCollect([process.execPath, BIN, 'explain', ...args]);
  const save = async (name: string, args: string[]): Promise<string> => {
    const file = path.join(work, name);
    const r = await execCollect([process.execPath, BIN, 'pack-jail', '-o', file, ...args]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    return file;
  };

  test.each([['root', false], ['uid 65534', true]] as Array<[string, boolean]>)('%s: the record, and the report `tsjail explain` makes of it, field by field', async (who, nobody) => {
    if (nobody && !hasSetpriv) return;
    const file = await save(`saved-${nobody ? 'nobody' : 'root'}.jail`, ['-S', policy, '--', calls(), 'write2']);
    const record = path.join(records, `write2-${nobody ? 'nobody' : 'root'}.json`);
    const r = await as(nobody, [TSJAIL_EXEC, '--violations-file', record, file]);
    expect(r.status).toBe(159);
    expect(r.stdout).toBe('main\n');
    const l = lines(r.stderr);
    expect(l[0]).toBe('tsjail: seccomp violation: write (1)');
    expect(l[1]).toMatch(/^tsjail: {3}args: 0x2, 0x[0-9a-f]+, 0x2, 0x[0-9a-f]+, 0x[0-9a-f]+, 0x[0-9a-f]+$/);
    expect(l[2]).toBe(`tsjail:   verdict: kill-process; rule: \`tsjail explain ${record}\` names it and the line to add`);
    expect(l).toHaveLength(3);
    // The record: the call as the kernel gave it, and the policy the jail file carries.
    expect(fs.statSync(record).mode & 0o777).toBe(0o600);
    expect(fs.statSync(record).uid).toBe(nobody ? 65534 : 0);
    const rec = JSON.parse(fs.readFileSync(record, 'utf8'));
    expect(rec).toMatchObject({ tsjailViolation: 1, when: 'exit', nr: 1, arch: 0xc000003e, ret: 0x80000000 });
    expect(rec.args).toHaveLength(6);
    expect(rec.args[0]).toBe('0x2');
    expect(rec.args[2]).toBe('0x2');
    expect(JSON.parse(rec.policy).files[0]).toEqual([policy, POLICY_TEXT]);
    const x = await explain(record);
    expect([x.status, x.stderr]).toEqual([0, '']);
    const e = lines(x.stdout);
    expect(e[0]).toBe('seccomp violation: write (1)');
    expect(e[1]).toMatch(/^ {2}call: write\(2, 0x[0-9a-f]+, 2\b.*\) on x86_64; policy verdict kill-process$/);
    expect(e[2]).toBe('  rule: no rule: default action');
    expect(e[3]).toBe(`  suggestion: widen \`write: arg0 == 1\` (${policy}:2) to \`write: arg0 == 1 || arg0 == 2\``);
    expect(e).toHaveLength(4);
    expect(who).toBeTruthy();
  });

  test('without --violations-file it says how to get the rule', async () => {
    const file = await save('saved-plain.jail', ['-S', policy, '--', calls(), 'ioctl']);
    const r = await execCollect([TSJAIL_EXEC, file]);
    expect(r.status).toBe(159);
    const l = lines(r.stderr);
    expect(l[0]).toBe('tsjail: seccomp violation: ioctl (16)');
    expect(l[2]).toBe('tsjail:   verdict: kill-process; rule: not decoded here: run with --violations-file FILE, then `tsjail explain FILE`');
  });

  test('a jail saved from bytes alone carries no policy: explain names the call, and --policy names the rule', async () => {
    const bpf = path.join(work, 'calls.bpf');
    const c = await execCollect([process.execPath, BIN, 'compile', policy, '--arch', 'x86_64', '-o', bpf]);
    expect(c.status).toBe(0);
    const file = await save('saved-bytes.jail', ['--seccomp-bpf-binary', bpf, '--', calls(), 'prctl']);
    const record = path.join(records, 'prctl.json');
    const r = await execCollect([TSJAIL_EXEC, '--violations-file', record, file]);
    expect(r.status).toBe(159);
    expect(lines(r.stderr)[2]).toBe(`tsjail:   verdict: kill-process; rule: \`tsjail explain ${record}\` names it and the line to add ` +
      '(the jail file carries no policy: explain --policy FILE names it)');
    expect(JSON.parse(fs.readFileSync(record, 'utf8')).policy).toBeNull();
    const bare = lines((await explain(record)).stdout);
    expect(bare[1]).toMatch(/^ {2}call: prctl\(PR_SET_NAME, 0x[0-9a-f]+/);
    expect(bare[2]).toBe('  rule: no source: rule unknown');
    const x = await explain(record, '--policy', policy);
    expect(x.status).toBe(0);
    expect(lines(x.stdout).slice(2)).toEqual(['  rule: no rule: default action', '  suggestion: add `prctl: arg0 == PR_SET_NAME`']);
  });

  test('a kill in the preload window is recorded too (when: preload)', async () => {
    const file = await save('saved-ls.jail', ['-v', '-n', '-S', path.join(ROOT, 'policies', 'example.policy'), '--', '/bin/ls']);
    const record = path.join(records, 'ls.json');
    const r = await execCollect([TSJAIL_EXEC, '--violations-file', record, file]);
    expect(r.status).toBe(125);
    const l = lines(r.stderr);
    expect(l[0]).toMatch(/^tsjail: jail setup failed at preload: .*syscall statfs \(137\), denied by the policy/);
    expect(l[1]).toMatch(/^tsjail: {3}args: 0x[0-9a-f]+, /);
    expect(JSON.parse(fs.readFileSync(record, 'utf8'))).toMatchObject({ when: 'preload', nr: 137 });
    expect(lines((await explain(record)).stdout).slice(2)).toEqual(['  rule: no rule: default action', '  suggestion: add `statfs: 1`']);
  });

  test('explain on a file that is not a record: one line, non-zero', async () => {
    const notRecord = path.join(work, 'not-a-record.json');
    fs.writeFileSync(notRecord, '{"nr": 1}\n');
    const x = await explain(notRecord);
    expect(x.status).not.toBe(0);
    expect(x.stderr).toBe(`tsjail: explain: ${notRecord}: not a violation record (no tsjailViolation field)\n`);
  });
});

d('the Node API: exit.violation = {nr, arch, syscall, args, rule, suggestion}', () => {
  test('a jail built from policy text gets the rule and the suggestion', async () => {
    const r = await new Jail().seccomp(apiText()).run([calls(), 'write2']);
    expect(r).toMatchObject({ code: null, signal: 'SIGSYS', reason: 'violation' });
    expect(String(r.stdout)).toBe('main\n');
    const v = r.violation!;
    expect(v).toMatchObject({ nr: 1, arch: 'x86_64', syscall: 'write', verdict: 'kill-process', rule: 'no rule: default action',
      ruleText: 'write: arg0 == 1', suggestion: 'widen `write: arg0 == 1` (policy:1) to `write: arg0 == 1 || arg0 == 2`' });
    expect(v.args![0]).toBe('2');
    expect(v.args![2]).toBe('2');
    expect(v.rawArgs![0]).toBe('0x2');
    expect(JSON.parse(JSON.stringify(r.violation))).toEqual(r.violation);
  });

  test('a jail given bytes alone: "no source: rule unknown", the call still named and decoded', async () => {
    const { program } = await compilePolicyOrThrow(apiText(), { arch: 'x86_64' });
    const r = await new Jail().seccomp(program).run([calls(), 'ioctl']);
    expect(r.violation).toMatchObject({ nr: 16, arch: 'x86_64', syscall: 'ioctl', rule: 'no source: rule unknown' });
    expect(r.violation!.args!.slice(0, 2)).toEqual(['1', 'TCGETS']);
  });
});

d('the Node API: a mount that hides the preload library is named, with its path', () => {
  test('JailError(preload) says which library and which mount (tsjail run says the same in flags)', async () => {
    const lib = path.join(NATIVE_DIR, 'libtsjailpreload.so');
    const top = '/' + lib.split('/')[1];
    let err: unknown;
    try {
      await new Jail().mount({ kind: 'tmpfs', target: top }).seccomp(apiText()).run(['/bin/true']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JailError);
    const e = err as JailError;
    const hint = `the preload library ${lib} is hidden by the jail's own mount filesystem.mounts[0] (${top}); ` +
      'a dynamic program with a seccomp filter needs it (mount elsewhere, bind its directory back, or use a new root: filesystem.root)';
    expect(e).toMatchObject({ step: 'preload', code: 'ENOEXEC', hint });
    expect(e.message).toContain(hint);
  });
});

describe('explainViolation and decodeSyscallArgs (tsjail/policy, no jail)', () => {
  test('flags as an OR of names, fds, dirfds, socket families, fcntl commands, clone flags', async () => {
    expect(await decodeSyscallArgs('x86_64', 'openat', [-100, 0x1000, 0o2000000 | 0o100 | 1, 0o644])).toEqual(
      ['AT_FDCWD', '0x1000', 'O_WRONLY|O_CLOEXEC|O_CREAT', '0x1a4', '0x0', '0x0']);
    expect((await decodeSyscallArgs('x86_64', 'mmap', [0, 4096, 7, 0x22, -1, 0])).slice(2, 5)).toEqual(['PROT_EXEC|PROT_READ|PROT_WRITE', 'MAP_PRIVATE|MAP_ANONYMOUS', '-1']);
    expect((await decodeSyscallArgs('x86_64', 'socket', [1, 0x80001, 0])).slice(0, 2)).toEqual(['AF_UNIX', 'SOCK_STREAM|SOCK_CLOEXEC']);
    expect((await decodeSyscallArgs('x86_64', 'fcntl', [3, 2, 1]))[1]).toBe('F_SETFD');
    expect((await decodeSyscallArgs('x86_64', 'clone', [0x3d0f00 | 17]))[0]).toMatch(/CLONE_VM\|.*\|SIGCHLD$|CLONE_VM.*SIGCHLD/);
  });

  test('a condition with two comparisons is widened clause by clause, named constants kept', async () => {
    const text = 'ioctl: arg0 == 1 && arg1 == TCGETS\n';
    const r = await explainViolation({ nr: 16, arch: 0xc000003e, args: [1, 0x5402] }, text, { arch: 'x86_64', path: 'p.policy' });
    expect(r.rule).toBe('no rule: default action');
    expect(r.suggestion).toBe('widen `ioctl: arg0 == 1 && arg1 == TCGETS` (p.policy:1) to `ioctl: arg0 == 1 && arg1 == TCGETS || arg0 == 1 && arg1 == TCSETS`');
  });

  test('a call the policy allows now says so (the policy was edited since)', async () => {
    const r = await explainViolation({ nr: 39, arch: 0xc000003e, args: [] }, 'getpid: 1\n', { arch: 'x86_64' });
    expect(r.syscall).toBe('getpid');
    expect(r.rule).toBe('policy:1');
    expect(r.suggestion).toBe('the policy allows this call now (policy:1)');
  });
});
