// The preload handshake, fail-closed: a dynamic program runs main only after the preload
// library installed the exact filter and acknowledged; if the library is missing, unloadable
// or never acknowledges, spawn raises JailError('preload') and the jail is killed, and until
// then the kernel already enforces the gate (policy + read-only loader set). The preload
// coexists with the user's LD_PRELOAD and removes only itself, its variable and its fds.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { spawnJail } from '../ts/jail/spawn';
import { JailError } from '../ts/jail/errors';
import { JailSpec } from '../ts/jail/spec';
import { NO_ADDON, describeUnless, probe, tmpdir, filter, NR, RET_KILL_PROCESS, FIXTURES, canUnprivUserns, runSpecUnpriv, runJail } from './fixtures/jail/helpers';

const d = describeUnless(NO_ADDON);
const du = describeUnless(NO_ADDON, [!canUnprivUserns(), 'uid 65534 cannot create user namespaces here']);

const OPENAT = process.arch === 'arm64' ? 56 : 257;
const OPEN = process.arch === 'arm64' ? -1 : 2;

function spec(args: string[], bpf: Uint8Array, extra: Partial<JailSpec> = {}): JailSpec {
  const p = probe('dynamic');
  return {
    path: p, argv: [p, ...args], env: [], namespaces: {}, user: {}, noNewPrivs: true,
    // 'preload' explicitly: 'auto' would put a policy that allows the loader's calls (most here
    // do) before exec, with no handshake to test (test/jail-seccomp-auto.test.ts).
    filesystem: { mounts: [] }, rlimits: [], preserveFds: [], seccomp: { bpf }, seccompTiming: 'preload', ...extra,
  };
}

function expectJailError(fn: () => unknown, step: string, code?: string): JailError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(JailError);
    expect((e as JailError).step).toBe(step);
    if (code) expect((e as JailError).code).toBe(code);
    return e as JailError;
  }
  throw new Error('expected a JailError');
}

/** A library whose constructor writes a line to stderr (the user's own LD_PRELOAD entry). */
function userLib(): string {
  const out = path.join(FIXTURES, 'libuserpreload.so');
  if (!fs.existsSync(out)) {
    const src = path.join(FIXTURES, 'userpreload.c');
    fs.writeFileSync(src, '#include <unistd.h>\n__attribute__((constructor)) static void hi(void) { write(2, "userlib\\n", 8); }\n');
    const tmp = `${out}.${process.pid}.tmp`;
    execFileSync('gcc', ['-shared', '-fPIC', '-o', tmp, src]);
    fs.renameSync(tmp, out);
  }
  return out;
}

