// `tsjail run` flags -> JailSpec, without running anything: the option table, minijail0's
// attached-optional-argument rule, combination checks, config files (errors with line
// numbers), user/group lookup, program resolution. Every successful row also goes through the
// runtime's validateSpec, so the CLI can only produce specs the runtime accepts.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { JailSpec } from '../ts/jail/spec';
import { validateSpec } from '../ts/jail/validate';
import { RunUsageError, OPTIONS, UNSUPPORTED } from '../ts/cli/run-options';
import { parseRunArgs } from '../ts/cli/run-parse';
import { buildSpec, hostPathOf, nodeSpecHost, ProgramError, PolicyCompileError, SpecHost, securebitsFor } from '../ts/cli/run-spec';
import { parseConfig, ConfigError } from '../ts/cli/run-config';
import { UserDb } from '../ts/cli/run-users';
import { parseCaps, parseMountFlags, parseSize, parseDuration, parseRlimit, parseIdMap, MS } from '../ts/cli/run-values';
import { runHelp } from '../ts/cli/run-help';
import { cliSpecHost } from '../ts/cli/run-command';
import { describeJailError } from '../ts/cli/run-status';
import { JailError } from '../ts/jail/errors';

const PASSWD = `root:x:0:0:root:/root:/bin/bash
# a comment line
alice:x:1001:1001::/home/alice:/bin/sh
bob:x:1002:100::/home/bob:/bin/sh
broken line
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
`;
const GROUP = `root:x:0:
alice:x:1001:
users:x:100:bob
wheel:x:10:alice,bob
audio:x:29:alice
nogroup:x:65534:
`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-run-args-'));
const file = (name: string, text: string | Uint8Array): string => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
};
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TRUE = fs.existsSync('/usr/bin/true') ? '/usr/bin/true' : '/bin/true';

/** A new root holding the program the rows run (a root of '/' is refused: omit it instead). */
const ROOT_DIR = path.join(tmp, 'root');
for (const dir of ['usr/bin', 'bin']) {
  fs.mkdirSync(path.join(ROOT_DIR, dir), { recursive: true });
  fs.copyFileSync(TRUE, path.join(ROOT_DIR, dir, 'true'));
  fs.chmodSync(path.join(ROOT_DIR, dir, 'true'), 0o755);
}

function host(over: Partial<SpecHost> = {}): SpecHost {
  const real = cliSpecHost();
  return nodeSpecHost({
    arch: () => 'x86_64',
    syscallNames: real.syscallNames,
    compilePolicy: real.compilePolicy,
    compileOciProfile: real.compileOciProfile,
    env: { PATH: '/usr/bin:/bin', HOME: '/root', KEEP: 'me' },
    uid: 1000,
    gid: 1000,
    cwd: tmp,
    passwdFile: '/fixture/passwd',
    groupFile: '/fixture/group',
    readText: (f) => (f === '/fixture/passwd' ? PASSWD : f === '/fixture/group' ? GROUP : fs.readFileSync(f, 'utf8')),
    ...over,
  });
}

const readConfig = (p: string) => fs.readFileSync(path.resolve(tmp, p), 'utf8');

async function spec(args: string[], over: Partial<SpecHost> = {}): Promise<JailSpec> {
  const r = parseRunArgs(args, { readConfig });
  const s = await buildSpec(r, host(over));
  validateSpec(s);
  return s;
}

async function failure(args: string[], over: Partial<SpecHost> = {}): Promise<Error> {
  try {
    await spec(args, over);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`expected ${JSON.stringify(args)} to fail`);
}

const proc = { kind: 'proc', target: '/proc', readOnly: true };

