/* The parent side of a jail launch, shared by the addon and tsjail-exec. See launch.h.
 * Every fd made here is O_CLOEXEC in the parent; every exit path closes what it made. The
 * decoded spec is only read: the child's configuration is this launch's own copy. */
#define _GNU_SOURCE
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../child/config.h"
#include "../preload/preload_state.h"
#include "../common/arch.h"
#include "bpf_eval.h"
#include "elf.h"
#include "filter.h"
#include "fs_harden.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static const char *const step_names[] = {
#define TSJAIL_STEP_NAME(e, name, side) name,
    TSJAIL_STEP_LIST(TSJAIL_STEP_NAME)
#undef TSJAIL_STEP_NAME
};

const char *tsjail_step_name(int step) {
  return step >= 0 && step < TSJAIL_STEP_COUNT ? step_names[step] : "exec";
}

const char *tsjail_exit_reason_name(enum tsjail_exit_reason reason) {
  switch (reason) {
    case TSJAIL_EXIT_EXITED: return "exit";
    case TSJAIL_EXIT_SIGNALED: return "signal";
    case TSJAIL_EXIT_VIOLATION: return "violation";
    case TSJAIL_EXIT_TIME_LIMIT: return "time-limit";
    case TSJAIL_EXIT_MEMORY_LIMIT: return "memory-limit";
  }
  return "exit";
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* Room for the prefix blocks: the execve prefix (6) and the status socket's close (9). */
#define PREFIX_CAP 32

/* Everything one launch makes; released on every path (launch_release). */
struct launch {
  const struct tsjail_spec *spec;
  struct tsjail_jail *jail;
  struct tsjail_launch_error *error;

  struct tsjail_config cfg;         /* the child's input: written only here */
  struct tsjail_fs fs;              /* the spec's, plus the preload library's bind */
  struct tsjail_landlock landlock;  /* the spec's, plus its read rule */
  int mode;                         /* enum tsjail_seccomp_mode, 0 = no filter */
  int listener;                     /* the installed filter has a listener */

  int sync[2], status[2], report[2];
  int state;
  int parent_pidfd;                 /* ours, for the child's parent-death check */
  unsigned long default_ns;         /* namespaces this launch adds for teardown (decide_teardown) */
  struct tsjail_cgroup_limits cgroup; /* the spec's, plus the default pids ceiling (decide_ceiling) */
  int default_pids;                 /* cgroup.pids is the default, not the spec's */
  char uid_map[32], gid_map[32];    /* the identity maps of a user namespace added by default */
  int stdio_child[3];
  struct sock_filter prefix[PREFIX_CAP];
  /* Allocated when there is a filter, of the size the filter needs (filter_array): inline and
   * zeroed with the rest they were 64 KiB written on every launch, and every page Node writes
   * after a clone is a copy-on-write fault while the jails in flight share its memory. */
  struct sock_filter *installed, *exact;
  size_t n_installed, n_exact;
  const char **envp;                /* preload mode: the environment with our entries */
  char *ld_preload, *preload_env, *library_target;
  int *keep;
};

static struct launch *launch_new(const struct tsjail_spec *spec, struct tsjail_jail *j, struct tsjail_launch_error *e) {
  struct launch *l = calloc(1, sizeof *l);
  if (!l) return NULL;
  l->spec = spec;
  l->jail = j;
  l->error = e;
  int *fds[] = {&l->sync[0], &l->sync[1], &l->status[0], &l->status[1], &l->report[0], &l->report[1], &l->state,
                &l->stdio_child[0], &l->stdio_child[1], &l->stdio_child[2], &l->parent_pidfd};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) *fds[i] = -1;
  return l;
}

static void launch_release(struct launch *l) {
  int *fds[] = {&l->sync[0], &l->sync[1], &l->status[0], &l->status[1], &l->report[0], &l->report[1], &l->state,
                &l->stdio_child[0], &l->stdio_child[1], &l->stdio_child[2], &l->parent_pidfd};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) close_fd(fds[i]);
  free(l->envp);
  free(l->ld_preload);
  free(l->preload_env);
  free(l->library_target);
  free(l->keep);
  free(l->installed);
  free(l->exact);
  free(l);
}

static int fail(struct launch *l, int step, int err, const char *detail) {
  l->error->step = step;
  l->error->err = err;
  /* Stages format their detail in place (launch_detail); a copy is for other texts. */
  if (detail != l->error->detail) snprintf(l->error->detail, sizeof l->error->detail, "%s", detail ? detail : "");
  return -1;
}

/* Where a stage formats why it failed: the error's own detail, which fail() then keeps. A
 * 5 KiB buffer in each stage's frame would be pages the stack probe touches at every launch,
 * and every page the launcher touches is a copy-on-write fault while its jails share its
 * memory. Written only on failure (and its first byte by some callees). */
#define DETAIL_CAP sizeof(((struct tsjail_launch_error *)0)->detail)
static char *launch_detail(struct launch *l) { return l->error->detail; }

static void kill_and_reap(int pidfd) {
  syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
  siginfo_t si;
  while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR) {
  }
}

/* After clone: kill and reap the child, remove its cgroup, report the step. */
static int fail_after_clone(struct launch *l, int step, int err, const char *detail) {
  kill_and_reap(l->jail->pidfd);
  tsjail_cgroup_discard(l->jail->cgroup);
  l->jail->cgroup = NULL;
  return fail(l, step, err, detail);
}

/* The highest capability the kernel knows, for the child's bounding-set and ambient loops. If
 * the file cannot be read, 63: dropping an unknown cap is EINVAL, which the child ignores, so
 * no cap the kernel has can stay in the bounding set. */
static int cap_last_cap(void) {
  char text[16];
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 63;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return 63;
  text[n] = '\0';
  char *end;
  long v = strtol(text, &end, 10);
  return end != text && v >= 0 && v <= 63 ? (int)v : 63;
}

/* A new string, or NULL. */
static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *out = NULL;
  if (vasprintf(&out, fmt, ap) < 0) out = NULL;
  va_end(ap);
  return out;
}

/* ---- stage 1: decide ---------------------------------------------------------------------- */

/* Where this process's argv and environment strings are (fields 48-51 of /proc/self/stat:
 * arg_start arg_end env_start env_end), for the init to blank. Zeros when unknown: the init
 * then leaves them, which shows the launcher's command line but breaks nothing. */
