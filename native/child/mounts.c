/* Filesystem step (child side): propagation, mounts, pivot_root/chroot. See mounts.h.
 *
 * Runs between clone and exec: no allocation, no stdio; only the parent-built struct,
 * stack buffers and syscalls. Every syscall is checked and its errno returned. */
#define _GNU_SOURCE
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Our own constants: <linux/mount.h> clashes with <sys/mount.h> on glibc 2.36, and the
 * syscall numbers are the same on every architecture (the unified table, >= 424). */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define TSJAIL_OPEN_TREE_CLONE 1u
#define TSJAIL_OPEN_TREE_CLOEXEC O_CLOEXEC
#define TSJAIL_MOVE_MOUNT_F_EMPTY_PATH 0x4u
#define TSJAIL_MOUNT_ATTR_RDONLY 0x1u
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* struct open_how and the RESOLVE_* flags of <linux/openat2.h> (5.6). */
struct tsjail_open_how {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
#define TSJAIL_RESOLVE_NO_MAGICLINKS 0x02u
#define TSJAIL_RESOLVE_IN_ROOT 0x10u

struct tsjail_mount_attr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};

/* statfs f_flags bits (ST_* in <sys/statvfs.h>); statfs, unlike glibc's statvfs fallback,
 * never reads /proc/mounts (which would allocate). */
#define TSJAIL_ST_RDONLY 0x0001
#define TSJAIL_ST_NOSUID 0x0002
#define TSJAIL_ST_NODEV 0x0004
#define TSJAIL_ST_NOEXEC 0x0008
#define TSJAIL_ST_VALID 0x0020

/* statfs f_type of the two cgroup filesystems (<linux/magic.h>), and CAP_SYS_ADMIN. */
#define TSJAIL_CGROUP_SUPER_MAGIC 0x27e0ebL
#define TSJAIL_CGROUP2_SUPER_MAGIC 0x63677270L
#define TSJAIL_CAP_SYS_ADMIN 21

const char *tsjail_fs_phase_name(enum tsjail_fs_phase phase) {
  switch (phase) {
  case TSJAIL_FS_PHASE_PROPAGATION: return "mount-propagation";
  case TSJAIL_FS_PHASE_ROOT: return "mount-root";
  case TSJAIL_FS_PHASE_MOUNTPOINT: return "mount-point";
  case TSJAIL_FS_PHASE_MOUNT: return "mount";
  case TSJAIL_FS_PHASE_REMOUNT: return "mount-remount";
  case TSJAIL_FS_PHASE_PIVOT_ROOT: return "pivot_root";
  case TSJAIL_FS_PHASE_CHROOT: return "chroot";
  case TSJAIL_FS_PHASE_CGROUP_NS: return "cgroup-namespace";
  case TSJAIL_FS_PHASE_CGROUP_HIDE: return "cgroup-hide";
  case TSJAIL_FS_PHASE_CAPS: return "no-sys-admin";
  }
  return "mount";
}

enum tsjail_step tsjail_fs_phase_step(enum tsjail_fs_phase phase) {
  return (phase == TSJAIL_FS_PHASE_ROOT || phase == TSJAIL_FS_PHASE_PIVOT_ROOT || phase == TSJAIL_FS_PHASE_CHROOT)
             ? TSJAIL_STEP_ROOT
             : TSJAIL_STEP_MOUNTS;
}

static int fail(struct tsjail_fs_failure *why, enum tsjail_fs_phase phase, int index, int err) {
  why->phase = phase;
  why->index = index;
  return err ? err : EIO;
}

/* dst = a + b, bounded; ENAMETOOLONG when it does not fit. */
static int path_cat(char *dst, size_t cap, const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la + lb + 1 > cap) return ENAMETOOLONG;
  memmove(dst, a, la); /* dst may be a */
  memcpy(dst + la, b, lb + 1);
  return 0;
}

/* "/proc/self/fd/N" for fd into out: the object the fd holds, by a path mount(2) accepts. No
 * snprintf between clone and exec. */
static int fd_path(int fd, char *out, size_t cap) {
  char digits[12];
  int nd = 0;
  for (unsigned v = (unsigned)fd; nd == 0 || v; v /= 10) digits[nd++] = (char)('0' + v % 10);
  const char *prefix = "/proc/self/fd/";
  size_t lp = strlen(prefix);
  if (lp + (size_t)nd + 1 > cap) return ENAMETOOLONG;
  memcpy(out, prefix, lp);
  for (int i = 0; i < nd; i++) out[lp + (size_t)i] = digits[nd - 1 - i];
  out[lp + (size_t)nd] = '\0';
  return 0;
}

