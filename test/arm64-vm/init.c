/* /init of the arm64 test VM (scripts/arm64-vm.js): prints the machine and kernel, then runs
 * every line of /runlist (NAME PROGRAM ARGS..., stdin from /NAME.stdin when it exists) with its
 * output between markers on the console, and powers off (test/vm-init/runner.c). Static: the VM
 * has no shell. Before the runs it sets up what the hostile suite's launchers expect of a
 * Linux machine: a root that pivot_root can leave, PATH (setpriv is /bin/setpriv), a sticky
 * /tmp, sysfs with cgroup v1 memory and pids hierarchies (the host's layout, which the suite
 * delegates to uid 65534). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../vm-init/runner.h"

static void mount_or_say(const char *src, const char *dir, const char *type, const char *opts) {
  if (mkdir(dir, 0755) != 0 && access(dir, F_OK) != 0) perror(dir);
  if (mount(src, dir, type, 0, opts) != 0) printf("init: mount %s (%s %s): failed\n", dir, type, opts ? opts : "");
}

/* pivot_root(2) will not move the initramfs (rootfs, which has no parent mount), and the jails'
 * new roots are made with it: so / becomes a bind mount of itself, moved over / and chrooted
 * into, as switch_root does for a real root. */
static void root_as_mount(void) {
  if (mkdir("/.root", 0755) != 0 || mount("/", "/.root", NULL, MS_BIND | MS_REC, NULL) != 0 || chdir("/.root") != 0 ||
      mount(".", "/", NULL, MS_MOVE, NULL) != 0 || chroot(".") != 0 || chdir("/") != 0) {
    perror("init: / as a mount of its own");
  }
}

int main(void) {
  root_as_mount();
  vm_console();
  setenv("PATH", "/bin", 1);
  if (chmod("/tmp", 01777) != 0) perror("init: chmod /tmp");
  mount_or_say("sysfs", "/sys", "sysfs", NULL);
  mount_or_say("cgroup", "/sys/fs/cgroup", "tmpfs", "mode=755");
  mount_or_say("memory", "/sys/fs/cgroup/memory", "cgroup", "memory");
  mount_or_say("pids", "/sys/fs/cgroup/pids", "cgroup", "pids");
  struct utsname u;
  uname(&u);
  char ns[64] = "";
  ssize_t n = readlink("/proc/self/ns/net", ns, sizeof ns - 1);
  if (n > 0) ns[n] = 0;
  /* landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION): the kernel's Landlock ABI, or -1. */
  long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1UL);
  printf("\nTSJAIL-VM machine %s release %s uptime %.1f initnetns %s landlock %ld\n", u.machine, u.release, vm_now(), ns, abi);
  vm_run_list(NULL);
  return 0;
}
