/* Jail files (docs/jailfile.md): the one encoding in which a jail reaches native code. The
 * addon (from ts/jail/jailfile.ts's bytes, in memory) and tsjail-exec (from a saved file) both
 * decode it here, and this reader is the trust boundary: every length is checked against what
 * is left before it is used, every limit below is enforced, and a truncated or corrupted file
 * is an error value, never a crash. Nothing is a memory copy of a struct: each field is
 * decoded from its little-endian bytes. The writer's constants must match these.
 *
 * Parent side: it allocates (every string and array lives in the spec's pool).
 */
#ifndef TSJAIL_PARENT_JAILFILE_H
#define TSJAIL_PARENT_JAILFILE_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../child/landlock.h"
#include "../child/mounts.h"
#include "../child/rlimits.h"
#include "cgroup.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSJAIL_JF_MAGIC "TSJLFILE"
#define TSJAIL_JF_FORMAT_VERSION 3
/* Format 3 only added tag 32 (the carried policy): format 2 files still read. */
#define TSJAIL_JF_OLDEST_FORMAT_VERSION 2
/* Bumped when the runtime's meaning of a field changes (steps, structs, filters). */
#define TSJAIL_JF_RUNTIME_ABI 2
#define TSJAIL_JF_HEADER_SIZE 32
#define TSJAIL_JF_MAX_SIZE (64u << 20)

/* The limits of a jail, enforced here and checked with friendly errors by ts/jail/validate.ts
 * (test/jail-limits-agree.test.ts builds specs at and just past each and checks that both
 * sides agree). Mounts (TSJAIL_FS_MOUNTS_MAX), Landlock rules (TSJAIL_LANDLOCK_RULES_MAX),
 * rlimits (TSJAIL_RLIMITS_MAX) and paths (TSJAIL_FS_PATH_MAX) are in the step headers. */
#define TSJAIL_MAX_ARG_STRLEN 131072          /* one argv/env string with its NUL (MAX_ARG_STRLEN) */
#define TSJAIL_MAX_ARGS_BYTES (16u << 20)     /* argv and env together, NULs included */
#define TSJAIL_MAX_GROUPS 65536               /* NGROUPS_MAX */
#define TSJAIL_MAX_PRESERVE_FDS 1024
#define TSJAIL_MAX_FD 65535
#define TSJAIL_MAX_HOSTNAME 64                /* bytes: the kernel's __NEW_UTS_LEN */
#define TSJAIL_MAX_ID_MAP_LINES 340           /* the kernel's uid_map/gid_map limit */
#define TSJAIL_MAX_TIME_LIMIT_MS 2147483647L
#define TSJAIL_MAX_PRELOAD_TIMEOUT_MS 600000
#define TSJAIL_MAX_SYSCALL_NAMES 4096
#define TSJAIL_MAX_POLICY_SOURCE (16u << 20)  /* bytes of the carried policy (tag 32) */

enum tsjail_jf_result {
  TSJAIL_JF_OK = 0,
  TSJAIL_JF_TRUNCATED = 1, /* shorter than its header or its declared payload */
  TSJAIL_JF_CORRUPT = 2,   /* bad magic, checksum, or malformed records */
  TSJAIL_JF_VERSION = 3,   /* another format version or runtime ABI */
  TSJAIL_JF_ARCH = 4       /* made for another architecture */
};

/* When seccomp goes in: what the jail asks for. The launch decides the mode from it and the
 * program (parent/elf.h, tsjail_seccomp_timing). */
enum tsjail_timing { TSJAIL_TIMING_AUTO = 0, TSJAIL_TIMING_EXEC = 1, TSJAIL_TIMING_PRELOAD = 2 };

struct tsjail_jf_name {
  uint32_t nr;
  const char *name;
};

/* A decoded jail. Owns every string and array it points to (tsjail_spec_free). The launch
 * reads it through a const pointer; only its owner changes it (tsjail-exec's -- PROGRAM). */
struct tsjail_spec {
  uint32_t format_version, runtime_abi, arch;

  /* The program, resolved when the jail was made. */
  const char *path;
  const char **argv; /* NULL-terminated */
  size_t argc;
  const char **envp; /* NULL-terminated */
  size_t envc;
  const char *cwd;   /* or NULL */

  unsigned long clone_flags; /* CLONE_NEW* */
  int program_as_init;
  const char *hostname;      /* or NULL */

  /* Identity, as decided by the writer (ts/jail/decide.ts): nothing is defaulted here. */
  int set_uid, set_gid, set_groups;
  uid_t uid;
  gid_t gid;
  const gid_t *groups;
  size_t n_groups;
  const char *uid_map, *gid_map; /* "inside outside count\n" lines, or NULL */

  int caps_set;
  uint64_t caps_keep, caps_bounding;
  int caps_ambient;
  int securebits;
  int no_new_privs;

  /* Seccomp: the policy as compiled (n_policy == 0: none) and how to install it. */
  const struct sock_filter *policy;
  size_t n_policy;
  int tsync, log, report;
  int permissive; /* the policy is not enforced: its non-allow verdicts run and are recorded */
  int timing;                  /* enum tsjail_timing */
  const char *preload_library; /* or NULL */
  int preload_timeout_ms;

  const int *preserve_fds;
  size_t n_preserve_fds;
  struct tsjail_fs fs;
  struct tsjail_landlock landlock;
  struct tsjail_rlimits rlimits;
  struct tsjail_cgroup_limits cgroup;

  long time_limit_ms;    /* -1 = none */
  const char *pid_file;  /* or NULL */
  int forward_signals;   /* tsjail-exec only (Node forwards for the addon) */
  int keep_session;      /* no setsid: the jail keeps the launcher's controlling terminal */
  const struct tsjail_jf_name *names;
  size_t n_names;
  /* The policy the filter was compiled from, as the TS layer wrote it (JSON: its files and
   * compile options), or NULL. Opaque here: tsjail-exec copies it into a violation record for
   * `tsjail explain`; native code never reads policy text. */
  const char *policy_source;
  size_t policy_source_len;

  void **pool; /* every allocation above */
  size_t n_pool, cap_pool;
};

/* CRC-32C (Castagnoli), as in the header. */
uint32_t tsjail_crc32c(const uint8_t *p, size_t n);

/* Decode buf. TSJAIL_JF_OK, or another result with one line in msg. On failure *out holds
 * nothing to free (it is freed already). */
int tsjail_spec_parse(const uint8_t *buf, size_t len, struct tsjail_spec *out, char *msg, size_t cap);

void tsjail_spec_free(struct tsjail_spec *spec);

/* The name the jail file gives syscall nr, or NULL. */
const char *tsjail_spec_syscall_name(const struct tsjail_spec *spec, int nr);

#ifdef __cplusplus
}
#endif
#endif
