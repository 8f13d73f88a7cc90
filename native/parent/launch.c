/* The parent side of a jail launch, shared by the addon and tsjail-exec. See launch.h.
 * Every fd made here is O_CLOEXEC in the parent; every exit path closes what it made. */
#define _GNU_SOURCE
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../preload/preload_state.h"
#include "filter.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

static const char *const step_names[] = {
#define TSJAIL_STEP_NAME(e, name, side) name,
    TSJAIL_STEP_LIST(TSJAIL_STEP_NAME)
#undef TSJAIL_STEP_NAME
};

const char *tsjail_step_name(int step) {
  return step >= 0 && step < TSJAIL_STEP_COUNT ? step_names[step] : "exec";
}

long tsjail_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* Everything one launch made; released on every path. */
struct launch_state {
  int sync[2], status[2], report[2], release[2];
  int state, pidfd, listener;
  int stdio_child[3], stdio_parent[3];
  struct sock_filter *installed, *exact, *prefix;
  size_t n_installed, n_exact;
  char **envp;      /* the final environment (array; strings below or the caller's) */
  char **owned;     /* the LD_PRELOAD entries with ours appended, NULL-terminated */
  char *preload_env;
  int *keep;
  int supervised;   /* sp->report, unless no supervisor could take the listener (see supervisable) */
};

/* Every fd slot of the state, for state_init and state_release. */
#define STATE_FDS 17
static void state_fds(struct launch_state *s, int *fds[STATE_FDS]) {
  int *all[STATE_FDS] = {&s->sync[0], &s->sync[1], &s->status[0], &s->status[1], &s->report[0], &s->report[1],
                         &s->release[0], &s->release[1], &s->state, &s->pidfd, &s->listener,
                         &s->stdio_child[0], &s->stdio_child[1], &s->stdio_child[2],
                         &s->stdio_parent[0], &s->stdio_parent[1], &s->stdio_parent[2]};
  memcpy(fds, all, sizeof all);
}

static void state_init(struct launch_state *s) {
  memset(s, 0, sizeof *s);
  int *fds[STATE_FDS];
  state_fds(s, fds);
  for (size_t i = 0; i < STATE_FDS; i++) *fds[i] = -1;
}

static void state_release(struct launch_state *s) {
  int *fds[STATE_FDS];
  state_fds(s, fds);
  for (size_t i = 0; i < STATE_FDS; i++) close_fd(fds[i]);
  free(s->installed);
  free(s->exact);
  free(s->prefix);
  free(s->envp);
  for (size_t i = 0; s->owned && s->owned[i]; i++) free(s->owned[i]);
  free(s->owned);
  free(s->preload_env);
  free(s->keep);
}

static int fail(struct tsjail_launch_error *e, int step, int err, const char *detail) {
  e->step = step;
  e->err = err;
  e->invalid_spec = 0;
  snprintf(e->detail, sizeof e->detail, "%s", detail ? detail : "");
  return -1;
}

static int invalid(struct tsjail_launch_error *e, const char *detail) {
  fail(e, TSJAIL_STEP_PREPARE, EINVAL, detail);
  e->invalid_spec = 1;
  return -1;
}

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  size_t len = strlen(text);
  ssize_t n = write(fd, text, len);
  int err = n == (ssize_t)len ? 0 : (n < 0 ? errno : EIO);
  close(fd);
  return err;
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

/* The parent's part while the child waits: setgroups, uid_map, gid_map. */
static int write_id_maps(const struct tsjail_launch_spec *sp, pid_t pid, char *detail, size_t cap) {
  char path[64];
  /* Unprivileged writers must deny setgroups before writing gid_map; root may allow it when
   * the spec sets supplementary groups. */
  int allow = sp->groups_set && geteuid() == 0;
  snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
  int err = write_file(path, allow ? "allow" : "deny");
  if (err && err != ENOENT) { snprintf(detail, cap, "setgroups"); return err; }
  snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
  if ((err = write_file(path, sp->uid_map ? sp->uid_map : ""))) {
    snprintf(detail, cap, "uid_map: %s", sp->uid_map ? sp->uid_map : "");
    return err;
  }
  snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
  if ((err = write_file(path, sp->gid_map ? sp->gid_map : ""))) {
    snprintf(detail, cap, "gid_map: %s", sp->gid_map ? sp->gid_map : "");
    return err;
  }
  return 0;
}

