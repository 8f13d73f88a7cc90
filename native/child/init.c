/* pid 1 of the jail's pid namespace: reaps orphans, forwards the signals of
 * common/signals.h to the program, and exits with the program's status (128+N for a signal)
 * once the program is gone; the kernel then kills whatever is left in the namespace. Seccomp
 * supervision is the parent's (native/parent/supervise.c): the init never touches the
 * listener. It runs in the cloned child after fork, so it follows the same rules: no
 * allocation, no stdio. */
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

#include "../common/signals.h"
#include "config.h"
#include "fds.h"
#include "record.h"

/* A pid-namespace init drops signals whose disposition is SIG_DFL, even from the parent
 * namespace; a real handler (never run: the signals stay blocked and are read from a
 * signalfd) makes them deliverable. */
static void ignore_handler(int sig) { (void)sig; }

static void report_and_exit(const struct tsjail_config *cfg, int status) {
  struct tsjail_exit_report r = {-1, 0, {0, 0}};
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

/* The init cannot do its job: end the program and report {init, errno} on the status socket
 * (still open: the init closes it only once set up), so the parent names the failure. */
__attribute__((noreturn)) static void init_fail(const struct tsjail_config *cfg, pid_t program, int err) {
  kill(program, SIGKILL);
  tsjail_record_fail(cfg->status_wr, TSJAIL_STEP_INIT, err ? err : EIO, 0, -1);
}

/* Handlers, a signalfd for the forwarded signals and SIGCHLD, and nothing else open: the
 * program's stdio and the status socket must reach EOF when the program's side closes them.
 * Returns the signalfd. */
static int set_up(const struct tsjail_config *cfg, pid_t program) {
  /* The program (same uid if the jail keeps root) must not be able to ptrace us. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)) init_fail(cfg, program, errno);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = ignore_handler;
  for (size_t i = 0; i < TSJAIL_N_FORWARDED_SIGNALS; i++) {
    sigaddset(&set, tsjail_forwarded_signals[i]);
    if (sigaction(tsjail_forwarded_signals[i], &sa, NULL)) init_fail(cfg, program, errno);
  }
  if (sigaction(SIGCHLD, &sa, NULL)) init_fail(cfg, program, errno);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) init_fail(cfg, program, errno);
  int keep[2] = {sfd, cfg->report_wr};
  size_t nk = cfg->report_wr >= 0 ? 2 : 1;
  if (nk == 2 && keep[1] < keep[0]) {
    keep[0] = cfg->report_wr;
    keep[1] = sfd;
  }
  int err = tsjail_close_fds_except(keep, nk);
  if (err) init_fail(cfg, program, err);
  return sfd;
}

void tsjail_init_run(const struct tsjail_config *cfg, pid_t program) {
  int sfd = set_up(cfg, program);
  for (;;) {
    struct pollfd p = {sfd, POLLIN, 0};
    if (poll(&p, 1, -1) < 0) {
      if (errno == EINTR) continue;
      kill(program, SIGKILL); /* cannot wait any more: end the jail, reap below */
    }
    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) { /* non-blocking: drain */
      if ((int)si.ssi_signo != SIGCHLD) kill(program, (int)si.ssi_signo);
    }
    /* Reap everything that has exited: orphans re-parented to us, and the program. */
    for (;;) {
      int status;
      pid_t w = waitpid(-1, &status, WNOHANG);
      if (w <= 0) break;
      if (w == program) report_and_exit(cfg, status);
    }
  }
}