/* Where a bind takes its source from, in out, with *fd to close after the mount (or -1).
 * A source the launch checked (see source_checked) is opened again here, in the jail's mount
 * namespace (a mount of another namespace cannot be bound), and must be the object the launch
 * found: a symlink swapped in since then leads elsewhere and is refused (ESTALE). */
static int bind_source(const struct tsjail_mount *m, int *fd, char *out, size_t cap) {
  *fd = -1;
  if (!m->source_checked) {
    size_t n = strlen(m->source);
    if (n + 1 > cap) return ENAMETOOLONG;
    memcpy(out, m->source, n + 1);
    return 0;
  }
  int got = open(m->source, O_PATH | O_CLOEXEC);
  if (got < 0) return errno;
  struct stat st;
  int err = fstat(got, &st) != 0 ? errno : 0;
  if (!err && ((unsigned long long)st.st_dev != m->source_dev || (unsigned long long)st.st_ino != m->source_ino))
    err = ESTALE;
  if (!err) err = fd_path(got, out, cap);
  if (err) {
    close(got);
    return err;
  }
  *fd = got;
  return 0;
}

/* An O_PATH fd for `target` (a host path below `root`) resolved inside the root, as if the
 * root were "/": symlinks are followed but cannot leave it, /proc magic links are refused. */
static int open_in_root(const char *root, const char *target, int *fd) {
  *fd = -1;
  size_t lr = strlen(root);
  if (strncmp(target, root, lr) != 0 || (target[lr] != '/' && target[lr] != '\0')) return EINVAL;
  const char *rel = target + lr;
  while (*rel == '/') rel++;
  int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return errno;
  struct tsjail_open_how how;
  memset(&how, 0, sizeof(how));
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = TSJAIL_RESOLVE_IN_ROOT | TSJAIL_RESOLVE_NO_MAGICLINKS;
  int got = (int)syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof(how));
  int err = got < 0 ? errno : 0;
  close(rootfd);
  if (err) return err;
  *fd = got;
  return 0;
}

/* Where to mount for `target` (a host path), in `at` (cap bytes), with *fd to close after.
 * Below a new root the target is resolved inside the root, as if the root were "/": a symlink
 * planted there (`etc -> /etc`, `x -> ../../host`) is followed within the root, never out of
 * it (openat2 RESOLVE_IN_ROOT; no /proc magic links), and the mount goes onto the object found,
 * named by its /proc/self/fd link (the child still sees the host's /proc). A path resolves
 * through the mounts already made, so resolving again after a mount names the new mount's top.
 * Without a root the path is the host's own, used as given. */
static int locate(const struct tsjail_fs *fs, const char *target, int *fd, char *at, size_t cap) {
  *fd = -1;
  if (fs->root_mode == TSJAIL_ROOT_NONE) {
    size_t n = strlen(target);
    if (n + 1 > cap) return ENAMETOOLONG;
    memcpy(at, target, n + 1);
    return 0;
  }
  int got = -1;
  int err = open_in_root(fs->root, target, &got);
  if (err) return err;
  if ((err = fd_path(got, at, cap))) {
    close(got);
    return err;
  }
  *fd = got;
  return 0;
}

/* locate() again, after a mount at `target`: *fd is replaced by one naming the new mount. */
static int relocate(const struct tsjail_fs *fs, const char *target, int *fd, char *at, size_t cap) {
  if (*fd >= 0) close(*fd);
  return locate(fs, target, fd, at, cap);
}

/* Make an existing mount read-only. The kernel refuses an unprivileged (user namespace)
 * remount that would clear a locked nosuid/nodev/noexec flag, so those are carried over
 * from the mount as it is. Atime flags are left out on purpose: a MS_REMOUNT without any
 * keeps the mount's current atime mode (fs/namespace.c, path_mount). */