d('preload handshake', () => {
  test('the preload installs the exact filter, then removes itself, its variable and its fds', async () => {
    const lib = userLib();
    const r = await runJail(spec(['env:LD_PRELOAD', 'env:TSJAIL_PRELOAD', 'fds', 'caps'], filter({}), {
      env: [`LD_PRELOAD=${lib}`],
    }));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('userlib\n'); // the user's library still loaded
    expect(r.stdout).toMatch(new RegExp(`^LD_PRELOAD=${lib}$`, 'm'));
    expect(r.stdout).toMatch(/^TSJAIL_PRELOAD unset$/m);
    expect(r.stdout).toMatch(/^fds 0 1 2$/m);
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
  });

  test("the user's LD_PRELOAD is left exactly as it was (entries and separators)", async () => {
    const lib = userLib();
    const value = `${lib}:${lib}  ${lib}`;
    const r = await runJail(spec(['env:LD_PRELOAD'], filter({}), { env: [`LD_PRELOAD=${value}`] }));
    expect(r.stdout.trim()).toBe(`LD_PRELOAD=${value}`);
    const none = await runJail(spec(['env:LD_PRELOAD'], filter({})));
    expect(none.stdout.trim()).toBe('LD_PRELOAD unset');
  });

  test('a missing preload library fails before anything runs', () => {
    const dir = tmpdir();
    const marker = path.join(dir, 'ran');
    expectJailError(() => spawnJail(spec([`marker:${marker}`], filter({}), { preloadLibrary: path.join(dir, 'nope.so') })), 'preload', 'ENOENT');
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('an unloadable preload library: no acknowledgement -> JailError, and the gate already held', async () => {
    const dir = tmpdir();
    const bogus = path.join(dir, 'libtsjailpreload.so');
    fs.writeFileSync(bogus, 'not an ELF file at all, just text that is long enough\n'.repeat(10));
    const marker = path.join(dir, 'ran');
    // The policy forbids creating files; the gate only adds read-only opens, so the program,
    // running main without the preload, dies on the open and the parent sees no ACK.
    const rules: Record<number, number> = { [OPENAT]: RET_KILL_PROCESS };
    if (OPEN >= 0) rules[OPEN] = RET_KILL_PROCESS;
    const e = expectJailError(() => spawnJail(spec([`marker:${marker}`], filter(rules), { preloadLibrary: bogus })), 'preload', 'ENOEXEC');
    expect(e.message).toMatch(/preload/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('no acknowledgement in time: JailError and the jail is killed', async () => {
    const dir = tmpdir();
    const bogus = path.join(dir, 'libtsjailpreload.so');
    fs.writeFileSync(bogus, 'garbage\n'.repeat(40));
    const marker = path.join(dir, 'late');
    // Allow-all policy: the program would create the marker after 600 ms if it were not killed.
    expectJailError(() => spawnJail(spec(['sleep:600', `marker:${marker}`], filter({}), { preloadLibrary: bogus, preloadTimeoutMs: 200 })), 'preload', 'ETIMEDOUT');
    await new Promise((r) => setTimeout(r, 1000));
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('a non-glibc interpreter is refused clearly instead of running unjailed', () => {
    const dir = tmpdir();
    const fake = path.join(dir, 'probe-musl');
    const bytes = fs.readFileSync(probe('dynamic'));
    const interp = execFileSync('readelf', ['-l', probe('dynamic')]).toString().match(/interpreter: (\S+)\]/)![1];
    const at = bytes.indexOf(Buffer.from(interp + '\0'));
    expect(at).toBeGreaterThan(0);
    const musl = Buffer.alloc(interp.length + 1);
    musl.write('/lib/ld-musl-x86_64.so.1');
    musl.copy(bytes, at);
    fs.writeFileSync(fake, bytes, { mode: 0o755 });
    // 'auto' (the refusal is its own): the interpreter is checked before anything else, so
    // even a policy that allows the loader's calls does not make this a before-exec jail.
    expectJailError(() => spawnJail({ ...spec(['pid'], filter({}), { seccompTiming: 'auto' }), path: fake, argv: [fake, 'pid'] }), 'prepare', 'ENOEXEC');
  });

  test("seccompTiming 'exec' puts the exact filter before exec for a dynamic program too", async () => {
    const r = await runJail(spec(['env:TSJAIL_PRELOAD', 'caps'], filter({}), { seccompTiming: 'exec' }));
    expect(r.stdout).toMatch(/^TSJAIL_PRELOAD unset$/m);
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
  });

  test('a violation right after main is still reported through the gate listener', async () => {
    const r = await runJail(spec([`syscall:${NR.getppid}`], filter({ [NR.getppid]: RET_KILL_PROCESS })));
    expect(r).toMatchObject({ signal: 'SIGSYS', violation: { nr: NR.getppid } });
  });
});

du('preload handshake as uid 65534', () => {
  test('the preload runs in a user namespace and the user LD_PRELOAD survives', () => {
    const lib = userLib();
    const r = runSpecUnpriv(spec(['env:LD_PRELOAD', 'fds'], filter({}), { env: [`LD_PRELOAD=${lib}`], namespaces: { user: true, pid: true } }));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^fds 0 1 2$/m);
    expect(r.stderr).toBe('userlib\n');
  });
  test('an unloadable library is a JailError', () => {
    const dir = tmpdir();
    const bogus = path.join(dir, 'libtsjailpreload.so');
    fs.writeFileSync(bogus, 'garbage\n'.repeat(40));
    fs.chmodSync(bogus, 0o644);
    const r = runSpecUnpriv(spec(['sleep:2000'], filter({}), { preloadLibrary: bogus, preloadTimeoutMs: 300 }));
    expect(r.error).toMatchObject({ name: 'JailError', step: 'preload' });
  });
});

d('preload with Landlock and a new root', () => {
  test('Landlock rules need not name the preload library', async () => {
    const p = probe('dynamic');
    const r = await runJail(spec(['pid'], filter({}), {
      landlock: { ro: ['/etc', '/usr', '/lib', '/lib64', '/proc'], rw: [], rx: ['/usr', '/lib', '/lib64', path.dirname(p)] },
    }));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pid \d+$/m);
  });
});

d('preload under a new root', () => {
  test('the library is bound into the new root at its own path', async () => {
    const p = probe('dynamic');
    const root = tmpdir();
    const mounts = ['/usr', '/lib64', path.dirname(p)].map((m) => ({ kind: 'bind' as const, source: m, target: m, writable: false, recursive: true }));
    const links = [['lib', 'usr/lib'], ['bin', 'usr/bin']];
    for (const [l, t] of links) fs.symlinkSync(t, path.join(root, l));
    const r = await runJail(spec(['pid', 'lsproc'], filter({}), {
      namespaces: { user: true, mount: true, pid: true },
      filesystem: { root, mounts: [...mounts, { kind: 'proc', target: '/proc', readOnly: true }] },
    }));
    expect(r.stdout).toMatch(/^pid 2$/m);
    expect(r.code).toBe(0);
  });
});
