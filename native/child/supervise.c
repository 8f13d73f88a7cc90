/* The seccomp supervisor: the policy's kill-process verdicts arrive as user notifications, so
 * the supervisor learns the syscall number (the dying process's si_syscall is visible to no
 * one else), kills the process with SIGKILL before the syscall can run, and reports the
 * violation. Used by the init and by the parent's waiter thread. Async-signal-safe. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#ifndef SECCOMP_IOCTL_NOTIF_RECV
#define SECCOMP_IOC_MAGIC '!'
#define SECCOMP_IOWR(nr, type) _IOWR(SECCOMP_IOC_MAGIC, nr, type)
#define SECCOMP_IOW(nr, type) _IOW(SECCOMP_IOC_MAGIC, nr, type)
#define SECCOMP_IOCTL_NOTIF_RECV SECCOMP_IOWR(0, struct seccomp_notif)
#define SECCOMP_IOCTL_NOTIF_ID_VALID SECCOMP_IOW(2, __u64)
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static int is_listener(int fd) {
  __u64 id = 0;
  /* A seccomp listener answers ENOENT for an unknown id; any other fd ENOTTY/EINVAL. */
  return ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 && errno == ENOENT;
}

int tsjail_take_listener(int program_pidfd, int listener_fd, int release_wr) {
  struct timespec nap = {0, 100000}; /* 100 us */
  for (int tries = 0; tries < 100000; tries++) {
    int fd = (int)syscall(SYS_pidfd_getfd, program_pidfd, listener_fd, 0);
    if (fd >= 0) {
      if (is_listener(fd)) {
        if (release_wr >= 0) close(release_wr);
        return fd;
      }
      close(fd); /* an inherited fd not yet closed by the program; wait */
    } else if (errno == ESRCH || errno == EPERM) {
      return -errno;
    }
    /* The pidfd turns readable when the program exited (it failed a step before seccomp). */
    struct pollfd p = {program_pidfd, POLLIN, 0};
    if (poll(&p, 1, 0) == 1) return -ESRCH;
    nanosleep(&nap, NULL);
  }
  return -ETIMEDOUT;
}

int tsjail_handle_notification(int listener) {
  struct seccomp_notif n;
  memset(&n, 0, sizeof n);
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0) return -1;
  /* n.pid is a thread id in our pid namespace; SIGKILL reaches its whole thread group.
   * The process is blocked in the notification, so the pid cannot have been reused. */
  kill((pid_t)n.pid, SIGKILL);
  return n.data.nr;
}
