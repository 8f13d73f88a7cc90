// Summary statistics for timing samples, and the clock they are taken with.

export interface Summary {
  n: number;
  median: number;
  mean: number;
  p95: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile (p in 0..100) of an already sorted list. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n === 0 ? NaN : n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return {
    n,
    median,
    mean: n === 0 ? NaN : s.reduce((a, b) => a + b, 0) / n,
    p95: percentile(s, 95),
    min: n === 0 ? NaN : s[0],
    max: n === 0 ? NaN : s[n - 1],
  };
}

export const mean = (l: number[]): number => (l.length === 0 ? NaN : l.reduce((a, b) => a + b, 0) / l.length);

/** Microseconds since an arbitrary origin, with nanosecond resolution. */
export function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1e3;
}

/** Fixed-precision number for tables; '-' for missing values. */
export function fmt(v: number | undefined | null, digits = 2): string {
  if (v === undefined || v === null || Number.isNaN(v)) return '-';
  return v.toFixed(digits);
}
