/* libtsjailpreload.so: installs the jail's exact seccomp filter in a dynamic glibc program
 * after libc has started and before main, so policies need not allow the loader's syscalls.
 *
 * Fail-closed handshake (docs/runtime.md): the runtime exec'd the program under a *gate*
 * filter (policy + the loader set), with no_new_privs set. The state arrives in an inherited
 * memfd and the status pipe, both named by TSJAIL_PRELOAD="<state fd>,<status fd>". We
 * 1. read the filter, 2. remove the variable, ourselves from LD_PRELOAD (only our entry), and
 * the state fd, 3. write the ACK record, 4. install the filter, 5. close the status fd: the
 * parent sees ACK then EOF. A failure writes {preload, errno} and exits 126; no ACK before EOF
 * (we never ran) makes the parent kill the jail. Exports only __libc_start_main.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/records.h"
#include "../common/steps.h"
#include "preload_state.h"

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);

static main_fn real_main;
static int status_fd = -1;

static void die(int err) {
  if (status_fd >= 0) {
    struct tsjail_record r = {TSJAIL_STEP_PRELOAD, err, 0, -1};
    ssize_t n = write(status_fd, &r, sizeof r);
    (void)n;
  }
  _exit(126);
}

/* Remove exactly our own entry (matched by file name) from LD_PRELOAD, leaving the user's
 * entries and their separators (spaces or colons) as they were. */
static void strip_ld_preload(void) {
  const char *v = getenv("LD_PRELOAD");
  if (!v) return;
  size_t len = strlen(v);
  /* Any length: left in place, our entry would make every program this one execs die at
   * the missing TSJAIL_PRELOAD. (libc is up: malloc is fine here.) */
  char *out = malloc(len + 1);
  if (!out) die(ENOMEM);
  size_t o = 0;
  size_t i = 0;
  while (i < len) {
    size_t sep_start = i;
    while (i < len && (v[i] == ' ' || v[i] == ':')) i++;
    size_t start = i;
    while (i < len && v[i] != ' ' && v[i] != ':') i++;
    size_t end = i;
    if (end == start) {
      memcpy(out + o, v + sep_start, start - sep_start);
      o += start - sep_start;
      break;
    }
    size_t base = start;
    for (size_t k = start; k < end; k++)
      if (v[k] == '/') base = k + 1;
    size_t name_len = strlen(TSJAIL_PRELOAD_NAME);
    int ours = end - base == name_len && memcmp(v + base, TSJAIL_PRELOAD_NAME, name_len) == 0;
    if (ours) continue; /* drop the entry and the separator before it */
    if (o == 0) sep_start = start; /* no leading separator once earlier entries were dropped */
    memcpy(out + o, v + sep_start, end - sep_start);
    o += end - sep_start;
  }
  out[o] = '\0';
  if (o ? setenv("LD_PRELOAD", out, 1) : unsetenv("LD_PRELOAD")) die(errno);
  free(out);
}

/* A non-negative fd number from `s` up to `stop` (the end of the text it must reach). */
static int parse_fd(const char *s, char stop, const char **rest) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end != stop || v < 0 || v > 0x7fffffff) die(EINVAL);
  *rest = end;
  return (int)v;
}

static int fake_main(int argc, char **argv, char **envp) {
  const char *spec = getenv(TSJAIL_PRELOAD_ENV);
  if (!spec) die(ENOENT);
  const char *rest = NULL;
  int state_fd = parse_fd(spec, ',', &rest);
  status_fd = parse_fd(rest + 1, '\0', &rest);
  /* A setuid/setgid program (secure mode) must not be trusted with our state; with
   * no_new_privs ld.so never enters it, so this only fires if the runtime was bypassed. */
  if (getauxval(AT_SECURE)) die(EPERM);

  struct tsjail_preload_header h;
  if (pread(state_fd, &h, sizeof h, 0) != (ssize_t)sizeof h) die(EIO);
  if (h.magic != TSJAIL_PRELOAD_MAGIC || h.n_insns == 0 || h.n_insns > BPF_MAXINSNS) die(EINVAL);
  static struct sock_filter insns[BPF_MAXINSNS];
  size_t bytes = (size_t)h.n_insns * sizeof insns[0];
  if (pread(state_fd, insns, bytes, sizeof h) != (ssize_t)bytes) die(EIO);
  if (close(state_fd) || unsetenv(TSJAIL_PRELOAD_ENV)) die(errno);
  strip_ld_preload();

  struct tsjail_record ack = {TSJAIL_RECORD_PRELOAD_ACK, 0, 0, -1};
  if (write(status_fd, &ack, sizeof ack) != (ssize_t)sizeof ack) die(errno);
  struct sock_fprog prog = {(unsigned short)h.n_insns, insns};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, h.flags, &prog) != 0) die(errno);
  /* Allowed by the exact filter's fd exception; EOF tells the parent we are jailed. */
  close(status_fd);
  status_fd = -1;
  (void)envp; /* environ, not envp: unsetenv/setenv above edited the array it points to */
  return real_main(argc, argv, environ);
}

__attribute__((visibility("default"))) int __libc_start_main(
    main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
    void (*rtld_fini)(void), void *stack_end) {
  start_fn real = (start_fn)dlsym(RTLD_NEXT, "__libc_start_main");
  if (!real) _exit(126); /* not glibc: never run main unjailed */
  real_main = main;
  return real(fake_main, argc, argv, init, fini, rtld_fini, stack_end);
}
