/* Test driver for the filesystem and resource steps (mounts, rlimits, Landlock, cgroups):
 * a tiny jail launcher that calls those steps in the runtime's order around a real child, so
 * test/jail-{fs,landlock,limits}.test.ts can check the kernel's behaviour before (and
 * independently of) the addon. Not shipped; not a second runtime: no seccomp, caps or ids.
 *
 *   jailfs-driver [options] -- PROGRAM [ARGS]
 *     --userns                user namespace mapping 0 -> our uid/gid (setgroups deny)
 *     --pidns                 pid namespace (the program is pid 1)
 *     --propagation MODE      private|slave|shared|unbindable|none (default private)
 *     --root DIR  [--chroot]  pivot_root (or chroot) into DIR
 *     --bind SRC,DST[,rw][,rec]   --tmpfs DST[,size=N][,mode=OCT]   --proc DST[,ro]
 *     --dev DST   --mount SRC,DST,TYPE,FLAGS[,DATA]   --remount-ro DST
 *     --landlock  --ll-ro P  --ll-rw P  --ll-rx P
 *     --rlimit RES,SOFT,HARD  (numbers or "unlimited")
 *     --memory BYTES  --pids N  --cpu FRACTION  --print-cgroup (cgroup dirs on stderr)
 *     --pool-runs N   run the program N times, one after another, with the cgroup pool of
 *                     native/parent/cgroup.h enabled (each run's cgroup on stderr with
 *                     --print-cgroup; "pool-drained: K" at the end); the last run's status
 *   jailfs-driver --detect MOUNTINFO CGROUP [CONTROLLERS]   layout as "name version dir" lines
 *   jailfs-driver --abi                                     the Landlock ABI (or -errno)
 *
 * A failing step prints "jailfs-driver: step=<name> errno=<n> index=<i>: <detail>" and exits
 * 125; otherwise the exit status is the program's (128+N for a signal). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../parent/cgroup.h"
#include "../child/landlock.h"
#include "../child/mounts.h"
#include "../child/rlimits.h"

struct failure_record {
  char step[32];
  int err;
  int index;
};

static struct tsjail_fs fs;
static struct tsjail_landlock ll;
static struct tsjail_rlimits rl;
static struct tsjail_cgroup_limits cgl;
static struct tsjail_cgroup *cg;
static int use_userns, use_pidns, print_cgroup, pool_runs;

static void die(const char *msg) {
  fprintf(stderr, "jailfs-driver: %s\n", msg);
  exit(2);
}

/* Converter-equivalent of fs_spec.cc: targets are inside the jail, so prefix the root. */
static const char *target_path(const char *t) {
  if (t[0] != '/') die("targets must be absolute");
  if (!fs.root) return strdup(t);
  char *out;
  if (asprintf(&out, "%s%s", fs.root, strcmp(t, "/") == 0 ? "" : t) < 0) die("oom");
  return out;
}

static struct tsjail_mount *next_mount(enum tsjail_mount_kind kind) {
  if (fs.n_mounts >= TSJAIL_FS_MOUNTS_MAX) die("too many mounts");
  struct tsjail_mount *m = &fs.mounts[fs.n_mounts++];
  memset(m, 0, sizeof(*m));
  m->kind = kind;
  fs.enabled = 1;
  return m;
}

static char *field(char **s) { return strsep(s, ","); }

static uint64_t parse_limit(const char *s) {
  if (strcmp(s, "unlimited") == 0) return TSJAIL_RLIM_INFINITY;
  return strtoull(s, NULL, 0);
}

static void report(int fd, const char *step, int err, int index) {
  struct failure_record r;
  memset(&r, 0, sizeof(r));
  strncpy(r.step, step, sizeof(r.step) - 1);
  r.err = err;
  r.index = index;
  if (write(fd, &r, sizeof(r)) < 0) _exit(124);
  _exit(125);
}

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = write(fd, text, strlen(text));
  int err = n < 0 ? errno : 0;
  close(fd);
  return err;
}

/* The child sequence, in the runtime's order: mounts, rlimits (but NOFILE), no_new_privs,
 * Landlock, RLIMIT_NOFILE, exec. */
static void jail_and_exec(int errfd, char **argv) {
  struct tsjail_fs_failure why;
  int err = tsjail_fs_apply(&fs, &why);
  if (err) report(errfd, tsjail_fs_phase_name(why.phase), err, why.index);
  int idx;
  if ((err = tsjail_rlimits_apply_phase(&rl, TSJAIL_RLIMITS_EARLY, &idx))) report(errfd, "rlimits", err, idx);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) report(errfd, "no_new_privs", errno, -1);
  if ((err = tsjail_landlock_apply(&ll, &idx))) report(errfd, "landlock", err, idx);
  /* NOFILE last: the steps above still open fds (rlimits.h). */
  if ((err = tsjail_rlimits_apply_phase(&rl, TSJAIL_RLIMITS_NOFILE, &idx))) report(errfd, "rlimits", err, idx);
  execv(argv[0], argv);
  report(errfd, "exec", errno, -1);
}