static void launcher_string_areas(unsigned long args[2], unsigned long env[2]) {
  args[0] = args[1] = env[0] = env[1] = 0;
  char text[2048];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return;
  text[n] = '\0';
  char *p = strrchr(text, ')'); /* the command name may hold spaces and parentheses */
  if (!p) return;
  unsigned long v[4];
  int field = 2; /* the field after ')' is 3 (state) */
  char *save = NULL;
  for (char *tok = strtok_r(p + 1, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
    field++;
    if (field >= 48 && field <= 51) v[field - 48] = strtoul(tok, NULL, 10);
    if (field == 51) {
      args[0] = v[0];
      args[1] = v[1];
      env[0] = v[2];
      env[1] = v[3];
      return;
    }
  }
}

/* The preload library must be loadable inside the jail, or ld.so skips it and the jail fails
 * closed at step 'preload'. Under a new root it is bound read-only at its own path, after the
 * jail's mounts (which could hide it) and before trailing read-only remounts (which would stop
 * its mount point from being created), unless the jail binds it there itself; with Landlock it
 * gets a read rule (mapping code needs READ_FILE only: EXECUTE governs execve). */
static int reach_preload_library(struct launch *l, const char *lib) {
  struct tsjail_fs *fs = &l->fs;
  if (fs->root_mode != TSJAIL_ROOT_NONE) {
    if (!(l->library_target = format("%s%s", fs->root, lib))) return fail(l, TSJAIL_STEP_PREPARE, ENOMEM, "preload library");
    int bound = 0;
    for (unsigned i = 0; i < fs->n_mounts; i++) {
      const struct tsjail_mount *m = &fs->mounts[i];
      if (m->kind == TSJAIL_MOUNT_BIND && !strcmp(m->source, lib) && !strcmp(m->target, l->library_target)) bound = 1;
    }
    if (!bound) {
      unsigned at = fs->n_mounts;
      while (at > 0 && fs->mounts[at - 1].kind == TSJAIL_MOUNT_REMOUNT_RO) at--;
      memmove(&fs->mounts[at + 1], &fs->mounts[at], (fs->n_mounts - at) * sizeof fs->mounts[0]);
      memset(&fs->mounts[at], 0, sizeof fs->mounts[at]);
      fs->mounts[at].kind = TSJAIL_MOUNT_BIND;
      fs->mounts[at].source = lib;
      fs->mounts[at].target = l->library_target;
      fs->n_mounts++;
    }
  }
  struct tsjail_landlock *ll = &l->landlock;
  if (ll->enabled) {
    int ruled = 0;
    for (unsigned i = 0; i < ll->n_rules; i++)
      if (!strcmp(ll->rules[i].path, lib)) ruled = 1;
    if (!ruled) {
      ll->rules[ll->n_rules].cls = TSJAIL_LANDLOCK_RO;
      ll->rules[ll->n_rules].path = lib;
      ll->n_rules++;
    }
  }
  return 0;
}

/* Whether the program keeps every privilege of a root launcher: uid 0 of the host's user
 * namespace with the caller's capabilities. Only such a jail may still gain privileges at
 * exec; every other one gets no_new_privs, because a setuid or file-capability program would
 * give it more than its launcher chose to give (a setuid-root binary under -u 65534 -c 0 is
 * euid 0 again). */
static int stays_host_root(const struct tsjail_spec *s) {
  return geteuid() == 0 && !(s->clone_flags & CLONE_NEWUSER) && (!s->set_uid || s->uid == 0);
}

static int keeps_root_privileges(const struct tsjail_spec *s) {
  return stays_host_root(s) && !s->caps_set;
}

static int sets_rlimit(const struct tsjail_spec *s, int resource) {
  for (unsigned i = 0; i < s->rlimits.n; i++)
    if (s->rlimits.items[i].resource == resource) return 1;
  return 0;
}

/* The containment every jail gets from the runtime (docs/runtime.md, "Threat model"): its own
 * session (unless the spec keeps the launcher's), its own session keyring, no core dumps unless the spec sets a core limit, and a
 * Landlock domain with the signal and abstract-socket scopes (which also keeps it from
 * ptracing anything outside; landlock_restrict_self needs no_new_privs or CAP_SYS_ADMIN, which
 * keeps_root_privileges guarantees between them). */
static void decide_containment(struct launch *l) {
  const struct tsjail_spec *s = l->spec;
  struct tsjail_config *c = &l->cfg;
  c->new_session = !s->keep_session;
  c->new_session_keyring = 1;
  c->no_core_dumps = !sets_rlimit(s, RLIMIT_CORE);
  l->landlock.scopes = 1;
  if (!keeps_root_privileges(s)) c->no_new_privs = 1;
  /* uid 0 of the host without root's capabilities (-c) still owns every root-owned file:
   * dropping capabilities alone would leave /etc/passwd writable. Such a jail sees the host
   * read-only (Landlock; /dev excepted) unless it has Landlock rules of its own. */
  if (stays_host_root(s) && s->caps_set) l->landlock.read_only = 1;
}

/* Nothing of a jail may outlive it (docs/runtime.md, "Threat model"): a pid namespace whenever
 * one can be made, so the init's death (at the time limit, or with the launcher: PDEATHSIG)
 * ends every process in it, setsid daemons included. Root can always make one. An unprivileged
 * launcher gets it with the user namespace it needs, mapping only its own uid and gid to
 * themselves: the program keeps its ids, holds no capability after exec, and loses nothing
 * but its supplementary groups. Where the kernel refuses (stage_clone), the jail runs without
 * and only PDEATHSIG ends it with the launcher. -I (the program as pid 1) stays as asked. */
static void decide_teardown(struct launch *l) {
  const struct tsjail_spec *s = l->spec;
  struct tsjail_config *c = &l->cfg;
  if (s->clone_flags & CLONE_NEWPID) return;
  if (geteuid() == 0 || (s->clone_flags & CLONE_NEWUSER)) {
    l->default_ns = CLONE_NEWPID;
  } else if (!s->clone_flags && !(s->caps_set && s->caps_keep)) {
    /* Only for a jail that asks for no namespace and no capability: the user namespace must
     * not turn namespaces or capabilities an unprivileged launcher cannot give into ones it
     * can (such a jail fails at clone or capabilities as it always did). */
    l->default_ns = CLONE_NEWPID | CLONE_NEWUSER;
    snprintf(l->uid_map, sizeof l->uid_map, "%u %u 1\n", (unsigned)geteuid(), (unsigned)geteuid());
    snprintf(l->gid_map, sizeof l->gid_map, "%u %u 1\n", (unsigned)getegid(), (unsigned)getegid());
  } else {
    return;
  }
  /* -p's fresh /proc too, in a mount namespace of the runtime's own, when the spec has no mount
   * namespace (one that has decides its /proc itself). */
  if (!(s->clone_flags & CLONE_NEWNS)) {
    l->default_ns |= CLONE_NEWNS;
    c->fresh_proc = 1;
  }
  c->clone_flags |= l->default_ns;
  c->with_init = 1;
}

/* Processes (threads included) a jail may have when its spec sets no limit of its own: enough
 * for a parallel build, far below the host's pid_max, so a fork bomb stops at the jail. */
#define TSJAIL_DEFAULT_PIDS 1024

/* A default pid ceiling (docs/runtime.md, "Threat model"), per jail: a pids cgroup for a root
 * launcher (RLIMIT_NPROC does not hold root, and without a user namespace it would count every
 * process of the uid on the host), RLIMIT_NPROC in a user namespace (it counts the uid's
 * processes of that namespace only, and holds a program without host capabilities). The
 * spec's --pids or RLIMIT_NPROC replaces it. Runs after decide_teardown (the namespaces). */
static void decide_ceiling(struct launch *l) {
  const struct tsjail_spec *s = l->spec;
  l->cgroup = s->cgroup;
  if (s->cgroup.has_pids || sets_rlimit(s, RLIMIT_NPROC)) return;
  if (l->cfg.clone_flags & CLONE_NEWUSER) {
    l->cfg.default_nproc = TSJAIL_DEFAULT_PIDS;
  } else if (geteuid() == 0) {
    l->cgroup.has_pids = 1;
    l->cgroup.pids = TSJAIL_DEFAULT_PIDS;
    l->default_pids = 1;
  }
}

/* Last of the decisions: it needs every namespace the others added (fs_harden.h). It may add
 * a mount namespace (cgroup limits) or a pid namespace (the host's /proc under a new root),
 * so the init follows. The launcher's argv and environment are located for any init to blank. */
static int decide_fs_hardening(struct launch *l) {
  const struct tsjail_spec *s = l->spec;
  struct tsjail_config *c = &l->cfg;
  /* The launch's limits, the default pid ceiling's cgroup included: a jail must not leave that
   * one either. */
  const struct tsjail_cgroup_limits *cl = &l->cgroup;
  struct tsjail_fs_harden_input in = {cl->has_memory || cl->has_pids || cl->has_cpu, s->caps_set, s->caps_keep,
                                      s->caps_bounding};
  char *detail = launch_detail(l);
  int err = tsjail_fs_harden(&l->fs, &c->clone_flags, &in, detail, DETAIL_CAP);
  if (err) return fail(l, TSJAIL_STEP_MOUNTS, err, detail);
  if ((c->clone_flags & CLONE_NEWPID) && !s->program_as_init) c->with_init = 1;
  launcher_string_areas(c->launcher_args, c->launcher_env);
  return 0;
}

int tsjail_seccomp_mode(const struct tsjail_spec *s, int *mode, char *detail, size_t cap) {
  const char *root = s->fs.root_mode != TSJAIL_ROOT_NONE ? s->fs.root : NULL;
  int err = tsjail_seccomp_timing(s->path, root, s->timing, mode, detail, cap);
  if (err) return err;
  /* Permissive (run --log, learn): the policy goes in before exec behind the execve prefix,
   * every verdict but allow asking the supervisor, which lets the call run and records it.
   * The loader's calls are recorded too (a policy enforced before exec needs them). */
  if (s->permissive) *mode = TSJAIL_MODE_EXEC;
  /* 'auto' and a dynamic program whose policy already allows every call the preload window
   * would let its loader make: the window could change no verdict, so the policy goes in
   * before exec, with no window to attack, no LD_PRELOAD and no handshake. The jail's own
   * execve must pass as it would through the gate: behind the execve prefix (violations
   * reported: a listener), or allowed by the policy itself. */
  if (*mode == TSJAIL_MODE_PRELOAD && s->timing == TSJAIL_TIMING_AUTO &&
      (s->report || tsjail_bpf_always_allows(s->policy, s->n_policy, tsjail_audit_arch(), SYS_execve)) &&
      tsjail_policy_allows_loader(s->policy, s->n_policy))
    *mode = TSJAIL_MODE_EXEC;
  return 0;
}

/* What this launch adds to the spec: the seccomp mode (from the program), no_new_privs with a
 * filter, the preload library's reach, the kernel's last capability. */
static int stage_decide(struct launch *l) {
  const struct tsjail_spec *s = l->spec;
  struct tsjail_config *c = &l->cfg;
  l->fs = s->fs;
  l->landlock = s->landlock;
  if (s->n_policy) {
    char *detail = launch_detail(l);
    int err = tsjail_seccomp_mode(s, &l->mode, detail, DETAIL_CAP);
    if (err) return fail(l, TSJAIL_STEP_PREPARE, err, detail);
    /* The preload's gate sends execve to the supervisor, so it always has a listener; a
     * filter before exec has one when violations are reported. */
    l->listener = s->report || l->mode == TSJAIL_MODE_PRELOAD;
    /* Permissive (run --log, learn): every verdict but allow asks the supervisor. */
    if (s->permissive) l->listener = 1;
  }
  if (l->mode == TSJAIL_MODE_PRELOAD) {
    const char *lib = s->preload_library;
    if (!lib) return fail(l, TSJAIL_STEP_PRELOAD, ENOENT, "the jail names no preload library");
    if (access(lib, R_OK)) return fail(l, TSJAIL_STEP_PRELOAD, errno, lib);
    if (reach_preload_library(l, lib)) return -1;
  }
  c->path = s->path;
  c->argv = s->argv;
  c->envp = s->envp;
  c->cwd = s->cwd;
  c->clone_flags = s->clone_flags;
  c->with_init = (s->clone_flags & CLONE_NEWPID) && !s->program_as_init;
  c->hostname = s->hostname;
  c->loopback = (s->clone_flags & CLONE_NEWNET) != 0;
  c->set_uid = s->set_uid;
  c->uid = s->uid;
  c->set_gid = s->set_gid;
  c->gid = s->gid;
  c->set_groups = s->set_groups;
  c->groups = s->groups;
  c->n_groups = s->n_groups;
  c->caps_set = s->caps_set;
  c->caps_keep = s->caps_keep;
  c->caps_bounding = s->caps_bounding;
  c->caps_ambient = s->caps_ambient;
  c->securebits = s->securebits;
  c->cap_last_cap = s->caps_set ? cap_last_cap() : 63;
  /* Any filter needs it: unprivileged filters require it, and it makes exec ignore setuid
   * bits, so ld.so is not in secure mode and honours the preload. */
  c->no_new_privs = s->no_new_privs || s->n_policy > 0;
  c->preserve_fds = s->preserve_fds;
  c->n_preserve_fds = s->n_preserve_fds;
  c->fs = &l->fs;
  c->rlimits = &s->rlimits;
  c->landlock = &l->landlock;
  decide_containment(l);
  decide_teardown(l);
  decide_ceiling(l);
  return decide_fs_hardening(l);
}

/* ---- stage 2: channels -------------------------------------------------------------------- */

/* The sync socket, the status socket, the init's report pipe, stdio pipes. */
static int stage_channels(struct launch *l, const int stdio[3]) {
  struct tsjail_config *c = &l->cfg;
  /* A socket, not a pipe: its EOF is our shutdown(2), which copies of our end cannot hold back.
   * Other jails' children cloned while this one waits hold such copies until their close-fds
   * step (the addon clones the next jail while this one's release is still to come). */
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, l->sync)) return fail(l, TSJAIL_STEP_PREPARE, errno, "socketpair");
  /* Records are messages, EOF is every copy of the child's end closed, and it can carry the
   * program's pidfd (records.h). */
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, l->status)) return fail(l, TSJAIL_STEP_PREPARE, errno, "socketpair");
  if (c->with_init && pipe2(l->report, O_CLOEXEC)) return fail(l, TSJAIL_STEP_PREPARE, errno, "pipe2");
  /* pidfds are close-on-exec: the child holds it until its close-fds step. */
  if ((l->parent_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0)) < 0) return fail(l, TSJAIL_STEP_PREPARE, errno, "pidfd_open");
  c->parent_pidfd = l->parent_pidfd;
  for (int i = 0; i < 3; i++) {
    if (stdio[i] >= 0) {
      c->stdio_src[i] = stdio[i];
      continue;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC)) return fail(l, TSJAIL_STEP_PREPARE, errno, "pipe2");
    l->stdio_child[i] = i == 0 ? p[0] : p[1];
    l->jail->stdio_parent[i] = i == 0 ? p[1] : p[0];
    c->stdio_src[i] = l->stdio_child[i];
  }
  c->sync_rd = l->sync[0];
  c->sync_wr = l->sync[1];
  c->status_wr = l->status[1];
  c->report_wr = l->report[1];
  c->state_fd = -1;
  c->status_keep = l->mode == TSJAIL_MODE_PRELOAD;
  return 0;
}

