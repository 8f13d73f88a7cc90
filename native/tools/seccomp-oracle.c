/*
 * seccomp-oracle: ask the kernel what a seccomp filter does to a batch of syscalls.
 *
 * Usage:  seccomp-oracle [--refine] [FILTER.bpf] < CASES
 *         seccomp-oracle --probe        prints "x32 yes|no" and "i386 yes|no"
 *
 * Input (text, one item per line, '#' comments and blank lines ignored):
 *   program HEX                  the filter as struct sock_filter[] bytes (minijail .bpf format),
 *                                hex-encoded; omit it when FILTER.bpf is given
 *   case NR A0 A1 A2 A3 A4 A5 [i386]
 *                                one syscall: NR and six u64 args (decimal or 0x hex). NR is the
 *                                value seccomp sees, so x32 calls are written NR|0x40000000.
 *                                `i386` issues it through `int $0x80` (AUDIT_ARCH_I386, args
 *                                truncated to 32 bits; x86_64 builds only, see --probe).
 * Output: one line per case, in input order:
 *   allow-class                  the filter passed the call on (ALLOW, LOG, TRACE or USER_NOTIF)
 *   allow-class allow | allow-class trace N | allow-class user-notif
 *                                with --refine (x86_64): which of them; `allow` is ALLOW or LOG
 *                                (LOG only writes an audit record), N is the TRACE data
 *   errno N                      SECCOMP_RET_ERRNO; N is what the caller saw (the kernel caps
 *                                data above 4095 to 4095)
 *   trap DATA NR ARCH            SIGSYS with si_errno=DATA, si_syscall=NR, si_arch=ARCH (hex)
 *   kill-thread                  only the calling thread died
 *   kill-process                 the whole process died of SIGSYS
 *   unfiltered signal N | unfiltered errno N | unfiltered other
 *                                the call never reached seccomp: a calibration run under an
 *                                ALLOW filter already saw this instead of the guard's -MAGIC
 *                                (this project's 6.18 test kernel answers x86_64 nr 335 with
 *                                SIGILL and nr 336 with ENXIO before any filter runs)
 * Exit: 0 ok; 2 bad usage or input; 3 the kernel rejected the filter (message names the step
 * and errno); 4 the oracle itself failed (an unexpected child status).
 * seccomp_data.instruction_pointer cannot be chosen: it is wherever this tool's syscall
 * instruction sits, so filters that test the ip are out of scope.
 *
 * Why the answers are exact and the tested syscalls never run (docs/testing.md has the long
 * form; every claim below was checked on Linux 6.18 by test/oracle.test.ts):
 * - Each child installs FIRST a guard filter returning SECCOMP_RET_ERRNO|MAGIC for every call,
 *   THEN the filter under test. The kernel runs every filter and keeps the return value with
 *   the lowest (signed) action; on a tie the newest filter wins, because seccomp_run_filters
 *   walks from the newest filter and replaces only on a strict `<` (kernel/seccomp.c). So a
 *   policy ERRNO(n) beats the guard's ERRNO(MAGIC) (tie, newer), TRAP/KILL beat it (lower),
 *   and ALLOW/LOG/TRACE/USER_NOTIF lose to it: the caller sees -MAGIC and nothing executes.
 *   A policy that itself returns ERRNO(MAGIC) is told apart by rerunning every -MAGIC case
 *   under a guard with a second magic value (MAGIC_CONFIRM).
 * - The guard lets exactly one call through: the seccomp(2) that installs the policy, marked
 *   by a 64-bit cookie in each of its unused args 3..5. Cases equal to that call are refused.
 * - Filters are installed by a second thread on itself (no TSYNC). KILL_THREAD then kills only
 *   that thread (the main thread sees it gone through pthread's cleared-tid futex), while
 *   KILL_PROCESS kills the child with SIGSYS. A single-threaded child could not tell them
 *   apart: the kernel turns KILL_THREAD of the last live thread into a process kill.
 * - TRAP: a SIGSYS handler (SA_SIGINFO|SA_NODEFER) stores si_errno/si_syscall/si_arch and
 *   siglongjmps (no mask save) back to the case loop, so no rt_sigreturn is needed.
 * - Results go to a MAP_SHARED mapping made before fork, so after its filters are in place
 *   the worker makes no syscall except the tested ones. After a kill the parent starts a
 *   fresh child at the next case.
 * - Before that, a calibration run under an ALLOW filter finds calls that never reach
 *   seccomp (they do not read -MAGIC there); those are reported as `unfiltered`.
 * - --refine splits allow-class: the parent ptraces the worker, whose guard is now TRACE|data;
 *   see refine_passes(). Each seccomp stop is skipped (orig_rax = -1), so nothing executes.
 * Not covered: actions the kernel does not define, between ERRNO and USER_NOTIF in precedence,
 * would lose to the guard and read as allow-class (the kernel kills for them); codegen never
 * emits them. ALLOW and LOG are one class even with --refine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#define HAVE_I386 1
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#define HAVE_I386 0
#else
#error "seccomp-oracle: add the syscall instruction and AUDIT_ARCH for this architecture"
#endif

/* errno values no policy in practice returns (Linux errnos end near 135). */
#define MAGIC 4094
#define MAGIC_CONFIRM 4093
/* Marks the one seccomp(2) call the guard lets through; in args 3..5, which seccomp ignores. */
#define COOKIE 0x74736a61696c4f52ULL /* "tsjailOR" */

