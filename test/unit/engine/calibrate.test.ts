// The roofline fit of the calibration mode on synthetic samples with known answers.
import { describe, expect, test } from 'vitest';
import { fitRoofline, fittedEfficiency, type TimingSample } from '../../../src/engine/simulated/calibrate';
import { mulberry32 } from '../../util/rng';

const FLOPS = 10e12; // true achieved FLOP/s
const BW = 1e12; // true achieved bytes/s (ridge at 10 FLOP/byte)
const OVERHEAD_MS = 0.005;

/** Matmul-shaped samples (M x 1024 x 1024, f32): intensity ~ M/2, so M below ~20 is memory-bound. */
function samples(ms: number[], opts: { noise?: number; dispatches?: number; flops?: number; bw?: number; overhead?: number } = {}): TimingSample[] {
  const rnd = mulberry32(5);
  return ms.map((M) => {
    const N = 1024, K = 1024;
    const flops = 2 * M * N * K;
    const bytes = 4 * (N * K + M * K + M * N);
    const d = opts.dispatches ?? 4;
    const t = Math.max(flops / (opts.flops ?? FLOPS), bytes / (opts.bw ?? BW)) * 1e3 + (opts.overhead ?? OVERHEAD_MS) * d;
    const noise = opts.noise ? 1 + opts.noise * (2 * rnd() - 1) : 1;
    return { label: `M=${M}`, flops, bytes, ms: t * noise, dispatches: d };
  });
}

const MS = [1, 2, 4, 8, 13, 32, 64, 100, 256, 512, 1000];

describe('fitRoofline', () => {
  test('recovers compute rate, bandwidth and per-dispatch overhead exactly from noiseless samples of both regimes', () => {
    const data = samples(MS, { dispatches: 4 });
    // Vary the dispatch counts so the overhead is identifiable apart from the rates.
    data.forEach((s, i) => {
      const d = 1 + (i % 5);
      s.ms += (d - 4) * OVERHEAD_MS;
      s.dispatches = d;
    });
    const fit = fitRoofline(data);
    expect(fit.achievedFlops! / FLOPS).toBeCloseTo(1, 6);
    expect(fit.achievedBandwidth! / BW).toBeCloseTo(1, 6);
    expect(fit.overheadMsPerDispatch).toBeCloseTo(OVERHEAD_MS, 8);
    expect(fit.ridgeFlopsPerByte! / 10).toBeCloseTo(1, 5);
    expect(fit.numComputeBound + fit.numMemoryBound).toBe(MS.length);
    expect(fit.numMemoryBound).toBe(MS.filter((m) => m < 20).length);
    expect(fit.rmsRelError).toBeLessThan(1e-9);
    expect(fit.efficiency).toBeNull();
  });

  test('with ±5% noise the rates come back within 5%', () => {
    // Shapes and dispatch counts vary independently, so rates and overhead are separately identifiable.
    const rnd = mulberry32(9);
    const data: TimingSample[] = Array.from({ length: 60 }, (_, i) => {
      const M = Math.round(1.15 ** (i % 45));
      const N = [512, 1024, 2048][i % 3]!;
      const K = [768, 1536][i % 2]!;
      const d = 1 + ((i * 7) % 6);
      const flops = 2 * M * N * K;
      const bytes = 4 * (N * K + M * K + M * N);
      const t = Math.max(flops / FLOPS, bytes / BW) * 1e3 + OVERHEAD_MS * d;
      return { flops, bytes, ms: t * (1 + 0.05 * (2 * rnd() - 1)), dispatches: d };
    });
    const fit = fitRoofline(data);
    expect(Math.abs(fit.achievedFlops! / FLOPS - 1)).toBeLessThan(0.05);
    expect(Math.abs(fit.achievedBandwidth! / BW - 1)).toBeLessThan(0.05);
    expect(Math.abs(fit.overheadMsPerDispatch / OVERHEAD_MS - 1)).toBeLessThan(0.25);
    // Uniform ±5% noise has an rms of 5%/sqrt(3) = 2.9%.
    expect(fit.rmsRelError).toBeLessThan(0.04);
  });

  test('efficiency factors against given peaks: e = achieved / peak', () => {
    const peaks = { flops: 40e12, bandwidth: 2e12, source: 'test spec' };
    const fit = fitRoofline(samples(MS, { overhead: 0 }), { peaks, fitOverhead: false });
    expect(fit.efficiency!.compute!).toBeCloseTo(0.25, 6);
    expect(fit.efficiency!.memory!).toBeCloseTo(0.5, 6);
    expect(fit.overheadMsPerDispatch).toBe(0);
    expect(fit.peaks).toEqual(peaks);
    expect(fittedEfficiency(fit, { compute: 0.6, memory: 0.8 })).toEqual({ compute: fit.efficiency!.compute, memory: fit.efficiency!.memory });
  });

  test('all samples memory-bound: bandwidth fitted, compute rate not invented', () => {
    const fit = fitRoofline(samples([1, 2, 3, 4, 6, 8], { overhead: 0 }), { fitOverhead: false, peaks: { flops: 1e13, bandwidth: 2e12, source: 'x' } });
    expect(fit.achievedFlops).toBeNull();
    expect(fit.achievedBandwidth! / BW).toBeCloseTo(1, 6);
    expect(fit.numComputeBound).toBe(0);
    expect(fit.efficiency!.compute).toBeNull();
    // The cost model keeps its default where the fit says nothing.
    expect(fittedEfficiency(fit, { compute: 0.6, memory: 0.8 })).toEqual({ compute: 0.6, memory: fit.efficiency!.memory });
  });

  test('all samples compute-bound: FLOP/s fitted, bandwidth null', () => {
    const fit = fitRoofline(samples([128, 256, 512, 1024], { overhead: 0 }), { fitOverhead: false });
    expect(fit.achievedBandwidth).toBeNull();
    expect(fit.achievedFlops! / FLOPS).toBeCloseTo(1, 6);
  });

  test('overhead-dominated samples (tiny kernels): the per-dispatch cost is found', () => {
    // Dispatch counts independent of the (tiny) byte counts.
    const data = [3, 1, 4, 1, 5, 2].map((d, i) => ({ flops: 1000 * (7 - i), bytes: 4e5 * (i + 1), ms: 0.02 * d + ((4e5 * (i + 1)) / BW) * 1e3, dispatches: d }));
    const fit = fitRoofline(data);
    expect(fit.overheadMsPerDispatch).toBeCloseTo(0.02, 6);
    expect(fit.achievedBandwidth! / BW).toBeCloseTo(1, 4);
  });

  test('rejects unusable input with the reason', () => {
    expect(() => fitRoofline([{ flops: 1, bytes: 1, ms: 0 }, { flops: 1, bytes: 1, ms: 1 }])).toThrow(/ms = 0/);
    expect(() => fitRoofline([{ flops: 0, bytes: 0, ms: 1 }, { flops: 1, bytes: 1, ms: 1 }])).toThrow(/not both 0/);
    expect(() => fitRoofline([{ flops: 1, bytes: 1, ms: 1 }])).toThrow(/at least 2/);
  });
});
