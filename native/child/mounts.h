/* Filesystem step of the jail: mount propagation, mounts, pivot_root/chroot.
 *
 * HOW TO CALL (runtime core):
 *   parent, before clone:  the jail file reader (native/parent/jailfile.c) fills a struct
 *                          tsjail_fs (its strings live in the decoded spec); the launch copies it
 *                          and may append the preload library's bind (native/parent/launch.c).
 *   child, after the sync pipe (uid/gid maps written, still holding the caps the user
 *   namespace gives), FIRST step of the child sequence, before hostname:
 *       struct tsjail_fs_failure why;
 *       int err = tsjail_fs_apply(&fs, &why);
 *       if (err) report {step: tsjail_fs_phase_step(why.phase), errno: err}; _exit.
 *   tsjail_fs_phase_step() gives TSJAIL_STEP_MOUNTS or TSJAIL_STEP_ROOT (steps.h); the finer
 *   tsjail_fs_phase_name() + why.index can go into the JailError detail
 *   (e.g. "mount-remount #3").
 *   Only call it when the child is in a new mount namespace (CLONE_NEWNS) and fs.enabled is
 *   set; it refuses (EINVAL, phase "mount-propagation") when fs.in_new_mount_ns is 0, so a
 *   spec with mounts never changes the host's mount table.
 *
 * The child-side function allocates nothing: it reads the parent-built structs, uses
 * stack buffers of TSJAIL_FS_PATH_MAX and plain syscalls (mount, umount2, mkdir, open,
 * statvfs, pivot_root, chroot, chdir, symlink, mount_setattr).
 *
 * Order inside tsjail_fs_apply (docs/runtime-fs.md):
 *   1. propagation of "/" (MS_REC | MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE);
 *   2. with a root: bind the root onto itself (MS_BIND|MS_REC) so it is a mount point;
 *   3. the mounts, in order; targets were prefixed with the root by the converter, so they
 *      land inside the new root while host paths (bind sources) are still visible;
 *   4. pivot_root(".", ".") + umount2(".", MNT_DETACH), or chroot("."); then chdir("/").
 * Missing mount points are created (mkdir, or an empty file for a file bind) only below a
 * root, walking each component with O_NOFOLLOW so a symlink planted in the root cannot
 * redirect a mkdir onto the host (ELOOP instead). Without a root a missing target is ENOENT.
 */
#ifndef TSJAIL_JAIL_MOUNTS_H
#define TSJAIL_JAIL_MOUNTS_H

#include <stddef.h>

#include "../common/steps.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The mounts a jail may ask for. The struct has room for one more: the runtime's own
 * read-only bind of the preload library under a new root, added at launch. */
#define TSJAIL_FS_MOUNTS_MAX 128
#define TSJAIL_FS_MOUNTS_CAP (TSJAIL_FS_MOUNTS_MAX + 1)
#define TSJAIL_FS_PATH_MAX 4096

enum tsjail_mount_kind {
  TSJAIL_MOUNT_BIND = 1,      /* source -> target; read-only unless writable */
  TSJAIL_MOUNT_TMPFS = 2,     /* data = "mode=0NNN[,size=N]" built by the parent */
  TSJAIL_MOUNT_PROC = 3,      /* fresh procfs of the child's pid namespace */
  TSJAIL_MOUNT_DEV = 4,       /* minimal /dev: tmpfs + host device binds + links + pts + shm */
  TSJAIL_MOUNT_GENERIC = 5,   /* mount(2) as given (minijail -k) */
  TSJAIL_MOUNT_REMOUNT_RO = 6 /* make an existing mount read-only */
};

enum tsjail_propagation {
  TSJAIL_PROPAGATION_NONE = 0, /* leave "/" as inherited (minijail -K without a mode) */
  TSJAIL_PROPAGATION_PRIVATE = 1,
  TSJAIL_PROPAGATION_SLAVE = 2,
  TSJAIL_PROPAGATION_SHARED = 3,
  TSJAIL_PROPAGATION_UNBINDABLE = 4
};

