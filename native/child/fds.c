/* Closing inherited fds (child side). See fds.h. */
#define _GNU_SOURCE
#include "fds.h"

#include <errno.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int tsjail_close_fds_except(const int *keep, size_t n) {
  unsigned lo = 0;
  for (size_t i = 0; i <= n; i++) {
    unsigned hi = i < n ? (unsigned)keep[i] : ~0U;
    if (hi > lo && syscall(SYS_close_range, lo, hi - 1, 0) != 0) {
      if (errno != ENOSYS) return errno;
      /* Before Linux 5.9: close one by one up to the fd limit (prlimit64: a plain syscall). */
      struct { uint64_t cur, max; } lim; /* struct rlimit64 */
      uint64_t max = 1048576;
      if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &lim) == 0 && lim.max < max) max = lim.max;
      unsigned top = hi == ~0U ? (unsigned)max : hi;
      for (unsigned fd = lo; fd < top; fd++) close((int)fd);
    }
    if (i < n) lo = (unsigned)keep[i] + 1;
  }
  return 0;
}
