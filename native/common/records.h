/* The fixed-size records the jail's processes send the parent: the status channel's
 * (child, init and preload -> parent) and the init's exit report. Shared by the child side,
 * the preload library and the parent, so all three read and write the same 16 bytes. */
#ifndef TSJAIL_COMMON_RECORDS_H
#define TSJAIL_COMMON_RECORDS_H

#include <stdint.h>

/* One message on the status channel, a SOCK_SEQPACKET socket: every record is one message
 * (never split or merged), and EOF (every copy of the child's end closed) means the program
 * exec'd, or in preload mode that the preload library finished. step = a tsjail_step
 * (steps.h) for a failure, or one of the codes below. */
struct tsjail_record {
  int32_t step;
  int32_t err;    /* errno, or a detail value for the special codes */
  int32_t phase;  /* fs phase (tsjail_fs_phase) for "mounts"/"root", else 0 */
  int32_t index;  /* failing mount/rule/rlimit index, or -1 */
};
/* An acknowledgement from the preload library. Nothing writes it any more and the parent
 * ignores it: any program in the window could write it (the window ends only when the kernel
 * shows the exact filter, docs/runtime.md "The preload window"). */
#define TSJAIL_RECORD_PRELOAD_ACK 1000
/* The program-to-be is about to install a filter with a listener, at fd number
 * tsjail_config.listener_fd: the parent may start taking it. Below an init (in another pid
 * namespace) the message carries a pidfd of the program (SCM_RIGHTS), which the parent needs
 * for pidfd_getfd. The parent accepts it once, before the first execve, and closes any other
 * fd that arrives. */
#define TSJAIL_RECORD_LISTENER 1001

/* Init -> parent: how the program ended (written once, just before the init exits). */
struct tsjail_exit_report {
  int32_t code;         /* exit code, or -1 */
  int32_t signal;       /* terminating signal, or 0 */
  int32_t reserved[2];
};

#endif