/* ---- stage 3: filters --------------------------------------------------------------------- */

/* The installed filter into out[cap]: its count, -1 when it does not fit, -2 for a policy that
 * returns its accumulator where every verdict must be rewritten. */
static int build_installed(const struct launch *l, int np, struct sock_filter *out, size_t cap) {
  const struct tsjail_spec *s = l->spec;
  if (l->mode == TSJAIL_MODE_PRELOAD || s->permissive)
    return tsjail_filter_gate(s->policy, s->n_policy, l->prefix, (size_t)np, out, cap);
  return tsjail_filter_rewrite(s->policy, s->n_policy, s->report ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_KILL_PROCESS,
                               l->prefix, (size_t)np, out, cap);
}

static int build_exact(const struct launch *l, struct sock_filter *out, size_t cap) {
  const struct tsjail_spec *s = l->spec;
  return tsjail_filter_exact(s->policy, s->n_policy, s->report ? SECCOMP_RET_TRACE : SECCOMP_RET_KILL_PROCESS,
                             l->status[1], out, cap);
}

/* An array for a filter of the size it needs: the builders (filter.h) write the prefix and the
 * policy, plus at most a 9-instruction block of their own (the exact filter's close exception),
 * and refuse more than the kernel takes. An array of BPF_MAXINSNS is 32 KiB whose allocation
 * and release write pages of their own, and every page the launcher writes is a copy-on-write
 * fault while its jails share its memory. NULL when out of memory. */
