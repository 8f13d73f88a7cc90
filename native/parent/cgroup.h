/* Cgroup step of the jail (parent side): a per-jail cgroup with memory, pids and cpu limits,
 * on cgroup v2, v1 or a hybrid of both, removed after the jail exits (or kept for the next
 * jail with the same limits: the pool, below).
 *
 * HOW TO CALL (runtime core), all in the PARENT (these functions may allocate and block):
 *   before clone:   the jail file reader (native/parent/jailfile.c) -> struct tsjail_cgroup_limits
 *   while the child waits on the sync pipe (after the id maps, before releasing it):
 *       struct tsjail_cgroup *cg;  char detail[...];
 *       int err = tsjail_cgroup_create(&limits, &cg, NULL, detail, sizeof detail); // mkdir (or the pool's) + limits
 *       if (!err && cg) err = tsjail_cgroup_attach(cg, child_pid);  // cgroup.procs
 *       if (err) { JailError{step: "cgroup" (TSJAIL_STEP_CGROUP), errno: err, detail};
 *                  kill + reap the child; tsjail_cgroup_discard(cg); }
 *   to enforce a time limit:
 *       tsjail_cgroup_kill(cg);      // SIGKILL everything still in the jail's cgroups
 *   after the jail's pid was reaped:
 *       tsjail_cgroup_release(cg);   // back to the pool if enabled and nothing is left, else
 *                                    // tsjail_cgroup_discard: rmdir (kills leftovers and retries
 *                                    // while tasks drain) and free
 *   tsjail_cgroup_create() on limits with nothing set makes nothing (cg NULL); release and
 *   discard take NULL.
 *
 * All failures belong to the runtime step "cgroup"; the detail starts with the part that
 * failed ("<part>: ", cg.step of tsjail_cgroup_create_in) and says why, for the JailError detail:
 * "cgroup-detect" (no such controller mounted: ENODEV),
 * "cgroup-create" (mkdir; EACCES/EPERM/EROFS mean the cgroup is not delegated to this user:
 * cg.detail says so and suggests delegation), "cgroup-limit" (writing a limit file),
 * "cgroup-attach" (writing cgroup.procs). The jail never starts without a requested limit.
 *
 * Detection reads /proc/self/mountinfo and /proc/self/cgroup: a controller named in the
 * super options of a "cgroup" (v1) mount lives there; otherwise it is on the "cgroup2" mount
 * if that hierarchy's cgroup.controllers lists it. The jail's cgroup is created below the
 * caller's own cgroup of each hierarchy: <mount>/<own path>/tsjail-<pid>-<n>. The layout is
 * kept for the process's next jails while /proc/self/cgroup reads the same and every directory
 * it names is still the same directory (device, inode); otherwise it is detected again.
 * cgroup v2's no-internal-processes rule: when our own (non-root) v2 cgroup holds only us,
 * tsjail_cgroup_create first moves the calling process into <own>/tsjail-leaf and puts jails
 * next to that leaf (what container runtimes do in a delegated cgroup); when other processes
 * share it, it fails with EBUSY and says so. The caller's cgroup thus changes once.
 * Limits: v2 memory.max (+ memory.swap.max = 0 when present), pids.max,
 * cpu.max "<quota> 100000"; v1 memory.limit_in_bytes (+ memory.memsw.limit_in_bytes, same
 * value, when present), pids.max, cpu.cfs_period_us = 100000 + cpu.cfs_quota_us.
 */
#ifndef TSJAIL_JAIL_CGROUP_H
#define TSJAIL_JAIL_CGROUP_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TSJAIL_CG_PATH_MAX 4096

enum tsjail_cg_controller {
  TSJAIL_CG_MEMORY = 0,
  TSJAIL_CG_PIDS = 1,
  TSJAIL_CG_CPU = 2,
  TSJAIL_CG_COUNT = 3
};

struct tsjail_cgroup_limits {
  int has_memory;
  uint64_t memory_bytes;
  int has_pids;
  uint64_t pids;
  int has_cpu;
  double cpu; /* fraction of one CPU, > 0 */
};

/* Where each controller lives, as detected. version 0 = not available. */
struct tsjail_cg_place {
  int version;                    /* 0, 1 or 2 */
  char dir[TSJAIL_CG_PATH_MAX];   /* <mount point>/<own cgroup>, the parent of the jail's */
};

struct tsjail_cg_layout {
  struct tsjail_cg_place ctl[TSJAIL_CG_COUNT];
  char v2_dir[TSJAIL_CG_PATH_MAX]; /* the caller's own cgroup on the v2 mount, or "" */
};

