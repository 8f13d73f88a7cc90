// tsjail run --log (permissive mode) on real programs: ls, cat, python3 and node run to
// completion under a policy that allows almost nothing, the calls it would have denied are
// summarised with counts and the lines to add (and written as JSON with --log-file), calls of
// child processes are recorded too, and every other containment stays on (a hostile program
// under --log still sees only its own network namespace). Also the API's logMode.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Jail } from '../ts/jail/jail';
import { NO_ADDON, describeUnless, tmpdir, ROOT, NATIVE_DIR, isRoot, execCollect, ExecResult } from './fixtures/jail/helpers';

const BIN = path.join(ROOT, 'bin', 'tsjail');
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const NEARLY_NOTHING = 'exit_group: 1\n';

let work = '';
let policy = '';
beforeAll(() => {
  work = tmpdir();
  policy = path.join(work, 'nothing.policy');
  fs.writeFileSync(policy, NEARLY_NOTHING, { mode: 0o644 });
});
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function run(args: string[], nobody = false): Promise<ExecResult> {
  const argv = [process.execPath, BIN, 'run', ...args];
  return execCollect(nobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv, { timeoutMs: 60_000 });
}

interface Record {
  program: string[];
  code: number | null;
  wouldDeny: Array<{ syscall: string; count: number; suggestion: string; args: string[] }>;
}

const d = describeUnless(NO_ADDON, [!isRoot, 'needs root'], [process.arch !== 'x64', 'x86_64 syscall numbers in the expected lines']);

d('tsjail run --log', () => {
  const PROGRAMS: Array<[string, string[], string, string[]]> = [
    ['ls', ['/bin/ls', '/'], 'etc\n', ['getdents64', 'openat']],
    ['cat', ['/bin/cat', '/etc/hostname'], fs.existsSync('/etc/hostname') ? fs.readFileSync('/etc/hostname', 'utf8') : '', ['openat', 'read', 'write']],
    ['python3', ['/usr/bin/python3', '-c', 'print(1)'], '1\n', ['openat', 'read', 'write']],
    ['node', [process.execPath, '-e', 'console.log(1)'], '1\n', ['openat', 'read', 'write']],
  ];
  for (const [name, argv, out, expected] of PROGRAMS) {
    test(`${name} runs to completion; the record names what it needed, with counts and lines to add`, async () => {
      if (!fs.existsSync(argv[0])) return;
      const file = path.join(work, `${name}.json`);
      const r = await run(['--log', '--log-file', file, '-S', policy, '--', ...argv]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(out);
      const lines = r.stderr.split('\n');
      expect(lines[0]).toMatch(/^tsjail: WARNING: --log: the program is NOT contained by its seccomp policy/);
      expect(r.stderr).toMatch(/^tsjail: --log: the policy would have denied \d+ calls \(\d+ kinds\):$/m);
      const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as Record;
      expect(rec.program).toEqual(argv);
      expect(rec.code).toBe(0);
      const seen = new Map(rec.wouldDeny.map((w) => [w.syscall, w]));
      for (const s of expected) {
        expect(seen.get(s)?.count).toBeGreaterThan(0);
        expect(r.stderr).toContain(`tsjail:   ${s} (`);
      }
      expect(seen.get('openat')!.suggestion).toBe('add `openat: 1`');
      expect(seen.has('exit_group')).toBe(false); // allowed: not recorded
    }, 90_000);
  }

  test('calls of child processes are recorded (ls run by sh)', async () => {
    const file = path.join(work, 'sh.json');
    const r = await run(['--log', '--log-file', file, '-S', policy, '--', '/bin/sh', '-c', '/bin/ls / >/dev/null; echo ok']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('ok\n');
    const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as Record;
    expect(rec.wouldDeny.map((w) => w.syscall)).toEqual(expect.arrayContaining(['getdents64', 'wait4']));
  });

  if (hasSetpriv) {
    test('as uid 65534', async () => {
      const r = await run(['--log', '-S', policy, '--', '/bin/ls', '/'], true);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('etc\n');
      expect(r.stderr).toMatch(/^tsjail: {3}getdents64 \(217\) x\d+$/m);
    });
  }

  test('every other containment stays on: a new network namespace still has only lo', async () => {
    const r = await run(['--log', '-e', '-S', policy, '--', '/bin/cat', '/proc/self/net/dev']);
    expect(r.status).toBe(0);
    const ifaces = r.stdout.split('\n').slice(2).filter((l) => l.trim()).map((l) => l.trim().split(':')[0]);
    expect(ifaces).toEqual(['lo']);
  });

  test('a program that fails still gets its record, and its status', async () => {
    const r = await run(['--log', '-S', policy, '--', '/bin/ls', '/no/such/dir']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^tsjail: --log: the policy would have denied/m);
  });

  test('a jail saved with --log runs permissive under tsjail-exec too, warned and counted', async () => {
    const file = path.join(work, 'log.jail');
    expect((await run(['--log', '-S', policy, '--save-jail', file, '--', '/bin/ls', '/'])).status).toBe(0);
    const r = await execCollect([path.join(NATIVE_DIR, 'tsjail-exec'), file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('etc\n');
    expect(r.stderr.split('\n')[0]).toMatch(/^tsjail: WARNING: --log: the program is NOT contained by its seccomp policy/);
    expect(r.stderr).toMatch(/^tsjail: {3}getdents64 \(217\) x\d+$/m);
  });

  test('a config file cannot switch the policy off (log is refused there)', async () => {
    const conf = path.join(work, 'log.conf');
    fs.writeFileSync(conf, `% minijail-config-file v0\nlog\nS = ${policy}\n`);
    const r = await run(['--config', conf, '--', '/bin/true']);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/log cannot be set in a config file/);
    expect(r.stderr).not.toMatch(/WARNING/);
  });

  test('usage: --log needs a policy, --log-file needs --log', async () => {
    const a = await run(['--log', '--', '/bin/true']);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--log needs a policy/);
    const b = await run(['--log-file', path.join(work, 'x.json'), '-S', policy, '--', '/bin/true']);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--log-file needs --log/);
    expect(b.stderr.split('\n')[0]).toBe('tsjail: run: --log-file needs --log (which lets the calls the policy denies run)');
  });
});

d('the API: seccomp.logMode and exit.wouldDeny', () => {
  test('a jail from policy text in log mode reports what the policy would have denied', async () => {
    const r = await new Jail().seccomp(NEARLY_NOTHING, { logMode: true }).run(['/bin/cat', '/etc/hostname']);
    expect(r.code).toBe(0);
    const openat = r.wouldDeny!.find((w) => w.syscall === 'openat')!;
    expect(openat).toMatchObject({ syscall: 'openat', rule: 'no rule: default action', suggestion: 'add `openat: 1`' });
    expect(openat.count).toBeGreaterThan(0);
    expect(r.wouldDenyDropped).toBe(0);
  });
});
