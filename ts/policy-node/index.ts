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
    let bytes: Buffer;
    try {
      bytes = await readFile(real);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (real !== path) throw new Error(`${real} (mapped from ${path}): ${describeFsError(e)}`);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new Error(`${real}: ${describeFsError(e)}`);
    }
    return decodePolicyFile(real === path ? real : `${real} (mapped from ${path})`, bytes);
  };
}

/** Where bytes stop being policy text: the first offending byte, located. */
export interface BadPolicyByte {
  offset: number;
  byte: number;
  /** 1-based line and column (UTF-16 units, as diagnostics count them). */
  line: number;
  column: number;
  what: 'binary data' | 'invalid UTF-8';
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when it is not one. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  let n: number;
  let min: number;
  if (c >= 0xc2 && c <= 0xdf) [n, min] = [2, 0x80];
  else if (c >= 0xe0 && c <= 0xef) [n, min] = [3, 0x800];
  else if (c >= 0xf0 && c <= 0xf4) [n, min] = [4, 0x10000];
  else return 0;
  if (i + n > b.length) return 0;
  let cp = c & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) {
    if ((b[i + k] & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (b[i + k] & 0x3f);
  }
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
  return cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ? 0 : n;
}

/**
 * The first byte that cannot be in a policy file: a control character other than tab,
 * newline, vertical tab, form feed and carriage return (NUL among them), or a byte that is
 * not valid UTF-8. Decoding would silently turn the latter into U+FFFD, and binary data
 * would otherwise be reported (and echoed) as one "invalid token" per line.
 */
export function badPolicyByte(bytes: Uint8Array): BadPolicyByte | undefined {
  let lineStart = 0;
  let line = 1;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    let what: BadPolicyByte['what'] | undefined;
    let n = 1;
    if ((b < 0x20 && (b < 0x09 || b > 0x0d)) || b === 0x7f) what = 'binary data';
    else if ((n = utf8SequenceLength(bytes, i)) === 0) what = 'invalid UTF-8';
    if (what) {
      const column = Buffer.from(bytes.subarray(lineStart, i)).toString('utf8').length + 1;
      return { offset: i, byte: b, line, column, what };
    }
    if (b === 0x0a) {
      line++;
      lineStart = i + 1;
    }
    i += n;
  }
  return undefined;
}

/** One line for a file that is not policy text: `file:line:col: not a policy: ...`. */
export function describeBadPolicyByte(shown: string, bad: BadPolicyByte): string {
  const byte = `0x${bad.byte.toString(16).padStart(2, '0')}`;
  return `${shown}:${bad.line}:${bad.column}: not a policy: ${bad.what} (byte ${byte} at offset ${bad.offset})`;
}

/** Policy text from file bytes; an Error located at the first byte that cannot be policy text. */
export function decodePolicyFile(shown: string, bytes: Uint8Array): string {
  const bad = badPolicyByte(bytes);
  if (bad) throw new Error(describeBadPolicyByte(shown, bad));
  return Buffer.from(bytes).toString('utf8');
}

export interface CompileFileOptions extends Omit<CompileOptions, 'path' | 'files'> {
  includeMap?: IncludeMap;
}

/** Read a policy file and compile it with its @include files from disk (through `includeMap`). */
export async function compilePolicyFile(file: string, options: CompileFileOptions): Promise<CompileResult> {
  const text = decodePolicyFile(file, await readFile(file));
  const { includeMap, ...rest } = options;
  return compilePolicy(text, { ...rest, path: file, files: fileResolver(includeMap ?? []) });
}
