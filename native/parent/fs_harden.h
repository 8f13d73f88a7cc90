/* What a launch adds to the jail's filesystem step beyond what the spec asks for (parent side,
 * before clone). See fs_harden.c.
 *
 *   int err = tsjail_fs_harden(&fs, &clone_flags, &in, detail, sizeof detail);
 *   if (err) JailError{step: "mounts", errno: err, detail};
 *   ... clone, the child applies fs (mounts.c) ...
 */
#ifndef TSJAIL_PARENT_FS_HARDEN_H
#define TSJAIL_PARENT_FS_HARDEN_H

#include <stddef.h>

#include "../child/mounts.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tsjail_fs_harden_input {
  int cgroup_limits; /* the jail gets a cgroup of its own (memory, pids or cpu) */
  int caps_set;      /* the spec says which capabilities the program keeps: */
  unsigned long long caps_keep, caps_bounding;
};

/* 0 or an errno, with detail set. May add CLONE_NEWNS (cgroup limits) and CLONE_NEWPID (the
 * host's /proc under a new root) to *clone_flags. */
int tsjail_fs_harden(struct tsjail_fs *fs, unsigned long *clone_flags, const struct tsjail_fs_harden_input *in,
                     char *detail, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
