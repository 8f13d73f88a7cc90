/* The loader set: the calls the preload window lets a dynamic program make although its
 * policy denies them, before the preload library's exact filter is in place (docs/runtime.md,
 * "The preload window"; parent/mediate.c decides, with argument checks for mmap (private
 * mappings only) and prlimit64 (its own limits, read only)). They cover what glibc's ld.so
 * does before the preload library's constructor (Debian 12, glibc 2.36, checked with strace)
 * and what that constructor does before its exact filter is in place (pread on its state,
 * close, seccomp, exit_group on failure). Not listed because the window treats them itself:
 * write (only to the status socket), openat/open (the supervisor opens loadable files and
 * hands them over), close of the status socket (the window's end); nor execve, which the
 * execve prefix sends to the supervisor (the jail's own runs, once). The numbers come from
 * this build's own <sys/syscall.h>, so each arch gets its own. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "bpf_eval.h"
#include "../common/arch.h"
#include "filter.h"

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "no loader set for this architecture: the gate would stop ld.so (strace a dynamic program's start-up)"
#endif

static const uint32_t loader_set[] = {
    SYS_read, SYS_close, SYS_fstat, SYS_newfstatat, SYS_mmap, SYS_mprotect, SYS_munmap, SYS_brk, SYS_pread64,
    SYS_exit, SYS_exit_group, SYS_readlinkat, SYS_faccessat, SYS_set_tid_address, SYS_set_robust_list,
    SYS_prlimit64, SYS_seccomp, SYS_getrandom, SYS_statx,
#ifdef SYS_rseq
    SYS_rseq,
#endif
    439, /* faccessat2 (unified number, missing from older headers) */
#if defined(__x86_64__)
    SYS_stat, SYS_lstat, SYS_access, SYS_readlink, SYS_arch_prctl,
#endif
};

const uint32_t *tsjail_loader_syscalls(size_t *n) {
  *n = sizeof loader_set / sizeof loader_set[0];
  return loader_set;
}

/* The calls a policy must allow, whatever their arguments, for the window to change nothing:
 * the loader set but seccomp (only the preload library's own call), and the opens the window
 * performs for the loader itself. */
int tsjail_policy_allows_loader(const struct sock_filter *prog, size_t n) {
  if (tsjail_bpf_check(prog, n)) return 0;
  uint32_t arch = tsjail_audit_arch();
  for (size_t i = 0; i < sizeof loader_set / sizeof loader_set[0]; i++)
    if (loader_set[i] != SYS_seccomp && !tsjail_bpf_always_allows(prog, n, arch, loader_set[i])) return 0;
  if (!tsjail_bpf_always_allows(prog, n, arch, SYS_openat)) return 0;
#ifdef SYS_open
  if (!tsjail_bpf_always_allows(prog, n, arch, SYS_open)) return 0;
#endif
  return 1;
}
