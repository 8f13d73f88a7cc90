// The jail's setup steps in the order they run, mirroring native/common/steps.h (the code of a
// step is its index; test/jail-errors.test.ts checks this list against the addon's). Codes are
// API: append, never reorder.

export const STEPS = [
  'prepare', // parent: fds, memfd with the filter, pipes, ELF check of the program
  'clone', // parent: clone with the namespace flags
  'id-map', // parent: setgroups=deny, uid_map, gid_map
  'cgroup', // parent: create the jail's cgroup, set limits, attach the child
  'sync', // child: wait until the parent has finished its part
  'mounts', // child: propagation, bind/tmpfs/proc/dev mounts, remounts
  'root', // child: pivot_root or chroot
  'hostname', // child
  'loopback', // child: bring lo up in a new net namespace
  'rlimits', // child
  'init', // child: the pid-1 init forks the program
  'setgroups', // child: supplementary groups
  'setresgid', // child
  'setresuid', // child
  'capabilities', // child: bounding, permitted/effective/inheritable
  'ambient', // child: ambient capabilities
  'securebits', // child
  'cwd', // child: chdir as the jailed user
  'no-new-privs', // child
  'landlock', // child
  'close-fds', // child: every fd except 0-2 and the preserved ones (before seccomp: policies need not allow it)
  'signals', // child: reset dispositions and the signal mask
  'seccomp', // child: the exact filter (static programs) or the gate (dynamic ones)
  'exec', // child: execve
  'preload', // program: the preload library installs the filter before main
  'pid-file', // parent
  'session', // child: setsid (runs after sync)
  'session-keyring', // child: a fresh anonymous session keyring (runs after setresuid)
  'parent-death', // child: die with the launcher (PDEATHSIG), and fail if it is already gone
] as const;

export type JailStep = (typeof STEPS)[number];