static void kill_and_reap(int pidfd) {
  syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
  siginfo_t si;
  while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR) {
  }
}

/* The outside id that `map` ("inside outside count" lines) gives inside id `id`, or -1. */
static long long map_outside(const char *map, unsigned long long id) {
  for (const char *p = map ? map : ""; *p;) {
    unsigned long long in, out, count;
    int used = 0;
    if (sscanf(p, "%llu %llu %llu%n", &in, &out, &count, &used) != 3) return -1;
    if (id >= in && id - in < count) return (long long)(out + (id - in));
    p += used;
    while (*p == '\n' || *p == ' ') p++;
  }
  return -1;
}

/* Can the init take the program's listener? pidfd_getfd needs ptrace access, and until exec
 * the program's mm belongs to our user namespace (it was forked from us): a program that is
 * not dumpable can then only be reached with CAP_SYS_PTRACE here, which an init inside a new
 * user namespace never has. Changing the effective uid or gid to another host id makes the
 * program non-dumpable (commit_creds). Such a jail keeps the kernel's own kill verdicts
 * (SIGSYS, the syscall unnamed) rather than a listener nobody can take. */
static int supervisable(const struct tsjail_launch_spec *sp) {
  const struct tsjail_config *c = sp->cfg;
  if (!c->with_init || !sp->userns) return 1;
  if (c->set_uid && map_outside(sp->uid_map, c->uid) != (long long)geteuid()) return 0;
  if (c->set_gid && map_outside(sp->gid_map, c->gid) != (long long)getegid()) return 0;
  return 1;
}

/* Room for a prefix block: the gate's is one instruction per allowed syscall (a jail file holds
 * at most 250) plus about twenty; an fd exception's is nine. */
#define PREFIX_CAP 300

/* The installed filter (exact in exec mode, the gate in preload mode) and, in preload mode,
 * the exact filter the preload installs. 0, or -1 with the reason in *error. */
