/* tsjail-exec JAILFILE [-- PROGRAM [ARGS]]: start a jail saved by `tsjail run --save-jail` or
 * `tsjail pack-jail`, without Node. The decoding (native/parent/jailfile.c) and the launch
 * (native/parent/launch.c) are the code the addon runs; this file only reads the jail file,
 * checks it is safe to trust, and turns the jail's end into tsjail run's exit conventions
 * (docs/cli-run.md, docs/jailfile.md):
 *   the program's status; 128+N for signal N; 159 (128+SIGSYS) for a seccomp violation,
 *   named; 125 for a failed setup step, named with its errno; 2 for a usage error;
 *   118-123 for a jail file that cannot be used (nothing runs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/arch.h"
#include "../common/signals.h"
#include "../parent/dump.h"
#include "../parent/jailfile.h"
#include "../parent/launch.h"

enum {
  EXIT_USAGE = 2,
  EXIT_JF_UNREADABLE = 118,
  EXIT_JF_TRUNCATED = 119,
  EXIT_JF_CORRUPT = 120,
  EXIT_JF_VERSION = 121,
  EXIT_JF_ARCH = 122,
  EXIT_JF_UNSAFE = 123,
  EXIT_SETUP_FAILED = 125
};

static int usage(const char *why) {
  if (why) fprintf(stderr, "tsjail-exec: %s\n", why);
  fprintf(why ? stderr : stdout,
          "usage: tsjail-exec [--dump] [--violations-file FILE] JAILFILE [-- PROGRAM [ARGS...]]\n"
          "Start the jail saved in JAILFILE (tsjail run --save-jail, tsjail pack-jail); with -- PROGRAM, run\n"
          "that program in it instead. --dump prints the decoded jail as JSON and runs nothing.\n"
          "--violations-file FILE: on a seccomp violation, write its record to FILE for `tsjail explain FILE`\n"
          "(the call decoded, the rule that decided, the line to add).\n"
          "Exit status: the program's; 128+N for signal N; 159 seccomp violation; 125 setup failure;\n"
          "jail file unreadable 118, truncated 119, corrupted 120, other version 121, other arch 122,\n"
          "unsafe owner/permissions 123; usage 2. See docs/jailfile.md.\n");
  return EXIT_USAGE;
}

/* What the preload window did (bench/mediation.ts asks with TSJAIL_WINDOW_COUNTS set): one line
 * on stderr. Counts only, nothing the jail could use. */
static void print_window_counts(const struct tsjail_jail *j) {
  const struct tsjail_window_counts *c = &j->window.counts;
  fprintf(stderr, "tsjail-exec: window: notified %u continued %u opened %u missing %u policy %u\n", c->notified,
          c->continued, c->opened, c->missing, c->policy);
}

/* Privileged: euid 0, or any effective capability. */
static int privileged(void) {
  if (geteuid() == 0) return 1;
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d)) return 1; /* unknown: be strict */
  return d[0].effective != 0 || d[1].effective != 0;
}

/* Read the jail file from an fd opened once; the checks are on that fd (fstat), so the file
 * cannot be swapped between the check and the read. Exit status, or 0 with the bytes in buf, len. */
