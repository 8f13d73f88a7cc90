/* pid 1 of the jail's pid namespace: reaps orphans, forwards SIGTERM/SIGINT/SIGHUP/SIGQUIT/
 * SIGUSR1/SIGUSR2 to the program, supervises the seccomp listener, and exits with the
 * program's status (128+N for a signal) once the program is gone; the kernel then kills
 * whatever is left in the namespace. It runs in the cloned child after fork, so it follows the
 * same rules: no allocation, no stdio. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "fds.h"

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* A pid-namespace init drops signals whose disposition is SIG_DFL, even from the parent
 * namespace; a real handler (never run: the signals stay blocked and are read from a
 * signalfd) makes them deliverable. */
static void ignore_handler(int sig) { (void)sig; }

static void report_and_exit(const struct tsjail_config *cfg, int status, int violation_nr) {
  struct tsjail_exit_report r = {-1, 0, violation_nr, 0};
  int code;
  if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
    code = 128 + r.signal;
  } else {
    r.code = WEXITSTATUS(status);
    code = r.code;
  }
  if (cfg->report_wr >= 0) {
    ssize_t n;
    do n = write(cfg->report_wr, &r, sizeof r); while (n < 0 && errno == EINTR);
  }
  _exit(code);
}

/* The init cannot do its job: end the program and report {step, errno} on the status pipe
 * (still open until the init closes it), so the parent names the failure (fail closed). */
__attribute__((noreturn)) static void init_fail(int status_wr, pid_t program, int step, int err) {
  kill(program, SIGKILL);
  struct tsjail_record r = {step, err ? err : EIO, 0, -1};
  ssize_t n;
  do n = write(status_wr, &r, sizeof r); while (n < 0 && errno == EINTR);
  _exit(127);
}

void tsjail_init_run(const struct tsjail_config *cfg, pid_t program) {
  /* The program (same uid if the jail keeps root) must not be able to ptrace us. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
    init_fail(cfg->status_wr, program, TSJAIL_STEP_INIT, errno);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = ignore_handler;
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) {
    sigaddset(&set, forwarded[i]);
    if (sigaction(forwarded[i], &sa, NULL)) init_fail(cfg->status_wr, program, TSJAIL_STEP_INIT, errno);
  }
  if (sigaction(SIGCHLD, &sa, NULL)) init_fail(cfg->status_wr, program, TSJAIL_STEP_INIT, errno);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) init_fail(cfg->status_wr, program, TSJAIL_STEP_INIT, errno);

  /* Keep only what the init needs: the program's stdio pipes, the status pipe and the sync
   * pipe must not be held open by us (EOF on them means the program exec'd or exited). The
   * status pipe stays until the listener is ours, so a failure to take it can be reported. */
  int status_wr = cfg->filter_listener ? cfg->status_wr : -1;
  int keep[4];
  size_t nk = 0;
  int fds[4] = {sfd, cfg->report_wr, cfg->release_wr, status_wr};
  for (int i = 0; i < 4; i++) if (fds[i] >= 0) keep[nk++] = fds[i];
  for (size_t i = 1; i < nk; i++) /* sort, tiny */
    for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) { int t = keep[j]; keep[j] = keep[j - 1]; keep[j - 1] = t; }
  int err = tsjail_close_fds_except(keep, nk);
  if (err) init_fail(cfg->status_wr, program, TSJAIL_STEP_INIT, err);

  /* Without the listener the policy's kill verdicts would fail with ENOSYS and the program
   * would carry on: kill it and report the step instead (fail closed). ESRCH: the program
   * died before installing its filter; its own record says why. */
  int listener = -1;
  if (cfg->filter_listener) {
    int pidfd = (int)syscall(SYS_pidfd_open, program, 0);
    listener = pidfd >= 0 ? tsjail_take_listener(pidfd, cfg->listener_fd, cfg->release_wr) : -errno;
    if (pidfd >= 0) close(pidfd);
    if (listener < 0 && listener != -ESRCH) init_fail(status_wr, program, TSJAIL_STEP_SECCOMP, -listener);
    if (listener < 0) listener = -1;
    close(status_wr);
  }
  if (cfg->release_wr >= 0) close(cfg->release_wr);

  int violation_nr = -1;
  for (;;) {
    struct pollfd p[2] = {{sfd, POLLIN, 0}, {listener, POLLIN, 0}};
    int n = poll(p, listener >= 0 ? 2 : 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      kill(program, SIGKILL);
    }
    if (listener >= 0 && (p[1].revents & POLLIN)) {
      int nr = tsjail_handle_notification(listener);
      if (nr >= 0 && violation_nr < 0) violation_nr = nr;
    }
    if (listener >= 0 && (p[1].revents & (POLLHUP | POLLERR))) {
      close(listener);
      listener = -1;
    }
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) { /* non-blocking: drain */
        if ((int)si.ssi_signo != SIGCHLD) kill(program, (int)si.ssi_signo);
      }
    }
    /* Reap everything that has exited: orphans re-parented to us, and the program. */
    for (;;) {
      int status;
      pid_t w = waitpid(-1, &status, WNOHANG);
      if (w <= 0) break;
      if (w == program) report_and_exit(cfg, status, violation_nr);
    }
  }
}