#define BUILDER_BLOCK_MAX 16
static struct sock_filter *filter_array(const struct launch *l, int np, size_t *cap) {
  *cap = (size_t)np + l->spec->n_policy + BUILDER_BLOCK_MAX;
  if (*cap > BPF_MAXINSNS) *cap = BPF_MAXINSNS;
  return malloc(*cap * sizeof(struct sock_filter));
}

/* The filter installed before exec, and in preload mode the exact filter the preload installs
 * (docs/runtime.md, "Seccomp"):
 *   exec mode, reporting:   execve prefix + the policy, kill verdicts -> USER_NOTIF
 *   exec mode, not:         the policy's bytes as given
 *   preload mode (gate):    execve prefix + close(status fd) -> USER_NOTIF + the policy, every
 *                           verdict but allow/log -> USER_NOTIF (the strict gate: the window's
 *                           mediation, parent/mediate.h)
 *   preload mode (exact):   close(status fd) allowed + the policy, kill verdicts -> TRACE when
 *                           reporting (the gate's notification outranks it), else KILL_PROCESS */
static int stage_filters(struct launch *l) {
  const struct tsjail_spec *s = l->spec;
  struct tsjail_config *c = &l->cfg;
  if (!l->mode) return 0;
  const char *too_big = "seccomp: the policy with the runtime's prefix exceeds 4096 instructions";
  int np = 0, n;
  if (l->listener) np = tsjail_filter_exec_prefix(l->prefix, PREFIX_CAP);
  /* Reported kill-thread verdicts: the supervisor ends the thread through this prefix. */
  if (l->listener && s->report && !s->permissive && tsjail_filter_has_kill_thread(s->policy, s->n_policy)) {
    int nk = tsjail_filter_thread_kill_prefix(l->prefix + np, (size_t)(PREFIX_CAP - np));
    if (nk < 0) return fail(l, TSJAIL_STEP_PREPARE, E2BIG, too_big);
    np += nk;
  }
  if (l->mode == TSJAIL_MODE_PRELOAD) {
    int nc = tsjail_filter_fd_action(SYS_close, l->status[1], SECCOMP_RET_USER_NOTIF, l->prefix + np, (size_t)(PREFIX_CAP - np));
    if (nc < 0) return fail(l, TSJAIL_STEP_PREPARE, E2BIG, too_big);
    np += nc;
  }
  size_t cap;
  if (!(l->installed = filter_array(l, np, &cap))) return fail(l, TSJAIL_STEP_PREPARE, ENOMEM, "filter");
  n = build_installed(l, np, l->installed, cap);
  if (n == -2 && l->mode == TSJAIL_MODE_PRELOAD)
    return fail(l, TSJAIL_STEP_PREPARE, EINVAL,
                "seccomp: the policy returns its accumulator (RET A), whose verdicts the preload window cannot "
                "mediate; install it before exec (seccompTiming 'exec', tsjail run -T static)");
  if (n == -2)
    return fail(l, TSJAIL_STEP_PREPARE, EINVAL, "seccomp: the policy returns its accumulator (RET A), whose verdicts cannot be recorded");
  if (n < 0) return fail(l, TSJAIL_STEP_PREPARE, E2BIG, too_big);
  l->n_installed = (size_t)n;
  if (l->mode == TSJAIL_MODE_PRELOAD) {
    if (!(l->exact = filter_array(l, np, &cap))) return fail(l, TSJAIL_STEP_PREPARE, ENOMEM, "filter");
    n = build_exact(l, l->exact, cap);
    if (n < 0) return fail(l, TSJAIL_STEP_PREPARE, E2BIG, too_big);
    l->n_exact = (size_t)n;
  }
  c->filter.len = (unsigned short)l->n_installed;
  c->filter.filter = l->installed;
  c->filter_flags = (s->log ? SECCOMP_FILTER_FLAG_LOG : 0) | (s->tsync && l->mode == TSJAIL_MODE_EXEC ? SECCOMP_FILTER_FLAG_TSYNC : 0);
  c->filter_listener = l->listener;
  /* TSYNC with a listener needs TSYNC_ESRCH (else the two return values collide). */
  if (l->listener && (c->filter_flags & SECCOMP_FILTER_FLAG_TSYNC)) c->filter_flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  return 0;
}

/* ---- stage 4: the preload's state --------------------------------------------------------- */

/* The sealed memfd with the exact filter, and the environment that names it: our LD_PRELOAD
 * entry appended to the program's (the preload removes only its own) plus
 * TSJAIL_PRELOAD=<state fd>,<status fd>. */
