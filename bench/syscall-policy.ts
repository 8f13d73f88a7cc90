// The benchmark's seccomp policies, generated from the core's x86_64 table so they name real
// syscalls: a 200-syscall allow list (what a typical service policy looks like), with getppid
// either unconditional or conditional on its (unused) first argument.
import { syscallNames, syscallNumber } from '../ts/policy/tables';

/** What /bin/true, the loader, libc start-up and the getppid loop need; always in the list. */
const NEEDED = [
  'read', 'write', 'close', 'fstat', 'newfstatat', 'openat', 'mmap', 'mprotect', 'munmap', 'brk', 'pread64', 'access',
  'execve', 'arch_prctl', 'set_tid_address', 'set_robust_list', 'rseq', 'prlimit64', 'getrandom', 'exit', 'exit_group',
  'rt_sigreturn', 'rt_sigaction', 'rt_sigprocmask', 'clock_gettime', 'clock_nanosleep', 'getppid', 'getpid', 'gettid',
  'futex', 'ioctl', 'readlink', 'sigaltstack', 'uname', 'lseek', 'statx', 'fcntl', 'dup2', 'wait4', 'kill', 'tgkill',
];

export const POLICY_SIZE = 200;

/**
 * `name: 1` for the needed syscalls plus the lowest-numbered others up to `size` names.
 * getppidRule replaces getppid's line (e.g. `arg0 == 0`, which keeps the kernel from caching
 * its verdict, so the filter really runs on every call).
 */
export async function allowListPolicy(size = POLICY_SIZE, getppidRule = '1'): Promise<{ text: string; names: string[] }> {
  const all = await syscallNames('x86_64');
  const numbered = await Promise.all(all.map(async (n) => ({ n, nr: (await syscallNumber('x86_64', n)) ?? 1e9 })));
  numbered.sort((a, b) => a.nr - b.nr);
  const names = new Set(NEEDED.filter((n) => all.includes(n)));
  for (const { n } of numbered) {
    if (names.size >= size) break;
    names.add(n);
  }
  const list = [...names];
  const text = list.map((n) => `${n}: ${n === 'getppid' ? getppidRule : '1'}`).join('\n') + '\n';
  return { text, names: list };
}

/** Only the syscalls /bin/true (with the loader and libc start-up) needs: the `NEEDED` list. */
export async function neededPolicy(): Promise<{ text: string; names: string[] }> {
  return allowListPolicy(0);
}

/**
 * The calls of the runtime's loader set that this machine's ld.so does not make but another
 * glibc's may (native/parent/loader.c): a policy meant for any glibc allows them too.
 */
const LOADER_ALTERNATIVES = ['stat', 'lstat', 'readlinkat', 'faccessat', 'faccessat2', 'open'];

/**
 * NEEDED plus those: a policy that allows every call of the loader, so seccompTiming 'auto'
 * installs it before execve with no preload window (docs/runtime.md).
 */
export async function neededWithLoaderPolicy(): Promise<{ text: string; names: string[] }> {
  const needed = await neededPolicy();
  const all = await syscallNames('x86_64');
  const names = [...needed.names, ...LOADER_ALTERNATIVES.filter((n) => all.includes(n) && !needed.names.includes(n))];
  return { text: names.map((n) => `${n}: 1`).join('\n') + '\n', names };
}