static int detect_main(int argc, char **argv) {
  if (argc < 4) die("--detect MOUNTINFO CGROUP [CONTROLLERS]");
  char *texts[3] = {NULL, NULL, NULL};
  for (int i = 0; i < 3 && 2 + i < argc; i++) {
    FILE *f = fopen(argv[2 + i], "r");
    if (!f) die("cannot open input");
    size_t cap = 0;
    if (getdelim(&texts[i], &cap, '\0', f) < 0) texts[i] = strdup("");
    fclose(f);
  }
  static struct tsjail_cg_layout layout;
  int err = tsjail_cgroup_detect(texts[0], texts[1], texts[2], &layout);
  if (err) {
    printf("error %d\n", err);
    return 1;
  }
  static const char *names[] = {"memory", "pids", "cpu"};
  for (int c = 0; c < TSJAIL_CG_COUNT; c++) printf("%s %d %s\n", names[c], layout.ctl[c].version, layout.ctl[c].dir);
  printf("v2 %s\n", layout.v2_dir);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--detect") == 0) return detect_main(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "--abi") == 0) {
    printf("%d\n", tsjail_landlock_abi());
    return 0;
  }
  fs.propagation = TSJAIL_PROPAGATION_PRIVATE;
  int i = 1;
  /* Root first: targets of every mount depend on it. */
  for (int j = 1; j + 1 < argc && strcmp(argv[j], "--") != 0; j++) {
    if (strcmp(argv[j], "--root") == 0) {
      fs.root = argv[j + 1];
      fs.root_mode = TSJAIL_ROOT_PIVOT;
      fs.enabled = 1;
    }
  }
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    const char *opt = argv[i];
    char *val = (i + 1 < argc) ? argv[i + 1] : NULL;
    if (strcmp(opt, "--userns") == 0) use_userns = 1;
    else if (strcmp(opt, "--pidns") == 0) use_pidns = 1;
    else if (strcmp(opt, "--chroot") == 0) fs.root_mode = TSJAIL_ROOT_CHROOT;
    else if (strcmp(opt, "--landlock") == 0) ll.enabled = 1;
    else if (strcmp(opt, "--print-cgroup") == 0) print_cgroup = 1;
    else if (strcmp(opt, "--pool-runs") == 0 && i + 1 < argc) pool_runs = atoi(argv[++i]);
    else if (!val) die("missing value");
    else {
      i++;
      char *s = strdup(val);
      if (strcmp(opt, "--root") == 0) {
      } else if (strcmp(opt, "--propagation") == 0) {
        fs.enabled = 1;
        if (!strcmp(s, "private")) fs.propagation = TSJAIL_PROPAGATION_PRIVATE;
        else if (!strcmp(s, "slave")) fs.propagation = TSJAIL_PROPAGATION_SLAVE;
        else if (!strcmp(s, "shared")) fs.propagation = TSJAIL_PROPAGATION_SHARED;
        else if (!strcmp(s, "unbindable")) fs.propagation = TSJAIL_PROPAGATION_UNBINDABLE;
        else fs.propagation = TSJAIL_PROPAGATION_NONE;
      } else if (strcmp(opt, "--bind") == 0) {
        struct tsjail_mount *m = next_mount(TSJAIL_MOUNT_BIND);
        m->source = field(&s);
        char *dst = field(&s);
        m->target = target_path(dst && *dst ? dst : m->source);
        for (char *f; (f = field(&s));) {
          if (!strcmp(f, "rw")) m->writable = 1;
          if (!strcmp(f, "rec")) m->recursive = 1;
        }
      } else if (strcmp(opt, "--tmpfs") == 0) {
        struct tsjail_mount *m = next_mount(TSJAIL_MOUNT_TMPFS);
        m->target = target_path(field(&s));
        const char *mode = "0755", *size = NULL;
        for (char *f; (f = field(&s));) {
          if (!strncmp(f, "mode=", 5)) mode = f + 5;
          if (!strncmp(f, "size=", 5)) size = f + 5;
        }
        char *full;
        if (asprintf(&full, "mode=%s%s%s", mode, size ? ",size=" : "", size ? size : "") < 0) die("oom");
        m->data = full;
      } else if (strcmp(opt, "--proc") == 0) {
        struct tsjail_mount *m = next_mount(TSJAIL_MOUNT_PROC);
        m->target = target_path(field(&s));
        char *f = field(&s);
        m->read_only = f && !strcmp(f, "ro");
      } else if (strcmp(opt, "--dev") == 0) {
        next_mount(TSJAIL_MOUNT_DEV)->target = target_path(s);
      } else if (strcmp(opt, "--remount-ro") == 0) {
        next_mount(TSJAIL_MOUNT_REMOUNT_RO)->target = target_path(s);
      } else if (strcmp(opt, "--mount") == 0) {
        struct tsjail_mount *m = next_mount(TSJAIL_MOUNT_GENERIC);
        m->source = field(&s);
        m->target = target_path(field(&s));
        m->fstype = field(&s);
        char *fl = field(&s);
        m->flags = fl ? strtoul(fl, NULL, 0) : 0;
        m->data = s; /* the rest, commas included (minijail -k) */
      } else if (!strcmp(opt, "--ll-ro") || !strcmp(opt, "--ll-rw") || !strcmp(opt, "--ll-rx")) {
        ll.enabled = 1;
        if (ll.n_rules >= TSJAIL_LANDLOCK_RULES_MAX) die("too many rules");
        ll.rules[ll.n_rules].path = s;
        ll.rules[ll.n_rules].cls = opt[6] == 'o' ? TSJAIL_LANDLOCK_RO : opt[6] == 'w' ? TSJAIL_LANDLOCK_RW : TSJAIL_LANDLOCK_RX;
        ll.n_rules++;
      } else if (strcmp(opt, "--rlimit") == 0) {
        if (rl.n >= TSJAIL_RLIMITS_MAX) die("too many rlimits");
        struct tsjail_rlimit *r = &rl.items[rl.n++];
        r->resource = atoi(field(&s));
        char *soft = field(&s), *hard = field(&s);
        if (!soft || !hard) die("--rlimit RES,SOFT,HARD");
        r->soft = parse_limit(soft);
        r->hard = parse_limit(hard);
      } else if (strcmp(opt, "--memory") == 0) {
        cgl.has_memory = 1;
        cgl.memory_bytes = strtoull(s, NULL, 0);
      } else if (strcmp(opt, "--pids") == 0) {
        cgl.has_pids = 1;
        cgl.pids = strtoull(s, NULL, 0);
      } else if (strcmp(opt, "--cpu") == 0) {
        cgl.has_cpu = 1;
        cgl.cpu = strtod(s, NULL);
      } else {
        die("unknown option");
      }
    }
  }
  if (i >= argc - 1) die("usage: jailfs-driver [options] -- PROGRAM [ARGS]");
  char **prog = &argv[i + 1];
  fs.in_new_mount_ns = fs.enabled;

  if (pool_runs > 0) tsjail_cgroup_pool_enable();
  int status = 0;
  for (int run = 0; run < (pool_runs > 0 ? pool_runs : 1); run++) {
  char detail[TSJAIL_CG_PATH_MAX + 600];
  const char *part = NULL;
  int err = tsjail_cgroup_create(&cgl, &cg, &part, detail, sizeof detail);
  if (err) {
    /* detail is "<part>: <why>" */
    fprintf(stderr, "jailfs-driver: step=%s errno=%d index=-1: %s\n", part, err, detail + strlen(part) + 2);
    return 125;
  }
  if (print_cgroup && cg)
    for (unsigned d = 0; d < cg->n_dirs; d++) fprintf(stderr, "cgroup-dir: %s\n", cg->dirs[d]);

  int sync[2], errp[2];
  if (pipe2(sync, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) die("pipe");
  uid_t uid = getuid();
  gid_t gid = getgid();
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    close(sync[1]);
    close(errp[0]);
    char b;
    while (read(sync[0], &b, 1) > 0) {
    }
    int flags = (use_userns ? CLONE_NEWUSER : 0) | (fs.enabled ? CLONE_NEWNS : 0) | (use_pidns ? CLONE_NEWPID : 0);
    if (flags && unshare(flags) != 0) report(errp[1], "unshare", errno, -1);
    if (use_userns) {
      char map[64];
      int e = write_file("/proc/self/setgroups", "deny");
      snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
      if (!e) e = write_file("/proc/self/uid_map", map);
      snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
      if (!e) e = write_file("/proc/self/gid_map", map);
      if (e) report(errp[1], "uid-map", e, -1);
    }
    if (use_pidns) {
      pid_t init = fork();
      if (init < 0) report(errp[1], "fork", errno, -1);
      if (init == 0) jail_and_exec(errp[1], prog);
      close(errp[1]);
      int st;
      while (waitpid(init, &st, 0) < 0 && errno == EINTR) {
      }
      _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    }
    jail_and_exec(errp[1], prog);
  }
  close(sync[0]);
  close(errp[1]);
  if (cg && (err = tsjail_cgroup_attach(cg, child))) {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    fprintf(stderr, "jailfs-driver: step=%s errno=%d index=-1: %s\n", cg->step, err, cg->detail);
    tsjail_cgroup_discard(cg);
    return 125;
  }
  close(sync[1]);
  struct failure_record rec;
  ssize_t n;
  while ((n = read(errp[0], &rec, sizeof(rec))) < 0 && errno == EINTR) {
  }
  int st = 0;
  while (waitpid(child, &st, 0) < 0 && errno == EINTR) {
  }
  int rm = pool_runs > 0 ? tsjail_cgroup_release(cg) : tsjail_cgroup_discard(cg);
  cg = NULL;
  if (rm) fprintf(stderr, "jailfs-driver: cgroup removal failed: %s\n", strerror(rm));
  if (n == (ssize_t)sizeof(rec)) {
    fprintf(stderr, "jailfs-driver: step=%s errno=%d index=%d: %s\n", rec.step, rec.err, rec.index, strerror(rec.err));
    return 125;
  }
  status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  if (pool_runs > 0) fprintf(stderr, "pool-drained: %u\n", tsjail_cgroup_pool_drain());
  return status;
}