describe('flags -> JailSpec', () => {
  type Row = [string, string[], (s: JailSpec) => void];
  const rows: Row[] = [
    ['no flags: no_new_privs by default (minijail0 default runtime)', [], (s) => {
      expect(s.noNewPrivs).toBe(true);
      expect(s.namespaces).toEqual({ user: false, pid: false, mount: false, net: false, ipc: false, uts: false, cgroup: false, time: false });
      expect(s.path).toBe(TRUE);
      expect(s.argv).toEqual(['true']);
      expect(s.filesystem.mounts).toEqual([]);
      expect(s.seccomp).toBeUndefined();
    }],
    ['--no-default-runtime-environment', ['--no-default-runtime-environment'], (s) => expect(s.noNewPrivs).toBe(false)],
    ['-n', ['-n', '--no-default-runtime-environment'], (s) => expect(s.noNewPrivs).toBe(true)],
    ['--no-new-privs', ['--no-new-privs', '--no-default-runtime-environment'], (s) => expect(s.noNewPrivs).toBe(true)],
    ['-p: pid ns, implies -v -r', ['-p'], (s) => {
      expect(s.namespaces).toMatchObject({ pid: true, mount: true });
      expect(s.programAsInit).toBe(false);
      expect(s.filesystem.mounts).toEqual([proc]);
      expect(s.filesystem.propagation).toBe('private');
    }],
    ['--pid-ns', ['--pid-ns'], (s) => expect(s.namespaces.pid).toBe(true)],
    ['-I: program is pid 1', ['-I'], (s) => { expect(s.namespaces.pid).toBe(true); expect(s.programAsInit).toBe(true); }],
    ['--pid-init / --run-as-init', ['--run-as-init'], (s) => expect(s.programAsInit).toBe(true)],
    ['-v: slave propagation', ['-v'], (s) => { expect(s.namespaces.mount).toBe(true); expect(s.filesystem.propagation).toBe('slave'); }],
    ['--ns-mount / --mount-ns', ['--mount-ns'], (s) => expect(s.filesystem.propagation).toBe('slave')],
    ['-v -Kprivate', ['-v', '-Kprivate'], (s) => expect(s.filesystem.propagation).toBe('private')],
    ['-v --remount-mode=unbindable', ['-v', '--remount-mode=unbindable'], (s) => expect(s.filesystem.propagation).toBe('unbindable')],
    ['-r', ['-r'], (s) => { expect(s.namespaces.mount).toBe(true); expect(s.filesystem.mounts).toEqual([proc]); }],
    ['--remount-proc-ro', ['--proc-ro'], (s) => expect(s.filesystem.mounts).toEqual([proc])],
    ['-e', ['-e'], (s) => expect(s.namespaces.net).toBe(true)],
    ['--net-ns', ['--net-ns'], (s) => expect(s.namespaces.net).toBe(true)],
    ['-l', ['-l'], (s) => expect(s.namespaces.ipc).toBe(true)],
    ['--ipc-ns', ['--ipc-ns'], (s) => expect(s.namespaces.ipc).toBe(true)],
    ['-N', ['-N'], (s) => expect(s.namespaces.cgroup).toBe(true)],
    ['--cgroup-ns', ['--cgroup-ns'], (s) => expect(s.namespaces.cgroup).toBe(true)],
    ['--time-ns', ['--time-ns'], (s) => expect(s.namespaces.time).toBe(true)],
    ['--uts', ['--uts'], (s) => { expect(s.namespaces.uts).toBe(true); expect(s.hostname).toBeUndefined(); }],
    ['--uts=HOST', ['--uts=jailbox'], (s) => { expect(s.namespaces.uts).toBe(true); expect(s.hostname).toBe('jailbox'); }],
    ['-U: user ns implies -p; default maps current ids -> 0', ['-U'], (s) => {
      expect(s.namespaces).toMatchObject({ user: true, pid: true, mount: true });
      expect(s.user.uidMap).toEqual([{ inside: 0, outside: 1000, count: 1 }]);
      expect(s.user.gidMap).toEqual([{ inside: 0, outside: 1000, count: 1 }]);
    }],
    ['--user-ns', ['--user-ns'], (s) => expect(s.namespaces.user).toBe(true)],
    ['-m without a map: current uid -> -u', ['-m', '-u', '5'], (s) => {
      expect(s.namespaces.user).toBe(true);
      expect(s.user.uidMap).toEqual([{ inside: 5, outside: 1000, count: 1 }]);
    }],
    ["-m'MAP' attached", ['-m0 1000 1,1 100000 65536'], (s) => expect(s.user.uidMap).toEqual([
      { inside: 0, outside: 1000, count: 1 }, { inside: 1, outside: 100000, count: 65536 }])],
    ['-M attached, -g sets the default inside gid', ['-M7 1000 1', '-g', '7'], (s) => {
      expect(s.user.gidMap).toEqual([{ inside: 7, outside: 1000, count: 1 }]);
      expect(s.user.gid).toBe(7);
    }],
    ['--uid-map=MAP / --gid-map', ['--uid-map=0 1000 1', '--gid-map'], (s) => {
      expect(s.user.uidMap).toEqual([{ inside: 0, outside: 1000, count: 1 }]);
      expect(s.user.gidMap).toEqual([{ inside: 0, outside: 1000, count: 1 }]);
    }],
    ['-u number', ['-u', '1234'], (s) => { expect(s.user.uid).toBe(1234); expect(s.user.gid).toBeUndefined(); }],
    ['-u/-g drop supplementary groups unless told otherwise', ['-g', '5'], (s) => expect(s.user.groups).toEqual([])],
    ['no -u/-g: groups left alone', [], (s) => expect(s.user.groups).toBeUndefined()],
    ['unprivileged user ns: setgroups is denied, groups not touched', ['-U', '-u', '0'], (s) => expect(s.user.groups).toBeUndefined()],
    ['-u name (from passwd)', ['-u', 'alice'], (s) => expect(s.user.uid).toBe(1001)],
    ['-u attached, --uid=, --user', ['-u0'], (s) => expect(s.user.uid).toBe(0)],
    ['--uid=N', ['--uid=77'], (s) => expect(s.user.uid).toBe(77)],
    ['--user NAME', ['--user', 'bob'], (s) => expect(s.user.uid).toBe(1002)],
    ['-g name', ['-g', 'wheel'], (s) => expect(s.user.gid).toBe(10)],
    ['--gid / --group', ['--group', '29'], (s) => expect(s.user.gid).toBe(29)],
    ["-G: the -u user's groups, primary first (initgroups)", ['-u', 'alice', '-G'], (s) => expect(s.user.groups).toEqual([1001, 10, 29])],
    ['-G dedupes the primary group', ['-u', 'bob', '--inherit-groups'], (s) => expect(s.user.groups).toEqual([100, 10])],
    ['-y keeps the groups', ['-y'], (s) => expect(s.user.groups).toBe('keep')],
    ['--keep-groups', ['--keep-groups'], (s) => expect(s.user.groups).toBe('keep')],
    ['--add-suppl-group names and numbers', ['--add-suppl-group', 'audio', '--add-suppl-group', '50', '--add-suppl-group', '29'],
      (s) => expect(s.user.groups).toEqual([29, 50])],
    ['-c hex mask', ['-c', '0x400'], (s) => expect(s.caps).toEqual({ keep: 1n << 10n, ambient: false })],
    ['-c bare hex', ['-c', '3000'], (s) => expect(s.caps?.keep).toBe(0x3000n)],
    ['-c cap_from_text', ['-c', 'cap_net_bind_service=eip'], (s) => expect(s.caps?.keep).toBe(1n << 10n)],
    ['--caps list+flags', ['--caps', 'cap_chown,cap_kill+ep'], (s) => expect(s.caps?.keep).toBe((1n << 0n) | (1n << 5n))],
    ['-c --ambient', ['-c', 'cap_net_bind_service=eip', '--ambient'], (s) => expect(s.caps).toEqual({ keep: 1n << 10n, ambient: true })],
    ['-u N -c 0: dropping everything needs no --ambient', ['-u', '1000', '-c', '0'], (s) => expect(s.caps).toEqual({ keep: 0n, ambient: false })],
    ['-u N -c X --ambient', ['-u', '1000', '-c', '0x400', '--ambient'], (s) => expect(s.caps).toEqual({ keep: 0x400n, ambient: true })],
    ['-B skips securebits', ['-c', '0', '-B', '0x3'], (s) => expect(s.caps?.securebits).toBe(securebitsFor(false, 3))],
    ['--skip-securebits with --ambient', ['-c', '0', '--ambient', '--skip-securebits', '20'], (s) => expect(s.caps?.securebits).toBe(0x0f)],
    ['-S: compiled for this arch, syscall names for violations', ['-S', 'POLICY'], (s) => {
      expect(s.seccomp?.bpf.length).toBeGreaterThan(0);
      expect(s.seccomp!.bpf.length % 8).toBe(0);
      expect(s.seccomp?.names?.[101]).toBe('ptrace');
      expect(s.seccomp?.tsync).toBeUndefined();
      expect(s.noNewPrivs).toBe(false); // minijail sets it by default only without a filter
    }],
    ['--seccomp-policy -L -Y', ['--seccomp-policy', 'POLICY', '-L', '-Y'], (s) => expect(s.seccomp).toMatchObject({ log: true, tsync: true })],
    ['--seccomp-oci --oci-caps --oci-kernel: the profile converted for this arch', ['--seccomp-oci', 'OCI', '--oci-caps', 'CAP_SYS_ADMIN', '--oci-kernel', '5.10'], (s) => {
      expect(s.seccomp!.bpf.length % 8).toBe(0);
      expect(s.seccomp?.names?.[101]).toBe('ptrace');
    }],
    ['--seccomp-log --seccomp-tsync', ['-S', 'POLICY', '--seccomp-log', '--seccomp-tsync'], (s) => expect(s.seccomp).toMatchObject({ log: true, tsync: true })],
    // Permissive mode: the spec says so (the record file is the CLI's, not the spec's).
    ['--log --log-file', ['-S', 'POLICY', '--log', '--log-file', '/tmp/record.json'], (s) => expect(s.seccomp).toMatchObject({ logMode: true })],
    // An allow-everything filter lets io_uring through: refused unless --allow-io-uring says so.
    ['--seccomp-bpf-binary --allow-io-uring', ['--seccomp-bpf-binary', 'BPF', '--allow-io-uring'], (s) => {
      expect(Array.from(s.seccomp!.bpf)).toEqual(Array.from(BPF_BYTES));
      expect(s.seccomp!.allowIoUring).toBe(true);
    }],
    ['-T static', ['-T', 'static'], (s) => expect(s.seccompTiming).toBe('exec')],
    ['--elf-type dynamic', ['--elf-type', 'dynamic'], (s) => expect(s.seccompTiming).toBe('preload')],
    ['no -T: auto', [], (s) => expect(s.seccompTiming).toBe('auto')],
    ['-v -b SRC: read-only, DST = SRC', ['-v', '-b', '/usr'], (s) => expect(s.filesystem.mounts).toEqual([
      { kind: 'bind', source: '/usr', target: '/usr', writable: false, recursive: true }])],
    ['-b SRC,DST,1 writable', ['-v', '-b', '/usr,/opt/u,1'], (s) => expect(s.filesystem.mounts[0]).toMatchObject({ target: '/opt/u', writable: true })],
    ['--bind-mount / --bind', ['--ns-mount', '--bind-mount', '/usr,/u,0', '--bind', '/etc'], (s) => expect(s.filesystem.mounts.map((m) => m.target)).toEqual(['/u', '/etc'])],
    ['-k tmpfs: default flags and data', ['-k', 'none,/mnt,tmpfs'], (s) => {
      expect(s.namespaces.mount).toBe(true);
      expect(s.filesystem.mounts).toEqual([{ kind: 'mount', source: 'none', target: '/mnt', fstype: 'tmpfs',
        flags: MS.MS_NODEV | MS.MS_NOEXEC | MS.MS_NOSUID, data: 'mode=0755,size=10M' }]);
    }],
    ['-k flags expression and data with commas', ['-k', 'none,/mnt,tmpfs,MS_NODEV|MS_NOSUID,size=1M,mode=0700'], (s) =>
      expect(s.filesystem.mounts[0]).toEqual({ kind: 'mount', source: 'none', target: '/mnt', fstype: 'tmpfs',
        flags: MS.MS_NODEV | MS.MS_NOSUID, data: 'size=1M,mode=0700' })],
    ['--mount with MS_BIND becomes a bind', ['--mount', '/usr,/u,none,MS_BIND|MS_REC|MS_RDONLY'], (s) =>
      expect(s.filesystem.mounts[0]).toEqual({ kind: 'bind', source: '/usr', target: '/u', writable: false, recursive: true })],
    ['-k numeric flags', ['-k', 'proc,/proc2,proc,0xe'], (s) => expect(s.filesystem.mounts[0]).toMatchObject({ flags: 0xe })],
    ['-C DIR chroot (and a private mount ns for its mounts)', ['-C', ROOT_DIR, '-b', '/usr,/usr2'], (s) => {
      expect(s.filesystem).toMatchObject({ root: ROOT_DIR, rootMode: 'chroot', propagation: 'private' });
      expect(s.namespaces.mount).toBe(true);
    }],
    ['--chroot', ['--chroot', ROOT_DIR], (s) => expect(s.filesystem.rootMode).toBe('chroot')],
    ['-P DIR pivot_root implies -v', ['-P', ROOT_DIR], (s) => {
      expect(s.filesystem).toMatchObject({ root: ROOT_DIR, rootMode: 'pivot_root' });
      expect(s.namespaces.mount).toBe(true);
    }],
    ['--pivot-root', ['--pivot-root', ROOT_DIR], (s) => expect(s.filesystem.rootMode).toBe('pivot_root')],
    ['-d', ['-d'], (s) => expect(s.filesystem.mounts).toEqual([{ kind: 'dev', target: '/dev' }])],
    ['--mount-dev', ['--mount-dev'], (s) => expect(s.filesystem.mounts).toEqual([{ kind: 'dev', target: '/dev' }])],
    ['-t: 64M /tmp, 1777, nodev/noexec/nosuid', ['-t'], (s) => expect(s.filesystem.mounts).toEqual([{ kind: 'mount', source: 'none',
      target: '/tmp', fstype: 'tmpfs', flags: MS.MS_NODEV | MS.MS_NOEXEC | MS.MS_NOSUID, data: `size=${64 * 2 ** 20},mode=1777` }])],
    ['-tSIZE attached', ['-t1G'], (s) => expect(s.filesystem.mounts[0]).toMatchObject({ data: `size=${2 ** 30},mode=1777` })],
    ['--tmpfs=SIZE', ['--tmpfs=512K'], (s) => expect(s.filesystem.mounts[0]).toMatchObject({ data: 'size=524288,mode=1777' })],
    ['mounts are ordered parents first, flag order kept otherwise', ['-v', '-b', '/usr,/tmp/u', '-d', '-t', '-b', '/,/', '-r'], (s) =>
      expect(s.filesystem.mounts.map((m) => `${m.kind}:${m.target}`)).toEqual(['bind:/', 'dev:/dev', 'mount:/tmp', 'proc:/proc', 'bind:/tmp/u'])],
    ['-R name,cur,max', ['-R', 'RLIMIT_NOFILE,64,128'], (s) => expect(s.rlimits).toEqual([{ resource: 'NOFILE', soft: 64, hard: 128 }])],
    ['--rlimit short name, unlimited, number, repeat', ['--rlimit', 'as,unlimited,unlimited', '-R', '7,0x10,020'], (s) =>
      expect(s.rlimits).toEqual([{ resource: 'AS', soft: 'unlimited', hard: 'unlimited' }, { resource: 'NOFILE', soft: 16, hard: 16 }])],
    ['--memory --pids --cpu', ['--memory', '64M', '--pids', '10', '--cpu', '0.5'], (s) => expect(s.cgroup).toEqual({ memory: 64 * 2 ** 20, pids: 10, cpu: 0.5 })],
    ['--time-limit', ['--time-limit', '1.5s'], (s) => expect(s.timeLimitMs).toBe(1500)],
    ['--time-limit minutes', ['--time-limit=2m'], (s) => expect(s.timeLimitMs).toBe(120000)],
    ['-f relative pid file becomes absolute', ['-f', 'jail.pid'], (s) => expect(s.pidFile).toBe(path.join(tmp, 'jail.pid'))],
    ['--pid-file', ['--pid-file', '/tmp/x.pid'], (s) => expect(s.pidFile).toBe('/tmp/x.pid')],
    ['environment inherited by default', [], (s) => expect(s.env).toEqual(['PATH=/usr/bin:/bin', 'HOME=/root', 'KEEP=me'])],
    ['--env-add extends and overrides', ['--env-add', 'A=1', '--env-add', 'HOME=/h'], (s) => expect(s.env).toEqual(['PATH=/usr/bin:/bin', 'HOME=/h', 'KEEP=me', 'A=1'])],
    ['--env-reset then --env-add', ['--env-reset', '--env-add', 'A=b=c'], (s) => expect(s.env).toEqual(['A=b=c'])],
    ['--env-add then --env-reset drops the adds (minijail order)', ['--env-add', 'A=1', '--env-reset'], (s) => expect(s.env).toEqual([])],
    ['--preserve-fd', ['--preserve-fd', '5', '--preserve-fd', '5', '--preserve-fd', '1'], (s) => expect(s.preserveFds).toEqual([5])],
    ['--fs-path-ro/-rx/-rw', ['--fs-path-ro', '/etc', '--fs-path-rx', '/usr', '--fs-path-rw', '/tmp'], (s) =>
      expect(s.landlock).toEqual({ ro: ['/etc'], rx: ['/usr'], rw: ['/tmp'] })],
    ['--fs-default-paths (existing ones only)', ['--fs-default-paths'], (s) => {
      expect(s.landlock?.rx).toContain('/usr/bin');
      expect(s.landlock?.ro).toEqual(['/etc/passwd', '/etc/group']);
      for (const p of s.landlock!.rx) expect(fs.existsSync(p)).toBe(true);
    }],
    ['--no-fs-restrictions alone', ['--no-fs-restrictions'], (s) => expect(s.landlock).toBeUndefined()],
    ['-z (signal forwarding is the CLI\'s, not the spec\'s)', ['-z'], (s) => expect(s.argv).toEqual(['true'])],
    ['--no-new-sessions keeps the session', ['--no-new-sessions'], (s) => expect(s.keepSession).toBe(true)],
    ['a new session by default', [], (s) => expect(s.keepSession).toBeUndefined()],
    ['-w: a new session keyring is every jail\'s, nothing in the spec', ['-w'], (s) => expect(s.argv).toEqual(['true'])],
    ['--save-jail (the file is written by pack-jail.ts; the spec is the same)', ['--save-jail', '/tmp/x.jail'], (s) => expect(s.argv).toEqual(['true'])],
    ['short flags cluster', ['-nvlN'], (s) => {
      expect(s.namespaces).toMatchObject({ mount: true, ipc: true, cgroup: true });
      expect(s.noNewPrivs).toBe(true);
    }],
    ['cluster ending in a flag with a required value', ['-vb', '/usr'], (s) => expect(s.filesystem.mounts[0]).toMatchObject({ source: '/usr' })],
    ['parsing stops at the first non-option', [], (s) => expect(s.argv).toEqual(['true'])],
  ];

  let POLICY: string;
  let BPF: string;
  let OCI: string;
  const BPF_BYTES = new Uint8Array([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]); // ret ALLOW
  beforeAll(() => {
    POLICY = file('ok.policy', 'read: 1\nwrite: 1\nexit_group: 1\n');
    BPF = file('allow.bpf', BPF_BYTES);
    OCI = file('p.json', JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }, { names: ['unshare'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'], minKernel: '5.4' } }] }));
  });

  test.each(rows)('%s', async (_name, args, check) => {
    const real = args.map((a) => (a === 'POLICY' ? POLICY : a === 'BPF' ? BPF : a === 'OCI' ? OCI : a));
    check(await spec([...real, '--', 'true']));
  });

  test('every option in the table has a row using it', () => {
    const used = new Set<string>();
    for (const [, args] of rows) {
      for (const a of args) {
        if (a.startsWith('--')) used.add(a.slice(2).split('=')[0]);
        else if (/^-[a-zA-Z]/.test(a)) for (const c of a.slice(1)) used.add(c);
      }
    }
    const missing = OPTIONS.filter((o) => o.long !== 'config' && o.long !== 'help' && o.long !== 'profile')
      .filter((o) => !used.has(o.long) && !(o.short && used.has(o.short)) && !(o.aliases ?? []).some((a) => used.has(a)))
      .map((o) => o.long);
    expect(missing).toEqual([]);
  });
});

describe('optional arguments must be attached (minijail0 rule)', () => {
  test.each([
    [['-t', '64M', 'true']],
    [['--tmpfs', '64M', 'true']],
    [['-m', '0 1000 1', 'true']],
    [['--uts', 'box', 'true']],
  ])('%j: the detached value is the program', async (args) => {
    const r = parseRunArgs(args, { readConfig });
    expect(r.program[0]).toBe(args[args.length - 2]);
    const e = await failure(args);
    expect(e).toBeInstanceOf(ProgramError);
    expect((e as ProgramError).status).toBe(127);
  });
  test('-K with a detached mode: the mode is not taken (and bare -K is refused)', () => {
    expect(() => parseRunArgs(['-v', '-K', 'slave', 'true'], { readConfig })).toThrow(/-K without a mode is not supported/);
    expect(parseRunArgs(['-v', '-Kslave', 'true'], { readConfig }).propagation).toBe('slave');
  });
  test('required arguments may be separate or attached', () => {
    expect(parseRunArgs(['-u', '5', 'x'], { readConfig }).user).toBe('5');
    expect(parseRunArgs(['-u5', 'x'], { readConfig }).user).toBe('5');
    expect(parseRunArgs(['--uid', '5', 'x'], { readConfig }).user).toBe('5');
    expect(parseRunArgs(['--uid=5', 'x'], { readConfig }).user).toBe('5');
  });
  test('program arguments are never parsed, with or without --', () => {
    expect(parseRunArgs(['-n', '/bin/echo', '-v', '--help'], { readConfig }).program).toEqual(['/bin/echo', '-v', '--help']);
    expect(parseRunArgs(['-n', '--', '-weird', '-n'], { readConfig }).program).toEqual(['-weird', '-n']);
    expect(parseRunArgs(['--', '--', 'x'], { readConfig }).program).toEqual(['--', 'x']);
  });
  test('--help wins as soon as it is seen', () => {
    expect(parseRunArgs(['-n', '--help', '--bogus'], { readConfig }).help).toBe(true);
    expect(parseRunArgs(['-h'], { readConfig }).help).toBe(true);
  });
});

describe('usage errors name the flag', () => {
  const rows: Array<[string[], RegExp]> = [
    [['true'].slice(1), /^missing PROGRAM \(it goes after the options: \[options\] \[--\] PROGRAM \[ARGS\.\.\.\]\)$/],
    [['--bogus', 'true'], /unknown option '--bogus'/],
    [['--pid-n', 'true'], /did you mean --pid-ns/],
    [['--seccomp-polcy', 'x', 'true'], /^unknown option '--seccomp-polcy' \(did you mean --seccomp-policy\?\); see 'tsjail run --help'$/],
    [['--pivotroot', 'x', 'true'], /\(did you mean --pivot-root\?\)/],
    [['--uid-mpa=0', 'true'], /\(did you mean --uid-map\?\)/],
    [[`--uts=${'h'.repeat(65)}`, 'true'], new RegExp(`^--uts: hostname '${'h'.repeat(65)}' is 65 bytes; the kernel allows at most 64$`)],
    [['--uts=a b', 'true'], /^--uts: bad hostname 'a b': no NUL, '\/' or white space$/],
    [['-j', 'true'], /unknown option '-j'/],
    [['-s', 'true'], /strict mode \(-s\) is not supported/],
    [['-V', '/proc/1/ns/mnt', 'true'], /-V\) is not supported/],
    [['--logging=stderr', 'true'], /--logging is not supported/],
    [['-u'], /-u needs a value/],
    [['--uid'], /--uid needs a value/],
    [['-n=1', 'true'], /unknown option '-='/],
    [['--ns-mount=1', 'true'], /--ns-mount takes no value/],
    [['-u', '1', '-u', '2', 'true'], /-u: -u given more than once/],
    [['-g', '1', '--gid', '2', 'true'], /--gid: -g given more than once/],
    [['-u', 'nosuchuser', 'true'], /-u: unknown user 'nosuchuser' \(not in \/fixture\/passwd\)/],
    [['-g', 'nosuchgroup', 'true'], /-g: unknown group 'nosuchgroup'/],
    [['--add-suppl-group', 'nosuch', 'true'], /--add-suppl-group: unknown group 'nosuch'/],
    [['-G', 'true'], /-G \(inherit groups\) needs -u with a user name/],
    [['-u', '1001', '-G', 'true'], /-G \(inherit groups\) needs -u with a user name/],
    [['-y', '-G', 'true'], /-G: -y and -G are not compatible/],
    [['-u', 'alice', '-G', '-y', 'true'], /-y: -y and -G are not compatible/],
    [['-y', '--add-suppl-group', '1', 'true'], /--add-suppl-group cannot be combined with -G or -y/],
    [['--ambient', 'true'], /without a capability set \(-c\)/],
    [['-B', '1', 'true'], /-B \(--skip-securebits\) needs -c/],
    [['-c', 'cap_bogus=e', 'true'], /-c: unknown capability 'cap_bogus'/],
    [['-u', '1000', '-c', 'cap_net_bind_service=eip', 'true'], /-c: a program running as uid 1000 loses these capabilities at exec unless they are also ambient; add --ambient/],
    [['-c', 'cap_chown', 'true'], /-c: bad capability clause/],
    [['-c', 'cap_chown=x', 'true'], /-c: bad capability flags/],
    [['-c', '0x10000000000000', 'true'], /-c: cap mask '0x10000000000000' names capabilities beyond 40/],
    [['-b', '/usr', 'true'], /bind mounts \(-b\) need a chroot \(-C\), pivot_root \(-P\) or a new mount namespace \(-v\)/],
    [['-p', '-b', '/usr', 'true'], /bind mounts \(-b\) need/],
    [['-v', '-b', 'usr', 'true'], /-b: bind source 'usr' must be an absolute path/],
    [['-v', '-b', '/usr,/x,2', 'true'], /-b: bad value for WRITABLE '2'/],
    [['-v', '-b', '/usr,/x,1,extra', 'true'], /-b: bad binding/],
    [['-v', '-b', '/no/such/dir', 'true'], /-b: bind source \/no\/such\/dir does not exist/],
    [['-v', '-b', '/usr,/a/../b', 'true'], /must not contain \. or \.\. components/],
    [['-k', 'none,/mnt', 'true'], /-k: bad mount 'none,\/mnt'/],
    [['-k', 'none,/mnt,tmpfs,MS_BOGUS', 'true'], /-k: bad mount flags 'MS_BOGUS': unknown constant 'MS_BOGUS'/],
    [['-k', 'none,/mnt,tmpfs,nodev', 'true'], /did you mean MS_NODEV/],
    [['-k', 'none,/mnt,tmpfs,MS_NODEV|', 'true'], /expression ends early/],
    [['-k', '/usr,/u,none,MS_BIND,data', 'true'], /a bind mount takes no data/],
    [['-Kslave', 'true'], /-K \(remount mode\) only makes sense with -v/],
    [['-v', '-K', 'true'], /-K: -K without a mode is not supported/],
    [['-v', '-Kweird', 'true'], /-K: unknown remount mode 'weird'/],
    [['-C', '/', '-P', '/', 'true'], /-P: cannot pivot_root \(-P\) because -C \(chroot\) was given/],
    [['-P', '/', '-C', '/', 'true'], /-C: cannot chroot \(-C\) because -P/],
    [['-C', '/no/such/root', 'true'], /-C: \/no\/such\/root does not exist/],
    [['-C', '/etc/passwd', 'true'], /is not a directory/],
    [['-C', '/', 'rel/prog'], /the program path must be absolute/],
    [['-eFILE', 'true'], /-e: joining an existing network namespace/],
    [['--uts=', 'true'], /^--uts: empty hostname \(write --uts for a new UTS namespace keeping the name\)$/],
    [['--uts=a b', 'true'], /bad hostname/],
    [['-m0 1000', 'true'], /-m: bad id map entry '0 1000'/],
    [['-M0 1000 0', 'true'], /count of 0/],
    [['-S', 'a.policy', '--seccomp-bpf-binary', 'b.bpf', 'true'], /use one of -S, --seccomp-bpf-binary and --seccomp-oci/],
    [['-L', '--seccomp-bpf-binary', 'b.bpf', 'true'], /-L \(--seccomp-log\) does not work with --seccomp-bpf-binary/],
    [['--seccomp-bpf-binary', 'b.bpf', '-L', 'true'], /-L \(--seccomp-log\) does not work with --seccomp-bpf-binary/],
    [['-S', '/no/such.policy', 'true'], /-S \/no\/such.policy: no such file or directory/],
    [['--seccomp-bpf-binary', '/no/such.bpf', 'true'], /--seccomp-bpf-binary \/no\/such.bpf: cannot read: no such file or directory$/],
    [['--seccomp-bpf-binary', '/', 'true'], /--seccomp-bpf-binary \/: cannot read: is a directory$/],
    [['-t64Q', 'true'], /-t: bad size '64Q'/],
    [['--memory', '0', 'true'], /memory limit must be positive/],
    [['--pids', '-1', 'true'], /--pids: bad pids limit '-1'/],
    [['--pids', '0', 'true'], /at least 1/],
    [['--cpu', '0', 'true'], /bad cpu limit/],
    [['--time-limit', 'soon', 'true'], /--time-limit: bad duration 'soon'/],
    [['--time-limit', '0', 'true'], /must be positive/],
    [['-R', 'NOFILE,1', 'true'], /-R: bad rlimit 'NOFILE,1'/],
    [['-R', 'RLIMIT_BOGUS,1,2', 'true'], /unknown rlimit 'RLIMIT_BOGUS'/],
    [['-R', 'AS,10,5', 'true'], /soft limit exceeds the hard limit/],
    [['-R', 'AS,x,5', 'true'], /bad soft limit 'x'/],
    [['-T', 'weird', 'true'], /-T: ELF type must be 'static' or 'dynamic'/],
    [['--env-add', 'NOEQUALS', 'true'], /--env-add: expected NAME=VALUE/],
    [['--env-add', '=x', 'true'], /expected NAME=VALUE/],
    [['--preserve-fd', 'x', 'true'], /--preserve-fd: bad fd 'x'/],
    [['--fs-path-ro', 'rel', 'true'], /--fs-path-ro: path 'rel' must be an absolute path/],
    [['--fs-path-ro', '/no/such', 'true'], /--fs-path-ro \/no\/such: no such file or directory/],
    [['--no-fs-restrictions', '--fs-path-ro', '/etc', 'true'], /can't combine --no-fs-restrictions/],
    [['--profile', 'maximal', 'true'], /--profile: unknown profile 'maximal'/],
    [['-f', '/no/such/dir/pid', 'true'], /--pid-file \/no\/such\/dir\/pid: directory \/no\/such\/dir does not exist/],
    [['--config', 'missing.conf', 'true'], /--config missing.conf: cannot read: no such file or directory$/],
    [['--config', '/', 'true'], /--config \/: cannot read: is a directory$/],
  ];
  test.each(rows)('%j', async (args, re) => {
    const e = await failure(args.map((a) => (a === 'a.policy' || a === 'b.bpf' ? file(a, '') : a)));
    expect(e).toBeInstanceOf(RunUsageError);
    expect(e.message).toMatch(re);
  });

  test('a policy with errors reports its diagnostics', async () => {
    const bad = file('bad.policy', 'read: 1\nnot_a_syscall: 1\n');
    const e = await failure(['-S', bad, 'true']);
    expect(e).toBeInstanceOf(PolicyCompileError);
    expect((e as PolicyCompileError).formatted).toMatch(/bad\.policy\(2:\d+\)|bad\.policy:2/);
    expect(e.message).toMatch(/the seccomp policy has 1 error/);
  });

  test('a .bpf file whose size is not a multiple of 8', async () => {
    const bpf = file('odd.bpf', new Uint8Array(12));
    expect((await failure(['--seccomp-bpf-binary', bpf, 'true'])).message).toMatch(/filter size \(12\) is not a non-zero multiple of 8/);
  });
});

describe('program resolution (before anything forks)', () => {
  test('a name is searched on PATH', async () => {
    expect((await spec(['true'])).path).toBe(TRUE);
  });
  test('the jail environment PATH is searched first', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'bin-'));
    const prog = path.join(dir, 'myprog');
    fs.writeFileSync(prog, '#!/bin/sh\n', { mode: 0o755 });
    expect((await spec(['--env-add', `PATH=${dir}`, 'myprog'])).path).toBe(prog);
  });
  test('not found: 127', async () => {
    const e = await failure(['definitely-not-a-command-xyz']);
    expect(e).toBeInstanceOf(ProgramError);
    expect((e as ProgramError).status).toBe(127);
    expect(e.message).toMatch(/command not found/);
  });
  test('not executable: 126', async () => {
    const f = file('data.txt', 'x');
    const e = await failure([f]);
    expect((e as ProgramError).status).toBe(126);
    const d = await failure([tmp]);
    expect((d as ProgramError).status).toBe(126);
  });
  test('relative paths resolve against the cwd', async () => {
    const prog = file('rel.sh', '#!/bin/sh\n');
    fs.chmodSync(prog, 0o755);
    expect((await spec(['./rel.sh'])).path).toBe(prog);
  });
  test('inside a new root the program is looked up through the binds', async () => {
    const root = fs.mkdtempSync(path.join(tmp, 'root-'));
    const s = await spec(['-P', root, '-b', '/usr,/usr', '-b', '/bin,/bin', '/usr/bin/true']);
    expect(s.path).toBe('/usr/bin/true');
    const e = await failure(['-P', root, '/usr/bin/true']);
    expect((e as ProgramError).status).toBe(127);
  });
  test('hostPathOf: longest bind target wins, tmpfs hides, root prefixes', () => {
    const mounts = [
      { kind: 'bind' as const, source: '/', target: '/', writable: false, recursive: true },
      { kind: 'bind' as const, source: '/opt/x', target: '/usr/local', writable: false, recursive: true },
      { kind: 'tmpfs' as const, target: '/tmp' },
    ];
    expect(hostPathOf('/usr/local/bin/a', mounts, '/var/empty')).toBe('/opt/x/bin/a');
    expect(hostPathOf('/usr/bin/a', mounts, '/var/empty')).toBe('/usr/bin/a');
    expect(hostPathOf('/tmp/a', mounts, '/var/empty')).toBeUndefined();
    expect(hostPathOf('/usr/bin/a', [], '/r')).toBe('/r/usr/bin/a');
    expect(hostPathOf('/usr/bin/a', [], undefined)).toBe('/usr/bin/a');
  });
});

