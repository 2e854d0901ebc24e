import { describe, expect, it } from 'vitest';
import { percentile, summarize } from '../../../src/metrics/index';

describe('percentiles (numpy linear: h = (n-1) p/100, interpolate between floor h and floor h + 1)', () => {
  it('matches numpy.percentile on known cases', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5); // h = 1.5 -> 2 + 0.5 * 1
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBeCloseTo(9.1, 12); // h = 8.1 -> 9 + 0.1
    expect(percentile([15, 20, 35, 40, 50], 40)).toBeCloseTo(29, 12); // h = 1.6 -> 20 + 0.6 * 15
    expect(percentile([50, 15, 40, 20, 35], 40)).toBeCloseTo(29, 12); // order does not matter
    expect(percentile([3, 1, 2], 0)).toBe(1);
    expect(percentile([3, 1, 2], 100)).toBe(3);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('summarize: count, mean, p50/p90/p99, min, max; nulls when empty', () => {
    // [10, 20, 30, 40]: mean 25, p50 h=1.5 -> 25, p90 h=2.7 -> 37, p99 h=2.97 -> 39.7
    const s = summarize([40, 10, 30, 20]);
    expect(s).toEqual({ count: 4, mean: 25, p50: 25, p90: expect.closeTo(37, 12), p99: expect.closeTo(39.7, 12), min: 10, max: 40 });
    expect(summarize([])).toEqual({ count: 0, mean: null, p50: null, p90: null, p99: null, min: null, max: null });
  });
});

describe('summarize by selection agrees with sorting', () => {
  it('on random arrays with many ties, every length from 1 to 60 and a large one', () => {
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let n = 1; n <= 60; n++) {
      for (const distinct of [1, 3, 1000]) {
        const xs = Array.from({ length: n }, () => Math.floor(rnd() * distinct) / 7);
        const s = summarize(xs);
        for (const [p, v] of [[50, s.p50], [90, s.p90], [99, s.p99]] as const) expect(v, `n ${n} distinct ${distinct} p${p}`).toBeCloseTo(percentile(xs, p)!, 12);
        expect(s.min).toBe(Math.min(...xs));
        expect(s.max).toBe(Math.max(...xs));
      }
    }
    const big = Array.from({ length: 100001 }, () => rnd() * 100);
    expect(summarize(big).p99).toBeCloseTo(percentile(big, 99)!, 12);
  });
});
