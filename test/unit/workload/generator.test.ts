import { describe, expect, it } from 'vitest';
import { generateWorkload, type WorkloadConfig } from '../../../src/workload/index';

const base: WorkloadConfig = {
  seed: 11,
  numRequests: 200,
  arrival: { kind: 'poisson', rate: 4 },
  promptLength: { kind: 'uniform', min: 8, max: 64 },
  outputLength: { kind: 'sharegpt', part: 'output' },
  vocabSize: 1000,
  firstTokenId: 3,
};

describe('generateWorkload', () => {
  it('same seed gives identical requests; another seed does not', () => {
    const a = generateWorkload(base);
    expect(generateWorkload(base)).toEqual(a);
    const b = generateWorkload({ ...base, seed: 12 });
    expect(b.map((r) => r.promptTokenIds)).not.toEqual(a.map((r) => r.promptTokenIds));
    expect(a.map((r) => r.requestId).slice(0, 3)).toEqual(['req-0', 'req-1', 'req-2']);
  });

  it('changing one knob leaves the other streams alone', () => {
    const a = generateWorkload(base);
    const faster = generateWorkload({ ...base, arrival: { kind: 'poisson', rate: 40 } });
    expect(faster.map((r) => r.promptTokenIds)).toEqual(a.map((r) => r.promptTokenIds));
    expect(faster.map((r) => r.maxTokens)).toEqual(a.map((r) => r.maxTokens));
    expect(faster.map((r) => r.arrivalTimeS)).not.toEqual(a.map((r) => r.arrivalTimeS));
    const longer = generateWorkload({ ...base, outputLength: { kind: 'fixed', value: 7 } });
    expect(longer.map((r) => r.arrivalTimeS)).toEqual(a.map((r) => r.arrivalTimeS));
    expect(longer.map((r) => r.promptTokenIds)).toEqual(a.map((r) => r.promptTokenIds));
  });

  it('token ids stay in [firstTokenId, vocabSize); arrivals are sorted; defaults filled in', () => {
    const reqs = generateWorkload(base);
    let prev = -1;
    for (const r of reqs) {
      expect(r.arrivalTimeS).toBeGreaterThanOrEqual(prev);
      prev = r.arrivalTimeS;
      expect(r.promptTokenIds.length).toBeGreaterThanOrEqual(8);
      expect(r.promptTokenIds.length).toBeLessThanOrEqual(64);
      expect(r.promptTokenIds.every((t) => Number.isInteger(t) && t >= 3 && t < 1000)).toBe(true);
      expect(r.maxTokens >= 4 && r.maxTokens <= 1024).toBe(true);
      expect(r).toMatchObject({ tenant: 'default', model: 'default', n: 1, priority: 0, sharedPrefix: null });
      expect(r.sampling).toMatchObject({ temperature: 1, topP: 1, topK: 0 });
      expect(Number.isInteger(r.sampling.seed)).toBe(true);
      expect(r.slo).toBeUndefined();
    }
    expect(new Set(reqs.map((r) => r.sampling.seed)).size).toBeGreaterThan(195);
  });

  it('shared prefixes: the chosen fraction starts with one of K prefixes of length L', () => {
    const N = 4000, K = 3, L = 32;
    const reqs = generateWorkload({ ...base, numRequests: N, promptLength: { kind: 'fixed', value: 10 }, sharedPrefix: { ratio: 0.3, numPrefixes: K, length: L } });
    const withPrefix = reqs.filter((r) => r.sharedPrefix !== null);
    // Binomial(4000, 0.3): sigma = sqrt(4000 * 0.3 * 0.7) / 4000 = 0.0072 -> 0.025 is 3.5 sigma.
    expect(Math.abs(withPrefix.length / N - 0.3)).toBeLessThan(0.025);
    const prefixes = new Map<number, string>();
    for (const r of withPrefix) {
      expect(r.promptTokenIds.length).toBe(L + 10); // prefix + body
      const key = r.promptTokenIds.slice(0, L).join(',');
      if (!prefixes.has(r.sharedPrefix!)) prefixes.set(r.sharedPrefix!, key);
      expect(key).toBe(prefixes.get(r.sharedPrefix!));
    }
    expect(prefixes.size).toBe(K);
    expect(new Set(prefixes.values()).size).toBe(K);
    // Each prefix used about 1/3 of the time: 400 of 1200 ± 3.5 sigma (sigma ≈ 16).
    for (const k of [0, 1, 2]) expect(Math.abs(withPrefix.filter((r) => r.sharedPrefix === k).length - withPrefix.length / 3)).toBeLessThan(70);
    for (const r of reqs.filter((x) => x.sharedPrefix === null)) {
      expect(r.promptTokenIds.length).toBe(10);
    }
  });

  it('tenant mix by weight, with per-tenant model, priority and SLO', () => {
    const reqs = generateWorkload({
      ...base,
      numRequests: 4000,
      model: 'm0',
      slo: { ttftMs: 500 },
      tenants: [
        { name: 'a', weight: 3 },
        { name: 'b', weight: 1, model: 'm1', priority: -1, slo: { ttftMs: 100, tpotMs: 20 } },
      ],
    });
    const a = reqs.filter((r) => r.tenant === 'a');
    // Binomial(4000, 0.75): sigma 0.0068.
    expect(Math.abs(a.length / 4000 - 0.75)).toBeLessThan(0.025);
    expect(a[0]).toMatchObject({ model: 'm0', priority: 0, slo: { ttftMs: 500 } });
    expect(reqs.find((r) => r.tenant === 'b')).toMatchObject({ model: 'm1', priority: -1, slo: { ttftMs: 100, tpotMs: 20 } });
  });

  it('parallel sampling at a ratio; sampling defaults overridable', () => {
    const reqs = generateWorkload({ ...base, numRequests: 4000, parallelSampling: { ratio: 0.2, n: 4 }, sampling: { temperature: 0.7, topP: 0.9, topK: 50 } });
    const par = reqs.filter((r) => r.n === 4);
    expect(reqs.every((r) => r.n === 1 || r.n === 4)).toBe(true);
    expect(Math.abs(par.length / 4000 - 0.2)).toBeLessThan(0.025);
    expect(reqs[0]!.sampling).toMatchObject({ temperature: 0.7, topP: 0.9, topK: 50 });
  });

  it('rejects bad configs with the field named', () => {
    expect(() => generateWorkload({ ...base, numRequests: -1 })).toThrow(/numRequests/);
    expect(() => generateWorkload({ ...base, vocabSize: 3 })).toThrow(/vocabSize/);
    expect(() => generateWorkload({ ...base, sharedPrefix: { ratio: 1.5, numPrefixes: 1, length: 4 } })).toThrow(/ratio/);
    expect(() => generateWorkload({ ...base, sharedPrefix: { ratio: 0.5, numPrefixes: 0, length: 4 } })).toThrow(/numPrefixes/);
    expect(() => generateWorkload({ ...base, tenants: [{ name: 'a', weight: 0 }] })).toThrow(/sum to 0/);
    expect(() => generateWorkload({ ...base, tenants: [{ name: 'a', weight: 1 }, { name: 'a', weight: 1 }] })).toThrow(/twice/);
    expect(() => generateWorkload({ ...base, slo: { ttftMs: 0 } })).toThrow(/ttftMs/);
    expect(() => generateWorkload({ ...base, sampling: { topP: 0 } })).toThrow(/topP/);
    expect(() => generateWorkload({ ...base, parallelSampling: { ratio: 0.1, n: 0 } })).toThrow(/n must be/);
  });
});
