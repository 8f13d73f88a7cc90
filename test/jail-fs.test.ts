// The filesystem step (native/child/mounts.c) against the kernel: a real child in a new mount
// namespace, as root and as uid 65534 in a user namespace. Driven through
// native/test/jailfs-driver, which calls the step exactly as the runtime's child does.
import * as fs from 'fs';
import * as path from 'path';
import { WHO, Who, failure, minimalRoot, requireDriver, runSh, tempDir } from '../native/test/driver';

const ENOENT = 2;
const EINVAL = 22;
const ELOOP = 40;
const ENOTDIR = 20;
const NOBODY_UID = 65534;

beforeAll(() => requireDriver());

describe.each(WHO)('filesystem step as $name', (who: Who) => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('tsjail-fs-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function hostDirs() {
    const rw = path.join(dir, 'rw');
    const ro = path.join(dir, 'ro');
    const root = path.join(dir, 'root');
    for (const d of [rw, ro, root]) fs.mkdirSync(d, { mode: 0o777 });
    for (const d of [rw, ro]) fs.chmodSync(d, 0o777); // writable by 65534 on the host, so only the mount stops it
    fs.writeFileSync(path.join(ro, 'existing'), 'old\n', { mode: 0o666 });
    fs.chmodSync(path.join(ro, 'existing'), 0o666);
    return { rw, ro, root };
  }

  test('a jailed program writes only through its rw binds; ro binds are read-only', () => {
    const { rw, ro, root } = hostDirs();
    const r = runSh(who, [...minimalRoot(root), '--pidns', '--proc', '/proc', '--dev', '/dev',
      '--bind', `${rw},/data/rw,rw`, '--bind', `${ro},/data/ro`],
      `echo new > /data/rw/made && echo rw-ok
       echo new > /data/ro/made 2>/dev/null || echo ro-create-denied
       echo new >> /data/ro/existing 2>/dev/null || echo ro-append-denied
       touch /usr/tsjail-should-not-exist 2>/dev/null || echo usr-denied
       cat /data/ro/existing
       grep ' /data/ro ' /proc/self/mountinfo | cut -d' ' -f6`);
    // EROFS from the kernel, not a permission check: the host dirs are mode 0777.
    expect(r.stderr).toBe('/bin/sh: 2: cannot create /data/ro/made: Read-only file system\n' +
      '/bin/sh: 3: cannot create /data/ro/existing: Read-only file system\n');
    expect(r.stdout.split('\n')).toEqual(
      ['rw-ok', 'ro-create-denied', 'ro-append-denied', 'usr-denied', 'old', expect.stringMatching(/^ro(,|$)/), '']);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(rw, 'made'), 'utf8')).toBe('new\n');
    expect(fs.existsSync(path.join(ro, 'made'))).toBe(false);
    expect(fs.readFileSync(path.join(ro, 'existing'), 'utf8')).toBe('old\n');
    expect(fs.existsSync('/usr/tsjail-should-not-exist')).toBe(false);
    // The mount points were created inside the jail's tmpfs root, not in the host directory.
    expect(fs.readdirSync(root)).toEqual([]);
  });

  test('a recursive read-only bind is read-only in its submounts too', () => {
    const { rw, root } = hostDirs();
    // Bind sources are host paths resolved in the jail's mount namespace before the pivot, so
    // `${root}/outer` names the tmpfs (with its rw submount) mounted just before.
    const r = runSh(who, [...minimalRoot(root), '--dev', '/dev', '--tmpfs', '/outer,size=1m', '--bind', `${rw},/outer/inner,rw`,
      '--bind', `${root}/outer,/view,rec`],
    `echo x > /outer/inner/f && echo inner-rw-ok
     echo x > /view/inner/g 2>/dev/null || echo view-inner-denied
     echo x > /view/h 2>/dev/null || echo view-denied`);
    expect(r.stdout).toBe('inner-rw-ok\nview-inner-denied\nview-denied\n');
    expect(fs.existsSync(path.join(rw, 'g'))).toBe(false);
  });

  test('tmpfs gets the requested size and mode', () => {
    const { root } = hostDirs();
    const r = runSh(who, [...minimalRoot(root), '--pidns', '--proc', '/proc', '--dev', '/dev',
      '--tmpfs', '/scratch,size=65536,mode=0700', '--tmpfs', '/tmp,mode=1777'],
      `stat -c '%a' /scratch /tmp
       dd if=/dev/zero of=/scratch/fill bs=4096 count=64 2>/dev/null || echo full
       stat -c '%s' /scratch/fill
       grep ' /scratch ' /proc/self/mountinfo | grep -o 'size=[0-9a-z]*'`);
    expect(r.stdout).toBe('700\n1777\nfull\n65536\nsize=64k\n');
  });

  test('a fresh /proc in a pid namespace shows only the jail\'s processes; ro option', () => {
    const { root } = hostDirs();
    const r = runSh(who, [...minimalRoot(root), '--pidns', '--proc', '/proc,ro', '--dev', '/dev'],
      `ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '; echo
       head -c 7 /proc/1/cmdline; echo
       echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null || echo proc-ro
       test -e /proc/${process.pid} && echo host-visible || echo host-hidden`);
    const [pids, cmdline, ro, host] = r.stdout.split('\n');
    // sh is pid 1; ls, grep, sort, tr of the pipeline are its only other processes.
    const list = pids.trim().split(' ').map(Number);
    expect(list[0]).toBe(1);
    expect(list.length).toBeLessThanOrEqual(6);
    expect(Math.max(...list)).toBeLessThan(20);
    expect(cmdline).toBe('/bin/sh');
    expect(ro).toBe('proc-ro');
    expect(host).toBe(process.pid < 20 ? host : 'host-hidden');
  });

  test('/dev is minimal: the standard nodes, links, pts and shm only', () => {
    const { root } = hostDirs();
    const r = runSh(who, [...minimalRoot(root), '--pidns', '--proc', '/proc', '--dev', '/dev'],
      `ls -A /dev | tr '\\n' ' '; echo
       echo hello > /dev/null && echo null-ok
       head -c 8 /dev/urandom | wc -c
       head -c 4 /dev/zero | od -An -tx1 | tr -d ' '
       echo x > /dev/full 2>/dev/null || echo full-enospc
       stat -c '%a %F' /dev/shm
       readlink /dev/fd /dev/stdin /dev/ptmx | tr '\\n' ' '; echo
       grep ' /dev/pts ' /proc/self/mountinfo | cut -d' ' -f9
       test -e /dev/sda -o -e /dev/vda -o -e /dev/mem && echo disk-visible || echo no-disks`);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0].trim().split(' ').sort()).toEqual(
      ['fd', 'full', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
    expect(lines.slice(1)).toEqual(['null-ok', '8', '00000000', 'full-enospc', '1777 directory',
      '/proc/self/fd /proc/self/fd/0 pts/ptmx ', 'devpts', 'no-disks', '']);
  });

  test('pivot_root hides the host tree', () => {
    const { root } = hostDirs();
    fs.writeFileSync(path.join(dir, 'host-marker'), 'secret');
    const r = runSh(who, [...minimalRoot(root), '--pidns', '--proc', '/proc'],
      `ls -A / | tr '\\n' ' '; echo
       test -e ${dir}/host-marker && echo marker-visible || echo marker-hidden
       cd / && cd .. && ls -A | tr '\\n' ' '; echo
       awk '{print $5}' /proc/self/mountinfo | sort | tr '\\n' ' '; echo`);
    const [top, marker, parent, mounts] = r.stdout.split('\n');
    const expected = ['bin', 'etc', 'lib', 'lib64', 'proc', 'sbin', 'usr'].filter((d) => fs.existsSync('/' + d));
    expect(top.trim().split(' ').sort()).toEqual(expected);
    expect(marker).toBe('marker-hidden');
    expect(parent.trim().split(' ').sort()).toEqual(expected);
    // Only the jail's own mounts remain: no /work, /sys, host /dev or old root.
    expect(mounts.trim().split(' ').sort()).toEqual(['/', ...expected.map((d) => '/' + d)].sort());
  });

  test('chroot enters the new root', () => {
    const { root } = hostDirs();
    const r = runSh(who, [...minimalRoot(root), '--dev', '/dev', '--chroot'],
      `ls -A / | tr '\\n' ' '; echo; test -e ${dir} && echo host-visible || echo host-hidden`);
    expect(r.stdout.split('\n')[1]).toBe('host-hidden');
    expect(r.code).toBe(0);
  });

  test("minijail's minimalistic-mountns layout: host / read-only under an empty root, /proc, /dev, /tmp", () => {
    const { root } = hostDirs();
    // minijail0 --profile minimalistic-mountns: -v -P /var/empty -b / -b /proc -t -r (+ --mount-dev)
    const r = runSh(who, ['--pidns', '--root', root, '--bind', '/,/,rec', '--proc', '/proc,ro', '--dev', '/dev',
      '--mount', 'tmpfs,/tmp,tmpfs,14,mode=1777,size=64m'],
    `touch /etc/tsjail-nope 2>/dev/null || echo root-ro
     touch /tmp/ok && echo tmp-rw
     ls -A /tmp | tr '\\n' ' '; echo
     grep ' /tmp ' /proc/self/mountinfo | cut -d' ' -f6
     echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null || echo proc-ro
     ls /proc | grep -cE '^[0-9]+$'`);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual(['root-ro', 'tmp-rw', 'ok ']);
    expect(lines[3]).toMatch(/nosuid,nodev,noexec/); // flags 14 = MS_NOSUID|MS_NODEV|MS_NOEXEC
    expect(lines[4]).toBe('proc-ro');
    expect(Number(lines[5])).toBeLessThan(8);
    expect(fs.existsSync('/etc/tsjail-nope')).toBe(false);
  });

  test('propagation: private by default, slave on request (seen in mountinfo)', () => {
    const priv = runSh(who, ['--tmpfs', '/mnt'], `grep -E '^[0-9]+ [0-9]+ [0-9:]+ / / ' /proc/self/mountinfo`);
    expect(priv.stdout).not.toMatch(/shared:|master:/);
    const slave = runSh(who, ['--propagation', 'slave', '--tmpfs', '/mnt'],
      `grep -E '^[0-9]+ [0-9]+ [0-9:]+ / / ' /proc/self/mountinfo`);
    const hostShared = /shared:/.test(fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => / \/ \/ /.test(l)) ?? '');
    if (hostShared) expect(slave.stdout).toMatch(/master:\d+/);
    else expect(slave.stdout).not.toMatch(/shared:/); // a private host root has no master to follow
    // Mounts made in the jail never reach the host.
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toMatch(/ \/mnt .* tmpfs /);
  });

  test('read-only remount of an existing mount', () => {
    const { rw, root } = hostDirs();
    const r = runSh(who, [...minimalRoot(root), '--dev', '/dev', '--bind', `${rw},/w,rw`, '--remount-ro', '/w'],
      'echo x > /w/f 2>/dev/null || echo remounted-ro');
    expect(r.stdout).toBe('remounted-ro\n');
    expect(fs.existsSync(path.join(rw, 'f'))).toBe(false);
  });

  test('a mount target that is a symlink inside the root is followed within the root', () => {
    const root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'inside'), { recursive: true });
    fs.chmodSync(root, 0o755);
    // `/inside` means <root>/inside to the jail; the host has no /inside.
    fs.symlinkSync('/inside', path.join(root, 'alias'));
    const hostDirs = ['/usr', '/bin', '/sbin', '/lib', '/lib64'].filter((d) => fs.existsSync(d));
    // Mount points made here: uid 65534 cannot create them in a root-owned directory.
    for (const d of hostDirs) fs.mkdirSync(path.join(root, d));
    const binds = hostDirs.flatMap((d) => ['--bind', `${d},${d}`]);
    const r = runSh(who, ['--root', root, ...binds, '--tmpfs', '/alias,size=1m'],
      `stat -f -c %T /inside /alias/`);
    expect(r.stdout).toBe('tmpfs\ntmpfs\n');
    expect(r.code).toBe(0);
  });

  describe('failures name the step and the program never runs', () => {
    test('missing bind source: mount, ENOENT, its index', () => {
      const { root } = hostDirs();
      const r = runSh(who, [...minimalRoot(root), '--bind', '/nonexistent-tsjail,/x'], 'echo ran');
      expect(r.stdout).toBe('');
      expect(r.code).toBe(125);
      expect(failure(r)).toEqual({ step: 'mount', errno: ENOENT, index: minimalRoot(root).filter((a) => a === '--tmpfs' || a === '--bind').length });
    });

    test('missing root: mount-root, ENOENT', () => {
      const r = runSh(who, ['--root', path.join(dir, 'absent')], 'echo ran');
      expect(r.stdout).toBe('');
      expect(failure(r)).toMatchObject({ step: 'mount-root', errno: ENOENT });
    });

    /** A new root whose `name` is a symlink to `outside`, an empty host directory. */
    function rootWithLinkOut(name: string) {
      const root = path.join(dir, 'root');
      fs.mkdirSync(root);
      fs.chmodSync(root, 0o755);
      const outside = path.join(dir, 'outside');
      fs.mkdirSync(outside);
      fs.symlinkSync(outside, path.join(root, name));
      return { root, outside };
    }

    test('a symlink planted in the root cannot redirect mount-point creation to the host', () => {
      const { root, outside } = rootWithLinkOut('link');
      const r = runSh(who, ['--root', root, '--tmpfs', '/link/sub'], 'echo ran');
      expect(r.stdout).toBe('');
      // O_NOFOLLOW|O_DIRECTORY on the symlink: ENOTDIR (ELOOP on some paths of the kernel).
      expect(failure(r)?.step).toBe('mount-point');
      expect([ENOTDIR, ELOOP]).toContain(failure(r)?.errno);
      expect(fs.readdirSync(outside)).toEqual([]);
    });

    test('an existing mount target that is a symlink out of the root resolves inside the root: no mount on the host path', () => {
      // Absolute, existing on the host: followed as a host path it would put the tmpfs on `outside`.
      const { root, outside } = rootWithLinkOut('escape');
      const r = runSh(who, ['--root', root, '--tmpfs', '/escape'], 'echo ran');
      expect(r.stdout).toBe('');
      // Inside the root the link names <root><outside>, which does not exist, and a missing
      // target is never created through a symlink: nothing is mounted.
      expect(failure(r)?.step).toBe('mount-point');
      expect([ENOENT, ENOTDIR, ELOOP]).toContain(failure(r)?.errno);
      const mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
      expect(mountinfo.split('\n').some((l) => l.split(' ')[4] === outside)).toBe(false);
    });

    test('missing target without a new root is not created on the host', () => {
      const r = runSh(who, ['--tmpfs', path.join(dir, 'absent/deeper')], 'echo ran');
      expect(failure(r)).toMatchObject({ step: 'mount-point', errno: ENOENT });
      expect(fs.existsSync(path.join(dir, 'absent'))).toBe(false);
    });

    test('pivot_root with shared propagation is refused by the kernel: pivot_root, EINVAL', () => {
      const { root } = hostDirs();
      const r = runSh(who, ['--propagation', 'shared', ...minimalRoot(root)], 'echo ran');
      expect(r.stdout).toBe('');
      expect(failure(r)).toMatchObject({ step: 'pivot_root', errno: EINVAL });
    });
  });
});

