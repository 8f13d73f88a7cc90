/* Classic BPF for seccomp: check and run. See bpf_eval.h. */
#include "bpf_eval.h"

#include <linux/seccomp.h>
#include <string.h>

#define SECCOMP_DATA_SIZE 64u

/* The opcodes seccomp_check_filter lets through (kernel/seccomp.c), after bpf_check_classic. */
static int seccomp_code_allowed(uint16_t code) {
  switch (code) {
    case BPF_LD | BPF_W | BPF_ABS: case BPF_LD | BPF_W | BPF_LEN: case BPF_LDX | BPF_W | BPF_LEN:
    case BPF_RET | BPF_K: case BPF_RET | BPF_A:
    case BPF_ALU | BPF_ADD | BPF_K: case BPF_ALU | BPF_ADD | BPF_X:
    case BPF_ALU | BPF_SUB | BPF_K: case BPF_ALU | BPF_SUB | BPF_X:
    case BPF_ALU | BPF_MUL | BPF_K: case BPF_ALU | BPF_MUL | BPF_X:
    case BPF_ALU | BPF_DIV | BPF_K: case BPF_ALU | BPF_DIV | BPF_X:
    case BPF_ALU | BPF_AND | BPF_K: case BPF_ALU | BPF_AND | BPF_X:
    case BPF_ALU | BPF_OR | BPF_K: case BPF_ALU | BPF_OR | BPF_X:
    case BPF_ALU | BPF_XOR | BPF_K: case BPF_ALU | BPF_XOR | BPF_X:
    case BPF_ALU | BPF_LSH | BPF_K: case BPF_ALU | BPF_LSH | BPF_X:
    case BPF_ALU | BPF_RSH | BPF_K: case BPF_ALU | BPF_RSH | BPF_X:
    case BPF_ALU | BPF_NEG:
    case BPF_LD | BPF_IMM: case BPF_LDX | BPF_IMM:
    case BPF_MISC | BPF_TAX: case BPF_MISC | BPF_TXA:
    case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM:
    case BPF_ST: case BPF_STX:
    case BPF_JMP | BPF_JA:
    case BPF_JMP | BPF_JEQ | BPF_K: case BPF_JMP | BPF_JEQ | BPF_X:
    case BPF_JMP | BPF_JGE | BPF_K: case BPF_JMP | BPF_JGE | BPF_X:
    case BPF_JMP | BPF_JGT | BPF_K: case BPF_JMP | BPF_JGT | BPF_X:
    case BPF_JMP | BPF_JSET | BPF_K: case BPF_JMP | BPF_JSET | BPF_X:
      return 1;
  }
  return 0;
}

