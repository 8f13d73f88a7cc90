// Identity inside the jail: uid, gid, supplementary groups, capabilities (bounding, ambient so a
// non-root program keeps CAP_NET_BIND_SERVICE across exec), no_new_privs against setuid
// binaries, and what the jailed identity can do to processes outside.
import * as fs from 'fs';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { Jail } from '../ts/jail/jail';
import { JailSpec } from '../ts/jail/spec';
import { lookupUser } from '../ts/jail/users';
import { NO_ADDON, describeUnless, testUnless, isRoot, probe, tmpdir, canUnprivUserns, runSpecUnpriv, runJail, compileFixture, filter, NR, RET_ERRNO } from './fixtures/jail/helpers';

const dr = describeUnless(NO_ADDON, [!isRoot, 'needs root (setresuid to another uid without a user namespace)']);
const du = describeUnless(NO_ADDON, [!canUnprivUserns(), 'uid 65534 cannot create user namespaces here']);

const CAP_NET_BIND_SERVICE = 10n;

// test/fixtures/jail/landlock-ptrace.c: exit 2 when no domain with Landlock's scopes (ABI 6) can be made.
const landlockPtrace = () => compileFixture('landlock-ptrace.c', 'landlock-ptrace', ['-Wall']);
const scopesHere = (() => {
  try {
    return spawnSync(landlockPtrace(), ['domain']).status !== 2;
  } catch {
    return false;
  }
})();
const tl = testUnless([!canUnprivUserns(), 'uid 65534 cannot create user namespaces here'], [!scopesHere, 'no Landlock scopes (ABI 6) on this kernel']);

function spec(args: string[], extra: Partial<JailSpec> = {}, program = probe()): JailSpec {
  return {
    path: program, argv: [program, ...args], env: [], namespaces: {}, user: {}, noNewPrivs: false,
    filesystem: { mounts: [] }, rlimits: [], preserveFds: [], ...extra,
  };
}

function capLine(out: string, key: string): bigint {
  const m = new RegExp(`^${key}:\\s+([0-9a-f]+)$`, 'm').exec(out);
  if (!m) throw new Error(`no ${key} in ${out}`);
  return BigInt('0x' + m[1]);
}

