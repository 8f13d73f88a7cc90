// The Landlock step (native/child/landlock.c) against the kernel: rules applied in a real child
// after no_new_privs, as root and as uid 65534 (in a user namespace, like the other steps).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DRIVER, WHO, Who, failure, requireDriver, runDriver, runSh, tempDir } from '../native/test/driver';

const ENOENT = 2;
const EACCES = 13;

beforeAll(() => requireDriver());

/** The ABI the driver detects (LANDLOCK_CREATE_RULESET_VERSION), or -errno. */
function detectedAbi(): number {
  return Number(spawnSync(DRIVER, ['--abi'], { encoding: 'utf8' }).stdout.trim());
}

/** Kernel release -> the Landlock ABI it introduced (Documentation/userspace-api/landlock.rst). */
function abiOfKernel(release: string): number {
  const [maj, min] = release.split('.').map(Number);
  const v = maj * 1000 + min;
  const table: [number, number][] = [[6015, 7], [6012, 6], [6010, 5], [6007, 4], [6002, 3], [5019, 2], [5013, 1]];
  return table.find(([k]) => v >= k)?.[1] ?? 0;
}

const abi = detectedAbi();
const haveLandlock = abi > 0;
const describeLandlock = haveLandlock ? describe : describe.skip;

test('ABI detection agrees with the running kernel', () => {
  const release = fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  if (!haveLandlock) {
    // Built without CONFIG_SECURITY_LANDLOCK or not in lsm=: the probe must say so with an errno.
    expect(abi).toBeLessThan(0);
    return;
  }
  expect(abi).toBe(abiOfKernel(release));
});

// Rules for running /bin/sh and coreutils: programs and libraries executable, /etc readable.
const SYSTEM_RX = ['/usr', '/bin', '/lib', '/lib64', '/sbin'].filter((p) => fs.existsSync(p));
function systemRules(): string[] {
  return [...SYSTEM_RX.flatMap((p) => ['--ll-rx', p]), '--ll-ro', '/etc', '--ll-rw', '/dev/null'];
}

describeLandlock.each(WHO)('landlock step as $name', (who: Who) => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('tsjail-ll-');
    for (const d of ['ro', 'rw', 'rx', 'denied']) {
      fs.mkdirSync(path.join(dir, d));
      fs.chmodSync(path.join(dir, d), 0o777);
      fs.writeFileSync(path.join(dir, d, 'file'), `${d}\n`);
      fs.chmodSync(path.join(dir, d, 'file'), 0o666);
    }
    for (const d of ['ro', 'rx', 'denied']) {
      fs.copyFileSync('/bin/true', path.join(dir, d, 'prog'));
      fs.chmodSync(path.join(dir, d, 'prog'), 0o755);
    }
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function rules(): string[] {
    return [...systemRules(), '--ll-ro', `${dir}/ro`, '--ll-rw', `${dir}/rw`, '--ll-rx', `${dir}/rx`];
  }

  test('reading a path Landlock denies fails with EACCES; ro/rw/rx rules allow what they say', () => {
    const d = dir;
    const r = runSh(who, rules(), `
      cat ${d}/ro/file ${d}/rw/file ${d}/rx/file
      cat ${d}/denied/file 2>&1 | grep -q 'Permission denied' && echo read-denied
      ls ${d}/denied >/dev/null 2>&1 || echo list-denied
      ls ${d} >/dev/null 2>&1 || echo parent-list-denied
      echo more >> ${d}/rw/file && echo rw-write-ok
      mkdir ${d}/rw/sub && mv ${d}/rw/file ${d}/rw/sub/file && rm -r ${d}/rw/sub && echo rw-tree-ok
      echo more >> ${d}/ro/file 2>/dev/null || echo ro-write-denied
      touch ${d}/ro/new 2>/dev/null || echo ro-create-denied
      ${d}/rx/prog && echo rx-exec-ok
      ${d}/ro/prog 2>/dev/null || echo ro-exec-denied
      ${d}/denied/prog 2>/dev/null || echo denied-exec-denied
    `);
    expect(r.stdout.split('\n')).toEqual([
      'ro', 'rw', 'rx', 'read-denied', 'list-denied', 'parent-list-denied', 'rw-write-ok', 'rw-tree-ok',
      'ro-write-denied', 'ro-create-denied', 'rx-exec-ok', 'ro-exec-denied', 'denied-exec-denied', '',
    ]);
    expect(r.code).toBe(0);
    // The writes that Landlock allowed reached the host; the denied ones did not.
    expect(fs.existsSync(path.join(dir, 'rw', 'file'))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'ro', 'file'), 'utf8')).toBe('ro\n');
    expect(fs.existsSync(path.join(dir, 'ro', 'new'))).toBe(false);
  });

  test('the errno of a denied open is EACCES', () => {
    const r = runDriver(who, [...rules(), '--', '/usr/bin/python3', '-c',
      `import os\ntry:\n  os.open('${dir}/denied/file', os.O_RDONLY)\nexcept OSError as e:\n  print(e.errno)`]);
    expect(r.stdout).toBe(`${EACCES}\n`);
  });

  (abi >= 3 ? test : test.skip)('ABI >= 3: truncate(2) needs the TRUNCATE right, which ro does not grant', () => {
    const r = runDriver(who, [...rules(), '--', '/usr/bin/python3', '-c', `import os
for d in ('ro', 'rw'):
  try:
    os.truncate('${dir}/' + d + '/file', 0); print(d, 'ok')
  except OSError as e:
    print(d, e.errno)`]);
    expect(r.stdout).toBe(`ro ${EACCES}\nrw ok\n`);
  });

  test('a file rule gets only file rights (a ro rule on a file, not its directory)', () => {
    const r = runSh(who, [...systemRules(), '--ll-ro', `${dir}/ro/file`],
      `cat ${dir}/ro/file; ls ${dir}/ro >/dev/null 2>&1 || echo dir-denied`);
    expect(r.stdout).toBe('ro\ndir-denied\n');
  });

  test('landlock with no rules denies everything: the exec itself fails with EACCES', () => {
    const r = runDriver(who, ['--landlock', '--', '/bin/true']);
    expect(r.code).toBe(125);
    expect(failure(r)).toEqual({ step: 'exec', errno: EACCES, index: -1 });
  });

  test('a rule path missing inside the jail fails the landlock step (index named); nothing runs', () => {
    const r = runSh(who, [...systemRules(), '--ll-ro', `${dir}/absent`], 'echo ran');
    expect(r.stdout).toBe('');
    expect(failure(r)).toEqual({ step: 'landlock', errno: ENOENT, index: systemRules().length / 2 });
  });

  test('rule paths are resolved inside the jail, after the mounts', () => {
    const root = path.join(dir, 'root');
    fs.mkdirSync(root);
    fs.chmodSync(root, 0o755);
    const mounts = ['--root', root, '--tmpfs', '/', '--bind', '/usr,/usr', '--bind', '/bin,/bin', '--bind', '/lib,/lib',
      ...SYSTEM_RX.filter((p) => !['/usr', '/bin', '/lib'].includes(p)).flatMap((p) => ['--bind', `${p},${p}`]),
      '--bind', `${dir}/ro,/inside`];
    // /inside exists only in the jail; a host-side resolution would fail with ENOENT.
    const r = runSh(who, [...mounts, ...SYSTEM_RX.flatMap((p) => ['--ll-rx', p]), '--ll-ro', '/inside'],
      'cat /inside/file; cat /usr/share/nothing-here 2>/dev/null; echo done');
    expect(r.stdout).toBe('ro\ndone\n');
  });
});

