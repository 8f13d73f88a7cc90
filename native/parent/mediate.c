/* The preload window's mediation. See mediate.h and docs/runtime.md ("The preload window"). */
#define _GNU_SOURCE
#include "mediate.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../common/arch.h"
#include "filter.h"

#ifndef SECCOMP_IOCTL_NOTIF_ID_VALID
#define SECCOMP_IOCTL_NOTIF_ID_VALID _IOW('!', 2, __u64)
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#define TSJAIL_O_TMPFILE_BIT 020000000 /* __O_TMPFILE */
#define MAX_GROUPS 64

/* ---- what /proc says about a thread -------------------------------------------------------- */

struct task_ids {
  int filters;   /* Seccomp_filters, -1 if absent */
  pid_t tgid;
  uid_t fsuid;
  gid_t fsgid;
  gid_t groups[MAX_GROUPS];
  int n_groups;  /* -1 = more than MAX_GROUPS: group checks are then refused */
};

/* The value after "Name:\t" at the start of a line, or NULL. */
static const char *field(const char *text, const char *name) {
  size_t len = strlen(name);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (!strncmp(p, name, len) && p[len] == ':') return p + len + 1;
  return NULL;
}

/* Parse /proc/<dir>/status (dir = "TID" or "TGID/task/TID"). 0, or -1. */
static int read_task(const char *dir, struct task_ids *t) {
  char path[64], text[4096];
  snprintf(path, sizeof path, "/proc/%s/status", dir);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return -1;
  text[n] = '\0';
  const char *f = field(text, "Seccomp_filters");
  const char *tg = field(text, "Tgid");
  const char *u = field(text, "Uid");
  const char *g = field(text, "Gid");
  const char *gs = field(text, "Groups");
  if (!tg || !u || !g) return -1;
  t->filters = f ? (int)strtol(f, NULL, 10) : -1;
  t->tgid = (pid_t)strtol(tg, NULL, 10);
  unsigned long ids[4];
  char *end = (char *)u;
  for (int i = 0; i < 4; i++) ids[i] = strtoul(end, &end, 10);
  t->fsuid = (uid_t)ids[3];
  end = (char *)g;
  for (int i = 0; i < 4; i++) ids[i] = strtoul(end, &end, 10);
  t->fsgid = (gid_t)ids[3];
  t->n_groups = 0;
  if (gs) {
    end = (char *)gs;
    for (;;) {
      while (*end == ' ' || *end == '\t') end++;
      if (*end < '0' || *end > '9') break;
      if (t->n_groups == MAX_GROUPS) {
        t->n_groups = -1;
        break;
      }
      t->groups[t->n_groups++] = (gid_t)strtoul(end, &end, 10);
    }
  }
  return 0;
}

int tsjail_thread_filters(pid_t tid) {
  char dir[24];
  struct task_ids t;
  snprintf(dir, sizeof dir, "%d", (int)tid);
  return read_task(dir, &t) ? -1 : t.filters;
}

/* Every thread of tgid has at least `expected` filters: 0, or -1 with the finding in w. */
static int every_thread_filtered(struct tsjail_window *w, pid_t tgid) {
  if (w->expected_filters == 1 << 30) {
    snprintf(w->finding, sizeof w->finding,
             "the kernel does not show Seccomp_filters in /proc (Linux 5.9+), so the exact filter cannot be verified");
    return -1;
  }
  char dir[48];
  snprintf(dir, sizeof dir, "/proc/%d/task", (int)tgid);
  DIR *d = opendir(dir);
  if (!d) {
    snprintf(w->finding, sizeof w->finding, "the program's threads cannot be listed (%s)", strerrorname_np(errno));
    return -1;
  }
  int rc = 0, threads = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d))) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    struct task_ids t;
    snprintf(dir, sizeof dir, "%d/task/%.16s", (int)tgid, e->d_name);
    if (read_task(dir, &t)) continue; /* the thread ended meanwhile */
    threads++;
    if (t.filters < w->expected_filters) {
      snprintf(w->finding, sizeof w->finding,
               "the status socket was closed before the exact filter was in place: thread %.16s has %d seccomp "
               "filters, %d expected",
               e->d_name, t.filters, w->expected_filters);
      rc = -1;
    }
  }
  closedir(d);
  if (rc == 0 && threads == 0) {
    snprintf(w->finding, sizeof w->finding, "the program's threads are gone");
    rc = -1;
  }
  return rc;
}

/* ---- the caller's memory ------------------------------------------------------------------- */

