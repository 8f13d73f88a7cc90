/* Jail file reader. See jailfile.h and docs/jailfile.md. */
#define _GNU_SOURCE
#include "jailfile.h"

#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../common/arch.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Top-level record tags (docs/jailfile.md). 16 (the decided seccomp mode) and 18 (the gate's
 * loader set) were format 1's: the launch decides both now. */
enum {
  T_PATH = 1, T_ARG = 2, T_ENV = 3, T_CWD = 4, T_CLONE_FLAGS = 5, T_PROGRAM_AS_INIT = 6, T_HOSTNAME = 7,
  T_UID = 8, T_GID = 9, T_GROUPS = 10, T_UID_MAP = 11, T_GID_MAP = 12, T_CAPS = 13, T_NO_NEW_PRIVS = 14,
  T_SECCOMP_POLICY = 15, T_SECCOMP_FLAGS = 17, T_PRELOAD_LIBRARY = 19, T_PRELOAD_TIMEOUT_MS = 20,
  T_PRESERVE_FDS = 21, T_FS = 22, T_LANDLOCK = 23, T_RLIMIT = 24, T_CGROUP = 25, T_TIME_LIMIT_MS = 26,
  T_PID_FILE = 27, T_SYSCALL_NAME = 28, T_SECCOMP_TIMING = 29, T_FORWARD_SIGNALS = 30,
  T_KEEP_SESSION = 31, T_POLICY_SOURCE = 32, T_LAST = 32
};
/* Inside T_FS (1, format 1's "enabled", follows from CLONE_NEWNS). */
enum { FS_PROPAGATION = 2, FS_ROOT_MODE = 3, FS_ROOT = 4, FS_MOUNT = 5, FS_LAST = 5 };
/* Inside FS_MOUNT. */
enum { M_KIND = 1, M_SOURCE = 2, M_TARGET = 3, M_FSTYPE = 4, M_DATA = 5, M_FLAGS = 6, M_WRITABLE = 7,
       M_RECURSIVE = 8, M_READ_ONLY = 9, M_LAST = 9 };
/* Inside T_LANDLOCK. */
enum { L_RULE = 1 };
/* Inside T_CGROUP. */
enum { C_MEMORY = 1, C_PIDS = 2, C_CPU = 3, C_LAST = 3 };

#define SECCOMP_FLAG_TSYNC 1u
#define SECCOMP_FLAG_LOG 2u
#define SECCOMP_FLAG_REPORT 4u
#define SECCOMP_FLAG_PERMISSIVE 8u /* run --log, learn: denied calls run and are recorded */

uint32_t tsjail_crc32c(const uint8_t *p, size_t n) {
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | ((uint64_t)get32(p + 4) << 32); }

/* The decoding context: the first error wins. */
struct dec {
  struct tsjail_spec *spec;
  char *msg;
  size_t cap;
  int failed;
  size_t args_bytes; /* argv + env so far, NULs included */
};

static int bad(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct dec *d, const char *fmt, ...) {
  if (!d->failed) {
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(d->msg, d->cap, "corrupted jail file: ");
    if (n >= 0 && (size_t)n < d->cap) vsnprintf(d->msg + n, d->cap - (size_t)n, fmt, ap);
    va_end(ap);
  }
  d->failed = 1;
  return -1;
}

static void *pool_add(struct dec *d, void *p) {
  struct tsjail_spec *s = d->spec;
  if (!p) return NULL;
  if (s->n_pool == s->cap_pool) {
    size_t cap = s->cap_pool ? s->cap_pool * 2 : 64;
    void **np = realloc(s->pool, cap * sizeof *np);
    if (!np) { free(p); return NULL; }
    s->pool = np;
    s->cap_pool = cap;
  }
  s->pool[s->n_pool++] = p;
  return p;
}

static void *alloc(struct dec *d, size_t n, size_t size) {
  void *p = pool_add(d, calloc(n ? n : 1, size));
  if (!p) bad(d, "out of memory");
  return p;
}

/* A record: tag, value bytes. */
struct rec {
  uint16_t tag;
  const uint8_t *v;
  uint32_t len;
};

struct cursor {
  const uint8_t *p;
  size_t left;
};