if (!haveLandlock) {
  test.skip(`landlock behaviour: Landlock unavailable on this kernel (probe returned ${abi})`, () => undefined);
}

// Through the runtime: Landlock after no_new_privs in native/child/child.c.
describeLandlock('through the runtime (Jail.run)', () => {
  const { Jail } = require('../ts/jail/jail') as typeof import('../ts/jail/jail');
  let dir: string;
  beforeEach(() => {
    dir = tempDir('tsjail-llapi-');
    for (const d of ['ok', 'denied']) {
      fs.mkdirSync(path.join(dir, d));
      fs.writeFileSync(path.join(dir, d, 'file'), `${d}\n`);
    }
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a read Landlock denies fails with EACCES; an allowed one works', async () => {
    const r = await new Jail().noNewPrivs()
      .landlock({ rx: SYSTEM_RX, ro: ['/etc', `${dir}/ok`], rw: ['/dev/null'] })
      .run(['/usr/bin/python3', '-c', `import os
print(open('${dir}/ok/file').read().strip())
try:
  open('${dir}/denied/file')
except OSError as e:
  print(e.errno)`]);
    expect(r.stdout.toString()).toBe(`ok\n${EACCES}\n`);
    expect(r.code).toBe(0);
  });

  test('a dynamic program with a seccomp filter (preload library) runs under Landlock', async () => {
    const allow = new Uint8Array([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]); // everything, io_uring included
    const r = await new Jail().noNewPrivs().landlock({ rx: SYSTEM_RX, ro: [], rw: [] })
      .seccomp(allow, { timing: 'preload', allowIoUring: true }).run(['/bin/cat', `${dir}/ok/file`]);
    expect(r.stderr.toString()).toMatch(/Permission denied/);
    expect(r.code).toBe(1);
  });

  test('a rule path missing in the jail is a JailError at step "landlock"', async () => {
    await expect(new Jail().noNewPrivs().landlock({ rx: SYSTEM_RX, ro: [`${dir}/absent`], rw: [] }).run(['/bin/true']))
      .rejects.toMatchObject({ name: 'JailError', step: 'landlock', code: 'ENOENT' });
  });
});

describeLandlock('through the runtime as uid 65534', () => {
  const { runJailAs, cleanupRuntimeAs } = require('../native/test/runtime-as') as typeof import('../native/test/runtime-as');
  afterAll(() => cleanupRuntimeAs());

  test('a read Landlock denies fails with EACCES; allowed paths work', () => {
    const dir = tempDir('tsjail-llnobody-');
    try {
      for (const d of ['ok', 'denied']) {
        fs.mkdirSync(path.join(dir, d));
        fs.writeFileSync(path.join(dir, d, 'file'), `${d}\n`);
        fs.chmodSync(path.join(dir, d), 0o755);
        fs.chmodSync(path.join(dir, d, 'file'), 0o644);
      }
      const r = runJailAs(65534, { noNewPrivs: true, landlock: { rx: SYSTEM_RX, ro: [`${dir}/ok`], rw: ['/dev/null'] } },
        ['/bin/sh', '-c', `cat ${dir}/ok/file; cat ${dir}/denied/file 2>&1 | grep -o 'Permission denied'`]);
      expect(r.stdout).toBe('ok\nPermission denied\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
