/* Resource-limit step of the jail.
 *
 * HOW TO CALL (runtime core):
 *   parent, before clone: the jail file
 *   reader fills a struct tsjail_rlimits; RLIMIT_* names are already numbers.
 *   child, in two phases (child.c):
 *     tsjail_rlimits_apply_phase(&rl, TSJAIL_RLIMITS_EARLY, &idx)  // after mounts, hostname and
 *        loopback, BEFORE dropping ids/caps: raising a hard limit needs CAP_SYS_RESOURCE,
 *        which a privileged jail loses with its caps
 *     ... ids, caps, NNP, Landlock, close-fds ...
 *     tsjail_rlimits_apply_phase(&rl, TSJAIL_RLIMITS_NOFILE, &idx) // right after close-fds
 *   A failure is {step: "rlimits", errno, index: idx}.
 * Why NOFILE waits: the child holds the parent's many fds (Node has ~20-30 open) until
 * close-fds, and every fd it still has to open (Landlock's O_PATH fds and ruleset, F_DUPFD in
 * close-fds) must fit below the soft limit, so e.g. NOFILE 20 applied early fails a later step
 * with EMFILE. Lowering NOFILE needs no capability; raising its hard limit then needs
 * CAP_SYS_RESOURCE in the jail's final credentials.
 * Note: root on the development VM lacks CAP_SYS_RESOURCE, so a hard limit above the
 * current one fails with EPERM there; lowering always works.
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

enum tsjail_rlimits_phase {
  TSJAIL_RLIMITS_EARLY = 1,  /* every item except RLIMIT_NOFILE */
  TSJAIL_RLIMITS_NOFILE = 2  /* only RLIMIT_NOFILE items */
};

/* Child side: the items of one phase, in order. 0 or errno; *failed_index = item. */
int tsjail_rlimits_apply_phase(const struct tsjail_rlimits *rl, enum tsjail_rlimits_phase phase,
                               int *failed_index);

#ifdef __cplusplus
}
#endif

#endif
