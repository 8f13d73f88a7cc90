// In-place ascending sort of plain numbers, with no comparator function.
//
// Array#sort takes its comparator as a function reference and calls it indirectly for every
// comparison, which the optimizer cannot inline; the core's sorts (syscall lists by number,
// cut points, packed (key << 32 | index) pairs) sort plain numbers, where `<` says it all.
// For numbers the result is the one any correct sort gives, so callers that sorted with a
// comparator get the same arrays.

/** Below this many items insertion sort beats merging. */
const SMALL: i32 = 16;

export function sortNumbers<T>(a: T[]): void {
  if (!isInteger<T>() && !isFloat<T>()) ERROR("sortNumbers sorts numbers");
  const n = a.length;
  if (n < 2) return;
  const p = a.dataStart;
  if (n <= SMALL) { insertion<T>(p, 0, n); return; }
  // Bottom-up merge sort over runs of SMALL sorted by insertion.
  for (let s = 0; s < n; s += SMALL) insertion<T>(p, s, min(s + SMALL, n));
  const tmp = new StaticArray<T>(n);
  let src = p;
  let dst = changetype<usize>(tmp);
  for (let width = SMALL; width < n; width <<= 1) {
    for (let lo = 0; lo < n; lo += width << 1) {
      const mid = min(lo + width, n);
      const hi = min(lo + (width << 1), n);
      merge<T>(src, dst, lo, mid, hi);
    }
    const t = src; src = dst; dst = t;
  }
  if (src != p) memory.copy(p, src, <usize>n << alignof<T>());
}

// @ts-ignore: decorator
@inline function at<T>(p: usize, i: i32): T { return load<T>(p + (<usize>i << alignof<T>())); }
// @ts-ignore: decorator
@inline function put<T>(p: usize, i: i32, v: T): void { store<T>(p + (<usize>i << alignof<T>()), v); }

function insertion<T>(p: usize, lo: i32, hi: i32): void {
  for (let i = lo + 1; i < hi; i++) {
    const v = at<T>(p, i);
    let j = i - 1;
    while (j >= lo && at<T>(p, j) > v) { put<T>(p, j + 1, at<T>(p, j)); j--; }
    put<T>(p, j + 1, v);
  }
}

/** Merge sorted src[lo..mid) and src[mid..hi) into dst[lo..hi). */
function merge<T>(src: usize, dst: usize, lo: i32, mid: i32, hi: i32): void {
  let i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    const x = at<T>(src, i), y = at<T>(src, j);
    // `y < x` takes from the right only when strictly smaller: equal items keep their order.
    if (y < x) { put<T>(dst, k++, y); j++; } else { put<T>(dst, k++, x); i++; }
  }
  while (i < mid) put<T>(dst, k++, at<T>(src, i++));
  while (j < hi) put<T>(dst, k++, at<T>(src, j++));
}
