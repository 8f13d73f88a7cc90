// System errors in words, for messages a person reads: the CLI's one-line failures, and the
// include resolver's (ts/policy-node). Node-only (it reads libuv's error table).

import { getSystemErrorMap } from 'util';

/** strerror(3) for an errno (either sign): "operation not permitted", or "error N" when unknown. */
export function strerror(errno: number): string {
  return getSystemErrorMap().get(-Math.abs(errno))?.[1] ?? `error ${errno}`;
}

/** "no such file or directory" rather than Node's "ENOENT: no such file..., open 'x'". */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT': return 'no such file or directory';
    case 'ENOTDIR': return 'a path component is not a directory';
    case 'EISDIR': return 'is a directory';
    case 'EACCES': return 'permission denied';
    case 'EPERM': return 'operation not permitted';
    default: {
      // Any other errno: its strerror text and name (ENOSPC -> "no space left on device
      // (ENOSPC)"), not Node's "ENOSPC: no space left on device, write".
      const known = typeof err.errno === 'number' ? getSystemErrorMap().get(-Math.abs(err.errno)) : undefined;
      if (known && err.code === known[0]) return `${known[1]} (${known[0]})`;
      return err.message ?? String(e);
    }
  }
}
