/* Closing inherited fds, for the program-to-be (close-fds step) and the init. Child side. */
#ifndef TSJAIL_CHILD_FDS_H
#define TSJAIL_CHILD_FDS_H

#include <stddef.h>

/* Close every fd not in `keep` (sorted ascending), with close_range and a loop fallback
 * before Linux 5.9. 0 or errno. Async-signal-safe. */
int tsjail_close_fds_except(const int *keep, size_t n);

#endif
