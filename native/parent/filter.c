/* Parent-side BPF transforms (pure functions over sock_filter arrays):
 *  - kill-process -> another action (user-notif, so the supervisor learns the syscall);
 *  - the gate prefix: on this arch, allow the loader set unconditionally, else fall through
 *    to the policy (which does its own arch check);
 *  - the execve prefix: execve/execveat to the supervisor (the first one is the jail's own);
 *  - one fd exception (close(status_fd)) for the preload's handshake;
 *  - the preload's exact filter: the gate's own test dispatching to a kill-process copy and
 *    a trace copy of the policy (docs/runtime.md, "Violations").
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
    if (f.code == (BPF_RET | BPF_K) && (f.k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_KILL_PROCESS)
      f.k = action;
    out[n_prefix + i] = f;
  }
  return (int)(n + n_prefix);
}

/* The gate's test, shared by the gate and by the exact filter's dispatch (which must classify
 * every call exactly as the gate does). Its jumps go to two labels that the caller places:
 * L_ALLOW (the gate allows the call without asking the policy) and L_POLICY (the gate asks
 * the policy). Layout (the last instruction falls through, meaning L_POLICY):
 *   ld arch; jeq ARCH ? : POLICY; ld nr; jeq nr_i ? ALLOW : (next) ...
 *   write only to the status fd:   jeq write ? : next; ld arg0 hi/lo == 0/fd ? ALLOW : next
 *   openat/open only read-only:    jeq openat ? : next; ld flags; and WMASK; jeq 0 ? ALLOW : next
 * So a program whose preload never ran can read and map files (what ld.so needs) but not
 * create or write any, and write only to the handshake pipe, until the parent kills it. */
#define GATE_WMASK (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | 020000000 /* __O_TMPFILE */)
#define L_ALLOW 0xfffe
#define L_POLICY 0xffff

/* A block being assembled, with its jump targets as offsets or labels (> 255). Labels are
 * reached by conditional jumps (at most 255 ahead), so no resolvable block is longer. */
#define ASM_MAX 512
struct asm_buf {
  struct sock_filter *out;
  uint16_t jt[ASM_MAX], jf[ASM_MAX];
  size_t n, cap;
};

static int emit(struct asm_buf *b, struct sock_filter f, uint16_t jt, uint16_t jf) {
  if (b->n >= b->cap) return -1;
  b->out[b->n] = f;
  b->jt[b->n] = jt;
  b->jf[b->n] = jf;
  b->n++;
  return 0;
}

static int gate_test(struct asm_buf *b, const uint32_t *nrs, size_t n, int status_fd) {
#define E(f, t, fl) do { if (emit(b, (f), (t), (fl))) return -1; } while (0)
  E(LD(OFF_ARCH), 0, 0);
  E(JEQ(tsjail_audit_arch(), 0, 0), 0, L_POLICY);
  E(LD(OFF_NR), 0, 0);
  for (size_t j = 0; j < n; j++) E(JEQ(nrs[j], 0, 0), L_ALLOW, 0);
  if (status_fd >= 0) {
    E(JEQ(SYS_write, 0, 0), 0, 5);
    E(LD(OFF_ARG0_HI), 0, 0);
    E(JEQ(0, 0, 0), 0, 2);
    E(LD(OFF_ARG0_LO), 0, 0);
    E(JEQ((uint32_t)status_fd, 0, 0), L_ALLOW, 0);
    E(LD(OFF_NR), 0, 0);
  }
  E(JEQ(SYS_openat, 0, 0), 0, 4);
  E(LD(OFF_ARG0_LO + 16), 0, 0); /* args[2] low word: flags */
  E(insn(BPF_ALU | BPF_AND | BPF_K, GATE_WMASK, 0, 0), 0, 0);
  E(JEQ(0, 0, 0), L_ALLOW, 0);
  E(LD(OFF_NR), 0, 0);
#ifdef SYS_open
  E(JEQ(SYS_open, 0, 0), 0, 3);
  E(LD(OFF_ARG0_LO + 8), 0, 0); /* args[1] low word: flags */
  E(insn(BPF_ALU | BPF_AND | BPF_K, GATE_WMASK, 0, 0), 0, 0);
  E(JEQ(0, 0, 0), L_ALLOW, 0);
#endif
#undef E
  return 0;
}

/* Turn the labels of the conditional jumps into offsets; -1 if a target is out of reach. */
static int resolve_labels(struct asm_buf *b, size_t allow, size_t policy) {
  for (size_t k = 0; k < b->n; k++) {
    struct sock_filter *f = &b->out[k];
    if (BPF_CLASS(f->code) != BPF_JMP || BPF_OP(f->code) == BPF_JA) continue;
    uint16_t t[2] = {b->jt[k], b->jf[k]};
    for (int w = 0; w < 2; w++) {
      size_t target;
      if (t[w] == L_ALLOW) target = allow;
      else if (t[w] == L_POLICY) target = policy;
      else target = k + 1 + t[w];
      if (target <= k || target - k - 1 > 255) return -1;
      if (w == 0) f->jt = (uint8_t)(target - k - 1);
      else f->jf = (uint8_t)(target - k - 1);
    }
  }
  return 0;
}

