/* What a launch adds to the jail's filesystem step beyond the spec (parent side, before clone).
 * Each item closes a way a program could turn the jail's mounts or cgroups against the host:
 *
 * - Bind sources are opened here, walking one component at a time, and a symlink on the way is
 *   followed only when it belongs to root or to the launching user. A directory the jail's
 *   user could write (a data directory an earlier jail had bound) may hold a link planted by
 *   that jail: the launcher, still privileged, would otherwise bind whatever it points to. The
 *   child opens the source again and binds it only if it is the object found here (device
 *   and inode), so a link swapped in afterwards is refused too.
 * - A bind of the host's /proc into a jail with its own pid namespace becomes a fresh procfs
 *   of that namespace: the host's would show every host process (command lines, environments,
 *   /proc/PID/root of the jail's own uid). Under a new root such a bind gets a pid namespace.
 * - With cgroup limits, the jail gets a mount namespace (if it had none) and a cgroup
 *   namespace, and every cgroup hierarchy in it is covered by an empty read-only tmpfs: in
 *   cgroup v1 a uid-0 jail without capabilities, or a jail of the user a cgroup was delegated
 *   to, could otherwise write its pid into a cgroup.procs above its own.
 * - A new root and CAP_DAC_READ_SEARCH (outside a user namespace) are refused together:
 *   open_by_handle_at opens any file of a filesystem by its handle, and a handle can be
 *   guessed from a directory the jail sees (the "shocker" escape), whatever the root is.
 * - In a user namespace with a mount namespace, CAP_SYS_ADMIN leaves the bounding set unless
 *   the spec names the capabilities itself: root of the user namespace could unmount what the
 *   launcher mounted and uncover the host mounts beneath (the kernel locks them, it does not
 *   hide them). */
#define _GNU_SOURCE
#include "fs_harden.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* CAP_DAC_READ_SEARCH: open_by_handle_at(2) needs it in the initial user namespace. */
#define CAP_DAC_READ_SEARCH_BIT (1ULL << 2)

/* The kernel's own limit on symlinks in one lookup. */
#define MAX_LINKS 40

/* An O_PATH fd for path, resolved one component at a time; a symlink is followed only when
 * it belongs to root or to us (fs.protected_symlinks' idea, applied to the launcher). */
