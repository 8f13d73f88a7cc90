/* A decoded jail as JSON. See dump.h. */
#define _GNU_SOURCE
#include "dump.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "elf.h"
#include "launch.h"

static void jstr(FILE *f, const char *s) {
  if (!s) { fputs("null", f); return; }
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

static void jstrs(FILE *f, const char *const *a, size_t n) {
  fputc('[', f);
  for (size_t i = 0; i < n; i++) {
    if (i) fputc(',', f);
    jstr(f, a[i]);
  }
  fputc(']', f);
}

static const char *timing_name(int timing) {
  return timing == TSJAIL_TIMING_EXEC ? "exec" : timing == TSJAIL_TIMING_PRELOAD ? "preload" : "auto";
}

void tsjail_spec_dump(FILE *f, const struct tsjail_spec *s) {
  fprintf(f, "{\"formatVersion\":%u,\"runtimeAbi\":%u,\"arch\":%u,", s->format_version, s->runtime_abi, s->arch);
  fputs("\"path\":", f);
  jstr(f, s->path);
  fputs(",\"argv\":", f);
  jstrs(f, s->argv, s->argc);
  fputs(",\"env\":", f);
  jstrs(f, s->envp, s->envc);
  fputs(",\"cwd\":", f);
  jstr(f, s->cwd);
  fprintf(f, ",\"cloneFlags\":%lu,\"withInit\":%d,\"loopback\":%d,\"hostname\":", s->clone_flags,
          (s->clone_flags & CLONE_NEWPID) && !s->program_as_init, (s->clone_flags & CLONE_NEWNET) != 0);
  jstr(f, s->hostname);
  fputs(",\"uid\":", f);
  if (s->set_uid) fprintf(f, "%u", (unsigned)s->uid); else fputs("null", f);
  fputs(",\"gid\":", f);
  if (s->set_gid) fprintf(f, "%u", (unsigned)s->gid); else fputs("null", f);
  fputs(",\"groups\":", f);
  if (s->set_groups) {
    fputc('[', f);
    for (size_t i = 0; i < s->n_groups; i++) fprintf(f, "%s%u", i ? "," : "", (unsigned)s->groups[i]);
    fputc(']', f);
  } else {
    fputs("null", f);
  }
  fprintf(f, ",\"userns\":%d,\"uidMap\":", (s->clone_flags & CLONE_NEWUSER) != 0);
  jstr(f, s->uid_map);
  fputs(",\"gidMap\":", f);
  jstr(f, s->gid_map);
  if (s->caps_set)
    fprintf(f, ",\"caps\":{\"keep\":\"%llu\",\"bounding\":\"%llu\",\"ambient\":%d,\"securebits\":%d}",
            (unsigned long long)s->caps_keep, (unsigned long long)s->caps_bounding, s->caps_ambient, s->securebits);
  else
    fputs(",\"caps\":null", f);
  fprintf(f, ",\"noNewPrivs\":%d,\"seccomp\":", s->no_new_privs);
  if (s->n_policy) {
    int mode = 0;
    char detail[512];
    int err = tsjail_seccomp_mode(s, &mode, detail, sizeof detail);
    fprintf(f, "{\"report\":%d,\"tsync\":%d,\"log\":%d,\"timing\":\"%s\",\"mode\":", s->report, s->tsync, s->log,
            timing_name(s->timing));
    if (err) {
      fputs("null,\"refused\":", f);
      jstr(f, detail);
    } else {
      fputs(mode == TSJAIL_MODE_EXEC ? "\"exec\"" : "\"preload\"", f);
    }
    fputs(",\"policy\":[", f);
    for (size_t i = 0; i < s->n_policy; i++)
      fprintf(f, "%s[%u,%u,%u,%u]", i ? "," : "", s->policy[i].code, s->policy[i].jt, s->policy[i].jf, s->policy[i].k);
    fputs("],\"preloadLibrary\":", f);
    jstr(f, s->preload_library);
    fprintf(f, ",\"preloadTimeoutMs\":%d}", s->preload_timeout_ms);
  } else {
    fputs("null", f);
  }
  fputs(",\"preserveFds\":[", f);
  for (size_t i = 0; i < s->n_preserve_fds; i++) fprintf(f, "%s%d", i ? "," : "", s->preserve_fds[i]);
  const struct tsjail_fs *fs = &s->fs;
  fprintf(f, "],\"fs\":{\"enabled\":%d,\"propagation\":%d,\"rootMode\":%d,\"root\":", fs->enabled,
          (int)fs->propagation, (int)fs->root_mode);
  jstr(f, fs->root);
  fputs(",\"mounts\":[", f);
  for (unsigned i = 0; i < fs->n_mounts; i++) {
    const struct tsjail_mount *m = &fs->mounts[i];
    fprintf(f, "%s{\"kind\":%d,\"source\":", i ? "," : "", (int)m->kind);
    jstr(f, m->source);
    fputs(",\"target\":", f);
    jstr(f, m->target);
    fputs(",\"fstype\":", f);
    jstr(f, m->fstype);
    fputs(",\"data\":", f);
    jstr(f, m->data);
    fprintf(f, ",\"flags\":%lu,\"writable\":%d,\"recursive\":%d,\"readOnly\":%d}", m->flags, m->writable,
            m->recursive, m->read_only);
  }
  fprintf(f, "]},\"landlock\":");
  if (s->landlock.enabled) {
    fputc('[', f);
    for (unsigned i = 0; i < s->landlock.n_rules; i++) {
      fprintf(f, "%s[%d,", i ? "," : "", (int)s->landlock.rules[i].cls);
      jstr(f, s->landlock.rules[i].path);
      fputc(']', f);
    }
    fputc(']', f);
  } else {
    fputs("null", f);
  }
  fputs(",\"rlimits\":[", f);
  for (unsigned i = 0; i < s->rlimits.n; i++) {
    const struct tsjail_rlimit *r = &s->rlimits.items[i];
    fprintf(f, "%s[%d,\"%llu\",\"%llu\"]", i ? "," : "", r->resource, (unsigned long long)r->soft,
            (unsigned long long)r->hard);
  }
  const struct tsjail_cgroup_limits *cg = &s->cgroup;
  fputs("],\"cgroup\":{", f);
  int first = 1;
  if (cg->has_memory) { fprintf(f, "\"memory\":%llu", (unsigned long long)cg->memory_bytes); first = 0; }
  if (cg->has_pids) { fprintf(f, "%s\"pids\":%llu", first ? "" : ",", (unsigned long long)cg->pids); first = 0; }
  if (cg->has_cpu) fprintf(f, "%s\"cpu\":%.17g", first ? "" : ",", cg->cpu);
  fprintf(f, "},\"timeLimitMs\":%ld,\"pidFile\":", s->time_limit_ms);
  jstr(f, s->pid_file);
  fprintf(f, ",\"forwardSignals\":%d,\"keepSession\":%d,\"syscallNames\":%zu}\n", s->forward_signals, s->keep_session,
          s->n_names);
}
