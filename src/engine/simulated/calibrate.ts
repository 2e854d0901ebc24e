/**
 * Calibration of the simulated backend's roofline (cost-model.ts) to timings measured on the local GPU.
 *
 * Model of one measured sample i (a kernel, or a whole step) doing F_i FLOPs, moving B_i bytes and
 * recording k_i dispatches:
 *
 *   t_i = max(a · F_i, b · B_i) + c · k_i        a = 1 / achieved FLOP/s, b = 1 / achieved bytes/s,
 *                                                c = fixed cost per dispatch (launch / pass overhead)
 *
 * The max makes the fit piecewise linear: a sample is compute-bound when its arithmetic intensity
 * I_i = F_i / B_i is above the ridge point b / a, memory-bound below it. So, with the samples sorted by
 * intensity, every candidate split (the lowest-intensity k samples memory-bound, the rest compute-bound)
 * is a weighted linear least-squares problem in (a, b, c); each is solved (3x3 normal equations), scored
 * with the max model itself, and the best split wins. Weights are 1 / t_i, so the fit minimises the
 * relative error and a 10 µs kernel counts as much as a 10 ms one. A regime with fewer than two samples
 * is not identified (its rate is reported as null, never guessed), and on equal error the split with
 * fewer identified regimes wins (all-memory-bound data does not invent a compute rate).
 *
 * Efficiency factors need the GPU's peaks, which WebGPU does not report: the caller must give them with
 * their source (a datasheet, or a measured microbenchmark). WGSL has no tensor cores, so the right peak
 * for a local fit is the GPU's plain FP32 rate (e.g. H100 SXM: 67 TFLOP/s), not the BF16 tensor figure the
 * simulated presets (gpu-specs.ts) use. For an unknown GPU (SwiftShader, most laptops) leave the peaks
 * out: the fit then reports the achieved FLOP/s and bytes/s themselves.
 */
import type { Efficiency } from './gpu-specs';

export interface TimingSample {
  /** What was timed (a kernel label, or a step shape). */
  label?: string;
  flops: number;
  bytes: number;
  ms: number;
  /** Dispatches (or passes) the time includes; 0 or absent when the overhead term does not apply. */
  dispatches?: number;
}

export interface Peaks {
  /** Peak FLOP/s at the precision the measured kernels use. */
  flops: number;
  /** Peak memory bandwidth, bytes/s. */
  bandwidth: number;
  /** Where the figures come from (datasheet, microbenchmark ...). */
  source: string;
}

export interface RooflineFit {
  /** FLOP/s the compute-bound samples reach (1 / a); null when fewer than two samples are compute-bound. */
  achievedFlops: number | null;
  /** Bytes/s the memory-bound samples reach (1 / b); null when fewer than two are memory-bound. */
  achievedBandwidth: number | null;
  /** Fixed ms per dispatch (c); 0 when not fitted. */
  overheadMsPerDispatch: number;
  /** Ridge point b / a in FLOP/byte, when both rates are known. */
  ridgeFlopsPerByte: number | null;
  numSamples: number;
  numComputeBound: number;
  numMemoryBound: number;
  /** Root mean square of (predicted - measured) / measured over the samples. */
  rmsRelError: number;
  /** e_c = achievedFlops / peak, e_m = achievedBandwidth / peak (null where a rate is not identified). */
  efficiency: { compute: number | null; memory: number | null } | null;
  peaks: Peaks | null;
}

export interface FitOptions {
  peaks?: Peaks;
  /** Fit the per-dispatch overhead c (default: when any sample has dispatches > 0). */
  fitOverhead?: boolean;
  /** Fewest samples that identify a regime's rate; default 2. */
  minPerRegime?: number;
}

/** Solves the n x n system M x = v (n <= 3) by Gaussian elimination with partial pivoting; null if singular. */
function solve(M: number[][], v: number[]): number[] | null {
  const n = v.length;
  const A = M.map((row, i) => [...row, v[i]!]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(A[r]![col]!) > Math.abs(A[piv]![col]!)) piv = r;
    const scale = Math.max(...A.map((r) => Math.abs(r[col]!)), 1e-300);
    if (Math.abs(A[piv]![col]!) <= 1e-12 * scale) return null;
    [A[col], A[piv]] = [A[piv]!, A[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = A[r]![col]! / A[col]![col]!;
      for (let k = col; k <= n; k++) A[r]![k]! -= f * A[col]![k]!;
    }
  }
  return A.map((row, i) => row[n]! / row[i]!);
}

interface Candidate {
  a: number | null;
  b: number | null;
  c: number;
  sse: number;
  numCompute: number;
  numMemory: number;
}

/**
 * Weighted least squares of t = a·F·[compute] + b·B·[memory] + c·k with weights w = 1/t², scaling each
 * column to unit size first (FLOPs and bytes are ~1e9, ms ~1: the normal equations would be singular
 * in floating point otherwise). Returns null when a coefficient comes out <= 0 (a, b) or < 0 (c).
 */
