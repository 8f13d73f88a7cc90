/* Parent-side BPF transforms (pure functions over sock_filter arrays):
 *  - kill-process -> another action (user-notif, so the supervisor learns the syscall);
 *  - the strict gate: every verdict that does not allow a call -> user-notif (the preload
 *    window's mediation, parent/mediate.h);
 *  - the execve prefix: execve/execveat to the supervisor (the first one is the jail's own);
 *  - one fd block (close(status_fd): allowed in the exact filter, notified in the gate);
 *  - the preload's exact filter: the fd exception and the policy, its kill verdicts made
 *    to lose against the gate's notification (docs/runtime.md, "Violations").
 * Each prefix block checks the arch itself and falls through, so it can sit in front of any
 * policy unchanged: the policy's jumps are relative and stay valid. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>

#include "filter.h"

#include "../common/arch.h"

#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif

#define OFF_NR ((uint32_t)offsetof(struct seccomp_data, nr))
#define OFF_ARCH ((uint32_t)offsetof(struct seccomp_data, arch))
#define OFF_ARG0_LO ((uint32_t)offsetof(struct seccomp_data, args[0]))
#define OFF_ARG0_HI (OFF_ARG0_LO + 4)

static struct sock_filter insn(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  struct sock_filter f = {code, jt, jf, k};
  return f;
}
#define LD(off) insn(BPF_LD | BPF_W | BPF_ABS, (off), 0, 0)
#define JEQ(k, jt, jf) insn(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
#define RET(k) insn(BPF_RET | BPF_K, (k), 0, 0)

int tsjail_filter_rewrite(const struct sock_filter *prog, size_t n, uint32_t action,
                          const struct sock_filter *prefix, size_t n_prefix,
                          struct sock_filter *out, size_t cap) {
  if (n + n_prefix > cap || n + n_prefix > BPF_MAXINSNS) return -1;
  if (n_prefix) memcpy(out, prefix, n_prefix * sizeof *out);
  for (size_t i = 0; i < n; i++) {
    struct sock_filter f = prog[i];
    uint32_t verdict = f.k & SECCOMP_RET_ACTION_FULL;
    if (f.code == (BPF_RET | BPF_K) &&
        (verdict == SECCOMP_RET_KILL_PROCESS || (verdict == SECCOMP_RET_KILL_THREAD && action == SECCOMP_RET_USER_NOTIF)))
      f.k = action;
    out[n_prefix + i] = f;
  }
  return (int)(n + n_prefix);
}

/* The strict gate: every RET K that does not allow the call (allow and log do) asks the
 * supervisor instead. RET A cannot be rewritten in place: such a program is refused (-2). */
int tsjail_filter_gate(const struct sock_filter *prog, size_t n, const struct sock_filter *prefix, size_t n_prefix,
                       struct sock_filter *out, size_t cap) {
  if (n + n_prefix > cap || n + n_prefix > BPF_MAXINSNS) return -1;
  if (n_prefix) memcpy(out, prefix, n_prefix * sizeof *out);
  for (size_t i = 0; i < n; i++) {
    struct sock_filter f = prog[i];
    if (f.code == (BPF_RET | BPF_A)) return -2;
    uint32_t verdict = f.k & SECCOMP_RET_ACTION_FULL;
    if (f.code == (BPF_RET | BPF_K) && verdict != SECCOMP_RET_ALLOW && verdict != SECCOMP_RET_LOG)
      f.k = SECCOMP_RET_USER_NOTIF;
    out[n_prefix + i] = f;
  }
  return (int)(n + n_prefix);
}

/* ld arch; jeq ARCH ? : policy; ld nr; jeq nr ? : policy; ld arg0 hi; jeq 0 ? : policy;
 * ld arg0 lo; jeq fd ? action : policy; ret ACTION. */
int tsjail_filter_fd_action(uint32_t nr, int fd, uint32_t action, struct sock_filter *out, size_t cap) {
  if (cap < 9) return -1;
  out[0] = LD(OFF_ARCH);
  out[1] = JEQ(tsjail_audit_arch(), 0, 7);
  out[2] = LD(OFF_NR);
  out[3] = JEQ(nr, 0, 5);
  out[4] = LD(OFF_ARG0_HI);
  out[5] = JEQ(0, 0, 3);
  out[6] = LD(OFF_ARG0_LO);
  out[7] = JEQ((uint32_t)fd, 0, 1);
  out[8] = RET(action);
  return 9;
}

int tsjail_filter_fd_exception(uint32_t nr, int fd, struct sock_filter *out, size_t cap) {
  return tsjail_filter_fd_action(nr, fd, SECCOMP_RET_ALLOW, out, cap);
}

int tsjail_filter_has_kill_thread(const struct sock_filter *prog, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (prog[i].code == (BPF_RET | BPF_K) && (prog[i].k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_KILL_THREAD) return 1;
  return 0;
}

/* No arch test: the number exists on none, and a compat call restarted as it (an i386 call
 * on x86_64) must end its thread too. */
int tsjail_filter_thread_kill_prefix(struct sock_filter *out, size_t cap) {
  if (cap < 3) return -1;
  out[0] = LD(OFF_NR);
  out[1] = JEQ(TSJAIL_THREAD_KILL_NR, 0, 1);
  out[2] = RET(SECCOMP_RET_KILL_THREAD);
  return 3;
}

int tsjail_filter_exec_prefix(struct sock_filter *out, size_t cap) {
  if (cap < 6) return -1;
  out[0] = LD(OFF_ARCH);
  out[1] = JEQ(tsjail_audit_arch(), 0, 4);
  out[2] = LD(OFF_NR);
  out[3] = JEQ(SYS_execve, 1, 0);
  out[4] = JEQ(SYS_execveat, 0, 1);
  out[5] = RET(SECCOMP_RET_USER_NOTIF);
  return 6;
}

/* A copy of the policy whose kill-process and user-notify verdicts become `action`: in the
 * exact filter neither may stay as is (there is no listener on it; a user-notify would be
 * ENOSYS, and the gate treats the policy's own user-notify as a violation too). With
 * violations reported (`action` TRACE) its kill-thread verdicts too, so that the gate's
 * notification outranks them and the supervisor names the call before it ends the thread. */
static void copy_verdicts(const struct sock_filter *prog, size_t n, uint32_t action, struct sock_filter *out) {
  for (size_t i = 0; i < n; i++) {
    struct sock_filter f = prog[i];
    uint32_t verdict = f.k & SECCOMP_RET_ACTION_FULL;
    if (f.code == (BPF_RET | BPF_K) &&
        (verdict == SECCOMP_RET_KILL_PROCESS || verdict == SECCOMP_RET_USER_NOTIF ||
         (verdict == SECCOMP_RET_KILL_THREAD && action == SECCOMP_RET_TRACE)))
      f.k = action;
    out[i] = f;
  }
}

int tsjail_filter_exact(const struct sock_filter *prog, size_t n, uint32_t kill_to, int status_fd,
                        struct sock_filter *out, size_t cap) {
  if (cap > BPF_MAXINSNS) cap = BPF_MAXINSNS;
  int nx = tsjail_filter_fd_exception(SYS_close, status_fd, out, cap);
  if (nx < 0 || (size_t)nx + n > cap) return -1;
  copy_verdicts(prog, n, kill_to, out + nx);
  return (int)((size_t)nx + n);
}
