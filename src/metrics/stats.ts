/**
 * Summary statistics. Percentiles use linear interpolation between closest ranks, numpy's default
 * (`method='linear'`, R type 7), which `vllm bench serve` uses through np.percentile:
 *   sorted x[0..n-1], h = (n - 1) * p / 100, result = x[floor h] + (h - floor h) * (x[floor h + 1] - x[floor h]).
 * So p0 = min, p100 = max, p50 of an even count = mean of the middle two.
 */

export interface Summary {
  count: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  min: number | null;
  max: number | null;
}

/** p-th percentile (0..100) of values already sorted ascending; null for an empty list. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be in [0, 100], got ${p}`);
  const n = sorted.length;
  if (n === 0) return null;
  const h = ((n - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** p-th percentile of unsorted values (copies and sorts). */
export function percentile(values: readonly number[], p: number): number | null {
  return percentileSorted(Float64Array.from(values).sort(), p);
}

export function summarize(values: readonly number[]): Summary {
  const s = Float64Array.from(values).sort();
  const n = s.length;
  if (n === 0) return { count: 0, mean: null, p50: null, p90: null, p99: null, min: null, max: null };
  let sum = 0;
  for (const v of s) sum += v;
  return { count: n, mean: sum / n, p50: percentileSorted(s, 50), p90: percentileSorted(s, 90), p99: percentileSorted(s, 99), min: s[0]!, max: s[n - 1]! };
}
