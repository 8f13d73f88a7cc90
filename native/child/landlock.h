/* Landlock step of the jail: read-only / read-write / exec path rules.
 *
 * HOW TO CALL (runtime core):
 *   parent, before clone: the jail file reader (native/parent/jailfile.c) fills a
 *   struct tsjail_landlock; the launch copies it and may append a read rule for the preload
 *   library (native/parent/launch.c).
 *   child: AFTER mounts/pivot_root (rule paths are paths inside the jail, opened in the
 *   child with O_PATH|O_CLOEXEC), AFTER no_new_privs (landlock_restrict_self() needs NNP or
 *   CAP_SYS_ADMIN in the current user namespace: security/landlock/syscalls.c), and BEFORE
 *   seccomp (so the filter need not allow the landlock syscalls):
 *       int idx; int err = tsjail_landlock_apply(&ll, &idx);
 *       if (err) report {step: "landlock", errno: err}; _exit.
 *   idx is the failing rule (-1 for ruleset creation / restrict_self).
 *
 * ABI handling: the ABI is probed with LANDLOCK_CREATE_RULESET_VERSION. The ruleset handles
 * every filesystem right the running ABI knows (1: 13 rights, 2: +REFER, 3: +TRUNCATE,
 * 5: +IOCTL_DEV; ABI 4 and 7 add only network/audit rights, which are left unhandled so
 * networking is not affected; ABI 6's scopes are below). Rights a rule class grants are masked to the
 * handled set, and to the file-only rights when the rule path is not a directory.
 * Without Landlock (ENOSYS/EOPNOTSUPP) a spec that asks for rules fails with that errno:
 * the jail never starts with fewer restrictions than requested. Scopes (ABI 6: signals and
 * abstract unix sockets stay inside the domain) are added whenever the kernel has them and
 * the launch asks (ll->scopes), also as a domain of their own without rules. Any domain also
 * keeps the jail from ptracing (or writing /proc/PID/mem of) processes outside it.
 * Constants and syscall numbers are our own: Debian 12's UAPI headers stop at ABI 2.
 */
#ifndef TSJAIL_JAIL_LANDLOCK_H
#define TSJAIL_JAIL_LANDLOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The rules a jail may ask for; the struct has room for the runtime's own read rule for the
 * preload library, added at launch. */
#define TSJAIL_LANDLOCK_RULES_MAX 128
#define TSJAIL_LANDLOCK_RULES_CAP (TSJAIL_LANDLOCK_RULES_MAX + 1)

enum tsjail_landlock_class {
  TSJAIL_LANDLOCK_RO = 1, /* read files, list directories */
  TSJAIL_LANDLOCK_RW = 2, /* RO + write, create, remove, rename, truncate (no execute) */
  TSJAIL_LANDLOCK_RX = 3  /* RO + execute */
};

struct tsjail_landlock_rule {
  enum tsjail_landlock_class cls;
  const char *path; /* absolute path inside the jail */
};

struct tsjail_landlock {
  int enabled; /* 1 when the spec has a landlock section (even with no rules: deny all) */
  /* Scope signals and abstract unix sockets to the jail (ABI 6), with or without rules: the
   * launch's default, so the jail cannot signal or connect to anything outside itself. On
   * a kernel without scopes a jail without rules gets no domain at all. */
  int scopes;
  /* No writes to the filesystem outside /dev (without rules of the spec's own): the runtime's
   * default for a program that stays uid 0 of the host without all of root's capabilities,
   * which still owns, and may write, every root-owned file. Skipped without Landlock. */
  int read_only;
  unsigned n_rules;
  struct tsjail_landlock_rule rules[TSJAIL_LANDLOCK_RULES_CAP];
};

/* The running kernel's Landlock ABI (>= 1), or -errno (ENOSYS, EOPNOTSUPP when disabled). */
int tsjail_landlock_abi(void);

/* Whether tsjail_landlock_apply puts the caller in a Landlock domain on a kernel with this ABI
 * (abi as tsjail_landlock_abi returns it). */
int tsjail_landlock_makes_domain(const struct tsjail_landlock *ll, int abi);

/* The filesystem access rights ABI `abi` can handle (LANDLOCK_ACCESS_FS_* bits). */
uint64_t tsjail_landlock_fs_rights(int abi);

/* The rights a rule class grants on a directory (is_dir) or a file, within `handled`. */
uint64_t tsjail_landlock_class_rights(enum tsjail_landlock_class cls, int is_dir, uint64_t handled);

/* Child side: build the ruleset and restrict the calling thread. 0 or errno. */
int tsjail_landlock_apply(const struct tsjail_landlock *ll, int *failed_rule);

#ifdef __cplusplus
}
#endif

#endif
