/* The cloned child: one function per step, run in one fixed order, each returning 0 or an
 * errno. Async-signal-safe only: the parent is a multithreaded Node process, so after clone
 * any libc lock may be held forever (minijail_run_internal's comment). No allocation, no
 * stdio, no environ; syscalls only. A failing step sends {step, errno} on the status socket
 * and _exits: never exec half-jailed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "fds.h"
#include "record.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

static void fail(const struct tsjail_config *cfg, int step, int err, int phase, int index) {
  tsjail_record_fail(cfg->status_wr, step, err, phase, index);
}

#define STEP(cfg, step, call)                 \
  do {                                        \
    int e_ = (call);                          \
    if (e_) fail((cfg), (step), e_, 0, -1);   \
  } while (0)

/* The parent writes setgroups/uid_map/gid_map and attaches the cgroup while we wait here:
 * setresuid inside the user namespace needs the maps, and an unprivileged parent can only
 * open /proc/<pid>/uid_map while we are alive. EOF = done. */
static int step_sync(const struct tsjail_config *cfg) {
  char c;
  int released = 0;
  close(cfg->sync_wr); /* our copy of the parent's end would keep EOF from ever coming */
  for (;;) {
    ssize_t n = read(cfg->sync_rd, &c, 1);
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    /* One TSJAIL_SYNC_GO byte, then EOF: the parent's part is done. EOF alone means the parent
     * died (its end closed with it): its maps, cgroup and supervisor may be missing. */
    if (released || c != TSJAIL_SYNC_GO) return ECANCELED;
    released = 1;
  }
  close(cfg->sync_rd);
  return released ? 0 : ECANCELED;
}

/* Die with the launcher: SIGKILL when the thread that cloned us exits, so a jail never runs on
 * without its supervisor, time limit and cgroup cleanup. The pidfd closes the race with a
 * launcher that died before the prctl. Set again after the id change, which clears it. */
static int step_parent_death(const struct tsjail_config *cfg) {
  if (cfg->parent_pidfd < 0) return 0;
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)) return errno;
  struct pollfd p = {cfg->parent_pidfd, POLLIN, 0};
  int n;
  do n = poll(&p, 1, 0); while (n < 0 && errno == EINTR);
  if (n < 0) return errno;
  return n > 0 ? ESRCH : 0;
}

/* A session of its own: the caller's terminal stops being the jail's controlling terminal,
 * so TIOCSTI on it (which needs the controlling terminal, or CAP_SYS_ADMIN) and /dev/tty fail,
 * and the terminal's job-control signals reach the launcher, which forwards them. The cloned
 * child is never a process-group leader, so setsid cannot fail with EPERM here. */
static int step_session(const struct tsjail_config *cfg) {
  if (!cfg->new_session) return 0;
  return setsid() < 0 ? errno : 0;
}

/* A core dump is a file the kernel writes for the program, past its policy and Landlock (into
 * the working directory, or to a core_pattern helper). Hard limit 0, so the program cannot
 * raise it again; before the id change like the other limits. */
static int step_no_core(const struct tsjail_config *cfg) {
  if (!cfg->no_core_dumps) return 0;
  struct rlimit none = {0, 0};
  return setrlimit(RLIMIT_CORE, &none) ? errno : 0;
}

/* The launcher's session keyring is the program's too (inherited across fork), and a process
 * possesses the keys of its session keyring whatever their owner: join a new, empty, anonymous
 * one. After the id change, so it belongs to (and counts against) the jail's uid. A kernel
 * without keys has nothing to steal. */
static int step_session_keyring(const struct tsjail_config *cfg) {
  if (!cfg->new_session_keyring) return 0;
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) >= 0) return 0;
  return errno == ENOSYS || errno == EOPNOTSUPP ? 0 : errno;
}

/* The default pid ceiling of a jail in a user namespace, where RLIMIT_NPROC counts the uid's
 * processes in that namespace only (the parent's decide_ceiling). Never raises the hard limit.
 * Set after the id change: a program that leaves for another uid of the namespace would not be
 * counted, and setresuid itself fails the exec when the new uid is already over it. */
