/* The preload window: what the supervisor lets a dynamic program's loader do before the
 * preload library's exact filter is in place (docs/runtime.md, "The preload window").
 *
 * In preload mode the program execs under the strict gate: the policy, with every verdict
 * that does not allow a call turned into a notification, behind the execve prefix and a
 * notification for close(status fd). So a call the policy denies never runs unasked. While
 * the window is open the supervisor lets the loader's own calls through, each checked here:
 * read-only opens of absolute paths are performed by the supervisor itself inside the jail's
 * root (openat2 RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS) and handed over with
 * SECCOMP_IOCTL_NOTIF_ADDFD only if the file is an ELF shared object (or ld.so's cache)
 * that the program's ids may read; memory and metadata calls run; writes only to the status
 * socket; anything else gets the policy's verdict. The window closes when the preload library
 * closes the status socket and the kernel shows the exact filter on every thread of the
 * program (Seccomp_filters in /proc/PID/task/TID/status): the program's word counts for
 * nothing. A thread that already has the exact filter gets no mediation either.
 * Parent side; may block. */
#ifndef TSJAIL_PARENT_MEDIATE_H
#define TSJAIL_PARENT_MEDIATE_H

#include <linux/seccomp.h>
#include <sys/types.h>

#include "supervise.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How many calls the window saw, by what it did with them (bench/mediation.ts prints them). */
struct tsjail_window_counts {
  unsigned notified;  /* every notification while the window was open */
  unsigned continued; /* loader calls let through */
  unsigned opened;    /* files the supervisor opened and handed over */
  unsigned missing;   /* opens answered with ENOENT/ENOTDIR (the loader's search) */
  unsigned policy;    /* left to the policy's verdict */
};

struct tsjail_window {
  int open;              /* mediating: the exact filter is not yet verified */
  int status_fd;         /* the status socket's number in the program */
  pid_t program;         /* the caller of the jail's first execve (our pid namespace), 0 before */
  int expected_filters;  /* its Seccomp_filters at that execve + 1 (the exact filter) */
  int verified;          /* the exact filter was on every thread when the status socket closed */
  int refused_close;     /* the status socket was closed before that: `finding` says why */
  char finding[200];
  int violation_nr;      /* the first call the policy denies that was killed in the window, -1 */
  const int *listener;   /* the supervisor's listener, for SECCOMP_IOCTL_NOTIF_ID_VALID */
  struct tsjail_window_counts counts;
};

/* An open window for a program whose status socket is status_fd. */
void tsjail_window_init(struct tsjail_window *w, int status_fd, const int *listener);

/* The jail's first execve, by `tid` (the program's only thread then): remember it and how many
 * filters it has (the gate and whatever the launcher itself runs under). */
void tsjail_window_first_exec(struct tsjail_window *w, pid_t tid);

/* 1 = decided (*out set), 0 = the policy's verdict applies. */
int tsjail_window_decide(struct tsjail_window *w, const struct seccomp_notif *n, struct tsjail_decision *out);

/* The policy's verdict killed the caller: remember it if the window was open. */
void tsjail_window_killed(struct tsjail_window *w, const struct seccomp_notif *n);

/* Seccomp_filters of one thread (/proc/TID/status), or -1. */
int tsjail_thread_filters(pid_t tid);

#ifdef __cplusplus
}
#endif
#endif
