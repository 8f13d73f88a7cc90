// Include maps: where to read a path that an @include/@frequency names (an install path such as
// /usr/share/policy/crosvm/) from. No file access here, so the CLI (ts/policy-node) and the
// language server (Node and web worker) share it.

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
