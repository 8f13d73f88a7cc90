/* Resource-limit step. See rlimits.h. Child side uses setrlimit only (async-signal-safe
 * in practice: a direct prlimit64 syscall in glibc). */
#define _GNU_SOURCE
#include "rlimits.h"

#include <errno.h>
#include <stddef.h>
#include <sys/resource.h>

/* rlim_t may be narrower than 64 bits on 32-bit targets: larger values mean "unlimited". */
static rlim_t to_rlim(uint64_t v) {
  if (v == TSJAIL_RLIM_INFINITY || v >= (uint64_t)RLIM_INFINITY) return RLIM_INFINITY;
  return (rlim_t)v;
}

static int check(const struct tsjail_rlimit *it) {
  if (it->resource < 0 || it->resource >= RLIMIT_NLIMITS) return EINVAL;
  if (to_rlim(it->soft) > to_rlim(it->hard)) return EINVAL;
  return 0;
}

int tsjail_rlimits_apply_phase(const struct tsjail_rlimits *rl, enum tsjail_rlimits_phase phase,
                               int *failed_index) {
  *failed_index = -1;
  if (rl->n > TSJAIL_RLIMITS_MAX) return E2BIG;
  for (unsigned i = 0; i < rl->n; i++) {
    const struct tsjail_rlimit *it = &rl->items[i];
    if ((it->resource == RLIMIT_NOFILE) != (phase == TSJAIL_RLIMITS_NOFILE)) continue;
    int err = check(it);
    struct rlimit lim;
    lim.rlim_cur = to_rlim(it->soft);
    lim.rlim_max = to_rlim(it->hard);
    if (!err && setrlimit((__rlimit_resource_t)it->resource, &lim) != 0) err = errno;
    if (err) {
      *failed_index = (int)i;
      return err;
    }
  }
  return 0;
}
