/* Resource-limit step of the jail.
 *
 * HOW TO CALL (runtime core):
 *   parent, before clone: tsjail_rlimits_from_js() (native/addon/fs_spec.h) fills a
 *   struct tsjail_rlimits; the TS layer has already resolved RLIMIT_* names to numbers.
 *   child: after mounts and hostname, BEFORE dropping ids/caps (raising a hard limit needs
 *   CAP_SYS_RESOURCE, which a privileged jail loses with its caps):
 *       int idx; int err = tsjail_rlimits_apply(&rl, &idx);
 *       if (err) report {step: "rlimits", errno: err}; _exit.
 *   Or parent side on the waiting child: tsjail_rlimits_apply_to(pid, &rl, &idx) (prlimit),
 *   as minijail does. Either way the limits are in place before exec.
 * Note: root on the development VM lacks CAP_SYS_RESOURCE, so a hard limit above the
 * current one fails with EPERM there; lowering always works.
 *
 * RLIMIT_NOFILE caveat: once a low NOFILE soft limit is in place, every fd the child still
 * has to open (Landlock's O_PATH fds and ruleset, F_DUPFD in close-fds) must fit below it,
 * and the child inherits the parent's many fds (Node has ~20-30 open), so e.g. NOFILE 20
 * fails a later step with EMFILE. Call it in two phases instead of tsjail_rlimits_apply:
 *     tsjail_rlimits_apply_phase(&rl, TSJAIL_RLIMITS_EARLY, &idx)  // here: all but NOFILE
 *     ... ids, caps, NNP, Landlock, close-fds ...
 *     tsjail_rlimits_apply_phase(&rl, TSJAIL_RLIMITS_NOFILE, &idx) // last, before seccomp
 * Lowering NOFILE needs no capability; raising its hard limit then needs CAP_SYS_RESOURCE
 * in the jail's final credentials.
 */
#ifndef TSJAIL_JAIL_RLIMITS_H
#define TSJAIL_JAIL_RLIMITS_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TSJAIL_RLIMITS_MAX 32
/* RLIM_INFINITY as carried in the struct (same value as the kernel's). */
#define TSJAIL_RLIM_INFINITY (~(uint64_t)0)

struct tsjail_rlimit {
  int resource;  /* RLIMIT_* number */
  uint64_t soft; /* or TSJAIL_RLIM_INFINITY */
  uint64_t hard;
};

struct tsjail_rlimits {
  unsigned n;
  struct tsjail_rlimit items[TSJAIL_RLIMITS_MAX];
};

/* Child side: setrlimit() each item in order. 0 or errno; *failed_index = item. */
int tsjail_rlimits_apply(const struct tsjail_rlimits *rl, int *failed_index);

enum tsjail_rlimits_phase {
  TSJAIL_RLIMITS_EARLY = 1,  /* every item except RLIMIT_NOFILE */
  TSJAIL_RLIMITS_NOFILE = 2  /* only RLIMIT_NOFILE items */
};

/* Child side: the items of one phase, in order. 0 or errno; *failed_index = item. */
int tsjail_rlimits_apply_phase(const struct tsjail_rlimits *rl, enum tsjail_rlimits_phase phase,
                               int *failed_index);

/* Parent side: prlimit(pid, ...) each item. 0 or errno. */
int tsjail_rlimits_apply_to(pid_t pid, const struct tsjail_rlimits *rl, int *failed_index);

#ifdef __cplusplus
}
#endif

#endif