/* A NUL-terminated string at addr in tid's memory, read page by page (a string may end just
 * before an unmapped page). 0, or -1. */
static int read_string(pid_t tid, uint64_t addr, char *buf, size_t cap) {
  size_t got = 0;
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) page = 4096;
  while (got < cap) {
    uint64_t at = addr + got;
    size_t chunk = (size_t)page - (size_t)(at % (uint64_t)page);
    if (chunk > cap - got) chunk = cap - got;
    struct iovec local = {buf + got, chunk};
    struct iovec remote = {(void *)(uintptr_t)at, chunk};
    ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (n <= 0) return -1;
    if (memchr(buf + got, '\0', (size_t)n)) return 0;
    got += (size_t)n;
  }
  return -1; /* longer than PATH_MAX */
}

/* The notification is still pending, so what we read was its caller's memory (not that of a
 * process that reused the id). */
static int still_valid(const struct tsjail_window *w, const struct seccomp_notif *n) {
  __u64 id = n->id;
  return w->listener && *w->listener >= 0 && ioctl(*w->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* ---- opens --------------------------------------------------------------------------------- */

/* May the task with these ids read the file (its mode bits, as the kernel's DAC check would
 * without capabilities)? */
static int may_read(const struct task_ids *t, const struct stat *st) {
  if (t->fsuid == st->st_uid) return (st->st_mode & S_IRUSR) != 0;
  int in_group = t->fsgid == st->st_gid;
  for (int i = 0; i < t->n_groups && !in_group; i++) in_group = t->groups[i] == st->st_gid;
  if (in_group) return (st->st_mode & S_IRGRP) != 0;
  return (st->st_mode & S_IROTH) != 0;
}

/* What ld.so loads: an ELF shared object (ET_DYN), or its cache under its own name. */
static int loadable(int fd, const char *path) {
  unsigned char head[32];
  ssize_t n = pread(fd, head, sizeof head, 0);
  if (n < 0) return 0;
  if (!strcmp(path, "/etc/ld.so.cache")) {
    static const char new_magic[] = "glibc-ld.so.cache", old_magic[] = "ld.so-1.7.0";
    return (n >= (ssize_t)sizeof new_magic - 1 && !memcmp(head, new_magic, sizeof new_magic - 1)) ||
           (n >= (ssize_t)sizeof old_magic - 1 && !memcmp(head, old_magic, sizeof old_magic - 1));
  }
  /* e_type sits at offset 16 in both ELF classes; little-endian on the arches we build for. */
  return n >= 18 && !memcmp(head, ELFMAG, SELFMAG) && head[EI_DATA] == ELFDATA2LSB && head[16] == ET_DYN && head[17] == 0;
}

/* openat/open of `path_addr` with `flags`: 1 = decided, 0 = the policy's verdict. */
static int mediate_open(struct tsjail_window *w, const struct seccomp_notif *n, uint64_t path_addr, uint64_t flags,
                        struct tsjail_decision *out) {
  const uint64_t refused = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | TSJAIL_O_TMPFILE_BIT | O_PATH | O_DIRECTORY;
  if (flags & refused) return 0;
  pid_t tid = (pid_t)n->pid;
  char path[PATH_MAX];
  if (read_string(tid, path_addr, path, sizeof path) || path[0] != '/') return 0;
  struct task_ids ids;
  char dir[24];
  snprintf(dir, sizeof dir, "%d", (int)tid);
  if (read_task(dir, &ids) || ids.n_groups < 0) return 0;
  if (!still_valid(w, n)) { /* the caller is gone: nothing to answer */
    out->kind = TSJAIL_DECIDE_ERRNO;
    out->value = ENOENT;
    return 1;
  }
  /* The caller's root (its mount namespace, pivot_root or chroot), and nothing outside it:
   * `..` and absolute symlinks stay inside, /proc magic links are refused. */
  char root_path[48];
  snprintf(root_path, sizeof root_path, "/proc/%d/root", (int)tid);
  int root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return 0;
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof how);
  int err = errno;
  close(root);
  if (fd < 0) {
    /* The loader searches its paths: a file that is not there is its answer. */
    if (err != ENOENT && err != ENOTDIR) return 0;
    w->counts.missing++;
    out->kind = TSJAIL_DECIDE_ERRNO;
    out->value = err;
    return 1;
  }
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !loadable(fd, path)) {
    close(fd);
    return 0;
  }
  if (!may_read(&ids, &st)) {
    close(fd);
    out->kind = TSJAIL_DECIDE_ERRNO;
    out->value = EACCES;
    return 1;
  }
  /* O_NONBLOCK was only for the open itself (a FIFO must not block us): regular files ignore
   * it, but the program gets the flags it asked for. */
  if (fcntl(fd, F_SETFL, 0)) {
    close(fd);
    return 0;
  }
  w->counts.opened++;
  out->kind = TSJAIL_DECIDE_ADDFD;
  out->value = fd;
  out->fd_flags = (flags & O_CLOEXEC) ? O_CLOEXEC : 0;
  return 1;
}

