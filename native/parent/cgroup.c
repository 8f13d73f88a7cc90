/* Cgroup step (parent side): detect where memory/pids/cpu live (v1, v2 or hybrid), create
 * the jail's cgroup under our own, write limits, attach, kill, remove. See cgroup.h.
 * Runs in the parent only, so it may allocate and use stdio formatting. */
#define _GNU_SOURCE
#include "cgroup.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const ctl_names[TSJAIL_CG_COUNT] = {"memory", "pids", "cpu"};

/* CFS period for cpu limits (the kernel's default, 100 ms) and the smallest quota it takes. */
#define CPU_PERIOD_US 100000ull
#define CPU_MIN_QUOTA_US 1000ull

static atomic_uint jail_counter;

/* ---- text helpers ------------------------------------------------------------------- */

/* Does the `sep`-separated list contain `word` as a whole token? */
static int list_has(const char *list, size_t len, char sep, const char *word) {
  size_t wl = strlen(word);
  size_t i = 0;
  while (i < len) {
    size_t j = i;
    while (j < len && list[j] != sep) j++;
    if (j - i == wl && memcmp(list + i, word, wl) == 0) return 1;
    i = j + 1;
  }
  return 0;
}

static int text_has_word(const char *text, const char *word) {
  if (!text) return 0;
  /* cgroup.controllers / subtree_control: space separated, newline terminated. */
  size_t len = strcspn(text, "\n");
  return list_has(text, len, ' ', word);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s) {
  char *w = s;
  for (char *r = s; *r;) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
      *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
      r += 4;
    } else {
      *w++ = *r++;
    }
  }
  *w = '\0';
}

/* <mount point>/<own path relative to the mount's root>. When our cgroup is not below the
 * mounted root (another cgroup namespace's view), the mount point itself is used. */
static int cg_dir(char *out, size_t cap, const char *mountpoint, const char *mnt_root, const char *own) {
  const char *rel = own;
  size_t lr = strlen(mnt_root);
  if (strcmp(mnt_root, "/") != 0) {
    if (strncmp(own, mnt_root, lr) == 0 && (own[lr] == '/' || own[lr] == '\0'))
      rel = own + lr;
    else
      rel = "";
  }
  while (*rel == '/') rel++;
  int n = *rel ? snprintf(out, cap, "%s/%s", mountpoint, rel) : snprintf(out, cap, "%s", mountpoint);
  if (n < 0 || (size_t)n >= cap) return ENAMETOOLONG;
  /* No trailing slash: paths are compared when hierarchies share a directory. */
  size_t l = strlen(out);
  while (l > 1 && out[l - 1] == '/') out[--l] = '\0';
  return 0;
}

/* ---- detection ---------------------------------------------------------------------- */

