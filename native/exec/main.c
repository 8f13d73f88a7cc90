/* tsjail-exec JAILFILE [-- PROGRAM [ARGS]]: start a jail saved by `tsjail run --save-jail` or
 * `tsjail pack-jail`, without Node. The launch itself is native/parent/launch.c, the code the
 * addon runs; this file only reads the jail file, checks it is safe to trust, and turns the
 * jail's end into tsjail run's exit conventions (docs/cli-run.md, docs/jailfile.md):
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
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dump.h"
#include "jailfile.h"
#include "../common/arch.h"
#include "../parent/elf.h"

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

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static int usage(const char *why) {
  if (why) fprintf(stderr, "tsjail-exec: %s\n", why);
  fprintf(why ? stderr : stdout,
          "usage: tsjail-exec [--dump] JAILFILE [-- PROGRAM [ARGS...]]\n"
          "Start the jail saved in JAILFILE (tsjail run --save-jail, tsjail pack-jail); with -- PROGRAM, run\n"
          "that program in it instead. --dump prints the decoded jail as JSON and runs nothing.\n"
          "Exit status: the program's; 128+N for signal N; 159 seccomp violation; 125 setup failure;\n"
          "jail file unreadable 118, truncated 119, corrupted 120, other version 121, other arch 122,\n"
          "unsafe owner/permissions 123; usage 2. See docs/jailfile.md.\n");
  return EXIT_USAGE;
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

/* PROGRAM as given on the command line: a path, or a name searched in PATH. */
static char *resolve_program(const char *prog) {
  if (strchr(prog, '/')) return strdup(prog);
  const char *path = getenv("PATH");
  if (!path) path = "/usr/local/bin:/usr/bin:/bin";
  for (const char *p = path;; ) {
    const char *end = strchr(p, ':');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char buf[4096];
    if (len && len + strlen(prog) + 2 < sizeof buf) {
      snprintf(buf, sizeof buf, "%.*s/%s", (int)len, p, prog);
      if (access(buf, X_OK) == 0) return strdup(buf);
    }
    if (!end) break;
    p = end + 1;
  }
  return NULL;
}

/* The seccomp timing for another program than the saved one (the jail file's was decided for
 * its own program): the rule of ts/jail/spawn.ts. 0, or an exit status after a message. */
static int choose_timing(struct tsjail_jailfile *jf) {
  struct tsjail_launch_spec *l = &jf->launch;
  if (!l->n_policy || jf->seccomp_timing != TSJAIL_JF_TIMING_AUTO) return 0;
  char interp[4096];
  char under_root[8192];
  int rc = -ENOENT;
  if (jf->fs.root) {
    snprintf(under_root, sizeof under_root, "%s%s", jf->fs.root, jf->cfg.path);
    rc = tsjail_elf_interp(under_root, interp, sizeof interp);
  }
  if (rc < 0 && rc != -2) rc = tsjail_elf_interp(jf->cfg.path, interp, sizeof interp);
  if (rc == 0) { l->preload = 0; return 0; }
  if (rc == 1) {
    const char *base = strrchr(interp, '/');
    if (!base || strncmp(base, "/ld-linux", 9) != 0) {
      fprintf(stderr, "tsjail: jail setup failed at prepare: %s uses the non-glibc interpreter %s; the preload "
              "library cannot jail it: save the jail with -T static\n", jf->cfg.path, interp);
      return EXIT_SETUP_FAILED;
    }
  }
  /* Dynamic, a script, or missing (exec reports it at the right step). */
  if (!l->preload_library || !l->n_gate_allow) {
    fprintf(stderr, "tsjail: jail setup failed at prepare: %s needs the preload library, which the jail file does "
            "not name\n", jf->cfg.path);
    return EXIT_SETUP_FAILED;
  }
  l->preload = 1;
  return 0;
}

static const char *syscall_name(const struct tsjail_jailfile *jf, int nr) {
  for (size_t i = 0; i < jf->n_names; i++)
    if ((int)jf->names[i].nr == nr) return jf->names[i].name;
  return "unknown syscall";
}

static void format_duration(long long ms, char *buf, size_t cap) {
  if (ms % 3600000 == 0) snprintf(buf, cap, "%lldh", ms / 3600000);
  else if (ms % 60000 == 0) snprintf(buf, cap, "%lldm", ms / 60000);
  else if (ms % 1000 == 0) snprintf(buf, cap, "%llds", ms / 1000);
  else snprintf(buf, cap, "%lldms", ms);
}

