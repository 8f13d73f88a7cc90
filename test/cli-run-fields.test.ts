// `tsjail run` names the flag, not the jail spec's field: the table in ts/cli/run-fields.ts
// covers every field validate.ts checks (or says no flag sets it), each row maps to the flag
// that run-spec.ts fills the field from, and real invocations print the flag.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { FLAG_OF_FIELD, NOT_FROM_FLAGS, flagForField, inFlagWords, specErrorLine } from '../ts/cli/run-fields';
import { SpecError } from '../ts/jail/validate';
import { JailError } from '../ts/jail/errors';
import { describeJailError } from '../ts/cli/run-status';
import { preloadHiddenBy } from '../ts/jail/decide';
import { JailSpec } from '../ts/jail/spec';
import { NO_ADDON, testUnless, tmpdir } from './fixtures/jail/helpers';

const REPO = path.resolve(__dirname, '..');
const BIN = path.join(REPO, 'bin', 'tsjail');

/**
 * Every field validate.ts names: its string literals that start with a JailSpec key, the
 * templates `namespaces.${k}` and `landlock.${k}` expanded over what they iterate.
 */
function validatedFields(): string[] {
  // The namespace names listed in NS_KEYS are values, not fields (they are expanded below).
  const src = fs.readFileSync(path.join(REPO, 'ts', 'jail', 'validate.ts'), 'utf8').replace(/^const NS_KEYS = .*$/m, '');
  const specSrc = fs.readFileSync(path.join(REPO, 'ts', 'jail', 'spec.ts'), 'utf8');
  const body = specSrc.slice(specSrc.indexOf('export interface JailSpec {'));
  const keys = new Set([...body.slice(0, body.indexOf('\n}')).matchAll(/^  (\w+)\??:/gm)].map((m) => m[1]));
  keys.add('spec');
  const out = new Set<string>();
  for (const m of src.matchAll(/[`'"]([a-zA-Z]+(?:\.[a-zA-Z]+)*)(\.\$\{k\})?(?=[`'"[$.])/g)) {
    if (!keys.has(m[1].split('.')[0])) continue;
    if (m[2] && m[1] === 'namespaces') ['user', 'pid', 'mount', 'net', 'ipc', 'uts', 'cgroup', 'time'].forEach((k) => out.add(`namespaces.${k}`));
    else if (m[2] && m[1] === 'landlock') ['ro', 'rw', 'rx'].forEach((k) => out.add(`landlock.${k}`));
    else out.add(m[1]);
  }
  return [...out];
}

describe('the field -> flag table', () => {
  test('covers every field validate.ts names, or lists it as set by no flag', () => {
    const fields = validatedFields();
    expect(fields.length).toBeGreaterThan(45);
    const missing = fields.filter((f) => !FLAG_OF_FIELD.some(([k]) => k === f) && !NOT_FROM_FLAGS.includes(f));
    expect(missing).toEqual([]);
  });

  test.each([
    ['path', 'PROGRAM'], ['argv', 'PROGRAM'], ['env[0]', '--env-add'],
    ['namespaces.user', '-U'], ['namespaces.pid', '-p'], ['namespaces.mount', '-v'], ['namespaces.net', '-e'],
    ['namespaces.ipc', '-l'], ['namespaces.uts', '--uts'], ['namespaces.cgroup', '-N'], ['namespaces.time', '--time-ns'],
    ['programAsInit', '-I'], ['keepSession', '--no-new-sessions'], ['hostname', '--uts=HOST'],
    ['user.uid', '-u'], ['user.gid', '-g'], ['user.groups[3]', '-G/-y/--add-suppl-group'],
    ['user.uidMap', '-m'], ['user.gidMap', '-M'],
    ['caps.keep', '-c'], ['caps.bounding', '-c'], ['caps.ambient', '--ambient'], ['caps.securebits', '-B'],
    ['noNewPrivs', '-n'], ['seccomp.bpf', '-S/--seccomp-bpf-binary'], ['seccomp.tsync', '-Y'], ['seccomp.log', '-L'],
    ['seccomp.allowIoUring', '--allow-io-uring'], ['seccompTiming', '-T'],
    ['filesystem.propagation', '-K'], ['filesystem', '-v'],
    ['landlock.ro[0]', '--fs-path-ro'], ['landlock.rw[1]', '--fs-path-rw'], ['landlock.rx[2]', '--fs-path-rx'],
    ['landlock', '--fs-path-ro/-rw/-rx'], ['rlimits[0].soft', '-R'], ['rlimits', '-R'],
    ['cgroup.memory', '--memory'], ['cgroup.pids', '--pids'], ['cgroup.cpu', '--cpu'],
    ['preserveFds[0]', '--preserve-fd'], ['timeLimitMs', '--time-limit'], ['pidFile', '-f'],
  ])('%s -> %s', (field, flag) => {
    expect(flagForField(field)).toBe(flag);
  });

  test('the root is -C or -P as the spec says; a mount names its flag and target', () => {
    expect(flagForField('filesystem.root', { filesystem: { root: '/r', rootMode: 'chroot', mounts: [] } })).toBe('-C');
    expect(flagForField('filesystem.root', { filesystem: { root: '/r', rootMode: 'pivot_root', mounts: [] } })).toBe('-P');
    const mounts = [
      { kind: 'bind' as const, source: '/a', target: '/b', writable: false, recursive: true },
      { kind: 'tmpfs' as const, target: '/tmp' },
      { kind: 'dev' as const, target: '/dev' },
      { kind: 'mount' as const, source: 'none', target: '/m', fstype: 'tmpfs', flags: 0 },
    ];
    const spec = { filesystem: { mounts } };
    expect([0, 1, 2, 3].map((i) => flagForField(`filesystem.mounts[${i}].target`, spec))).toEqual(['-b (/b)', '-t (/tmp)', '-d (/dev)', '-k (/m)']);
  });

  test('fields no flag sets keep the API message', () => {
    for (const f of NOT_FROM_FLAGS) expect(flagForField(f)).toBeUndefined();
    expect(specErrorLine(new SpecError('preloadTimeoutMs', 'must be 1-600000 milliseconds'))).toBe('invalid jail spec: preloadTimeoutMs: must be 1-600000 milliseconds');
  });

  test('field names inside a reason become flags too', () => {
    expect(specErrorLine(new SpecError('programAsInit', 'needs namespaces.pid'))).toBe('-I: needs -p');
    expect(specErrorLine(new SpecError('hostname', 'needs namespaces.uts (a new UTS namespace)'))).toBe('--uts=HOST: needs --uts (a new UTS namespace)');
    expect(specErrorLine(new SpecError('user.uidMap', 'id maps need namespaces.user'))).toBe('-m: id maps need -U');
    expect(specErrorLine(new SpecError('seccomp.bpf', 'io_uring is allowed; set seccomp.allowIoUring if that is intended')))
      .toBe('-S/--seccomp-bpf-binary: io_uring is allowed; add --allow-io-uring if that is intended');
    expect(inFlagWords('check user.uidMap/gidMap')).toBe('check -m/-M');
  });

  test("a setup step's advice names the flag", () => {
    expect(describeJailError(new JailError('clone', 1))).toBe(
      'jail setup failed at clone: operation not permitted (EPERM): creating namespaces was refused: unprivileged callers need a user namespace (-U), and user.max_user_namespaces must be > 0');
    expect(describeJailError(new JailError('rlimits', 1, '#0'))).toBe(
      'jail setup failed at rlimits: operation not permitted (EPERM) (#0): a hard limit above the current one needs CAP_SYS_RESOURCE (and RLIMIT_NOFILE cannot exceed /proc/sys/fs/nr_open)');
  });
});

describe('tsjail run prints the flag, exit 2', () => {
  const run = (args: string[]) => {
    try {
      execFileSync(process.execPath, [BIN, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      return { status: 0, stderr: '' };
    } catch (e) {
      const x = e as { status: number; stderr: Buffer };
      return { status: x.status, stderr: x.stderr.toString() };
    }
  };
  test.each([
    [['-C', '/', '--', 'true'], "tsjail: run: -C: must not be '/' (omit it to keep the current root)"],
    [['-P', '/', '--', 'true'], "tsjail: run: -P: must not be '/' (omit it to keep the current root)"],
  ])('%j', (args, line) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(line);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the first-use messages of tsjail run', () => {
  const run = (args: string[]) => {
    try {
      const stdout = execFileSync(process.execPath, [BIN, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      return { status: 0, stdout: stdout.toString(), stderr: '' };
    } catch (e) {
      const x = e as { status: number; stderr: Buffer };
      return { status: x.status, stdout: '', stderr: x.stderr.toString() };
    }
  };

  test('-S with a compiled program points to --seccomp-bpf-binary, exit 2', () => {
    const dir = tmpdir();
    const policy = path.join(dir, 'p.policy');
    const bpf = path.join(dir, 'p.bpf');
    fs.writeFileSync(policy, 'read: 1\n');
    execFileSync(process.execPath, [BIN, 'compile', policy, '--arch', 'x86_64', '-o', bpf]);
    const r = run(['-S', bpf, '--', 'true']);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`tsjail: run: -S ${bpf} is a compiled BPF program, not policy text: pass it with --seccomp-bpf-binary ${bpf}`);
  });

  const nrOpen = Number(fs.readFileSync('/proc/sys/fs/nr_open', 'utf8'));
  testUnless(NO_ADDON)('-R above what the kernel allows says why, exit 125', () => {
    const r = run(['-R', `RLIMIT_NOFILE,10,${nrOpen + 1}`, '--', 'true']);
    expect(r.status).toBe(125);
    expect(r.stderr).toBe('tsjail: jail setup failed at rlimits: operation not permitted (EPERM) (#0): ' +
      'a hard limit above the current one needs CAP_SYS_RESOURCE (and RLIMIT_NOFILE cannot exceed /proc/sys/fs/nr_open)\n');
  });

  testUnless(NO_ADDON, [process.getuid?.() !== 0, 'needs root (a mount namespace without -U)'])(
    'a mount that hides the preload library says so, with its path, exit 125', () => {
      const lib = path.join(REPO, 'build', 'native', 'Release', 'libtsjailpreload.so');
      const top = '/' + lib.split('/')[1];
      const dir = tmpdir();
      const policy = path.join(dir, 'true.policy');
      fs.writeFileSync(policy, `@include ${path.join(REPO, 'policies', 'libc-startup-x86_64.policy')}\nopenat: 1\nread: 1\nclose: 1\nwrite: 1\nexit_group: 1\n`);
      const r = run(['-v', '-k', `none,${top},tmpfs`, '-S', policy, '--', '/bin/true']);
      expect(r.status).toBe(125);
      expect(r.stderr).toBe(`tsjail: jail setup failed at preload: the preload library ${lib} is hidden by the jail's own mount -k (${top}); ` +
        'a dynamic program with a seccomp filter needs it (mount elsewhere, bind its directory back, or use a new root: -C/-P)\n');
    });

  test('preloadHiddenBy: the last mount over the library, unless a new root or a bind back', () => {
    const lib = '/opt/t/lib/libtsjailpreload.so';
    const spec = (mounts: JailSpec['filesystem']['mounts'], root?: string) => ({ filesystem: { mounts, root } }) as JailSpec;
    const tmpfs = (target: string) => ({ kind: 'tmpfs' as const, target });
    const bind = (source: string, target: string) => ({ kind: 'bind' as const, source, target, writable: false, recursive: true });
    expect(preloadHiddenBy(spec([tmpfs('/opt')]), lib)).toBe(0);
    expect(preloadHiddenBy(spec([tmpfs('/tmp'), tmpfs('/opt/t/')]), lib)).toBe(1);
    expect(preloadHiddenBy(spec([tmpfs('/op')]), lib)).toBeUndefined();
    expect(preloadHiddenBy(spec([tmpfs('/opt'), bind('/opt/t', '/opt/t')]), lib)).toBeUndefined();
    expect(preloadHiddenBy(spec([bind('/srv', '/opt')]), lib)).toBe(0);
    expect(preloadHiddenBy(spec([tmpfs('/opt')], '/jail'), lib)).toBeUndefined();
  });
});
