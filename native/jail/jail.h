/* The jail runtime's plain-C core: the configuration the parent builds before clone, and the
 * code that runs in the cloned child between clone and exec (tsjail_child_main), in the pid-1
 * init (tsjail_init_run) and in the seccomp supervisor. Nothing here allocates or uses stdio
 * on the child side; napi.h is never included (docs/architecture.md). See docs/runtime.md.
 */
#ifndef TSJAIL_JAIL_H
#define TSJAIL_JAIL_H

#include <linux/filter.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "landlock.h"
#include "mounts.h"
#include "rlimits.h"
#include "steps.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSJAIL_MAX_KEEP_FDS 256

/* One record on the status pipe (child/preload -> parent). A pipe write of 16 bytes is
 * atomic, so records never interleave. step = a tsjail_step, or one of the codes below. */
struct tsjail_record {
  int32_t step;
  int32_t err;    /* errno, or a detail value for the special codes */
  int32_t phase;  /* fs phase (tsjail_fs_phase) for "mounts"/"root", else 0 */
  int32_t index;  /* failing mount/rule/rlimit index, or -1 */
};
/* The preload library read its state and is about to install the exact filter. */
#define TSJAIL_RECORD_PRELOAD_ACK 1000

/* Init -> parent: how the program ended (written once, just before the init exits). */
struct tsjail_exit_report {
  int32_t code;         /* exit code, or -1 */
  int32_t signal;       /* terminating signal, or 0 */
  int32_t violation_nr; /* syscall stopped by the filter, or -1 */
  int32_t pad;
};

struct tsjail_config {
  /* What to exec: path resolved by the parent, NULL-terminated arrays built by the parent. */
  const char *path;
  char *const *argv;
  char *const *envp;
  const char *cwd; /* or NULL */

  unsigned long clone_flags;  /* CLONE_NEW* */
  int with_init;              /* pid namespace with tsjail's init as pid 1 */
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
  int securebits; /* -1 = leave */
  int cap_last_cap;           /* filled by tsjail_launch */

  int no_new_privs;

  /* Seccomp: the program installed before exec (the exact filter, or the gate in preload mode). */
  struct sock_fprog filter;
  unsigned filter_flags;     /* SECCOMP_FILTER_FLAG_* */
  int filter_listener;       /* install with NEW_LISTENER; the supervisor takes fd listener_fd */
  int listener_fd;           /* the fd number the listener will get (computed by the parent) */

  /* Fds. The parent made all of these O_CLOEXEC. */
  int stdio_src[3];          /* dup'd onto 0, 1, 2 in the program */
  int sync_rd;               /* child blocks until EOF: the parent finished its part */
  int sync_wr;               /* the parent's end, closed first thing in the child */
  int status_wr;             /* tsjail_record on failure; EOF = exec (or preload done) */
  int status_keep;           /* preload mode: status_wr survives exec (the preload closes it) */
  int state_fd;              /* preload mode: memfd with the exact filter, or -1 */
  int release_rd;            /* program waits for EOF after installing a listener filter, or -1 */
  int release_wr;            /* the init's end of it, or -1 */
  int report_wr;             /* init -> parent exit report, or -1 */
  const int *keep_fds;       /* sorted: 0-2, preserved fds, and the runtime fds the program keeps */
  size_t n_keep_fds;
  const int *preserve_fds;   /* user's preserved fds (CLOEXEC cleared in the child) */
  size_t n_preserve_fds;

  /* The fs/resources steps (native/jail/{mounts,rlimits,landlock}.h). */
  const struct tsjail_fs *fs;
  const struct tsjail_rlimits *rlimits;
  const struct tsjail_landlock *landlock;
};

/* Child side: the clone entry point (arg = const struct tsjail_config *). Never returns on
 * success (execve); on failure writes a tsjail_record to status_wr and _exits 127. */
int tsjail_child_main(void *arg);

/* Child side (the program and the init): close every fd not in `keep` (sorted ascending),
 * with close_range and a loop fallback before Linux 5.9. 0 or errno. Async-signal-safe. */
int tsjail_close_fds_except(const int *keep, size_t n);

/* Init side: pid 1 of the jail's pid namespace; supervises `program` until it exits. */
void tsjail_init_run(const struct tsjail_config *cfg, pid_t program) __attribute__((noreturn));

/* Supervisor (init, or the parent without an init): take the program's listener fd with
 * pidfd_getfd, retrying until the program has installed its filter. Returns the fd, or
 * -errno (ESRCH: the program died first). Then closes release_wr so the program continues. */
int tsjail_take_listener(int program_pidfd, int listener_fd, int release_wr);

/* Supervisor: handle one notification on `listener`: SIGKILL the notifying process (the
 * syscall never runs) and return the syscall number, or -1 when nothing was pending. */
int tsjail_handle_notification(int listener);

/* Parent: a copy of `prog` with every RET SECCOMP_RET_KILL_PROCESS turned into `action`,
 * optionally prefixed by `prefix` (a ready block that falls through to the policy). Writes at
 * most cap instructions to out; returns the count, or -1 when it would not fit. */
int tsjail_filter_rewrite(const struct sock_filter *prog, size_t n, uint32_t action,
                          const struct sock_filter *prefix, size_t n_prefix,
                          struct sock_filter *out, size_t cap);
/* Parent: the gate block: on this arch, allow each of `nrs` unconditionally, write only to
 * status_fd, openat/open only without write/create flags; else fall through to whatever
 * follows. Returns the count written, or -1. */
int tsjail_filter_gate_prefix(const uint32_t *nrs, size_t n, int status_fd, struct sock_filter *out,
                              size_t cap);
/* Parent: a block allowing exactly `nr(arg0 == fd)` on this arch, else fall through. */
int tsjail_filter_fd_exception(uint32_t nr, int fd, struct sock_filter *out, size_t cap);
/* Parent: the exact filter the preload installs when violations are reported, fail-closed
 * (docs/runtime.md, "Violations"): close(status_fd) allowed, then the gate's own test
 * (`nrs`, status_fd) as a dispatch. A call the gate allows without asking the policy goes to a
 * copy of the policy whose kill verdicts stay KILL_PROCESS: only this filter can deny it, so
 * the kernel kills (unnamed). Any other call, and any other arch, goes to a copy with TRACE:
 * the gate runs the same policy on it, and the gate's USER_NOTIF outranks TRACE, so the
 * supervisor names it. (TRACE alone would let a loader-set call fail with ENOSYS, no tracer,
 * and the program carry on.) The policy's user-notify verdicts count as kill verdicts. If the
 * two copies exceed BPF_MAXINSNS, one KILL_PROCESS copy instead (every denial an unnamed kernel
 * kill). Returns the count, or -1 when even one copy does not fit. */
int tsjail_filter_exact(const struct sock_filter *prog, size_t n, const uint32_t *nrs, size_t n_nrs,
                        int status_fd, struct sock_filter *out, size_t cap);

/* Parent: PT_INTERP of an ELF file into buf: 1 = dynamic (buf set), 0 = static,
 * -2 = not ELF, -errno = unreadable. */
int tsjail_elf_interp(const char *path, char *buf, size_t cap);

/* The audit arch this runtime was built for (AUDIT_ARCH_*). */
uint32_t tsjail_audit_arch(void);

#ifdef __cplusplus
}
#endif
#endif
