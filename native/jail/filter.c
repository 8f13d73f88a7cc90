/* Parent-side BPF transforms (pure functions over sock_filter arrays):
 *  - kill-process -> another action (user-notif, so the supervisor learns the syscall; or
 *    trace in the preload's exact filter, see docs/runtime.md);
 *  - the gate prefix: on this arch, allow the loader set unconditionally, else fall through
 *    to the policy (which does its own arch check);
 *  - one fd exception (read(release_fd), close(status_fd)) for the runtime's own handshake.
 * Each prefix block checks the arch itself and falls through, so it can sit in front of any
 * policy unchanged: the policy's jumps are relative and stay valid. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>

#include "jail.h"

uint32_t tsjail_audit_arch(void) {
#if defined(__x86_64__)
  return AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  return AUDIT_ARCH_AARCH64;
#elif defined(__i386__)
  return AUDIT_ARCH_I386;
#elif defined(__arm__)
  return AUDIT_ARCH_ARM;
#else
#error "unsupported architecture"
#endif
}

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

/* The gate block. Jumps to two labels, resolved at the end: ALLOW (a RET ALLOW placed last in
 * the block) and POLICY (the first instruction after the block). Layout:
 *   ld arch; jeq ARCH ? : POLICY; ld nr; jeq nr_i ? ALLOW : (next) ...
 *   write only to the status fd:   jeq write ? : next; ld arg0 hi/lo == 0/fd ? ALLOW : next
 *   openat/open only read-only:    jeq openat ? : next; ld flags; and WMASK; jeq 0 ? ALLOW : next
 *   ja POLICY; ALLOW: ret ALLOW
 * So a program whose preload never ran can read and map files (what ld.so needs) but not
 * create or write any, and write only to the handshake pipe, until the parent kills it. */
#define GATE_WMASK (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | 020000000 /* __O_TMPFILE */)
#define L_ALLOW 0xfffe
#define L_POLICY 0xffff

static int emit(struct sock_filter *out, size_t cap, size_t *i, struct sock_filter f) {
  if (*i >= cap) return -1;
  out[(*i)++] = f;
  return 0;
}

int tsjail_filter_gate_prefix(const uint32_t *nrs, size_t n, int status_fd, struct sock_filter *out,
                              size_t cap) {
  size_t i = 0;
  /* Label targets are carried in jt/jf as L_ALLOW/L_POLICY (> 255) in a u16 scratch array. */
  uint16_t jt[BPF_MAXINSNS], jf[BPF_MAXINSNS];
  if (cap > BPF_MAXINSNS) cap = BPF_MAXINSNS;
#define E(f, t, fl) do { if (emit(out, cap, &i, (f))) return -1; jt[i - 1] = (t); jf[i - 1] = (fl); } while (0)
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
  E(insn(BPF_JMP | BPF_JA, 0, 0, 0), 0, 0);
  size_t ja = i - 1;
  E(RET(SECCOMP_RET_ALLOW), 0, 0);
#undef E
  size_t allow = i - 1, policy = i;
  out[ja].k = (uint32_t)(policy - ja - 1);
  for (size_t k = 0; k < i; k++) {
    if (BPF_CLASS(out[k].code) != BPF_JMP || BPF_OP(out[k].code) == BPF_JA) continue;
    uint16_t t[2] = {jt[k], jf[k]};
    for (int w = 0; w < 2; w++) {
      size_t target;
      if (t[w] == L_ALLOW) target = allow;
      else if (t[w] == L_POLICY) target = policy;
      else target = k + 1 + t[w];
      if (target - k - 1 > 255) return -1;
      if (w == 0) out[k].jt = (uint8_t)(target - k - 1);
      else out[k].jf = (uint8_t)(target - k - 1);
    }
  }
  return (int)i;
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