static int stage_preload_state(struct launch *l) {
  const struct tsjail_spec *s = l->spec;
  struct tsjail_config *c = &l->cfg;
  if (l->mode != TSJAIL_MODE_PRELOAD) return 0;
  const char *lib = s->preload_library;
  l->state = memfd_create("tsjail-preload", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (l->state < 0) return fail(l, TSJAIL_STEP_PREPARE, errno, "memfd_create");
  /* TSYNC always: a thread a library constructor started must not keep the gate alone. */
  struct tsjail_preload_header h = {TSJAIL_PRELOAD_MAGIC, SECCOMP_FILTER_FLAG_TSYNC, (uint32_t)l->n_exact, 0};
  if (s->log) h.flags |= SECCOMP_FILTER_FLAG_LOG;
  size_t bytes = l->n_exact * sizeof(struct sock_filter);
  errno = 0;
  if (write(l->state, &h, sizeof h) != (ssize_t)sizeof h || write(l->state, l->exact, bytes) != (ssize_t)bytes)
    return fail(l, TSJAIL_STEP_PREPARE, errno ? errno : EIO, "memfd write");
  /* Sealed, because the program's (and its preloads') constructors run under the gate before
   * the preload reads the state: unsealed, one could rewrite the exact filter. */
  if (fcntl(l->state, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL))
    return fail(l, TSJAIL_STEP_PREPARE, errno, "memfd seals");
  c->state_fd = l->state;

  if (!(l->envp = calloc(s->envc + 3, sizeof *l->envp))) return fail(l, TSJAIL_STEP_PREPARE, ENOMEM, "environment");
  size_t o = 0;
  for (size_t i = 0; i < s->envc; i++) {
    const char *v = s->envp[i];
    if (!l->ld_preload && strncmp(v, "LD_PRELOAD=", 11) == 0) {
      if (!(l->ld_preload = format("%s %s", v, lib))) return fail(l, TSJAIL_STEP_PREPARE, ENOMEM, "environment");
      v = l->ld_preload;
    }
    l->envp[o++] = v;
  }
  if (!l->ld_preload) {
    if (!(l->ld_preload = format("LD_PRELOAD=%s", lib))) return fail(l, TSJAIL_STEP_PREPARE, ENOMEM, "environment");
    l->envp[o++] = l->ld_preload;
  }
  if (!(l->preload_env = format("%s=%d,%d", TSJAIL_PRELOAD_ENV, l->state, l->status[1])))
    return fail(l, TSJAIL_STEP_PREPARE, ENOMEM, "environment");
  l->envp[o++] = l->preload_env;
  l->envp[o] = NULL;
  c->envp = l->envp;
  return 0;
}

/* ---- stage 5: the fds the child keeps ----------------------------------------------------- */

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return x < y ? -1 : x > y;
}

/* The fds the program holds until exec (sorted). Every other one is closed, so the listener
 * lands on the first gap: the number the parent takes it from. */
static int stage_keep_fds(struct launch *l) {
  struct tsjail_config *c = &l->cfg;
  size_t nk = 0;
  if (!(l->keep = calloc(5 + c->n_preserve_fds, sizeof *l->keep))) return fail(l, TSJAIL_STEP_PREPARE, ENOMEM, "fds");
  l->keep[nk++] = 0;
  l->keep[nk++] = 1;
  l->keep[nk++] = 2;
  l->keep[nk++] = l->status[1];
  for (size_t i = 0; i < c->n_preserve_fds; i++) l->keep[nk++] = c->preserve_fds[i];
  if (l->state >= 0) l->keep[nk++] = l->state;
  qsort(l->keep, nk, sizeof *l->keep, cmp_int);
  size_t u = 0;
  for (size_t i = 0; i < nk; i++)
    if (u == 0 || l->keep[u - 1] != l->keep[i]) l->keep[u++] = l->keep[i];
  int lfd = 0;
  for (size_t i = 0; i < u; i++) {
    if (l->keep[i] == lfd) lfd++;
    else if (l->keep[i] > lfd) break;
  }
  c->listener_fd = lfd;
  c->keep_fds = l->keep;
  c->n_keep_fds = u;
  return 0;
}

/* ---- stage 6: clone ----------------------------------------------------------------------- */

struct clone_args_v0 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* Whether this process holds CAP_SYS_PTRACE (effective): pidfd_getfd needs it to take an fd
 * from a process that is not dumpable. */
static int have_cap_sys_ptrace(void) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d)) return 0;
  return (d[CAP_SYS_PTRACE / 32].effective >> (CAP_SYS_PTRACE % 32)) & 1;
}

/* The init's program runs in the init's memory until its execve (child.c). That memory is
 * made not dumpable before the program starts, unless the supervisor must take the filter's
 * listener from the program and cannot from a process that is not dumpable (no
 * CAP_SYS_PTRACE): then the init becomes not dumpable only once the program has exec'ed,
 * which is safe only while the program, running by then, is in a Landlock domain (Landlock
 * refuses ptrace access, /proc/PID/mem and the like from a domain to a process outside it:
 * the init). Without one, the program is a fork, as dumpable as its parent until it execs. */
static void decide_program_start(struct launch *l) {
  struct tsjail_config *c = &l->cfg;
  if (!c->filter_listener || have_cap_sys_ptrace()) c->program_start = TSJAIL_PROGRAM_SHARED;
  else if (tsjail_landlock_makes_domain(&l->landlock, tsjail_landlock_abi())) c->program_start = TSJAIL_PROGRAM_SHARED_DUMPABLE;
  else c->program_start = TSJAIL_PROGRAM_FORK;
}

/* Whether p lies in the launcher's argv or environment strings. */
static int in_launcher_strings(const struct tsjail_config *c, const char *p) {
  const unsigned long *areas[2] = {c->launcher_args, c->launcher_env};
  for (int i = 0; i < 2; i++)
    if (p && areas[i][1] > areas[i][0] && (unsigned long)p >= areas[i][0] && (unsigned long)p < areas[i][1]) return 1;
  return 0;
}

/* The init blanks the launcher's argv and environment strings before the program's steps and
 * execve (child.c), so what those read must not live there: a launcher passes copies. */
static int check_program_strings(struct launch *l) {
  const struct tsjail_config *c = &l->cfg;
  if (!c->with_init) return 0;
  int inside = in_launcher_strings(c, c->path) || in_launcher_strings(c, c->cwd);
  const char *const *lists[2] = {c->argv, c->envp};
  for (int k = 0; k < 2 && !inside; k++)
    for (size_t i = 0; lists[k] && lists[k][i] && !inside; i++) inside = in_launcher_strings(c, lists[k][i]);
  if (inside) return fail(l, TSJAIL_STEP_PREPARE, EINVAL, "the program's path, argv, environment or cwd points into the launcher's own");
  return 0;
}

/* All signals blocked so no handler of the caller's runs in the child; clone3 because clone(2)
 * cannot carry CLONE_NEWTIME. No stack: the child runs on a copy of ours, like fork. */
