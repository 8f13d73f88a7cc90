/* Parent side: the BPF the runtime installs around the policy (docs/runtime.md, "Seccomp").
 * Pure functions over sock_filter arrays. */
#ifndef TSJAIL_PARENT_FILTER_H
#define TSJAIL_PARENT_FILTER_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A copy of `prog` with every RET SECCOMP_RET_KILL_PROCESS turned into `action`,
 * optionally prefixed by `prefix` (a ready block that falls through to the policy). Writes at
 * most cap instructions to out; returns the count, or -1 when it would not fit. */
int tsjail_filter_rewrite(const struct sock_filter *prog, size_t n, uint32_t action,
                          const struct sock_filter *prefix, size_t n_prefix,
                          struct sock_filter *out, size_t cap);
/* The gate block: on this arch, allow each of `nrs` unconditionally, write only to
 * status_fd, openat/open only without write/create flags; else fall through to whatever
 * follows. Returns the count written, or -1. */
int tsjail_filter_gate_prefix(const uint32_t *nrs, size_t n, int status_fd, struct sock_filter *out,
                              size_t cap);
/* A block allowing exactly `nr(arg0 == fd)` on this arch, else fall through. */
int tsjail_filter_fd_exception(uint32_t nr, int fd, struct sock_filter *out, size_t cap);
/* The exact filter the preload installs when violations are reported, fail-closed
 * (docs/runtime.md, "Violations"): close(status_fd) allowed, then the gate's own test
 * (`nrs`, status_fd) as a dispatch. A call the gate allows without asking the policy goes to a
 * copy of the policy whose kill verdicts stay KILL_PROCESS: only this filter can deny it, so
 * the kernel kills (unnamed). Any other call, and any other arch, goes to a copy with TRACE:
 * the gate runs the same policy on it, and the gate's USER_NOTIF outranks TRACE, so the
 * supervisor names it. (TRACE alone would let a loader-set call fail with ENOSYS, no tracer,
 * and the program carry on.) The policy's user-notify verdicts count as kill verdicts. If the
 * two copies exceed BPF_MAXINSNS, one KILL_PROCESS copy instead (every denial an unnamed kernel
 * kill). Returns the count, or -1 when even one copy does not fit. */
int tsjail_filter_exact(const struct sock_filter *prog, size_t n, const uint32_t *nrs, size_t n_nrs,
                        int status_fd, struct sock_filter *out, size_t cap);

/* The execve prefix: on this arch, execve and execveat go to the listener
 * (SECCOMP_RET_USER_NOTIF); anything else falls through. The supervisor lets the jail's own
 * first execve through and answers any later one with the policy's verdict, so the child's
 * execve waits in the notification until the supervisor holds the listener. Returns the
 * count written, or -1. */
int tsjail_filter_exec_prefix(struct sock_filter *out, size_t cap);

/* The loader set of this arch (loader.c): what the gate allows a dynamic program's loader. */
const uint32_t *tsjail_loader_syscalls(size_t *n);

#ifdef __cplusplus
}
#endif
#endif
