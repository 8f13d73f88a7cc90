/* The parent side of a jail: one implementation for the addon (tsjail.node, from Node) and
 * tsjail-exec (without Node). Both decode a jail file (jailfile.h) and hand it here.
 *
 * tsjail_launch() runs the parent's stages of docs/runtime.md: decide (the seccomp mode from
 * the program, the runtime's own additions) -> channels -> filters -> preload state -> the
 * fds the child keeps -> clone3 -> id maps and cgroup -> release the child -> the handshake
 * (status records, taking the listener, letting the first execve through, the preload's
 * acknowledgement), served by the supervisor's event loop (supervise.h). It returns 0 with a
 * running jail, or -1 with {step, errno, detail} after killing and reaping the child and
 * removing its cgroup: the program never runs half-jailed.
 * tsjail_jail_wait() then runs the same loop until the jail exits (notifications, the time
 * limit, forwarded signals) and removes its cgroup.
 *
 * Parent side only: these functions may allocate and block. The child side is native/child/.
 */
#ifndef TSJAIL_PARENT_LAUNCH_H
#define TSJAIL_PARENT_LAUNCH_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "jailfile.h"
#include "mediate.h"
#include "supervise.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSJAIL_LAUNCH_DETAIL_MAX (TSJAIL_CG_PATH_MAX + 1024)

struct tsjail_launch_error {
  int step; /* enum tsjail_step */
  int err;  /* errno */
  char detail[TSJAIL_LAUNCH_DETAIL_MAX];
  /* A call the policy denies killed the jail in the preload window (step preload): the call,
   * as for tsjail_exit.violation; has_violation 0 otherwise. */
  int has_violation;
  struct seccomp_data violation;
  uint32_t violation_ret;
};

/* A running jail. The supervisor points into it: it must not move once launched. */
struct tsjail_jail {
  pid_t pid;             /* the jail's first process (init or program) */
  int pidfd;             /* open until tsjail_jail_close */
  int report_rd;         /* init's exit report, or -1 */
  struct tsjail_cgroup *cgroup; /* the jail's, or NULL (cgroup.h: by pointer, never copied) */
  int stdio_parent[3];   /* parent ends of the pipes made for stdio -1 entries, or -1 */
  struct tsjail_supervisor sup;
  struct tsjail_policy_decider decider;
  struct tsjail_violations violations;
  struct tsjail_window window; /* preload mode: the preload window (decider.window) */
  struct sock_filter *policy; /* the decider's copy of the policy, or NULL */
};

enum tsjail_exit_reason {
  TSJAIL_EXIT_EXITED = 0,    /* the program exited */
  TSJAIL_EXIT_SIGNALED = 1,  /* it (or the init) died of a signal */
  TSJAIL_EXIT_VIOLATION = 2, /* the supervisor killed it for a call the policy denies (violation_nr) */
  TSJAIL_EXIT_TIME_LIMIT = 3, /* the time limit passed and the jail was killed */
  TSJAIL_EXIT_MEMORY_LIMIT = 4 /* killed by the OOM killer of the jail's memory cgroup */
};

struct tsjail_exit {
  int code;          /* exit code, or -1 */
  int signal;        /* terminating signal, or 0 */
  int violation_nr;  /* the first call the supervisor killed for, or -1 */
  enum tsjail_exit_reason reason;
  /* violation_nr >= 0: that call's seccomp_data (nr, arch, ip, the six args, as the kernel
   * gave them) and the policy's verdict for it (SECCOMP_RET_KILL_PROCESS or ..._THREAD...). */
  struct seccomp_data violation;
  uint32_t violation_ret;
};

/* The name of a step (steps.h), or "exec" for an unknown code. */
const char *tsjail_step_name(int step);

/* "exit", "signal", "violation", "time-limit", "memory-limit". */
const char *tsjail_exit_reason_name(enum tsjail_exit_reason reason);

/* 0 = running (*jail filled; the caller owns jail->stdio_parent), -1 = failed (*error filled,
 * nothing left running). stdio[i]: the fd to dup onto i, or -1 for a new pipe. */
int tsjail_launch(const struct tsjail_spec *spec, const int stdio[3], struct tsjail_jail *jail,
                  struct tsjail_launch_error *error);

/* tsjail_launch, then the pid file when the spec names one: both launchers start a jail this
 * way. A pid file that cannot be written kills the jail (step pid-file). */
int tsjail_start(const struct tsjail_spec *spec, const int stdio[3], struct tsjail_jail *jail,
                 struct tsjail_launch_error *error);

/* tsjail_start in two halves, for a caller that must not block until the program runs (the
 * addon: Node's event loop). _begin runs the stages up to and including clone3 (decide,
 * channels, filters, the preload state, the fds the child keeps): -1 = failed, nothing running
 * (*error filled); 0 = the child exists (jail->pid, jail->pidfd) and waits, unreleased, for
 * _finish, which must follow exactly once, on any thread: the id maps and the cgroup, the
 * release, the handshake and the pid file, with tsjail_start's result (error is the pointer
 * given to _begin). spec and error must stay valid until _finish returns. Between the two the
 * child runs none of its own steps past waiting for the release, so killing it (its pidfd)
 * there makes _finish fail and clean up; nothing of the program runs. */
struct tsjail_pending;
int tsjail_start_begin(const struct tsjail_spec *spec, const int stdio[3], struct tsjail_jail *jail,
                       struct tsjail_launch_error *error, struct tsjail_pending **pending);
int tsjail_start_finish(struct tsjail_pending *pending);

/* The deadline (CLOCK_MONOTONIC ms) of a jail started now, or -1 without a time limit. */
long tsjail_deadline_ms(const struct tsjail_spec *spec);

/* How a spec's policy goes in for the program it names (enum tsjail_seccomp_mode: before exec,
 * or through the preload library): the timing asked for, the program's ELF (elf.c), run --log's
 * permissive mode, and for 'auto' whether the policy already allows the loader's calls
 * (loader.c). 0, or an errno with *detail saying why the program cannot be jailed. The launch
 * and --dump both ask here. */
int tsjail_seccomp_mode(const struct tsjail_spec *s, int *mode, char *detail, size_t cap);

/* Wait for the jail to exit, supervising it. deadline_ms: after it the jail's first process
 * gets SIGKILL (its init takes the pid namespace with it), or -1. sigfd: a signalfd whose
 * signals are forwarded to the jail, or -1. Closes the listener and the report fd and removes
 * the cgroup; the pidfd stays open (tsjail_jail_close). */
void tsjail_jail_wait(struct tsjail_jail *jail, long deadline_ms, int sigfd, struct tsjail_exit *out);

/* Close the pidfd (after the exit has been delivered, so a kill can never hit a reused pid)
 * and free what the jail holds. */
void tsjail_jail_close(struct tsjail_jail *jail);

/* "<pid>\n" into path, mode 0644: a new file in path's directory renamed over path, so a
 * symlink at path is replaced, never followed. 0 or errno. */
int tsjail_write_pid_file(const char *path, pid_t pid);

#ifdef __cplusplus
}
#endif
#endif