int tsjail_cgroup_detect(const char *mountinfo, const char *self_cgroup, const char *v2_controllers,
                         struct tsjail_cg_layout *out) {
  memset(out, 0, sizeof(*out));
  if (!mountinfo || !self_cgroup) return EINVAL;

  char *own_v1[TSJAIL_CG_COUNT] = {NULL, NULL, NULL};
  char *own_v2 = NULL;
  char *cg_copy = strdup(self_cgroup);
  char *mi_copy = strdup(mountinfo);
  int err = 0;
  if (!cg_copy || !mi_copy) {
    err = ENOMEM;
    goto out;
  }

  /* /proc/self/cgroup: "hierarchy-id:controller,list:/path"; v2 is "0::/path". */
  char *save = NULL;
  for (char *line = strtok_r(cg_copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || !c2) {
      err = EINVAL;
      goto out;
    }
    char *ctls = c1 + 1;
    size_t ctls_len = (size_t)(c2 - ctls);
    char *path = c2 + 1;
    if (ctls_len == 0 && c1 - line == 1 && line[0] == '0') {
      own_v2 = path;
      continue;
    }
    for (int c = 0; c < TSJAIL_CG_COUNT; c++)
      if (!own_v1[c] && list_has(ctls, ctls_len, ',', ctl_names[c])) own_v1[c] = path;
  }

  /* /proc/self/mountinfo: "id parent maj:min root mountpoint opts [optional...] - fstype src superopts" */
  char v2_mountpoint[TSJAIL_CG_PATH_MAX] = "";
  char v2_root[TSJAIL_CG_PATH_MAX] = "";
  save = NULL;
  for (char *line = strtok_r(mi_copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *fields[64];
    int nf = 0;
    char *fsave = NULL;
    for (char *f = strtok_r(line, " ", &fsave); f && nf < 64; f = strtok_r(NULL, " ", &fsave)) fields[nf++] = f;
    int dash = -1;
    for (int i = 6; i < nf; i++) {
      if (strcmp(fields[i], "-") == 0) {
        dash = i;
        break;
      }
    }
    if (nf < 5 || dash < 0 || dash + 3 >= nf) {
      err = EINVAL;
      goto out;
    }
    const char *fstype = fields[dash + 1];
    const char *superopts = fields[dash + 3];
    char *root = fields[3];
    char *mountpoint = fields[4];
    unescape_octal(root);
    unescape_octal(mountpoint);
    if (strcmp(fstype, "cgroup2") == 0) {
      if (!v2_mountpoint[0]) {
        snprintf(v2_mountpoint, sizeof(v2_mountpoint), "%s", mountpoint);
        snprintf(v2_root, sizeof(v2_root), "%s", root);
      }
      continue;
    }
    if (strcmp(fstype, "cgroup") != 0) continue;
    for (int c = 0; c < TSJAIL_CG_COUNT; c++) {
      struct tsjail_cg_place *place = &out->ctl[c];
      if (place->version || !list_has(superopts, strlen(superopts), ',', ctl_names[c])) continue;
      if ((err = cg_dir(place->dir, sizeof(place->dir), mountpoint, root, own_v1[c] ? own_v1[c] : "/"))) goto out;
      place->version = 1;
    }
  }

  /* A controller bound to a v1 hierarchy is never available on v2 (hybrid setups). */
  if (v2_mountpoint[0] && own_v2) {
    if ((err = cg_dir(out->v2_dir, sizeof(out->v2_dir), v2_mountpoint, v2_root, own_v2))) goto out;
    for (int c = 0; c < TSJAIL_CG_COUNT; c++) {
      struct tsjail_cg_place *place = &out->ctl[c];
      if (place->version || !text_has_word(v2_controllers, ctl_names[c])) continue;
      snprintf(place->dir, sizeof(place->dir), "%s", out->v2_dir);
      place->version = 2;
    }
  }
out:
  free(cg_copy);
  free(mi_copy);
  if (err) memset(out, 0, sizeof(*out));
  return err;
}

/* Whole file as a NUL-terminated string (malloc'd), or NULL with errno set. */
static char *read_text(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 8192, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (len + 1 >= cap) {
      char *bigger = realloc(buf, cap * 2);
      if (!bigger) {
        free(buf);
        buf = NULL;
        errno = ENOMEM;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      free(buf);
      buf = NULL;
      errno = saved;
      break;
    }
    if (n == 0) {
      buf[len] = '\0';
      break;
    }
    len += (size_t)n;
  }
  int saved = errno;
  close(fd);
  errno = buf || saved ? saved : EIO; /* callers return errno as the step's error: never 0 */
  return buf;
}

/* dir/file in `small` when it fits (the usual case), else on the heap; NULL when out of memory.
 * Release with path_done. The files every jail touches are opened this way rather than
 * through a PATH_MAX array in each frame: every page of a large frame is touched by the stack
 * probe, and every page the launcher touches is a copy-on-write fault while its jails share
 * its memory. */
#define SMALL_PATH 256
static char *join_path(char *small, size_t cap, const char *dir, const char *file) {
  size_t ld = strlen(dir), lf = strlen(file);
  char *path = ld + lf + 2 <= cap ? small : malloc(ld + lf + 2);
  if (path) {
    memcpy(path, dir, ld);
    path[ld] = '/';
    memcpy(path + ld + 1, file, lf + 1);
  }
  return path;
}

static void path_done(char *path, const char *small) {
  int saved = errno;
  if (path != small) free(path);
  errno = saved;
}

static int open_in(const char *dir, const char *file, int flags) {
  char small[SMALL_PATH], *path = join_path(small, sizeof small, dir, file);
  if (!path) {
    errno = ENOMEM;
    return -1;
  }
  int fd;
  do fd = open(path, flags | O_CLOEXEC); while (fd < 0 && errno == EINTR);
  path_done(path, small);
  return fd;
}

/* A small file whole into buf (NUL-terminated): 0, or errno (EFBIG when it does not fit). For
 * what every jail reads (a count, a pid list's first line, /proc/self/cgroup): a few hundred
 * bytes on the stack instead of read_text's 8 KiB from the heap, pages the launcher would
 * write (and fault in, copy-on-write while its jails share its memory) at every launch. */
static int read_small_fd(int fd, char *buf, size_t cap) {
  if (fd < 0) return errno;
  size_t len = 0;
  int err = 0;
  for (;;) {
    if (len + 1 >= cap) {
      err = EFBIG;
      break;
    }
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno;
      break;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  buf[len] = '\0';
  return err;
}

static int read_small(const char *path, char *buf, size_t cap) {
  int fd;
  do fd = open(path, O_RDONLY | O_CLOEXEC); while (fd < 0 && errno == EINTR);
  return read_small_fd(fd, buf, cap);
}

static int read_small_in(const char *dir, const char *file, char *buf, size_t cap) {
  return read_small_fd(open_in(dir, file, O_RDONLY), buf, cap);
}

int tsjail_cgroup_detect_self(struct tsjail_cg_layout *out) {
  char *mi = read_text("/proc/self/mountinfo");
  if (!mi) return errno;
  char *cg = read_text("/proc/self/cgroup");
  if (!cg) {
    int err = errno;
    free(mi);
    return err;
  }
  /* First pass finds our v2 cgroup; its cgroup.controllers says what v2 offers us. */
  int err = tsjail_cgroup_detect(mi, cg, NULL, out);
  if (!err && out->v2_dir[0]) {
    char path[TSJAIL_CG_PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/cgroup.controllers", out->v2_dir);
    char *ctl = read_text(path);
    if (ctl) {
      err = tsjail_cgroup_detect(mi, cg, ctl, out);
      free(ctl);
    }
  }
  free(mi);
  free(cg);
  return err;
}

/* ---- creation ----------------------------------------------------------------------- */

/* read_text of dir/file. */
static char *read_text_in(const char *dir, const char *file) {
  char small[SMALL_PATH], *path = join_path(small, sizeof small, dir, file);
  if (!path) {
    errno = ENOMEM;
    return NULL;
  }
  char *text = read_text(path);
  path_done(path, small);
  return text;
}

static int write_text(const char *dir, const char *file, const char *value) {
  int fd = open_in(dir, file, O_WRONLY);
  if (fd < 0) return errno;
  size_t len = strlen(value);
  /* A memory limit write gives up with EINTR when a signal arrives meanwhile (the kernel
   * reclaims down to the new limit first and checks for signals; Node delivers SIGCHLD and
   * the like to any of its threads): the write is then simply repeated. */
  ssize_t w;
  int tries = 0;
  do w = write(fd, value, len); while (w < 0 && errno == EINTR && ++tries < 100);
  int err = w < 0 ? errno : ((size_t)w != len ? EIO : 0);
  if (close(fd) != 0 && !err && errno != EINTR) err = errno;
  return err;
}

static int file_exists(const char *dir, const char *file) {
  char small[SMALL_PATH], *path = join_path(small, sizeof small, dir, file);
  int exists = path && access(path, F_OK) == 0;
  path_done(path, small);
  return exists;
}

static int set_failure(struct tsjail_cgroup *cg, const char *step, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int set_failure(struct tsjail_cgroup *cg, const char *step, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cg->step = step;
  vsnprintf(cg->detail, sizeof(cg->detail), fmt, ap);
  va_end(ap);
  return err;
}

static int is_permission_error(int err) { return err == EACCES || err == EPERM || err == EROFS; }

/* The advice appended to a permission failure: the cgroup is not ours to write. */
static int delegation_failure(struct tsjail_cgroup *cg, int err, const char *what, const char *path,
                              enum tsjail_cg_controller c, int version) {
  return set_failure(cg, "cgroup-create", err,
                     "cannot %s %s: %s. The %s controller (cgroup v%d) is not delegated to uid %u: run the "
                     "jail as root, or give this user a writable cgroup (cgroup v2: start it under "
                     "`systemd-run --user --scope -p Delegate=yes`; v1: chown the parent cgroup directory "
                     "and its cgroup.procs to the user)",
                     what, path, strerror(err), ctl_names[c], version, (unsigned)getuid());
}

/* v2: a controller is usable in a child only when the parent lists it in subtree_control. */
static int enable_v2_controller(struct tsjail_cgroup *cg, const char *parent, enum tsjail_cg_controller c) {
  char path[TSJAIL_CG_PATH_MAX + 32];
  snprintf(path, sizeof(path), "%s/cgroup.subtree_control", parent);
  char *cur = read_text(path);
  if (cur && text_has_word(cur, ctl_names[c])) {
    free(cur);
    return 0;
  }
  free(cur);
  char req[32];
  snprintf(req, sizeof(req), "+%s", ctl_names[c]);
  int err = write_text(parent, "cgroup.subtree_control", req);
  if (!err) return 0;
  if (is_permission_error(err)) return delegation_failure(cg, err, "enable the controller in", path, c, 2);
  if (err == EBUSY)
    return set_failure(cg, "cgroup-create", err,
                       "cannot enable %s in %s: %s (cgroup v2 allows controllers in subtree_control only "
                       "for a cgroup without processes of its own: run tsjail from a leaf of a delegated "
                       "cgroup whose parent has the controller enabled)",
                       ctl_names[c], path, strerror(err));
  return set_failure(cg, "cgroup-create", err, "cannot enable %s in %s: %s", ctl_names[c], path, strerror(err));
}

/* Where tsjail moves the calling process on cgroup v2 (see leave_own_cgroup). */
#define V2_LEAF "tsjail-leaf"

/* cgroup v2 forbids processes in a non-root cgroup whose subtree_control has controllers
 * (domain controllers: EBUSY; threaded ones such as pids turn it into a thread root and the
 * jail's cgroup into an invalid domain: EOPNOTSUPP on attach). Our own cgroup always holds us,
 * so, as container runtimes do with a delegated cgroup, we move ourselves into a leaf
 * <own>/tsjail-leaf -- but only when we are the cgroup's only process; otherwise the error
 * says who else is there. The root cgroup is exempt from the rule. */
static int leave_own_cgroup(struct tsjail_cgroup *cg, const char *dir) {
  if (!file_exists(dir, "cgroup.type")) return 0; /* root cgroup: exempt */
  char path[TSJAIL_CG_PATH_MAX + 32];
  snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
  char *procs = read_text(path);
  if (!procs) return set_failure(cg, "cgroup-create", errno, "cannot read %s: %s", path, strerror(errno));
  long self = (long)getpid(), others = 0, mine = 0;
  for (char *p = procs; *p;) {
    char *end;
    long pid = strtol(p, &end, 10);
    if (end == p) break;
    if (pid == self) mine = 1;
    else if (pid > 0) others++;
    p = end;
    while (*p == '\n') p++;
  }
  free(procs);
  if (others)
    return set_failure(cg, "cgroup-create", EBUSY,
                       "cgroup v2 allows the jail's cgroup below %s only when %s has no processes of its own, "
                       "and %ld other process(es) share it with tsjail: start tsjail in a delegated cgroup of "
                       "its own (e.g. `systemd-run --user --scope -p Delegate=yes node ...`)",
                       dir, dir, others);
  if (!mine) return 0;
  char leaf[TSJAIL_CG_PATH_MAX + 32];
  snprintf(leaf, sizeof(leaf), "%s/" V2_LEAF, dir);
  if (mkdir(leaf, 0755) != 0 && errno != EEXIST) {
    int err = errno;
    if (is_permission_error(err)) return delegation_failure(cg, err, "create", leaf, TSJAIL_CG_PIDS, 2);
    return set_failure(cg, "cgroup-create", err, "cannot create %s: %s", leaf, strerror(err));
  }
  char v[32];
  snprintf(v, sizeof(v), "%ld", self);
  int err = write_text(leaf, "cgroup.procs", v);
  if (err)
    return set_failure(cg, "cgroup-create", err, "cannot move tsjail (pid %ld) into %s: %s", self, leaf, strerror(err));
  return 0;
}

/* After leave_own_cgroup our own cgroup is <parent>/tsjail-leaf; jails go next to it. */
static void v2_jail_parent(char *out, size_t cap, const char *own) {
  snprintf(out, cap, "%s", own);
  size_t l = strlen(out), ll = strlen("/" V2_LEAF);
  if (l > ll && strcmp(out + l - ll, "/" V2_LEAF) == 0) out[l - ll] = '\0';
}

static void remove_dirs(struct tsjail_cgroup *cg) {
  while (cg->n_dirs > 0) {
    cg->n_dirs--;
    rmdir(cg->dirs[cg->n_dirs]);
  }
}

/* mkdir the jail's cgroup in `parent` (or reuse it when another controller shares the
 * hierarchy); returns the index in cg->dirs. */
/* A launcher that was killed (SIGKILL, OOM) could not remove its jail's cgroup: its processes
 * died with it (PDEATHSIG), leaving an empty tsjail-PID-N directory. The first jail of each
 * process sweeps the empty ones whose launcher no longer exists. A launcher in another pid
 * namespace looks gone too: its non-empty cgroups refuse rmdir (EBUSY), and one caught between
 * mkdir and attach fails its launch (closed), so the sweep never weakens a jail. */
static atomic_int swept[TSJAIL_CG_COUNT];

static void sweep_stale(const char *parent, enum tsjail_cg_controller c) {
  if (atomic_exchange(&swept[c], 1)) return;
  DIR *d = opendir(parent);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    long pid;
    unsigned n;
    char tail;
    if (sscanf(e->d_name, "tsjail-%ld-%u%c", &pid, &n, &tail) != 2 || pid <= 0 || pid == (long)getpid()) continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
    char path[TSJAIL_CG_PATH_MAX];
    int len = snprintf(path, sizeof(path), "%s/%s", parent, e->d_name);
    if (len > 0 && (size_t)len < sizeof(path)) rmdir(path); /* EBUSY when not empty: left alone */
  }
  closedir(d);
}

static int make_dir(struct tsjail_cgroup *cg, const char *parent, const char *name, int version,
                    enum tsjail_cg_controller c, int *index) {
  char path[TSJAIL_CG_PATH_MAX];
  int n = snprintf(path, sizeof(path), "%s/%s", parent, name);
  if (n < 0 || (size_t)n >= sizeof(path))
    return set_failure(cg, "cgroup-create", ENAMETOOLONG, "cgroup path too long: %s/%s", parent, name);
  for (unsigned i = 0; i < cg->n_dirs; i++) {
    if (strcmp(cg->dirs[i], path) == 0) {
      *index = (int)i;
      return 0;
    }
  }
  sweep_stale(parent, c);
  int r = mkdir(path, 0755);
  /* A leftover from an earlier process with our pid: empty ones can go. */
  if (r != 0 && errno == EEXIST && rmdir(path) == 0) r = mkdir(path, 0755);
  if (r != 0) {
    int err = errno;
    if (is_permission_error(err)) return delegation_failure(cg, err, "create", path, c, version);
    return set_failure(cg, "cgroup-create", err, "cannot create %s: %s", path, strerror(err));
  }
  memcpy(cg->dirs[cg->n_dirs], path, (size_t)n + 1);
  cg->dir_version[cg->n_dirs] = version;
  *index = (int)cg->n_dirs++;
  return 0;
}

static int write_limit(struct tsjail_cgroup *cg, const char *dir, const char *file, const char *value) {
  int err = write_text(dir, file, value);
  if (err) return set_failure(cg, "cgroup-limit", err, "cannot write %s to %s/%s: %s", value, dir, file, strerror(err));
  return 0;
}

static int write_limits(struct tsjail_cgroup *cg, enum tsjail_cg_controller c, const char *dir, int version,
                        const struct tsjail_cgroup_limits *lim) {
  char v[64];
  int err = 0;
  switch (c) {
  case TSJAIL_CG_MEMORY:
    snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->memory_bytes);
    /* The limit covers swap too; otherwise a program over it swaps instead of being killed. */
    if (version == 2) {
      if (!(err = write_limit(cg, dir, "memory.max", v)) && file_exists(dir, "memory.swap.max"))
        err = write_limit(cg, dir, "memory.swap.max", "0");
    } else {
      if (!(err = write_limit(cg, dir, "memory.limit_in_bytes", v)) && file_exists(dir, "memory.memsw.limit_in_bytes"))
        err = write_limit(cg, dir, "memory.memsw.limit_in_bytes", v);
    }
    return err;
  case TSJAIL_CG_PIDS:
    snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->pids);
    return write_limit(cg, dir, "pids.max", v);
  case TSJAIL_CG_CPU: {
    unsigned long long quota = (unsigned long long)(lim->cpu * (double)CPU_PERIOD_US + 0.5);
    if (quota < CPU_MIN_QUOTA_US) quota = CPU_MIN_QUOTA_US;
    if (version == 2) {
      snprintf(v, sizeof(v), "%llu %llu", quota, CPU_PERIOD_US);
      return write_limit(cg, dir, "cpu.max", v);
    }
    snprintf(v, sizeof(v), "%llu", CPU_PERIOD_US);
    if ((err = write_limit(cg, dir, "cpu.cfs_period_us", v))) return err;
    snprintf(v, sizeof(v), "%llu", quota);
    return write_limit(cg, dir, "cpu.cfs_quota_us", v);
  }
  case TSJAIL_CG_COUNT:
    break;
  }
  return EINVAL;
}

static void cg_reset(struct tsjail_cgroup *cg) {
  memset(cg, 0, sizeof(*cg));
  for (int c = 0; c < TSJAIL_CG_COUNT; c++) cg->ctl_dir[c] = -1;
}

int tsjail_cgroup_create_in(const struct tsjail_cg_layout *layout, const struct tsjail_cgroup_limits *limits,
                            struct tsjail_cgroup *cg) {
  cg_reset(cg);
  cg->limits = *limits;
  int wanted[TSJAIL_CG_COUNT] = {limits->has_memory, limits->has_pids, limits->has_cpu};
  if (!wanted[0] && !wanted[1] && !wanted[2]) return 0;
  if (limits->has_cpu && !(limits->cpu > 0))
    return set_failure(cg, "cgroup-limit", EINVAL, "cpu limit must be a positive fraction of a CPU");

  for (int c = 0; c < TSJAIL_CG_COUNT; c++) {
    if (wanted[c] && !layout->ctl[c].version)
      return set_failure(cg, "cgroup-detect", ENODEV,
                         "no %s controller available: no cgroup v1 hierarchy has it and the cgroup v2 "
                         "hierarchy%s%s does not offer it (cgroup.controllers)",
                         ctl_names[c], layout->v2_dir[0] ? " at " : " is not mounted", layout->v2_dir);
  }

  char name[64];
  snprintf(name, sizeof(name), "tsjail-%ld-%u", (long)getpid(), atomic_fetch_add(&jail_counter, 1) + 1);

  int err = 0;
  int left_v2 = 0;
  char v2_parent[TSJAIL_CG_PATH_MAX];
  for (int c = 0; c < TSJAIL_CG_COUNT && !err; c++) {
    if (!wanted[c]) continue;
    const struct tsjail_cg_place *place = &layout->ctl[c];
    const char *parent = place->dir;
    int index = -1;
    if (place->version == 2) {
      v2_jail_parent(v2_parent, sizeof(v2_parent), place->dir);
      parent = v2_parent;
      if (!left_v2 && (err = leave_own_cgroup(cg, parent))) break;
      left_v2 = 1;
      if ((err = enable_v2_controller(cg, parent, (enum tsjail_cg_controller)c))) break;
    }
    if ((err = make_dir(cg, parent, name, place->version, (enum tsjail_cg_controller)c, &index))) break;
    cg->ctl_dir[c] = index;
    err = write_limits(cg, (enum tsjail_cg_controller)c, cg->dirs[index], place->version, limits);
  }
  if (err) remove_dirs(cg);
  return err;
}

/* The detected layout, kept for the next jail of this process. Detection reads
 * /proc/self/mountinfo, whose lock every clone of a mount namespace holds for writing: with
 * many jails starting at once, re-reading it per jail cost more wall time than the cgroup's
 * mkdir. The cache is used only while it still describes this process: the same pid (a fork
 * detects afresh), the same /proc/self/cgroup text (we were not moved to another cgroup), and
 * every directory it names still the same directory (device and inode: a hierarchy unmounted
 * or mounted anew is seen). Otherwise it is detected again. A stale entry could not weaken a
 * jail anyway: limits are written to files that must exist in the directory (no O_CREAT), so
 * a directory that is no longer that controller's cgroup fails the launch. */
static struct {
  pthread_mutex_t lock;
  int valid;
  pid_t pid;
  char *self_cgroup;               /* the /proc/self/cgroup text it was detected with */
  struct tsjail_cg_layout layout;
  unsigned gen;                    /* counts detections: pooled cgroups of another one are not reused */
  dev_t dev[TSJAIL_CG_COUNT + 1];  /* of ctl[c].dir, then of v2_dir */
  ino_t ino[TSJAIL_CG_COUNT + 1];
} layout_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* dir's device and inode; "" (none) matches as 0/0. 0, or -1 when it cannot be stat'ed. */
static int dir_identity(const char *dir, dev_t *dev, ino_t *ino) {
  struct stat st;
  *dev = 0;
  *ino = 0;
  if (!dir[0]) return 0;
  if (stat(dir, &st) != 0) return -1;
  *dev = st.st_dev;
  *ino = st.st_ino;
  return 0;
}

static const char *layout_dir(const struct tsjail_cg_layout *l, int i) {
  return i < TSJAIL_CG_COUNT ? (l->ctl[i].version ? l->ctl[i].dir : "") : l->v2_dir;
}

/* Under layout_cache.lock: does the cache still describe this process? */
static int cache_holds(const char *self_cgroup) {
  if (!layout_cache.valid || layout_cache.pid != getpid() || strcmp(layout_cache.self_cgroup, self_cgroup) != 0) return 0;
  for (int i = 0; i <= TSJAIL_CG_COUNT; i++) {
    dev_t dev;
    ino_t ino;
    if (dir_identity(layout_dir(&layout_cache.layout, i), &dev, &ino) || dev != layout_cache.dev[i] ||
        ino != layout_cache.ino[i])
      return 0;
  }
  return 1;
}

/* Under layout_cache.lock: keep a fresh detection (its text is taken over). */
static void cache_store(const struct tsjail_cg_layout *layout, char *self_cgroup) {
  layout_cache.valid = 0;
  free(layout_cache.self_cgroup);
  layout_cache.self_cgroup = self_cgroup;
  layout_cache.layout = *layout;
  layout_cache.gen++;
  for (int i = 0; i <= TSJAIL_CG_COUNT; i++)
    if (dir_identity(layout_dir(layout, i), &layout_cache.dev[i], &layout_cache.ino[i])) return;
  layout_cache.pid = getpid();
  layout_cache.valid = 1;
}

/* The layout for this process, from the cache or detected, and its generation (0: not
 * cached); self_cgroup is /proc/self/cgroup's text, taken over. 0 or errno. */
static int current_layout(char *self_cgroup, struct tsjail_cg_layout *out, unsigned *gen) {
  pthread_mutex_lock(&layout_cache.lock);
  int err = 0;
  if (cache_holds(self_cgroup)) {
    *out = layout_cache.layout;
    free(self_cgroup);
  } else if (!(err = tsjail_cgroup_detect_self(out))) {
    cache_store(out, self_cgroup);
  } else {
    free(self_cgroup);
  }
  *gen = layout_cache.valid ? layout_cache.gen : 0;
  pthread_mutex_unlock(&layout_cache.lock);
  return err;
}

/* The generation of the cached layout when it still describes this process, else 0. */
static unsigned cached_generation(const char *self_cgroup) {
  pthread_mutex_lock(&layout_cache.lock);
  unsigned gen = cache_holds(self_cgroup) ? layout_cache.gen : 0;
  pthread_mutex_unlock(&layout_cache.lock);
  return gen;
}

static struct tsjail_cgroup *pool_take(const struct tsjail_cgroup_limits *limits, unsigned gen);
static int pool_active(void);

/* A new cgroup made in the current layout, on the heap; failures are set on it (nothing left). */
static int create_new(const struct tsjail_cgroup_limits *limits, char *self_cgroup, struct tsjail_cgroup *cg) {
  struct tsjail_cg_layout *layout = calloc(1, sizeof(*layout));
  if (!layout) {
    free(self_cgroup);
    return set_failure(cg, "cgroup-detect", ENOMEM, "out of memory");
  }
  unsigned gen = 0;
  int err = current_layout(self_cgroup, layout, &gen);
  if (err) {
    free(layout);
    return set_failure(cg, "cgroup-detect", err, "cannot read /proc/self/mountinfo or /proc/self/cgroup: %s",
                       strerror(err));
  }
  err = tsjail_cgroup_create_in(layout, limits, cg);
  cg->layout_gen = gen;
  free(layout);
  return err;
}

/* The failure: part into *part (when asked), "<part>: <why>" into detail; returns err. */
static int create_failed(const char **part, const char *name, int err, char *detail, size_t cap, const char *why) {
  if (part) *part = name;
  snprintf(detail, cap, "%s: %s", name, why);
  return err;
}

int tsjail_cgroup_create(const struct tsjail_cgroup_limits *limits, struct tsjail_cgroup **out, const char **part,
                         char *detail, size_t cap) {
  *out = NULL;
  if (part) *part = NULL;
  if (cap) detail[0] = '\0';
  if (!limits->has_memory && !limits->has_pids && !limits->has_cpu) return 0;
  /* An idle cgroup of the current layout first, moved rather than copied (the struct is 17 KiB
   * and the layout 16 KiB), the layout checked against /proc/self/cgroup read onto the stack:
   * a launcher starting many jails takes this way, and every page it writes here is a
   * copy-on-write fault while its jails share its memory. */
  char small[1024], *heap = NULL;
  int err = read_small("/proc/self/cgroup", small, sizeof small);
  if (err == EFBIG) err = (heap = read_text("/proc/self/cgroup")) ? 0 : errno;
  if (err) {
    char why[128];
    snprintf(why, sizeof why, "cannot read /proc/self/cgroup: %s", strerror(err));
    return create_failed(part, "cgroup-detect", err, detail, cap, why);
  }
  const char *self = heap ? heap : small;
  unsigned cached = pool_active() ? cached_generation(self) : 0;
  if (cached && (*out = pool_take(limits, cached))) {
    free(heap);
    return 0;
  }
  char *self_cgroup = heap ? heap : strdup(small); /* the layout cache keeps it */
  if (!self_cgroup) return create_failed(part, "cgroup-detect", ENOMEM, detail, cap, "out of memory");
  struct tsjail_cgroup *cg = malloc(sizeof *cg);
  if (!cg) {
    free(self_cgroup);
    return create_failed(part, "cgroup-detect", ENOMEM, detail, cap, "out of memory");
  }
  cg_reset(cg);
  err = create_new(limits, self_cgroup, cg);
  if (err) {
    create_failed(part, cg->step ? cg->step : "cgroup", err, detail, cap, cg->detail);
    free(cg); /* tsjail_cgroup_create_in removed what it made (cg->step is a static string) */
    return err;
  }
  *out = cg;
  return 0;
}

int tsjail_cgroup_attach(struct tsjail_cgroup *cg, pid_t pid) {
  char v[32];
  snprintf(v, sizeof(v), "%ld", (long)pid);
  for (unsigned i = 0; i < cg->n_dirs; i++) {
    int err = write_text(cg->dirs[i], "cgroup.procs", v);
    if (err) {
      if (is_permission_error(err))
        return set_failure(cg, "cgroup-attach", err,
                           "cannot move pid %s into %s: %s (the user needs write access to cgroup.procs of "
                           "the jail's cgroup and of the common ancestor with its own cgroup: delegate it)",
                           v, cg->dirs[i], strerror(err));
      return set_failure(cg, "cgroup-attach", err, "cannot move pid %s into %s: %s", v, cg->dirs[i], strerror(err));
    }
  }
  return 0;
}

/* Kill everything listed in dir/cgroup.procs; returns the number of pids seen. */
static int kill_listed(const char *dir) {
  char path[TSJAIL_CG_PATH_MAX + 32];
  snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
  char *procs = read_text(path);
  if (!procs) return 0;
  int seen = 0;
  for (char *p = procs; *p;) {
    char *end;
    long pid = strtol(p, &end, 10);
    if (end == p) break;
    if (pid > 0) {
      kill((pid_t)pid, SIGKILL);
      seen++;
    }
    p = end;
    while (*p == '\n') p++;
  }
  free(procs);
  return seen;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

int tsjail_cgroup_kill(struct tsjail_cgroup *cg) {
  int err = 0;
  for (unsigned i = 0; i < cg->n_dirs; i++) {
    /* cgroup.kill (v2, 5.14) is atomic against forks; the v1 loop repeats until no pid is
     * left, since a process may fork between reading the list and the kill. */
    if (cg->dir_version[i] == 2 && file_exists(cg->dirs[i], "cgroup.kill")) {
      int e = write_text(cg->dirs[i], "cgroup.kill", "1");
      if (!e) continue;
      err = e;
    }
    for (int round = 0; round < 100 && kill_listed(cg->dirs[i]) > 0; round++) sleep_ms(2);
  }
  return err;
}

int tsjail_cgroup_remove(struct tsjail_cgroup *cg) {
  int last_err = 0, killed = 0;
  unsigned kept = 0;
  for (unsigned i = 0; i < cg->n_dirs; i++) {
    int err = 0;
    for (int attempt = 0; attempt < 200; attempt++) {
      if (rmdir(cg->dirs[i]) == 0 || errno == ENOENT) {
        err = 0;
        break;
      }
      err = errno;
      if (err != EBUSY) break;
      /* Usually the jail is over: its pid namespace's init was reaped, and the kernel reaps
       * the rest of a pid namespace before its init, so the first rmdir succeeds and no
       * cgroup.procs is read (in v1 each read builds a pid list the kernel frees later from a
       * work queue). A cgroup still populated gets everything in the jail's cgroups killed,
       * once; killed tasks leave only once fully exited (and reaped): retry for ~2 s. */
      if (!killed) {
        tsjail_cgroup_kill(cg);
        killed = 1;
        continue;
      }
      if (attempt % 10 == 9) kill_listed(cg->dirs[i]);
      sleep_ms(10);
    }
    if (err) {
      last_err = err;
      if (kept != i) {
        memcpy(cg->dirs[kept], cg->dirs[i], sizeof(cg->dirs[i]));
        cg->dir_version[kept] = cg->dir_version[i];
      }
      kept++;
    }
  }
  cg->n_dirs = kept;
  /* What is left (a failed removal) no longer maps controllers to directories. */
  for (int c = 0; c < TSJAIL_CG_COUNT; c++) cg->ctl_dir[c] = -1;
  return last_err;
}

/* The kernel's count of OOM kills in the jail's memory cgroup, for whichever jail had it:
 * "oom_kill N" in memory.events (v2) or memory.oom_control (v1, Linux 4.13). Read before the
 * cgroup is removed, to tell a memory-limit kill from any other SIGKILL. */
static uint64_t oom_kills_total(const struct tsjail_cgroup *cg) {
  uint64_t total = 0;
  for (unsigned i = 0; i < cg->n_dirs; i++) {
    const char *file = cg->dir_version[i] == 2 ? "memory.events" : "memory.oom_control";
    char small[512], *text = small;
    int err = read_small_in(cg->dirs[i], file, small, sizeof small);
    if (err == EFBIG) text = read_text_in(cg->dirs[i], file); /* a kernel with more lines than today's */
    else if (err) text = NULL;
    if (!text) continue;
    for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
      if (!strncmp(line, "oom_kill ", 9)) total += strtoull(line + 9, NULL, 10);
    }
    if (text != small) free(text);
  }
  return total;
}

uint64_t tsjail_cgroup_oom_kills(const struct tsjail_cgroup *cg) {
  uint64_t total = oom_kills_total(cg);
  return total > cg->oom_base ? total - cg->oom_base : 0;
}

/* ---- the pool of idle cgroups (cgroup.h) ----------------------------------------------- */

#define POOL_MAX 64
#define POOL_IDLE_MS 10000
/* A reused memory cgroup starts with at most this much of an earlier jail's charge. */
#define POOL_KEEP_BYTES (4ull << 20)
#define POOL_KEEP_SHARE 16

struct pool_item {
  struct tsjail_cgroup *cg;
  long idle_since_ms;
};

static struct {
  pthread_mutex_t lock;
  pid_t owner;      /* the process that enabled it; 0: disabled */
  int closed;       /* draining at exit: releases remove */
  unsigned n;
  struct pool_item items[POOL_MAX];
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER};

static long pool_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int limits_equal(const struct tsjail_cgroup_limits *a, const struct tsjail_cgroup_limits *b) {
  return a->has_memory == b->has_memory && (!a->has_memory || a->memory_bytes == b->memory_bytes) &&
         a->has_pids == b->has_pids && (!a->has_pids || a->pids == b->pids) && a->has_cpu == b->has_cpu &&
         (!a->has_cpu || a->cpu == b->cpu);
}

/* Under pool.lock: move the cgroups idle for too long (or all) to out; returns how many. */
static unsigned pool_expire(struct tsjail_cgroup **out, int all) {
  long now = pool_now_ms();
  unsigned kept = 0, gone = 0;
  for (unsigned i = 0; i < pool.n; i++) {
    if (all || now - pool.items[i].idle_since_ms > POOL_IDLE_MS) out[gone++] = pool.items[i].cg;
    else pool.items[kept++] = pool.items[i];
  }
  pool.n = kept;
  return gone;
}

static void remove_and_free(struct tsjail_cgroup **cgs, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    tsjail_cgroup_remove(cgs[i]);
    free(cgs[i]);
  }
}

