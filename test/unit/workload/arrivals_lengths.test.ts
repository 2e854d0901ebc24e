import { describe, expect, it } from 'vitest';
import { Random, SHAREGPT_FIT, arrivalTimes, lognormalFromMeanMedian, makeLengthSampler, sharegptLognormal, type ArrivalSpec } from '../../../src/workload/index';

function gaps(t: Float64Array): number[] {
  const g: number[] = [];
  for (let i = 1; i < t.length; i++) g.push(t[i]! - t[i - 1]!);
  return g;
}
function meanCv(xs: number[]): { mean: number; cv: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  return { mean, cv: sd / mean };
}
const within = (x: number, want: number, rel: number) => expect(Math.abs(x / want - 1), `${x} vs ${want}`).toBeLessThan(rel);

describe('arrival processes', () => {
  it('poisson: first at 0, mean gap 1/rate, CV 1', () => {
    const t = arrivalTimes({ kind: 'poisson', rate: 5 }, 40001, new Random(1));
    expect(t[0]).toBe(0);
    const { mean, cv } = meanCv(gaps(t));
    // Mean of 40000 exponential gaps: relative sigma 1/sqrt(40000) = 0.5% -> 2.5% is 5 sigma.
    within(mean, 0.2, 0.025);
    within(cv, 1, 0.03);
  });

  it('gamma: mean gap 1/rate for every burstiness, CV = 1/sqrt(burstiness)', () => {
    for (const b of [0.25, 1, 4]) {
      const t = arrivalTimes({ kind: 'gamma', rate: 10, burstiness: b }, 40001, new Random(2));
      const { mean, cv } = meanCv(gaps(t));
      // burstiness 0.25: CV 2 -> relative sigma of the mean 2/sqrt(40000) = 1% -> 4% is 4 sigma.
      within(mean, 0.1, 0.04);
      within(cv, 1 / Math.sqrt(b), 0.05);
    }
  });

  it('fixed and infinite rates; times never decrease', () => {
    const f = arrivalTimes({ kind: 'fixed', rate: 4 }, 5, new Random(3));
    expect(Array.from(f)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(Array.from(arrivalTimes({ kind: 'infinite' }, 3, new Random(3)))).toEqual([0, 0, 0]);
    const p = arrivalTimes({ kind: 'gamma', rate: 100, burstiness: 0.1 }, 1000, new Random(4));
    for (let i = 1; i < p.length; i++) expect(p[i]!).toBeGreaterThanOrEqual(p[i - 1]!);
  });

  it('same seed, same times; bad specs are rejected', () => {
    const spec: ArrivalSpec = { kind: 'gamma', rate: 3, burstiness: 0.5 };
    expect(arrivalTimes(spec, 50, new Random(9))).toEqual(arrivalTimes(spec, 50, new Random(9)));
    expect(() => arrivalTimes({ kind: 'poisson', rate: 0 }, 1, new Random(1))).toThrow(/rate must be/);
    expect(() => arrivalTimes({ kind: 'poisson', rate: Infinity }, 1, new Random(1))).toThrow(/infinite/);
    expect(() => arrivalTimes({ kind: 'gamma', rate: 1, burstiness: 0 }, 1, new Random(1))).toThrow(/burstiness/);
    expect(() => arrivalTimes({ kind: 'fixed', rate: 1 }, -1, new Random(1))).toThrow(/count/);
  });
});

describe('length distributions', () => {
  it('fixed and uniform (inclusive ends)', () => {
    const r = new Random(5);
    expect(makeLengthSampler({ kind: 'fixed', value: 17 })(r)).toBe(17);
    const u = makeLengthSampler({ kind: 'uniform', min: 10, max: 20 });
    const xs = Array.from({ length: 20000 }, () => u(r));
    expect(Math.min(...xs)).toBe(10);
    expect(Math.max(...xs)).toBe(20);
    // Mean (10 + 20) / 2 = 15; sigma of the mean = sqrt(10) / sqrt(20000) ≈ 0.022.
    expect(meanCv(xs).mean).toBeCloseTo(15, 1);
  });

  it('zipf: rank frequencies follow k^-s', () => {
    const s = 1.2, min = 5, max = 104; // N = 100 ranks
    const z = makeLengthSampler({ kind: 'zipf', min, max, exponent: s });
    const r = new Random(6);
    const N = 200000;
    const counts = new Array(100).fill(0);
    let outside = 0;
    for (let i = 0; i < N; i++) {
      const v = z(r);
      if (v < min || v > max) outside++;
      else counts[v - min]++;
    }
    expect(outside).toBe(0);
    let H = 0;
    for (let k = 1; k <= 100; k++) H += k ** -s; // generalized harmonic number H(100, 1.2)
    for (const k of [1, 2, 3, 10]) {
      // P(k) = k^-s / H; rank 10's expected count ≈ 200000 * 0.063 / H ≈ 3300 (relative sigma ≈ 1.7%).
      within(counts[k - 1] / N, k ** -s / H, 0.06);
    }
    // P(1) / P(2) = 2^1.2 = 2.297.
    within(counts[0] / counts[1], 2 ** s, 0.04);
  });

  it('lognormal: median e^mu and mean e^(mu + sigma²/2)', () => {
    // mu = 5, sigma = 0.8: median e^5 = 148.4, mean e^5.32 = 204.4. Clamp far away so it does not bite.
    const ln = makeLengthSampler({ kind: 'lognormal', mu: 5, sigma: 0.8, min: 1, max: 1_000_000 });
    const r = new Random(7);
    const xs = Array.from({ length: 100000 }, () => ln(r)).sort((a, b) => a - b);
    within(xs[50000]!, Math.exp(5), 0.02);
    // CV = sqrt(e^0.64 - 1) = 0.947 -> relative sigma of the mean 0.3%.
    within(meanCv(xs).mean, Math.exp(5.32), 0.02);
    const fit = lognormalFromMeanMedian(204.4, 148.41);
    expect(fit.mu).toBeCloseTo(5, 3);
    expect(fit.sigma).toBeCloseTo(0.8, 2);
  });

  it('ShareGPT-like fit: the published means (161.31 prompt, 337.99 output) and the [4, 1024] clamp', () => {
    const r = new Random(8);
    for (const part of ['prompt', 'output'] as const) {
      const spec = sharegptLognormal(part, 1, 10_000_000); // unclamped: the fit's own mean
      const sample = makeLengthSampler(spec);
      const xs = Array.from({ length: 100000 }, () => sample(r)).sort((a, b) => a - b);
      within(meanCv(xs).mean, SHAREGPT_FIT[part].meanTokens, 0.03);
      within(xs[50000]!, Math.exp(spec.mu), 0.03); // medians ≈ 97.8 and 235.5
    }
    const clamped = makeLengthSampler({ kind: 'sharegpt', part: 'prompt' });
    const xs = Array.from({ length: 100000 }, () => clamped(r));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(4);
    expect(Math.max(...xs)).toBe(1024);
    // P(X > 1024) = P(Z > ln(1024) - 4.5833) = P(Z > 2.348) ≈ 0.94%.
    const top = xs.filter((x) => x === 1024).length / xs.length;
    expect(top).toBeGreaterThan(0.0075);
    expect(top).toBeLessThan(0.0115);
  });

  it('bad specs are rejected', () => {
    expect(() => makeLengthSampler({ kind: 'uniform', min: 5, max: 4 })).toThrow(/min <= max/);
    expect(() => makeLengthSampler({ kind: 'zipf', min: 1, max: 10, exponent: 0 })).toThrow(/exponent/);
    expect(() => makeLengthSampler({ kind: 'lognormal', mu: 1, sigma: -1, min: 1, max: 2 })).toThrow(/sigma/);
    expect(() => makeLengthSampler({ kind: 'fixed', value: 1.5 })).toThrow(/integer/);
  });
});
