/* The audit arch (AUDIT_ARCH_*) this runtime was built for: what a filter's arch check
 * compares, what a jail file is stamped with, what seccomp_data.arch says for native calls.
 * The one definition in C (TypeScript's is ts/jail/arch.ts; test/arch-agree.test.ts compares
 * them). */
#ifndef TSJAIL_COMMON_ARCH_H
#define TSJAIL_COMMON_ARCH_H

#include <linux/audit.h>
#include <stdint.h>

static inline uint32_t tsjail_audit_arch(void) {
#if defined(__x86_64__)
  return AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  return AUDIT_ARCH_AARCH64;
#elif defined(__i386__)
  return AUDIT_ARCH_I386;
#elif defined(__arm__)
  return AUDIT_ARCH_ARM;
#elif defined(__riscv) && __riscv_xlen == 64
  return AUDIT_ARCH_RISCV64;
#else
#error "unsupported architecture"
#endif
}

#endif
