// What an editor needs from the core beyond diagnostics: the tokens of one file with the kind
// each plays (semantic highlighting, the language service's context at an offset) and what the
// arguments of well-known syscalls are called and which constants fit them (completion, hover).
// Both read only the text or the name they are given: no arch, no includes.

import { lex, Tok, indexOfChar } from './lexer';
import { JsonObject, jsonArray, jsonString } from './json';

// Token kinds as the service names them, in the order of KIND_NAMES (the JSON's `kinds`).
const K_SYSCALL = 0;
const K_ARGUMENT = 1;
const K_CONSTANT = 2;
const K_NUMBER = 3;
const K_OPERATOR = 4;
const K_ACTION = 5;
const K_KEYWORD = 6;
const K_DIRECTIVE = 7;
const K_PATH = 8;
const K_COMMENT = 9;
const K_PUNCTUATION = 10;
const K_INVALID = 11;
/** The end of a logical line (zero-width; continuations already joined): statements end here. */
const K_NEWLINE = 12;
const KIND_NAMES = '["syscall","argument","constant","number","operator","action","keyword","directive","path","comment","punctuation","invalid","newline"]';

function push(out: Array<i32>, kind: i32, start: i32, end: i32): void {
  out.push(kind);
  out.push(start);
  out.push(end);
}

/** Comments in text[from, to): a `#` outside every token runs to the end of its line. */
function comments(text: string, from: i32, to: i32, out: Array<i32>): i32 {
  let i = from;
  while (i < to) {
    const h = indexOfChar(text, 35, i);
    if (h < 0 || h >= to) return to;
    let e = indexOfChar(text, 10, h);
    if (e < 0) e = text.length;
    if (e > h && text.charCodeAt(e - 1) == 13) e--;
    push(out, K_COMMENT, h, e);
    i = e;
  }
  return to;
}

/**
 * The tokens of one file as JSON {kinds: [name...], tokens: [kind, start, end, ...]} in text
 * order, UTF-16 offsets, comments and (zero-width) logical line ends included. A line's first name (before `:` or `[`) is its
 * syscall; a name after `return` is an errno constant; after `@default` an action.
 */
export function tokensJson(text: string): string {
  const t = lex(text);
  const out = new Array<i32>();
  let lineStart = true;
  let afterReturn = false;
  let pos = 0;
  for (let i = 0; i < t.length; i++) {
    const k = t.kind(i);
    const s = t.start(i);
    const e = t.end(i);
    if (k == Tok.EOF) break;
    pos = comments(text, pos, s, out);
    if (k == Tok.Newline) {
      push(out, K_NEWLINE, s, e);
      lineStart = true;
      afterReturn = false;
      pos = max(pos, e);
      continue;
    }
    let kind = K_PUNCTUATION;
    switch (k) {
      case Tok.Ident: kind = lineStart ? K_SYSCALL : K_CONSTANT; break;
      case Tok.Number: kind = K_NUMBER; break;
      case Tok.Path: kind = K_PATH; break;
      case Tok.Argument: kind = K_ARGUMENT; break;
      case Tok.Return: kind = K_KEYWORD; break;
      case Tok.Action: kind = K_ACTION; break;
      case Tok.AtDefault: case Tok.AtInclude: case Tok.AtFrequency: case Tok.AtDenylist: case Tok.AtUnknown: kind = K_DIRECTIVE; break;
      case Tok.OrOr: case Tok.AndAnd: case Tok.Pipe: case Tok.Op: case Tok.Tilde: kind = K_OPERATOR; break;
      case Tok.Invalid: case Tok.BadContinuation: kind = K_INVALID; break;
    }
    if (afterReturn && k == Tok.Ident) kind = K_CONSTANT;
    afterReturn = k == Tok.Return;
    push(out, kind, s, e);
    lineStart = false;
    pos = e;
  }
  comments(text, pos, text.length, out);
  return new JsonObject().raw('kinds', KIND_NAMES).raw('tokens', '[' + out.join(',') + ']').toString();
}

/**
 * What the arguments of well-known syscalls are called and which named constants fit them,
 * one line per syscall: `name arg:PATTERN|PATTERN arg ...`, where a PATTERN ending in `*` is a
 * prefix of constant names (PROT_*) and any other PATTERN one name. Taken from the man pages'
 * prototypes (section 2); `clone`'s last two arguments swap places between arches, so they
 * are left unnamed. Only constants the tables hold are named (test/service.test.ts checks that
 * every pattern matches one). Syscalls not listed have no argument names here.
 */