static int step_default_nproc(const struct tsjail_config *cfg) {
  if (!cfg->default_nproc) return 0;
  struct rlimit lim;
  if (getrlimit(RLIMIT_NPROC, &lim)) return errno;
  rlim_t want = (rlim_t)cfg->default_nproc;
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < want) want = lim.rlim_max;
  lim.rlim_cur = lim.rlim_max = want;
  return setrlimit(RLIMIT_NPROC, &lim) ? errno : 0;
}

/* The /proc of the jail's own pid namespace, in a mount namespace the runtime added for it (the
 * spec has none): the host's /proc would show its processes, and /proc/1/net the host's network
 * namespace (its unix sockets, under -e too). Slave propagation first, so the mount stays ours.
 * A kernel that refuses an unprivileged proc mount (EPERM: a /proc it does not fully show)
 * leaves the host's /proc, as the docs say. */
static int step_fresh_proc(const struct tsjail_config *cfg) {
  if (!cfg->fresh_proc) return 0;
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL)) return errno;
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) return 0;
  return errno == EPERM ? 0 : errno;
}

static int step_hostname(const struct tsjail_config *cfg) {
  if (!cfg->hostname) return 0;
  return sethostname(cfg->hostname, strlen(cfg->hostname)) ? errno : 0;
}

/* A new network namespace has only a down loopback; bring it up like minijail -e. */
static int step_loopback(const struct tsjail_config *cfg) {
  if (!cfg->loopback) return 0;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, "lo", 3);
  int err = 0;
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) err = errno;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (!err && ioctl(s, SIOCSIFFLAGS, &ifr) < 0) err = errno;
  close(s);
  return err;
}

static int step_setgroups(const struct tsjail_config *cfg) {
  if (!cfg->set_groups) return 0;
  return syscall(SYS_setgroups, cfg->n_groups, cfg->groups) ? errno : 0;
}

static int step_setresgid(const struct tsjail_config *cfg) {
  if (!cfg->set_gid) return 0;
  return syscall(SYS_setresgid, cfg->gid, cfg->gid, cfg->gid) ? errno : 0;
}

static int step_setresuid(const struct tsjail_config *cfg) {
  if (!cfg->set_uid) return 0;
  /* Keep the permitted set across the uid change when caps are asked for; the caps step
   * then trims it. Without caps, dropping root drops every capability (the kernel's rule). */
  if (cfg->caps_set && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)) return errno;
  return syscall(SYS_setresuid, cfg->uid, cfg->uid, cfg->uid) ? errno : 0;
}

static int capset_sets(uint64_t eff, uint64_t perm, uint64_t inh) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  d[0].effective = (uint32_t)eff;
  d[1].effective = (uint32_t)(eff >> 32);
  d[0].permitted = (uint32_t)perm;
  d[1].permitted = (uint32_t)(perm >> 32);
  d[0].inheritable = (uint32_t)inh;
  d[1].inheritable = (uint32_t)(inh >> 32);
  return syscall(SYS_capset, &h, d) ? errno : 0;
}

static int capget_permitted(uint64_t *perm) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d)) return errno;
  *perm = (uint64_t)d[0].permitted | ((uint64_t)d[1].permitted << 32);
  return 0;
}

#define CAPBIT(c) ((uint64_t)1 << (c))

/* Bounding set, then permitted/effective/inheritable = keep (plus CAP_SETPCAP until the
 * securebits step, which needs it). Runs after the id change so a non-root uid keeps exactly
 * `keep` (PR_SET_KEEPCAPS held the permitted set across setresuid). */
