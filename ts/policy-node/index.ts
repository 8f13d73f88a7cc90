// Node-only helpers for the policy API: @include files from the file system, through an
// include map. Kept out of ts/policy so that stays browser-safe.

import { readFile } from 'fs/promises';
import { CompileOptions, CompileResult, FileResolver, compilePolicy } from '../policy/index';
import { describeFsError } from '../node/system-errors';
import { IncludeMap, mapIncludePath } from '../policy/include-map';

export type { IncludeMap } from '../policy/include-map';
export { parseIncludeMap, mapIncludePath } from '../policy/include-map';

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