#define EXIT_USAGE 2
#define EXIT_REJECTED 3
#define EXIT_INTERNAL 4
/* The child's exit codes, read by the parent. */
#define CHILD_DONE 0
#define CHILD_THREAD_DIED 10
#define CHILD_SETUP_FAILED 11

#define CHILD_TIMEOUT_SECONDS 120 /* a stuck child is a bug; generous for loaded machines */

enum abi { ABI_NATIVE = 0, ABI_I386 = 1 };

struct oracle_case {
  uint32_t nr;
  uint32_t abi;
  uint64_t args[6];
};

enum case_state { CASE_PENDING = 0, CASE_STARTED, CASE_RETURNED, CASE_TRAPPED };

/* One case's outcome, written by the worker into shared memory. */
struct case_result {
  volatile uint32_t state;
  volatile uint32_t trap_data;
  volatile uint32_t trap_nr;
  volatile uint32_t trap_arch;
  volatile int64_t ret;
  volatile uint32_t traced; /* --refine: a PTRACE_EVENT_SECCOMP stop happened */
  volatile uint32_t trace_msg;
};

enum setup_step { STEP_NONE = 0, STEP_NO_NEW_PRIVS, STEP_GUARD, STEP_POLICY };
static const char *const step_names[] = { "none", "prctl(PR_SET_NO_NEW_PRIVS)",
                                          "seccomp(guard filter)", "seccomp(filter under test)" };

struct shared_state {
  volatile uint32_t finished;
  volatile uint32_t setup_step;
  volatile int32_t setup_errno;
  volatile uint32_t current;    /* index of the case being issued (for the tracer) */
  volatile int32_t worker_tid;  /* --refine: the worker's tid, published for the tracer */
  volatile uint32_t attached;   /* --refine: the tracer is attached */
  struct case_result results[];
};

/* The guard's action for everything but its own seccomp call. */
enum guard_kind { GUARD_ERRNO, GUARD_TRACE };

/* What a child runs: set in the parent before fork, read-only afterwards. */
struct run_plan {
  const struct sock_fprog *policy;
  const struct sock_fprog *guard;
  const struct oracle_case *cases;
  const size_t *order; /* indices into cases, run in this order */
  size_t count;
  size_t start;
  struct shared_state *shared;
  enum guard_kind guard_kind;
};

static const struct run_plan *g_plan;
static struct case_result *volatile g_current;
static sigjmp_buf g_trap_jump;

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("seccomp-oracle: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(code);
}

/* ---- raw syscalls: no libc wrapper, so nothing but the one instruction runs ---- */

static long raw_syscall6(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                         uint64_t a4, uint64_t a5) {
#if defined(__x86_64__)
  register uint64_t r10 __asm__("r10") = a3;
  register uint64_t r8 __asm__("r8") = a4;
  register uint64_t r9 __asm__("r9") = a5;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
#elif defined(__aarch64__)
  register uint64_t x8 __asm__("x8") = nr;
  register uint64_t x0 __asm__("x0") = a0;
  register uint64_t x1 __asm__("x1") = a1;
  register uint64_t x2 __asm__("x2") = a2;
  register uint64_t x3 __asm__("x3") = a3;
  register uint64_t x4 __asm__("x4") = a4;
  register uint64_t x5 __asm__("x5") = a5;
  __asm__ volatile("svc #0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory");
  return (long)x0;
#endif
}

#if HAVE_I386
/*
 * The i386 entry from a 64-bit process: seccomp sees AUDIT_ARCH_I386 and 32-bit args.
 * The sixth arg goes in ebp; swapping it in and out with xchg avoids touching the stack
 * (a push would clobber the red zone).
 */
static long raw_int80(uint32_t nr, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                      uint32_t a4, uint32_t a5) {
  uint64_t ebp_value = a5;
  uint64_t eax = nr;
  __asm__ volatile("xchg %[a5], %%rbp\n\t"
                   "int $0x80\n\t"
                   "xchg %[a5], %%rbp"
                   : "+a"(eax), [a5] "+r"(ebp_value)
                   : "b"((uint64_t)a0), "c"((uint64_t)a1), "d"((uint64_t)a2),
                     "S"((uint64_t)a3), "D"((uint64_t)a4)
                   : "r8", "r9", "r10", "r11", "memory");
  return (long)(int32_t)(uint32_t)eax;
}
#endif

