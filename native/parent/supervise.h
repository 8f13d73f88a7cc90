/* The supervisor: the parent's one event loop over a jail, and the seccomp listener it serves.
 *
 * Every jail's seccomp notifications reach the parent (the addon's waiter thread, or
 * tsjail-exec's main loop), never the init. The filter the child installs sends execve and
 * execveat to the listener ahead of the policy, so the child's own execve waits until the
 * parent holds the listener; the policy's kill verdicts are turned into notifications too, so
 * the parent learns which call was denied (the dying process's si_syscall is visible to no
 * one else). For each notification a decision callback chooses what happens to the call; a
 * record callback sees the calls marked for recording (the first violation is what the jail's
 * exit reports; `run --log` and `learn` will record through it too).
 *
 * One loop (tsjail_supervise) serves both phases of a jail: the launch's handshake (status
 * records, taking the listener, the first execve) and the wait (notifications, forwarded
 * signals, the time limit, the exit). It returns to its caller on the events the caller has to
 * judge; everything else it handles itself. Parent side: may block; no allocation.
 */
#ifndef TSJAIL_PARENT_SUPERVISE_H
#define TSJAIL_PARENT_SUPERVISE_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/records.h"

#ifdef __cplusplus
extern "C" {
#endif

enum tsjail_decision_kind {
  TSJAIL_DECIDE_KILL,     /* SIGKILL the process: the call never runs */
  TSJAIL_DECIDE_KILL_THREAD, /* end the calling thread alone (the policy's kill-thread): the call never runs */
  TSJAIL_DECIDE_CONTINUE, /* let the call run (SECCOMP_USER_NOTIF_FLAG_CONTINUE) */
  TSJAIL_DECIDE_ERRNO,    /* fail the call with -value (0-4095) without running it */
  TSJAIL_DECIDE_VALUE,    /* return value without running the call */
  TSJAIL_DECIDE_ADDFD     /* install our fd `value` in the caller as the call's result
                           * (SECCOMP_ADDFD_FLAG_SEND, with fd_flags), then close ours */
};

struct tsjail_decision {
  enum tsjail_decision_kind kind;
  int64_t value;
  int record; /* hand the call to the record callback */
  unsigned fd_flags; /* TSJAIL_DECIDE_ADDFD: O_CLOEXEC or 0 */
  uint32_t ret; /* the policy's SECCOMP_RET_* for the call when it decided (0 otherwise): a
                 * recorded kill says whether the policy meant the process or the thread */
};

typedef void (*tsjail_decide_fn)(void *ctx, const struct seccomp_notif *n, struct tsjail_decision *out);
typedef void (*tsjail_record_fn)(void *ctx, const struct seccomp_notif *n, const struct tsjail_decision *d);

struct tsjail_window;

/* The default decider: the jail's own first execve runs; in preload mode, while the preload
 * window is open, the window's mediation (parent/mediate.h) decides the loader's calls; every
 * other call gets the policy's verdict for it (evaluated on the notification's seccomp_data by
 * parent/bpf_eval.h: allow and log run, errno fails with its errno, trace fails with ENOSYS as
 * it does without a tracer, anything else kills the process and records the call). Outside the
 * preload mode only execve and the policy's kill verdicts (and its own user-notify) are
 * notified; the preload mode's gate notifies every call the policy does not allow. */
struct tsjail_policy_decider {
  int permissive; /* run --log / learn: every call runs; those the policy denies are recorded */
  const struct sock_filter *policy; /* the policy as given; NULL when the kernel would refuse it */
  size_t n_policy;
  int first_exec_done;
  struct tsjail_window *window; /* preload mode: the window's state; else NULL */
};
void tsjail_decide_by_policy(void *ctx, const struct seccomp_notif *n, struct tsjail_decision *out);

#define TSJAIL_WOULD_DENY_MAX 512

/* One kind of call the policy would have denied (permissive mode): the first such call, the
 * verdict, how many. */
struct tsjail_would_deny {
  struct seccomp_data first;
  uint32_t ret;
  uint64_t count;
};

/* The default record callback: counts violations (recorded kills) and keeps the first, whole:
 * the TS layer names the call, decodes its arguments and finds the rule from these raw facts. */
struct tsjail_violations {
  int first_nr; /* -1 */
  unsigned count;
  int killed_process; /* a violation killed the whole process (not only a thread) */
  struct seccomp_data first; /* valid when first_nr >= 0 */
  uint32_t first_ret;        /* the policy's verdict for it (SECCOMP_RET_KILL_PROCESS, ..._THREAD...) */
  /* Permissive mode: the calls the policy would have denied, one entry per (arch, nr, verdict,
 * and for ioctl/fcntl/prctl/socket/clone/mmap/mprotect the value of the argument that says
 * what the call does)
   * with the first call's arguments and a count; a table of TSJAIL_WOULD_DENY_MAX the launch
   * allocates in permissive mode only (NULL otherwise: 40 KiB a launch would write for nothing;
   * the supervisor itself does not allocate), calls beyond it counted in log_dropped. */
  struct tsjail_would_deny *log;
  unsigned n_log;
  uint64_t log_dropped;
};
void tsjail_record_violation(void *ctx, const struct seccomp_notif *n, const struct tsjail_decision *d);

struct tsjail_supervisor {
  int listener;        /* the jail's seccomp listener, -1 until taken (and after it hangs up) */
  int expect_listener; /* the jail installs one: a TSJAIL_RECORD_LISTENER will come */
  tsjail_decide_fn decide;
  void *decide_ctx;
  tsjail_record_fn record;
  void *record_ctx;
  /* Taking the listener: pidfd_getfd at listener_fd of the program, from the moment the
   * program says it comes until it is there (or the program is gone). */
  int listener_fd;
  int program_pidfd;   /* -1, or the program's pidfd (owned when program_pidfd_owned) */
  int program_pidfd_owned;
  int taking;
  long take_deadline_ms;
};

/* What the loop watches. -1 = not watched. */
struct tsjail_watch {
  int jail_pidfd;   /* the jail's first process (the init, or the program): readable at its exit */
  int status_fd;    /* the status socket; the loop sets it to -1 (and closes it) at EOF */
  int sigfd;        /* a signalfd whose signals are forwarded to jail_pidfd */
  long deadline_ms; /* CLOCK_MONOTONIC ms */
};

enum tsjail_event_kind {
  TSJAIL_EVENT_RECORD,     /* a status record (event.record); listener records are the loop's own */
  TSJAIL_EVENT_BAD_RECORD, /* a status message that is not one record */
  TSJAIL_EVENT_EOF,        /* the status socket reached EOF */
  TSJAIL_EVENT_EXITED,     /* jail_pidfd is readable */
  TSJAIL_EVENT_DEADLINE,   /* deadline_ms has passed */
  TSJAIL_EVENT_FAILED      /* the listener cannot be taken: event.err, event.detail */
};

struct tsjail_event {
  enum tsjail_event_kind kind;
  struct tsjail_record record;
  int err;
  const char *detail;
};

/* Set up s for a jail: no listener yet; decisions by `decide`, records to `record`. */
void tsjail_supervisor_init(struct tsjail_supervisor *s, int expect_listener, int listener_fd,
                            tsjail_decide_fn decide, void *decide_ctx, tsjail_record_fn record, void *record_ctx);

/* The one event loop: runs until an event its caller must judge, fills *ev and returns. Meanwhile
 * it answers notifications, takes the listener once the program announces it (the announcing
 * record may carry the program's pidfd; without one the program is jail_pidfd's process), and
 * forwards signals from w->sigfd. */
void tsjail_supervise(struct tsjail_supervisor *s, struct tsjail_watch *w, struct tsjail_event *ev);

/* Close the listener and any pidfd the supervisor holds. */
void tsjail_supervisor_close(struct tsjail_supervisor *s);

/* CLOCK_MONOTONIC in ms. */
long tsjail_now_ms(void);

#ifdef __cplusplus
}
#endif
#endif
