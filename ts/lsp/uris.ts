// Document URIs and the paths the policy core sees. The core resolves @include paths against the
// policy's own path, so a document's path is its URI's path (file:, vscode-vfs:, memfs: alike)
// and an included path goes back into a URI of the same scheme and authority.

import { IncludeMap, mapIncludePath } from '../policy/include-map';

/** The path of a URI (percent-decoding undone). */
export function uriPath(uri: string): string {
  try {
    return decodeURIComponent(new URL(uri).pathname);
  } catch {
    return uri;
  }
}

/** The URI of `path` with the scheme and authority of `like`. */
export function pathUri(path: string, like: string): string {
  try {
    const u = new URL(like);
    u.pathname = path;
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return path;
  }
}

/** The directory part of a path, with its trailing slash. */
export function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf('/') + 1);
}

/** `rel` against directory `dir` (both POSIX), `.` and `..` folded. */
export function resolvePath(dir: string, rel: string): string {
  const parts: string[] = [];
  for (const p of (rel.startsWith('/') ? rel : dir + rel).split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return '/' + parts.join('/');
}

/**
 * The include map of the settings: install path (a prefix ends in `/`) -> a path in the workspace,
 * relative ones against the workspace folder's path.
 */
export function settingsIncludeMap(setting: Record<string, string> | undefined, folder: string | undefined): IncludeMap {
  if (!setting || typeof setting !== 'object') return [];
  const out: Array<{ virtual: string; real: string }> = [];
  for (const [virtual, target] of Object.entries(setting)) {
    if (typeof target !== 'string' || virtual === '' || target === '') continue;
    let real = target.startsWith('/') || !folder ? target : resolvePath(folder.endsWith('/') ? folder : folder + '/', target);
    if (virtual.endsWith('/') && !real.endsWith('/')) real += '/';
    out.push({ virtual, real });
  }
  return out;
}

/** Where to read an included path: through the include map. */
export function includeTarget(map: IncludeMap, path: string): string {
  return mapIncludePath(map, path);
}