static long issue_case(const struct oracle_case *c) {
#if HAVE_I386
  if (c->abi == ABI_I386)
    return raw_int80(c->nr, (uint32_t)c->args[0], (uint32_t)c->args[1], (uint32_t)c->args[2],
                     (uint32_t)c->args[3], (uint32_t)c->args[4], (uint32_t)c->args[5]);
#endif
  return raw_syscall6(c->nr, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4],
                      c->args[5]);
}

/* ---- the guard filter ---- */

#define GUARD_LEN 18
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)

/* ERRNO|magic (or TRACE|magic) for everything except our own
   seccomp(SET_MODE_FILTER, 0, _, COOKIE x3). */
static void build_guard(struct sock_filter *g, enum guard_kind kind, uint32_t magic) {
  const uint32_t lo = (uint32_t)COOKIE, hi = (uint32_t)(COOKIE >> 32);
  const uint32_t deny = GUARD_LEN - 1;
  struct sock_filter prog[GUARD_LEN] = {
    /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 0, deny - 2),
    /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_seccomp, 0, deny - 4),
    /* 4 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(3)),
    /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, lo, 0, deny - 6),
    /* 6 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(3)),
    /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hi, 0, deny - 8),
    /* 8 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(4)),
    /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, lo, 0, deny - 10),
    /* 10 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(4)),
    /* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hi, 0, deny - 12),
    /* 12 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(5)),
    /* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, lo, 0, deny - 14),
    /* 14 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(5)),
    /* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hi, 0, deny - 16),
    /* 16 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    /* 17 */ BPF_STMT(BPF_RET | BPF_K,
                      (kind == GUARD_TRACE ? SECCOMP_RET_TRACE : SECCOMP_RET_ERRNO) | magic),
  };
  memcpy(g, prog, sizeof(prog));
}

static int is_guard_bypass(const struct oracle_case *c) {
  return c->abi == ABI_NATIVE && c->nr == __NR_seccomp && c->args[3] == COOKIE &&
         c->args[4] == COOKIE && c->args[5] == COOKIE;
}

/* ---- the child ---- */

static void on_sigsys(int sig, siginfo_t *info, void *ucontext) {
  struct case_result *r = g_current;
  if (r != NULL) {
    r->trap_data = (uint32_t)info->si_errno;
    r->trap_nr = (uint32_t)info->si_syscall;
    r->trap_arch = (uint32_t)info->si_arch;
    r->state = CASE_TRAPPED;
  }
  siglongjmp(g_trap_jump, 1);
}

static void setup_failed(struct shared_state *s, uint32_t step, int err) {
  s->setup_errno = err;
  s->setup_step = step;
  __atomic_store_n(&s->finished, 1, __ATOMIC_SEQ_CST);
}

/* The worker thread: filters on itself, then the cases; never returns (see child_main). */
static void *worker(void *unused) {
  const struct run_plan *p = g_plan;
  struct shared_state *s = p->shared;
  if (p->guard_kind == GUARD_TRACE) {
    /* The parent attaches to this thread (not the process) before any case runs. */
    __atomic_store_n(&s->worker_tid, (int32_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&s->attached, __ATOMIC_SEQ_CST)) sched_yield();
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    setup_failed(s, STEP_NO_NEW_PRIVS, errno);
    for (;;) pause();
  }
  long rc = raw_syscall6(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, (uint64_t)(uintptr_t)p->guard,
                         0, 0, 0);
  if (rc != 0) {
    setup_failed(s, STEP_GUARD, (int)-rc);
    for (;;) pause();
  }
  rc = raw_syscall6(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, (uint64_t)(uintptr_t)p->policy,
                    COOKIE, COOKIE, COOKIE);
  if (rc != 0) {
    /* Only the guard is active: pause() is denied, so spin until the main thread exits. */
    setup_failed(s, STEP_POLICY, (int)-rc);
    for (;;) __asm__ volatile("" ::: "memory");
  }
  /* From here on the only syscalls this thread makes are the cases. */
  for (size_t i = p->start; i < p->count; i++) {
    const size_t idx = p->order[i];
    struct case_result *r = &s->results[idx];
    s->current = (uint32_t)idx;
    r->state = CASE_STARTED;
    g_current = r;
    if (sigsetjmp(g_trap_jump, 0) == 0) {
      long ret = issue_case(&p->cases[idx]);
      r->ret = ret;
      r->state = CASE_RETURNED;
    }
    g_current = NULL;
  }
  /* Exiting would need syscalls the filter may deny; the main thread ends the process. */
  __atomic_store_n(&s->finished, 1, __ATOMIC_SEQ_CST);
  for (;;) __asm__ volatile("" ::: "memory");
  return unused;
}