static int pool_active(void) { return pool.owner && pool.owner == getpid(); }

/* Reuse an idle cgroup made for these limits in this layout: the cgroup, ready to attach, or
 * NULL. */
static struct tsjail_cgroup *pool_take(const struct tsjail_cgroup_limits *limits, unsigned gen) {
  struct tsjail_cgroup *expired[POOL_MAX], *cg = NULL;
  unsigned n_expired = 0;
  pthread_mutex_lock(&pool.lock);
  if (pool_active()) {
    n_expired = pool_expire(expired, 0);
    for (unsigned i = 0; i < pool.n && !cg; i++) {
      struct tsjail_cgroup *it = pool.items[i].cg;
      if (it->layout_gen == gen && limits_equal(&it->limits, limits)) {
        cg = it;
        pool.items[i] = pool.items[--pool.n];
      } else if (it->layout_gen != gen) {
        /* Made under a layout no longer current (we were moved): not reused, removed. */
        expired[n_expired++] = it;
        pool.items[i--] = pool.items[--pool.n];
      }
    }
  }
  pthread_mutex_unlock(&pool.lock);
  remove_and_free(expired, n_expired);
  if (!cg) return NULL;
  cg->step = NULL;
  cg->detail[0] = '\0';
  /* The limits again (the same values: nothing in between may have changed them, but the
   * jail gets exactly what it asked for either way), and the OOM count so far. */
  int err = 0;
  for (int c = 0; c < TSJAIL_CG_COUNT && !err; c++)
    if (cg->ctl_dir[c] >= 0)
      err = write_limits(cg, (enum tsjail_cg_controller)c, cg->dirs[cg->ctl_dir[c]], cg->dir_version[cg->ctl_dir[c]], limits);
  if (err) {
    remove_and_free(&cg, 1);
    return NULL;
  }
  cg->oom_base = limits->has_memory ? oom_kills_total(cg) : 0;
  return cg;
}

