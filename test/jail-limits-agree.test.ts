// The jail's limits are checked twice: by ts/jail/validate.ts (and the encoder), with an error
// naming the field before anything forks, and by the native reader (native/parent/jailfile.c),
// the trust boundary every jail passes. For each limit this builds a spec at the limit and one
// just past it, and checks that both sides accept the first and refuse the second: the
// TypeScript side through encodeJailFile, the reader through the addon's dumpJailFile on the
// same spec encoded without validation.
import { encodeJailFile, encodeUncheckedJailFile, JAILFILE_MAX_SIZE } from '../ts/jail/jailfile';
import { LIMITS, SpecError } from '../ts/jail/validate';
import { loadAddon } from '../ts/jail/native';
import type { JailSpec, MountSpec } from '../ts/jail/spec';
import { NO_ADDON, describeUnless } from './fixtures/jail/helpers';

const d = describeUnless(NO_ADDON);

// Decisions that need no addon path or caller ids: the same bytes on any machine.
const host = { uid: 1000, gid: 1000, preloadLibrary: () => '/usr/lib/tsjail/libtsjailpreload.so' };
const ALLOW = new Uint8Array([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]);

function base(extra: Partial<JailSpec> = {}): JailSpec {
  return { path: '/bin/true', argv: ['true'], env: [], namespaces: {}, user: {}, noNewPrivs: false, filesystem: { mounts: [] }, rlimits: [], preserveFds: [], ...extra };
}

/** Does each side take the spec? TypeScript: validate + encode; native: the reader on the unchecked bytes. */
function verdicts(spec: JailSpec): { typescript: string; reader: string } {
  let typescript = 'accepted';
  try {
    encodeJailFile(spec, { host });
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    typescript = 'refused';
  }
  let reader = 'accepted';
  try {
    loadAddon().dumpJailFile(encodeUncheckedJailFile(spec, { host }));
  } catch (e) {
    // The addon's TypeError comes from Node's realm, not jest's: compare the name.
    if ((e as Error).name !== 'TypeError') throw e;
    reader = 'refused';
  }
  return { typescript, reader };
}

const repeat = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const policy = (n: number) => new Uint8Array(Buffer.concat(repeat(n, () => Buffer.from(ALLOW))));
const tmpfs = (n: number): MountSpec[] => repeat(n, (i) => ({ kind: 'tmpfs', target: `/m${i}` }));
const ids = (n: number) => repeat(n, (i) => ({ inside: i, outside: 100000 + i, count: 1 }));
/** argv whose strings and NULs come to exactly `total` bytes (argv[0] 'true' included). */
const argvOf = (total: number) => {
  const big = 'a'.repeat(LIMITS.argBytes);
  const argv = ['true'];
  let left = total - 5;
  while (left > LIMITS.argBytes + 1) {
    argv.push(big);
    left -= LIMITS.argBytes + 1;
  }
  argv.push('b'.repeat(left - 1));
  return argv;
};