/* Waits for the worker to finish (exit CHILD_DONE) or die alone (CHILD_THREAD_DIED). */
static void child_main(const struct run_plan *p) {
  g_plan = p;
  /* A KILL_PROCESS child dumps core by default; nothing to dump here. */
  struct rlimit no_core = { 0, 0 };
  if (setrlimit(RLIMIT_CORE, &no_core) != 0) _exit(EXIT_INTERNAL);
  /* Non-dumpable also stops dumps through a core_pattern pipe, but it forbids an
     unprivileged tracer: the trace pass keeps it (no call is killed in that pass). */
  if (p->guard_kind == GUARD_ERRNO && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    _exit(EXIT_INTERNAL);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGSYS, &sa, NULL) != 0) _exit(EXIT_INTERNAL);
  alarm(CHILD_TIMEOUT_SECONDS);
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0) _exit(EXIT_INTERNAL);
  for (;;) {
    struct timespec deadline;
    if (clock_gettime(CLOCK_MONOTONIC, &deadline) != 0) _exit(EXIT_INTERNAL);
    deadline.tv_nsec += 1000000;
    if (deadline.tv_nsec >= 1000000000) {
      deadline.tv_sec++;
      deadline.tv_nsec -= 1000000000;
    }
    /* Wakes as soon as the kernel clears the worker's tid, i.e. when the thread dies. */
    int rc = pthread_clockjoin_np(t, NULL, CLOCK_MONOTONIC, &deadline);
    if (rc == 0) _exit(CHILD_THREAD_DIED);
    if (rc != ETIMEDOUT) _exit(EXIT_INTERNAL);
    if (__atomic_load_n(&p->shared->finished, __ATOMIC_SEQ_CST))
      _exit(p->shared->setup_step != STEP_NONE ? CHILD_SETUP_FAILED : CHILD_DONE);
  }
}

/* ---- the parent ---- */

enum outcome_kind {
  OUT_UNSET = 0, /* not run in that pass */
  OUT_ALLOW_CLASS, OUT_ERRNO, OUT_TRAP, OUT_KILL_THREAD, OUT_KILL_PROCESS, OUT_SIGNAL
};

struct outcome {
  uint32_t kind;
  uint32_t data;
  uint32_t trap_nr;
  uint32_t trap_arch;
  int64_t ret; /* raw return value, for the -MAGIC check */
  uint32_t traced;
  uint32_t trace_msg;
  uint32_t pass; /* --refine: which lower-precedence action an allow-class case got */
  uint32_t pass_data;
};

enum pass_kind { PASS_UNREFINED = 0, PASS_ALLOW, PASS_TRACE, PASS_USER_NOTIF };

/* Guard TRACE data for --refine, and a second value that settles a policy using the first. */
#define TRACE_MAGIC 0xffff
#define TRACE_MAGIC_CONFIRM 0xfffe

static const char *describe_status(int status, char *buf, size_t len) {
  if (WIFEXITED(status))
    snprintf(buf, len, "exit %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    snprintf(buf, len, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
  else
    snprintf(buf, len, "status 0x%x", status);
  return buf;
}

#if defined(__x86_64__)
/*
 * --refine: the parent traces the worker thread. Every PTRACE_EVENT_SECCOMP stop records the
 * event message (the data of the TRACE action that won) for the current case, then skips the
 * call (orig_rax = -1) with -magic as its return value, so it still never executes.
 */
static void trace_worker(pid_t child, uint32_t magic, struct shared_state *s) {
  pid_t tid;
  while ((tid = __atomic_load_n(&s->worker_tid, __ATOMIC_SEQ_CST)) == 0) {
    int status;
    pid_t w = waitpid(child, &status, WNOHANG);
    if (w == child) die(EXIT_INTERNAL, "child ended before its worker started");
    struct timespec ts = { 0, 50000 };
    nanosleep(&ts, NULL);
  }
  if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL) != 0)
    die(EXIT_INTERNAL, "ptrace(PTRACE_SEIZE) of the worker: %s", strerror(errno));
  __atomic_store_n(&s->attached, 1, __ATOMIC_SEQ_CST);
  for (;;) {
    int st;
    pid_t w = waitpid(tid, &st, __WALL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) return;
      die(EXIT_INTERNAL, "waitpid(worker): %s", strerror(errno));
    }
    if (WIFEXITED(st) || WIFSIGNALED(st)) return;
    if (!WIFSTOPPED(st)) continue;
    int sig = 0;
    if ((st >> 8) == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) {
      unsigned long msg = 0;
      struct user_regs_struct regs;
      if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) != 0 ||
          ptrace(PTRACE_GETREGS, tid, 0, &regs) != 0)
        die(EXIT_INTERNAL, "ptrace at a seccomp stop: %s", strerror(errno));
      struct case_result *r = &s->results[s->current];
      r->trace_msg = (uint32_t)msg;
      r->traced = 1;
      regs.orig_rax = (unsigned long long)-1;
      regs.rax = (unsigned long long)-(long long)magic;
      if (ptrace(PTRACE_SETREGS, tid, 0, &regs) != 0)
        die(EXIT_INTERNAL, "ptrace(PTRACE_SETREGS): %s", strerror(errno));
    } else if ((st >> 16) == 0) {
      sig = WSTOPSIG(st); /* a signal for the worker: deliver it */
    }
    if (ptrace(PTRACE_CONT, tid, 0, sig) != 0 && errno != ESRCH)
      die(EXIT_INTERNAL, "ptrace(PTRACE_CONT): %s", strerror(errno));
  }
}
#else
static void trace_worker(pid_t child, uint32_t magic, struct shared_state *s) {
  die(EXIT_USAGE, "--refine is implemented for x86_64 only");
}
#endif

