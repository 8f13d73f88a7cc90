/* The parent side of a jail launch, in plain C: one implementation shared by the addon
 * (tsjail.node, from Node) and tsjail-exec (from a jail file, without Node).
 *
 * tsjail_launch() runs the whole parent sequence of docs/runtime.md:
 *   prepare (pipes, stdio, the installed filters, the preload memfd and environment, the
 *   kept fds) -> clone3 (all signals blocked) -> id maps -> cgroup -> release the child ->
 *   take the seccomp listener (no init) -> read the status pipe until EOF (exec happened) or
 *   ACK+EOF (preload mode) or a failure record, within the preload timeout.
 * It returns 0 with a running jail, or -1 with {step, errno, detail} after killing and reaping
 * the child and removing its cgroup: the program never runs half-jailed.
 * tsjail_jail_wait() then supervises the jail until it exits (listener, optional time limit,
 * optional signal forwarding) and removes its cgroup.
 *
 * Parent side only: these functions may allocate and block. The child side is child.c.
 */
#ifndef TSJAIL_JAIL_LAUNCH_H
#define TSJAIL_JAIL_LAUNCH_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../child/config.h"
#include "cgroup.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to launch. The caller fills cfg's program, namespace, identity, capability, fs,
 * rlimits and landlock fields (and preserve_fds); tsjail_launch fills the fd fields, the
 * installed filter, the keep set, cap_last_cap and the final environment. */
struct tsjail_launch_spec {
  struct tsjail_config *cfg;
  int userns;                       /* write uid_map/gid_map/setgroups */
  int groups_set;                   /* root may then allow setgroups */
  const char *uid_map, *gid_map;    /* "inside outside count\n" lines (may be "") */

  /* Seccomp: the policy as compiled (n_policy == 0: none). */
  const struct sock_filter *policy;
  size_t n_policy;
  int preload;                      /* gate before exec + exact filter from the preload library */
  int report;                       /* kill verdicts -> listener, violation named */
  int tsync, log;
  const uint32_t *gate_allow;       /* the loader set (preload mode) */
  size_t n_gate_allow;
  const char *preload_library;      /* preload mode */
  int preload_timeout_ms;

  const struct tsjail_cgroup_limits *cgroup_limits; /* or NULL */
  int stdio[3];                     /* fd to dup onto 0-2, or -1 = a new pipe */
};

#define TSJAIL_LAUNCH_DETAIL_MAX (TSJAIL_CG_PATH_MAX + 1024)

struct tsjail_launch_error {
  int step;          /* enum tsjail_step */
  int err;           /* errno */
  int invalid_spec;  /* 1: the spec cannot be built (detail = "field: reason"), nothing forked */
  char detail[TSJAIL_LAUNCH_DETAIL_MAX];
};

/* A running jail. */
struct tsjail_jail {
  pid_t pid;             /* the jail's first process (init or program) */
  int pidfd;             /* open until tsjail_jail_close */
  int report_rd;         /* init's exit report, or -1 */
  int listener;          /* seccomp listener supervised by the waiter, or -1 */
  int violation_nr;      /* a violation already handled during the handshake, or -1 */
  int has_cgroup;
  struct tsjail_cgroup cgroup;
  int stdio_parent[3];   /* parent ends of the pipes made for stdio -1 entries, or -1 */
};

struct tsjail_exit {
  int code;          /* exit code, or -1 */
  int signal;        /* terminating signal, or 0 */
  int violation_nr;  /* syscall the filter stopped, or -1 */
  int timed_out;     /* the deadline passed and the jail was killed */
};

/* The name of a step (steps.h), or "exec" for an unknown code. */
const char *tsjail_step_name(int step);

/* 0 = running (*jail filled; the caller owns jail->stdio_parent), -1 = failed (*error filled,
 * nothing left running). */
int tsjail_launch(const struct tsjail_launch_spec *spec, struct tsjail_jail *jail,
                  struct tsjail_launch_error *error);

/* Wait for the jail to exit, supervising its listener. deadline_ms: CLOCK_MONOTONIC ms after
 * which the jail's first process gets SIGKILL (its init takes the pid namespace with it), or
 * -1. sigfd: a signalfd whose signals are forwarded to the jail, or -1. Closes the listener
 * and report fds and removes the cgroup; the pidfd stays open (tsjail_jail_close). */
void tsjail_jail_wait(struct tsjail_jail *jail, long deadline_ms, int sigfd, struct tsjail_exit *out);

/* Close the pidfd (after the exit has been delivered, so a kill can never hit a reused pid). */
void tsjail_jail_close(struct tsjail_jail *jail);

/* CLOCK_MONOTONIC in ms. */
long tsjail_now_ms(void);

#ifdef __cplusplus
}
#endif
#endif