/* 1 = a record read, 0 = end, -1 = malformed. */
static int next(struct dec *d, struct cursor *c, struct rec *r) {
  if (c->left == 0) return 0;
  if (c->left < 6) {
    bad(d, "a record header runs past the end of its block");
    return -1;
  }
  r->tag = get16(c->p);
  r->len = get32(c->p + 2);
  if ((size_t)r->len > c->left - 6) {
    bad(d, "record %u claims %u bytes, only %zu left", r->tag, r->len, c->left - 6);
    return -1;
  }
  r->v = c->p + 6;
  c->p += 6 + (size_t)r->len;
  c->left -= 6 + (size_t)r->len;
  return 1;
}

/* A NUL-free string (may be empty), owned by the pool. */
static const char *str(struct dec *d, const struct rec *r, const char *what) {
  if (memchr(r->v, '\0', r->len)) { bad(d, "%s contains a NUL byte", what); return NULL; }
  char *s = alloc(d, (size_t)r->len + 1, 1);
  if (!s) return NULL;
  memcpy(s, r->v, r->len);
  s[r->len] = '\0';
  return s;
}

/* An absolute path shorter than PATH_MAX. */
static const char *abs_path(struct dec *d, const struct rec *r, const char *what) {
  const char *s = str(d, r, what);
  if (!s) return NULL;
  if (s[0] != '/' || r->len >= TSJAIL_FS_PATH_MAX) { bad(d, "%s is not an absolute path", what); return NULL; }
  return s;
}

/* "/" alone, or "/c1/c2/..." with no empty, "." or ".." component: the form the writer
 * normalises filesystem paths to, so nothing in the child has to interpret one. */
static int normalised(const char *s) {
  if (s[0] != '/') return 0;
  if (s[1] == '\0') return 1;
  for (const char *p = s; *p;) {
    const char *c = p + 1;
    size_t len = strcspn(c, "/");
    if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.')) return 0;
    p = c + len;
  }
  return 1;
}

/* A path the mount and Landlock steps use as given. */
static const char *fs_path(struct dec *d, const struct rec *r, const char *what) {
  const char *s = abs_path(d, r, what);
  if (s && !normalised(s)) {
    bad(d, "%s %s is not a normalised absolute path", what, s);
    return NULL;
  }
  return s;
}

static int need_len(struct dec *d, const struct rec *r, uint32_t len, const char *what) {
  return r->len == len ? 0 : bad(d, "%s has %u bytes, expected %u", what, r->len, len);
}

static int u8v(struct dec *d, const struct rec *r, const char *what, unsigned max, int *out) {
  if (need_len(d, r, 1, what)) return -1;
  if (r->v[0] > max) return bad(d, "%s has the value %u (at most %u)", what, r->v[0], max);
  *out = r->v[0];
  return 0;
}

static int u32v(struct dec *d, const struct rec *r, const char *what, uint32_t *out) {
  if (need_len(d, r, 4, what)) return -1;
  *out = get32(r->v);
  return 0;
}

static int u64v(struct dec *d, const struct rec *r, const char *what, uint64_t *out) {
  if (need_len(d, r, 8, what)) return -1;
  *out = get64(r->v);
  return 0;
}

/* An array of u32, at most max. */
static uint32_t *u32s(struct dec *d, const struct rec *r, const char *what, size_t max, size_t *n) {
  if (r->len % 4) { bad(d, "%s is not a list of 32-bit values", what); return NULL; }
  *n = r->len / 4;
  if (*n > max) { bad(d, "%s has %zu entries (at most %zu)", what, *n, max); return NULL; }
  uint32_t *a = alloc(d, *n, sizeof *a);
  for (size_t i = 0; a && i < *n; i++) a[i] = get32(r->v + 4 * i);
  return a;
}

/* Single-valued tags may appear once. */
static int once(struct dec *d, uint64_t *seen, unsigned tag, const char *scope) {
  if (*seen & (1ull << tag)) return bad(d, "%s record %u appears twice", scope, tag);
  *seen |= 1ull << tag;
  return 0;
}

/* uid_map/gid_map text: 1-340 lines "inside outside count\n" of decimal u32s, count >= 1. The
 * kernel checks the mapping itself when the parent writes it (step id-map); this keeps the
 * text a map at all. */