static int remount_ro(const char *target) {
  struct statfs st;
  if (statfs(target, &st) != 0) return errno;
  if (!(st.f_flags & TSJAIL_ST_VALID)) return ENOTSUP;
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
  if (st.f_flags & TSJAIL_ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flags & TSJAIL_ST_NODEV) flags |= MS_NODEV;
  if (st.f_flags & TSJAIL_ST_NOEXEC) flags |= MS_NOEXEC;
  if (mount(NULL, target, NULL, flags, NULL) != 0) return errno;
  return 0;
}

/* Read-only for a whole tree: MS_REMOUNT only touches the top mount, so submounts of a
 * recursive bind would stay writable. mount_setattr (5.12) sets it on all of them; without
 * it we fail rather than leave part of the tree writable. */
static int remount_ro_recursive(const char *target) {
  struct tsjail_mount_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.attr_set = TSJAIL_MOUNT_ATTR_RDONLY;
  if (syscall(SYS_mount_setattr, AT_FDCWD, target, (unsigned)AT_RECURSIVE, &attr, sizeof(attr)) != 0)
    return errno;
  return 0;
}

/* Create a missing mount point below the root, one component at a time with O_NOFOLLOW, so
 * a symlink planted inside the root cannot send a mkdir (made with our privileges) onto the
 * host: such a path fails with ELOOP/ENOTDIR. The final component becomes a directory, or
 * an empty file when as_file (binds of files). */
