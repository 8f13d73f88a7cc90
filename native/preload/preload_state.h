/* The preload library's state, written by the addon into a memfd: a header, then n_insns
 * sock_filter records of the exact filter (already rewritten, see docs/runtime.md). */
#ifndef TSJAIL_PRELOAD_STATE_H
#define TSJAIL_PRELOAD_STATE_H
#include <stdint.h>

#define TSJAIL_PRELOAD_ENV "TSJAIL_PRELOAD"
#define TSJAIL_PRELOAD_NAME "libtsjailpreload.so"
#define TSJAIL_PRELOAD_MAGIC 0x4c4a5354u /* "TSJL" */

struct tsjail_preload_header {
  uint32_t magic;
  uint32_t flags;   /* SECCOMP_FILTER_FLAG_* for the exact filter */
  uint32_t n_insns;
  uint32_t reserved;
};
#endif