/* Pure: decide the layout from the texts of /proc/self/mountinfo, /proc/self/cgroup and
 * cgroup.controllers of the caller's own v2 cgroup (NULL if unknown: v2 then offers no
 * controller; out->v2_dir still names that cgroup, so a caller can read the file and retry).
 * Returns 0, or EINVAL on unparsable input. Used by tsjail_cgroup_create and by tests. */
int tsjail_cgroup_detect(const char *mountinfo, const char *self_cgroup,
                         const char *v2_controllers, struct tsjail_cg_layout *out);

/* Reads the three texts from /proc and the v2 mount, then calls tsjail_cgroup_detect. */
int tsjail_cgroup_detect_self(struct tsjail_cg_layout *out);

struct tsjail_cgroup {
  unsigned n_dirs;                        /* created directories (v1 may need several) */
  char dirs[TSJAIL_CG_COUNT][TSJAIL_CG_PATH_MAX];
  int dir_version[TSJAIL_CG_COUNT];
  int ctl_dir[TSJAIL_CG_COUNT];           /* index in dirs of each limited controller, -1 */
  struct tsjail_cgroup_limits limits;     /* what it was made for (the pool's key) */
  unsigned layout_gen;                    /* the detected layout it was made in (0: explicit) */
  uint64_t oom_base;                      /* OOM kills counted before this jail (a reused cgroup) */
  const char *step;                       /* failing step name, NULL when none */
  char detail[TSJAIL_CG_PATH_MAX + 512];  /* human-readable reason for the failure */
};

/* Detect, create the jail's cgroup in every hierarchy needed and write the limits: the pool's
 * (moved, not copied: the struct is 17 KiB) or a new one, on the heap and the caller's (release
 * or discard it). 0 with *cg set (NULL when the limits set nothing), or errno with *cg NULL,
 * the part that failed in *part (a static string; part may be NULL) and "<part>: <why>" in
 * detail. On failure nothing is left behind. */
int tsjail_cgroup_create(const struct tsjail_cgroup_limits *limits, struct tsjail_cgroup **cg, const char **part,
                         char *detail, size_t cap);

/* Same, on an explicit layout (tests). */
int tsjail_cgroup_create_in(const struct tsjail_cg_layout *layout,
                            const struct tsjail_cgroup_limits *limits, struct tsjail_cgroup *cg);

/* Move pid into every created cgroup. 0 or errno. */
int tsjail_cgroup_attach(struct tsjail_cgroup *cg, pid_t pid);

/* SIGKILL every process in the jail's cgroups (v2 cgroup.kill when available). 0 or errno. */
int tsjail_cgroup_kill(struct tsjail_cgroup *cg);

/* rmdir every created cgroup; one still populated (EBUSY) gets its processes killed and the
 * rmdir retried for up to ~2 s while they drain. 0 or the last errno. Clears cg->n_dirs for
 * the removed ones. */
int tsjail_cgroup_remove(struct tsjail_cgroup *cg);

/* How many processes the OOM killer ended in the jail's memory cgroup while this jail had it
 * (0 without one). */
uint64_t tsjail_cgroup_oom_kills(const struct tsjail_cgroup *cg);

/* The pool of idle jail cgroups (docs/runtime-fs.md, "The pool"). Making and removing a memory
 * cgroup costs the whole machine far more than the calls show (much of the removal is kernel
 * work done later, in worker threads).
 * A process that starts many jails (the addon) enables the pool once; tsjail_cgroup_create
 * then reuses an idle cgroup made for the same limits in the same layout (limits written again,
 * the OOM count's base read), and tsjail_cgroup_release returns a cgroup to the pool instead of
 * removing it when nothing is left in it: no process (v1 cgroup.procs, v2 cgroup.events), no
 * child cgroup, and at most min(4 MiB, limit/16) still charged to its memory controller (page
 * cache and kernel memory the last jail left; a cgroup holding more is removed, its charge
 * going to the parent). At most 64 idle cgroups; one idle for more than 10 s is not reused and
 * is removed on the next pool call (a jail with a cgroup starting or ending); all of them by
 * tsjail_cgroup_pool_drain, and at exit. Without the pool (tsjail-exec, tests), release is
 * remove. */
void tsjail_cgroup_pool_enable(void);

/* After the jail's first process was reaped: back to the pool, or tsjail_cgroup_discard. 0 or
 * the removal's errno. Takes the cgroup of tsjail_cgroup_create (or NULL). */
int tsjail_cgroup_release(struct tsjail_cgroup *cg);

/* tsjail_cgroup_remove, then free the cgroup of tsjail_cgroup_create (or NULL): what a failed
 * launch does, never back to the pool. 0 or the removal's errno. */
int tsjail_cgroup_discard(struct tsjail_cgroup *cg);

/* Remove every idle cgroup of the pool now. Returns how many were removed. */
unsigned tsjail_cgroup_pool_drain(void);

#ifdef __cplusplus
}
#endif

#endif