describe('--profile minimalistic-mountns', () => {
  const withVarEmpty = (): Partial<SpecHost> => {
    const real = nodeSpecHost({ arch: () => 'x86_64', syscallNames: async () => ({}), compilePolicy: async () => ({ bpf: new Uint8Array(), arch: '' }) });
    return { stat: (f) => (f === '/var/empty' ? fs.statSync(tmp) : real.stat(f)) };
  };
  test('expands like minijail0: -v -P /var/empty -b / -b /proc [-b /dev/log -d] -t -r', async () => {
    const s = await spec(['--profile', 'minimalistic-mountns', 'true'], withVarEmpty());
    expect(s.namespaces.mount).toBe(true);
    expect(s.filesystem).toMatchObject({ root: '/var/empty', rootMode: 'pivot_root' });
    const kinds = s.filesystem.mounts.map((m) => `${m.kind}:${m.target}${m.kind === 'bind' ? (m.writable ? ':rw' : ':ro') : ''}`);
    const devLog = fs.existsSync('/dev/log') ? ['bind:/dev/log:ro'] : [];
    expect(kinds).toEqual(['bind:/:ro', 'bind:/proc:ro', 'dev:/dev', 'mount:/tmp', 'proc:/proc', ...devLog]);
    expect(s.path).toBe(TRUE);
  });
  test('-nodev leaves out /dev', async () => {
    const s = await spec(['--profile', 'minimalistic-mountns-nodev', 'true'], withVarEmpty());
    expect(s.filesystem.mounts.map((m) => m.kind)).toEqual(['bind', 'bind', 'mount', 'proc']);
  });
  test('an earlier -t size is kept', async () => {
    const s = await spec(['-t1M', '--profile', 'minimalistic-mountns-nodev', 'true'], withVarEmpty());
    expect(s.filesystem.mounts.find((m) => m.target === '/tmp')).toMatchObject({ data: `size=${2 ** 20},mode=1777` });
  });
  test('binds are allowed with the profile (it pivots)', async () => {
    const s = await spec(['--profile', 'minimalistic-mountns-nodev', '-b', '/etc,/etc2', 'true'], withVarEmpty());
    expect(s.filesystem.mounts.some((m) => m.target === '/etc2')).toBe(true);
  });
  test('without /var/empty: says how to create it', async () => {
    const e = await failure(['--profile', 'minimalistic-mountns', 'true'], {
      stat: (f) => (f === '/var/empty' ? undefined : fs.statSync(f, { throwIfNoEntry: false }) ?? undefined),
    });
    expect(e.message).toMatch(/\/var\/empty does not exist.*mkdir -m 0755 \/var\/empty/);
  });
  test('-C with the profile is refused', async () => {
    expect((await failure(['--profile', 'minimalistic-mountns', '-C', '/', 'true'], withVarEmpty())).message).toMatch(/cannot chroot/);
  });
});