/* Runs cases order[0..count) under (guard, policy), restarting a child after each kill. */
static void run_cases(const struct sock_fprog *policy, enum guard_kind kind, uint32_t magic,
                      const struct oracle_case *cases, const size_t *order, size_t count,
                      struct shared_state *shared, struct outcome *out) {
  struct sock_filter guard_insns[GUARD_LEN];
  build_guard(guard_insns, kind, magic);
  struct sock_fprog guard = { GUARD_LEN, guard_insns };
  size_t start = 0;
  while (start < count) {
    shared->finished = 0;
    shared->setup_step = STEP_NONE;
    shared->setup_errno = 0;
    shared->worker_tid = 0;
    shared->attached = 0;
    for (size_t i = start; i < count; i++) memset((void *)&shared->results[order[i]], 0,
                                                  sizeof(struct case_result));
    struct run_plan plan = { policy, &guard, cases, order, count, start, shared, kind };
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) die(EXIT_INTERNAL, "fork: %s", strerror(errno));
    if (pid == 0) {
      child_main(&plan);
      _exit(EXIT_INTERNAL);
    }
    if (kind == GUARD_TRACE) trace_worker(pid, magic, shared);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) die(EXIT_INTERNAL, "waitpid: %s", strerror(errno));
    }
    char why[64];
    if (shared->setup_step != STEP_NONE)
      die(EXIT_REJECTED, "%s failed: %s", step_names[shared->setup_step],
          strerror(shared->setup_errno));
    size_t i = start;
    for (; i < count; i++) {
      const struct case_result *r = &shared->results[order[i]];
      struct outcome *o = &out[order[i]];
      if (r->state == CASE_RETURNED) {
        o->ret = r->ret;
        o->traced = r->traced;
        o->trace_msg = r->trace_msg;
        if (kind == GUARD_TRACE) {
          o->kind = OUT_ALLOW_CLASS; /* main() reads traced/trace_msg/ret */
        } else if (r->ret == -(int64_t)magic) {
          o->kind = OUT_ALLOW_CLASS;
        } else if (r->ret <= 0 && r->ret >= -4095) {
          o->kind = OUT_ERRNO;
          o->data = (uint32_t)-r->ret;
        } else {
          /* Only a syscall that really ran could return this: the guard failed. */
          die(EXIT_INTERNAL, "case %zu returned %lld: the call was not intercepted", order[i],
              (long long)r->ret);
        }
      } else if (r->state == CASE_TRAPPED) {
        o->kind = OUT_TRAP;
        o->data = r->trap_data;
        o->trap_nr = r->trap_nr;
        o->trap_arch = r->trap_arch;
      } else {
        break;
      }
    }
    if (i == count) {
      if (!WIFEXITED(status) || WEXITSTATUS(status) != CHILD_DONE) {
        /* A KILL_PROCESS can't strike after the last case: the worker makes no more calls. */
        die(EXIT_INTERNAL, "child finished every case but ended with %s",
            describe_status(status, why, sizeof(why)));
      }
      break;
    }
    if (shared->results[order[i]].state != CASE_STARTED)
      die(EXIT_INTERNAL, "child ended before case %zu: %s", order[i],
          describe_status(status, why, sizeof(why)));
    if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_THREAD_DIED)
      out[order[i]].kind = OUT_KILL_THREAD;
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
      out[order[i]].kind = OUT_KILL_PROCESS;
    else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGALRM) {
      /* Not a seccomp kill: main() checks the call never reaches seccomp (e.g. int $0x80
         without IA32 emulation). */
      out[order[i]].kind = OUT_SIGNAL;
      out[order[i]].data = (uint32_t)WTERMSIG(status);
    } else
      die(EXIT_INTERNAL, "child ended during case %zu: %s", order[i],
          describe_status(status, why, sizeof(why)));
    start = i + 1;
  }
}