/* The gate block: the test, then   ja POLICY; ALLOW: ret ALLOW;   POLICY: (what follows). */
int tsjail_filter_gate_prefix(const uint32_t *nrs, size_t n, int status_fd, struct sock_filter *out,
                              size_t cap) {
  struct asm_buf b;
  b.out = out;
  b.n = 0;
  b.cap = cap > ASM_MAX ? ASM_MAX : cap;
  if (gate_test(&b, nrs, n, status_fd)) return -1;
  if (emit(&b, insn(BPF_JMP | BPF_JA, 1, 0, 0), 0, 0)) return -1;
  if (emit(&b, RET(SECCOMP_RET_ALLOW), 0, 0)) return -1;
  if (resolve_labels(&b, b.n - 1, b.n)) return -1;
  return (int)b.n;
}

/* ld arch; jeq ARCH ? : policy; ld nr; jeq nr ? : policy; ld arg0 hi; jeq 0 ? : policy;
 * ld arg0 lo; jeq fd ? allow : policy; ret ALLOW. */
int tsjail_filter_fd_exception(uint32_t nr, int fd, struct sock_filter *out, size_t cap) {
  if (cap < 9) return -1;
  out[0] = LD(OFF_ARCH);
  out[1] = JEQ(tsjail_audit_arch(), 0, 7);
  out[2] = LD(OFF_NR);
  out[3] = JEQ(nr, 0, 5);
  out[4] = LD(OFF_ARG0_HI);
  out[5] = JEQ(0, 0, 3);
  out[6] = LD(OFF_ARG0_LO);
  out[7] = JEQ((uint32_t)fd, 0, 1);
  out[8] = RET(SECCOMP_RET_ALLOW);
  return 9;
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
 * ENOSYS, and the gate treats the policy's own user-notify as a violation too). */
static void copy_verdicts(const struct sock_filter *prog, size_t n, uint32_t action, struct sock_filter *out) {
  for (size_t i = 0; i < n; i++) {
    struct sock_filter f = prog[i];
    uint32_t verdict = f.k & SECCOMP_RET_ACTION_FULL;
    if (f.code == (BPF_RET | BPF_K) && (verdict == SECCOMP_RET_KILL_PROCESS || verdict == SECCOMP_RET_USER_NOTIF))
      f.k = action;
    out[i] = f;
  }
}

/* The exact filter's dispatch: the gate's test, then   ja TRACE-COPY;   so ALLOW is the first
 * instruction after it (the kill copy) and POLICY that jump over the kill copy (n_policy long)
 * to the trace copy. Returns the count written, or -1. */
static int exact_dispatch(const uint32_t *nrs, size_t n, int status_fd, size_t n_policy, struct sock_filter *out,
                          size_t cap) {
  struct asm_buf b;
  b.out = out;
  b.n = 0;
  b.cap = cap > ASM_MAX ? ASM_MAX : cap;
  if (gate_test(&b, nrs, n, status_fd)) return -1;
  if (emit(&b, insn(BPF_JMP | BPF_JA, (uint32_t)n_policy, 0, 0), 0, 0)) return -1;
  if (resolve_labels(&b, b.n, b.n - 1)) return -1;
  return (int)b.n;
}

int tsjail_filter_exact(const struct sock_filter *prog, size_t n, const uint32_t *nrs, size_t n_nrs,
                        int status_fd, struct sock_filter *out, size_t cap) {
  if (cap > BPF_MAXINSNS) cap = BPF_MAXINSNS;
  int nx = tsjail_filter_fd_exception(SYS_close, status_fd, out, cap);
  if (nx < 0) return -1;
  size_t at = (size_t)nx;
  int nd = exact_dispatch(nrs, n_nrs, status_fd, n, out + at, cap - at);
  if (nd >= 0 && at + (size_t)nd + 2 * n <= cap) {
    at += (size_t)nd;
    copy_verdicts(prog, n, SECCOMP_RET_KILL_PROCESS, out + at);
    copy_verdicts(prog, n, SECCOMP_RET_TRACE, out + at + n);
    return (int)(at + 2 * n);
  }
  /* Too big for two copies: every denial is the kernel's kill (unnamed), never ENOSYS. */
  if (at + n > cap) return -1;
  copy_verdicts(prog, n, SECCOMP_RET_KILL_PROCESS, out + at);
  return (int)(at + n);
}
