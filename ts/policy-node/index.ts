// Node-only helpers for the policy API: @include files from the file system, through an
// include map. Kept out of ts/policy so that stays browser-safe.

import { readFile } from 'fs/promises';
import { CompileOptions, CompileResult, FileResolver, compilePolicy } from '../policy/index';
import { describeFsError } from '../node/system-errors';

/**
 * An include map: a path as the core resolves it from @include/@frequency -> the file to
 * read. A VIRTUAL ending in '/' maps every path under it (longest prefix wins; exact
 * entries win over prefixes), so `/usr/share/policy/crosvm/=./seccomp/` works.
 */
export type IncludeMap = ReadonlyArray<{ virtual: string; real: string }>;

/** Parse `VIRTUAL=REAL` specs (as given to --include-map). Throws TypeError naming the bad spec. */
export function parseIncludeMap(specs: readonly string[]): IncludeMap {
  return specs.map((spec) => {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) {
      throw new TypeError(`include map entry "${spec}" must look like VIRTUAL=REAL (e.g. /usr/share/policy/x.policy=./x.policy)`);
    }
    const virtual = spec.slice(0, eq);
    const real = spec.slice(eq + 1);
    // A prefix maps onto a directory, whether or not REAL was written with its slash.
    return { virtual, real: virtual.endsWith('/') && !real.endsWith('/') ? real + '/' : real };
  });
}

/** The file to read for a path named by an @include, or the path itself when nothing maps it. */
export function mapIncludePath(map: IncludeMap, path: string): string {
  let best: { virtual: string; real: string } | undefined;
  for (const e of map) {
    if (e.virtual === path) return e.real;
    if (e.virtual.endsWith('/') && path.startsWith(e.virtual) && (!best || e.virtual.length > best.virtual.length)) best = e;
  }
  return best ? best.real + path.slice(best.virtual.length) : path;
}

/**
 * A resolver reading included files from disk. A path that does not exist resolves to
 * undefined (the core then reports it at the @include line); a file that exists but cannot
 * be read, or a mapped target that is missing, is an error naming the real path.
 */
export function fileResolver(map: IncludeMap = []): FileResolver {
  return async (path: string) => {
    const real = mapIncludePath(map, path);
    try {
      return await readFile(real, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (real !== path) throw new Error(`${real} (mapped from ${path}): ${describeFsError(e)}`);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new Error(`${real}: ${describeFsError(e)}`);
    }
  };
}

export interface CompileFileOptions extends Omit<CompileOptions, 'path' | 'files'> {
  includeMap?: IncludeMap;
}

/** Read a policy file and compile it with its @include files from disk (through `includeMap`). */
export async function compilePolicyFile(file: string, options: CompileFileOptions): Promise<CompileResult> {
  const text = await readFile(file, 'utf8');
  const { includeMap, ...rest } = options;
  return compilePolicy(text, { ...rest, path: file, files: fileResolver(includeMap ?? []) });
}