const SIGNATURES = `
read fd buf count
write fd buf count
pread64 fd buf count offset
pwrite64 fd buf count offset
readv fd iov iovcnt
writev fd iov iovcnt
open pathname flags:O_* mode:S_I*
openat dirfd:AT_FDCWD pathname flags:O_* mode:S_I*
openat2 dirfd:AT_FDCWD pathname how size
creat pathname mode:S_I*
close fd
close_range first last flags:CLOSE_RANGE_*
dup oldfd
dup2 oldfd newfd
dup3 oldfd newfd flags:O_CLOEXEC
pipe2 pipefd flags:O_*
mmap addr length prot:PROT_* flags:MAP_* fd offset
mmap2 addr length prot:PROT_* flags:MAP_* fd pgoffset
mprotect addr len prot:PROT_*
pkey_mprotect addr len prot:PROT_* pkey
munmap addr length
mremap old_address old_size new_size flags:MREMAP_* new_address
madvise addr length advice:MADV_*
msync addr length flags:MS_ASYNC|MS_SYNC|MS_INVALIDATE
mlock2 addr len flags:MLOCK_*
ioctl fd request:TC*|TIOC*|FIO*|FION*|FICLONE*|FIDEDUPERANGE|FIFREEZE|FITHAW|BLK*|LOOP_*|FS_IOC_*|SIOC*|FDGET*|FDSET*|FDFLUSH|RNDGETENTCNT|RNDADDTOENTCNT|SECCOMP_IOCTL_* argp
fcntl fd cmd:F_* arg:FD_CLOEXEC|O_*
fcntl64 fd cmd:F_* arg:FD_CLOEXEC|O_*
socket domain:AF_* type:SOCK_* protocol
socketpair domain:AF_* type:SOCK_* protocol sv
bind sockfd addr addrlen
connect sockfd addr addrlen
listen sockfd backlog
accept sockfd addr addrlen
accept4 sockfd addr addrlen flags:SOCK_*
setsockopt sockfd level:SOL_* optname:SO_* optval optlen
getsockopt sockfd level:SOL_* optname:SO_* optval optlen
sendto sockfd buf len flags:MSG_* dest_addr addrlen
recvfrom sockfd buf len flags:MSG_* src_addr addrlen
sendmsg sockfd msg flags:MSG_*
recvmsg sockfd msg flags:MSG_*
sendmmsg sockfd msgvec vlen flags:MSG_*
recvmmsg sockfd msgvec vlen flags:MSG_* timeout
shutdown sockfd how:SHUT_*
prctl option:PR_* arg2 arg3 arg4 arg5
arch_prctl code:ARCH_* addr
clone flags:CLONE_*|SIG* stack parent_tid
unshare flags:CLONE_*
setns fd nstype:CLONE_NEW*
futex uaddr futex_op val timeout uaddr2 val3
kill pid sig:SIG*
tkill tid sig:SIG*
tgkill tgid tid sig:SIG*
rt_sigaction signum:SIG* act oldact sigsetsize
rt_sigprocmask how:SIG_BLOCK|SIG_UNBLOCK|SIG_SETMASK set oldset sigsetsize
getrandom buf buflen flags:GRND_*
memfd_create name flags:MFD_*
lseek fd offset whence:SEEK_*
_llseek fd offset_high offset_low result whence:SEEK_*
mount source target filesystemtype mountflags:MS_* data
umount2 target flags
prlimit64 pid resource:RLIMIT_* new_limit old_limit
setrlimit resource:RLIMIT_* rlim
getrlimit resource:RLIMIT_* rlim
ugetrlimit resource:RLIMIT_* rlim
faccessat dirfd:AT_FDCWD pathname mode:F_OK|R_OK|W_OK|X_OK
faccessat2 dirfd:AT_FDCWD pathname mode:F_OK|R_OK|W_OK|X_OK flags:AT_*
access pathname mode:F_OK|R_OK|W_OK|X_OK
newfstatat dirfd:AT_FDCWD pathname statbuf flags:AT_*
fstatat64 dirfd:AT_FDCWD pathname statbuf flags:AT_*
statx dirfd:AT_FDCWD pathname flags:AT_* mask:STATX_* statxbuf
unlinkat dirfd:AT_FDCWD pathname flags:AT_REMOVEDIR
mkdirat dirfd:AT_FDCWD pathname mode:S_I*
renameat2 olddirfd:AT_FDCWD oldpath newdirfd:AT_FDCWD newpath flags:RENAME_*
fchmodat dirfd:AT_FDCWD pathname mode:S_I* flags:AT_*
fchownat dirfd:AT_FDCWD pathname owner group flags:AT_*
linkat olddirfd:AT_FDCWD oldpath newdirfd:AT_FDCWD newpath flags:AT_*
utimensat dirfd:AT_FDCWD pathname times flags:AT_*
execve pathname argv envp
execveat dirfd:AT_FDCWD pathname argv envp flags:AT_*
eventfd2 initval flags
epoll_create1 flags
epoll_ctl epfd op fd event
wait4 pid wstatus options rusage
waitid idtype id infop options
clock_gettime clockid tp
clock_nanosleep clockid flags request remain
timerfd_create clockid flags
landlock_create_ruleset attr size flags:LANDLOCK_CREATE_RULESET_*
landlock_add_rule ruleset_fd rule_type rule_attr flags
landlock_restrict_self ruleset_fd flags:LANDLOCK_RESTRICT_SELF_*
seccomp operation:SECCOMP_SET_*|SECCOMP_GET_* flags:SECCOMP_FILTER_FLAG_* args
ptrace request pid addr data
personality persona
exit status
exit_group status
flock fd operation:LOCK_*
inotify_init1 flags
inotify_add_watch fd pathname mask
sched_setscheduler pid policy:SCHED_* param
sched_getaffinity pid cpusetsize mask
sched_setaffinity pid cpusetsize mask
`;

/**
 * A syscall's argument names and the constants that fit each, as JSON [{name, constants:
 * [PATTERN...]}...] (see SIGNATURES), or '' when the syscall is not listed.
 */
export function syscallArgumentsJson(name: string): string {
  const key = '\n' + name + ' ';
  const at = SIGNATURES.indexOf(key);
  if (at < 0) return '';
  const from = at + key.length;
  const end = indexOfChar(SIGNATURES, 10, from);
  const words = SIGNATURES.substring(from, end).split(' ');
  const parts = new Array<string>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const c = indexOfChar(w, 58);
    const arg = c < 0 ? w : w.substring(0, c);
    const pats = c < 0 ? new Array<string>() : w.substring(c + 1).split('|');
    const quoted = new Array<string>();
    for (let j = 0; j < pats.length; j++) quoted.push(jsonString(pats[j]));
    parts.push(new JsonObject().str('name', arg).raw('constants', jsonArray(quoted)).toString());
  }
  return jsonArray(parts);
}