static const char *id_map(struct dec *d, const struct rec *r, const char *what) {
  const char *s = str(d, r, what);
  if (!s) return NULL;
  unsigned lines = 0;
  for (const char *p = s; *p;) {
    unsigned long long v[3];
    for (int k = 0; k < 3; k++) {
      if (*p < '0' || *p > '9') { bad(d, "%s line %u is not 'inside outside count'", what, lines + 1); return NULL; }
      v[k] = 0;
      while (*p >= '0' && *p <= '9' && v[k] <= 0xffffffffull) v[k] = v[k] * 10 + (unsigned)(*p++ - '0');
      if (v[k] > 0xffffffffull) { bad(d, "%s line %u has a number above 2^32-1", what, lines + 1); return NULL; }
      if (*p != (k < 2 ? ' ' : '\n')) { bad(d, "%s line %u is not 'inside outside count'", what, lines + 1); return NULL; }
      p++;
    }
    if (v[2] == 0) { bad(d, "%s line %u has count 0", what, lines + 1); return NULL; }
    if (++lines > TSJAIL_MAX_ID_MAP_LINES) { bad(d, "%s has more than %d lines", what, TSJAIL_MAX_ID_MAP_LINES); return NULL; }
  }
  if (!lines) { bad(d, "%s is empty", what); return NULL; }
  return s;
}

static int decode_mount(struct dec *d, const struct rec *outer, struct tsjail_mount *m) {
  struct cursor c = {outer->v, outer->len};
  struct rec r = {0, NULL, 0};
  uint64_t seen = 0;
  int rc, v = 0;
  uint32_t u;
  memset(m, 0, sizeof *m);
  while ((rc = next(d, &c, &r)) == 1) {
    if (r.tag == 0 || r.tag > M_LAST) return bad(d, "unknown mount record %u", r.tag);
    if (once(d, &seen, r.tag, "mount")) return -1;
    switch (r.tag) {
      case M_KIND:
        if (u8v(d, &r, "mount kind", TSJAIL_MOUNT_REMOUNT_RO, &v)) return -1;
        if (v < TSJAIL_MOUNT_BIND) return bad(d, "mount kind 0");
        m->kind = (enum tsjail_mount_kind)v;
        break;
      case M_SOURCE: if (!(m->source = str(d, &r, "mount source"))) return -1; break;
      case M_TARGET: if (!(m->target = fs_path(d, &r, "mount target"))) return -1; break;
      case M_FSTYPE: if (!(m->fstype = str(d, &r, "mount fstype"))) return -1; break;
      case M_DATA: if (!(m->data = str(d, &r, "mount data"))) return -1; break;
      case M_FLAGS: if (u32v(d, &r, "mount flags", &u)) return -1; m->flags = u; break;
      case M_WRITABLE: if (u8v(d, &r, "mount writable", 1, &m->writable)) return -1; break;
      case M_RECURSIVE: if (u8v(d, &r, "mount recursive", 1, &m->recursive)) return -1; break;
      case M_READ_ONLY: if (u8v(d, &r, "mount readOnly", 1, &m->read_only)) return -1; break;
    }
  }
  if (rc < 0) return -1;
  if (!m->kind || !m->target) return bad(d, "a mount without kind or target");
  if ((m->kind == TSJAIL_MOUNT_BIND || m->kind == TSJAIL_MOUNT_GENERIC) && !m->source)
    return bad(d, "a bind or generic mount without a source");
  /* A bind source is a host path: the same rules as a target. */
  if (m->kind == TSJAIL_MOUNT_BIND && (strlen(m->source) >= TSJAIL_FS_PATH_MAX || !normalised(m->source)))
    return bad(d, "bind source %s is not a normalised absolute path", m->source);
  if (m->kind == TSJAIL_MOUNT_GENERIC && (!m->fstype || !m->fstype[0])) return bad(d, "a generic mount without fstype");
  return 0;
}