static int stage_clone(struct launch *l) {
  if (check_program_strings(l)) return -1;
  decide_program_start(l);
  sigset_t all, old;
  sigfillset(&all);
  int mask_err = pthread_sigmask(SIG_SETMASK, &all, &old);
  if (mask_err) return fail(l, TSJAIL_STEP_PREPARE, mask_err, "pthread_sigmask");
  struct clone_args_v0 ca;
  memset(&ca, 0, sizeof ca);
  int pidfd = -1;
  ca.flags = l->cfg.clone_flags | CLONE_PIDFD;
  ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
  ca.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &ca, sizeof ca);
  /* The fallback is only for a jail whose file-system hardening did not count on those
   * namespaces (a cgroup cover, a fresh /proc for a host bind, CAP_SYS_ADMIN dropped in a user
   * namespace): such a jail fails at clone instead of starting with less than it was promised. */
  int hardening_needs_ns = l->fs.hide_cgroupfs || l->fs.drop_sys_admin || l->fs.enabled;
  if (pid < 0 && l->default_ns && !hardening_needs_ns && (errno == EPERM || errno == EINVAL || errno == ENOSPC || errno == EUSERS)) {
    /* The namespaces decide_teardown added cannot be made here (user namespaces disabled,
     * nesting limits): run without them rather than not at all; PDEATHSIG still ends the
     * program with the launcher. */
    l->cfg.clone_flags &= ~l->default_ns;
    l->cfg.with_init = (l->cfg.clone_flags & CLONE_NEWPID) && !l->spec->program_as_init;
    l->cfg.fresh_proc = 0;
    /* RLIMIT_NPROC outside a user namespace counts every process of the uid on the host. */
    l->cfg.default_nproc = 0;
    l->default_ns = 0;
    ca.flags = l->cfg.clone_flags | CLONE_PIDFD;
    pid = syscall(SYS_clone3, &ca, sizeof ca);
  }
  if (pid == 0) {
    tsjail_child_main(&l->cfg);
    _exit(127);
  }
  int clone_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid < 0) return fail(l, TSJAIL_STEP_CLONE, clone_err, "");
  l->jail->pid = (pid_t)pid;
  l->jail->pidfd = pidfd;
  /* The child's ends: it has its copies. */
  close_fd(&l->sync[0]);
  close_fd(&l->status[1]);
  close_fd(&l->report[1]);
  close_fd(&l->state);
  for (int i = 0; i < 3; i++) close_fd(&l->stdio_child[i]);
  return 0;
}

/* ---- stage 7: the parent's part while the child waits ------------------------------------ */

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  size_t len = strlen(text);
  ssize_t n = write(fd, text, len);
  int err = n == (ssize_t)len ? 0 : (n < 0 ? errno : EIO);
  close(fd);
  return err;
}

/* setgroups, uid_map, gid_map (setresuid inside the user namespace needs the maps). */
static int write_id_maps(const struct tsjail_spec *s, const struct launch *l, pid_t pid, char *detail, size_t cap) {
  char path[64];
  /* Unprivileged writers must deny setgroups before writing gid_map; root may allow it when
   * the spec sets supplementary groups. */
  int allow = s->set_groups && geteuid() == 0;
  snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
  int err = write_file(path, allow ? "allow" : "deny");
  if (err && err != ENOENT) {
    snprintf(detail, cap, "setgroups");
    return err;
  }
  /* A user namespace the launch added has its own identity maps (decide_teardown). */
  int own = (l->default_ns & CLONE_NEWUSER) != 0;
  const char *maps[2][2] = {{"uid_map", own ? l->uid_map : s->uid_map}, {"gid_map", own ? l->gid_map : s->gid_map}};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, maps[i][0]);
    if ((err = write_file(path, maps[i][1] ? maps[i][1] : ""))) {
      snprintf(detail, cap, "%s: %s", maps[i][0], maps[i][1] ? maps[i][1] : "");
      return err;
    }
  }
  return 0;
}

static int stage_parent_setup(struct launch *l) {
  const struct tsjail_spec *s = l->spec;
  struct tsjail_jail *j = l->jail;
  char *detail = launch_detail(l);
  if (l->cfg.clone_flags & CLONE_NEWUSER) {
    int err = write_id_maps(s, l, j->pid, detail, DETAIL_CAP);
    if (err) return fail_after_clone(l, TSJAIL_STEP_ID_MAP, err, detail);
  }
  struct tsjail_cgroup_limits *cl = &l->cgroup;
  int err = tsjail_cgroup_create(cl, &j->cgroup, NULL, detail, DETAIL_CAP);
  if (err && l->default_pids && (err == ENODEV || err == EACCES || err == EPERM || err == EROFS || err == EBUSY)) {
    /* The default ceiling needed a cgroup this host does not give us (no pids controller, not
     * delegated): run without the ceiling, as the docs say, rather than not at all. Limits the
     * spec asked for still fail closed. */
    cl->has_pids = 0;
    err = tsjail_cgroup_create(cl, &j->cgroup, NULL, detail, DETAIL_CAP); /* nothing left to limit: no cgroup, 0 */
  }
  if (!err && j->cgroup && (err = tsjail_cgroup_attach(j->cgroup, j->pid)))
    snprintf(detail, DETAIL_CAP, "%s: %s", j->cgroup->step ? j->cgroup->step : "cgroup", j->cgroup->detail);
  if (err) return fail_after_clone(l, TSJAIL_STEP_CGROUP, err, detail);
  return 0;
}

/* ---- stage 8: release, and the handshake ------------------------------------------------- */

/* A failure record's detail: the fs phase and the failing item's index. */
static void record_detail(const struct tsjail_record *r, char *detail, size_t cap) {
  size_t o = 0;
  detail[0] = '\0';
  if (r->phase) o = (size_t)snprintf(detail, cap, "%s", tsjail_fs_phase_name((enum tsjail_fs_phase)r->phase));
  if (r->index >= 0 && o < cap) snprintf(detail + o, cap - o, "%s#%d", o ? " " : "", r->index);
}

/* One TSJAIL_SYNC_GO byte on the sync socket, then its EOF by shutdown(2), which copies of our
 * end in other jails' children cannot hold back. MSG_NOSIGNAL: a child that died before reading
 * it must not kill tsjail-exec, whose SIGPIPE is the default. 0 or errno (EPIPE: it is gone). */
