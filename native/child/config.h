/* The child side's input and entry points: struct tsjail_config is what the parent builds
 * before clone and the cloned child reads between clone and exec (tsjail_child_main) and in
 * the pid-1 init (tsjail_init_run). Everything in native/child/ runs there: no allocation,
 * no stdio, only syscalls (docs/architecture.md, "The child side and the parent side").
 */
#ifndef TSJAIL_CHILD_CONFIG_H
#define TSJAIL_CHILD_CONFIG_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/records.h"
#include "../common/steps.h"
#include "landlock.h"
#include "mounts.h"
#include "rlimits.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The byte the parent writes on the sync pipe before closing it: EOF without it means the
 * parent died. */
#define TSJAIL_SYNC_GO 'g'

/* How the init starts the program (child.c says why; launch.c decides which). */
enum tsjail_program_start {
  TSJAIL_PROGRAM_SHARED = 0,          /* vfork-style, in the init's memory, made not dumpable first */
  TSJAIL_PROGRAM_SHARED_DUMPABLE = 1, /* the same, not dumpable only once the program has exec'ed */
  TSJAIL_PROGRAM_FORK = 2             /* a fork; the init turns not dumpable in its set-up */
};

/* The child's input. The parent builds it (native/parent/launch.c) from a decoded jail plus its
 * own decisions and fds; the child only reads it. */
struct tsjail_config {
  /* What to exec: the path resolved when the jail was made; NULL-terminated arrays. */
  const char *path;
  const char *const *argv;
  const char *const *envp;
  const char *cwd; /* or NULL */

  unsigned long clone_flags;  /* CLONE_NEW* */
  int with_init;              /* pid namespace with tsjail's init as pid 1 */
  enum tsjail_program_start program_start; /* how the init starts the program (below) */
  /* The launcher's argv and environment strings ([start, end) in our memory, a copy of the
   * launcher's), blanked in the init: its /proc/1/cmdline and environ are the jail's to read. */
  unsigned long launcher_args[2], launcher_env[2];
  const char *hostname;       /* or NULL */
  int loopback;               /* bring lo up (new net namespace) */

  /* Identity. */
  int set_gid, set_uid;
  gid_t gid;
  uid_t uid;
  int set_groups;
  const gid_t *groups;
  size_t n_groups;

  /* Capabilities (only when caps_set). */
  int caps_set;
  uint64_t caps_keep, caps_bounding;
  int caps_ambient;
  int securebits;             /* -1 = leave */
  int cap_last_cap;           /* the running kernel's, read by the parent */

  int no_new_privs;

  /* What every jail gets unless its spec says otherwise (decided by the parent at launch). */
  int new_session;            /* setsid(): no controlling terminal, so no TIOCSTI into the caller's */
  int new_session_keyring;    /* a fresh anonymous session keyring instead of the launcher's */
  int no_core_dumps;          /* RLIMIT_CORE 0/0 (the spec sets no core limit of its own) */
  unsigned long default_nproc; /* RLIMIT_NPROC ceiling in a user namespace, or 0 */
  int fresh_proc;             /* the runtime's own mount namespace: a /proc of the jail's pid namespace */
  int parent_pidfd;           /* the launcher's pidfd: PDEATHSIG is set, then this says whether it
                                 is already too late (the launcher exited first), or -1 */

  /* Seccomp: the program installed before exec (the exact filter, or the gate in preload mode). */
  struct sock_fprog filter;
  unsigned filter_flags;      /* SECCOMP_FILTER_FLAG_* */
  int filter_listener;        /* install with NEW_LISTENER; the parent's supervisor takes it */
  int listener_fd;            /* the fd number the listener will get (computed by the parent) */

  /* Fds. The parent made all of these O_CLOEXEC. */
  int stdio_src[3];           /* dup'd onto 0, 1, 2 in the program */
  int sync_rd;                /* child blocks until TSJAIL_SYNC_GO and EOF: the parent finished its part */
  int sync_wr;                /* the parent's end, closed first thing in the child */
  int status_wr;              /* the status socket (SOCK_SEQPACKET): records; EOF = exec (or preload done) */
  int status_keep;            /* preload mode: status_wr survives exec (the preload closes it) */
  int state_fd;               /* preload mode: memfd with the exact filter, or -1 */
  int report_wr;              /* init -> parent exit report, or -1 */
  const int *keep_fds;        /* sorted: 0-2, preserved fds, and the runtime fds the program keeps */
  size_t n_keep_fds;
  const int *preserve_fds;    /* user's preserved fds (CLOEXEC cleared in the child) */
  size_t n_preserve_fds;

  /* The fs/resources steps (mounts.h, rlimits.h, landlock.h). */
  const struct tsjail_fs *fs;
  const struct tsjail_rlimits *rlimits;
  const struct tsjail_landlock *landlock;
};

/* The clone entry point (arg = const struct tsjail_config *). Never returns on success
 * (execve); on failure writes a tsjail_record to status_wr and _exits 127. */
int tsjail_child_main(void *arg);

/* pid 1 of the jail's pid namespace (init.c): reaps, forwards signals to `program`, reports
 * its exit on report_wr and exits with its status. */
void tsjail_init_run(const struct tsjail_config *cfg, pid_t program) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif
#endif /* TSJAIL_CHILD_CONFIG_H */
