// "did you mean X?" for unknown syscall and constant names. Runs only on the error path, so a
// linear scan over the table is fine; the banded edit distance keeps each comparison cheap.

function lower(c: i32): i32 { return c >= 65 && c <= 90 ? c + 32 : c; }

/**
 * Optimal-string-alignment distance between a and b (case differences cost 0 when
 * `foldCase`), or limit + 1 as soon as it must exceed `limit`.
 */
export function editDistance(a: string, b: string, limit: i32, foldCase: bool = false): i32 {
  const n = a.length, m = b.length;
  if (abs(n - m) > limit) return limit + 1;
  let prev2 = new Int32Array(m + 1);
  let prev = new Int32Array(m + 1);
  let cur = new Int32Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = i;
    const ca = foldCase ? lower(a.charCodeAt(i - 1)) : a.charCodeAt(i - 1);
    for (let j = 1; j <= m; j++) {
      const cb = foldCase ? lower(b.charCodeAt(j - 1)) : b.charCodeAt(j - 1);
      const cost = ca == cb ? 0 : 1;
      let v = min(min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
      if (i > 1 && j > 1) {
        const pa = foldCase ? lower(a.charCodeAt(i - 2)) : a.charCodeAt(i - 2);
        const pb = foldCase ? lower(b.charCodeAt(j - 2)) : b.charCodeAt(j - 2);
        if (ca == pb && pa == cb) v = min(v, prev2[j - 2] + 1);
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    const t = prev2; prev2 = prev; prev = cur; cur = t;
  }
  return prev[m];
}

/** The closest candidate to `name`, or '' when none is close enough to be a plausible typo. */
export function closest(name: string, candidates: string[]): string {
  // Allow about one edit per four characters, at least one; a case-only difference always counts.
  const limit = max(1, name.length / 4);
  let best = '';
  let bestDist = limit + 1;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (editDistance(name, c, 0, true) == 0) return c;
    const d = editDistance(name, c, bestDist - 1 < limit ? bestDist - 1 : limit);
    if (d < bestDist) { bestDist = d; best = c; }
  }
  return bestDist <= limit ? best : '';
}

/** `; did you mean "x"?` or '' (the tail of a diagnostic message). */
export function didYouMean(name: string, candidates: string[]): string {
  const s = closest(name, candidates);
  return s.length > 0 ? '; did you mean "' + s + '"?' : '';
}