// [limit, a spec at it, one just past it]
const CASES: [string, () => JailSpec, () => JailSpec][] = [
  [`policy: ${LIMITS.policyInstructions} instructions`, () => base({ seccomp: { bpf: policy(4096), allowIoUring: true } }), () => base({ seccomp: { bpf: policy(4097), allowIoUring: true } })],
  [`mounts: ${LIMITS.mounts}`, () => base({ namespaces: { mount: true }, filesystem: { mounts: tmpfs(128) } }),
    () => base({ namespaces: { mount: true }, filesystem: { mounts: tmpfs(129) } })],
  [`a mount target under the root: ${LIMITS.pathBytes} bytes`,
    () => base({ namespaces: { mount: true }, filesystem: { root: '/r', mounts: [{ kind: 'tmpfs', target: `/${'a'.repeat(LIMITS.pathBytes - 3)}` }] } }),
    () => base({ namespaces: { mount: true }, filesystem: { root: '/r', mounts: [{ kind: 'tmpfs', target: `/${'a'.repeat(LIMITS.pathBytes - 2)}` }] } })],
  [`Landlock rules: ${LIMITS.landlockRules}`, () => base({ landlock: { ro: repeat(100, (i) => `/r${i}`), rw: repeat(28, (i) => `/w${i}`), rx: [] } }),
    () => base({ landlock: { ro: repeat(100, (i) => `/r${i}`), rw: repeat(28, (i) => `/w${i}`), rx: ['/x'] } })],
  [`rlimits: ${LIMITS.rlimits}`, () => base({ rlimits: repeat(32, () => ({ resource: 'CORE', soft: 0, hard: 0 })) }),
    () => base({ rlimits: repeat(33, () => ({ resource: 'CORE', soft: 0, hard: 0 })) })],
  ['an rlimit resource: 15 (RLIMIT_NLIMITS - 1)', () => base({ rlimits: [{ resource: 15, soft: 1, hard: 1 }] }),
    () => base({ rlimits: [{ resource: 16, soft: 1, hard: 1 }] })],
  ['an rlimit: soft = hard', () => base({ rlimits: [{ resource: 'NOFILE', soft: 64, hard: 64 }] }),
    () => base({ rlimits: [{ resource: 'NOFILE', soft: 65, hard: 64 }] })],
  [`hostname: ${LIMITS.hostnameBytes} bytes (multibyte characters count as bytes)`,
    () => base({ namespaces: { uts: true }, hostname: 'ü'.repeat(32) }), () => base({ namespaces: { uts: true }, hostname: `${'ü'.repeat(32)}a` })],
  ['hostname: at least 1 byte', () => base({ namespaces: { uts: true }, hostname: 'h' }), () => base({ namespaces: { uts: true }, hostname: '' })],
  [`preserved fds: ${LIMITS.preserveFds}`, () => base({ preserveFds: repeat(1024, (i) => 3 + i) }), () => base({ preserveFds: repeat(1025, (i) => 3 + i) })],
  [`a preserved fd: ${LIMITS.maxFd}`, () => base({ preserveFds: [65535] }), () => base({ preserveFds: [65536] })],
  [`groups: ${LIMITS.groups}`, () => base({ user: { groups: repeat(65536, (i) => i) } }), () => base({ user: { groups: repeat(65537, (i) => i) } })],
  ['a uid: 2^32-2', () => base({ user: { uid: 0xfffffffe } }), () => base({ user: { uid: 0xffffffff } })],
  [`id map lines: ${LIMITS.idMapLines}`, () => base({ namespaces: { user: true }, user: { uidMap: ids(340) } }),
    () => base({ namespaces: { user: true }, user: { uidMap: ids(341) } })],
  [`one argument: ${LIMITS.argBytes} bytes`, () => base({ argv: ['true', 'a'.repeat(LIMITS.argBytes)] }),
    () => base({ argv: ['true', 'a'.repeat(LIMITS.argBytes + 1)] })],
  [`one environment entry: ${LIMITS.argBytes} bytes`, () => base({ env: [`A=${'a'.repeat(LIMITS.argBytes - 2)}`] }),
    () => base({ env: [`A=${'a'.repeat(LIMITS.argBytes - 1)}`] })],
  [`argv and env together: ${LIMITS.argsTotalBytes} bytes`, () => base({ argv: argvOf(LIMITS.argsTotalBytes) }),
    () => base({ argv: argvOf(LIMITS.argsTotalBytes + 1) })],
  [`syscall names: ${LIMITS.syscallNames}`, () => base({ seccomp: { bpf: ALLOW, allowIoUring: true, names: Object.fromEntries(repeat(4096, (i) => [i, `s${i}`])) } }),
    () => base({ seccomp: { bpf: ALLOW, allowIoUring: true, names: Object.fromEntries(repeat(4097, (i) => [i, `s${i}`])) } })],
  [`time limit: ${LIMITS.timeLimitMs} ms`, () => base({ timeLimitMs: LIMITS.timeLimitMs }), () => base({ timeLimitMs: LIMITS.timeLimitMs + 1 })],
  ['time limit: 1 ms', () => base({ timeLimitMs: 1 }), () => base({ timeLimitMs: 0 })],
  [`preload timeout: ${LIMITS.preloadTimeoutMs} ms`, () => base({ seccomp: { bpf: ALLOW, allowIoUring: true }, preloadTimeoutMs: LIMITS.preloadTimeoutMs }),
    () => base({ seccomp: { bpf: ALLOW, allowIoUring: true }, preloadTimeoutMs: LIMITS.preloadTimeoutMs + 1 })],
  ['cgroup memory: 4096 bytes', () => base({ cgroup: { memory: 4096 } }), () => base({ cgroup: { memory: 4095 } })],
  ['cgroup pids: 1', () => base({ cgroup: { pids: 1 } }), () => base({ cgroup: { pids: 0 } })],
  ['cgroup cpu: 1024', () => base({ cgroup: { cpu: 1024 } }), () => base({ cgroup: { cpu: 1024.5 } })],
];

d('validate.ts and the native reader agree on every limit', () => {
  test.each(CASES)('%s', (_limit, at, past) => {
    expect(verdicts(at())).toEqual({ typescript: 'accepted', reader: 'accepted' });
    expect(verdicts(past())).toEqual({ typescript: 'refused', reader: 'refused' });
  });

  test(`the file: ${JAILFILE_MAX_SIZE} bytes`, () => {
    // A spec that validates but encodes past the reader's file limit (a long syscall name): the
    // encoder refuses it, and so does the reader. One byte less, both take it.
    const sized = (bytes: number) => {
      const probe = base({ seccomp: { bpf: ALLOW, allowIoUring: true, names: { 0: '' } } });
      const overhead = encodeUncheckedJailFile(probe, { host }).length;
      return base({ seccomp: { bpf: ALLOW, allowIoUring: true, names: { 0: 'n'.repeat(bytes - overhead) } } });
    };
    expect(verdicts(sized(JAILFILE_MAX_SIZE))).toEqual({ typescript: 'accepted', reader: 'accepted' });
    expect(verdicts(sized(JAILFILE_MAX_SIZE + 1))).toEqual({ typescript: 'refused', reader: 'refused' });
  });
});
