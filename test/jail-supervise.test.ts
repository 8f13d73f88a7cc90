// The parent's supervisor (native/parent/supervise.c) on real children: the filter before exec
// sends execve to the listener, so the jail's own first execve runs whatever the policy says
// about execve, and any later execve gets the policy's verdict from the supervisor (kill:
// killed and named; errno: that errno; allow: it runs). All supervision is the parent's, so a
// jail whose init cannot reach its program (a user namespace mapping the program to another
// host uid) gets its violations named too, and a launcher that is gone leaves execve failing
// with ENOSYS (fail closed). As root and as uid 65534.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { JailSpec } from '../ts/jail/spec';
import { encodeJailFile } from '../ts/jail/jailfile';
import {
  NO_ADDON, NATIVE_DIR, NR, RET_ALLOW, RET_ERRNO, RET_KILL_PROCESS, canUnprivUserns, describeUnless, filter, isRoot, probe,
  runJail, runSpecUnpriv, testUnless, tmpdir,
} from './fixtures/jail/helpers';

const d = describeUnless(NO_ADDON);
const du = describeUnless(NO_ADDON, [!canUnprivUserns(), 'uid 65534 cannot create user namespaces here']);
const hasCore = fs.existsSync(path.join(__dirname, '../build/wasm/core.wasm'));
const TSJAIL_EXEC = path.join(NATIVE_DIR, 'tsjail-exec');
const TRUE = fs.existsSync('/usr/bin/true') ? '/usr/bin/true' : '/bin/true';
const ECHO = fs.existsSync('/usr/bin/echo') ? '/usr/bin/echo' : '/bin/echo';

function spec(kind: 'dynamic' | 'static', args: string[], bpf: Uint8Array, extra: Partial<JailSpec> = {}): JailSpec {
  const p = probe(kind);
  return {
    path: p, argv: [p, ...args], env: [], namespaces: {}, user: {}, noNewPrivs: true,
    filesystem: { mounts: [] }, rlimits: [], preserveFds: [], seccomp: { bpf },
    // The dynamic kind is the preload path ('auto' would put these policies, which allow the
    // loader's calls, before exec like the static kind).
    ...(kind === 'dynamic' ? { seccompTiming: 'preload' as const } : {}), ...extra,
  };
}

const killExecve = () => filter({ [NR.execve]: RET_KILL_PROCESS, [NR.execveat]: RET_KILL_PROCESS });
const errnoExecve = () => filter({ [NR.execve]: RET_ERRNO(13), [NR.execveat]: RET_ERRNO(13) });

d.each(['static', 'dynamic'] as const)('the execve prefix, %s program', (kind) => {
  test('a policy that kills execve: the jail starts, its own later execve is killed and named', async () => {
    const r = await runJail(spec(kind, ['pid', `exec:${TRUE}`, 'pid'], killExecve()));
    expect(r.stdout).toMatch(/^pid \d+\n$/); // main ran once; nothing after the exec attempt
    expect(r).toMatchObject({ code: null, signal: 'SIGSYS', reason: 'violation', violation: { nr: NR.execve } });
    if (hasCore) expect(r.violation!.syscall).toBe('execve');
  });

  test('a policy that fails execve with an errno: the later execve returns it and the program goes on', async () => {
    const r = await runJail(spec(kind, [`exec:${TRUE}`, 'exit:4'], errnoExecve()));
    expect(r.stdout).toBe('exec = -1 errno 13\n');
    expect(r).toMatchObject({ code: 4, signal: null, reason: 'exit' });
    expect(r.violation).toBeUndefined();
  });

  test('a policy that allows execve: the later execve runs the new program', async () => {
    const r = await runJail(spec(kind, [`exec:${ECHO}`], filter({ [NR.execve]: RET_ALLOW })));
    expect(r).toMatchObject({ code: 0, signal: null, reason: 'exit', stdout: 'from-exec\n' });
  });

  test('the same below the init (user and pid namespaces): kill named, errno returned', async () => {
    const ns = { namespaces: { user: true, pid: true } };
    const killed = await runJail(spec(kind, ['pid', `exec:${TRUE}`], killExecve(), ns));
    expect(killed).toMatchObject({ stdout: 'pid 2\n', signal: 'SIGSYS', violation: { nr: NR.execve } });
    const failed = await runJail(spec(kind, [`exec:${TRUE}`, 'exit:4'], errnoExecve(), ns));
    expect(failed).toMatchObject({ stdout: 'exec = -1 errno 13\n', code: 4 });
  });
});

