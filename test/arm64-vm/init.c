/* /init of the arm64 test VM (scripts/arm64-vm.js): prints the machine and kernel, then runs
 * every line of /runlist (NAME PROGRAM ARGS..., stdin from /NAME.stdin when it exists) with its
 * output between markers on the console, and powers off (test/vm-init/runner.c). Static: the VM
 * has no shell. */
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../vm-init/runner.h"

int main(void) {
  vm_console();
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