static int read_jail_file(const char *file, uint8_t **buf, size_t *len) {
  int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    fprintf(stderr, "tsjail-exec: %s: cannot open: %s\n", file, strerror(errno));
    return EXIT_JF_UNREADABLE;
  }
  struct stat st;
  if (fstat(fd, &st)) {
    fprintf(stderr, "tsjail-exec: %s: cannot stat: %s\n", file, strerror(errno));
    close(fd);
    return EXIT_JF_UNREADABLE;
  }
  if (!S_ISREG(st.st_mode)) {
    fprintf(stderr, "tsjail-exec: %s: not a regular file\n", file);
    close(fd);
    return EXIT_JF_UNREADABLE;
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    fprintf(stderr, "tsjail-exec: %s: refusing a jail file writable by %s (mode %04o): anyone who can write it "
            "chooses what runs; chmod go-w it\n", file, (st.st_mode & S_IWOTH) ? "other users" : "its group",
            (unsigned)(st.st_mode & 07777));
    close(fd);
    return EXIT_JF_UNSAFE;
  }
  if (privileged() && st.st_uid != 0 && st.st_uid != getuid()) {
    fprintf(stderr, "tsjail-exec: %s: refusing a jail file owned by uid %u while running privileged: it must be "
            "owned by root or by uid %u (the caller), or another user could swap what runs\n", file,
            (unsigned)st.st_uid, (unsigned)getuid());
    close(fd);
    return EXIT_JF_UNSAFE;
  }
  if ((uint64_t)st.st_size > TSJAIL_JF_MAX_SIZE) {
    fprintf(stderr, "tsjail-exec: %s: corrupted jail file: %lld bytes (at most %u)\n", file, (long long)st.st_size,
            TSJAIL_JF_MAX_SIZE);
    close(fd);
    return EXIT_JF_CORRUPT;
  }
  /* Read to EOF (not st_size): a file that shrinks or grows is still read as it is. */
  size_t cap = (size_t)st.st_size + 1, n = 0;
  uint8_t *b = malloc(cap);
  if (!b) {
    close(fd);
    fprintf(stderr, "tsjail-exec: out of memory\n");
    return EXIT_JF_UNREADABLE;
  }
  for (;;) {
    if (n == cap) {
      if (cap > TSJAIL_JF_MAX_SIZE) {
        fprintf(stderr, "tsjail-exec: %s: corrupted jail file: larger than %u bytes\n", file, TSJAIL_JF_MAX_SIZE);
        free(b);
        close(fd);
        return EXIT_JF_CORRUPT;
      }
      uint8_t *nb = realloc(b, cap * 2);
      if (!nb) { free(b); close(fd); fprintf(stderr, "tsjail-exec: out of memory\n"); return EXIT_JF_UNREADABLE; }
      b = nb;
      cap *= 2;
    }
    ssize_t r = read(fd, b + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      fprintf(stderr, "tsjail-exec: %s: cannot read: %s\n", file, strerror(errno));
      free(b);
      close(fd);
      return EXIT_JF_UNREADABLE;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  *buf = b;
  *len = n;
  return 0;
}

/* The PATH search of `tsjail run` (ts/cli/run-spec.ts) where the two overlap: the jail's own
 * PATH, else ours, else the default; absolute entries only (a relative one means nothing after
 * a root change); the first executable regular file. tsjail run also looks through the jail's
 * mounts; this searches the host (docs/jailfile.md). 0 with *out (malloc'd), or the exit
 * status after a message: 127 not found, 126 found but not executable. */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
static int resolve_program(const struct tsjail_spec *spec, const char *prog, char **out) {
  *out = NULL;
  if (strchr(prog, '/')) {
    if (!(*out = strdup(prog))) return EXIT_SETUP_FAILED;
    return 0;
  }
  const char *path = NULL;
  for (size_t i = 0; i < spec->envc; i++)
    if (strncmp(spec->envp[i], "PATH=", 5) == 0) path = spec->envp[i] + 5;
  if (!path) path = getenv("PATH");
  if (!path) path = DEFAULT_PATH;
  char not_executable[4096] = "";
  for (const char *p = path;;) {
    const char *end = strchr(p, ':');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char buf[4096];
    struct stat st;
    if (len && p[0] == '/' && len + strlen(prog) + 2 < sizeof buf) {
      snprintf(buf, sizeof buf, "%.*s/%s", (int)len, p, prog);
      if (stat(buf, &st) == 0) {
        if (S_ISREG(st.st_mode) && access(buf, X_OK) == 0) {
          if (!(*out = strdup(buf))) return EXIT_SETUP_FAILED;
          return 0;
        }
        if (!not_executable[0]) snprintf(not_executable, sizeof not_executable, "%s", buf);
      }
    }
    if (!end) break;
    p = end + 1;
  }
  if (not_executable[0]) {
    fprintf(stderr, "tsjail: %s: permission denied (%s is not executable)\n", prog, not_executable);
    return 126;
  }
  fprintf(stderr, "tsjail: %s: command not found\n", prog);
  return 127;
}

static void format_duration(long long ms, char *buf, size_t cap) {
  if (ms % 3600000 == 0) snprintf(buf, cap, "%lldh", ms / 3600000);
  else if (ms % 60000 == 0) snprintf(buf, cap, "%lldm", ms / 60000);
  else if (ms % 1000 == 0) snprintf(buf, cap, "%llds", ms / 1000);
  else snprintf(buf, cap, "%lldms", ms);
}

/* A jail saved with --log: what the policy would have denied, named and counted (the
 * arguments and the lines to add need the policy text: tsjail run --log gives them). */
static void print_would_deny(const struct tsjail_spec *spec, const struct tsjail_violations *v) {
  fprintf(stderr, "tsjail: --log: the policy would have denied %u kind%s of call%s:\n", v->n_log, v->n_log == 1 ? "" : "s",
          v->n_log == 1 ? "" : "s");
  for (unsigned i = 0; i < v->n_log; i++) {
    const struct seccomp_data *d = &v->log[i].first;
    const char *name = d->arch == tsjail_audit_arch() ? tsjail_spec_syscall_name(spec, d->nr) : NULL;
    fprintf(stderr, "tsjail:   %s (%d) x%llu\n", name ? name : "unknown syscall", d->nr, (unsigned long long)v->log[i].count);
  }
  if (v->log_dropped) fprintf(stderr, "tsjail:   and %llu more calls\n", (unsigned long long)v->log_dropped);
}

/* A JSON string: the carried policy is UTF-8 text without NUL bytes (the reader checked);
 * quotes, backslashes and control bytes are escaped, everything else is copied. */
static void json_string(FILE *f, const char *p, size_t n) {
  fputc('"', f);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20 || c == 0x7f) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

/* The violation record (docs/jailfile.md, "Violation records"): the call as the kernel gave it,
 * the verdict, and the policy the jail file carries, for `tsjail explain`, which has the policy
 * core. Written with mode 0600: it holds the policy and the call's arguments. 0, or -1 with
 * errno set. */
static int write_violation_record(const char *file, const struct tsjail_spec *spec, const struct seccomp_data *d,
                                  uint32_t ret, const char *when) {
  int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  FILE *f = fdopen(fd, "w");
  if (!f) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  errno = 0;
  fprintf(f, "{\"tsjailViolation\":1,\"when\":\"%s\",\"nr\":%u,\"arch\":%u,\"ip\":\"0x%llx\",\"args\":[", when,
          (unsigned)d->nr, d->arch, (unsigned long long)d->instruction_pointer);
  for (int i = 0; i < 6; i++) fprintf(f, "%s\"0x%llx\"", i ? "," : "", (unsigned long long)d->args[i]);
  fprintf(f, "],\"ret\":%u,\"policy\":", ret);
  if (spec->policy_source) json_string(f, spec->policy_source, spec->policy_source_len);
  else fputs("null", f);
  fputs("}\n", f);
  int bad = ferror(f);
  if (fclose(f) || bad) {
    if (!errno) errno = EIO;
    return -1;
  }
  return 0;
}

/* A violation as tsjail-exec can tell it: the jail file holds the filter and the native arch's
 * names but no policy core, so the call is named (on this arch; another arch's call by its
 * audit value) and its arguments are given raw. The rule and the line to add come from
 * `tsjail explain` on the record (violations_file), which has the core. */
static void print_violation(const struct tsjail_spec *spec, const struct seccomp_data *d, uint32_t ret, int detail_only,
                            const char *violations_file, const char *when) {
  const char *name = d->arch == tsjail_audit_arch() ? tsjail_spec_syscall_name(spec, d->nr) : NULL;
  const char *verdict = (ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_KILL_THREAD ? "kill-thread" : "kill-process";
  if (detail_only) {
    /* After a failed preload step, whose line named the call already. */
  } else if (d->arch == tsjail_audit_arch()) {
    fprintf(stderr, "tsjail: seccomp violation: %s (%d)\n", name ? name : "unknown syscall", d->nr);
  } else {
    fprintf(stderr, "tsjail: seccomp violation: syscall %d of arch 0x%08x (not this machine's arch)\n", d->nr, d->arch);
  }
  fprintf(stderr, "tsjail:   args: 0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx\n", (unsigned long long)d->args[0],
          (unsigned long long)d->args[1], (unsigned long long)d->args[2], (unsigned long long)d->args[3],
          (unsigned long long)d->args[4], (unsigned long long)d->args[5]);
  const char *source = spec->policy_source ? "" : " (the jail file carries no policy: explain --policy FILE names it)";
  if (!violations_file) {
    fprintf(stderr, "tsjail:   verdict: %s; rule: not decoded here: run with --violations-file FILE, then `tsjail explain FILE`%s\n",
            verdict, source);
  } else if (write_violation_record(violations_file, spec, d, ret, when)) {
    fprintf(stderr, "tsjail:   verdict: %s; rule: unknown (--violations-file %s: cannot write: %s)\n", verdict,
            violations_file, strerror(errno));
  } else {
    fprintf(stderr, "tsjail:   verdict: %s; rule: `tsjail explain %s` names it and the line to add%s\n", verdict,
            violations_file, source);
  }
}

static int run(const struct tsjail_spec *spec, const char *violations_file) {
  /* Forwarded signals wait in a signalfd from now on: one arriving during the launch is
   * passed on once the jail runs (the child resets its mask before exec). */
  int sigfd = -1;
  if (spec->forward_signals) {
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < TSJAIL_N_FORWARDED_SIGNALS; i++) sigaddset(&set, tsjail_forwarded_signals[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) || (sigfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
      fprintf(stderr, "tsjail: jail setup failed at prepare: %s (%s) (signalfd)\n", strerror(errno),
              strerrorname_np(errno));
      return EXIT_SETUP_FAILED;
    }
  }

  /* The jail's stdin, stdout and stderr are ours. */
  static const int stdio[3] = {0, 1, 2};
  static struct tsjail_jail jail;
  static struct tsjail_launch_error err;
  if (spec->permissive)
    fprintf(stderr, "tsjail: WARNING: --log: the program is NOT contained by its seccomp policy; calls the policy denies "
                    "run and are recorded (namespaces, mounts, Landlock, capabilities and limits stay on)\n");
  if (tsjail_start(spec, stdio, &jail, &err)) {
    const char *name = err.err ? strerrorname_np(err.err) : NULL;
    fprintf(stderr, "tsjail: jail setup failed at %s: %s (%s)%s%s%s\n", tsjail_step_name(err.step),
            strerror(err.err), name ? name : "?", err.detail[0] ? " (" : "", err.detail, err.detail[0] ? ")" : "");
    if (err.has_violation) print_violation(spec, &err.violation, err.violation_ret, 1, violations_file, "preload");
    return EXIT_SETUP_FAILED;
  }
  /* Not dumpable once the jail runs: a jail of our own uid could otherwise ptrace us or write
   * our memory through /proc/PID/mem where its pid namespace and Landlock domain are missing
   * (a kernel without them). Not before: an unprivileged launch writes the child's id maps,
   * which a non-dumpable parent's child would not let it open. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) {
    fprintf(stderr, "tsjail: cannot protect tsjail-exec from the jail (PR_SET_DUMPABLE): %s\n", strerror(errno));
    syscall(SYS_pidfd_send_signal, jail.pidfd, SIGKILL, NULL, 0);
  }
  if (getenv("TSJAIL_WINDOW_COUNTS")) print_window_counts(&jail);
  struct tsjail_exit ex;
  tsjail_jail_wait(&jail, tsjail_deadline_ms(spec), sigfd, &ex);
  if (spec->permissive) print_would_deny(spec, &jail.violations);
  tsjail_jail_close(&jail);
  /* A kill-thread verdict ended one thread: named here, the process's own end follows. */
  if (ex.reason != TSJAIL_EXIT_VIOLATION && ex.violation_nr >= 0)
    print_violation(spec, &ex.violation, ex.violation_ret, 0, violations_file, "exit");
  switch (ex.reason) {
    case TSJAIL_EXIT_VIOLATION:
      print_violation(spec, &ex.violation, ex.violation_ret, 0, violations_file, "exit");
      return 128 + SIGSYS;
    case TSJAIL_EXIT_TIME_LIMIT: {
      char d[32];
      format_duration(spec->time_limit_ms, d, sizeof d);
      fprintf(stderr, "tsjail: time limit of %s reached; the jail was killed\n", d);
      return 128 + SIGKILL;
    }
    case TSJAIL_EXIT_MEMORY_LIMIT: {
      /* The same line as tsjail run's (ts/cli/run.ts): 1024-based units, whole numbers. */
      uint64_t b = spec->cgroup.memory_bytes;
      const char *unit = "bytes";
      static const char *const units[] = {"GiB", "MiB", "KiB"};
      for (int i = 0; i < 3; i++) {
        uint64_t size = (uint64_t)1 << (30 - 10 * i);
        if (b >= size && b % size == 0) {
          b /= size;
          unit = units[i];
          break;
        }
      }
      fprintf(stderr, "tsjail: memory limit of %llu %s reached (oom kill); the jail was killed\n", (unsigned long long)b, unit);
      return 128 + SIGKILL;
    }
    case TSJAIL_EXIT_SIGNALED:
      /* The kernel's own kill: only the dying process learns the syscall. */
      if (ex.signal == SIGSYS) fprintf(stderr, "tsjail: seccomp violation: syscall not known (the program died of SIGSYS)\n");
      return 128 + ex.signal;
    case TSJAIL_EXIT_EXITED:
      break;
  }
  return ex.code >= 0 ? ex.code : 0;
}

/* A closed 0, 1 or 2 would be reused by the launch's own pipes, which the jail then gets as
 * its stdio (and the child closes the sync pipe, failing close-fds with EBADF): open
 * /dev/null there first, as Node does for tsjail run. */
static int open_missing_stdio(void) {
  for (int fd = 0; fd < 3; fd++) {
    if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    int got = open("/dev/null", O_RDWR);
    if (got != fd) {
      if (got >= 0) close(got);
      return -1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (open_missing_stdio()) return EXIT_SETUP_FAILED;
  int dump = 0, i = 1;
  const char *violations_file = NULL;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    if (strcmp(argv[i], "--dump") == 0) dump = 1;
    else if (strcmp(argv[i], "--violations-file") == 0) {
      if (++i >= argc || !argv[i][0]) return usage("--violations-file needs a FILE");
      violations_file = argv[i];
    }
    else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) { usage(NULL); return 0; }
    else if (strcmp(argv[i], "--") == 0) break;
    else return usage("unknown option");
  }
  if (i < argc && strcmp(argv[i], "--") == 0) i++;
  if (i >= argc) return usage("no jail file given");
  const char *file = argv[i++];
  char **prog = NULL;
  if (i < argc) {
    if (strcmp(argv[i], "--") != 0) return usage("expected -- before PROGRAM");
    if (++i >= argc) return usage("no PROGRAM after --");
    prog = argv + i;
  }

  uint8_t *buf = NULL;
  size_t len = 0;
  int rc = read_jail_file(file, &buf, &len);
  if (rc) return rc;
  static struct tsjail_spec spec;
  char msg[512];
  rc = tsjail_spec_parse(buf, len, &spec, msg, sizeof msg);
  free(buf);
  if (rc != TSJAIL_JF_OK) {
    fprintf(stderr, "tsjail-exec: %s: %s\n", file, msg);
    switch (rc) {
      case TSJAIL_JF_TRUNCATED: return EXIT_JF_TRUNCATED;
      case TSJAIL_JF_VERSION: return EXIT_JF_VERSION;
      case TSJAIL_JF_ARCH: return EXIT_JF_ARCH;
      default: return EXIT_JF_CORRUPT;
    }
  }
  if (prog) {
    /* Another program in the same jail: the launch decides its seccomp timing afresh. */
    char *path = NULL;
    if ((rc = resolve_program(&spec, prog[0], &path))) return rc;
    spec.path = path;
    /* Copies: the jail's init blanks this process's argv strings (launch.c). */
    size_t n = (size_t)(argc - (prog - argv));
    const char **copy = calloc(n + 1, sizeof *copy);
    if (!copy) return EXIT_SETUP_FAILED;
    for (size_t k = 0; k < n; k++)
      if (!(copy[k] = strdup(prog[k]))) return EXIT_SETUP_FAILED;
    spec.argv = copy;
    spec.argc = n;
  }
  if (dump) {
    tsjail_spec_dump(stdout, &spec);
    return fflush(stdout) ? 1 : 0;
  }
  return run(&spec, violations_file);
}
