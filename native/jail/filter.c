/* Parent-side BPF transforms (pure functions over sock_filter arrays):
 *  - kill-process -> another action (user-notif, so the supervisor learns the syscall; or
 *    trace in the preload's exact filter, see docs/runtime.md);
 *  - the gate prefix: on this arch, allow the loader set unconditionally, else fall through
 *    to the policy (which does its own arch check);
 *  - one fd exception (read(release_fd), close(status_fd)) for the runtime's own handshake.
 * Each prefix block checks the arch itself and falls through, so it can sit in front of any
 * policy unchanged: the policy's jumps are relative and stay valid. */
#define _GNU_SOURCE
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>

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

/* [0] ld arch; [1] jeq ARCH ? next : skip-all; [2] ld nr; [3..3+n) jeq nr_i -> allow;
 * [3+n] ja policy (as jeq 0,0 via a jump over the allow); [4+n] ret ALLOW; then the policy. */
int tsjail_filter_gate_prefix(const uint32_t *nrs, size_t n, struct sock_filter *out, size_t cap) {
  size_t len = n + 5;
  if (len > cap || n > 250) return -1;
  size_t i = 0;
  out[i++] = LD(OFF_ARCH);
  out[i++] = JEQ(tsjail_audit_arch(), 0, (uint8_t)(n + 3)); /* other arch: to the policy */
  out[i++] = LD(OFF_NR);
  for (size_t j = 0; j < n; j++) out[i++] = JEQ(nrs[j], (uint8_t)(n - j), 0);
  out[i++] = insn(BPF_JMP | BPF_JA, 1, 0, 0); /* none matched: over the allow */
  out[i++] = RET(SECCOMP_RET_ALLOW);
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