/* The first line of dir/file as an unsigned number; -1 when unreadable. */
static long long read_number(const char *dir, const char *file) {
  char text[64];
  if (read_small_in(dir, file, text, sizeof text)) return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  int ok = end != text && errno == 0;
  return ok && v <= (unsigned long long)LLONG_MAX ? (long long)v : -1;
}

/* Nothing of the last jail left in dir: no process, no child cgroup. */
static int dir_is_empty(const char *dir, int version) {
  struct stat st;
  /* A cgroup directory's link count is 2 plus its child cgroups. */
  if (stat(dir, &st) != 0 || st.st_nlink != 2) return 0;
  /* v1: empty or not is the first byte; a list longer than the buffer is not empty. v2:
   * "populated" is the first line of cgroup.events. */
  char text[128];
  int err = read_small_in(dir, version == 2 ? "cgroup.events" : "cgroup.procs", text, sizeof text);
  if (err && !(err == EFBIG && version != 2)) return 0;
  return version == 2 ? strstr(text, "populated 0") != NULL : text[0] == '\0';
}

static int reusable(const struct tsjail_cgroup *cg) {
  for (unsigned i = 0; i < cg->n_dirs; i++)
    if (!dir_is_empty(cg->dirs[i], cg->dir_version[i])) return 0;
  int m = cg->ctl_dir[TSJAIL_CG_MEMORY];
  if (m >= 0) {
    long long charged = read_number(cg->dirs[m], cg->dir_version[m] == 2 ? "memory.current" : "memory.usage_in_bytes");
    unsigned long long keep = cg->limits.memory_bytes / POOL_KEEP_SHARE;
    if (keep > POOL_KEEP_BYTES) keep = POOL_KEEP_BYTES;
    if (charged < 0 || (unsigned long long)charged > keep) return 0;
  }
  return 1;
}