static int build_filters(const struct tsjail_launch_spec *sp, struct launch_state *s, int status_wr,
                         int release_rd, struct tsjail_launch_error *e) {
  struct tsjail_config *c = sp->cfg;
  if (!sp->n_policy) return 0;
  s->prefix = calloc(PREFIX_CAP, sizeof *s->prefix);
  s->installed = calloc(BPF_MAXINSNS, sizeof *s->installed);
  s->exact = calloc(BPF_MAXINSNS, sizeof *s->exact);
  if (!s->prefix || !s->installed || !s->exact) return fail(e, TSJAIL_STEP_PREPARE, ENOMEM, "filters");
  unsigned tsync = sp->tsync ? SECCOMP_FILTER_FLAG_TSYNC : 0;
  unsigned log = sp->log ? SECCOMP_FILTER_FLAG_LOG : 0;
  /* With a listener the kill verdicts become notifications (the supervisor kills and names the
   * syscall); TSYNC with a listener needs TSYNC_ESRCH. */
  uint32_t kill_to = s->supervised ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_KILL_PROCESS;
  int n;
  if (!sp->preload) {
    int np = 0;
    if (s->supervised) np = tsjail_filter_fd_exception(SYS_read, release_rd, s->prefix, PREFIX_CAP);
    n = tsjail_filter_rewrite(sp->policy, sp->n_policy, kill_to, s->prefix, (size_t)np, s->installed, BPF_MAXINSNS);
    if (n < 0) return invalid(e, "seccomp: the filter with the runtime's prefix exceeds 4096 instructions");
    s->n_installed = (size_t)n;
  } else {
    /* The gate: policy + the loader set, installed before exec. */
    int np = tsjail_filter_gate_prefix(sp->gate_allow, sp->n_gate_allow, status_wr, s->prefix, PREFIX_CAP);
    n = np < 0 ? -1 : tsjail_filter_rewrite(sp->policy, sp->n_policy, kill_to, s->prefix, (size_t)np,
                                            s->installed, BPF_MAXINSNS);
    if (n < 0) return invalid(e, "seccomp: the gate filter exceeds 4096 instructions");
    s->n_installed = (size_t)n;
    /* The exact filter the preload installs on top: the policy plus close(status fd). When
     * reporting, a dispatch on the gate's own test keeps it fail-closed and naming violations
     * where it can (tsjail_filter_exact); otherwise the policy's bytes as given. */
    if (s->supervised) {
      n = tsjail_filter_exact(sp->policy, sp->n_policy, sp->gate_allow, sp->n_gate_allow, status_wr, s->exact,
                              BPF_MAXINSNS);
    } else {
      np = tsjail_filter_fd_exception(SYS_close, status_wr, s->prefix, PREFIX_CAP);
      n = np < 0 ? -1 : tsjail_filter_rewrite(sp->policy, sp->n_policy, SECCOMP_RET_KILL_PROCESS, s->prefix, (size_t)np, s->exact,
                                BPF_MAXINSNS);
    }
    if (n < 0) return invalid(e, "seccomp: the filter with the runtime's prefix exceeds 4096 instructions");
    s->n_exact = (size_t)n;
  }
  c->filter.len = (unsigned short)s->n_installed;
  c->filter.filter = s->installed;
  c->filter_flags = log | (sp->preload ? 0 : tsync);
  if (s->supervised) {
    c->filter_listener = 1;
    if (c->filter_flags & SECCOMP_FILTER_FLAG_TSYNC) c->filter_flags |= (1U << 4); /* TSYNC_ESRCH */
  }
  return 0;
}

/* The preload's state memfd and the environment that names it: our LD_PRELOAD entry appended
 * to the user's (the preload removes only its own), plus TSJAIL_PRELOAD=<state>,<status>. */
