/* The jail's setup steps, in the order they run. One list, shared by C (the child's failure
 * record, the parent's JailError) and TypeScript (ts/jail/steps.ts mirrors it in the same order;
 * test/jail-errors.test.ts compares the two through the addon's stepNames()).
 * The numeric code of a step is its position here; codes are API: append, never reorder.
 *
 * X(ENUM, "name", "which side runs it") */
#ifndef TSJAIL_STEPS_H
#define TSJAIL_STEPS_H

#define TSJAIL_STEP_LIST(X)                                                     \
  X(TSJAIL_STEP_PREPARE, "prepare", "parent")       /* fds, memfd, pipes */      \
  X(TSJAIL_STEP_CLONE, "clone", "parent")                                       \
  X(TSJAIL_STEP_ID_MAP, "id-map", "parent")         /* setgroups, uid/gid_map */ \
  X(TSJAIL_STEP_CGROUP, "cgroup", "parent")         /* create, limit, attach */  \
  X(TSJAIL_STEP_SYNC, "sync", "child")              /* wait for the parent */    \
  X(TSJAIL_STEP_MOUNTS, "mounts", "child")          /* propagation, mounts */    \
  X(TSJAIL_STEP_ROOT, "root", "child")              /* pivot_root / chroot */    \
  X(TSJAIL_STEP_HOSTNAME, "hostname", "child")                                  \
  X(TSJAIL_STEP_LOOPBACK, "loopback", "child")                                  \
  X(TSJAIL_STEP_RLIMITS, "rlimits", "child")                                    \
  X(TSJAIL_STEP_INIT, "init", "child")              /* pid-1 init forks */       \
  X(TSJAIL_STEP_SETGROUPS, "setgroups", "child")                                \
  X(TSJAIL_STEP_SETRESGID, "setresgid", "child")                                \
  X(TSJAIL_STEP_SETRESUID, "setresuid", "child")                                \
  X(TSJAIL_STEP_CAPS, "capabilities", "child")      /* bounding, sets */         \
  X(TSJAIL_STEP_AMBIENT, "ambient", "child")                                    \
  X(TSJAIL_STEP_SECUREBITS, "securebits", "child")                              \
  X(TSJAIL_STEP_CWD, "cwd", "child")                                            \
  X(TSJAIL_STEP_NO_NEW_PRIVS, "no-new-privs", "child")                          \
  X(TSJAIL_STEP_LANDLOCK, "landlock", "child")                                  \
  X(TSJAIL_STEP_CLOSE_FDS, "close-fds", "child")                                \
  X(TSJAIL_STEP_SIGNALS, "signals", "child")        /* reset mask, handlers */   \
  X(TSJAIL_STEP_SECCOMP, "seccomp", "child")        /* gate or exact filter */   \
  X(TSJAIL_STEP_EXEC, "exec", "child")                                          \
  X(TSJAIL_STEP_PRELOAD, "preload", "program")      /* after exec, before main */\
  X(TSJAIL_STEP_PID_FILE, "pid-file", "parent")                                \
  X(TSJAIL_STEP_SESSION, "session", "child")        /* setsid, after sync */     \
  X(TSJAIL_STEP_SESSION_KEYRING, "session-keyring", "child") /* after setresuid */ \
  X(TSJAIL_STEP_PARENT_DEATH, "parent-death", "child") /* PDEATHSIG; the launcher is gone */

enum tsjail_step {
#define TSJAIL_STEP_ENUM(e, name, side) e,
  TSJAIL_STEP_LIST(TSJAIL_STEP_ENUM)
#undef TSJAIL_STEP_ENUM
  TSJAIL_STEP_COUNT
};

#endif
