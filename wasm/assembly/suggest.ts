// "did you mean X?" for unknown names (syscalls, constants, actions; the host's arch and syscall
// names through the rankNames export). Runs only on the error path, so a linear scan over the
// table is fine; the banded edit distance keeps each comparison cheap.

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

/**
 * The candidates close enough to `name` to be a plausible typo, best first, at most `count`: a
 * case-only difference first (it always counts), then by edit distance, at most about one edit
 * per four characters (at least one); ties keep the candidates' order. The one threshold of
 * every "did you mean" (the host's too, through the rankNames export).
 */
export function rankNames(name: string, candidates: string[], count: i32): string[] {
  const limit = max(1, name.length / 4);
  // The best `count` so far, sorted by key (-1: case-only difference, else the distance).
  const keys = new Array<i32>();
  const picked = new Array<string>();
  if (count <= 0) return picked;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (c.length == 0) continue;
    const full = keys.length == count;
    // What a candidate must beat to enter: ties lose to earlier candidates.
    const cutoff = full ? keys[keys.length - 1] - 1 : limit;
    if (cutoff < -1) break;
    let key = editDistance(name, c, 0, true) == 0 ? -1 : limit + 1;
    if (key > cutoff && cutoff >= 0) key = editDistance(name, c, cutoff);
    if (key > cutoff) continue;
    // Insert in order (after equal keys), dropping the worst when over `count`.
    keys.push(key);
    picked.push(c);
    let at = keys.length - 1;
    while (at > 0 && keys[at - 1] > key) {
      keys[at] = keys[at - 1];
      picked[at] = picked[at - 1];
      at--;
    }
    keys[at] = key;
    picked[at] = c;
    if (keys.length > count) { keys.pop(); picked.pop(); }
  }
  return picked;
}

/** The closest candidate to `name`, or '' when none is close enough to be a plausible typo. */
export function closest(name: string, candidates: string[]): string {
  const best = rankNames(name, candidates, 1);
  return best.length > 0 ? best[0] : '';
}

/** `; did you mean "x"?` for a suggestion `x`, or '' for none (the tail of a diagnostic message). */
export function didYouMeanText(suggestion: string): string {
  return suggestion.length > 0 ? '; did you mean "' + suggestion + '"?' : '';
}

/** The title of the fix that replaces a name with `suggestion`. */
export function replaceTitle(suggestion: string): string {
  return 'Change to "' + suggestion + '"';
}