static int open_bind_source(const char *path, int *out, char *detail, size_t cap) {
  *out = -1;
  char *todo = strdup(path);
  if (!todo) return ENOMEM;
  int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int err = dir < 0 ? errno : 0;
  int links = 0;
  char *rest = todo;
  uid_t me = geteuid();
  while (!err) {
    while (*rest == '/') rest++;
    if (!*rest) break;
    char *end = strchr(rest, '/');
    char *after = end ? end + 1 : rest + strlen(rest);
    if (end) *end = '\0';
    int next = openat(dir, rest, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      err = errno;
      snprintf(detail, cap, "bind source %s: %s", path, rest);
      break;
    }
    struct stat st;
    if (fstat(next, &st) != 0) {
      err = errno;
      close(next);
      break;
    }
    if (!S_ISLNK(st.st_mode)) {
      close(dir);
      dir = next;
      rest = after;
      continue;
    }
    if (st.st_uid != 0 && st.st_uid != me) {
      err = ELOOP;
      snprintf(detail, cap, "bind source %s: %s is a symlink of uid %u, not followed (only root's or the launching user's are)",
               path, rest, (unsigned)st.st_uid);
      close(next);
      break;
    }
    char target[PATH_MAX];
    ssize_t n = readlinkat(next, "", target, sizeof target - 1);
    close(next);
    if (n < 0 || ++links > MAX_LINKS) {
      err = n < 0 ? errno : ELOOP;
      snprintf(detail, cap, "bind source %s", path);
      break;
    }
    target[n] = '\0';
    char *joined = NULL;
    if (asprintf(&joined, "%s/%s", target, after) < 0) {
      err = ENOMEM;
      break;
    }
    free(todo);
    todo = rest = joined;
    if (target[0] == '/') {
      close(dir);
      if ((dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) err = errno;
    }
  }
  free(todo);
  if (err) {
    if (dir >= 0) close(dir);
    if (!detail[0]) snprintf(detail, cap, "bind source %s", path);
    return err;
  }
  *out = dir;
  return 0;
}

int tsjail_fs_harden(struct tsjail_fs *fs, unsigned long *clone_flags, const struct tsjail_fs_harden_input *in,
                     char *detail, size_t cap) {
  detail[0] = '\0';
  for (unsigned i = 0; i < fs->n_mounts; i++) fs->mounts[i].source_checked = 0;

  if (fs->enabled && fs->root_mode != TSJAIL_ROOT_NONE && !(*clone_flags & CLONE_NEWUSER) && in->caps_set &&
      ((in->caps_keep | in->caps_bounding) & CAP_DAC_READ_SEARCH_BIT)) {
    snprintf(detail, cap, "CAP_DAC_READ_SEARCH with a new root: open_by_handle_at reaches files outside the root");
    return EPERM;
  }

  if (in->cgroup_limits) {
    /* The jail must be unable to leave its cgroup: that takes a mount namespace to cover the
     * hierarchies in, which root can always make and anyone can inside a user namespace. */
    if (!(*clone_flags & CLONE_NEWNS)) {
      if (geteuid() != 0 && !(*clone_flags & CLONE_NEWUSER)) {
        snprintf(detail, cap, "cgroup limits without a user namespace: the jail could move itself out of its cgroup "
                              "(run it in a user namespace)");
        return EPERM;
      }
      *clone_flags |= CLONE_NEWNS;
    }
    /* A mount namespace the runtime added itself (the default pid namespace's fresh /proc)
     * has no mount work of the spec's: the cover needs the mount steps to run there too. */
    if (!fs->enabled) {
      fs->enabled = 1;
      fs->in_new_mount_ns = 1;
      fs->propagation = TSJAIL_PROPAGATION_PRIVATE;
    }
    fs->cgroup_ns = 1;
    fs->hide_cgroupfs = 1;
  }

  /* The host's /proc under a new root, without a pid namespace, leads out of the root:
   * /proc/PID/root of any host process of the jail's uid is that process's root directory.
   * The jail gets a pid namespace (root can always make one, anyone inside a user namespace),
   * and the bind becomes the fresh procfs of that namespace (below). */
  if (fs->enabled && fs->root_mode != TSJAIL_ROOT_NONE && !(*clone_flags & CLONE_NEWPID)) {
    for (unsigned i = 0; i < fs->n_mounts; i++) {
      const struct tsjail_mount *m = &fs->mounts[i];
      if (m->kind != TSJAIL_MOUNT_BIND || strcmp(m->source, "/proc")) continue;
      if (geteuid() != 0 && !(*clone_flags & CLONE_NEWUSER)) {
        snprintf(detail, cap, "the host's /proc under a new root, without a pid namespace, leads out of the root "
                              "(/proc/PID/root): run the jail in a pid or user namespace");
        return EPERM;
      }
      *clone_flags |= CLONE_NEWPID;
      break;
    }
  }

  for (unsigned i = 0; i < fs->n_mounts; i++) {
    struct tsjail_mount *m = &fs->mounts[i];
    if (m->kind != TSJAIL_MOUNT_BIND) continue;
    if ((*clone_flags & CLONE_NEWPID) && !strcmp(m->source, "/proc")) {
      m->kind = TSJAIL_MOUNT_PROC;
      m->read_only = !m->writable;
      m->source = NULL;
      continue;
    }
    int fd = -1;
    char why[TSJAIL_FS_PATH_MAX];
    why[0] = '\0';
    int err = open_bind_source(m->source, &fd, why, sizeof why);
    if (err) {
      snprintf(detail, cap, "mount #%u: %s", i, why);
      return err;
    }
    struct stat st;
    err = fstat(fd, &st) != 0 ? errno : 0;
    close(fd);
    if (err) {
      snprintf(detail, cap, "mount #%u: bind source %s", i, m->source);
      return err;
    }
    m->source_checked = 1;
    m->source_dev = (unsigned long long)st.st_dev;
    m->source_ino = (unsigned long long)st.st_ino;
  }

  fs->drop_sys_admin = (*clone_flags & CLONE_NEWUSER) && (*clone_flags & CLONE_NEWNS) && !in->caps_set;
  return 0;
}
