/* tsjail-exec --dump: the decoded jail file as JSON on stdout, for tests and for looking at
 * what a jail file will do. It prints the C structures the launcher will use, not the bytes. */
#define _GNU_SOURCE
#include "dump.h"

#include <stdio.h>
#include <string.h>

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

void tsjail_jailfile_dump(FILE *f, const struct tsjail_jailfile *jf) {
  const struct tsjail_config *c = &jf->cfg;
  const struct tsjail_launch_spec *l = &jf->launch;
  fprintf(f, "{\"formatVersion\":%u,\"runtimeAbi\":%u,\"arch\":%u,", jf->format_version, jf->runtime_abi, jf->arch);
  fputs("\"path\":", f);
  jstr(f, c->path);
  fputs(",\"argv\":", f);
  jstrs(f, jf->argv, jf->argc);
  fputs(",\"env\":", f);
  jstrs(f, jf->envp, jf->envc);
  fputs(",\"cwd\":", f);
  jstr(f, c->cwd);
  fprintf(f, ",\"cloneFlags\":%lu,\"withInit\":%d,\"loopback\":%d,\"hostname\":", c->clone_flags, c->with_init,
          c->loopback);
  jstr(f, c->hostname);
  fputs(",\"uid\":", f);
  if (c->set_uid) fprintf(f, "%u", (unsigned)c->uid); else fputs("null", f);
  fputs(",\"gid\":", f);
  if (c->set_gid) fprintf(f, "%u", (unsigned)c->gid); else fputs("null", f);
  fputs(",\"groups\":", f);
  if (c->set_groups) {
    fputc('[', f);
    for (size_t i = 0; i < c->n_groups; i++) fprintf(f, "%s%u", i ? "," : "", (unsigned)c->groups[i]);
    fputc(']', f);
  } else {
    fputs("null", f);
  }
  fprintf(f, ",\"userns\":%d,\"uidMap\":", l->userns);
  jstr(f, l->uid_map);
  fputs(",\"gidMap\":", f);
  jstr(f, l->gid_map);
  if (c->caps_set)
    fprintf(f, ",\"caps\":{\"keep\":\"%llu\",\"bounding\":\"%llu\",\"ambient\":%d,\"securebits\":%d}",
            (unsigned long long)c->caps_keep, (unsigned long long)c->caps_bounding, c->caps_ambient, c->securebits);
  else
    fputs(",\"caps\":null", f);
  fprintf(f, ",\"noNewPrivs\":%d,\"seccomp\":", c->no_new_privs);
  if (l->n_policy) {
    fprintf(f, "{\"preload\":%d,\"report\":%d,\"tsync\":%d,\"log\":%d,\"timing\":%d,\"policy\":[", l->preload,
            l->report, l->tsync, l->log, jf->seccomp_timing);
    for (size_t i = 0; i < l->n_policy; i++)
      fprintf(f, "%s[%u,%u,%u,%u]", i ? "," : "", l->policy[i].code, l->policy[i].jt, l->policy[i].jf,
              l->policy[i].k);
    fputs("],\"gateAllow\":[", f);
    for (size_t i = 0; i < l->n_gate_allow; i++) fprintf(f, "%s%u", i ? "," : "", l->gate_allow[i]);
    fputs("],\"preloadLibrary\":", f);
    jstr(f, l->preload_library);
    fprintf(f, ",\"preloadTimeoutMs\":%d}", l->preload_timeout_ms);
  } else {
    fputs("null", f);
  }
  fputs(",\"preserveFds\":[", f);
  for (size_t i = 0; i < c->n_preserve_fds; i++) fprintf(f, "%s%d", i ? "," : "", c->preserve_fds[i]);
  const struct tsjail_fs *fs = &jf->fs;
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
  if (jf->landlock.enabled) {
    fputc('[', f);
    for (unsigned i = 0; i < jf->landlock.n_rules; i++) {
      fprintf(f, "%s[%d,", i ? "," : "", (int)jf->landlock.rules[i].cls);
      jstr(f, jf->landlock.rules[i].path);
      fputc(']', f);
    }
    fputc(']', f);
  } else {
    fputs("null", f);
  }
  fputs(",\"rlimits\":[", f);
  for (unsigned i = 0; i < jf->rlimits.n; i++) {
    const struct tsjail_rlimit *r = &jf->rlimits.items[i];
    fprintf(f, "%s[%d,\"%llu\",\"%llu\"]", i ? "," : "", r->resource, (unsigned long long)r->soft,
            (unsigned long long)r->hard);
  }
  const struct tsjail_cgroup_limits *cg = &jf->cgroup;
  fputs("],\"cgroup\":{", f);
  int first = 1;
  if (cg->has_memory) { fprintf(f, "\"memory\":%llu", (unsigned long long)cg->memory_bytes); first = 0; }
  if (cg->has_pids) { fprintf(f, "%s\"pids\":%llu", first ? "" : ",", (unsigned long long)cg->pids); first = 0; }
  if (cg->has_cpu) fprintf(f, "%s\"cpu\":%.17g", first ? "" : ",", cg->cpu);
  fprintf(f, "},\"timeLimitMs\":%lld,\"pidFile\":", (long long)jf->time_limit_ms);
  jstr(f, jf->pid_file);
  fprintf(f, ",\"forwardSignals\":%d,\"syscallNames\":%zu}\n", jf->forward_signals, jf->n_names);
}
