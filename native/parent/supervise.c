/* The supervisor and its event loop. See supervise.h and docs/runtime.md ("Seccomp"). */
#define _GNU_SOURCE
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../common/arch.h"
#include "bpf_eval.h"
#include "filter.h"
#include "mediate.h"

#ifndef SECCOMP_IOCTL_NOTIF_RECV
#define SECCOMP_IOC_MAGIC '!'
#define SECCOMP_IOWR(nr, type) _IOWR(SECCOMP_IOC_MAGIC, nr, type)
#define SECCOMP_IOW(nr, type) _IOW(SECCOMP_IOC_MAGIC, nr, type)
#define SECCOMP_IOCTL_NOTIF_RECV SECCOMP_IOWR(0, struct seccomp_notif)
#define SECCOMP_IOCTL_NOTIF_SEND SECCOMP_IOWR(1, struct seccomp_notif_resp)
#define SECCOMP_IOCTL_NOTIF_ID_VALID SECCOMP_IOW(2, __u64)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_ADDFD
#define SECCOMP_IOCTL_NOTIF_ADDFD SECCOMP_IOW(3, struct seccomp_notif_addfd)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif
#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef SECCOMP_RET_LOG
#define SECCOMP_RET_LOG 0x7ffc0000U
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#define TSJAIL_PIDFD_THREAD O_EXCL /* pidfd_open of a thread (Linux 6.9) */
#define MAX_ERRNO 4095

/* How long the program may take from announcing its listener to installing it (a few
 * syscalls), and how often to look meanwhile. */
#define TAKE_TIMEOUT_MS 10000
#define TAKE_RETRY_NS 100000

long tsjail_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* ---- decisions ------------------------------------------------------------------------ */

void tsjail_decide_by_policy(void *ctx, const struct seccomp_notif *n, struct tsjail_decision *out) {
  struct tsjail_policy_decider *d = ctx;
  int native = n->data.arch == tsjail_audit_arch();
  int exec = native && (n->data.nr == SYS_execve || n->data.nr == SYS_execveat);
  out->value = 0;
  out->record = 0;
  out->fd_flags = 0;
  out->ret = 0;
  if (exec && !d->first_exec_done) {
    /* Nothing runs in the jail before its own execve, which waits in the execve prefix until
     * we hold the listener: the first execve is necessarily the jail's. */
    d->first_exec_done = 1;
    if (d->window) tsjail_window_first_exec(d->window, (pid_t)n->pid);
    out->kind = TSJAIL_DECIDE_CONTINUE;
    return;
  }
  if (d->window && tsjail_window_decide(d->window, n, out)) return;
  if (d->permissive) {
    /* run --log / learn: the filter notifies every call the policy does not allow; each one
     * runs (CONTINUE: the program is not contained by its policy, which the user asked for) and
     * is recorded with the verdict it would have had. */
    uint32_t would = d->policy ? tsjail_bpf_run(d->policy, d->n_policy, (const uint8_t *)&n->data) : SECCOMP_RET_KILL_PROCESS;
    uint32_t act = would & SECCOMP_RET_ACTION_FULL;
    out->kind = TSJAIL_DECIDE_CONTINUE;
    out->ret = would;
    out->record = act != SECCOMP_RET_ALLOW && act != SECCOMP_RET_LOG;
    return;
  }
  /* The policy's verdict. Outside the preload mode only its kill verdicts (and its own
   * user-notify) and execve reach us; the preload mode's gate sends every call it does not
   * allow, and the exact filter, once in, answers errno, trap and kill-thread itself. */
  uint32_t ret = d->policy ? tsjail_bpf_run(d->policy, d->n_policy, (const uint8_t *)&n->data) : SECCOMP_RET_KILL_PROCESS;
  out->ret = ret;
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
    case SECCOMP_RET_LOG:
      out->kind = TSJAIL_DECIDE_CONTINUE;
      break;
    case SECCOMP_RET_ERRNO:
      out->kind = TSJAIL_DECIDE_ERRNO;
      out->value = (ret & SECCOMP_RET_DATA) > MAX_ERRNO ? MAX_ERRNO : (ret & SECCOMP_RET_DATA);
      break;
    case SECCOMP_RET_TRACE:
      out->kind = TSJAIL_DECIDE_ERRNO;
      out->value = ENOSYS;
      break;
    case SECCOMP_RET_KILL_THREAD:
      /* The thread alone, as the kernel would have; in the preload window the process, as
       * for every verdict that denies a call there (docs/runtime.md). */
      out->record = 1;
      if (d->window && d->window->open) {
        out->kind = TSJAIL_DECIDE_KILL;
        tsjail_window_killed(d->window, n);
      } else {
        out->kind = TSJAIL_DECIDE_KILL_THREAD;
      }
      break;
    default: /* kill-process, trap, user-notify: the call must not run */
      out->kind = TSJAIL_DECIDE_KILL;
      out->record = 1;
      if (d->window) tsjail_window_killed(d->window, n);
      break;
  }
}