static int decode_fs(struct dec *d, const struct rec *outer) {
  struct tsjail_fs *fs = &d->spec->fs;
  struct cursor c = {outer->v, outer->len};
  struct rec r = {0, NULL, 0};
  uint64_t seen = 0;
  int rc, v = 0;
  while ((rc = next(d, &c, &r)) == 1) {
    if (r.tag < FS_PROPAGATION || r.tag > FS_LAST) return bad(d, "unknown filesystem record %u", r.tag);
    if (r.tag != FS_MOUNT && once(d, &seen, r.tag, "filesystem")) return -1;
    switch (r.tag) {
      case FS_PROPAGATION:
        if (u8v(d, &r, "propagation", TSJAIL_PROPAGATION_UNBINDABLE, &v)) return -1;
        fs->propagation = (enum tsjail_propagation)v;
        break;
      case FS_ROOT_MODE:
        if (u8v(d, &r, "root mode", TSJAIL_ROOT_CHROOT, &v)) return -1;
        fs->root_mode = (enum tsjail_root_mode)v;
        break;
      case FS_ROOT:
        if (!(fs->root = fs_path(d, &r, "root"))) return -1;
        if (strcmp(fs->root, "/") == 0) return bad(d, "root is '/'");
        break;
      case FS_MOUNT:
        if (fs->n_mounts >= TSJAIL_FS_MOUNTS_MAX) return bad(d, "more than %d mounts", TSJAIL_FS_MOUNTS_MAX);
        if (decode_mount(d, &r, &fs->mounts[fs->n_mounts])) return -1;
        fs->n_mounts++;
        break;
    }
  }
  if (rc < 0) return -1;
  if ((fs->root_mode != TSJAIL_ROOT_NONE) != (fs->root != NULL)) return bad(d, "root and root mode disagree");
  return 0;
}

static int decode_landlock(struct dec *d, const struct rec *outer) {
  struct tsjail_landlock *ll = &d->spec->landlock;
  struct cursor c = {outer->v, outer->len};
  struct rec r = {0, NULL, 0};
  int rc;
  ll->enabled = 1;
  while ((rc = next(d, &c, &r)) == 1) {
    if (r.tag != L_RULE) return bad(d, "unknown landlock record %u", r.tag);
    if (ll->n_rules >= TSJAIL_LANDLOCK_RULES_MAX) return bad(d, "more than %d Landlock rules", TSJAIL_LANDLOCK_RULES_MAX);
    if (r.len < 2) return bad(d, "a Landlock rule without a path");
    int cls = r.v[0];
    if (cls < TSJAIL_LANDLOCK_RO || cls > TSJAIL_LANDLOCK_RX) return bad(d, "Landlock rule class %d", cls);
    struct rec p = {r.tag, r.v + 1, r.len - 1};
    struct tsjail_landlock_rule *rule = &ll->rules[ll->n_rules];
    if (!(rule->path = fs_path(d, &p, "Landlock path"))) return -1;
    rule->cls = (enum tsjail_landlock_class)cls;
    ll->n_rules++;
  }
  return rc < 0 ? -1 : 0;
}

static int decode_cgroup(struct dec *d, const struct rec *outer) {
  struct tsjail_cgroup_limits *cg = &d->spec->cgroup;
  struct cursor c = {outer->v, outer->len};
  struct rec r = {0, NULL, 0};
  uint64_t seen = 0, v;
  int rc;
  while ((rc = next(d, &c, &r)) == 1) {
    if (r.tag == 0 || r.tag > C_LAST) return bad(d, "unknown cgroup record %u", r.tag);
    if (once(d, &seen, r.tag, "cgroup") || u64v(d, &r, "cgroup limit", &v)) return -1;
    if (r.tag == C_MEMORY) {
      if (v < 4096) return bad(d, "cgroup memory below 4096 bytes");
      cg->has_memory = 1;
      cg->memory_bytes = v;
    } else if (r.tag == C_PIDS) {
      if (v < 1) return bad(d, "cgroup pids below 1");
      cg->has_pids = 1;
      cg->pids = v;
    } else {
      double f;
      memcpy(&f, &v, sizeof f); /* IEEE-754 binary64, the bit pattern the writer stored */
      if (!(f > 0) || f > 1024) return bad(d, "cgroup cpu out of range");
      cg->has_cpu = 1;
      cg->cpu = f;
    }
  }
  return rc < 0 ? -1 : 0;
}

