/* /init of the cgroup v2 test VM (scripts/cgroup-v2-vm.js): mounts proc, sysfs, devtmpfs and
 * cgroup2 alone at /sys/fs/cgroup (the kernel boots with cgroup_no_v1=all), enables the pids and
 * memory controllers for the root's children, prints the kernel and the mounts, then runs every
 * line of /runlist (NAME PROGRAM ARGS...) with its output between markers on the console, and
 * powers off (test/vm-init/runner.c). After each run it lists what is left under /sys/fs/cgroup. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../vm-init/runner.h"

static void cat(const char *label, const char *file) {
  char buf[4096];
  int fd = open(file, O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0) close(fd);
  if (n < 0) n = 0;
  buf[n] = 0;
  for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) printf("%s %s\n", label, l);
}

/* The cgroups left at the root after a run. */
static void left(const char *name) {
  DIR *d = opendir("/sys/fs/cgroup");
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.' || e->d_type != DT_DIR) continue;
    printf("TSJAIL-LEFT %s %s\n", name, e->d_name);
  }
  if (d) closedir(d);
}

int main(void) {
  vm_console();
  if (mount("sysfs", "/sys", "sysfs", 0, NULL) != 0) perror("init: mount /sys");
  if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL) != 0) perror("init: mount cgroup2");
  if (mount("tmpfs", "/tmp", "tmpfs", 0, NULL) != 0) perror("init: mount /tmp");
  int fd = open("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY);
  if (fd < 0 || write(fd, "+pids +memory", 13) != 13) perror("init: cgroup.subtree_control");
  if (fd >= 0) close(fd);
  struct utsname u;
  uname(&u);
  printf("\nTSJAIL-VM machine %s release %s uptime %.1f\n", u.machine, u.release, vm_now());
  cat("TSJAIL-VM mount", "/proc/self/mounts");
  cat("TSJAIL-VM cgroup", "/proc/self/cgroup");
  cat("TSJAIL-VM controllers", "/sys/fs/cgroup/cgroup.controllers");
  cat("TSJAIL-VM subtree_control", "/sys/fs/cgroup/cgroup.subtree_control");
  vm_run_list(left);
  return 0;
}