static int step_caps(const struct tsjail_config *cfg) {
  if (!cfg->caps_set) return 0;
  uint64_t perm = 0;
  int err = capget_permitted(&perm);
  if (err) return err;
  uint64_t work = perm & (cfg->caps_keep | CAPBIT(CAP_SETPCAP));
  if ((cfg->caps_keep & ~perm) != 0) return EPERM; /* cannot keep what we do not have */
  if ((err = capset_sets(work, work, cfg->caps_keep))) return err;
  for (int c = 0; c <= cfg->cap_last_cap; c++) {
    if (cfg->caps_bounding & CAPBIT(c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL) return errno;
  }
  return 0;
}

/* Ambient caps survive execve of a non-root, non-setuid program (needs permitted and
 * inheritable, set above). */
static int step_ambient(const struct tsjail_config *cfg) {
  if (!cfg->caps_set) return 0;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)) return errno;
  if (!cfg->caps_ambient) return 0;
  for (int c = 0; c <= cfg->cap_last_cap; c++)
    if ((cfg->caps_keep & CAPBIT(c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0)) return errno;
  return 0;
}

/* Securebits need CAP_SETPCAP; afterwards drop it unless kept. */
static int step_securebits(const struct tsjail_config *cfg) {
  if (!cfg->caps_set) return 0;
  if (cfg->securebits >= 0 && prctl(PR_SET_SECUREBITS, cfg->securebits, 0, 0, 0)) return errno;
  return capset_sets(cfg->caps_keep, cfg->caps_keep, cfg->caps_keep);
}

/* chdir as the jailed user, so its permissions apply. */
static int step_cwd(const struct tsjail_config *cfg) {
  if (!cfg->cwd) return 0;
  return chdir(cfg->cwd) ? errno : 0;
}

static int step_no_new_privs(const struct tsjail_config *cfg) {
  if (!cfg->no_new_privs) return 0;
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ? errno : 0;
}

/* Put the stdio sources on 0-2 (through CLOEXEC copies above the keep set, so a source that
 * is itself 0-2 is not clobbered), clear CLOEXEC on the fds the program keeps, close the rest. */
static int step_close_fds(const struct tsjail_config *cfg) {
  int tmp[3];
  for (int i = 0; i < 3; i++) {
    tmp[i] = fcntl(cfg->stdio_src[i], F_DUPFD_CLOEXEC, 3);
    if (tmp[i] < 0) return errno;
  }
  for (int i = 0; i < 3; i++) {
    if (dup2(tmp[i], i) < 0) return errno;
  }
  for (size_t i = 0; i < cfg->n_preserve_fds; i++) {
    if (fcntl(cfg->preserve_fds[i], F_SETFD, 0)) return errno;
  }
  if (cfg->status_keep && fcntl(cfg->status_wr, F_SETFD, 0)) return errno;
  if (cfg->state_fd >= 0 && fcntl(cfg->state_fd, F_SETFD, 0)) return errno;
  return tsjail_close_fds_except(cfg->keep_fds, cfg->n_keep_fds);
}

/* Default dispositions and an empty mask (the parent blocked everything around clone). Done
 * before seccomp so policies need not allow rt_sigaction/rt_sigprocmask. */
static int step_signals(const struct tsjail_config *cfg) {
  (void)cfg;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int s = 1; s < 65; s++) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    if (syscall(SYS_rt_sigaction, s, &sa, NULL, 8) && errno != EINVAL) return errno;
  }
  sigset_t empty;
  memset(&empty, 0, sizeof empty);
  return syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty, NULL, 8) ? errno : 0;
}

/* Last step before exec (bubblewrap's order), so the filter need not allow the setup. With a
 * listener, the parent is told first, so it starts taking the listener only now; below an
 * init the message carries a pidfd of this process, which the parent (in another pid
 * namespace) could not open itself. Nothing waits here: the execve that follows stops in the
 * filter's execve prefix until the parent's supervisor holds the listener and lets it through. */
static int step_seccomp(const struct tsjail_config *cfg) {
  if (!cfg->filter.len) return 0;
  unsigned flags = cfg->filter_flags;
  if (cfg->filter_listener) {
    int pidfd = -1;
    if (cfg->with_init && (pidfd = (int)syscall(SYS_pidfd_open, (pid_t)syscall(SYS_getpid), 0)) < 0) return errno;
    int err = tsjail_record_send(cfg->status_wr, TSJAIL_RECORD_LISTENER, 0, 0, -1, pidfd);
    /* Closed before seccomp: the listener takes the lowest free fd, listener_fd. */
    if (pidfd >= 0) close(pidfd);
    if (err) return err;
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  }
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &cfg->filter);
  if (fd < 0) return errno;
  /* Cannot happen (every other fd was closed); the parent would look for it at listener_fd. */
  if (cfg->filter_listener && fd != cfg->listener_fd) return EBADFD;
  return 0;
}

