// JailError: a setup step of the jail failed. Raised by the addon (which receives this class
// from ts/jail/native.ts, so native and TS failures are one class) and by the TS layer; the
// program did not run.
import { JailStep } from './steps';
import { constants as osConstants } from 'os';

const ERRNO_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(osConstants.errno).map(([name, n]) => [n, name]),
);

/** errno -> its symbolic name ('EPERM'), or 'E<n>' when unknown. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `E${errno}`;
}

/** Well-known (step, errno) pairs turned into advice, like bubblewrap's clone EPERM hint. */
function advice(step: string, code: string): string | undefined {
  switch (`${step}:${code}`) {
    case 'clone:EPERM':
      return 'creating namespaces was refused: unprivileged callers need a user namespace (namespaces.user), and user.max_user_namespaces must be > 0';
    case 'clone:ENOSPC':
      return 'too many namespaces: raise user.max_user_namespaces (or the pid/net limits in /proc/sys/user)';
    case 'clone:EINVAL':
      return 'the kernel rejected the namespace flags (a time namespace needs Linux 5.6; under qemu-user namespaces do not work)';
    case 'id-map:EPERM':
    case 'id-map:EACCES':
      return 'the uid/gid map was refused: without privilege a map may only name your own uid/gid, count 1';
    case 'setresuid:EINVAL':
    case 'setresgid:EINVAL':
      return 'the id is not mapped inside the user namespace (check user.uidMap/gidMap)';
    case 'setgroups:EPERM':
      return 'setgroups is denied in an unprivileged user namespace (setgroups=deny); use groups: "keep" or run as root';
    case 'seccomp:EACCES':
      return 'installing a seccomp filter without CAP_SYS_ADMIN needs noNewPrivs';
    case 'seccomp:EINVAL':
      return 'the kernel rejected the BPF program (invalid instruction, bad jump, or longer than 4096 instructions)';
    case 'exec:ENOENT':
      return 'the program (or its ELF interpreter) does not exist inside the jail';
    case 'exec:EACCES':
      return 'the program is not executable inside the jail (permissions, a noexec mount, or Landlock)';
    case 'cgroup:EACCES':
    case 'cgroup:EPERM':
      return 'no writable (delegated) cgroup for this user; run as root or delegate a cgroup';
    case 'landlock:ENOSYS':
    case 'landlock:EOPNOTSUPP':
      return 'Landlock is not available on this kernel (or disabled at boot)';
    case 'preload:ENOEXEC':
      return 'the jail was killed before the preload library took over: either it did not run (missing library, non-glibc libc, a static interpreter), or code before it (a library constructor) made a syscall the policy denies (allow it in the policy), or the program closed the status socket itself';
    case 'preload:ETIMEDOUT':
      return 'the exact filter was not in place in time (preloadTimeoutMs, or the time limit if shorter); the jail was killed';
    case 'rlimits:EPERM':
      // setrlimit(2): raising a hard limit needs CAP_SYS_RESOURCE, and RLIMIT_NOFILE's is capped by fs.nr_open even then.
      return 'a hard limit above the current one needs CAP_SYS_RESOURCE (and RLIMIT_NOFILE cannot exceed /proc/sys/fs/nr_open)';
    case 'hostname:EPERM':
      return 'setting the hostname needs a new UTS namespace (namespaces.uts)';
    default:
      return undefined;
  }
}

export class JailError extends Error {
  /** The setup step that failed (ts/jail/steps.ts). */
  readonly step: string;
  /** The errno the step failed with (0 when not from a syscall). */
  readonly errno: number;
  /** errno's symbolic name, e.g. 'EPERM'. */
  readonly code: string;
  /** What the runtime said about the failure (the fs phase and mount, e.g. 'mount #2'; the cgroup's reason), if anything. */
  readonly detail?: string;
  /** Advice for a well-known (step, errno) pair, e.g. clone:EPERM -> use a user namespace; else undefined. */
  readonly hint?: string;
  /**
   * Step 'preload': the call the policy denies that killed the jail in the preload window, as
   * the supervisor saw it (the addon sets it); describeViolation (tsjail/jail) explains it.
   */
  rawViolation?: { nr: number; arch: number; ip: bigint; args: bigint[]; ret: number };

  // (step, errno, detail) is also how the addon raises it (native/addon/addon.cc). `hint`
  // replaces the advice for (step, errno) when the TS layer knows the cause better.
  constructor(step: JailStep | string, errno: number, detail?: string, hint: string | undefined = advice(step, errnoName(errno))) {
    const code = errnoName(errno);
    // The message is the fields in one line; callers that format their own read the fields.
    let message = `jail setup failed at step '${step}': ${code}`;
    if (detail) message += ` (${detail})`;
    if (hint) message += `: ${hint}`;
    super(message);
    this.name = 'JailError';
    this.step = step;
    this.errno = errno;
    this.code = code;
    this.detail = detail || undefined;
    this.hint = hint;
  }
}
