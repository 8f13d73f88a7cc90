// A failing step at each position of the setup order gives a JailError naming that step (and
// errno), and the program never runs: every scenario asks it to create a marker file first.
// Invalid specs are refused in TypeScript, naming the field, before anything forks.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnJail } from '../ts/jail/spawn';
import { JailError } from '../ts/jail/errors';
import { STEPS } from '../ts/jail/steps';
import { validateSpec, SpecError } from '../ts/jail/validate';
import { loadAddon } from '../ts/jail/native';
import { JailSpec } from '../ts/jail/spec';
import { NO_ADDON, describeUnless, isRoot, probe, tmpdir, canUnprivUserns, runSpecUnpriv, insn } from './fixtures/jail/helpers';

const d = describeUnless(NO_ADDON);
const dr = describeUnless(NO_ADDON, [!isRoot, 'these scenarios need root']);
const du = describeUnless(NO_ADDON, [!canUnprivUserns(), 'uid 65534 cannot create user namespaces here']);

let dir: string;
let marker: string;
beforeEach(() => {
  dir = tmpdir();
  marker = path.join(dir, 'ran');
});

function spec(extra: Partial<JailSpec> = {}): JailSpec {
  const p = probe();
  return {
    path: p, argv: [p, `marker:${marker}`], env: [], namespaces: {}, user: {}, noNewPrivs: false,
    filesystem: { mounts: [] }, rlimits: [], preserveFds: [], ...extra,
  };
}

