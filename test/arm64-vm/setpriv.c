/* /bin/setpriv of the arm64 VM, which has no util-linux: the two uses the test suites make of it,
 *   setpriv --reuid=UID --regid=GID --clear-groups PROGRAM [ARGS...]
 *   setpriv --groups GID PROGRAM [ARGS...]
 * (and --version, which they probe for): drop to UID/GID with no supplementary groups, or keep
 * the ids with GID as the one supplementary group, then exec PROGRAM from PATH. Anything else is
 * refused, so a new use cannot silently run with the wrong ids. */
#define _GNU_SOURCE /* setresuid, setresgid */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long number(const char *s, const char *what) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *s == 0 || *end != 0 || v < 0) {
    fprintf(stderr, "setpriv: bad %s: %s\n", what, s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  long uid = -1, gid = -1, group = -1;
  int clear = 0, i = 1;
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    puts("setpriv (tsjail arm64 VM)");
    return 0;
  }
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strncmp(argv[i], "--reuid=", 8) == 0) uid = number(argv[i] + 8, "uid");
    else if (strncmp(argv[i], "--regid=", 8) == 0) gid = number(argv[i] + 8, "gid");
    else if (strcmp(argv[i], "--clear-groups") == 0) clear = 1;
    else if (strcmp(argv[i], "--groups") == 0 && i + 1 < argc) group = number(argv[++i], "group");
    else { fprintf(stderr, "setpriv: unsupported option %s\n", argv[i]); return 2; }
  }
  if (group >= 0 && uid < 0 && gid < 0 && !clear && i < argc) {
    gid_t g = (gid_t)group;
    if (setgroups(1, &g) != 0) { perror("setpriv: setgroups"); return 1; }
    execvp(argv[i], argv + i);
    fprintf(stderr, "setpriv: %s: %s\n", argv[i], strerror(errno));
    return 127;
  }
  if (uid < 0 || gid < 0 || !clear || group >= 0 || i >= argc) {
    fprintf(stderr, "setpriv: usage: setpriv --reuid=UID --regid=GID --clear-groups PROGRAM [ARGS...] | --groups GID PROGRAM [ARGS...]\n");
    return 2;
  }
  /* Groups and gid first: after setresuid there is no right left to change them. */
  if (setgroups(0, NULL) != 0) { perror("setpriv: setgroups"); return 1; }
  if (setresgid(gid, gid, gid) != 0) { perror("setpriv: setresgid"); return 1; }
  if (setresuid(uid, uid, uid) != 0) { perror("setpriv: setresuid"); return 1; }
  execvp(argv[i], argv + i);
  fprintf(stderr, "setpriv: %s: %s\n", argv[i], strerror(errno));
  return 127;
}
