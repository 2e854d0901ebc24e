import { describe, expect, it } from 'vitest';
import { Random, hashString32 } from '../../../src/workload/index';

function stats(xs: number[]): { mean: number; cv: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance, cv: Math.sqrt(variance) / mean };
}
const draw = (n: number, f: () => number) => Array.from({ length: n }, f);

describe('Random (sfc32 seeded by splitmix32)', () => {
  it('same seed, same stream; different seeds differ', () => {
    const a = new Random(42), b = new Random(42), c = new Random(43);
    const xa = draw(100, () => a.nextUint32());
    expect(draw(100, () => b.nextUint32())).toEqual(xa);
    expect(draw(100, () => c.nextUint32())).not.toEqual(xa);
    // String seeds and large safe integers are accepted and deterministic.
    expect(new Random('abc').next()).toBe(new Random('abc').next());
    expect(new Random(2 ** 40 + 1).next()).not.toBe(new Random(1).next());
    expect(() => new Random(1.5)).toThrow(/safe integer/);
  });

  it('fork depends on the seed and label only, not on draws made before', () => {
    const a = new Random(7);
    const f1 = a.fork('x').next();
    for (let i = 0; i < 10; i++) a.next();
    expect(a.fork('x').next()).toBe(f1);
    expect(a.fork('y').next()).not.toBe(f1);
    expect(hashString32('')).toBe(0x811c9dc5); // FNV-1a offset basis
    expect(hashString32('a')).toBe(0xe40c292c); // published FNV-1a 32 test vector
  });

  it('int(lo, hi) covers both ends evenly; next() in [0, 1), nextOpen() in (0, 1)', () => {
    const r = new Random(1);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60000; i++) counts[r.int(3, 8) - 3]++;
    // Pearson chi-square against 10000 each, 5 degrees of freedom: P(chi² > 20.5) = 0.001.
    const chi2 = counts.reduce((a: number, c: number) => a + (c - 10000) ** 2 / 10000, 0);
    expect(chi2).toBeLessThan(20.5);
    expect(Math.min(...counts)).toBeGreaterThan(0);
    for (let i = 0; i < 1000; i++) {
      const u = r.next(), v = r.nextOpen();
      expect(u >= 0 && u < 1 && v > 0 && v < 1).toBe(true);
    }
    expect(() => r.int(2, 1)).toThrow(RangeError);
  });

  it('normal, exponential, gamma and lognormal have their textbook moments', () => {
    const r = new Random(2024);
    const N = 40000;
    const z = stats(draw(N, () => r.normal()));
    expect(Math.abs(z.mean)).toBeLessThan(0.02); // sigma of the mean = 1/sqrt(40000) = 0.005
    expect(z.variance).toBeCloseTo(1, 1);
    const e = stats(draw(N, () => r.exponential(4)));
    expect(e.mean).toBeCloseTo(0.25, 2);
    for (const k of [0.3, 1, 2.5, 9]) {
      // Gamma(k, θ = 2): mean 2k, variance 4k.
      const g = stats(draw(N, () => r.gamma(k, 2)));
      expect(g.mean / (2 * k)).toBeGreaterThan(0.97);
      expect(g.mean / (2 * k)).toBeLessThan(1.03);
      expect(g.variance / (4 * k)).toBeGreaterThan(0.92);
      expect(g.variance / (4 * k)).toBeLessThan(1.08);
    }
    expect(() => r.gamma(0, 1)).toThrow(RangeError);
    // Lognormal(mu = 1, sigma = 0.5): median e^1 = 2.718, mean e^(1.125) = 3.080.
    const l = draw(N, () => r.lognormal(1, 0.5)).sort((a, b) => a - b);
    expect(l[N / 2]! / Math.E).toBeGreaterThan(0.98);
    expect(l[N / 2]! / Math.E).toBeLessThan(1.02);
    expect(stats(l).mean / Math.exp(1.125)).toBeCloseTo(1, 1);
  });

  it('weightedIndex follows the weights and skips zero weights', () => {
    const r = new Random(3);
    const counts = [0, 0, 0];
    for (let i = 0; i < 40000; i++) counts[r.weightedIndex([3, 0, 1])]!++;
    expect(counts[1]).toBe(0);
    expect(counts[0]! / 40000).toBeCloseTo(0.75, 1);
    expect(() => r.weightedIndex([0, 0])).toThrow(/sum to 0/);
    expect(() => r.weightedIndex([1, -1])).toThrow(RangeError);
  });
});