/* The argument that says what a call does, on this arch (-1: none): a record keeps one entry
 * per value of it, so that a learned policy can filter on it (ioctl requests, prctl options,
 * socket families, fcntl commands, mmap/mprotect protections, clone flags). */
static int key_arg(const struct seccomp_data *d) {
  if (d->arch != tsjail_audit_arch()) return -1;
  switch (d->nr) {
    case SYS_ioctl: return 1;
    case SYS_fcntl: return 1;
    case SYS_prctl: return 0;
    case SYS_socket: return 0;
    case SYS_clone: return 0;
    case SYS_mmap: return 2;
    case SYS_mprotect: return 2;
    default: return -1;
  }
}

void tsjail_record_violation(void *ctx, const struct seccomp_notif *n, const struct tsjail_decision *d) {
  struct tsjail_violations *v = ctx;
  if (d->kind == TSJAIL_DECIDE_CONTINUE) {
    for (unsigned i = 0; i < v->n_log; i++) {
      struct tsjail_would_deny *e = &v->log[i];
      int k = key_arg(&n->data);
      if (e->first.arch == n->data.arch && e->first.nr == n->data.nr && e->ret == d->ret &&
          (k < 0 || e->first.args[k] == n->data.args[k])) {
        e->count++;
        return;
      }
    }
    if (!v->log || v->n_log == TSJAIL_WOULD_DENY_MAX) {
      v->log_dropped++;
      return;
    }
    v->log[v->n_log].first = n->data;
    v->log[v->n_log].ret = d->ret;
    v->log[v->n_log].count = 1;
    v->n_log++;
    return;
  }
  if (d->kind != TSJAIL_DECIDE_KILL && d->kind != TSJAIL_DECIDE_KILL_THREAD) return;
  if (d->kind == TSJAIL_DECIDE_KILL) v->killed_process = 1;
  if (v->first_nr < 0) {
    v->first_nr = n->data.nr;
    v->first = n->data;
    v->first_ret = d->ret;
  }
  v->count++;
}

/* ---- acting on a notification ----------------------------------------------------------- */

static int respond(int listener, uint64_t id, uint32_t flags, int32_t error, int64_t val) {
  struct seccomp_notif_resp r;
  memset(&r, 0, sizeof r);
  r.id = id;
  r.flags = flags;
  r.error = error;
  r.val = val;
  return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
}

/* SIGKILL the notifying thread's process. n->pid is a thread id in our pid namespace; the
 * pidfd is opened first and the notification checked after, so the signal cannot reach a
 * process that reused the id. The call is then failed too: should the kill not have worked,
 * the call still never runs. */
static void kill_notifying(int listener, const struct seccomp_notif *n) {
  __u64 id = n->id;
  int fd = (int)syscall(SYS_pidfd_open, (pid_t)n->pid, TSJAIL_PIDFD_THREAD);
  if (fd < 0 && errno == EINVAL) fd = (int)syscall(SYS_pidfd_open, (pid_t)n->pid, 0);
  if (fd >= 0) {
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0) syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
    close(fd);
  } else if (errno != ESRCH && ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0) {
    /* No pidfd (fd limit): the thread is blocked in this valid notification, so its id cannot
     * have been reused yet. */
    kill((pid_t)n->pid, SIGKILL);
  }
  respond(listener, n->id, 0, -ENOSYS, 0);
}

/* Make a thread stopped in a ptrace stop restart its interrupted call as
 * TSJAIL_THREAD_KILL_NR. x86_64: the restart copies orig_rax back (after this stop) and
 * re-executes the syscall instruction; aarch64: the restart already rewound the pc (before
 * the stop) and `svc` reads the number from x8. 0, or -1. */
