/* Runs inside a jail in the arm64 VM (test/arm64-vm, scripts/arm64-vm.js): reports its uid, whether
 * it is pid 1 of its own pid namespace, its hostname, its net namespace and what the filter made
 * of getpid (and with "write", whether it may create a file); then calls gettid, which the policy kills. Built twice: static (exec-timing filter)
 * and dynamic (the preload library applies the filter). With "thread" it only calls gettid from a
 * second thread, which a kill-thread verdict ends alone: main joins it and exits 7. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <string.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static void *gettid_thread(void *arg) {
  (void)arg;
  syscall(SYS_gettid);
  printf("probe thread survived gettid\n");
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "thread") == 0) {
    pthread_t t;
    if (pthread_create(&t, NULL, gettid_thread, NULL) || pthread_join(t, NULL)) return 4;
    printf("probe joined\n");
    return 7;
  }
  struct utsname u;
  char ns[64] = "";
  if (uname(&u) != 0) { perror("probe: uname"); return 1; }
  ssize_t n = readlink("/proc/self/ns/net", ns, sizeof ns - 1);
  if (n > 0) ns[n] = 0;
  printf("probe uid %d ppid %ld host %s\n", (int)getuid(), syscall(SYS_getppid), u.nodename);
  printf("probe netns %s\n", ns);
  /* "write": create a file at the VM's root (allowed there; Landlock's jail allows only reads). */
  if (argc > 1 && strcmp(argv[1], "write") == 0) {
    int fd = open("/written-by-probe", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    printf("probe write errno %d\n", fd >= 0 ? 0 : errno);
    if (fd >= 0) close(fd);
  }
  errno = 0;
  long r = syscall(SYS_getpid);
  printf("probe getpid %ld errno %d\n", r, errno);
  fflush(stdout);
  syscall(SYS_gettid);
  printf("probe survived gettid\n");
  return 0;
}