static int prepare_preload(const struct tsjail_launch_spec *sp, struct launch_state *s,
                           struct tsjail_launch_error *e) {
  const char *lib = sp->preload_library ? sp->preload_library : "";
  if (access(lib, R_OK)) return fail(e, TSJAIL_STEP_PRELOAD, errno, lib);
  s->state = memfd_create("tsjail-preload", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (s->state < 0) return fail(e, TSJAIL_STEP_PREPARE, errno, "memfd_create");
  struct tsjail_preload_header h = {TSJAIL_PRELOAD_MAGIC, 0, (uint32_t)s->n_exact, 0};
  if (sp->tsync) h.flags |= SECCOMP_FILTER_FLAG_TSYNC;
  if (sp->log) h.flags |= SECCOMP_FILTER_FLAG_LOG;
  size_t bytes = s->n_exact * sizeof(struct sock_filter);
  errno = 0;
  if (write(s->state, &h, sizeof h) != (ssize_t)sizeof h || write(s->state, s->exact, bytes) != (ssize_t)bytes)
    return fail(e, TSJAIL_STEP_PREPARE, errno ? errno : EIO, "memfd write");
  /* Sealed, because the program's (and its preloads') constructors run under the gate before
   * the preload reads the state: unsealed, one could rewrite the exact filter. */
  if (fcntl(s->state, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL))
    return fail(e, TSJAIL_STEP_PREPARE, errno, "memfd seals");
  sp->cfg->state_fd = s->state;

  size_t n = 0;
  while (sp->cfg->envp && sp->cfg->envp[n]) n++;
  s->envp = calloc(n + 3, sizeof *s->envp);
  if (!s->envp) return fail(e, TSJAIL_STEP_PREPARE, ENOMEM, "environment");
  s->owned = calloc(n + 2, sizeof *s->owned);
  if (!s->owned) return fail(e, TSJAIL_STEP_PREPARE, ENOMEM, "environment");
  size_t no = 0, o = 0;
  for (size_t i = 0; i < n; i++) {
    char *v = sp->cfg->envp[i];
    if (strncmp(v, "LD_PRELOAD=", 11) == 0) {
      size_t len = strlen(v) + 1 + strlen(lib) + 1;
      if (!(s->owned[no] = malloc(len))) return fail(e, TSJAIL_STEP_PREPARE, ENOMEM, "environment");
      snprintf(s->owned[no], len, "%s %s", v, lib);
      v = s->owned[no++];
    }
    s->envp[o++] = v;
  }
  if (!no) {
    size_t len = strlen("LD_PRELOAD=") + strlen(lib) + 1;
    if (!(s->owned[no] = malloc(len))) return fail(e, TSJAIL_STEP_PREPARE, ENOMEM, "environment");
    snprintf(s->owned[no], len, "LD_PRELOAD=%s", lib);
    s->envp[o++] = s->owned[no++];
  }
  size_t len = strlen(TSJAIL_PRELOAD_ENV) + 32;
  s->preload_env = malloc(len);
  if (!s->preload_env) return fail(e, TSJAIL_STEP_PREPARE, ENOMEM, "environment");
  snprintf(s->preload_env, len, "%s=%d,%d", TSJAIL_PRELOAD_ENV, s->state, s->status[1]);
  s->envp[o++] = s->preload_env;
  s->envp[o] = NULL;
  sp->cfg->envp = s->envp;
  return 0;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return x < y ? -1 : x > y;
}

struct clone_args_v0 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* Kill and reap the child, remove its cgroup, report the step. */
static int fail_after_clone(struct launch_state *s, struct tsjail_cgroup *cg, struct tsjail_launch_error *e,
                            int step, int err, const char *detail) {
  kill_and_reap(s->pidfd);
  if (cg) tsjail_cgroup_remove(cg);
  return fail(e, step, err, detail);
}

static int launch(const struct tsjail_launch_spec *sp, struct launch_state *s, struct tsjail_jail *j,
                  struct tsjail_launch_error *e) {
  struct tsjail_config *c = sp->cfg;
  s->supervised = sp->report && supervisable(sp);
  if (c->caps_set) c->cap_last_cap = cap_last_cap();
  /* ---- prepare: every fd the child needs, CLOEXEC in the parent ---- */
  if (pipe2(s->sync, O_CLOEXEC) || pipe2(s->status, O_CLOEXEC)) return fail(e, TSJAIL_STEP_PREPARE, errno, "pipe2");
  if (c->with_init && pipe2(s->report, O_CLOEXEC)) return fail(e, TSJAIL_STEP_PREPARE, errno, "pipe2");
  if (s->supervised && pipe2(s->release, O_CLOEXEC)) return fail(e, TSJAIL_STEP_PREPARE, errno, "pipe2");
  for (int i = 0; i < 3; i++) {
    if (sp->stdio[i] >= 0) { c->stdio_src[i] = sp->stdio[i]; continue; }
    int p[2];
    if (pipe2(p, O_CLOEXEC)) return fail(e, TSJAIL_STEP_PREPARE, errno, "pipe2");
    s->stdio_child[i] = i == 0 ? p[0] : p[1];
    s->stdio_parent[i] = i == 0 ? p[1] : p[0];
    c->stdio_src[i] = s->stdio_child[i];
  }
  c->sync_rd = s->sync[0];
  c->sync_wr = s->sync[1];
  c->status_wr = s->status[1];
  c->report_wr = s->report[1];
  c->release_rd = s->release[0];
  c->release_wr = c->with_init ? s->release[1] : -1;
  c->status_keep = sp->preload && sp->n_policy;
  c->state_fd = -1;
  if (build_filters(sp, s, s->status[1], s->release[0], e)) return -1;
  if (sp->preload && sp->n_policy && prepare_preload(sp, s, e)) return -1;

  /* The fds the program holds until exec (sorted); the listener lands on the first gap. */
  size_t nk = 0;
  s->keep = calloc(4 + c->n_preserve_fds + 2, sizeof *s->keep);
  if (!s->keep) return fail(e, TSJAIL_STEP_PREPARE, ENOMEM, "fds");
  s->keep[nk++] = 0;
  s->keep[nk++] = 1;
  s->keep[nk++] = 2;
  s->keep[nk++] = s->status[1];
  for (size_t i = 0; i < c->n_preserve_fds; i++) s->keep[nk++] = c->preserve_fds[i];
  if (s->release[0] >= 0) s->keep[nk++] = s->release[0];
  if (s->state >= 0) s->keep[nk++] = s->state;
  qsort(s->keep, nk, sizeof *s->keep, cmp_int);
  size_t u = 0;
  for (size_t i = 0; i < nk; i++)
    if (u == 0 || s->keep[u - 1] != s->keep[i]) s->keep[u++] = s->keep[i];
  nk = u;
  int lfd = 0;
  for (size_t i = 0; i < nk; i++) {
    if (s->keep[i] == lfd) lfd++;
    else if (s->keep[i] > lfd) break;
  }
  c->listener_fd = lfd;
  c->keep_fds = s->keep;
  c->n_keep_fds = nk;

  /* ---- clone: all signals blocked so no handler of the caller's runs in the child; clone3
   * because clone(2) cannot carry CLONE_NEWTIME. No stack: the child runs on a copy of ours,
   * like fork. */
  sigset_t all, old;
  sigfillset(&all);
  int mask_err = pthread_sigmask(SIG_SETMASK, &all, &old);
  if (mask_err) return fail(e, TSJAIL_STEP_PREPARE, mask_err, "pthread_sigmask");
  struct clone_args_v0 ca;
  memset(&ca, 0, sizeof ca);
  int pidfd = -1;
  ca.flags = c->clone_flags | CLONE_PIDFD;
  ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
  ca.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &ca, sizeof ca);
  if (pid == 0) {
    tsjail_child_main(c);
    _exit(127);
  }
  int clone_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid < 0) return fail(e, TSJAIL_STEP_CLONE, clone_err, "");
  s->pidfd = pidfd;

  /* Child-only ends; the child has its copies. */
  close_fd(&s->sync[0]);
  close_fd(&s->status[1]);
  close_fd(&s->report[1]);
  close_fd(&s->release[0]);
  close_fd(&s->state);
  for (int i = 0; i < 3; i++) close_fd(&s->stdio_child[i]);
  if (c->with_init) close_fd(&s->release[1]);

  /* ---- parent's part while the child waits on the sync pipe ---- */
  char detail[TSJAIL_LAUNCH_DETAIL_MAX];
  detail[0] = '\0';
  if (sp->userns) {
    int err = write_id_maps(sp, (pid_t)pid, detail, sizeof detail);
    if (err) return fail_after_clone(s, NULL, e, TSJAIL_STEP_ID_MAP, err, detail);
  }
  const struct tsjail_cgroup_limits *cl = sp->cgroup_limits;
  if (cl && (cl->has_memory || cl->has_pids || cl->has_cpu)) {
    int err = tsjail_cgroup_create(cl, &j->cgroup);
    if (!err) err = tsjail_cgroup_attach(&j->cgroup, (pid_t)pid);
    if (err) {
      snprintf(detail, sizeof detail, "%s: %s", j->cgroup.step ? j->cgroup.step : "cgroup", j->cgroup.detail);
      return fail_after_clone(s, &j->cgroup, e, TSJAIL_STEP_CGROUP, err, detail);
    }
    j->has_cgroup = 1;
  }
  struct tsjail_cgroup *cgp = j->has_cgroup ? &j->cgroup : NULL;
  close_fd(&s->sync[1]); /* release the child */

  /* Without an init we supervise the listener ourselves: take it once the child has installed
   * its filter (it waits on the release pipe until then). ESRCH: the child died first, and the
   * status pipe says why. Any other failure would leave the kill verdicts unsupervised
   * (ENOSYS instead of a kill), so the launch fails instead. */
  if (s->supervised && sp->n_policy && !c->with_init) {
    int fd = tsjail_take_listener(s->pidfd, c->listener_fd, -1);
    if (fd >= 0) {
      s->listener = fd;
      close_fd(&s->release[1]);
    } else if (fd != -ESRCH) {
      return fail_after_clone(s, cgp, e, TSJAIL_STEP_SECCOMP, -fd,
                              fd == -ETIMEDOUT ? "the filter's listener never appeared"
                                               : "cannot take the filter's listener (pidfd_getfd)");
    }
  }

  /* ---- the status pipe: a record = that step failed; EOF = exec happened (exec mode), or
   * ACK then EOF = the preload installed the exact filter (preload mode). ---- */
  int preload = sp->preload && sp->n_policy;
  int acked = 0;
  int early_violation = -1;
  long deadline = tsjail_now_ms() + sp->preload_timeout_ms;
  for (;;) {
    /* Keep supervising the listener meanwhile: a program stopped by the gate before the
     * handshake must die now (and close the pipe), not wait for the timeout. */
    struct pollfd p[2] = {{s->status[0], POLLIN, 0}, {s->listener, POLLIN, 0}};
    long left = deadline - tsjail_now_ms();
    int timeout = preload ? (int)(left > 0 ? left : 0) : -1;
    int n = poll(p, s->listener >= 0 ? 2 : 1, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0)
      return fail_after_clone(s, cgp, e, TSJAIL_STEP_PRELOAD, ETIMEDOUT, "no acknowledgement from the preload library");
    if (s->listener >= 0 && (p[1].revents & POLLIN)) {
      int nr = tsjail_handle_notification(s->listener);
      if (nr >= 0 && early_violation < 0) early_violation = nr;
    }
    /* No task uses the filter any more: nothing can arrive, and polling it would spin. */
    if (s->listener >= 0 && (p[1].revents & (POLLHUP | POLLERR))) close_fd(&s->listener);
    if (!(p[0].revents & (POLLIN | POLLHUP))) continue;
    struct tsjail_record r;
    ssize_t got = read(s->status[0], &r, sizeof r);
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) break;
    if (got != (ssize_t)sizeof r) return fail_after_clone(s, cgp, e, TSJAIL_STEP_PREPARE, EIO, "short status record");
    if (r.step == TSJAIL_RECORD_PRELOAD_ACK) { acked = 1; continue; }
    int step = r.step >= 0 && r.step < TSJAIL_STEP_COUNT ? r.step : TSJAIL_STEP_EXEC;
    size_t o = 0;
    detail[0] = '\0';
    if (r.phase) o = (size_t)snprintf(detail, sizeof detail, "%s", tsjail_fs_phase_name((enum tsjail_fs_phase)r.phase));
    if (r.index >= 0) snprintf(detail + o, sizeof detail - o, "%s#%d", o ? " " : "", r.index);
    return fail_after_clone(s, cgp, e, step, r.err, detail);
  }
  if (preload && !acked && early_violation >= 0) {
    /* The gate stopped a call before the preload library acknowledged. The loader's start-up
     * calls are allowed, so it came from a library constructor, or from main itself because
     * the preload library never ran: the jail dies either way (fail closed); name the call. */
    snprintf(detail, sizeof detail, "syscall %d, denied by the policy, was made before the preload library took over", early_violation);
    return fail_after_clone(s, cgp, e, TSJAIL_STEP_PRELOAD, ENOEXEC, detail);
  }
  if (preload && !acked)
    return fail_after_clone(s, cgp, e, TSJAIL_STEP_PRELOAD, ENOEXEC, "the program started without running the preload library");

  /* ---- running ---- */
  j->pid = (pid_t)pid;
  j->pidfd = s->pidfd;
  s->pidfd = -1;
  j->report_rd = s->report[0];
  s->report[0] = -1;
  j->listener = s->listener;
  s->listener = -1;
  j->violation_nr = early_violation;
  for (int i = 0; i < 3; i++) {
    j->stdio_parent[i] = s->stdio_parent[i];
    s->stdio_parent[i] = -1;
  }
  return 0;
}