/* The init is a copy of the launcher, argv and environment strings included: /proc/1/cmdline
 * would show the caller's command line (`node ... tsjail run ...`) and /proc/1/environ its
 * environment to the jail. The copies are ours (copy-on-write), and nothing here reads them:
 * the launch never points the program's path, argv or environment into them (launch.c). */
static void blank_launcher_strings(const struct tsjail_config *cfg) {
  static const char name[] = "tsjail-init";
  const unsigned long *areas[2] = {cfg->launcher_args, cfg->launcher_env};
  for (int i = 0; i < 2; i++) {
    unsigned long start = areas[i][0], end = areas[i][1];
    if (!start || end <= start) continue;
    memset((void *)start, 0, end - start);
    if (i == 0 && end - start > sizeof name) memcpy((void *)start, name, sizeof name);
  }
}

/* The program's side: drop ids and capabilities, Landlock, close fds, seccomp, execve. Runs in
 * the cloned child itself (no init) or in the init's vfork-style child. */
__attribute__((noreturn)) static void program_main(const struct tsjail_config *cfg) {
  STEP(cfg, TSJAIL_STEP_SETGROUPS, step_setgroups(cfg));
  STEP(cfg, TSJAIL_STEP_SETRESGID, step_setresgid(cfg));
  STEP(cfg, TSJAIL_STEP_SETRESUID, step_setresuid(cfg));
  STEP(cfg, TSJAIL_STEP_RLIMITS, step_default_nproc(cfg));
  STEP(cfg, TSJAIL_STEP_SESSION_KEYRING, step_session_keyring(cfg));
  STEP(cfg, TSJAIL_STEP_CAPS, step_caps(cfg));
  STEP(cfg, TSJAIL_STEP_AMBIENT, step_ambient(cfg));
  STEP(cfg, TSJAIL_STEP_SECUREBITS, step_securebits(cfg));
  /* Below an init the init holds it (the program dies with the pid namespace). */
  if (!cfg->with_init) STEP(cfg, TSJAIL_STEP_PARENT_DEATH, step_parent_death(cfg));
  STEP(cfg, TSJAIL_STEP_CWD, step_cwd(cfg));
  /* no_new_privs before Landlock (landlock_restrict_self needs it without CAP_SYS_ADMIN) and
   * before seccomp (likewise; and it makes exec ignore setuid bits, so ld.so is not in secure
   * mode and honours the preload). */
  STEP(cfg, TSJAIL_STEP_NO_NEW_PRIVS, step_no_new_privs(cfg));
  if (cfg->landlock && (cfg->landlock->enabled || cfg->landlock->scopes || cfg->landlock->read_only)) {
    int idx = -1;
    int err = tsjail_landlock_apply(cfg->landlock, &idx);
    if (err) fail(cfg, TSJAIL_STEP_LANDLOCK, err, 0, idx);
  }
  STEP(cfg, TSJAIL_STEP_CLOSE_FDS, step_close_fds(cfg));
  if (cfg->rlimits && cfg->rlimits->n) {
    int idx = -1;
    int err = tsjail_rlimits_apply_phase(cfg->rlimits, TSJAIL_RLIMITS_NOFILE, &idx);
    if (err) fail(cfg, TSJAIL_STEP_RLIMITS, err, 0, idx);
  }
  STEP(cfg, TSJAIL_STEP_SIGNALS, step_signals(cfg));
  STEP(cfg, TSJAIL_STEP_SECCOMP, step_seccomp(cfg));
  syscall(SYS_execve, cfg->path, cfg->argv, cfg->envp);
  fail(cfg, TSJAIL_STEP_EXEC, errno, 0, -1);
  _exit(127);
}

static int program_entry(void *arg) { program_main((const struct tsjail_config *)arg); }

