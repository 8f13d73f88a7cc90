// The loader set: syscalls the *gate* filter allows unconditionally, on top of the policy,
// while a dynamic program starts (docs/runtime.md, "The preload handshake"). They cover what
// the child does after installing the gate (read on the release pipe, execve), what glibc's
// ld.so and __libc_start_main do before main (Debian 12, glibc 2.36, checked with strace), and
// what the preload library does before the exact filter is in place (pread on its state,
// write of the acknowledgement, seccomp, close, exit_group on failure). Fixed lists, by arch.
// Not listed because the runtime adds them with argument checks (native/parent/filter.c):
// write (only to the handshake fd) and openat/open (only without write/create flags).

const X86_64: Record<string, number> = {
  read: 0, close: 3, stat: 4, fstat: 5, lstat: 6, mmap: 9, mprotect: 10,
  munmap: 11, brk: 12, pread64: 17, access: 21, execve: 59, exit: 60, readlink: 89,
  arch_prctl: 158, set_tid_address: 218, exit_group: 231, newfstatat: 262,
  readlinkat: 267, faccessat: 269, set_robust_list: 273, prlimit64: 302, seccomp: 317,
  getrandom: 318, statx: 332, rseq: 334, faccessat2: 439,
};

const AARCH64: Record<string, number> = {
  faccessat: 48, close: 57, read: 63, pread64: 67, readlinkat: 78,
  newfstatat: 79, fstat: 80, exit: 93, exit_group: 94, set_tid_address: 96, set_robust_list: 99,
  brk: 214, munmap: 215, execve: 221, mmap: 222, mprotect: 226, prlimit64: 261, seccomp: 277,
  getrandom: 278, statx: 291, rseq: 293, faccessat2: 439,
};

/** name -> number of the loader set for a Node arch ('x64', 'arm64'), or undefined if unsupported. */
export function loaderSyscalls(arch: string = process.arch): Record<string, number> | undefined {
  if (arch === 'x64') return X86_64;
  if (arch === 'arm64') return AARCH64;
  return undefined;
}