enum tsjail_root_mode {
  TSJAIL_ROOT_NONE = 0,
  TSJAIL_ROOT_PIVOT = 1,
  TSJAIL_ROOT_CHROOT = 2
};

struct tsjail_mount {
  enum tsjail_mount_kind kind;
  const char *source;  /* host path (bind), device/"none" (generic); NULL otherwise */
  const char *target;  /* absolute path as the child sees it before pivot (root prefixed) */
  const char *fstype;  /* generic only */
  const char *data;    /* tmpfs/generic mount data, or NULL */
  unsigned long flags; /* generic: MS_* flags as given */
  int writable;        /* bind: keep rw */
  int recursive;       /* bind: MS_REC (and read-only applies to every submount) */
  int read_only;       /* proc: remount read-only */
  int source_checked;  /* bind: the launch resolved the source without following a symlink
                        * that is not root's or its own, and found this object: */
  unsigned long long source_dev, source_ino;
};

struct tsjail_fs {
  int enabled;          /* 0: nothing to do (no mount namespace requested) */
  int in_new_mount_ns;  /* set by the runtime core when it clones with CLONE_NEWNS */
  enum tsjail_propagation propagation;
  enum tsjail_root_mode root_mode;
  const char *root;     /* host path of the new root, or NULL */
  unsigned n_mounts;
  struct tsjail_mount mounts[TSJAIL_FS_MOUNTS_CAP];
  /* Set by the launch (tsjail_fs_harden, native/parent/fs_harden.c), not by the spec: */
  int cgroup_ns;      /* unshare(CLONE_NEWCGROUP) first: the parent has put the jail in its cgroup */
  int hide_cgroupfs;  /* an empty read-only tmpfs over every cgroup hierarchy the jail could see */
  int drop_sys_admin; /* CAP_SYS_ADMIN leaves the bounding set last: the program cannot unmount */
};

/* Which part of tsjail_fs_apply failed; index is the mount's position in the spec. */
enum tsjail_fs_phase {
  TSJAIL_FS_PHASE_PROPAGATION = 1, /* step name "mount-propagation" */
  TSJAIL_FS_PHASE_ROOT = 2,        /* "mount-root": bind of the root onto itself */
  TSJAIL_FS_PHASE_MOUNTPOINT = 3,  /* "mount-point": creating a missing target */
  TSJAIL_FS_PHASE_MOUNT = 4,       /* "mount": mount(2) of mounts[index] */
  TSJAIL_FS_PHASE_REMOUNT = 5,     /* "mount-remount": read-only remount of mounts[index] */
  TSJAIL_FS_PHASE_PIVOT_ROOT = 6,  /* "pivot_root" */
  TSJAIL_FS_PHASE_CHROOT = 7,      /* "chroot" */
  TSJAIL_FS_PHASE_CGROUP_NS = 8,   /* "cgroup-namespace": unshare(CLONE_NEWCGROUP) */
  TSJAIL_FS_PHASE_CGROUP_HIDE = 9, /* "cgroup-hide": covering a cgroup hierarchy */
  TSJAIL_FS_PHASE_CAPS = 10        /* "no-sys-admin": CAP_SYS_ADMIN out of the bounding set */
};

struct tsjail_fs_failure {
  enum tsjail_fs_phase phase;
  int index; /* mounts[] index, or -1 */
};

/* Child side. Returns 0 or an errno; fills *why on failure. Async-signal-safe. */
int tsjail_fs_apply(const struct tsjail_fs *fs, struct tsjail_fs_failure *why);

/* The finer name of a phase (static string), e.g. "mount-propagation". */
const char *tsjail_fs_phase_name(enum tsjail_fs_phase phase);

/* The runtime step a phase belongs to: TSJAIL_STEP_ROOT for the new root (its bind onto
 * itself, pivot_root, chroot), else TSJAIL_STEP_MOUNTS. */
enum tsjail_step tsjail_fs_phase_step(enum tsjail_fs_phase phase);

#ifdef __cplusplus
}
#endif

#endif
