// Include path resolution, shared by scanIncludes (what the host must fetch) and compile
// (which file of the set an @include means), so both always agree on the exact string.
//
// minijail's Python compiler resolves `./x` against the including file's directory and takes
// `/x` as is; `../x` is not a path token at all, but `./../x` works. We keep those rules and
// normalise `.` and `..` segments so the same file is always spelled the same way (which is
// what cycle detection compares).

/** `path` with `.` segments, empty segments and resolvable `..` segments removed. */
export function normalizePath(path: string): string {
  const absolute = path.startsWith('/');
  const parts = path.split('/');
  const out = new Array<string>();
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.length == 0 || p == '.') continue;
    if (p == '..') {
      if (out.length > 0 && out[out.length - 1] != '..') { out.pop(); continue; }
      // Above the root of an absolute path stays at the root; a relative path keeps it.
      if (absolute) continue;
    }
    out.push(p);
  }
  const joined = out.join('/');
  if (absolute) return '/' + joined;
  return joined.length > 0 ? joined : '.';
}

/** The directory part of a path ('' for a bare file name). */
export function dirName(path: string): string {
  const slash = path.lastIndexOf('/');
  if (slash < 0) return '';
  if (slash == 0) return '/';
  return path.substring(0, slash);
}

/** What `@include written` in file `from` names. `written` starts with `/` or `./`. */
export function resolveIncludePath(from: string, written: string): string {
  if (written.startsWith('/')) return normalizePath(written);
  const dir = dirName(from);
  if (dir.length == 0) return normalizePath(written);
  return normalizePath(dir + '/' + written);
}