/* ---- input ---- */

static char *read_all(FILE *f, size_t *len) {
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  if (buf == NULL) die(EXIT_INTERNAL, "out of memory");
  for (;;) {
    if (n + 1 >= cap) {
      cap *= 2;
      buf = realloc(buf, cap);
      if (buf == NULL) die(EXIT_INTERNAL, "out of memory");
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) die(EXIT_USAGE, "read error: %s", strerror(errno));
  buf[n] = '\0';
  *len = n;
  return buf;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int parse_u64(const char *tok, uint64_t *v) {
  if (tok == NULL || *tok == '-') return -1;
  char *end;
  errno = 0;
  unsigned long long x = strtoull(tok, &end, 0);
  if (errno != 0 || end == tok || *end != '\0') return -1;
  *v = x;
  return 0;
}

struct input {
  uint8_t *program;
  size_t program_len;
  struct oracle_case *cases;
  size_t count;
};

static void parse_input(char *text, struct input *in) {
  size_t cap = 256;
  in->cases = malloc(cap * sizeof(*in->cases));
  if (in->cases == NULL) die(EXIT_INTERNAL, "out of memory");
  size_t line_no = 0;
  char *save_line;
  for (char *line = strtok_r(text, "\n", &save_line); line != NULL;
       line = strtok_r(NULL, "\n", &save_line)) {
    line_no++;
    char *save_tok;
    char *kw = strtok_r(line, " \t\r", &save_tok);
    if (kw == NULL || kw[0] == '#') continue;
    if (strcmp(kw, "program") == 0) {
      char *hex = strtok_r(NULL, " \t\r", &save_tok);
      size_t hl = hex ? strlen(hex) : 0;
      if (hl % 2 != 0) die(EXIT_USAGE, "line %zu: odd hex length", line_no);
      free(in->program);
      in->program = malloc(hl / 2 + 1);
      if (in->program == NULL) die(EXIT_INTERNAL, "out of memory");
      for (size_t i = 0; i < hl / 2; i++) {
        int h = hex_digit(hex[2 * i]), l = hex_digit(hex[2 * i + 1]);
        if (h < 0 || l < 0) die(EXIT_USAGE, "line %zu: bad hex digit", line_no);
        in->program[i] = (uint8_t)(h << 4 | l);
      }
      in->program_len = hl / 2;
    } else if (strcmp(kw, "case") == 0) {
      struct oracle_case c;
      memset(&c, 0, sizeof(c));
      uint64_t nr;
      if (parse_u64(strtok_r(NULL, " \t\r", &save_tok), &nr) != 0 || nr > UINT32_MAX)
        die(EXIT_USAGE, "line %zu: bad syscall number", line_no);
      c.nr = (uint32_t)nr;
      for (int a = 0; a < 6; a++) {
        if (parse_u64(strtok_r(NULL, " \t\r", &save_tok), &c.args[a]) != 0)
          die(EXIT_USAGE, "line %zu: argument %d missing or not a u64", line_no, a);
      }
      char *abi = strtok_r(NULL, " \t\r", &save_tok);
      if (abi != NULL && strcmp(abi, "i386") == 0) {
        if (!HAVE_I386) die(EXIT_USAGE, "line %zu: i386 calls need an x86_64 build", line_no);
        c.abi = ABI_I386;
      } else if (abi != NULL && strcmp(abi, "native") != 0) {
        die(EXIT_USAGE, "line %zu: unknown abi '%s'", line_no, abi);
      }
      if (is_guard_bypass(&c))
        die(EXIT_USAGE, "line %zu: this case is the oracle's own seccomp call", line_no);
      if (in->count == cap) {
        cap *= 2;
        in->cases = realloc(in->cases, cap * sizeof(*in->cases));
        if (in->cases == NULL) die(EXIT_INTERNAL, "out of memory");
      }
      in->cases[in->count++] = c;
    } else {
      die(EXIT_USAGE, "line %zu: expected 'program' or 'case', got '%s'", line_no, kw);
    }
  }
}

static void read_program_file(const char *path, struct input *in) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) die(EXIT_USAGE, "%s: %s", path, strerror(errno));
  size_t len;
  in->program = (uint8_t *)read_all(f, &len);
  in->program_len = len;
  fclose(f);
}

/* ---- --probe: which entry points reach seccomp on this kernel ---- */

