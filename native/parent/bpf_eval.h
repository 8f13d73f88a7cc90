/* A classic-BPF interpreter for seccomp filters, so the supervisor can ask a policy what it
 * says about a call it was notified of (a later execve) without the kernel. It accepts exactly
 * the programs the kernel accepts (bpf_check_classic, then seccomp_check_filter: the seccomp
 * subset of opcodes, jumps inside the program, scratch memory written before it is read, a
 * RET last, aligned loads inside struct seccomp_data) and runs them as the kernel does (A and X
 * start at 0, 32-bit arithmetic, shifts by X masked to 5 bits, division by a zero X returns 0).
 * test/bpf-eval.test.ts compares it with the policy core's simulator. Parent side; pure. */
#ifndef TSJAIL_PARENT_BPF_EVAL_H
#define TSJAIL_PARENT_BPF_EVAL_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* NULL when the kernel would accept prog, else why not (a static string). */
const char *tsjail_bpf_check(const struct sock_filter *prog, size_t n);

/* The SECCOMP_RET_* value prog returns for `data` (64 bytes of struct seccomp_data). The
 * program must have passed tsjail_bpf_check. */
uint32_t tsjail_bpf_run(const struct sock_filter *prog, size_t n, const uint8_t data[64]);

/* 1 when prog (checked) allows the call `nr` in `arch` (SECCOMP_RET_ALLOW or _LOG) whatever its
 * arguments and instruction pointer, else 0 (including "could not be shown": the analysis gives
 * up beyond 4096 paths or 65536 instructions followed). It follows the program with arch and
 * nr known and every other field unknown, both ways at a jump on an unknown value. */
int tsjail_bpf_always_allows(const struct sock_filter *prog, size_t n, uint32_t arch, uint32_t nr);

#ifdef __cplusplus
}
#endif
#endif