static int run(struct tsjail_jailfile *jf) {
  /* Forwarded signals wait in a signalfd from now on: one arriving during the launch is
   * passed on once the jail runs (the child resets its mask before exec). */
  int sigfd = -1;
  if (jf->forward_signals) {
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaddset(&set, forwarded[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) || (sigfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
      fprintf(stderr, "tsjail: jail setup failed at prepare: %s (%s) (signalfd)\n", strerror(errno),
              strerrorname_np(errno));
      return EXIT_SETUP_FAILED;
    }
  }

  static struct tsjail_jail jail;
  static struct tsjail_launch_error err;
  if (tsjail_launch(&jf->launch, &jail, &err)) {
    const char *name = err.err ? strerrorname_np(err.err) : NULL;
    fprintf(stderr, "tsjail: jail setup failed at %s: %s (%s)%s%s%s\n", tsjail_step_name(err.step),
            strerror(err.err), name ? name : "?", err.detail[0] ? " (" : "", err.detail, err.detail[0] ? ")" : "");
    return EXIT_SETUP_FAILED;
  }
  long started = tsjail_now_ms();
  if (jf->pid_file) {
    char text[32];
    int n = snprintf(text, sizeof text, "%d\n", (int)jail.pid);
    int fd = open(jf->pid_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int e = fd < 0 ? errno : 0;
    if (fd >= 0) {
      errno = 0;
      if (write(fd, text, (size_t)n) != n) e = errno ? errno : EIO;
      if (close(fd) && !e) e = errno;
    }
    if (e) {
      syscall(SYS_pidfd_send_signal, jail.pidfd, SIGKILL, NULL, 0);
      struct tsjail_exit ignored;
      tsjail_jail_wait(&jail, -1, -1, &ignored);
      tsjail_jail_close(&jail);
      fprintf(stderr, "tsjail: jail setup failed at pid-file: %s (%s) (%s)\n", strerror(e), strerrorname_np(e),
              jf->pid_file);
      return EXIT_SETUP_FAILED;
    }
  }
  struct tsjail_exit ex;
  long deadline = jf->time_limit_ms >= 0 ? started + (long)jf->time_limit_ms : -1;
  tsjail_jail_wait(&jail, deadline, sigfd, &ex);
  tsjail_jail_close(&jail);
  if (ex.violation_nr >= 0) {
    fprintf(stderr, "tsjail: seccomp violation: %s (%d)\n", syscall_name(jf, ex.violation_nr), ex.violation_nr);
    return 128 + SIGSYS;
  }
  if (ex.signal == SIGSYS) {
    /* The kernel's own kill: only the dying process learns the syscall. */
    fprintf(stderr, "tsjail: seccomp violation: syscall not known (the program died of SIGSYS)\n");
    return 128 + SIGSYS;
  }
  if (ex.signal > 0) {
    if (ex.timed_out && ex.signal == SIGKILL) {
      char d[32];
      format_duration(jf->time_limit_ms, d, sizeof d);
      fprintf(stderr, "tsjail: time limit of %s reached; the jail was killed\n", d);
    }
    return 128 + ex.signal;
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
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    if (strcmp(argv[i], "--dump") == 0) dump = 1;
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
  static struct tsjail_jailfile jf;
  char msg[512];
  rc = tsjail_jailfile_parse(buf, len, &jf, msg, sizeof msg);
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
    char *path = resolve_program(prog[0]);
    if (!path) {
      fprintf(stderr, "tsjail: %s: command not found\n", prog[0]);
      return 127;
    }
    jf.cfg.path = path;
    jf.cfg.argv = prog;
    jf.argv = (const char **)prog;
    jf.argc = (size_t)(argc - (prog - argv));
    if ((rc = choose_timing(&jf))) return rc;
  }
  if (dump) {
    tsjail_jailfile_dump(stdout, &jf);
    return fflush(stdout) ? 1 : 0;
  }
  /* stdio is ours: the jail's 0-2 are tsjail-exec's. */
  for (int k = 0; k < 3; k++) jf.launch.stdio[k] = k;
  return run(&jf);
}