function expectStep(sp: JailSpec, step: string, code?: string) {
  let err: unknown;
  try {
    const p = spawnJail(sp, { stdio: ['ignore', 'ignore', 'ignore'] });
    p.kill('SIGKILL');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(JailError);
  const je = err as JailError;
  expect({ step: je.step, code: code ? je.code : undefined }).toEqual({ step, code });
  expect(fs.existsSync(marker)).toBe(false);
  return je;
}

function expectStepUnpriv(sp: JailSpec, step: string, code?: string) {
  const r = runSpecUnpriv(sp);
  expect(r.error).toBeDefined();
  expect({ name: r.error.name, step: r.error.step, code: code ? r.error.code : undefined }).toEqual({ name: 'JailError', step, code });
  expect(fs.existsSync(marker)).toBe(false);
}

describe('JailError: structured fields, and the message made from them', () => {
  const { EPERM, ENOENT, EINVAL } = os.constants.errno;

  test('(step, errno): the code by name, advice for a well-known pair as hint, no detail', () => {
    const e = new JailError('clone', EPERM);
    expect(e).toMatchObject({ name: 'JailError', step: 'clone', errno: EPERM, code: 'EPERM', detail: undefined });
    expect(e.hint).toMatch(/user namespace/);
    expect(e.message).toBe(`jail setup failed at step 'clone': EPERM: ${e.hint}`);
  });

  test('(step, errno, detail): the detail kept apart; no hint for a pair without advice', () => {
    const e = new JailError('mounts', ENOENT, 'mount #2');
    expect(e).toMatchObject({ step: 'mounts', code: 'ENOENT', detail: 'mount #2', hint: undefined });
    expect(e.message).toBe("jail setup failed at step 'mounts': ENOENT (mount #2)");
  });

  test('both, in the message in that order; an empty detail (as the addon passes it) is none', () => {
    const e = new JailError('setresuid', EINVAL, 'uid 5');
    expect(e.message).toBe(`jail setup failed at step 'setresuid': EINVAL (uid 5): ${e.hint}`);
    expect(e.hint).toMatch(/not mapped/);
    expect(new JailError('cwd', ENOENT, '').detail).toBeUndefined();
    expect(new JailError('prepare', 0).code).toBe('E0');
  });
});

describe('spec validation (before anything forks)', () => {
  test.each([
    [{ path: 'relative/prog' }, 'path'],
    [{ argv: [] }, 'argv'],
    [{ env: ['NOEQUALS'] }, 'env[0]'],
    [{ namespaces: { bogus: true } as any }, 'namespaces.bogus'],
    [{ hostname: 'h' }, 'hostname'],
    [{ user: { uid: -1 } }, 'user.uid'],
    [{ user: { groups: [1.5] } }, 'user.groups[0]'],
    [{ user: { uidMap: [{ inside: 0, outside: 0, count: 1 }] } }, 'user.uidMap'],
    [{ seccomp: { bpf: new Uint8Array(7) } }, 'seccomp.bpf'],
    [{ filesystem: { mounts: [{ kind: 'bind', source: 'x', target: '/x', writable: false, recursive: false }] }, namespaces: { mount: true } }, 'filesystem.mounts[0].source'],
    [{ preserveFds: [2] }, 'preserveFds[0]'],
    [{ timeLimitMs: 0 }, 'timeLimitMs'],
    [{ programAsInit: true }, 'programAsInit'],
    [{ rlimits: [{ resource: 'NOFILE', soft: -1, hard: 1 }] }, 'rlimits[0].soft'],
  ] as [Partial<JailSpec>, string][])('%j -> %s', (extra, field) => {
    const p = '/bin/true';
    const base: JailSpec = { path: p, argv: [p], env: [], namespaces: {}, user: {}, noNewPrivs: false, filesystem: { mounts: [] }, rlimits: [], preserveFds: [] };
    let err: unknown;
    try {
      validateSpec({ ...base, ...extra } as JailSpec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    expect((err as SpecError).field).toBe(field);
  });
});

d('step list', () => {
  test('the TS list and the native list agree, in order', () => {
    expect(loadAddon().stepNames()).toEqual([...STEPS]);
  });
});

d('failing steps (as the current user)', () => {
  test('mounts: a bind source that does not exist', () => {
    expectStep(spec({
      namespaces: { user: true, mount: true },
      filesystem: { mounts: [{ kind: 'bind', source: path.join(dir, 'missing'), target: '/mnt', writable: false, recursive: true }] },
    }), 'mounts', 'ENOENT');
  });

  test('root: pivot_root into a directory that does not exist', () => {
    expectStep(spec({ namespaces: { user: true, mount: true }, filesystem: { root: path.join(dir, 'no-root'), mounts: [] } }), 'root', 'ENOENT');
  });

  test('rlimits: raising a hard limit above ours without CAP_SYS_RESOURCE', () => {
    const hard = Number(fs.readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+\d+\s+(\d+)/)![1]);
    // Inside a user namespace nobody has CAP_SYS_RESOURCE over the host limits.
    expectStep(spec({ namespaces: { user: true }, rlimits: [{ resource: 'NOFILE', soft: 16, hard: hard + 1 }] }), 'rlimits', 'EPERM');
  });

  test('setresgid: a gid that is not mapped in the user namespace', () => {
    expectStep(spec({ namespaces: { user: true }, user: { gid: 5, gidMap: [{ inside: 0, outside: process.getgid!(), count: 1 }] } }), 'setresgid', 'EINVAL');
  });

  test('setresuid: a uid that is not mapped in the user namespace', () => {
    expectStep(spec({ namespaces: { user: true }, user: { uid: 5, uidMap: [{ inside: 0, outside: process.getuid!(), count: 1 }] } }), 'setresuid', 'EINVAL');
  });

  test('cwd: a directory that does not exist', () => {
    expectStep(spec({ cwd: path.join(dir, 'nowhere') }), 'cwd', 'ENOENT');
  });

  test('landlock: a rule for a path that does not exist', () => {
    expectStep(spec({ noNewPrivs: true, landlock: { ro: [path.join(dir, 'missing')], rw: [], rx: [] } }), 'landlock', 'ENOENT');
  });

  test('close-fds: a preserved fd that is not open', () => {
    expectStep(spec({ preserveFds: [1000] }), 'close-fds', 'EBADF');
  });

  test('seccomp: a program the kernel rejects', () => {
    const bad = new Uint8Array(Buffer.concat([insn(0xffff, 0), insn(0x06, 0x7fff0000)]));
    expectStep(spec({ noNewPrivs: true, seccomp: { bpf: bad }, seccompTiming: 'exec' }), 'seccomp', 'EINVAL');
  });

  test('exec: a program that does not exist', () => {
    const missing = path.join(dir, 'missing-program');
    expectStep({ ...spec(), path: missing, argv: [missing] }, 'exec', 'ENOENT');
  });

  test('exec: a missing program behind the init, with a reporting filter (its first execve is let through, and fails)', () => {
    const missing = path.join(dir, 'missing-program');
    const t0 = Date.now();
    expectStep({ ...spec({ namespaces: { user: true, pid: true }, noNewPrivs: true, seccompTiming: 'exec',
      seccomp: { bpf: new Uint8Array(insn(0x06, 0x7fff0000)), allowIoUring: true } }), path: missing, argv: [missing] }, 'exec', 'ENOENT');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  test('exec: a file that is not executable', () => {
    const f = path.join(dir, 'not-exec');
    fs.writeFileSync(f, '#!/bin/sh\ntouch ' + marker + '\n', { mode: 0o644 });
    expectStep({ ...spec(), path: f, argv: [f] }, 'exec', 'EACCES');
  });

  test('pid-file: an unwritable pid file kills the jail', async () => {
    const e = expectStep(spec({ argv: [probe(), 'sleep:300', `marker:${marker}`], pidFile: path.join(dir, 'no/such/dir/pid') }), 'pid-file');
    expect(e.code).toBe('ENOENT');
    await new Promise((r) => setTimeout(r, 600));
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('advice for well-known errnos is the hint, and in the message', () => {
    const e = expectStep(spec({ namespaces: { user: true }, user: { uid: 5, uidMap: [{ inside: 0, outside: process.getuid!(), count: 1 }] } }), 'setresuid', 'EINVAL');
    expect(e.hint).toMatch(/not mapped inside the user namespace/);
    expect(e.message).toContain(e.hint!);
  });

  test('the runtime\'s detail names the failing mount', () => {
    const e = expectStep(spec({
      namespaces: { user: true, mount: true },
      filesystem: { mounts: [
        { kind: 'tmpfs', target: '/tmp' },
        { kind: 'bind', source: path.join(dir, 'missing'), target: '/mnt', writable: false, recursive: true },
      ] },
    }), 'mounts', 'ENOENT');
    expect(e.detail).toMatch(/#1\b/);
    expect(e.message).toContain(`(${e.detail})`);
  });
});

dr('failing steps as root', () => {
  const eff = BigInt('0x' + fs.readFileSync('/proc/self/status', 'utf8').match(/CapEff:\s+([0-9a-f]+)/)![1]);
  const missing = [...Array(41).keys()].find((c) => !(eff & (1n << BigInt(c))));
  (missing === undefined ? test.skip : test)(`capabilities: keeping a capability we do not have (this VM lacks CAP_SYS_RESOURCE)${
    missing === undefined ? ' [skipped: root has every capability here, nothing to ask for]' : ''}`, () => {
    expectStep(spec({ caps: { keep: 1n << BigInt(missing!) } }), 'capabilities', 'EPERM');
  });
});

du('failing steps as uid 65534', () => {
  test('clone: namespaces without a user namespace', () => {
    expectStepUnpriv(spec({ namespaces: { net: true } }), 'clone', 'EPERM');
  });
  test('id-map: mapping a uid that is not ours', () => {
    expectStepUnpriv(spec({ namespaces: { user: true }, user: { uidMap: [{ inside: 0, outside: 0, count: 1 }] } }), 'id-map', 'EPERM');
  });
  test('cgroup: no delegated cgroup for this user', () => {
    const r = runSpecUnpriv(spec({ namespaces: { user: true }, cgroup: { pids: 10 } }));
    expect(r.error).toMatchObject({ name: 'JailError', step: 'cgroup' });
    // Why there is no cgroup is the runtime's detail; what to do about it, the hint.
    expect(r.error.detail).toEqual(expect.any(String));
    expect(`${r.error.detail} ${r.error.hint}`).toMatch(/deleg/);
    expect(fs.existsSync(marker)).toBe(false);
  });
  test('setgroups: denied in an unprivileged user namespace', () => {
    expectStepUnpriv(spec({ namespaces: { user: true }, user: { groups: [0] } }), 'setgroups', 'EPERM');
  });
  test('capabilities: keeping what we do not have', () => {
    expectStepUnpriv(spec({ caps: { keep: 1n << 10n } }), 'capabilities', 'EPERM');
  });
  test('seccomp: without no_new_privs an unprivileged filter is refused... but the runtime sets it', () => {
    // The runtime forces no_new_privs whenever there is a filter, so this spawns fine.
    const r = runSpecUnpriv(spec({ seccomp: { bpf: new Uint8Array(insn(0x06, 0x7fff0000)), allowIoUring: true } }));
    expect(r.code).toBe(0);
    expect(fs.existsSync(marker)).toBe(true);
  });
});
