/* Sending records on the status socket, for the child and the init. Child side. */
#ifndef TSJAIL_CHILD_RECORD_H
#define TSJAIL_CHILD_RECORD_H

#include "../common/records.h"

/* Send {step, err, phase, index} on `sock`, plus `fd` as SCM_RIGHTS when fd >= 0. MSG_NOSIGNAL:
 * a parent that is gone must not kill us with SIGPIPE. 0 or errno. Async-signal-safe. */
int tsjail_record_send(int sock, int step, int err, int phase, int index, int fd);

/* Report a failed step on `sock` and _exit(127). */
void tsjail_record_fail(int sock, int step, int err, int phase, int index) __attribute__((noreturn));

#endif