static int restart_as_thread_kill(pid_t tid) {
  struct user_regs_struct regs;
  struct iovec io = {&regs, sizeof regs};
  if (ptrace(PTRACE_GETREGSET, tid, (void *)1 /* NT_PRSTATUS */, &io)) return -1;
#if defined(__x86_64__)
  regs.orig_rax = TSJAIL_THREAD_KILL_NR;
#elif defined(__aarch64__)
  regs.regs[8] = TSJAIL_THREAD_KILL_NR;
#else
  return -1;
#endif
  return ptrace(PTRACE_SETREGSET, tid, (void *)1, &io) ? -1 : 0;
}

/* End the notifying thread alone, as SECCOMP_RET_KILL_THREAD does (1 when the whole process
 * had to be killed instead, else 0): the program's other
 * threads run on, and only the last live thread's end ends the process. No signal can do it
 * (a fatal signal ends the whole thread group), so we take the thread out of its wait for
 * our answer with PTRACE_INTERRUPT (the kernel withdraws the notification and sets the call
 * up to restart, -ERESTARTSYS), change the number of the call it restarts to
 * TSJAIL_THREAD_KILL_NR, which the filter's thread-kill prefix (filter.h) answers with
 * KILL_THREAD, and detach. The call never runs: if a step fails, or the thread stops for
 * anything but our interrupt (a signal to deliver first), the whole process is killed. */
static int end_thread(int listener, const struct seccomp_notif *n) {
  pid_t tid = (pid_t)n->pid;
  __u64 id = n->id;
  if (ptrace(PTRACE_SEIZE, tid, 0, (void *)(long)PTRACE_O_EXITKILL)) {
    kill_notifying(listener, n);
    return 1;
  }
  /* Seized after the check: the thread is the one still blocked in this notification. */
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0 || ptrace(PTRACE_INTERRUPT, tid, 0, 0)) {
    ptrace(PTRACE_DETACH, tid, 0, 0);
    kill_notifying(listener, n);
    return 1;
  }
  int st = 0;
  pid_t got;
  while ((got = waitpid(tid, &st, __WALL)) < 0 && errno == EINTR) {
  }
  if (got != tid || !WIFSTOPPED(st)) return 0; /* it died meanwhile (its process ended) */
  if ((st >> 16) == PTRACE_EVENT_STOP && restart_as_thread_kill(tid) == 0) {
    ptrace(PTRACE_DETACH, tid, 0, 0);
    return 0;
  }
  /* Its call is withdrawn now, and would restart into the policy's notification again; end
   * the process while the thread is still stopped. */
  int fd = (int)syscall(SYS_pidfd_open, tid, TSJAIL_PIDFD_THREAD);
  if (fd < 0 && errno == EINVAL) fd = (int)syscall(SYS_pidfd_open, tid, 0);
  if (fd >= 0) {
    syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
    close(fd);
  } else {
    kill(tid, SIGKILL); /* traced and stopped: the id cannot be reused */
  }
  ptrace(PTRACE_DETACH, tid, 0, 0);
  return 1;
}

/* Install our fd as the call's result in one step (SECCOMP_ADDFD_FLAG_SEND: the kernel adds
 * it and answers the notification with its number), so the caller gets exactly the file we
 * checked. If the kernel cannot add it (the caller's fd limit), the call fails with that
 * errno; ENOENT means the caller is gone. Our copy is closed either way. */
static void send_fd(int listener, uint64_t id, int fd, unsigned fd_flags) {
  struct seccomp_notif_addfd a;
  memset(&a, 0, sizeof a);
  a.id = id;
  a.flags = SECCOMP_ADDFD_FLAG_SEND;
  a.srcfd = (__u32)fd;
  a.newfd_flags = fd_flags;
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a) < 0 && errno != ENOENT) respond(listener, id, 0, -errno, 0);
  close(fd);
}