function leastSquares(samples: readonly TimingSample[], isCompute: readonly boolean[], useA: boolean, useB: boolean, useC: boolean): { a: number | null; b: number | null; c: number } | null {
  const cols: Array<(s: TimingSample, i: number) => number> = [];
  if (useA) cols.push((s, i) => (isCompute[i] ? s.flops : 0));
  if (useB) cols.push((s, i) => (isCompute[i] ? 0 : s.bytes));
  if (useC) cols.push((s) => s.dispatches ?? 0);
  const n = cols.length;
  if (n === 0) return null;
  const scale = cols.map((f) => Math.max(...samples.map((s, i) => Math.abs(f(s, i))), 1e-300));
  const M = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const v = new Array<number>(n).fill(0);
  samples.forEach((s, i) => {
    const w = 1 / (s.ms * s.ms);
    const x = cols.map((f, j) => f(s, i) / scale[j]!);
    for (let p = 0; p < n; p++) {
      v[p]! += w * x[p]! * s.ms;
      for (let q = 0; q < n; q++) M[p]![q]! += w * x[p]! * x[q]!;
    }
  });
  const sol = solve(M, v);
  if (!sol) return null;
  const coef = sol.map((x, j) => x / scale[j]!);
  let j = 0;
  const a = useA ? coef[j++]! : null;
  const b = useB ? coef[j++]! : null;
  const c = useC ? coef[j++]! : 0;
  if ((a !== null && !(a > 0)) || (b !== null && !(b > 0)) || !(c >= 0)) return null;
  return { a, b, c };
}

function predict(s: TimingSample, a: number | null, b: number | null, c: number): number {
  return Math.max(a === null ? 0 : a * s.flops, b === null ? 0 : b * s.bytes) + c * (s.dispatches ?? 0);
}

/** Fits the roofline to measured samples (see the file comment). Throws on unusable input. */
export function fitRoofline(samples: readonly TimingSample[], opts: FitOptions = {}): RooflineFit {
  for (const s of samples) {
    if (!(s.ms > 0) || !Number.isFinite(s.ms)) throw new RangeError(`calibrate: sample ${s.label ?? ''} has ms = ${s.ms}; timings must be finite and > 0`);
    if (!(s.flops >= 0) || !(s.bytes >= 0) || !(s.flops + s.bytes > 0)) throw new RangeError(`calibrate: sample ${s.label ?? ''} needs FLOPs and bytes >= 0, not both 0`);
  }
  const minPer = opts.minPerRegime ?? 2;
  if (samples.length < minPer) throw new RangeError(`calibrate: ${samples.length} sample(s); at least ${minPer} are needed`);
  const fitC = opts.fitOverhead ?? samples.some((s) => (s.dispatches ?? 0) > 0);
  // Sort by arithmetic intensity; a split k puts the k least intense samples in the memory-bound regime.
  const sorted = [...samples].sort((x, y) => x.flops / Math.max(x.bytes, 1e-300) - y.flops / Math.max(y.bytes, 1e-300));
  let best: Candidate | null = null;
  for (let k = 0; k <= sorted.length; k++) {
    const numMemory = k;
    const numCompute = sorted.length - k;
    const useB = numMemory >= minPer;
    const useA = numCompute >= minPer;
    if (!useA && !useB) continue;
    // A regime too small to identify is left out of the fit entirely (its samples get the other rate).
    if ((!useA && numCompute > 0) || (!useB && numMemory > 0)) continue;
    const isCompute = sorted.map((_, i) => i >= k);
    const fits = [fitC ? leastSquares(sorted, isCompute, useA, useB, true) : null, leastSquares(sorted, isCompute, useA, useB, false)];
    for (const f of fits) {
      if (!f) continue;
      let sse = 0;
      for (const s of sorted) {
        const r = (predict(s, f.a, f.b, f.c) - s.ms) / s.ms;
        sse += r * r;
      }
      const regimes = (useA ? 1 : 0) + (useB ? 1 : 0);
      const bestRegimes = best ? (best.a !== null ? 1 : 0) + (best.b !== null ? 1 : 0) : 0;
      const tol = 1e-9 * sorted.length;
      if (!best || sse < best.sse - tol || (Math.abs(sse - best.sse) <= tol && regimes < bestRegimes)) {
        best = { ...f, sse, numCompute: useA ? numCompute : 0, numMemory: useB ? numMemory : 0 };
      }
    }
  }
  if (!best) throw new RangeError('calibrate: no consistent fit (every candidate gave a non-positive rate); the samples do not follow a roofline');
  const achievedFlops = best.a === null ? null : 1e3 / best.a; // a is ms per FLOP
  const achievedBandwidth = best.b === null ? null : 1e3 / best.b;
  const peaks = opts.peaks ?? null;
  return {
    achievedFlops,
    achievedBandwidth,
    overheadMsPerDispatch: best.c,
    ridgeFlopsPerByte: achievedFlops !== null && achievedBandwidth !== null ? achievedFlops / achievedBandwidth : null,
    numSamples: samples.length,
    numComputeBound: best.numCompute,
    numMemoryBound: best.numMemory,
    rmsRelError: Math.sqrt(best.sse / samples.length),
    efficiency: peaks
      ? { compute: achievedFlops === null ? null : achievedFlops / peaks.flops, memory: achievedBandwidth === null ? null : achievedBandwidth / peaks.bandwidth }
      : null,
    peaks,
  };
}

/** The cost model's efficiency from a fit, keeping `fallback` for a regime the samples did not identify. */
export function fittedEfficiency(fit: RooflineFit, fallback: Efficiency): Efficiency | null {
  if (!fit.efficiency) return null;
  return { compute: fit.efficiency.compute ?? fallback.compute, memory: fit.efficiency.memory ?? fallback.memory };
}
