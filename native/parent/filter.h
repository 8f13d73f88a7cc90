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

/* A copy of `prog` with every RET SECCOMP_RET_KILL_PROCESS turned into `action` (and, when
 * `action` is SECCOMP_RET_USER_NOTIF, every RET SECCOMP_RET_KILL_THREAD too: the supervisor
 * then names the call and ends the thread itself, supervise.h), optionally prefixed by
 * `prefix` (a ready block that falls through to the policy). Writes at most cap instructions
 * to out; returns the count, or -1 when it would not fit. */
int tsjail_filter_rewrite(const struct sock_filter *prog, size_t n, uint32_t action,
                          const struct sock_filter *prefix, size_t n_prefix,
                          struct sock_filter *out, size_t cap);
/* The strict gate (preload mode): a copy of `prog` behind `prefix` in which every RET K that
 * neither allows nor logs the call becomes SECCOMP_RET_USER_NOTIF, so a call the policy does
 * not allow runs only if the supervisor lets it (the preload window's mediation) and is
 * otherwise answered with the policy's own verdict. Returns the count, -1 when it would not
 * fit, -2 when the program returns the accumulator (RET A: no verdict to rewrite). */
int tsjail_filter_gate(const struct sock_filter *prog, size_t n, const struct sock_filter *prefix, size_t n_prefix,
                       struct sock_filter *out, size_t cap);
/* A block sending exactly `nr(arg0 == fd)` on this arch to `action`, else fall through. */
int tsjail_filter_fd_action(uint32_t nr, int fd, uint32_t action, struct sock_filter *out, size_t cap);
/* The same with SECCOMP_RET_ALLOW. */
int tsjail_filter_fd_exception(uint32_t nr, int fd, struct sock_filter *out, size_t cap);
/* The exact filter the preload installs (docs/runtime.md, "Violations"): close(status_fd)
 * allowed, then the policy with its kill-process and user-notify verdicts turned into
 * `kill_to`. With violations reported that is SECCOMP_RET_TRACE, and kill-thread verdicts
 * become it too: the strict gate's USER_NOTIF for the same call outranks it, so the
 * supervisor names the call and kills the process or ends the thread; errno and trap
 * verdicts outrank the gate's notification and stay the kernel's.
 * Without reporting, SECCOMP_RET_KILL_PROCESS (a kernel kill, unnamed). Returns the count, or
 * -1 when it does not fit. */
int tsjail_filter_exact(const struct sock_filter *prog, size_t n, uint32_t kill_to, int status_fd,
                        struct sock_filter *out, size_t cap);

/* A syscall number no arch has, which the thread-kill prefix answers with
 * SECCOMP_RET_KILL_THREAD. The supervisor ends a thread the policy's kill-thread verdict
 * stopped by making it restart its call as this one (supervise.c, end_thread). Calling it
 * directly only ends the caller's own thread. */
#define TSJAIL_THREAD_KILL_NR 0x0ffffff0u

/* Whether the program has a RET SECCOMP_RET_KILL_THREAD (it then needs the thread-kill prefix
 * to have such verdicts reported). */
int tsjail_filter_has_kill_thread(const struct sock_filter *prog, size_t n);

/* The thread-kill prefix: TSJAIL_THREAD_KILL_NR, on any arch -> SECCOMP_RET_KILL_THREAD;
 * anything else falls through. Returns the count written (3), or -1. */
int tsjail_filter_thread_kill_prefix(struct sock_filter *out, size_t cap);

/* The execve prefix: on this arch, execve and execveat go to the listener
 * (SECCOMP_RET_USER_NOTIF); anything else falls through. The supervisor lets the jail's own
 * first execve through and answers any later one with the policy's verdict, so the child's
 * execve waits in the notification until the supervisor holds the listener. Returns the
 * count written, or -1. */
int tsjail_filter_exec_prefix(struct sock_filter *out, size_t cap);

/* The loader set of this arch (loader.c): the calls the preload window lets a dynamic
 * program's loader make without asking the policy (parent/mediate.h). */
const uint32_t *tsjail_loader_syscalls(size_t *n);

/* 1 when the policy allows, whatever the arguments, every call the preload window would let
 * the loader make (the loader set but seccomp, plus openat and open): then the window could
 * change no verdict, and timing 'auto' installs the policy before exec instead. */
int tsjail_policy_allows_loader(const struct sock_filter *prog, size_t n);

#ifdef __cplusplus
}
#endif
#endif