/* One notification: receive, decide, act, record. */
static void serve_one(struct tsjail_supervisor *s) {
  struct seccomp_notif n;
  memset(&n, 0, sizeof n);
  if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0) return; /* ENOENT: its task died meanwhile */
  struct tsjail_decision d = {TSJAIL_DECIDE_KILL, 0, 1, 0, 0};
  s->decide(s->decide_ctx, &n, &d);
  switch (d.kind) {
    case TSJAIL_DECIDE_CONTINUE: respond(s->listener, n.id, SECCOMP_USER_NOTIF_FLAG_CONTINUE, 0, 0); break;
    case TSJAIL_DECIDE_ERRNO: respond(s->listener, n.id, 0, (int32_t)-d.value, 0); break;
    case TSJAIL_DECIDE_VALUE: respond(s->listener, n.id, 0, 0, d.value); break;
    case TSJAIL_DECIDE_KILL: kill_notifying(s->listener, &n); break;
    case TSJAIL_DECIDE_KILL_THREAD:
      if (end_thread(s->listener, &n)) d.kind = TSJAIL_DECIDE_KILL;
      break;
    case TSJAIL_DECIDE_ADDFD: send_fd(s->listener, n.id, (int)d.value, d.fd_flags); break;
  }
  if (d.record && s->record) s->record(s->record_ctx, &n, &d);
}

/* ---- taking the listener ---------------------------------------------------------------- */

static int is_listener(int fd) {
  __u64 id = 0;
  /* A seccomp listener answers ENOENT for an unknown id; any other fd ENOTTY/EINVAL. */
  return ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 && errno == ENOENT;
}

static void stop_taking(struct tsjail_supervisor *s) {
  s->taking = 0;
  if (s->program_pidfd_owned) close_fd(&s->program_pidfd);
  s->program_pidfd = -1;
  s->program_pidfd_owned = 0;
}

/* One attempt. 0 = taken or given up quietly (the program is gone: its status says why),
 * EAGAIN = not there yet, else the errno that makes supervision impossible. */
static int try_take(struct tsjail_supervisor *s) {
  int fd = (int)syscall(SYS_pidfd_getfd, s->program_pidfd, s->listener_fd, 0);
  if (fd >= 0) {
    if (is_listener(fd)) {
      s->listener = fd;
      stop_taking(s);
      return 0;
    }
    close(fd); /* an fd the program has not closed yet */
  } else if (errno == ESRCH) {
    stop_taking(s);
    return 0;
  } else if (errno != EBADF) {
    /* EPERM: no ptrace access (a caller without CAP_SYS_PTRACE whose program changed uid). A
     * filter whose kill verdicts and execve nobody answers would fail them with ENOSYS. */
    int err = errno;
    stop_taking(s);
    return err;
  }
  if (tsjail_now_ms() >= s->take_deadline_ms) {
    stop_taking(s);
    return ETIMEDOUT;
  }
  return EAGAIN;
}

/* ---- the status socket ------------------------------------------------------------------ */

