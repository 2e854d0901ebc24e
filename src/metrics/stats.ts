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

/** Median of unsorted values (the mean of the middle two for an even count); NaN for an empty list. */
export function median(values: readonly number[]): number {
  return percentile(values, 50) ?? NaN;
}

/** p-th percentile of unsorted values (copies and sorts). */
export function percentile(values: readonly number[], p: number): number | null {
  return percentileSorted(Float64Array.from(values).sort(), p);
}

/**
 * k-th smallest value (0-based) of `a`, reordering `a` in place so that a[0..k-1] <= a[k] <= a[k+1..]
 * (Hoare's quickselect, median-of-three pivot; equal values split evenly, so constant data stays O(n)).
 */
export function selectKth(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const x = a[lo]!, y = a[(lo + hi) >>> 1]!, z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    // Now a[lo..j] <= pivot <= a[i..hi], and everything strictly between j and i equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** Percentile by selection (same numpy-linear result as percentileSorted, O(n) instead of a sort). */
function percentileSelect(a: Float64Array, p: number): number {
  const n = a.length;
  const h = ((n - 1) * p) / 100;
  const lo = Math.floor(h);
  const v0 = selectKth(a, lo);
  if (h === lo) return v0;
  // After selecting lo, a[lo+1..] are all >= v0: the next order statistic is their minimum.
  let v1 = Infinity;
  for (let i = lo + 1; i < n; i++) if (a[i]! < v1) v1 = a[i]!;
  return v0 + (h - lo) * (v1 - v0);
}

/** Summary of `values` (not modified; a Float64Array is copied too). Values must not be NaN. */
export function summarize(values: readonly number[] | Float64Array): Summary {
  const s = Float64Array.from(values);
  const n = s.length;
  if (n === 0) return { count: 0, mean: null, p50: null, p90: null, p99: null, min: null, max: null };
  let sum = 0, min = Infinity, max = -Infinity;
  for (const v of s) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { count: n, mean: sum / n, p50: percentileSelect(s, 50), p90: percentileSelect(s, 90), p99: percentileSelect(s, 99), min, max };
}