// The same steps through the runtime (ts/jail -> addon -> native/child/child.c), as the Node
// process's user (root here) with a user namespace.
describe('through the runtime (Jail.run)', () => {
  // Imported lazily so the driver tests above still run when the addon is not built.
  const { Jail } = require('../ts/jail/jail') as typeof import('../ts/jail/jail');
  const nativeLib = () => path.join((require('../ts/jail/native') as typeof import('../ts/jail/native')).nativeDir(), 'libtsjailpreload.so');
  let dir: string;
  beforeEach(() => {
    dir = tempDir('tsjail-fsapi-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function jail(root: string) {
    fs.mkdirSync(root, { recursive: true });
    fs.chmodSync(root, 0o755);
    const j = new Jail().namespaces({ user: true, pid: true, mount: true })
      .filesystem({ root, mounts: [{ kind: 'tmpfs', target: '/' }] });
    for (const d of ['/usr', '/bin', '/sbin', '/lib', '/lib64']) if (fs.existsSync(d)) j.bind(d);
    return j;
  }

  test('rw/ro binds, fresh /proc, minimal /dev, and the host tree hidden', async () => {
    const rw = path.join(dir, 'rw');
    const ro = path.join(dir, 'ro');
    fs.mkdirSync(rw);
    fs.mkdirSync(ro);
    const r = await jail(path.join(dir, 'root'))
      .bind(rw, '/rw', { writable: true }).bind(ro, '/ro')
      .mount({ kind: 'proc', target: '/proc', readOnly: true }).mount({ kind: 'dev', target: '/dev' })
      .run(['/bin/sh', '-c', `echo x > /rw/f && echo rw-ok
        echo x 2>/dev/null > /ro/f || echo ro-denied
        ls /proc | grep -cE '^[0-9]+$'
        ls /dev | tr '\\n' ' '; echo
        test -e ${dir} && echo host-visible || echo host-hidden`]);
    const lines = r.stdout.toString().split('\n');
    expect(lines[0]).toBe('rw-ok');
    expect(lines[1]).toBe('ro-denied');
    expect(Number(lines[2])).toBeLessThan(8); // init, sh, ls, grep
    expect(lines[3].trim().split(' ')).toEqual(['fd', 'full', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
    expect(lines[4]).toBe('host-hidden');
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(rw, 'f'), 'utf8')).toBe('x\n');
    expect(fs.existsSync(path.join(ro, 'f'))).toBe(false);
  });

  test('a missing bind source is a JailError at step "mounts" with the mount named; nothing runs', async () => {
    const marker = path.join(dir, 'ran');
    const j = jail(path.join(dir, 'root')).bind('/nonexistent-tsjail', '/x').bind(dir, '/out', { writable: true });
    await expect(j.run(['/bin/sh', '-c', 'touch /out/ran'])).rejects.toMatchObject({
      name: 'JailError', step: 'mounts', code: 'ENOENT', message: expect.stringMatching(/mount #\d+/) });
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('a dynamic program with a seccomp filter (preload library) runs inside a new root', async () => {
    // One instruction: SECCOMP_RET_ALLOW (io_uring included, hence allowIoUring). The library
    // is bound into the root by the converter.
    const allow = new Uint8Array([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]);
    const r = await jail(path.join(dir, 'root')).noNewPrivs().seccomp(allow, { timing: 'preload', allowIoUring: true })
      .mount({ kind: 'proc', target: '/proc', readOnly: false })
      .run(['/bin/sh', '-c', `echo jailed; test -e ${dir} && echo host-visible || echo host-hidden
        ls $(dirname ${nativeLib()}); grep -c libtsjailpreload /proc/self/mountinfo`]);
    // Only the library itself is visible from the build directory, bound once (spawn.ts and
    // the converter both ensure it; the converter skips an existing bind).
    expect(r.stdout.toString()).toBe(`jailed\nhost-hidden\n${path.basename(nativeLib())}\n1\n`);
  });

  test('pivot_root under shared propagation is a JailError at step "root"', async () => {
    const j = jail(path.join(dir, 'root')).filesystem({ propagation: 'shared' });
    await expect(j.run(['/bin/true'])).rejects.toMatchObject({ step: 'root', code: 'EINVAL' });
  });
});

describe('through the runtime as uid 65534 (user namespace)', () => {
  const { runJailAs, cleanupRuntimeAs } = require('../native/test/runtime-as') as typeof import('../native/test/runtime-as');
  let dir: string;
  beforeEach(() => {
    dir = tempDir('tsjail-fsnobody-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterAll(() => cleanupRuntimeAs());

  function spec(extra: { mounts: object[] }) {
    const root = path.join(dir, 'root');
    fs.mkdirSync(root);
    fs.chmodSync(root, 0o755);
    const sys = ['/usr', '/bin', '/sbin', '/lib', '/lib64'].filter((d) => fs.existsSync(d))
      .map((d) => ({ kind: 'bind', source: d, target: d, writable: false, recursive: true }));
    return {
      namespaces: { user: true, pid: true, mount: true },
      filesystem: { root, mounts: [{ kind: 'tmpfs', target: '/' }, ...sys, ...extra.mounts] },
    };
  }

  test('rw/ro binds, /proc and /dev in a pivot_root jail, as uid 65534', () => {
    const rw = path.join(dir, 'rw');
    const ro = path.join(dir, 'ro');
    for (const d of [rw, ro]) {
      fs.mkdirSync(d);
      fs.chmodSync(d, 0o777);
    }
    const r = runJailAs(NOBODY_UID, spec({ mounts: [
      { kind: 'bind', source: rw, target: '/rw', writable: true, recursive: false },
      { kind: 'bind', source: ro, target: '/ro', writable: false, recursive: false },
      { kind: 'proc', target: '/proc', readOnly: true },
      { kind: 'dev', target: '/dev' },
    ] }), ['/bin/sh', '-c', `echo x > /rw/f && echo rw-ok
      echo x 2>/dev/null > /ro/f || echo ro-denied
      ls /proc | grep -cE '^[0-9]+$'
      echo > /dev/null && echo dev-ok
      test -e ${dir} && echo host-visible || echo host-hidden`]);
    expect(r.error).toBeUndefined();
    const lines = r.stdout!.split('\n');
    expect(lines[0]).toBe('rw-ok');
    expect(lines[1]).toBe('ro-denied');
    expect(Number(lines[2])).toBeLessThan(8);
    expect(lines.slice(3)).toEqual(['dev-ok', 'host-hidden', '']);
    expect(fs.statSync(path.join(rw, 'f')).uid).toBe(NOBODY_UID);
    expect(fs.existsSync(path.join(ro, 'f'))).toBe(false);
  });

  test('a failing mount is a JailError at step "mounts", as uid 65534', () => {
    const r = runJailAs(NOBODY_UID, spec({ mounts: [
      { kind: 'bind', source: '/nonexistent-tsjail', target: '/x', writable: false, recursive: false },
    ] }), ['/bin/true']);
    expect(r.error).toMatchObject({ name: 'JailError', step: 'mounts', code: 'ENOENT' });
  });
});

// A jail reaches native code only as jail-file bytes (ts/jail/jailfile.ts), so the addon's
// own converters and their checks are gone: validateSpec names a bad field before anything
// forks, and the native reader (native/parent/jailfile.c, the trust boundary) refuses the same
// spec when it is encoded without validation. Nothing is forked for a bad spec.
describe('bad fs/resource fields: validateSpec names them, the native reader refuses them', () => {
  const { loadAddon } = require('../ts/jail/native') as typeof import('../ts/jail/native');
  const { encodeUncheckedJailFile } = require('../ts/jail/jailfile') as typeof import('../ts/jail/jailfile');
  const { validateSpec, SpecError } = require('../ts/jail/validate') as typeof import('../ts/jail/validate');
  const base = {
    path: '/bin/true', argv: ['/bin/true'], env: [], namespaces: { mount: true }, user: {}, noNewPrivs: false,
    preserveFds: [], filesystem: { mounts: [] }, rlimits: [],
  };
  // [name, patch, the field validateSpec names, whether the reader can see the problem in the bytes]
  const cases: [string, Record<string, unknown>, string, boolean][] = [
    ['relative bind source', { filesystem: { mounts: [{ kind: 'bind', source: 'rel', target: '/x', writable: false, recursive: false }] } },
      'filesystem.mounts[0].source', true],
    ['.. in a target', { filesystem: { mounts: [{ kind: 'tmpfs', target: '/a/../etc' }] } }, 'filesystem.mounts[0].target', true],
    ['unknown mount kind', { filesystem: { mounts: [{ kind: 'overlay', target: '/x' }] } }, 'filesystem.mounts[0].kind', true],
    // The mode becomes tmpfs data text: the kernel refuses it at mount time (step mounts).
    ['tmpfs mode out of range', { filesystem: { mounts: [{ kind: 'tmpfs', target: '/x', mode: 0o17777 }] } }, 'filesystem.mounts[0].mode', false],
    ['root "/"', { filesystem: { root: '/', mounts: [] } }, 'filesystem.root', true],
    ['mounts without a mount namespace', { namespaces: {}, filesystem: { mounts: [{ kind: 'tmpfs', target: '/x' }] } }, 'filesystem', true],
    ['relative landlock path', { landlock: { ro: ['etc'] } }, 'landlock.ro[0]', true],
    ['unknown rlimit name', { rlimits: [{ resource: 'BOGUS', soft: 1, hard: 1 }] }, 'rlimits[0].resource', true],
    ['rlimit soft above hard', { rlimits: [{ resource: 7, soft: 10, hard: 5 }] }, 'rlimits[0].soft', true],
    ['cgroup memory too small', { cgroup: { memory: 100 } }, 'cgroup.memory', true],
    ['cgroup cpu not positive', { cgroup: { cpu: 0 } }, 'cgroup.cpu', true],
  ];
  test.each(cases)('%s', (_name, patch, field, inBytes) => {
    const spec = { ...base, ...patch } as never;
    let err: unknown;
    try {
      validateSpec(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    expect((err as InstanceType<typeof SpecError>).field).toBe(field);
    if (!inBytes) return;
    const bytes = encodeUncheckedJailFile(spec);
    // The addon's TypeError comes from Node's realm, not jest's: compare the name.
    expect(() => loadAddon().dumpJailFile(bytes)).toThrow(/invalid jail: corrupted jail file: /);
    const onExit = jest.fn();
    expect(() => loadAddon().spawn(bytes, [-1, -1, -1], onExit)).toThrow(/invalid jail: corrupted jail file: /);
    expect(onExit).not.toHaveBeenCalled();
  });
});