#if defined(__x86_64__)
/* 1 when a call through `abi` reaches seccomp (allow-class under an ALLOW filter). */
static int probe_entry(uint32_t abi) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) die(EXIT_INTERNAL, "fork: %s", strerror(errno));
  if (pid == 0) {
    /* A kernel without the entry point kills the child (int $0x80: SIGSEGV), and run_cases
       then exits with EXIT_INTERNAL: either way the answer is "no". */
    if (freopen("/dev/null", "w", stderr) == NULL) _exit(1);
    struct sock_filter allow[1] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_fprog policy = { 1, allow };
    struct oracle_case c;
    memset(&c, 0, sizeof(c));
    c.abi = abi;
    c.nr = abi == ABI_I386 ? 20 /* i386 getpid */ : (0x40000000u | 39 /* x32 getpid */);
    size_t order = 0;
    struct outcome o;
    memset(&o, 0, sizeof(o));
    struct shared_state *shared =
        mmap(NULL, sizeof(struct shared_state) + sizeof(struct case_result),
             PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) _exit(1);
    run_cases(&policy, GUARD_ERRNO, MAGIC, &c, &order, 1, shared, &o);
    _exit(o.kind == OUT_ALLOW_CLASS ? 0 : 1);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) die(EXIT_INTERNAL, "waitpid: %s", strerror(errno));
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
#endif

/*
 * --refine: tell apart the allow-class cases under a TRACE guard with this process as the
 * worker's tracer. Precedence (lowest value wins, newest filter on a tie): a policy TRACE(d)
 * ties the guard and wins, so the stop carries d; ALLOW and LOG lose to the guard, so the
 * stop carries TRACE_MAGIC; USER_NOTIF beats TRACE, and with no listener on the policy's
 * filter the kernel fails the call with ENOSYS and no stop. A policy TRACE(TRACE_MAGIC) is
 * settled by rerunning those cases with TRACE_MAGIC_CONFIRM. ALLOW and LOG stay one class.
 */
static void refine_passes(const struct sock_fprog *policy, const struct input *in, size_t *order,
                          struct shared_state *shared, struct outcome *out) {
  size_t n = 0;
  for (size_t i = 0; i < in->count; i++)
    if (out[i].kind == OUT_ALLOW_CLASS) order[n++] = i;
  if (n == 0) return;
  struct outcome *t = calloc(in->count, sizeof(*t));
  if (t == NULL) die(EXIT_INTERNAL, "out of memory");
  run_cases(policy, GUARD_TRACE, TRACE_MAGIC, in->cases, order, n, shared, t);
  size_t again = 0;
  for (size_t j = 0; j < n; j++) {
    const size_t i = order[j];
    if (t[i].traced && t[i].trace_msg == TRACE_MAGIC) {
      order[again++] = i;
    } else if (t[i].traced) {
      out[i].pass = PASS_TRACE;
      out[i].pass_data = t[i].trace_msg;
    } else if (t[i].ret == -ENOSYS) {
      out[i].pass = PASS_USER_NOTIF;
    } else {
      die(EXIT_INTERNAL, "case %zu: no trace stop and return %lld under the trace guard", i,
          (long long)t[i].ret);
    }
  }
  if (again > 0) {
    memset(t, 0, in->count * sizeof(*t));
    run_cases(policy, GUARD_TRACE, TRACE_MAGIC_CONFIRM, in->cases, order, again, shared, t);
    for (size_t j = 0; j < again; j++) {
      const size_t i = order[j];
      if (!t[i].traced) die(EXIT_INTERNAL, "case %zu: no trace stop on the second run", i);
      out[i].pass = t[i].trace_msg == TRACE_MAGIC_CONFIRM ? PASS_ALLOW : PASS_TRACE;
      out[i].pass_data = t[i].trace_msg == TRACE_MAGIC_CONFIRM ? 0 : t[i].trace_msg;
    }
  }
  free(t);
}