/* ---- the window ---------------------------------------------------------------------------- */

void tsjail_window_init(struct tsjail_window *w, int status_fd, const int *listener) {
  memset(w, 0, sizeof *w);
  w->open = 1;
  w->status_fd = status_fd;
  w->violation_nr = -1;
  w->listener = listener;
  w->expected_filters = 1 << 30; /* until the first execve says how many the program has */
}

void tsjail_window_first_exec(struct tsjail_window *w, pid_t tid) {
  w->program = tid;
  int f = tsjail_thread_filters(tid);
  /* Unknown (a kernel without Seccomp_filters, 5.9): nothing can be verified, and the window
   * never closes: the jail fails at the status socket's close. */
  if (f >= 1) w->expected_filters = f + 1;
}

void tsjail_window_killed(struct tsjail_window *w, const struct seccomp_notif *n) {
  if (w->open && w->violation_nr < 0) w->violation_nr = n->data.nr;
}

static int is_loader_call(uint32_t nr) {
  size_t count = 0;
  const uint32_t *set = tsjail_loader_syscalls(&count);
  for (size_t i = 0; i < count; i++)
    if (set[i] == nr) return 1;
  return 0;
}

/* The status socket's close: the window ends here if the kernel shows the exact filter on
 * every thread of the program, else the caller dies and the jail fails. */
static void closing_status(struct tsjail_window *w, const struct seccomp_notif *n, struct tsjail_decision *out) {
  char dir[24];
  struct task_ids t;
  snprintf(dir, sizeof dir, "%d", (int)n->pid);
  if (read_task(dir, &t) || t.tgid != w->program) {
    snprintf(w->finding, sizeof w->finding, "the status socket was closed by another process than the program");
  } else if (every_thread_filtered(w, t.tgid) == 0) {
    w->open = 0;
    w->verified = 1;
    out->kind = TSJAIL_DECIDE_CONTINUE;
    return;
  }
  w->refused_close = 1;
  out->kind = TSJAIL_DECIDE_KILL;
}

int tsjail_window_decide(struct tsjail_window *w, const struct seccomp_notif *n, struct tsjail_decision *out) {
  const struct seccomp_data *sd = &n->data;
  if (sd->arch != tsjail_audit_arch()) return 0;
  int status_call = (sd->nr == SYS_close || sd->nr == SYS_write) && sd->args[0] == (uint64_t)w->status_fd;
  if (!w->open) {
    /* The exact filter allows close(status fd) (its one exception): so do we. */
    if (sd->nr == SYS_close && status_call) {
      out->kind = TSJAIL_DECIDE_CONTINUE;
      return 1;
    }
    return 0;
  }
  w->counts.notified++;
  if (sd->nr == SYS_close && status_call) {
    closing_status(w, n, out);
    return 1;
  }
  /* A thread that has the exact filter is past the window (the program's own code may already
   * run there, between the preload's seccomp and its close). */
  if (tsjail_thread_filters((pid_t)n->pid) >= w->expected_filters) {
    w->counts.policy++;
    return 0;
  }
  int decided = 1;
  out->kind = TSJAIL_DECIDE_CONTINUE;
  switch (sd->nr) {
    case SYS_write: decided = status_call; break;
    case SYS_openat: decided = mediate_open(w, n, sd->args[1], sd->args[2], out); break;
#ifdef SYS_open
    case SYS_open: decided = mediate_open(w, n, sd->args[0], sd->args[1], out); break;
#endif
    /* Private mappings only: a shared writable mapping of an inherited fd would write it. */
    case SYS_mmap: decided = (sd->args[3] & 0x3) == MAP_PRIVATE; break;
    /* Its own limits, read only (glibc reads RLIMIT_STACK). */
    case SYS_prlimit64: decided = sd->args[0] == 0 && sd->args[2] == 0; break;
    default: decided = is_loader_call(sd->nr); break;
  }
  if (!decided) {
    w->counts.policy++;
    return 0;
  }
  if (out->kind == TSJAIL_DECIDE_CONTINUE) w->counts.continued++;
  return 1;
}