int tsjail_cgroup_release(struct tsjail_cgroup *cg) {
  if (!cg) return 0;
  if (cg->n_dirs && cg->layout_gen && pool_active() && reusable(cg)) {
    struct tsjail_cgroup *expired[POOL_MAX];
    unsigned n_expired = 0;
    int kept = 0;
    pthread_mutex_lock(&pool.lock);
    n_expired = pool_expire(expired, 0);
    if (pool_active() && !pool.closed && pool.n < POOL_MAX) {
      pool.items[pool.n].cg = cg;
      pool.items[pool.n++].idle_since_ms = pool_now_ms();
      kept = 1;
    }
    pthread_mutex_unlock(&pool.lock);
    remove_and_free(expired, n_expired);
    if (kept) return 0;
  }
  return tsjail_cgroup_discard(cg);
}

int tsjail_cgroup_discard(struct tsjail_cgroup *cg) {
  if (!cg) return 0;
  int err = tsjail_cgroup_remove(cg);
  free(cg);
  return err;
}

static unsigned pool_drain(int final) {
  struct tsjail_cgroup *all[POOL_MAX];
  unsigned n = 0;
  pthread_mutex_lock(&pool.lock);
  if (pool_active()) {
    if (final) pool.closed = 1;
    n = pool_expire(all, 1);
  }
  pthread_mutex_unlock(&pool.lock);
  remove_and_free(all, n);
  return n;
}

unsigned tsjail_cgroup_pool_drain(void) { return pool_drain(0); }

/* At exit, in the process that made them only (a jail's processes are copies of it, but never
 * run atexit handlers: they leave by _exit or exec). */
static void pool_at_exit(void) { pool_drain(1); }

void tsjail_cgroup_pool_enable(void) {
  pthread_mutex_lock(&pool.lock);
  int first = pool.owner == 0;
  pool.owner = getpid();
  pthread_mutex_unlock(&pool.lock);
  if (first) atexit(pool_at_exit);
}
