/* Jail files (docs/jailfile.md): bytes -> the C structures the addon builds (child/config.h,
 * child/mounts.h, landlock.h, rlimits.h, parent/cgroup.h, launch.h). Every length is checked against what
 * is left before it is used; a truncated or corrupted file is an error value, never a crash.
 * Nothing is a memory copy of a struct: each field is decoded from its little-endian bytes.
 * The writer is ts/jail/jailfile.ts; the constants below must match it.
 */
#ifndef TSJAIL_EXEC_JAILFILE_H
#define TSJAIL_EXEC_JAILFILE_H

#include <stddef.h>
#include <stdint.h>

#include "../parent/launch.h"

#define TSJAIL_JF_MAGIC "TSJLFILE"
#define TSJAIL_JF_FORMAT_VERSION 1
/* Bumped when the runtime's meaning of a field changes (steps, structs, filters). */
#define TSJAIL_JF_RUNTIME_ABI 1
#define TSJAIL_JF_HEADER_SIZE 32
#define TSJAIL_JF_MAX_SIZE (64u << 20)

enum tsjail_jf_result {
  TSJAIL_JF_OK = 0,
  TSJAIL_JF_TRUNCATED = 1, /* shorter than its header or its declared payload */
  TSJAIL_JF_CORRUPT = 2,   /* bad magic, checksum, or malformed records */
  TSJAIL_JF_VERSION = 3,   /* another format version or runtime ABI */
  TSJAIL_JF_ARCH = 4       /* made for another architecture */
};

enum tsjail_jf_timing { TSJAIL_JF_TIMING_AUTO = 0, TSJAIL_JF_TIMING_EXEC = 1, TSJAIL_JF_TIMING_PRELOAD = 2 };

struct tsjail_jf_name {
  uint32_t nr;
  const char *name;
};

/* A decoded jail file. Owns every string and array it points to (tsjail_jailfile_free). */
struct tsjail_jailfile {
  uint32_t format_version, runtime_abi, arch;

  struct tsjail_config cfg;
  struct tsjail_launch_spec launch;
  struct tsjail_fs fs;
  struct tsjail_landlock landlock;
  struct tsjail_rlimits rlimits;
  struct tsjail_cgroup_limits cgroup;

  const char **argv; /* NULL-terminated */
  size_t argc;
  const char **envp; /* NULL-terminated */
  size_t envc;
  gid_t *groups;
  int *preserve_fds;
  struct sock_filter *policy;
  uint32_t *gate_allow;
  int seccomp_timing;     /* enum tsjail_jf_timing: what was asked */
  int64_t time_limit_ms;  /* -1 = none */
  const char *pid_file;   /* or NULL */
  int forward_signals;
  struct tsjail_jf_name *names;
  size_t n_names;

  void **pool; /* every allocation above */
  size_t n_pool, cap_pool;
};

/* CRC-32C (Castagnoli), as in the header. */
uint32_t tsjail_crc32c(const uint8_t *p, size_t n);

/* Decode buf. TSJAIL_JF_OK, or another result with one line in msg. On failure *out holds
 * nothing to free (it is freed already). */
int tsjail_jailfile_parse(const uint8_t *buf, size_t len, struct tsjail_jailfile *out, char *msg, size_t cap);

void tsjail_jailfile_free(struct tsjail_jailfile *jf);

#endif