describe('--config files', () => {
  const conf = (name: string, body: string) => file(name, body);

  test('minijail0(5) example: keys, letters, bare keys, comments, continuations, injected in place', async () => {
    const c = conf('ok.conf', [
      '% minijail-config-file v0',
      '',
      '# a comment',
      'ns-mount',
      '   bind-mount = /usr,/u  ',
      'mount = none,/mnt,tmpfs,\\',
      'MS_NODEV,size=1M',
      'K = private',
      'l',
      'uts = confhost',
      'env-add = A=B',
      '',
    ].join('\n'));
    const s = await spec(['-n', '--config', c, '-e', 'true']);
    expect(s.namespaces).toMatchObject({ mount: true, ipc: true, uts: true, net: true });
    expect(s.hostname).toBe('confhost');
    expect(s.filesystem.propagation).toBe('private');
    expect(s.filesystem.mounts).toEqual([
      { kind: 'bind', source: '/usr', target: '/u', writable: false, recursive: true },
      { kind: 'mount', source: 'none', target: '/mnt', fstype: 'tmpfs', flags: MS.MS_NODEV, data: 'size=1M' },
    ]);
    expect(s.env).toContain('A=B');
  });
  test('entries apply where --config appears (a later flag sees them)', async () => {
    const c = conf('u.conf', '% minijail-config-file v0\nu = 5\n');
    expect((await failure(['--config', c, '-u', '6', 'true'])).message).toMatch(/^-u: -u given more than once/);
    expect((await failure(['-u', '6', '--config', c, 'true'])).message).toMatch(/u\.conf:2: u: -u given more than once/);
  });
  test('errors carry the file and line', async () => {
    const cases: Array<[string, RegExp]> = [
      ['', /:1: the first line must be exactly '% minijail-config-file v0'/],
      ['% minijail-config-file v0', /:1: the first line must be exactly/],
      ['%minijail-config-file v0\n', /:1: the first line/],
      ['% minijail-config-file v1\n', /:1: the first line/],
      ['% minijail-config-file v0\nns-mount\n\nbogus-key = 1\n', /:4: unknown key 'bogus-key'/],
      ['% minijail-config-file v0\n# c\nuts =\n', /:3: missing value after '=' for 'uts'/],
      ['% minijail-config-file v0\n = x\n', /:2: missing key before '='/],
      ['% minijail-config-file v0\nmount = a,\\\n', /:2: a '\\' continuation ends the file/],
      ['% minijail-config-file v0\nns-mount = yes\n', /:2: ns-mount: takes no value/],
      ['% minijail-config-file v0\nbind-mount\n', /:2: bind-mount: needs a value/],
      ['% minijail-config-file v0\nconfig = other.conf\n', /:2: config: nested config files are not allowed/],
      ['% minijail-config-file v0\n\n\nv\nb = /no/such/src\n', /:5: b: bind source \/no\/such\/src does not exist/],
      ['% minijail-config-file v0\nt = 5Q\n', /:2: t: bad size '5Q'/],
      ['% minijail-config-file v0\ns\n', /strict mode/],
      ['% minijail-config-file v0\nlogging = stderr\n', /:2: --logging is not supported/],
    ];
    for (const [i, [body, re]] of cases.entries()) {
      const c = conf(`bad${i}.conf`, body);
      const e = await failure(['--config', c, 'true']);
      expect(e).toBeInstanceOf(RunUsageError);
      expect(e.message).toMatch(new RegExp(`^${c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect(e.message).toMatch(re);
    }
  });
  test('parseConfig splits lines and reports the starting line of a continued entry', () => {
    const entries = parseConfig('% minijail-config-file v0\n\nx = 1 \\\n 2\ny\n', 'f');
    expect(entries).toEqual([{ key: 'x', value: '1  2', line: 3 }, { key: 'y', value: undefined, line: 5 }]);
    expect(() => parseConfig('nope\n', 'f')).toThrow(ConfigError);
  });
});

describe('value parsers', () => {
  test('sizes', () => {
    expect(parseSize('10')).toBe(10);
    expect(parseSize('64M')).toBe(64 * 2 ** 20);
    expect(parseSize('2k')).toBe(2048);
    expect(parseSize('1GiB')).toBe(2 ** 30);
    expect(() => parseSize('-1')).toThrow();
    expect(() => parseSize('1.5G')).toThrow();
  });
  test('durations', () => {
    expect(parseDuration('10')).toBe(10000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(() => parseDuration('1d')).toThrow();
  });
  test('capabilities: cap_from_text operators', () => {
    expect(parseCaps('all=e')).toBe((1n << 41n) - 1n);
    expect(parseCaps('=ep cap_sys_admin-e')).toBe(((1n << 41n) - 1n) & ~(1n << 21n));
    expect(parseCaps('cap_chown=p')).toBe(0n);
    expect(parseCaps('CAP_KILL+eip')).toBe(1n << 5n);
    expect(parseCaps('cap_kill,cap_chown=e cap_kill=')).toBe(1n);
  });
  test('mount flag expressions', () => {
    expect(parseMountFlags('MS_RDONLY|MS_NOSUID')).toBe(3);
    expect(parseMountFlags(' (MS_NODEV | 0x8) ')).toBe(12);
    expect(parseMountFlags('~0')).toBe(0xffffffff);
    expect(() => parseMountFlags('MS_RDONLY MS_NOSUID')).toThrow(/unexpected/);
  });
  test('rlimits and id maps', () => {
    expect(parseRlimit('RLIMIT_CORE,0,0')).toEqual({ resource: 'CORE', soft: 0, hard: 0 });
    expect(() => parseRlimit('16,1,1')).toThrow(/unknown rlimit number/);
    expect(parseIdMap(' 0 0 1 ')).toEqual([{ inside: 0, outside: 0, count: 1 }]);
    expect(() => parseIdMap('0 4294967295 2')).toThrow(/32-bit/);
  });
  test('passwd/group parsing and initgroups order', () => {
    const db = UserDb.fromText(PASSWD, GROUP);
    expect(db.users.map((u) => u.name)).toEqual(['root', 'alice', 'bob', 'nobody']);
    expect(db.user('alice')).toMatchObject({ uid: 1001, gid: 1001, home: '/home/alice' });
    expect(db.group('wheel')).toEqual({ name: 'wheel', gid: 10, members: ['alice', 'bob'] });
    expect(db.groupsOf(db.user('nobody')!)).toEqual([65534]);
  });
  test('the real /etc files resolve root and nobody', async () => {
    const s = await spec(['-u', 'nobody', '-g', 'root', 'true'], { passwdFile: '/etc/passwd', groupFile: '/etc/group', readText: (f) => fs.readFileSync(f, 'utf8') });
    expect(s.user).toMatchObject({ uid: 65534, gid: 0 });
  });
});

describe('--help', () => {
  const help = runHelp();
  test('documents every option with its short and long names', () => {
    for (const o of OPTIONS) {
      expect(help).toContain(`--${o.long}`);
      if (o.short) expect(help).toMatch(new RegExp(`-${o.short}[ \\[,]`));
    }
  });
  test('groups as the minijail0 table does, and lists exit statuses', () => {
    for (const title of ['Account', 'Namespace options', 'Mount/path options', 'Landlock', 'Seccomp options', 'Resource limits']) {
      expect(help).toContain(title);
    }
    expect(help).toMatch(/125/);
    expect(help).toMatch(/127/);
    expect(help).toMatch(/128\+N/);
  });
  test('names the known-but-unsupported minijail flags nowhere as options', () => {
    for (const k of Object.keys(UNSUPPORTED)) expect(help).not.toMatch(new RegExp(`^  (-${k}|--${k})[ ,]`, 'm'));
  });
});

describe('describeJailError: one line from the JailError fields', () => {
  const { EPERM, ENOENT } = os.constants.errno;

  test('step, strerror text and code, then the detail, then the advice', () => {
    expect(describeJailError(new JailError('mounts', ENOENT, 'mount #2')))
      .toBe('jail setup failed at mounts: no such file or directory (ENOENT) (mount #2)');
    const clone = new JailError('clone', EPERM);
    // The advice in the CLI's words: the flag (-U), not the API field (namespaces.user).
    expect(clone.hint).toContain('(namespaces.user)');
    expect(describeJailError(clone)).toBe(`jail setup failed at clone: operation not permitted (EPERM): ${clone.hint!.replace('(namespaces.user)', '(-U)')}`);
    expect(describeJailError(new JailError('prepare', 0, 'no ELF'))).toBe('jail setup failed at prepare: E0 (no ELF)');
  });

  test('built from the fields, never from the message', () => {
    const e = new JailError('mounts', ENOENT, 'mount #2');
    e.message = 'something else entirely';
    expect(describeJailError(e)).toBe('jail setup failed at mounts: no such file or directory (ENOENT) (mount #2)');
  });
});