int tsjail_launch(const struct tsjail_launch_spec *sp, struct tsjail_jail *j, struct tsjail_launch_error *e) {
  struct launch_state s;
  state_init(&s);
  memset(j, 0, sizeof *j);
  j->pid = -1;
  j->pidfd = j->report_rd = j->listener = -1;
  j->violation_nr = -1;
  for (int i = 0; i < 3; i++) j->stdio_parent[i] = -1;
  memset(e, 0, sizeof *e);
  int rc = launch(sp, &s, j, e);
  state_release(&s);
  /* The caller's config must not keep pointers into what was just freed. */
  sp->cfg->filter.filter = NULL;
  sp->cfg->keep_fds = NULL;
  return rc;
}

void tsjail_jail_wait(struct tsjail_jail *j, long deadline_ms, int sigfd, struct tsjail_exit *out) {
  out->code = -1;
  out->signal = 0;
  out->violation_nr = j->violation_nr;
  out->timed_out = 0;
  for (;;) {
    struct pollfd p[3];
    int np = 0, ip = -1, il = -1, is = -1;
    ip = np;
    p[np++] = (struct pollfd){j->pidfd, POLLIN, 0};
    if (j->listener >= 0) { il = np; p[np++] = (struct pollfd){j->listener, POLLIN, 0}; }
    if (sigfd >= 0) { is = np; p[np++] = (struct pollfd){sigfd, POLLIN, 0}; }
    int timeout = -1;
    if (deadline_ms >= 0 && !out->timed_out) {
      long left = deadline_ms - tsjail_now_ms();
      timeout = left > 0 ? (int)(left > 0x7fffffff ? 0x7fffffff : left) : 0;
    }
    int n = poll(p, (nfds_t)np, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 && deadline_ms >= 0 && !out->timed_out && tsjail_now_ms() >= deadline_ms) {
      /* SIGKILL of the init ends the whole pid namespace; without one, only the program. */
      syscall(SYS_pidfd_send_signal, j->pidfd, SIGKILL, NULL, 0);
      out->timed_out = 1;
      continue;
    }
    if (il >= 0 && (p[il].revents & POLLIN)) {
      int nr = tsjail_handle_notification(j->listener);
      if (nr >= 0 && out->violation_nr < 0) out->violation_nr = nr;
    }
    if (il >= 0 && (p[il].revents & (POLLHUP | POLLERR))) close_fd(&j->listener);
    if (is >= 0 && (p[is].revents & POLLIN)) {
      struct signalfd_siginfo si;
      if (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si)
        syscall(SYS_pidfd_send_signal, j->pidfd, (int)si.ssi_signo, NULL, 0);
    }
    if (p[ip].revents & POLLIN) break;
  }
  siginfo_t si;
  memset(&si, 0, sizeof si);
  while (waitid((idtype_t)P_PIDFD, (id_t)j->pidfd, &si, WEXITED) < 0 && errno == EINTR) {
  }
  if (si.si_code == CLD_EXITED) out->code = si.si_status;
  else out->signal = si.si_status;
  if (j->report_rd >= 0) {
    struct tsjail_exit_report r;
    if (read(j->report_rd, &r, sizeof r) == (ssize_t)sizeof r) {
      out->code = r.code;
      out->signal = r.signal;
      if (r.violation_nr >= 0) out->violation_nr = r.violation_nr;
    }
  }
  close_fd(&j->listener);
  close_fd(&j->report_rd);
  if (j->has_cgroup) {
    tsjail_cgroup_remove(&j->cgroup);
    j->has_cgroup = 0;
  }
}

void tsjail_jail_close(struct tsjail_jail *j) {
  close_fd(&j->pidfd);
  for (int i = 0; i < 3; i++) close_fd(&j->stdio_parent[i]);
}