dr('identity as root (no user namespace)', () => {
  test('uid, gid and exactly the given supplementary groups', async () => {
    const r = await runJail(spec(['ids'], { user: { uid: 65534, gid: 65534, groups: [65534, 100] } }));
    expect(r.stdout.trim()).toBe('ids 65534 65534 groups 100 65534'); // the kernel sorts them
  });

  test('a user name resolves in the parent, with its groups', async () => {
    const nobody = lookupUser('nobody')!;
    const r = await new Jail().user({ user: 'nobody', groups: [] }).run([probe(), 'ids']);
    expect(r.stdout.toString().trim()).toBe(`ids ${nobody.uid} ${nobody.gid} groups`);
  });

  test('dropping to a non-root uid drops every capability and setuid(0) fails', async () => {
    const r = await runJail(spec(['caps', 'setuid0'], { user: { uid: 65534, gid: 65534, groups: [] } }));
    expect(capLine(r.stdout, 'CapEff')).toBe(0n);
    expect(capLine(r.stdout, 'CapPrm')).toBe(0n);
    expect(r.stdout).toMatch(/^setuid0 -1 uid 65534 euid 65534$/m);
  });

  test('ambient CAP_NET_BIND_SERVICE survives exec for a non-root program and binds port 80', async () => {
    const keep = 1n << CAP_NET_BIND_SERVICE;
    const r = await runJail(spec(['caps', 'bind:80'], {
      namespaces: { net: true }, user: { uid: 65534, gid: 65534, groups: [] }, caps: { keep, ambient: true },
    }));
    expect(capLine(r.stdout, 'CapEff')).toBe(keep);
    expect(capLine(r.stdout, 'CapAmb')).toBe(keep);
    expect(r.stdout).toMatch(/^bind 0 errno 0$/m);
  });

  test('without the capability the same bind is refused (EACCES)', async () => {
    const r = await runJail(spec(['bind:80'], { namespaces: { net: true }, user: { uid: 65534, gid: 65534, groups: [] } }));
    expect(r.stdout).toMatch(/^bind -1 errno 13$/m);
  });

  test('root with a reduced bounding set keeps only those capabilities', async () => {
    const keep = 1n << CAP_NET_BIND_SERVICE;
    const r = await runJail(spec(['caps'], { caps: { keep } }));
    expect(capLine(r.stdout, 'CapEff')).toBe(keep);
  });

  test('no_new_privs: a setuid-root binary does not make the program root', async () => {
    const dir = tmpdir();
    const suid = path.join(dir, 'probe-suid');
    fs.copyFileSync(probe(), suid);
    fs.chownSync(suid, 0, 0);
    fs.chmodSync(suid, 0o4755);
    const user = { uid: 65534, gid: 65534, groups: [] as number[] };
    // Control: outside a jail the setuid bit works (so the assertion below can fail). Inside one
    // the runtime sets no_new_privs whenever the uid changes, asked for or not.
    const control = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', suid, 'euid']);
    expect(String(control.stdout).trim()).toBe('euid 0');
    const unasked = await runJail(spec(['euid'], { user }, suid));
    expect(unasked.stdout.trim()).toBe('euid 65534');
    const r = await runJail(spec(['euid', 'caps'], { user, noNewPrivs: true }, suid));
    expect(r.stdout).toMatch(/^euid 65534$/m);
    expect(r.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(capLine(r.stdout, 'CapEff')).toBe(0n);
  });

  test('cannot signal or ptrace a process outside the jail', async () => {
    const r = await runJail(spec([`signal:${process.pid}`, `ptrace:${process.pid}`], { user: { uid: 65534, gid: 65534, groups: [] } }));
    // ESRCH: the jail's pid namespace (every jail has one) does not even show it.
    expect(r.stdout).toMatch(/^signal -1 errno 3$/m);
    expect(r.stdout).toMatch(/^ptrace -1 errno 3$/m);
  });
});

du('identity as uid 65534 through a user namespace', () => {
  const base = (args: string[], extra: Partial<JailSpec> = {}) => spec(args, { namespaces: { user: true, pid: true }, ...extra });

  test('root inside by default, with full capabilities of the namespace only', () => {
    const r = runSpecUnpriv(base(['ids', 'caps']));
    expect(r.stdout).toMatch(/^ids 0 0 groups/m);
    expect(capLine(r.stdout, 'CapEff')).not.toBe(0n);
  });

  test('a mapped non-root uid keeps ambient CAP_NET_BIND_SERVICE across exec', () => {
    const keep = 1n << CAP_NET_BIND_SERVICE;
    const r = runSpecUnpriv(base(['ids', 'caps', 'bind:80'], {
      namespaces: { user: true, pid: true, net: true },
      user: { uid: 1000, gid: 1000 }, caps: { keep, ambient: true },
    }));
    expect(r.stdout).toMatch(/^ids 1000 1000/m);
    expect(capLine(r.stdout, 'CapAmb')).toBe(keep);
    expect(r.stdout).toMatch(/^bind 0 errno 0$/m);
  });

  test('a non-root uid inside has no capabilities and cannot become root again', () => {
    const r = runSpecUnpriv(base(['caps', 'setuid0'], { user: { uid: 1000, gid: 1000 }, noNewPrivs: true }));
    expect(capLine(r.stdout, 'CapEff')).toBe(0n);
    expect(capLine(r.stdout, 'CapPrm')).toBe(0n);
    expect(r.stdout).toMatch(/^setuid0 -1 uid 1000 euid 1000$/m);
  });

  // A launcher without CAP_SYS_PTRACE takes the seccomp listener from the program with
  // pidfd_getfd, which a process that is not dumpable refuses; the program shares the init's
  // memory until its execve, so the init stays dumpable until then and turns not dumpable only
  // once the program runs: in that moment only the program's Landlock domain keeps it from the
  // init (the kernel fact below). The program here keeps root and every capability of the
  // namespace, as the init has (so the capability check lets it through), and goes for the
  // init first thing.
  tl('under a policy (a listener), a program that keeps root and every capability cannot ptrace the init or open its environ or memory', () => {
    const r = runSpecUnpriv(base(['ptrace:1', 'open:/proc/1/environ', 'open:/proc/1/mem', 'getppid'], {
      namespaces: { user: true, pid: true, mount: true },
      filesystem: { mounts: [{ kind: 'bind', source: '/proc', target: '/proc', writable: false, recursive: true }] },
      seccomp: { bpf: filter({ [NR.getppid]: RET_ERRNO(5) }) },
    }));
    expect(r.stdout).toMatch(/^ptrace -1 errno 1$/m);
    expect(r.stdout).toMatch(/^open \/proc\/1\/environ errno 13$/m);
    expect(r.stdout).toMatch(/^open \/proc\/1\/mem errno 13$/m);
    expect(r.stdout).toMatch(/^ppid -5$/m); // the policy was in place (getppid cannot fail: glibc returns the -errno)
  });

  test('cannot see, ptrace or signal anything outside the pid namespace', () => {
    const r = runSpecUnpriv(base(['getppid', `ptrace:1`, `signal:${process.pid}`], { user: { uid: 1000, gid: 1000 } }));
    expect(r.stdout).toMatch(/^ppid 1$/m); // its parent is the jail's init, not a host process
    expect(r.stdout).toMatch(/^ptrace -1 errno 1$/m); // the init is not dumpable
    // A pid from outside names nothing inside (ESRCH) or another jail process, never ours.
    expect(r.stdout).toMatch(/^signal -1 errno 3$/m);
  });
});

describeUnless([!scopesHere, 'no Landlock scopes (ABI 6) on this kernel'])('Landlock keeps a jail from a dumpable process of its own uid outside its domain', () => {
  const run = (mode: string) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', landlockPtrace(), mode], { encoding: 'utf8' });
  test("in a domain like the runtime's default (scopes only): ptrace and /proc/PID/{environ,mem} refused", () => {
    const r = run('domain');
    expect([r.status, r.stdout]).toEqual([0, 'ptrace errno 1\nenviron errno 13\nmem errno 13\n']);
  });
  test('the control, without the domain: all three work', () => {
    const r = run('none');
    expect([r.status, r.stdout]).toEqual([0, 'ptrace errno 0\nenviron errno 0\nmem errno 0\n']);
  });
});
