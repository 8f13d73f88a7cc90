/* The /runlist runner of the test VMs' static /init programs (runner.h). */
#include "runner.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double vm_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

void vm_console(void) {
  if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) == 0) {
    int con = open("/dev/console", O_RDWR);
    if (con >= 0) { dup2(con, 1); dup2(con, 2); if (con > 2) close(con); }
  }
  if (mount("proc", "/proc", "proc", 0, NULL) != 0) perror("init: mount /proc");
}

void vm_run_list(void (*after)(const char *name)) {
  fflush(stdout);
  FILE *list = fopen("/runlist", "r");
  char line[1024];
  while (list && fgets(line, sizeof line, list)) {
    line[strcspn(line, "\n")] = 0;
    char *argv[16];
    int argc = 0;
    for (char *w = strtok(line, " "); w && argc < 15; w = strtok(NULL, " ")) argv[argc++] = w;
    argv[argc] = NULL;
    if (argc == 0) continue; /* a blank line */
    if (argc < 2) {
      /* NAME without a PROGRAM: say so; the host then misses this check's markers and fails it. */
      printf("TSJAIL-BAD-LINE %s: no program to run\n", argv[0]);
      fflush(stdout);
      continue;
    }
    printf("TSJAIL-BEGIN %s\n", argv[0]);
    fflush(stdout);
    double t0 = vm_now();
    pid_t pid = fork();
    if (pid == 0) {
      char in[256];
      snprintf(in, sizeof in, "/%s.stdin", argv[0]);
      int fd = open(in, O_RDONLY);
      if (fd >= 0) dup2(fd, 0);
      execv(argv[1], argv + 1);
      perror("init: exec");
      _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) perror("init: fork/wait");
    printf("TSJAIL-END %s %d %.2fs\n", argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), vm_now() - t0);
    if (after) after(argv[0]);
    fflush(stdout);
  }
  printf("TSJAIL-VM done\n");
  fflush(stdout);
  sync();
  reboot(RB_POWER_OFF);
}