static int write_release(int fd) {
  char go = TSJAIL_SYNC_GO;
  ssize_t n;
  do n = send(fd, &go, 1, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
  if (n != 1) return n < 0 ? errno : EIO;
  if (shutdown(fd, SHUT_WR)) return errno == ENOTCONN ? EPIPE : errno;
  return 0;
}

/* The preload window's outcome once the status socket is closed: 0 = the kernel showed the
 * exact filter on every thread; else the jail is killed, with what went wrong. */
static int preload_outcome(struct launch *l) {
  const struct tsjail_window *win = &l->jail->window;
  char *detail = launch_detail(l);
  if (win->verified) return 0;
  if (win->refused_close) return fail_after_clone(l, TSJAIL_STEP_PRELOAD, ENOEXEC, win->finding);
  if (win->violation_nr >= 0) {
    /* A call the policy denies, outside the loader's own, before the exact filter: from a
     * library constructor that runs before the preload's, or from a program that never runs
     * it (no libc, a static interpreter): the jail dies either way (fail closed). */
    const char *name = tsjail_spec_syscall_name(l->spec, win->violation_nr);
    if (name)
      snprintf(detail, DETAIL_CAP, "syscall %s (%d), denied by the policy, was made before the preload library took over",
               name, win->violation_nr);
    else
      snprintf(detail, DETAIL_CAP, "syscall %d, denied by the policy, was made before the preload library took over",
               win->violation_nr);
    if (l->jail->violations.first_nr >= 0) {
      l->error->has_violation = 1;
      l->error->violation = l->jail->violations.first;
      l->error->violation_ret = l->jail->violations.first_ret;
    }
    return fail_after_clone(l, TSJAIL_STEP_PRELOAD, ENOEXEC, detail);
  }
  return fail_after_clone(l, TSJAIL_STEP_PRELOAD, ENOEXEC, "the program started without running the preload library");
}

/* Release the child, then serve it until exec (status EOF), or in preload mode until the
 * status socket closes: a record = that step failed. In preload mode the jail runs only if the
 * supervisor saw the status socket's close with the exact filter on every thread (mediate.h);
 * an acknowledgement record is the program's word and changes nothing. */
static int stage_handshake(struct launch *l) {
  struct tsjail_jail *j = l->jail;
  int preload = l->mode == TSJAIL_MODE_PRELOAD;
  /* The go byte, then EOF: its turn. EOF alone would mean we died (child.c, step_sync). A
   * child that is already gone (EPIPE) has said why on the status socket, read below. */
  int err = write_release(l->sync[1]);
  if (err && err != EPIPE) return fail_after_clone(l, TSJAIL_STEP_SYNC, err, "release");
  close_fd(&l->sync[1]);
  /* A jail stuck in the preload window ends at the preload timeout, or at its time limit if
   * that comes first. */
  long now = tsjail_now_ms(), window_end = now + l->spec->preload_timeout_ms;
  int by_limit = l->spec->time_limit_ms >= 0 && now + l->spec->time_limit_ms < window_end;
  if (by_limit) window_end = now + l->spec->time_limit_ms;
  struct tsjail_watch w = {j->pidfd, l->status[0], -1, preload ? window_end : -1};
  l->status[0] = -1; /* the loop closes it at EOF */
  int rc = 0;
  char *detail = launch_detail(l);
  for (;;) {
    struct tsjail_event ev;
    tsjail_supervise(&j->sup, &w, &ev);
    if (ev.kind == TSJAIL_EVENT_EOF) break;
    if (ev.kind == TSJAIL_EVENT_RECORD && ev.record.step == TSJAIL_RECORD_PRELOAD_ACK) continue;
    /* The first process is gone; the status socket reaches EOF once the program's side closes. */
    if (ev.kind == TSJAIL_EVENT_EXITED) {
      w.jail_pidfd = -1;
      continue;
    }
    if (ev.kind == TSJAIL_EVENT_RECORD) {
      int step = ev.record.step >= 0 && ev.record.step < TSJAIL_STEP_COUNT ? ev.record.step : TSJAIL_STEP_EXEC;
      record_detail(&ev.record, detail, DETAIL_CAP);
      rc = fail_after_clone(l, step, ev.record.err, detail);
    } else if (ev.kind == TSJAIL_EVENT_BAD_RECORD) {
      rc = fail_after_clone(l, TSJAIL_STEP_PREPARE, EIO, "a malformed status record");
    } else if (ev.kind == TSJAIL_EVENT_DEADLINE) {
      rc = fail_after_clone(l, TSJAIL_STEP_PRELOAD, ETIMEDOUT,
                            by_limit ? "the time limit passed before the exact filter was in place"
                                     : "the exact filter was not in place in time");
    } else {
      rc = fail_after_clone(l, TSJAIL_STEP_SECCOMP, ev.err, ev.detail);
    }
    break;
  }
  if (w.status_fd >= 0) close(w.status_fd);
  if (rc || !preload) return rc;
  return preload_outcome(l);
}

/* ---- the launch --------------------------------------------------------------------------- */

static void jail_init(struct tsjail_jail *j) {
  memset(j, 0, sizeof *j);
  j->pid = -1;
  j->pidfd = j->report_rd = -1;
  for (int i = 0; i < 3; i++) j->stdio_parent[i] = -1;
  j->violations.first_nr = -1;
  tsjail_supervisor_init(&j->sup, 0, -1, tsjail_decide_by_policy, &j->decider, tsjail_record_violation, &j->violations);
}

/* The supervisor's setup once the filters are known: it expects the listener, and decides with
 * its own copy of the policy (the spec may go away while the jail runs). */
static int supervise_jail(struct launch *l) {
  const struct tsjail_spec *s = l->spec;
  struct tsjail_jail *j = l->jail;
  if (!l->listener) return 0;
  if (s->permissive && !(j->violations.log = calloc(TSJAIL_WOULD_DENY_MAX, sizeof *j->violations.log)))
    return fail(l, TSJAIL_STEP_PREPARE, ENOMEM, "record");
  if (!(j->policy = malloc(s->n_policy * sizeof *j->policy))) return fail(l, TSJAIL_STEP_PREPARE, ENOMEM, "policy");
  memcpy(j->policy, s->policy, s->n_policy * sizeof *j->policy);
  /* A program the kernel refuses fails at step seccomp; the decider never sees it run. */
  j->decider.policy = tsjail_bpf_check(j->policy, s->n_policy) ? NULL : j->policy;
  j->decider.n_policy = s->n_policy;
  j->decider.permissive = s->permissive;
  tsjail_supervisor_init(&j->sup, 1, l->cfg.listener_fd, tsjail_decide_by_policy, &j->decider, tsjail_record_violation,
                         &j->violations);
  if (l->mode == TSJAIL_MODE_PRELOAD) {
    tsjail_window_init(&j->window, l->status[1], &j->sup.listener);
    j->decider.window = &j->window;
  }
  return 0;
}

/* A launch that failed: what the jail held is closed (the child, if any, was killed and reaped
 * by fail_after_clone). */
static void launch_failed(struct launch *l) {
  struct tsjail_jail *j = l->jail;
  tsjail_supervisor_close(&j->sup);
  if (j->pidfd >= 0) close_fd(&j->pidfd);
  for (int i = 0; i < 3; i++) close_fd(&j->stdio_parent[i]);
  free(j->policy);
  j->policy = NULL;
  free(j->violations.log);
  j->violations.log = NULL;
}

/* Stages 1-6: everything up to and including clone. 0 with *out the launch to finish; -1 with
 * nothing running. */
static int launch_begin(const struct tsjail_spec *spec, const int stdio[3], struct tsjail_jail *j,
                        struct tsjail_launch_error *e, struct launch **out) {
  *out = NULL;
  memset(e, 0, sizeof *e);
  jail_init(j);
  struct launch *l = launch_new(spec, j, e);
  if (!l) {
    e->step = TSJAIL_STEP_PREPARE;
    e->err = ENOMEM;
    return -1;
  }
  if (stage_decide(l) || stage_channels(l, stdio) || stage_filters(l) || stage_preload_state(l) || stage_keep_fds(l) ||
      supervise_jail(l) || stage_clone(l)) {
    launch_failed(l);
    launch_release(l);
    return -1;
  }
  *out = l;
  return 0;
}

/* Stages 7-8: the id maps and the cgroup while the child waits, its release and the handshake.
 * Frees l on both paths. */
static int launch_finish(struct launch *l) {
  struct tsjail_jail *j = l->jail;
  int rc = stage_parent_setup(l) || stage_handshake(l) ? -1 : 0;
  if (rc == 0) {
    j->report_rd = l->report[0];
    l->report[0] = -1;
  } else {
    launch_failed(l);
  }
  launch_release(l);
  return rc;
}

int tsjail_launch(const struct tsjail_spec *spec, const int stdio[3], struct tsjail_jail *j, struct tsjail_launch_error *e) {
  struct launch *l;
  return launch_begin(spec, stdio, j, e, &l) ? -1 : launch_finish(l);
}

/* The pid file is written as a new file next to the target and renamed over it. The directory
 * may belong to the jail's user (a run directory), who could have left a symlink at the name
 * (`job.pid -> /etc/shadow`): opening the name with O_CREAT|O_TRUNC would follow it and
 * truncate the link's target with our privileges. rename(2) replaces the link itself and
 * never follows it; the temporary name is created with O_EXCL|O_NOFOLLOW, so nothing planted
 * there is opened either. The directory is held by fd so both names are in the same one. */
int tsjail_write_pid_file(const char *path, pid_t pid) {
  char text[32];
  int n = snprintf(text, sizeof text, "%d\n", (int)pid);
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) return EISDIR;
  char dir[4096];
  size_t dl = slash ? (size_t)(slash - path) : 0;
  if (dl + 2 > sizeof dir) return ENAMETOOLONG;
  if (!slash) memcpy(dir, ".", 2);
  else if (dl == 0) memcpy(dir, "/", 2);
  else {
    memcpy(dir, path, dl);
    dir[dl] = '\0';
  }
  int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return errno;
  char tmp[300];
  int fd = -1, err = 0;
  for (int attempt = 0; attempt < 16 && fd < 0; attempt++) {
    unsigned long nonce = 0;
    if (getrandom(&nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce) nonce = (unsigned long)tsjail_now_ms() + (unsigned long)attempt;
    if (snprintf(tmp, sizeof tmp, ".%.200s.%d.%lx", name, (int)getpid(), nonce) >= (int)sizeof tmp) {
      close(dirfd);
      return ENAMETOOLONG;
    }
    fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    err = errno;
    close(dirfd);
    return err;
  }
  errno = 0;
  if (write(fd, text, (size_t)n) != n) err = errno ? errno : EIO;
  /* 0644 whatever the umask: readers of pid files are often other users. */
  if (!err && fchmod(fd, 0644)) err = errno;
  if (close(fd) && !err) err = errno;
  if (!err && renameat(dirfd, tmp, dirfd, name)) err = errno;
  if (err) unlinkat(dirfd, tmp, 0);
  close(dirfd);
  return err;
}

/* The pid file of a running jail, or the jail killed (step pid-file). */
static int start_pid_file(const struct tsjail_spec *spec, struct tsjail_jail *j, struct tsjail_launch_error *e) {
  if (!spec->pid_file) return 0;
  int err = tsjail_write_pid_file(spec->pid_file, j->pid);
  if (!err) return 0;
  syscall(SYS_pidfd_send_signal, j->pidfd, SIGKILL, NULL, 0);
  struct tsjail_exit ignored;
  tsjail_jail_wait(j, -1, -1, &ignored);
  tsjail_jail_close(j);
  e->step = TSJAIL_STEP_PID_FILE;
  e->err = err;
  snprintf(e->detail, sizeof e->detail, "%s", spec->pid_file);
  return -1;
}

int tsjail_start_begin(const struct tsjail_spec *spec, const int stdio[3], struct tsjail_jail *j, struct tsjail_launch_error *e,
                       struct tsjail_pending **pending) {
  struct launch *l;
  int rc = launch_begin(spec, stdio, j, e, &l);
  *pending = (struct tsjail_pending *)l;
  return rc;
}

int tsjail_start_finish(struct tsjail_pending *pending) {
  struct launch *l = (struct launch *)pending;
  const struct tsjail_spec *spec = l->spec;
  struct tsjail_jail *j = l->jail;
  struct tsjail_launch_error *e = l->error;
  if (launch_finish(l)) return -1;
  return start_pid_file(spec, j, e);
}

int tsjail_start(const struct tsjail_spec *spec, const int stdio[3], struct tsjail_jail *j, struct tsjail_launch_error *e) {
  struct tsjail_pending *pending;
  return tsjail_start_begin(spec, stdio, j, e, &pending) ? -1 : tsjail_start_finish(pending);
}

long tsjail_deadline_ms(const struct tsjail_spec *spec) {
  return spec->time_limit_ms >= 0 ? tsjail_now_ms() + spec->time_limit_ms : -1;
}

void tsjail_jail_wait(struct tsjail_jail *j, long deadline_ms, int sigfd, struct tsjail_exit *out) {
  struct tsjail_watch w = {j->pidfd, -1, sigfd, deadline_ms};
  int timed_out = 0;
  for (;;) {
    struct tsjail_event ev;
    tsjail_supervise(&j->sup, &w, &ev);
    if (ev.kind == TSJAIL_EVENT_EXITED) break;
    if (ev.kind == TSJAIL_EVENT_DEADLINE) {
      /* SIGKILL of the init ends the whole pid namespace; without one (the kernel would not
       * make it), the jail's cgroup is killed as a whole, when it has one. */
      syscall(SYS_pidfd_send_signal, j->pidfd, SIGKILL, NULL, 0);
      if (j->cgroup) tsjail_cgroup_kill(j->cgroup);
      timed_out = 1;
      w.deadline_ms = -1;
    } else if (ev.kind == TSJAIL_EVENT_FAILED) {
      /* The listener cannot be taken (only possible if the launch returned before it was):
       * nobody would answer the jail's notifications. */
      syscall(SYS_pidfd_send_signal, j->pidfd, SIGKILL, NULL, 0);
    }
  }
  siginfo_t si;
  memset(&si, 0, sizeof si);
  while (waitid((idtype_t)P_PIDFD, (id_t)j->pidfd, &si, WEXITED) < 0 && errno == EINTR) {
  }
  out->code = -1;
  out->signal = 0;
  if (si.si_code == CLD_EXITED) out->code = si.si_status;
  else out->signal = si.si_status;
  if (j->report_rd >= 0) {
    struct tsjail_exit_report r;
    if (read(j->report_rd, &r, sizeof r) == (ssize_t)sizeof r) {
      out->code = r.code;
      out->signal = r.signal;
    }
  }
  out->violation_nr = j->violations.first_nr;
  out->violation = j->violations.first;
  out->violation_ret = j->violations.first_ret;
  /* A kill-thread verdict ends a thread only: the violation is reported, the process may live
   * on and end as it will (or of SIGSYS, when that thread was its last, as the kernel does). */
  if (out->violation_nr >= 0 && (j->violations.killed_process || out->signal == SIGSYS)) out->reason = TSJAIL_EXIT_VIOLATION;
  else if (timed_out && out->signal == SIGKILL) out->reason = TSJAIL_EXIT_TIME_LIMIT;
  else if (out->signal == SIGKILL && j->cgroup && tsjail_cgroup_oom_kills(j->cgroup) > 0)
    out->reason = TSJAIL_EXIT_MEMORY_LIMIT;
  else if (out->signal) out->reason = TSJAIL_EXIT_SIGNALED;
  else out->reason = TSJAIL_EXIT_EXITED;
  tsjail_supervisor_close(&j->sup);
  close_fd(&j->report_rd);
  /* Back to the pool when the process keeps one and nothing of the jail is left in it. */
  tsjail_cgroup_release(j->cgroup);
  j->cgroup = NULL;
}

void tsjail_jail_close(struct tsjail_jail *j) {
  tsjail_cgroup_discard(j->cgroup); /* NULL once tsjail_jail_wait released it */
  j->cgroup = NULL;
  close_fd(&j->pidfd);
  for (int i = 0; i < 3; i++) close_fd(&j->stdio_parent[i]);
  tsjail_supervisor_close(&j->sup);
  close_fd(&j->report_rd);
  free(j->policy);
  j->policy = NULL;
  free(j->violations.log);
  j->violations.log = NULL;
}
