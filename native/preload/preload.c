/* libtsjailpreload.so: installs the jail's exact seccomp filter in a dynamic glibc program
 * from its constructor, once ld.so has loaded everything, so policies need not allow the
 * loader's syscalls.
 *
 * The runtime exec'd the program under the strict gate (docs/runtime.md, "The preload
 * window"): every call the policy denies goes to the supervisor, which lets the loader's own
 * calls through until the window closes. The state arrives in an inherited memfd and the status
 * socket, both named by TSJAIL_PRELOAD="<state fd>,<status fd>". Our constructor runs before
 * the program's own constructors and main (ld.so runs the main program's last, from
 * __libc_start_main), and runs even in a program without libc (libc is our dependency). It
 * 1. reads the filter, 2. removes the variable, our LD_PRELOAD entry (only ours) and the state
 * fd, 3. installs the filter on every thread (TSYNC), 4. closes the status socket: the gate
 * sends that close to the supervisor, which ends the window only if the kernel shows the exact
 * filter on every thread. A failure writes {preload, errno} and exits 126. Nothing here is
 * believed: a program that closes the socket itself, or never runs us, gets its jail killed.
 * Exports nothing.
 */
#define _GNU_SOURCE
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

__attribute__((constructor)) static void install_exact_filter(void) {
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

  struct sock_fprog prog = {(unsigned short)h.n_insns, insns};
  /* With TSYNC a positive result is the id of a thread that could not be synchronised. */
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, h.flags, &prog);
  if (rc != 0) die(rc > 0 ? ESRCH : errno);
  /* Allowed by the exact filter's exception; the supervisor checks every thread here. */
  close(status_fd);
  status_fd = -1;
}