/* One argv or env string, counted against the exec limits. */
static const char *arg_str(struct dec *d, const struct rec *r, const char *what) {
  if ((size_t)r->len + 1 > TSJAIL_MAX_ARG_STRLEN)
    return bad(d, "%s of %u bytes (at most %d)", what, r->len, TSJAIL_MAX_ARG_STRLEN - 1), NULL;
  d->args_bytes += (size_t)r->len + 1;
  if (d->args_bytes > TSJAIL_MAX_ARGS_BYTES) return bad(d, "argv and env exceed %u bytes", TSJAIL_MAX_ARGS_BYTES), NULL;
  return str(d, r, what);
}

/* Growable string list (argv, env). */
static int push_str(struct dec *d, const char ***list, size_t *n, size_t *cap, const char *s) {
  if (*n + 1 >= *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    const char **nl = alloc(d, nc, sizeof *nl);
    if (!nl) return -1;
    if (*n) memcpy(nl, *list, *n * sizeof *nl);
    *list = nl; /* the old array stays in the pool until free */
    *cap = nc;
  }
  (*list)[(*n)++] = s;
  (*list)[*n] = NULL;
  return 0;
}

static int decode_payload(struct dec *d, const uint8_t *p, size_t len) {
  struct tsjail_spec *s = d->spec;
  struct cursor c = {p, len};
  struct rec r = {0, NULL, 0};
  uint64_t seen = 0, u64;
  uint32_t u32, sflags = 0;
  size_t cap_argv = 0, cap_env = 0, n;
  int rc;
  struct tsjail_jf_name *names = NULL;
  while ((rc = next(d, &c, &r)) == 1) {
    if (r.tag == 0 || r.tag > T_LAST || r.tag == 16 || r.tag == 18 || (r.tag == T_POLICY_SOURCE && s->format_version < 3))
      return bad(d, "unknown record %u", r.tag);
    if (r.tag != T_ARG && r.tag != T_ENV && r.tag != T_RLIMIT && r.tag != T_SYSCALL_NAME && once(d, &seen, r.tag, "top-level"))
      return -1;
    switch (r.tag) {
      case T_PATH: if (!(s->path = abs_path(d, &r, "program path"))) return -1; break;
      case T_ARG: {
        const char *a = arg_str(d, &r, "argument");
        if (!a || push_str(d, &s->argv, &s->argc, &cap_argv, a)) return -1;
        break;
      }
      case T_ENV: {
        const char *e = arg_str(d, &r, "environment entry");
        if (!e || push_str(d, &s->envp, &s->envc, &cap_env, e)) return -1;
        break;
      }
      case T_CWD: if (!(s->cwd = abs_path(d, &r, "cwd"))) return -1; break;
      case T_CLONE_FLAGS: {
        const uint64_t known = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC |
                               CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_NEWTIME;
        if (u64v(d, &r, "clone flags", &u64)) return -1;
        if (u64 & ~known) return bad(d, "clone flags other than namespaces");
        s->clone_flags = (unsigned long)u64;
        break;
      }
      case T_PROGRAM_AS_INIT: if (u8v(d, &r, "programAsInit", 1, &s->program_as_init)) return -1; break;
      case T_HOSTNAME:
        if (r.len < 1 || r.len > TSJAIL_MAX_HOSTNAME) return bad(d, "hostname of %u bytes (1-%d)", r.len, TSJAIL_MAX_HOSTNAME);
        if (!(s->hostname = str(d, &r, "hostname"))) return -1;
        break;
      case T_UID:
        if (u32v(d, &r, "uid", &u32)) return -1;
        if (u32 == 0xffffffffu) return bad(d, "uid -1");
        s->set_uid = 1;
        s->uid = (uid_t)u32;
        break;
      case T_GID:
        if (u32v(d, &r, "gid", &u32)) return -1;
        if (u32 == 0xffffffffu) return bad(d, "gid -1");
        s->set_gid = 1;
        s->gid = (gid_t)u32;
        break;
      case T_GROUPS: {
        uint32_t *g = u32s(d, &r, "groups", TSJAIL_MAX_GROUPS, &n);
        if (!g) return -1;
        gid_t *groups = alloc(d, n, sizeof *groups);
        if (!groups) return -1;
        for (size_t i = 0; i < n; i++) {
          if (g[i] == 0xffffffffu) return bad(d, "group -1");
          groups[i] = (gid_t)g[i];
        }
        s->groups = groups;
        s->n_groups = n;
        s->set_groups = 1;
        break;
      }
      case T_UID_MAP: if (!(s->uid_map = id_map(d, &r, "uid map"))) return -1; break;
      case T_GID_MAP: if (!(s->gid_map = id_map(d, &r, "gid map"))) return -1; break;
      case T_CAPS:
        if (need_len(d, &r, 21, "capabilities")) return -1;
        if (r.v[16] > 1) return bad(d, "capabilities ambient flag %u", r.v[16]);
        s->caps_set = 1;
        s->caps_keep = get64(r.v);
        s->caps_bounding = get64(r.v + 8);
        s->caps_ambient = r.v[16];
        s->securebits = (int32_t)get32(r.v + 17);
        if (s->securebits < -1 || s->securebits > 0xff) return bad(d, "securebits out of range");
        break;
      case T_NO_NEW_PRIVS: if (u8v(d, &r, "noNewPrivs", 1, &s->no_new_privs)) return -1; break;
      case T_SECCOMP_POLICY: {
        if (r.len == 0 || r.len % 8 || r.len / 8 > BPF_MAXINSNS)
          return bad(d, "the seccomp policy is not 1-%d instructions", BPF_MAXINSNS);
        s->n_policy = r.len / 8;
        struct sock_filter *policy = alloc(d, s->n_policy, sizeof *policy);
        if (!policy) return -1;
        for (size_t i = 0; i < s->n_policy; i++) {
          const uint8_t *q = r.v + 8 * i;
          policy[i].code = get16(q);
          policy[i].jt = q[2];
          policy[i].jf = q[3];
          policy[i].k = get32(q + 4);
        }
        s->policy = policy;
        break;
      }
      case T_SECCOMP_FLAGS:
        if (u32v(d, &r, "seccomp flags", &sflags)) return -1;
        if (sflags & ~15u) return bad(d, "unknown seccomp flags");
        break;
      case T_PRELOAD_LIBRARY: if (!(s->preload_library = fs_path(d, &r, "preload library"))) return -1; break;
      case T_PRELOAD_TIMEOUT_MS:
        if (u32v(d, &r, "preload timeout", &u32)) return -1;
        if (u32 < 1 || u32 > TSJAIL_MAX_PRELOAD_TIMEOUT_MS) return bad(d, "preload timeout out of range");
        s->preload_timeout_ms = (int)u32;
        break;
      case T_PRESERVE_FDS: {
        uint32_t *f = u32s(d, &r, "preserved fds", TSJAIL_MAX_PRESERVE_FDS, &n);
        if (!f) return -1;
        int *fds = alloc(d, n, sizeof *fds);
        if (!fds) return -1;
        for (size_t i = 0; i < n; i++) {
          if (f[i] < 3 || f[i] > TSJAIL_MAX_FD) return bad(d, "preserved fd %u out of range", f[i]);
          fds[i] = (int)f[i];
        }
        s->preserve_fds = fds;
        s->n_preserve_fds = n;
        break;
      }
      case T_FS: if (decode_fs(d, &r)) return -1; break;
      case T_LANDLOCK: if (decode_landlock(d, &r)) return -1; break;
      case T_RLIMIT: {
        if (need_len(d, &r, 20, "rlimit")) return -1;
        if (s->rlimits.n >= TSJAIL_RLIMITS_MAX) return bad(d, "more than %d rlimits", TSJAIL_RLIMITS_MAX);
        struct tsjail_rlimit *it = &s->rlimits.items[s->rlimits.n];
        uint32_t res = get32(r.v);
        if (res >= RLIMIT_NLIMITS) return bad(d, "rlimit resource %u", res);
        it->resource = (int)res;
        it->soft = get64(r.v + 4);
        it->hard = get64(r.v + 12);
        if (it->soft > it->hard) return bad(d, "rlimit soft above hard");
        s->rlimits.n++;
        break;
      }
      case T_CGROUP: if (decode_cgroup(d, &r)) return -1; break;
      case T_TIME_LIMIT_MS:
        if (u64v(d, &r, "time limit", &u64)) return -1;
        if (u64 < 1 || u64 > (uint64_t)TSJAIL_MAX_TIME_LIMIT_MS) return bad(d, "time limit out of range");
        s->time_limit_ms = (long)u64;
        break;
      case T_PID_FILE: if (!(s->pid_file = abs_path(d, &r, "pid file"))) return -1; break;
      case T_SYSCALL_NAME: {
        if (r.len < 5) return bad(d, "a syscall name record without a name");
        if (s->n_names >= TSJAIL_MAX_SYSCALL_NAMES) return bad(d, "more than %d syscall names", TSJAIL_MAX_SYSCALL_NAMES);
        if (s->n_names % 256 == 0) {
          struct tsjail_jf_name *nn = alloc(d, s->n_names + 256, sizeof *nn);
          if (!nn) return -1;
          if (s->n_names) memcpy(nn, names, s->n_names * sizeof *nn);
          names = nn;
          s->names = names;
        }
        struct rec nm = {r.tag, r.v + 4, r.len - 4};
        names[s->n_names].nr = get32(r.v);
        if (!(names[s->n_names].name = str(d, &nm, "syscall name"))) return -1;
        s->n_names++;
        break;
      }
      case T_SECCOMP_TIMING: if (u8v(d, &r, "seccomp timing", TSJAIL_TIMING_PRELOAD, &s->timing)) return -1; break;
      case T_FORWARD_SIGNALS: if (u8v(d, &r, "signal forwarding", 1, &s->forward_signals)) return -1; break;
      case T_KEEP_SESSION: if (u8v(d, &r, "keepSession", 1, &s->keep_session)) return -1; break;
      case T_POLICY_SOURCE:
        if (r.len == 0 || r.len > TSJAIL_MAX_POLICY_SOURCE)
          return bad(d, "carried policy of %u bytes (1 to %u)", r.len, TSJAIL_MAX_POLICY_SOURCE);
        if (!(s->policy_source = str(d, &r, "carried policy"))) return -1;
        s->policy_source_len = r.len;
        break;
    }
  }
  if (rc < 0) return -1;
  if (!s->path) return bad(d, "no program path");
  if (!s->argc) return bad(d, "no argv[0]");
  if (!(seen & (1ull << T_CLONE_FLAGS))) return bad(d, "no namespace flags");
  if (!s->envp && !(s->envp = alloc(d, 1, sizeof *s->envp))) return -1;
  if (s->hostname && !(s->clone_flags & CLONE_NEWUTS)) return bad(d, "hostname without a UTS namespace");
  if ((s->uid_map || s->gid_map) && !(s->clone_flags & CLONE_NEWUSER)) return bad(d, "id maps without a user namespace");
  if (s->program_as_init && !(s->clone_flags & CLONE_NEWPID)) return bad(d, "programAsInit without a pid namespace");
  if (s->n_policy) {
    s->tsync = (sflags & SECCOMP_FLAG_TSYNC) != 0;
    s->log = (sflags & SECCOMP_FLAG_LOG) != 0;
    s->report = (sflags & SECCOMP_FLAG_REPORT) != 0;
    s->permissive = (sflags & SECCOMP_FLAG_PERMISSIVE) != 0;
  } else if (sflags || (seen & (1ull << T_SECCOMP_TIMING))) {
    return bad(d, "seccomp settings without a policy");
  }
  if ((s->fs.n_mounts || s->fs.root_mode != TSJAIL_ROOT_NONE) && !(s->clone_flags & CLONE_NEWNS))
    return bad(d, "mounts without a mount namespace");
  s->fs.in_new_mount_ns = (s->clone_flags & CLONE_NEWNS) != 0;
  s->fs.enabled = s->fs.in_new_mount_ns;
  return 0;
}