d('without violation reporting', () => {
  test('exec timing installs the policy as given (no listener, no prefix): a policy that kills execve kills the jail at its own execve', async () => {
    const sp = spec('static', ['pid'], killExecve());
    sp.seccomp!.reportViolations = false;
    const r = await runJail(sp);
    expect(r.stdout).toBe('');
    expect(r).toMatchObject({ code: null, signal: 'SIGSYS', reason: 'signal' });
    expect(r.violation).toBeUndefined();
    // Control: reported, the same policy lets the jail start.
    expect((await runJail(spec('static', ['pid'], killExecve()))).stdout).toMatch(/^pid \d+$/m);
  });

  test('the preload path keeps the gate\'s prefix: the jail starts, a later denied execve is the kernel\'s kill (unnamed)', async () => {
    const sp = spec('dynamic', ['pid', `exec:${TRUE}`], killExecve());
    sp.seccomp!.reportViolations = false;
    const r = await runJail(sp);
    expect(r.stdout).toMatch(/^pid \d+\n$/);
    expect(r).toMatchObject({ code: null, signal: 'SIGSYS', reason: 'signal' });
    expect(r.violation).toBeUndefined();
  });
});

describeUnless(NO_ADDON, [!isRoot, 'needs root (a user namespace mapping several host ids)'])('the init cannot reach its program; the parent can', () => {
  // Host uid 2000+1000 for the program: it is not dumpable after its uid change, and an init in
  // the new user namespace never had CAP_SYS_PTRACE over it. The parent (root) takes the
  // listener from the program itself, so the violation is named (it used to be SIGSYS, unnamed).
  const otherHostIds: Partial<JailSpec> = {
    namespaces: { user: true, pid: true },
    user: { uid: 1000, gid: 1000, uidMap: [{ inside: 0, outside: 2000, count: 2000 }], gidMap: [{ inside: 0, outside: 2000, count: 2000 }] },
  };
  test.each(['static', 'dynamic'] as const)('%s: a denied call is named', async (kind) => {
    const r = await runJail(spec(kind, ['ids', `syscall:${NR.getppid}`], filter({ [NR.getppid]: RET_KILL_PROCESS }), otherHostIds));
    expect(r.stdout).toBe('ids 1000 1000 groups\n');
    expect(r).toMatchObject({ signal: 'SIGSYS', reason: 'violation', violation: { nr: NR.getppid } });
  });
});

du('the execve prefix as uid 65534', () => {
  test.each(['static', 'dynamic'] as const)('%s: killed and named; errno returned', (kind) => {
    for (const namespaces of [{}, { user: true, pid: true }]) {
      const killed = runSpecUnpriv(spec(kind, ['pid', `exec:${TRUE}`], killExecve(), { namespaces }));
      expect(killed).toMatchObject({ signal: 'SIGSYS', reason: 'violation', violation: { nr: NR.execve } });
      expect(killed.stdout).toMatch(/^pid \d+\n$/);
      const failed = runSpecUnpriv(spec(kind, [`exec:${TRUE}`, 'exit:4'], errnoExecve(), { namespaces }));
      expect(failed).toMatchObject({ code: 4, stdout: 'exec = -1 errno 13\n' });
    }
  });
});

describeUnless(NO_ADDON, [!fs.existsSync(TSJAIL_EXEC), 'tsjail-exec is not built'])('a launcher that is gone', () => {
  testUnless([!isRoot && !canUnprivUserns(), 'needs root or unprivileged user namespaces'])(
    'takes the program with it: it never gets to its execve', async () => {
      // Every jail has a pid namespace whose init dies with the launcher (PDEATHSIG), and the
      // program has PDEATHSIG itself where there is none. Were it to outlive tsjail-exec, its
      // execve would fail with ENOSYS (nobody answers its notifications) and it would say so.
      const dir = tmpdir();
      const file = path.join(dir, 'orphan.jail');
      fs.writeFileSync(file, encodeJailFile(spec('static', ['pid', 'sleep:1500', `exec:${TRUE}`, 'exit:3'], filter({}))), { mode: 0o644 });
      fs.chmodSync(file, 0o644);
      const launcher = spawn(TSJAIL_EXEC, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const drained = new Promise<void>((resolve) => {
        launcher.stdout!.on('data', (c) => {
          out += c;
          if (/^pid \d+$/m.test(out)) launcher.kill('SIGKILL');
        });
        // The program holds the pipe too: EOF comes when it exits.
        launcher.stdout!.on('end', resolve);
      });
      const timer = setTimeout(() => launcher.kill('SIGKILL'), 20_000);
      await drained;
      clearTimeout(timer);
      expect(out).toMatch(/^pid \d+\n$/);
    }, 30_000);
});
