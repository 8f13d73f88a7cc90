/* /init of the cgroup v2 test VM (scripts/cgroup-v2-vm.js): mounts proc, sysfs, devtmpfs and
 * cgroup2 alone at /sys/fs/cgroup (the kernel boots with cgroup_no_v1=all), enables the pids and
 * memory controllers for the root's children, prints the kernel and the mounts, then runs every
 * line of /runlist (NAME PROGRAM ARGS...) with its output between markers on the console, and
 * powers off. After each run it lists what is left under /sys/fs/cgroup. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void cat(const char *label, const char *file) {
  char buf[4096];
  int fd = open(file, O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0) close(fd);
  if (n < 0) n = 0;
  buf[n] = 0;
  for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) printf("%s %s\n", label, l);
}

int main(void) {
  if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) == 0) {
    int con = open("/dev/console", O_RDWR);
    if (con >= 0) { dup2(con, 1); dup2(con, 2); if (con > 2) close(con); }
  }
  if (mount("proc", "/proc", "proc", 0, NULL) != 0) perror("init: mount /proc");
  if (mount("sysfs", "/sys", "sysfs", 0, NULL) != 0) perror("init: mount /sys");
  if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL) != 0) perror("init: mount cgroup2");
  if (mount("tmpfs", "/tmp", "tmpfs", 0, NULL) != 0) perror("init: mount /tmp");
  int fd = open("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY);
  if (fd < 0 || write(fd, "+pids +memory", 13) != 13) perror("init: cgroup.subtree_control");
  if (fd >= 0) close(fd);
  struct utsname u;
  uname(&u);
  printf("\nTSJAIL-VM machine %s release %s uptime %.1f\n", u.machine, u.release, now());
  cat("TSJAIL-VM mount", "/proc/self/mounts");
  cat("TSJAIL-VM cgroup", "/proc/self/cgroup");
  cat("TSJAIL-VM controllers", "/sys/fs/cgroup/cgroup.controllers");
  cat("TSJAIL-VM subtree_control", "/sys/fs/cgroup/cgroup.subtree_control");
  fflush(stdout);
  FILE *list = fopen("/runlist", "r");
  char line[1024];
  while (list && fgets(line, sizeof line, list)) {
    line[strcspn(line, "\n")] = 0;
    char *argv[16];
    int argc = 0;
    for (char *w = strtok(line, " "); w && argc < 15; w = strtok(NULL, " ")) argv[argc++] = w;
    argv[argc] = NULL;
    if (argc < 2) continue;
    printf("TSJAIL-BEGIN %s\n", argv[0]);
    fflush(stdout);
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
      execv(argv[1], argv + 1);
      perror("init: exec");
      _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) perror("init: fork/wait");
    printf("TSJAIL-END %s %d %.2fs\n", argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), now() - t0);
    /* The cgroups left at the root after the run, and where init itself is. */
    DIR *d = opendir("/sys/fs/cgroup");
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (e->d_name[0] == '.' || e->d_type != DT_DIR) continue;
      printf("TSJAIL-LEFT %s %s\n", argv[0], e->d_name);
    }
    if (d) closedir(d);
    fflush(stdout);
  }
  printf("TSJAIL-VM done\n");
  fflush(stdout);
  sync();
  reboot(RB_POWER_OFF);
  return 0;
}