/* Read one message. 1 = an event for the caller in *ev, 0 = nothing for the caller. */
static int read_status(struct tsjail_supervisor *s, struct tsjail_watch *w, int jail_pidfd, struct tsjail_event *ev) {
  struct tsjail_record r;
  struct iovec iov = {&r, sizeof r};
  union {
    char buf[CMSG_SPACE(4 * sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control.buf;
  m.msg_controllen = sizeof control.buf;
  ssize_t got = recvmsg(w->status_fd, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (got < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  /* Whatever fds arrived: the first with a listener announcement we still wait for is the
   * program's pidfd; anything else (a program in preload mode holds this socket) is closed. */
  int passed = -1;
  for (struct cmsghdr *c = got >= 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < nfd; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (passed < 0) passed = fd;
      else close(fd);
    }
  }
  int listener_record = got == (ssize_t)sizeof r && !(m.msg_flags & MSG_TRUNC) && r.step == TSJAIL_RECORD_LISTENER;
  int program = passed >= 0 ? passed : jail_pidfd;
  int accept = listener_record && s->expect_listener && s->listener < 0 && !s->taking && program >= 0;
  if (accept) {
    s->program_pidfd = program;
    s->program_pidfd_owned = passed >= 0;
    s->taking = 1;
    s->take_deadline_ms = tsjail_now_ms() + TAKE_TIMEOUT_MS;
    s->expect_listener = 0;
    return 0;
  }
  if (passed >= 0) close(passed);
  if (listener_record) return 0; /* a second one: not ours to believe */
  if (got <= 0) {
    /* 0: EOF; an error: nothing more will come either. */
    close_fd(&w->status_fd);
    ev->kind = TSJAIL_EVENT_EOF;
    return 1;
  }
  if (got != (ssize_t)sizeof r || (m.msg_flags & MSG_TRUNC)) {
    ev->kind = TSJAIL_EVENT_BAD_RECORD;
    return 1;
  }
  ev->kind = TSJAIL_EVENT_RECORD;
  ev->record = r;
  return 1;
}

/* ---- the loop --------------------------------------------------------------------------- */

void tsjail_supervisor_init(struct tsjail_supervisor *s, int expect_listener, int listener_fd,
                            tsjail_decide_fn decide, void *decide_ctx, tsjail_record_fn record, void *record_ctx) {
  memset(s, 0, sizeof *s);
  s->listener = -1;
  s->program_pidfd = -1;
  s->expect_listener = expect_listener;
  s->listener_fd = listener_fd;
  s->decide = decide;
  s->decide_ctx = decide_ctx;
  s->record = record;
  s->record_ctx = record_ctx;
}

void tsjail_supervisor_close(struct tsjail_supervisor *s) {
  close_fd(&s->listener);
  stop_taking(s);
}

enum { P_JAIL, P_STATUS, P_LISTENER, P_SIGNALS, P_PROGRAM, P_COUNT };

void tsjail_supervise(struct tsjail_supervisor *s, struct tsjail_watch *w, struct tsjail_event *ev) {
  memset(ev, 0, sizeof *ev);
  for (;;) {
    if (s->taking) {
      int err = try_take(s);
      if (err && err != EAGAIN) {
        ev->kind = TSJAIL_EVENT_FAILED;
        ev->err = err;
        ev->detail = err == ETIMEDOUT ? "the filter's listener never appeared" : "cannot take the filter's listener (pidfd_getfd)";
        return;
      }
    }
    struct pollfd p[P_COUNT] = {
        {w->jail_pidfd, POLLIN, 0},
        {w->status_fd, POLLIN, 0},
        {s->listener, POLLIN, 0},
        {w->sigfd, POLLIN, 0},
        /* The program's own exit ends the attempts (below an init, it is not jail_pidfd's). */
        {s->taking ? s->program_pidfd : -1, POLLIN, 0},
    };
    long timeout_ns = -1;
    if (w->deadline_ms >= 0) {
      long left = w->deadline_ms - tsjail_now_ms();
      if (left <= 0) {
        ev->kind = TSJAIL_EVENT_DEADLINE;
        return;
      }
      timeout_ns = left * 1000000L;
    }
    if (s->taking && (timeout_ns < 0 || timeout_ns > TAKE_RETRY_NS)) timeout_ns = TAKE_RETRY_NS;
    struct timespec ts = {timeout_ns / 1000000000L, timeout_ns % 1000000000L};
    /* Negative fds are ignored by poll; an idle slot costs nothing. */
    int n = ppoll(p, P_COUNT, timeout_ns >= 0 ? &ts : NULL, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      /* Cannot wait (ENOMEM): end the jail rather than leave it unsupervised. */
      if (w->jail_pidfd >= 0) syscall(SYS_pidfd_send_signal, w->jail_pidfd, SIGKILL, NULL, 0);
      struct timespec nap = {0, 10000000};
      nanosleep(&nap, NULL);
      continue;
    }
    if (p[P_LISTENER].revents & POLLIN) serve_one(s);
    /* No task uses the filter any more: nothing can arrive, and polling it would spin. */
    else if (p[P_LISTENER].revents & (POLLHUP | POLLERR | POLLNVAL)) close_fd(&s->listener);
    if (p[P_SIGNALS].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(w->sigfd, &si, sizeof si) == (ssize_t)sizeof si && w->jail_pidfd >= 0)
        syscall(SYS_pidfd_send_signal, w->jail_pidfd, (int)si.ssi_signo, NULL, 0);
    }
    if (p[P_PROGRAM].revents & POLLIN) stop_taking(s); /* its status record says why */
    /* Status before the exit: a failing child writes its record, then exits. */
    if (p[P_STATUS].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (read_status(s, w, w->jail_pidfd, ev)) return;
      continue;
    }
    if (p[P_JAIL].revents & POLLIN) {
      ev->kind = TSJAIL_EVENT_EXITED;
      return;
    }
  }
}