static int make_mountpoint(const char *root, const char *target, int as_file) {
  struct stat st;
  if (!root) return stat(target, &st) == 0 ? 0 : errno;
  /* Present already, as the jail will see it (symlinks resolved inside the root)? */
  int existing = -1;
  int found = open_in_root(root, target, &existing);
  if (found == 0) {
    close(existing);
    return 0;
  }
  if (found != ENOENT) return found; /* EINVAL too for a target not below the root */
  size_t lr = strlen(root);

  char rel[TSJAIL_FS_PATH_MAX];
  size_t lt = strlen(target + lr);
  if (lt + 1 > sizeof(rel)) return ENAMETOOLONG;
  memcpy(rel, target + lr, lt + 1);

  int dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return errno;
  char *p = rel;
  int err = 0;
  while (*p) {
    while (*p == '/') p++;
    if (!*p) break;
    char *end = p;
    while (*end && *end != '/') end++;
    int last = 1;
    for (char *q = end; *q; q++) {
      if (*q != '/') {
        last = 0;
        break;
      }
    }
    char saved = *end;
    *end = '\0';
    if (p[0] == '.' && (p[1] == '\0' || (p[1] == '.' && p[2] == '\0'))) {
      err = EINVAL; /* the converter normalises paths; refuse rather than climb */
      break;
    }
    if (last && as_file) {
      int fd = openat(dirfd, p, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0) {
        err = errno;
        break;
      }
      close(fd);
      break;
    }
    int next = openat(dirfd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT) {
      if (mkdirat(dirfd, p, 0755) != 0 && errno != EEXIST) {
        err = errno;
        break;
      }
      next = openat(dirfd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (next < 0) {
      err = errno;
      break;
    }
    close(dirfd);
    dirfd = next;
    *end = saved;
    p = end;
  }
  close(dirfd);
  return err;
}

/* A bind of m->source at `at` (see locate; *fd and `at` are renewed to name the new mount
 * before the read-only remount, which must act on it, not on what it covers). */
static int do_bind(const struct tsjail_fs *fs, const struct tsjail_mount *m, int *fd, char *at, size_t cap,
                   int *remount_failed) {
  unsigned long flags = MS_BIND | (m->recursive ? MS_REC : 0);
  char source[32 + TSJAIL_FS_PATH_MAX];
  int source_fd = -1;
  int err = bind_source(m, &source_fd, source, sizeof source);
  if (err) return err;
  err = mount(source, at, NULL, flags, NULL) != 0 ? errno : 0;
  if (source_fd >= 0) close(source_fd);
  if (err) return err;
  if (m->writable) return 0;
  *remount_failed = 1;
  err = relocate(fs, m->target, fd, at, cap);
  if (!err) err = m->recursive ? remount_ro_recursive(at) : remount_ro(at);
  if (err) return err;
  *remount_failed = 0;
  return 0;
}

/* The host devices a minimal /dev exposes. Bound from the host (mknod is not allowed in a
 * user namespace, and nodes on a userns tmpfs would be nodev anyway). */
static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
#define DEV_NODE_COUNT (sizeof(dev_nodes) / sizeof(dev_nodes[0]))

static const char *const dev_links[][2] = {
    {"fd", "/proc/self/fd"},
    {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},
    {"ptmx", "pts/ptmx"},
};
#define DEV_LINK_COUNT (sizeof(dev_links) / sizeof(dev_links[0]))

/* A minimal /dev at `at` (see locate). The host nodes are cloned (open_tree) BEFORE the
 * tmpfs goes on, because with target "/dev" and no new root the tmpfs would hide them. The
 * entries are then made inside the new tmpfs, named afresh through relocate. */
static int do_dev(const struct tsjail_fs *fs, const struct tsjail_mount *m, int *atfd, char *at, size_t cap, int *phase) {
  int trees[DEV_NODE_COUNT];
  char path[TSJAIL_FS_PATH_MAX];
  int err = 0;
  size_t opened = 0;

  *phase = TSJAIL_FS_PHASE_MOUNT;
  for (; opened < DEV_NODE_COUNT; opened++) {
    if ((err = path_cat(path, sizeof(path), "/dev/", dev_nodes[opened]))) goto out;
    int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path, TSJAIL_OPEN_TREE_CLONE | TSJAIL_OPEN_TREE_CLOEXEC);
    if (fd < 0) {
      err = errno;
      goto out;
    }
    trees[opened] = fd;
  }

  if (mount("tmpfs", at, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=65536k") != 0) {
    err = errno;
    goto out;
  }
  if ((err = relocate(fs, m->target, atfd, at, cap))) goto out;
  for (size_t i = 0; i < DEV_NODE_COUNT; i++) {
    if ((err = path_cat(path, sizeof(path), at, "/")) ||
        (err = path_cat(path, sizeof(path), path, dev_nodes[i])))
      goto out;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
      err = errno;
      *phase = TSJAIL_FS_PHASE_MOUNTPOINT;
      goto out;
    }
    close(fd);
    if (syscall(SYS_move_mount, trees[i], "", AT_FDCWD, path, TSJAIL_MOVE_MOUNT_F_EMPTY_PATH) != 0) {
      err = errno;
      goto out;
    }
  }
  for (size_t i = 0; i < DEV_LINK_COUNT; i++) {
    if ((err = path_cat(path, sizeof(path), at, "/")) ||
        (err = path_cat(path, sizeof(path), path, dev_links[i][0])))
      goto out;
    if (symlink(dev_links[i][1], path) != 0) {
      err = errno;
      *phase = TSJAIL_FS_PHASE_MOUNTPOINT;
      goto out;
    }
  }
  /* /dev/shm: world-writable sticky, like the host's (chmod: mkdir is subject to umask). */
  if ((err = path_cat(path, sizeof(path), at, "/shm"))) goto out;
  if (mkdir(path, 01777) != 0 || chmod(path, 01777) != 0) {
    err = errno;
    *phase = TSJAIL_FS_PHASE_MOUNTPOINT;
    goto out;
  }
  /* A private devpts instance: the jail sees only its own ptys. No gid= option, which a
   * user namespace without group 5 mapped would refuse. */
  if ((err = path_cat(path, sizeof(path), at, "/pts"))) goto out;
  if (mkdir(path, 0755) != 0) {
    err = errno;
    *phase = TSJAIL_FS_PHASE_MOUNTPOINT;
    goto out;
  }
  if (mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620") != 0) {
    err = errno;
    goto out;
  }
out:
  for (size_t i = 0; i < opened; i++) close(trees[i]);
  return err;
}

/* Mount fs->mounts[i] at `at` (see locate); 0 or an errno, with the phase in *phase. */
static int mount_one(const struct tsjail_fs *fs, const struct tsjail_mount *m, int *fd, char *at, size_t cap,
                     int *phase) {
  int err;
  *phase = TSJAIL_FS_PHASE_MOUNT;
  switch (m->kind) {
  case TSJAIL_MOUNT_BIND: {
    int remount_failed = 0;
    err = do_bind(fs, m, fd, at, cap, &remount_failed);
    if (err && remount_failed) *phase = TSJAIL_FS_PHASE_REMOUNT;
    return err;
  }
  case TSJAIL_MOUNT_TMPFS:
    return mount("tmpfs", at, "tmpfs", MS_NOSUID | MS_NODEV, m->data) != 0 ? errno : 0;
  case TSJAIL_MOUNT_PROC:
    /* procfs shows the pid namespace of the mounting process: without a new pid namespace
     * this is the host's process list (the kernel allows it and so does tsjail; docs/runtime-fs.md). */
    if (mount("proc", at, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) return errno;
    if (!m->read_only) return 0;
    *phase = TSJAIL_FS_PHASE_REMOUNT;
    if ((err = relocate(fs, m->target, fd, at, cap))) return err;
    return remount_ro(at);
  case TSJAIL_MOUNT_DEV:
    return do_dev(fs, m, fd, at, cap, phase);
  case TSJAIL_MOUNT_GENERIC:
    return mount(m->source, at, m->fstype, m->flags, m->data) != 0 ? errno : 0;
  case TSJAIL_MOUNT_REMOUNT_RO:
    *phase = TSJAIL_FS_PHASE_REMOUNT;
    return remount_ro(at);
  }
  return EINVAL;
}

static int apply_one(const struct tsjail_fs *fs, unsigned i, struct tsjail_fs_failure *why) {
  const struct tsjail_mount *m = &fs->mounts[i];
  int err;
  int as_file = 0;

  if (m->kind == TSJAIL_MOUNT_BIND) {
    struct stat st;
    char source[32 + TSJAIL_FS_PATH_MAX];
    int source_fd = -1;
    if ((err = bind_source(m, &source_fd, source, sizeof source))) return fail(why, TSJAIL_FS_PHASE_MOUNT, (int)i, err);
    err = stat(source, &st) != 0 ? errno : 0;
    if (source_fd >= 0) close(source_fd);
    if (err) return fail(why, TSJAIL_FS_PHASE_MOUNT, (int)i, err);
    as_file = !S_ISDIR(st.st_mode);
  }
  if (m->kind != TSJAIL_MOUNT_REMOUNT_RO) {
    err = make_mountpoint(fs->root_mode != TSJAIL_ROOT_NONE ? fs->root : NULL, m->target, as_file);
    if (err) return fail(why, TSJAIL_FS_PHASE_MOUNTPOINT, (int)i, err);
  }
  char at[TSJAIL_FS_PATH_MAX];
  int fd = -1;
  err = locate(fs, m->target, &fd, at, sizeof(at));
  if (err) return fail(why, TSJAIL_FS_PHASE_MOUNTPOINT, (int)i, err);
  int phase = TSJAIL_FS_PHASE_MOUNT;
  err = mount_one(fs, m, &fd, at, sizeof(at), &phase);
  if (fd >= 0) close(fd);
  return err ? fail(why, (enum tsjail_fs_phase)phase, (int)i, err) : 0;
}

/* If the mountinfo line is a cgroup or cgroup2 mount, its mount point (octal escapes undone)
 * into out and 1; else 0. Fields: id parent dev root POINT options [optional...] - TYPE ... */
static int cgroup_mount_point(char *line, char *out, size_t cap) {
  char *p = line;
  for (int field = 0; field < 4; field++) {
    p = strchr(p, ' ');
    if (!p) return 0;
    p++;
  }
  char *end = strchr(p, ' ');
  char *dash = end ? strstr(end, " - ") : NULL;
  if (!dash) return 0;
  const char *type = dash + 3;
  size_t lt = strcspn(type, " ");
  if (!((lt == 6 && !strncmp(type, "cgroup", 6)) || (lt == 7 && !strncmp(type, "cgroup2", 7)))) return 0;
  size_t o = 0;
  for (char *q = p; q < end; q++) {
    if (o + 1 >= cap) return 0;
    if (q[0] == '\\' && q + 3 < end && q[1] >= '0' && q[1] <= '3' && q[2] >= '0' && q[2] <= '7' && q[3] >= '0' && q[3] <= '7') {
      out[o++] = (char)(((q[1] - '0') << 6) | ((q[2] - '0') << 3) | (q[3] - '0'));
      q += 3;
    } else {
      out[o++] = *q;
    }
  }
  out[o] = '\0';
  return 1;
}

#define TSJAIL_TMPFS_MAGIC 0x01021994
static const char cgroup_root[] = "/sys/fs/cgroup";

/* Cover the cgroup hierarchy mounted at `point`, if that path still shows one: its mount made
 * private first (the cover must not propagate to the host), then an empty read-only tmpfs.
 * The v1 and hybrid layouts mount every hierarchy on a tmpfs at /sys/fs/cgroup: a hierarchy
 * directly below that tmpfs is covered by covering the tmpfs, which puts all of them out of
 * reach at once (two mounts a jail instead of two per hierarchy); the others then fail the
 * statfs below. Hierarchies mounted anywhere else are covered one by one. */
static int cover_cgroup(const char *point, int *covered, int *root_covered) {
  size_t lr = sizeof cgroup_root - 1;
  int under_root = !strncmp(point, cgroup_root, lr) && point[lr] == '/';
  /* Once the tmpfs at /sys/fs/cgroup is covered, nothing below it can be reached (the statfs
   * below would fail): a dozen statfs calls fewer in the v1 and hybrid layouts. */
  if (under_root && *root_covered) return 0;
  struct statfs st;
  if (statfs(point, &st) != 0) return 0; /* under a cover already, or out of reach */
  if (st.f_type != TSJAIL_CGROUP_SUPER_MAGIC && st.f_type != TSJAIL_CGROUP2_SUPER_MAGIC) return 0;
  const char *target = point;
  if (under_root && point[lr + 1] && !strchr(point + lr + 1, '/') && statfs(cgroup_root, &st) == 0 &&
      st.f_type == TSJAIL_TMPFS_MAGIC)
    target = cgroup_root;
  if (mount(NULL, target, NULL, MS_PRIVATE, NULL) != 0) return errno;
  if (mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0555,size=4k") != 0) return errno;
  (*covered)++;
  if (!strcmp(target, cgroup_root)) *root_covered = 1;
  return 0;
}

/* An empty read-only tmpfs over every cgroup hierarchy in this mount namespace. In cgroup v1
 * the files are root's (mode 0644): a uid-0 jail without capabilities, or one whose user was
 * delegated the parent cgroup, could write its pid into a cgroup.procs above its own and
 * leave its limits behind; a cgroup namespace does not stop that in v1. Mounting over a
 * cgroup mount changes the table mountinfo is read from: a table read whole before the first
 * cover is one pass (nothing can be missed in a snapshot); a table read in pieces, with
 * covers in between, is read again in whole passes until one finds nothing left to cover. */
/* Read more of fd into buf[*have, cap): 0 or errno; *eof once the end is reached. */
static int read_more(int fd, char *buf, size_t cap, size_t *have, int *eof) {
  for (;;) {
    ssize_t n = read(fd, buf + *have, cap - *have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) *eof = 1;
    *have += (size_t)n;
    return 0;
  }
}

static int hide_cgroupfs(void) {
  for (int pass = 0; pass < 16; pass++) {
    int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    char buf[16384], point[TSJAIL_FS_PATH_MAX];
    const size_t cap = sizeof buf - 1;
    size_t have = 0;
    int covered = 0, root_covered = 0, err = 0, eof = 0;
    /* Fill the buffer first: a table that fits is a snapshot taken before any cover. */
    while (!err && !eof && have < cap) err = read_more(fd, buf, cap, &have, &eof);
    int whole = eof;
    while (!err) {
      char *start = buf, *nl;
      while (!err && (nl = memchr(start, '\n', (size_t)(buf + have - start)))) {
        *nl = '\0';
        if (cgroup_mount_point(start, point, sizeof point)) err = cover_cgroup(point, &covered, &root_covered);
        start = nl + 1;
      }
      size_t rest = (size_t)(buf + have - start);
      if (!eof && rest == cap) err = E2BIG; /* one line longer than the buffer */
      memmove(buf, start, rest);
      have = rest;
      if (err || eof) break;
      err = read_more(fd, buf, cap, &have, &eof);
    }
    close(fd);
    if (err) return err;
    if (!covered || whole) return 0;
  }
  return ELOOP;
}

static unsigned long propagation_flag(enum tsjail_propagation p) {
  switch (p) {
  case TSJAIL_PROPAGATION_PRIVATE: return MS_PRIVATE;
  case TSJAIL_PROPAGATION_SLAVE: return MS_SLAVE;
  case TSJAIL_PROPAGATION_SHARED: return MS_SHARED;
  case TSJAIL_PROPAGATION_UNBINDABLE: return MS_UNBINDABLE;
  case TSJAIL_PROPAGATION_NONE: return 0;
  }
  return 0;
}

int tsjail_fs_apply(const struct tsjail_fs *fs, struct tsjail_fs_failure *why) {
  why->phase = 0;
  why->index = -1;
  if (!fs->enabled) return 0;
  /* Mounting without a private mount namespace would change the host for everyone. */
  if (!fs->in_new_mount_ns) return fail(why, TSJAIL_FS_PHASE_PROPAGATION, -1, EINVAL);
  if (fs->n_mounts > TSJAIL_FS_MOUNTS_CAP) return fail(why, TSJAIL_FS_PHASE_MOUNT, -1, E2BIG);
  if (fs->root_mode != TSJAIL_ROOT_NONE && !fs->root) return fail(why, TSJAIL_FS_PHASE_ROOT, -1, EINVAL);

  /* The parent has put us in our cgroup (the sync step): that cgroup becomes the root of the
   * jail's cgroup namespace, so a cgroupfs mounted inside shows nothing above it, and cgroup
   * v2 mounted with nsdelegate refuses moves across it. v1 checks no namespace on a move:
   * hide_cgroupfs() is what keeps the host's hierarchies out of reach. */
  if (fs->cgroup_ns && unshare(CLONE_NEWCGROUP) != 0) return fail(why, TSJAIL_FS_PHASE_CGROUP_NS, -1, errno);

  /* First, so nothing below propagates back to the host's mount namespace. */
  unsigned long prop = propagation_flag(fs->propagation);
  if (prop && mount(NULL, "/", NULL, MS_REC | prop, NULL) != 0)
    return fail(why, TSJAIL_FS_PHASE_PROPAGATION, -1, errno);

  /* pivot_root needs the new root to be a mount point; binding it onto itself makes it one
   * and lets later mounts stack on top of it. */
  if (fs->root_mode != TSJAIL_ROOT_NONE && mount(fs->root, fs->root, NULL, MS_BIND | MS_REC, NULL) != 0)
    return fail(why, TSJAIL_FS_PHASE_ROOT, -1, errno);

  for (unsigned i = 0; i < fs->n_mounts; i++) {
    int err = apply_one(fs, i, why);
    if (err) return err;
  }
  /* Before the pivot: the host's /proc (mountinfo) is still there to read, and whatever the
   * new root binds from a cgroup hierarchy is covered with it. */
  if (fs->hide_cgroupfs) {
    int err = hide_cgroupfs();
    if (err) return fail(why, TSJAIL_FS_PHASE_CGROUP_HIDE, -1, err);
  }

  if (fs->root_mode == TSJAIL_ROOT_PIVOT) {
    /* chdir only now: mounts stacked on the root path above are what "." must refer to.
     * pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves
     * the new root alone, with no directory to reach the host tree through. */
    if (chdir(fs->root) != 0) return fail(why, TSJAIL_FS_PHASE_PIVOT_ROOT, -1, errno);
    if (syscall(SYS_pivot_root, ".", ".") != 0) return fail(why, TSJAIL_FS_PHASE_PIVOT_ROOT, -1, errno);
    if (umount2(".", MNT_DETACH) != 0) return fail(why, TSJAIL_FS_PHASE_PIVOT_ROOT, -1, errno);
    if (chdir("/") != 0) return fail(why, TSJAIL_FS_PHASE_PIVOT_ROOT, -1, errno);
  } else if (fs->root_mode == TSJAIL_ROOT_CHROOT) {
    if (chdir(fs->root) != 0) return fail(why, TSJAIL_FS_PHASE_CHROOT, -1, errno);
    if (chroot(".") != 0) return fail(why, TSJAIL_FS_PHASE_CHROOT, -1, errno);
    if (chdir("/") != 0) return fail(why, TSJAIL_FS_PHASE_CHROOT, -1, errno);
  }
  /* Root of a user namespace holds CAP_SYS_ADMIN over this mount namespace: it could unmount
   * what was mounted above (a /proc, a /tmp, a cgroup cover) and find the host's mounts
   * beneath, which the kernel locks but does not hide. Out of the bounding set, no program
   * exec'd from here on gets it back (nested namespaces see locked copies only). */
  if (fs->drop_sys_admin && prctl(PR_CAPBSET_DROP, TSJAIL_CAP_SYS_ADMIN, 0, 0, 0) != 0)
    return fail(why, TSJAIL_FS_PHASE_CAPS, -1, errno);
  return 0;
}