/* The program's stack between the init's clone and its execve. Static: every jail's init has
 * its own copy of this memory (a copy of the launcher's), and no step needs more than a few
 * KiB (the largest frame is a record or a path). */
static char program_stack[64 << 10] __attribute__((aligned(16)));

int tsjail_child_main(void *arg) {
  const struct tsjail_config *cfg = (const struct tsjail_config *)arg;
  STEP(cfg, TSJAIL_STEP_PARENT_DEATH, step_parent_death(cfg));
  STEP(cfg, TSJAIL_STEP_SYNC, step_sync(cfg));

  /* Mounts and the new root first, while the child still holds every capability of its
   * (new) user namespace. */
  if (cfg->fs && cfg->fs->enabled) {
    struct tsjail_fs_failure why = {0, -1};
    int err = tsjail_fs_apply(cfg->fs, &why);
    if (err) {
      fail(cfg, (int)tsjail_fs_phase_step(why.phase), err, (int)why.phase, why.index);
    }
  }
  STEP(cfg, TSJAIL_STEP_MOUNTS, step_fresh_proc(cfg));
  STEP(cfg, TSJAIL_STEP_SESSION, step_session(cfg));
  STEP(cfg, TSJAIL_STEP_HOSTNAME, step_hostname(cfg));
  STEP(cfg, TSJAIL_STEP_LOOPBACK, step_loopback(cfg));
  /* Before dropping ids/caps: raising a hard limit needs CAP_SYS_RESOURCE. RLIMIT_NOFILE
   * waits until the inherited fds are closed (below): the child still holds the parent's,
   * so a small limit would make every later fd-opening step fail with EMFILE. */
  STEP(cfg, TSJAIL_STEP_RLIMITS, step_no_core(cfg));
  if (cfg->rlimits && cfg->rlimits->n) {
    int idx = -1;
    int err = tsjail_rlimits_apply_phase(cfg->rlimits, TSJAIL_RLIMITS_EARLY, &idx);
    if (err) fail(cfg, TSJAIL_STEP_RLIMITS, err, 0, idx);
  }

  /* pid 1 of the new pid namespace becomes the init; its child carries on as the program.
   * The init keeps its privileges in the namespace (it reaps and signals), but the program
   * cannot signal or ptrace it once its ids and caps are dropped.
   *
   * The program is a vfork-style child where the parent allows it (program_start;
   * CLONE_VM | CLONE_VFORK, on program_stack): it runs its steps in the init's memory while the
   * init waits, and its execve (or death) hands the memory back. A fork here copied the init's
   * page tables, which are a copy of the whole launcher's (a Node process: tens of MB mapped),
   * only for the program's execve to throw the copy away: a fifth of a plain jail's CPU
   * (docs/benchmarks.md). While they share the memory the program only reads cfg and writes its
   * own stack and errno (the init reads neither before it runs again).
   *
   * The launcher's strings are blanked before the program exists, which may run before the
   * init runs again. With shared memory the init is made not dumpable first too (a fork's init
   * does it in its set-up): dumpability belongs to the memory, so the program is not dumpable
   * until its execve either. A launcher without CAP_SYS_PTRACE cannot take a seccomp listener
   * from such a program (pidfd_getfd): for a jail with a listener it asks for the init to stay
   * dumpable until the program has exec'ed (TSJAIL_PROGRAM_SHARED_DUMPABLE; the program is in
   * a Landlock domain by then, launch.c), or for the fork. */
  if (cfg->with_init) {
    if (cfg->program_start == TSJAIL_PROGRAM_SHARED && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
      fail(cfg, TSJAIL_STEP_INIT, errno, 0, -1);
    blank_launcher_strings(cfg);
    pid_t pid = cfg->program_start == TSJAIL_PROGRAM_FORK
                    ? (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0)
                    : clone(program_entry, program_stack + sizeof program_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)cfg);
    if (pid < 0) fail(cfg, TSJAIL_STEP_INIT, errno, 0, -1);
    if (pid == 0) program_main(cfg);
    tsjail_init_run(cfg, pid);
  }
  program_main(cfg);
  return 127;
}