int tsjail_spec_parse(const uint8_t *buf, size_t len, struct tsjail_spec *s, char *msg, size_t cap) {
  memset(s, 0, sizeof *s);
  s->time_limit_ms = -1;
  s->forward_signals = 1;
  s->securebits = -1;
  s->preload_timeout_ms = 5000;
  s->fs.propagation = TSJAIL_PROPAGATION_PRIVATE;
  struct dec d = {s, msg, cap, 0, 0};
  if (cap) msg[0] = '\0';

  if (len < 8 || memcmp(buf, TSJAIL_JF_MAGIC, 8) != 0) {
    if (len < 8 && (len == 0 || memcmp(buf, TSJAIL_JF_MAGIC, len) == 0)) {
      snprintf(msg, cap, "truncated jail file: %zu bytes, the header alone is %d", len, TSJAIL_JF_HEADER_SIZE);
      return TSJAIL_JF_TRUNCATED;
    }
    snprintf(msg, cap, "not a jail file (bad magic)");
    return TSJAIL_JF_CORRUPT;
  }
  if (len < TSJAIL_JF_HEADER_SIZE) {
    snprintf(msg, cap, "truncated jail file: %zu bytes, the header alone is %d", len, TSJAIL_JF_HEADER_SIZE);
    return TSJAIL_JF_TRUNCATED;
  }
  if (len > TSJAIL_JF_MAX_SIZE) {
    snprintf(msg, cap, "corrupted jail file: %zu bytes (at most %u)", len, TSJAIL_JF_MAX_SIZE);
    return TSJAIL_JF_CORRUPT;
  }
  uint32_t hcrc = get32(buf + 28);
  if (tsjail_crc32c(buf, 28) != hcrc) {
    /* A damaged header says nothing reliable; a sound one from another version does. */
    snprintf(msg, cap, "corrupted jail file: header checksum mismatch");
    return TSJAIL_JF_CORRUPT;
  }
  s->format_version = get16(buf + 8);
  uint16_t hsize = get16(buf + 10);
  s->arch = get32(buf + 12);
  s->runtime_abi = get32(buf + 16);
  uint32_t plen = get32(buf + 20);
  uint32_t pcrc = get32(buf + 24);
  if (s->format_version < TSJAIL_JF_OLDEST_FORMAT_VERSION || s->format_version > TSJAIL_JF_FORMAT_VERSION ||
      s->runtime_abi != TSJAIL_JF_RUNTIME_ABI) {
    snprintf(msg, cap,
             "jail file format %u (runtime ABI %u), this tsjail reads formats %d-%d (runtime ABI %d): "
             "save the jail again with this version's tsjail",
             s->format_version, s->runtime_abi, TSJAIL_JF_OLDEST_FORMAT_VERSION, TSJAIL_JF_FORMAT_VERSION,
             TSJAIL_JF_RUNTIME_ABI);
    return TSJAIL_JF_VERSION;
  }
  if (hsize != TSJAIL_JF_HEADER_SIZE) {
    snprintf(msg, cap, "corrupted jail file: header size %u", hsize);
    return TSJAIL_JF_CORRUPT;
  }
  if (s->arch != tsjail_audit_arch()) {
    snprintf(msg, cap, "jail file made for architecture 0x%08x (AUDIT_ARCH), this machine is 0x%08x", s->arch,
             tsjail_audit_arch());
    return TSJAIL_JF_ARCH;
  }
  if ((size_t)plen > len - TSJAIL_JF_HEADER_SIZE) {
    snprintf(msg, cap, "truncated jail file: the payload is %u bytes, only %zu present", plen,
             len - TSJAIL_JF_HEADER_SIZE);
    return TSJAIL_JF_TRUNCATED;
  }
  if ((size_t)plen < len - TSJAIL_JF_HEADER_SIZE) {
    snprintf(msg, cap, "corrupted jail file: %zu bytes after the payload", len - TSJAIL_JF_HEADER_SIZE - plen);
    return TSJAIL_JF_CORRUPT;
  }
  if (tsjail_crc32c(buf + TSJAIL_JF_HEADER_SIZE, plen) != pcrc) {
    snprintf(msg, cap, "corrupted jail file: payload checksum mismatch");
    return TSJAIL_JF_CORRUPT;
  }
  if (decode_payload(&d, buf + TSJAIL_JF_HEADER_SIZE, plen)) {
    tsjail_spec_free(s);
    return TSJAIL_JF_CORRUPT;
  }
  return TSJAIL_JF_OK;
}

void tsjail_spec_free(struct tsjail_spec *s) {
  for (size_t i = 0; i < s->n_pool; i++) free(s->pool[i]);
  free(s->pool);
  s->pool = NULL;
  s->n_pool = s->cap_pool = 0;
}

const char *tsjail_spec_syscall_name(const struct tsjail_spec *s, int nr) {
  for (size_t i = 0; i < s->n_names; i++)
    if ((int)s->names[i].nr == nr) return s->names[i].name;
  return NULL;
}