static int is_cond_jump(uint16_t code) {
  return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

const char *tsjail_bpf_check(const struct sock_filter *prog, size_t n) {
  if (n == 0 || n > BPF_MAXINSNS) return "not 1-4096 instructions";
  for (size_t pc = 0; pc < n; pc++) {
    const struct sock_filter *f = &prog[pc];
    if (!seccomp_code_allowed(f->code)) return "an opcode seccomp does not allow";
    switch (f->code) {
      case BPF_ALU | BPF_DIV | BPF_K:
        if (f->k == 0) return "division by constant zero";
        break;
      case BPF_ALU | BPF_LSH | BPF_K: case BPF_ALU | BPF_RSH | BPF_K:
        if (f->k >= 32) return "a shift by 32 or more";
        break;
      case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM: case BPF_ST: case BPF_STX:
        if (f->k >= BPF_MEMWORDS) return "a scratch memory index out of range";
        break;
      case BPF_LD | BPF_W | BPF_ABS:
        if (f->k >= SECCOMP_DATA_SIZE || (f->k & 3)) return "a load outside struct seccomp_data or unaligned";
        break;
      case BPF_JMP | BPF_JA:
        if (f->k >= n - pc - 1) return "a jump out of the program";
        break;
      default:
        if (is_cond_jump(f->code) && (pc + f->jt + 1 >= n || pc + f->jf + 1 >= n)) return "a jump out of the program";
    }
  }
  if (BPF_CLASS(prog[n - 1].code) != BPF_RET) return "the last instruction is not a return";
  /* check_load_and_stores: along every path, a scratch word is written before it is read. */
  /* n entries (at most 8 KiB, checked above): a fixed 8 KiB array would have the stack probe
   * touch two pages at every launch, pages the launcher faults in copy-on-write while its jails
   * share its memory. */
  uint16_t masks[n];
  for (size_t i = 0; i < n; i++) masks[i] = 0xffff;
  uint16_t valid = 0;
  for (size_t pc = 0; pc < n; pc++) {
    const struct sock_filter *f = &prog[pc];
    valid &= masks[pc];
    if (f->code == BPF_ST || f->code == BPF_STX) {
      valid |= (uint16_t)(1u << f->k);
    } else if (f->code == (BPF_LD | BPF_MEM) || f->code == (BPF_LDX | BPF_MEM)) {
      if (!(valid & (1u << f->k))) return "scratch memory read before it is written";
    } else if (f->code == (BPF_JMP | BPF_JA)) {
      masks[pc + 1 + f->k] &= valid;
      valid = 0xffff;
    } else if (is_cond_jump(f->code)) {
      masks[pc + 1 + f->jt] &= valid;
      masks[pc + 1 + f->jf] &= valid;
      valid = 0xffff;
    }
  }
  return NULL;
}

static uint32_t load32(const uint8_t *data, uint32_t off) {
  uint32_t v;
  memcpy(&v, data + off, sizeof v); /* struct seccomp_data is in host byte order */
  return v;
}

uint32_t tsjail_bpf_run(const struct sock_filter *prog, size_t n, const uint8_t data[64]) {
  uint32_t A = 0, X = 0, mem[BPF_MEMWORDS] = {0};
  for (size_t pc = 0; pc < n; pc++) {
    const struct sock_filter *f = &prog[pc];
    uint32_t src = (f->code & BPF_X) ? X : f->k;
    switch (BPF_CLASS(f->code)) {
      case BPF_LD:
        if (f->code == (BPF_LD | BPF_W | BPF_ABS)) A = load32(data, f->k);
        else if (f->code == (BPF_LD | BPF_W | BPF_LEN)) A = SECCOMP_DATA_SIZE;
        else if (f->code == (BPF_LD | BPF_IMM)) A = f->k;
        else A = mem[f->k];
        break;
      case BPF_LDX:
        if (f->code == (BPF_LDX | BPF_W | BPF_LEN)) X = SECCOMP_DATA_SIZE;
        else if (f->code == (BPF_LDX | BPF_IMM)) X = f->k;
        else X = mem[f->k];
        break;
      case BPF_ST: mem[f->k] = A; break;
      case BPF_STX: mem[f->k] = X; break;
      case BPF_ALU:
        switch (BPF_OP(f->code)) {
          case BPF_ADD: A += src; break;
          case BPF_SUB: A -= src; break;
          case BPF_MUL: A *= src; break;
          case BPF_DIV:
            if (src == 0) return 0; /* the kernel's converted program returns 0 */
            A /= src;
            break;
          case BPF_AND: A &= src; break;
          case BPF_OR: A |= src; break;
          case BPF_XOR: A ^= src; break;
          case BPF_LSH: A <<= (src & 31); break;
          case BPF_RSH: A >>= (src & 31); break;
          case BPF_NEG: A = 0u - A; break;
        }
        break;
      case BPF_JMP:
        if (BPF_OP(f->code) == BPF_JA) {
          pc += f->k;
        } else {
          int taken;
          switch (BPF_OP(f->code)) {
            case BPF_JEQ: taken = A == src; break;
            case BPF_JGT: taken = A > src; break;
            case BPF_JGE: taken = A >= src; break;
            default: taken = (A & src) != 0; break;
          }
          pc += taken ? f->jt : f->jf;
        }
        break;
      case BPF_RET:
        return BPF_RVAL(f->code) == BPF_A ? A : f->k;
      case BPF_MISC:
        if (BPF_MISCOP(f->code) == BPF_TXA) A = X;
        else X = A;
        break;
    }
  }
  return 0; /* unreachable for a checked program: the last instruction is a RET */
}

/* ---- does a policy allow a call whatever its arguments? ------------------------------------ */

/* A value the analysis knows (arch, nr, constants and what is computed from them) or not (the
 * instruction pointer and the arguments, and what is computed from them). */
struct absval {
  uint32_t v;
  int known;
};

struct absstate {
  size_t pc;
  struct absval A, X, mem[BPF_MEMWORDS];
};

/* Paths explored at most (each split on an unknown value adds one), branch points pending at
 * once and instructions followed in all: beyond any the answer is "not shown", which only keeps
 * the cautious choice (and bounds the work a launch spends here, on Node's thread). */
#define ALWAYS_MAX_PATHS 4096
#define ALWAYS_MAX_PENDING 64
#define ALWAYS_MAX_STEPS 65536

static int allowing(uint32_t ret) {
  uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
  return action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG;
}

static struct absval alu(uint16_t op, struct absval a, struct absval s) {
  struct absval r = {0, a.known && s.known};
  if (op == BPF_NEG) return (struct absval){0u - a.v, a.known};
  /* Some results do not depend on the unknown side. */
  if (op == BPF_AND && ((s.known && s.v == 0) || (a.known && a.v == 0))) return (struct absval){0, 1};
  if (op == BPF_MUL && ((s.known && s.v == 0) || (a.known && a.v == 0))) return (struct absval){0, 1};
  if (!r.known) return r;
  switch (op) {
    case BPF_ADD: r.v = a.v + s.v; break;
    case BPF_SUB: r.v = a.v - s.v; break;
    case BPF_MUL: r.v = a.v * s.v; break;
    case BPF_DIV: r.v = s.v ? a.v / s.v : 0; break;
    case BPF_AND: r.v = a.v & s.v; break;
    case BPF_OR: r.v = a.v | s.v; break;
    case BPF_XOR: r.v = a.v ^ s.v; break;
    case BPF_LSH: r.v = a.v << (s.v & 31); break;
    case BPF_RSH: r.v = a.v >> (s.v & 31); break;
  }
  return r;
}

int tsjail_bpf_always_allows(const struct sock_filter *prog, size_t n, uint32_t arch, uint32_t nr) {
  struct absstate pending[ALWAYS_MAX_PENDING];
  size_t n_pending = 1, paths = 1, steps = 0;
  memset(&pending[0], 0, sizeof pending[0]);
  pending[0].A.known = pending[0].X.known = 1; /* A and X start at 0 */
  while (n_pending) {
    struct absstate s = pending[--n_pending];
    for (;;) {
      if (s.pc >= n || ++steps > ALWAYS_MAX_STEPS) return 0; /* pc: cannot happen in a checked program */
      const struct sock_filter *f = &prog[s.pc];
      struct absval src = (f->code & BPF_X) ? s.X : (struct absval){f->k, 1};
      switch (BPF_CLASS(f->code)) {
        case BPF_LD:
          if (f->code == (BPF_LD | BPF_W | BPF_ABS))
            s.A = f->k == 0 ? (struct absval){nr, 1} : f->k == 4 ? (struct absval){arch, 1} : (struct absval){0, 0};
          else if (f->code == (BPF_LD | BPF_W | BPF_LEN)) s.A = (struct absval){SECCOMP_DATA_SIZE, 1};
          else if (f->code == (BPF_LD | BPF_IMM)) s.A = (struct absval){f->k, 1};
          else s.A = s.mem[f->k];
          break;
        case BPF_LDX:
          if (f->code == (BPF_LDX | BPF_W | BPF_LEN)) s.X = (struct absval){SECCOMP_DATA_SIZE, 1};
          else if (f->code == (BPF_LDX | BPF_IMM)) s.X = (struct absval){f->k, 1};
          else s.X = s.mem[f->k];
          break;
        case BPF_ST: s.mem[f->k] = s.A; break;
        case BPF_STX: s.mem[f->k] = s.X; break;
        case BPF_ALU:
          /* A division by an X that may be zero may return 0 (kill): not allowing. */
          if (BPF_OP(f->code) == BPF_DIV && !(src.known && src.v)) return 0;
          s.A = alu(BPF_OP(f->code), s.A, src);
          break;
        case BPF_MISC:
          if (BPF_MISCOP(f->code) == BPF_TXA) s.A = s.X;
          else s.X = s.A;
          break;
        case BPF_RET:
          if (BPF_RVAL(f->code) == BPF_A ? !(s.A.known && allowing(s.A.v)) : !allowing(f->k)) return 0;
          goto next_path;
        case BPF_JMP:
          if (BPF_OP(f->code) == BPF_JA) {
            s.pc += f->k;
            break;
          }
          if (s.A.known && src.known) {
            int taken;
            switch (BPF_OP(f->code)) {
              case BPF_JEQ: taken = s.A.v == src.v; break;
              case BPF_JGT: taken = s.A.v > src.v; break;
              case BPF_JGE: taken = s.A.v >= src.v; break;
              default: taken = (s.A.v & src.v) != 0; break;
            }
            s.pc += taken ? f->jt : f->jf;
          } else if (f->jt == f->jf) {
            s.pc += f->jt;
          } else {
            /* Either way, depending on what the analysis does not know: both must allow. */
            if (n_pending == ALWAYS_MAX_PENDING || ++paths > ALWAYS_MAX_PATHS) return 0;
            pending[n_pending] = s;
            pending[n_pending++].pc += 1 + f->jf;
            s.pc += f->jt;
          }
          break;
      }
      s.pc++;
    }
  next_path:;
  }
  return 1;
}
