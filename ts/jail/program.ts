// Program lookup: which file a jail execs for argv[0]. One rule for `tsjail run` (and
// pack-jail) and the builder's Jail.spawn/run, so the two cannot find different programs:
//
//   - a name with a slash is that path (a relative one from the current directory, refused with
//     a new root, where the host's directory means nothing);
//   - a name without one is searched on the jail's PATH, else this process's PATH, else
//     DEFAULT_PATH; only absolute entries count (an empty or relative entry would name a
//     directory of the host's current directory, not one in the jail);
//   - every candidate is checked where the jail will see it: through the bind mount covering it,
//     else under the new root, else on the host. A candidate under a fresh tmpfs or the minimal
//     /dev does not exist yet; one under another kind of mount (proc, a filesystem mounted by
//     type) cannot be checked from outside and is taken as found;
//   - the first executable regular file wins; if none, the first match that is not one makes
//     the answer "not executable" (env(1)'s 126), else "not found" (127).
//
// The child execs the path it is given without searching, so this answer is the program.
// tsjail-exec's `-- PROGRAM` keeps a C copy of the search (on the host's files);
// test/jailfile.test.ts compares all three.

import * as fs from 'fs';
import * as path from 'path';
import type { MountSpec } from './spec';

/** The search list when neither the jail nor this process has a PATH (glibc's and systemd's list for root). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Why argv[0] names no program: not found (127), not executable (126), or a relative path under a new root. */
export type ProgramProblem = 'not-found' | 'not-executable' | 'relative-under-root';

export class ProgramLookupError extends Error {
  constructor(readonly problem: ProgramProblem, message: string) {
    super(message);
    this.name = 'ProgramLookupError';
  }
}

/** What the lookup reads of the system (tests substitute their own). */
export interface ProgramHost {
  /** The PATH of the process doing the lookup (used when the jail's environment has none). */
  envPath: string | undefined;
  /** Where relative program paths start. */
  cwd: string;
  /** stat(2), following links; undefined when the path does not exist. */
  stat(file: string): fs.Stats | undefined;
  /** access(2) with X_OK for the current user. */
  executable(file: string): boolean;
}

/** The real system: this process's PATH, directory and files. */
export function nodeProgramHost(): ProgramHost {
  return {
    envPath: process.env.PATH,
    cwd: process.cwd(),
    stat: (f) => {
      try {
        return fs.statSync(f);
      } catch {
        return undefined;
      }
    },
    executable: (f) => {
      try {
        fs.accessSync(f, fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** The mount jailPath ends up on: the one with the longest target prefix (the later one on a tie). */
function mountCovering(jailPath: string, mounts: MountSpec[]): MountSpec | undefined {
  let best: MountSpec | undefined;
  for (const m of mounts) {
    const t = m.target;
    const under = jailPath === t || t === '/' || jailPath.startsWith(t + '/');
    if (under && (!best || t.length >= best.target.length)) best = m;
  }
  return best;
}

/**
 * Where a path inside the jail lives on the host before the jail starts: through the bind
 * mount with the longest target prefix, else under the new root. undefined when a non-bind
 * mount (tmpfs, proc...) covers it, so it cannot be checked from outside.
 */
export function hostPathOf(jailPath: string, mounts: MountSpec[], root: string | undefined): string | undefined {
  const best = mountCovering(jailPath, mounts);
  if (best) {
    if (best.kind !== 'bind') return undefined;
    const rest = best.target === '/' ? jailPath : jailPath.slice(best.target.length);
    return path.join(best.source, rest);
  }
  return root ? path.join(root, jailPath) : jailPath;
}

/** Is jailPath on a filesystem the jail creates empty (tmpfs, the minimal /dev)? */
function freshFilesystemAt(jailPath: string, mounts: MountSpec[]): boolean {
  const best = mountCovering(jailPath, mounts);
  if (!best) return false;
  return best.kind === 'tmpfs' || best.kind === 'dev' || (best.kind === 'mount' && best.fstype === 'tmpfs');
}

/**
 * The executable's path inside the jail for argv[0] `name`, given the jail's environment
 * (`NAME=value` strings), its mounts and new root. Throws ProgramLookupError.
 */
export function findProgram(
  name: string, env: string[], where: { mounts: MountSpec[]; root?: string }, host: ProgramHost = nodeProgramHost(),
): string {
  const { mounts, root } = where;
  const check = (jailPath: string): 'ok' | 'missing' | 'noexec' | 'unknown' => {
    // Under a fresh tmpfs (or the minimal /dev) nothing exists at exec time: a PATH entry
    // such as /tmp/x/node_modules/.bin hidden by -t must not be taken as a maybe.
    if (freshFilesystemAt(jailPath, mounts)) return 'missing';
    const hp = hostPathOf(jailPath, mounts, root);
    if (hp === undefined) return 'unknown';
    const st = host.stat(hp);
    if (!st) return 'missing';
    if (st.isDirectory() || !host.executable(hp)) return 'noexec';
    return 'ok';
  };
  if (name === '') throw new ProgramLookupError('not-found', "'' : no such program");
  if (name.includes('/')) {
    let p = name;
    if (!p.startsWith('/')) {
      if (root) throw new ProgramLookupError('relative-under-root', `with a new root the program path must be absolute (got '${name}')`);
      p = path.resolve(host.cwd, p);
    }
    const c = check(p);
    if (c === 'missing') throw new ProgramLookupError('not-found', `${name}: no such file or directory`);
    if (c === 'noexec') throw new ProgramLookupError('not-executable', `${name}: permission denied (not an executable file)`);
    return p;
  }
  let pathVar: string | undefined;
  for (const e of env) if (e.startsWith('PATH=')) pathVar = e.slice(5); // the last one, as the C copy reads it
  pathVar ??= host.envPath ?? DEFAULT_PATH;
  let firstNoExec: string | undefined;
  for (const dir of pathVar.split(':')) {
    if (!dir.startsWith('/')) continue;
    const p = path.join(dir, name);
    const c = check(p);
    if (c === 'ok' || c === 'unknown') return p;
    if (c === 'noexec') firstNoExec ??= p;
  }
  if (firstNoExec) throw new ProgramLookupError('not-executable', `${name}: permission denied (${firstNoExec} is not executable)`);
  throw new ProgramLookupError('not-found', `${name}: command not found`);
}
