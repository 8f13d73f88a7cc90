// The jail spec's field names in `tsjail run`'s words. validateSpec and JailError's advice speak
// the API (`filesystem.root`, `namespaces.user`), which is right for the Node API; a CLI user
// set those fields with flags and should read the flag (`-C`, `-U`). This table is the one
// place that knows which flag sets which field; test/cli-run-fields.test.ts checks it covers
// every field validate.ts names, apart from those no flag sets (NOT_FROM_FLAGS).

import type { JailSpec, MountSpec } from '../jail/spec';
import { SpecError } from '../jail/validate';

type Flag = string | ((spec: Partial<JailSpec> | undefined, index: number | undefined) => string);

/** The flag a mount entry came from (run-spec.ts makes bind mounts of -b, tmpfs of -t, and so on). */
function mountFlag(spec: Partial<JailSpec> | undefined, index: number | undefined): string {
  const m: MountSpec | undefined = index === undefined ? undefined : spec?.filesystem?.mounts?.[index];
  if (!m) return '-b/-k';
  const flag = { bind: '-b', tmpfs: '-t', proc: '-r', dev: '-d', mount: '-k', 'remount-ro': '-r' }[m.kind] ?? '-k';
  return typeof m.target === 'string' ? `${flag} (${m.target})` : flag;
}

/** Field (without `[i]` indices and sub-fields below them) -> the flag that sets it. */
export const FLAG_OF_FIELD: ReadonlyArray<[string, Flag]> = [
  ['path', 'PROGRAM'],
  ['argv', 'PROGRAM'],
  ['env', '--env-add'],
  ['namespaces.user', '-U'],
  ['namespaces.pid', '-p'],
  ['namespaces.mount', '-v'],
  ['namespaces.net', '-e'],
  ['namespaces.ipc', '-l'],
  ['namespaces.uts', '--uts'],
  ['namespaces.cgroup', '-N'],
  ['namespaces.time', '--time-ns'],
  ['programAsInit', '-I'],
  ['keepSession', '--no-new-sessions'],
  ['hostname', '--uts=HOST'],
  ['user.uid', '-u'],
  ['user.gid', '-g'],
  ['user.groups', '-G/-y/--add-suppl-group'],
  ['user.uidMap', '-m'],
  ['user.gidMap', '-M'],
  ['caps.keep', '-c'],
  ['caps.bounding', '-c'],
  ['caps.ambient', '--ambient'],
  ['caps.securebits', '-B'],
  ['noNewPrivs', '-n'],
  ['seccomp.bpf', '-S/--seccomp-bpf-binary'],
  ['seccomp.tsync', '-Y'],
  ['seccomp.log', '-L'],
  ['seccomp.allowIoUring', '--allow-io-uring'],
  ['seccomp.logMode', '--log'],
  ['seccompTiming', '-T'],
  ['filesystem.root', (s) => (s?.filesystem?.rootMode === 'chroot' ? '-C' : '-P')],
  ['filesystem.rootMode', (s) => (s?.filesystem?.rootMode === 'chroot' ? '-C' : '-P')],
  ['filesystem.propagation', '-K'],
  ['filesystem.mounts', mountFlag],
  ['filesystem', '-v'],
  ['landlock.ro', '--fs-path-ro'],
  ['landlock.rw', '--fs-path-rw'],
  ['landlock.rx', '--fs-path-rx'],
  ['landlock', '--fs-path-ro/-rw/-rx'],
  ['rlimits', '-R'],
  ['cgroup.memory', '--memory'],
  ['cgroup.pids', '--pids'],
  ['cgroup.cpu', '--cpu'],
  ['preserveFds', '--preserve-fd'],
  ['timeLimitMs', '--time-limit'],
  ['pidFile', '-f'],
];

/** Fields validate.ts checks that no `tsjail run` flag sets (only the Node API does). */
export const NOT_FROM_FLAGS: readonly string[] = [
  'spec', 'cwd', 'seccomp.names', 'seccomp.reportViolations', 'preloadLibrary', 'preloadTimeoutMs',
];

/** `filesystem.mounts[2].target` -> { base: 'filesystem.mounts', index: 2 }. */
function splitField(field: string): { base: string; index?: number } {
  const m = /^([A-Za-z.]+?)(?:\[(\d+)\].*|\.\d+)?$/.exec(field);
  return m ? { base: m[1], index: m[2] === undefined ? undefined : Number(m[2]) } : { base: field };
}

/** The flag that set `field`, or undefined when no flag sets it. */
export function flagForField(field: string, spec?: Partial<JailSpec>): string | undefined {
  const { base, index } = splitField(field);
  const row = FLAG_OF_FIELD.find(([f]) => f === base);
  if (!row) return undefined;
  return typeof row[1] === 'function' ? row[1](spec, index) : row[1];
}

/** API field names inside a message (`needs namespaces.pid`) replaced by their flags. */
export function inFlagWords(text: string, spec?: Partial<JailSpec>): string {
  return text
    .replace(/\bset seccomp\.allowIoUring\b/g, 'add --allow-io-uring')
    .replace(/\b(namespaces\.[a-z]+|seccomp\.allowIoUring|user\.uidMap\/gidMap|user\.uidMap|user\.gidMap|filesystem\.root|noNewPrivs|preloadTimeoutMs)\b/g,
      (f) => (f === 'user.uidMap/gidMap' ? '-m/-M' : flagForField(f, spec) ?? f));
}

/** A SpecError as `tsjail run` reports it: the flag, then the reason in flag words. */
export function specErrorLine(e: SpecError, spec?: Partial<JailSpec>): string {
  const flag = flagForField(e.field, spec);
  const reason = e.message.slice(`invalid jail spec: ${e.field}: `.length);
  if (!flag) return e.message;
  return `${flag}: ${inFlagWords(reason, spec)}`;
}
