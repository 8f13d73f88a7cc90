/* Landlock step (child side). See landlock.h.
 *
 * Constants and syscall numbers are carried here because Debian 12's UAPI headers (6.1)
 * stop at ABI 2. The numbers come from include/uapi/linux/landlock.h and the unified
 * syscall table (444-446 on every architecture). */
#define _GNU_SOURCE
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TSJAIL_NR_landlock_create_ruleset 444
#define TSJAIL_NR_landlock_add_rule 445
#define TSJAIL_NR_landlock_restrict_self 446

#define LL_CREATE_RULESET_VERSION (1u << 0)
#define LL_RULE_PATH_BENEATH 1

#define LL_FS_EXECUTE (1ull << 0)
#define LL_FS_WRITE_FILE (1ull << 1)
#define LL_FS_READ_FILE (1ull << 2)
#define LL_FS_READ_DIR (1ull << 3)
#define LL_FS_REMOVE_DIR (1ull << 4)
#define LL_FS_REMOVE_FILE (1ull << 5)
#define LL_FS_MAKE_CHAR (1ull << 6)
#define LL_FS_MAKE_DIR (1ull << 7)
#define LL_FS_MAKE_REG (1ull << 8)
#define LL_FS_MAKE_SOCK (1ull << 9)
#define LL_FS_MAKE_FIFO (1ull << 10)
#define LL_FS_MAKE_BLOCK (1ull << 11)
#define LL_FS_MAKE_SYM (1ull << 12)
#define LL_FS_REFER (1ull << 13)     /* ABI 2 */
#define LL_FS_TRUNCATE (1ull << 14)  /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ull << 15) /* ABI 5 */

#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ull << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ull << 1)               /* ABI 6 */
#define LL_ABI_SCOPES 6

/* What the read-only default handles: every right that changes the filesystem. */
#define LL_FS_CHANGE_RIGHTS                                                                                  \
  (LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR | LL_FS_MAKE_REG | \
   LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO | LL_FS_MAKE_BLOCK | LL_FS_MAKE_SYM | LL_FS_REFER | LL_FS_TRUNCATE)

/* Rights that make sense on a file (landlock_add_rule refuses others on a non-directory). */
#define LL_FS_FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

/* The ABI 6 layout; older kernels take a prefix of it (the size passed says how much). */
struct ll_ruleset_attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net; /* ABI 4; never handled: networking is not Landlock's job here */
  uint64_t scoped;             /* ABI 6 */
};

struct ll_path_beneath_attr {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));

int tsjail_landlock_abi(void) {
  long abi = syscall(TSJAIL_NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
  if (abi < 0) return -errno;
  return (int)abi;
}

uint64_t tsjail_landlock_fs_rights(int abi) {
  if (abi < 1) return 0;
  uint64_t rights = (LL_FS_MAKE_SYM << 1) - 1; /* ABI 1: EXECUTE .. MAKE_SYM */
  if (abi >= 2) rights |= LL_FS_REFER;
  if (abi >= 3) rights |= LL_FS_TRUNCATE;
  if (abi >= 5) rights |= LL_FS_IOCTL_DEV;
  return rights;
}

uint64_t tsjail_landlock_class_rights(enum tsjail_landlock_class cls, int is_dir, uint64_t handled) {
  uint64_t r = LL_FS_READ_FILE | LL_FS_READ_DIR;
  switch (cls) {
  case TSJAIL_LANDLOCK_RO:
    break;
  case TSJAIL_LANDLOCK_RX:
    r |= LL_FS_EXECUTE;
    break;
  case TSJAIL_LANDLOCK_RW:
    /* Everything needed to edit a tree, but not execute, and no device nodes
     * (MAKE_CHAR/MAKE_BLOCK). IOCTL_DEV so a terminal or device under a rw path works. */
    r |= LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_DIR | LL_FS_MAKE_REG |
         LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO | LL_FS_MAKE_SYM | LL_FS_REFER | LL_FS_TRUNCATE |
         LL_FS_IOCTL_DEV;
    break;
  default:
    return 0;
  }
  if (!is_dir) r &= LL_FS_FILE_RIGHTS;
  return r & handled;
}

int tsjail_landlock_makes_domain(const struct tsjail_landlock *ll, int abi) {
  /* Scopes alone are the runtime's default, not a request: a kernel without them (no Landlock,
   * or ABI < 6) runs the jail without them (docs/runtime.md, "Threat model"). Rules asked for
   * make one or fail closed (tsjail_landlock_apply). */
  return ll->enabled || (ll->scopes && abi >= LL_ABI_SCOPES) || (ll->read_only && abi >= 1);
}

int tsjail_landlock_apply(const struct tsjail_landlock *ll, int *failed_rule) {
  *failed_rule = -1;
  if (!ll->enabled && !ll->scopes && !ll->read_only) return 0;
  if (ll->n_rules > TSJAIL_LANDLOCK_RULES_CAP) return E2BIG;

  int abi = tsjail_landlock_abi();
  if (!tsjail_landlock_makes_domain(ll, abi)) return 0;
  if (abi < 0) return -abi;
  int scoped = ll->scopes && abi >= LL_ABI_SCOPES;
  int read_only = !ll->enabled && ll->read_only && abi >= 1;

  /* Handle every filesystem right this ABI knows, so nothing unlisted stays allowed; rights
   * of newer ABIs would make landlock_create_ruleset fail with EINVAL on older kernels. A
   * scopes-only domain handles no filesystem right: it restricts signals and abstract unix
   * sockets to the jail and leaves files alone. */
  struct ll_ruleset_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.handled_access_fs = ll->enabled ? tsjail_landlock_fs_rights(abi)
                          : read_only ? tsjail_landlock_fs_rights(abi) & LL_FS_CHANGE_RIGHTS : 0;
  if (scoped) attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
  size_t attr_size = scoped ? sizeof attr : sizeof attr.handled_access_fs;
  int rfd = (int)syscall(TSJAIL_NR_landlock_create_ruleset, &attr, attr_size, 0);
  if (rfd < 0) return errno;

  int err = 0;
  for (unsigned i = 0; i < ll->n_rules; i++) {
    const struct tsjail_landlock_rule *rule = &ll->rules[i];
    int fd = open(rule->path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
      err = errno;
      *failed_rule = (int)i;
      break;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      err = errno;
      close(fd);
      *failed_rule = (int)i;
      break;
    }
    struct ll_path_beneath_attr pb;
    pb.allowed_access = tsjail_landlock_class_rights(rule->cls, S_ISDIR(st.st_mode), attr.handled_access_fs);
    pb.parent_fd = fd;
    if (syscall(TSJAIL_NR_landlock_add_rule, rfd, LL_RULE_PATH_BENEATH, &pb, 0) != 0) {
      err = errno;
      close(fd);
      *failed_rule = (int)i;
      break;
    }
    close(fd);
  }
  /* The read-only default still writes to /dev/null, a terminal, /dev/shm. Without a /dev
   * (a new root that has none) there is nothing to allow. */
  int dev = read_only ? open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  if (dev >= 0) {
    struct ll_path_beneath_attr pb;
    pb.allowed_access = attr.handled_access_fs;
    pb.parent_fd = dev;
    if (!err && syscall(TSJAIL_NR_landlock_add_rule, rfd, LL_RULE_PATH_BENEATH, &pb, 0) != 0) err = errno;
    close(dev);
  }
  if (!err && syscall(TSJAIL_NR_landlock_restrict_self, rfd, 0) != 0) err = errno;
  close(rfd);
  return err;
}