int main(int argc, char **argv) {
  int refine = 0;
  const char *filter_path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--probe") == 0 && argc == 2) {
#if defined(__x86_64__)
      printf("x32 %s\n", probe_entry(ABI_NATIVE) ? "yes" : "no");
      printf("i386 %s\n", probe_entry(ABI_I386) ? "yes" : "no");
#else
      printf("x32 no\ni386 no\n");
#endif
      return 0;
    } else if (strcmp(argv[i], "--refine") == 0) {
#if !defined(__x86_64__)
      die(EXIT_USAGE, "--refine is implemented for x86_64 only");
#endif
      refine = 1;
    } else if (argv[i][0] != '-' && filter_path == NULL) {
      filter_path = argv[i];
    } else {
      fprintf(stderr, "usage: seccomp-oracle [--refine] [FILTER.bpf] < CASES\n"
                      "       seccomp-oracle --probe\n");
      return EXIT_USAGE;
    }
  }
  struct input in;
  memset(&in, 0, sizeof(in));
  size_t len;
  char *text = read_all(stdin, &len);
  parse_input(text, &in);
  if (filter_path != NULL) read_program_file(filter_path, &in);
  if (in.program == NULL) die(EXIT_USAGE, "no program: give FILTER.bpf or a 'program HEX' line");
  if (in.program_len == 0 || in.program_len % 8 != 0 || in.program_len / 8 > BPF_MAXINSNS)
    die(EXIT_USAGE, "program is %zu bytes: need 1..%d sock_filter records of 8 bytes",
        in.program_len, BPF_MAXINSNS);
  struct sock_fprog policy = { (unsigned short)(in.program_len / 8),
                               (struct sock_filter *)(void *)in.program };
  if (in.count == 0) return 0;

  size_t shared_len = sizeof(struct shared_state) + in.count * sizeof(struct case_result);
  struct shared_state *shared =
      mmap(NULL, shared_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) die(EXIT_INTERNAL, "mmap: %s", strerror(errno));
  struct outcome *out = calloc(in.count, sizeof(*out));
  size_t *order = malloc(in.count * sizeof(*order));
  if (out == NULL || order == NULL) die(EXIT_INTERNAL, "out of memory");
  /* Calibration: under an ALLOW filter every call that reaches seccomp reads -MAGIC. Some
     do not (this project's test kernel answers x86_64 nr 335 with SIGILL and 336 with
     ENXIO before any filter runs); those are reported as unfiltered, not as verdicts. */
  struct sock_filter allow_insn[1] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
  struct sock_fprog allow_all = { 1, allow_insn };
  struct outcome *calibration = calloc(in.count, sizeof(*calibration));
  if (calibration == NULL) die(EXIT_INTERNAL, "out of memory");
  for (size_t i = 0; i < in.count; i++) order[i] = i;
  run_cases(&allow_all, GUARD_ERRNO, MAGIC, in.cases, order, in.count, shared, calibration);
  size_t filtered = 0;
  for (size_t i = 0; i < in.count; i++)
    if (calibration[i].kind == OUT_ALLOW_CLASS) order[filtered++] = i;
  run_cases(&policy, GUARD_ERRNO, MAGIC, in.cases, order, filtered, shared, out);
  for (size_t j = 0; j < filtered; j++)
    if (out[order[j]].kind == OUT_SIGNAL)
      die(EXIT_INTERNAL, "case %zu: killed by signal %u under the filter but not without it",
          order[j], out[order[j]].data);

  /* A policy returning ERRNO(MAGIC) looks like a pass; a different guard magic tells. */
  size_t again = 0;
  for (size_t j = 0; j < filtered; j++)
    if (out[order[j]].kind == OUT_ALLOW_CLASS) order[again++] = order[j];
  if (again > 0) {
    struct outcome *confirm = calloc(in.count, sizeof(*confirm));
    if (confirm == NULL) die(EXIT_INTERNAL, "out of memory");
    run_cases(&policy, GUARD_ERRNO, MAGIC_CONFIRM, in.cases, order, again, shared, confirm);
    for (size_t j = 0; j < again; j++) {
      const size_t i = order[j];
      if (confirm[i].kind == OUT_ERRNO && confirm[i].data == MAGIC) {
        out[i].kind = OUT_ERRNO;
        out[i].data = MAGIC;
      } else if (confirm[i].kind != OUT_ALLOW_CLASS) {
        die(EXIT_INTERNAL, "case %zu: the kernel answered differently on the second run", i);
      }
    }
    free(confirm);
  }
  if (refine) refine_passes(&policy, &in, order, shared, out);

  for (size_t i = 0; i < in.count; i++) {
    const struct outcome *c = &calibration[i];
    if (c->kind != OUT_ALLOW_CLASS) {
      if (c->kind == OUT_SIGNAL)
        printf("unfiltered signal %u\n", c->data);
      else if (c->kind == OUT_ERRNO)
        printf("unfiltered errno %u\n", c->data);
      else
        printf("unfiltered other\n");
      continue;
    }
    const struct outcome *o = &out[i];
    switch (o->kind) {
      case OUT_ALLOW_CLASS:
        if (o->pass == PASS_ALLOW)
          puts("allow-class allow");
        else if (o->pass == PASS_TRACE)
          printf("allow-class trace %u\n", o->pass_data);
        else if (o->pass == PASS_USER_NOTIF)
          puts("allow-class user-notif");
        else
          puts("allow-class");
        break;
      case OUT_ERRNO: printf("errno %u\n", o->data); break;
      case OUT_TRAP: printf("trap %u %u 0x%x\n", o->data, o->trap_nr, o->trap_arch); break;
      case OUT_KILL_THREAD: puts("kill-thread"); break;
      case OUT_KILL_PROCESS: puts("kill-process"); break;
      default: die(EXIT_INTERNAL, "case %zu: no outcome", i);
    }
  }
  if (fflush(stdout) != 0) die(EXIT_INTERNAL, "write: %s", strerror(errno));
  return 0;
}
