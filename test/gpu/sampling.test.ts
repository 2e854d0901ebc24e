// GPU sampling against its plain-TS reference: the RNG's known answers, greedy with ties, seeded
// top-k/top-p draws equal to the reference's, identical across runs and batch orders, never outside
// the kept set, an empirical distribution that passes a chi-square test, and a compatibility-mode run.
import { describe, expect, test } from 'vitest';
import { gpuTest, expectClose } from './harness';
import { acquireGpu, PipelineCache, readBuffer, storageBuffer } from '../../src/gpu';
import { philox4x32_10 } from '../../src/kernels/rng';
import {
  packSampleParams,
  SAMPLE_OUT_BYTES,
  SampleKernel,
  sampleReference,
  unpackSampleOut,
  type SampleParams,
} from '../../src/kernels/sample';
import type { RowReduce } from '../../src/kernels/row-reduce';
import { mulberry32, normal, permutation } from '../util/rng';

/**
 * One pipeline per workgroup size for the whole file (SwiftShader takes seconds to compile the sampler;
 * the vocab is a uniform). The kernel's config buffer is created through the test's tracking device,
 * so each test gets its own kernel object and the harness destroys its buffer.
 */
let sharedCache: PipelineCache | undefined;
function sampler(device: GPUDevice, vocab: number, workgroupSize = 256, statsReduce?: RowReduce): SampleKernel {
  sharedCache ??= new PipelineCache(device);
  return new SampleKernel(device, sharedCache, { vocab, workgroupSize, ...(statsReduce ? { statsReduce } : {}) });
}

/** Uploads rows of logits + params, samples them in one pass and reads (token, logprob) back. */
async function runSample(device: GPUDevice, kernel: SampleKernel, logits: Float32Array, params: SampleParams[]) {
  const n = params.length;
  const lb = storageBuffer(device, 'Test.logits', logits);
  const pb = storageBuffer(device, 'Test.params', new Uint8Array(packSampleParams(params)));
  const ob = storageBuffer(device, 'Test.out', Math.max(1, n) * SAMPLE_OUT_BYTES);
  const enc = device.createCommandEncoder({ label: 'Test.encoder' });
  const pass = enc.beginComputePass({ label: 'Test.pass' });
  kernel.encode(pass, lb, pb, ob, n);
  pass.end();
  device.queue.submit([enc.finish()]);
  return unpackSampleOut(await readBuffer(device, ob, Math.max(1, n) * SAMPLE_OUT_BYTES), n);
}

/** Logits with ties: values rounded to a grid, so equal maxima and tie groups at the cuts occur. */
function quantized(n: number, seed: number, std: number, step: number): Float32Array {
  return normal(n, seed, std).map((x) => Math.round(x / step) * step);
}

// Chi-square critical values at p = 0.001 for 1..30 degrees of freedom.
const CHI2_CRIT_001 = [
  10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877, 29.588, 31.264, 32.909, 34.528, 36.123,
  37.697, 39.252, 40.79, 42.312, 43.82, 45.315, 46.797, 48.268, 49.728, 51.179, 52.62, 54.052, 55.476, 56.892,
  58.301, 59.703,
];

describe('Philox-4x32-10 (TS twin of the GPU RNG)', () => {
  // Random123 v1.14 tests/kat_vectors, "philox4x32 10" lines: counter, key, expected output.
  const kat: Array<[number[], number[], number[]]> = [
    [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
  ];
  for (const [ctr, key, want] of kat) {
    test(`known answer ctr=${ctr.map((x) => x.toString(16)).join(',')}`, () => {
      expect([...philox4x32_10(ctr, key)]).toEqual(want);
    });
  }
});

describe('greedy', () => {
  const cases = [
    { vocab: 1, rows: 1 },
    { vocab: 7, rows: 3 },
    { vocab: 257, rows: 4 },
    { vocab: 32000, rows: 2 },
  ];
  for (const c of cases) {
    gpuTest(`greedy vocab=${c.vocab} rows=${c.rows} (ties -> lowest id)`, async ({ device }) => {
      const logits = quantized(c.vocab * c.rows, c.vocab, 2, 0.5);
      // Row 0: the maximum at three ids, the lowest one must win.
      if (c.vocab >= 7) for (const i of [c.vocab - 1, 5, 2]) logits[i] = 50;
      const params = Array.from({ length: c.rows }, (_, r): SampleParams => ({ temperature: 0, topK: 0, topP: 1, seed: r, counter: 0 }));
      const got = await runSample(device, sampler(device, c.vocab), logits, params);
      for (let r = 0; r < c.rows; r++) {
        const want = sampleReference(logits.subarray(r * c.vocab, (r + 1) * c.vocab), params[r]!);
        expect(got.tokens[r], `row ${r} token`).toBe(want.token);
        expectClose([got.logprobs[r]!], [want.logprob], 1e-4, 1e-5, `row ${r} logprob`);
      }
      if (c.vocab >= 7) expect(got.tokens[0]).toBe(2);
    });
  }
});

interface DrawCase {
  vocab: number;
  rows: number;
  temperature: number;
  topK: number;
  topP: number;
  step: number;
  /** Threads per row; default 256 (64 is what software adapters get from rowWorkgroupSize). */
  wg?: number;
}

const drawCases: DrawCase[] = [
  { vocab: 16, rows: 64, temperature: 1, topK: 0, topP: 1, step: 0 },
  { vocab: 100, rows: 64, temperature: 0.7, topK: 5, topP: 1, step: 0.25 },
  { vocab: 100, rows: 64, temperature: 1.3, topK: 0, topP: 0.8, step: 0.25 },
  { vocab: 257, rows: 48, temperature: 0.9, topK: 40, topP: 0.9, step: 0 },
  { vocab: 1000, rows: 16, temperature: 1, topK: 1, topP: 1, step: 0.5 },
  { vocab: 1000, rows: 16, temperature: 1, topK: 2000, topP: 0.0, step: 0.5 },
  { vocab: 32000, rows: 4, temperature: 0.8, topK: 50, topP: 0.95, step: 0 },
  { vocab: 32000, rows: 4, temperature: 1, topK: 0, topP: 0.5, step: 0.125 },
  { vocab: 1000, rows: 16, temperature: 0.9, topK: 20, topP: 0.8, step: 0.25, wg: 64 },
  { vocab: 32000, rows: 4, temperature: 0.8, topK: 50, topP: 0.95, step: 0, wg: 64 },
];

describe('seeded draws equal the reference', () => {
  for (const c of drawCases) {
    gpuTest(`draw vocab=${c.vocab} rows=${c.rows} T=${c.temperature} top_k=${c.topK} top_p=${c.topP}${c.step ? ` ties(step ${c.step})` : ''} wg=${c.wg ?? 256}`, async ({ device }) => {
      const logits = c.step ? quantized(c.vocab * c.rows, c.vocab + c.rows, 3, c.step) : normal(c.vocab * c.rows, c.vocab + c.rows, 3);
      const params = Array.from({ length: c.rows }, (_, r): SampleParams => ({
        temperature: c.temperature, topK: c.topK, topP: c.topP, seed: 1000 + r, counter: r * 7,
      }));
      const got = await runSample(device, sampler(device, c.vocab, c.wg), logits, params);
      let numNearEdge = 0;
      for (let r = 0; r < c.rows; r++) {
        const want = sampleReference(logits.subarray(r * c.vocab, (r + 1) * c.vocab), params[r]!);
        const tok = got.tokens[r]!;
        expect(want.probs[tok], `row ${r}: token ${tok} is outside the kept set`).toBeGreaterThan(0);
        // f32 sums on the GPU vs f64 here: a draw within 1e-5 of a CDF edge may land on the neighbour.
        if (want.margin < 1e-5) numNearEdge++;
        else expect(tok, `row ${r} token (u=${want.u.toFixed(6)})`).toBe(want.token);
        // The logprob of the token the GPU chose: log_softmax at T = 1 differs between ids by their logits.
        const wantLogprob = want.logprob + logits[r * c.vocab + tok]! - logits[r * c.vocab + want.token]!;
        expectClose([got.logprobs[r]!], [wantLogprob], 1e-4, 1e-5, `row ${r} logprob`);
      }
      expect(numNearEdge, 'draws within 1e-5 of a CDF edge').toBeLessThanOrEqual(1);
    });
  }
});

describe('first pass variants (row statistics) and the indirect second pass', () => {
  // Mixed batches: greedy rows are answered by the first pass, sampled rows get slots and the indirect
  // second pass. Every first-pass variant this device has, on awkward vocab sizes.
  const variants: RowReduce[] = ['workgroup', 'subgroup-row', 'subgroup-wide'];
  const vocabs = [1, 7, 257, 1000];
  gpuTest(`every variant x vocab ${vocabs.join('/')}: mixed greedy / top-k / top-p rows equal the reference`, async ({ ctx, device }) => {
    for (const v of variants.filter((v) => ctx.hasSubgroups || v === 'workgroup')) {
      for (const vocab of vocabs) {
        const rows = 12;
        const logits = quantized(vocab * rows, vocab + 3, 2.5, 0.25);
        const params = Array.from({ length: rows }, (_, r): SampleParams =>
          r % 3 === 0 ? { temperature: 0, topK: 0, topP: 1, seed: r, counter: 0 } : { temperature: 0.9, topK: r % 2 ? 5 : 0, topP: r % 4 === 1 ? 1 : 0.85, seed: 31 + r, counter: r },
        );
        const kernel = sampler(device, vocab, 64, v);
        expect(kernel.statsReduce).toBe(v);
        const got = await runSample(device, kernel, logits, params);
        let near = 0;
        for (let r = 0; r < rows; r++) {
          const want = sampleReference(logits.subarray(r * vocab, (r + 1) * vocab), params[r]!);
          const tok = got.tokens[r]!;
          const what = `${v} vocab ${vocab} row ${r}`;
          expect(want.probs[tok], `${what}: token ${tok} outside the kept set`).toBeGreaterThan(0);
          if (want.margin < 1e-5) near++;
          else expect(tok, what).toBe(want.token);
          const wantLogprob = want.logprob + logits[r * vocab + tok]! - logits[r * vocab + want.token]!;
          expectClose([got.logprobs[r]!], [wantLogprob], 1e-4, 1e-5, `${what} logprob`);
        }
        expect(near).toBeLessThanOrEqual(1);
        // The first pass left the indirect size = sampled rows and reset its counter.
        const head = new Uint32Array(await readBuffer(device, kernel.scratch, 16));
        expect([...head], `${v} vocab ${vocab} scratch header`).toEqual([0, rows - 4, 1, 1]);
      }
    }
  });

  gpuTest('all-greedy batch: the second pass gets 0 workgroups; two encodes in one pass each count their own rows', async ({ device }) => {
    const vocab = 300;
    const kernel = sampler(device, vocab, 64);
    const rows = 9;
    const logits = normal(vocab * rows, 8, 2);
    const greedy = Array.from({ length: rows }, (_, r): SampleParams => ({ temperature: 0, topK: 0, topP: 1, seed: r, counter: 0 }));
    const got = await runSample(device, kernel, logits, greedy);
    for (let r = 0; r < rows; r++) expect(got.tokens[r]).toBe(sampleReference(logits.subarray(r * vocab, (r + 1) * vocab), greedy[r]!).token);
    expect([...new Uint32Array(await readBuffer(device, kernel.scratch, 16))]).toEqual([0, 0, 1, 1]);

    // Two batches in one pass (as two steps would be): 9 greedy rows, then 5 rows of which 3 sampled.
    const mixed = Array.from({ length: 5 }, (_, r): SampleParams => (r % 2 ? { ...greedy[r]! } : { temperature: 1, topK: 0, topP: 0.9, seed: 5 + r, counter: r }));
    const lb = storageBuffer(device, 'Test.logits', logits);
    const pb1 = storageBuffer(device, 'Test.params1', new Uint8Array(packSampleParams(greedy)));
    const pb2 = storageBuffer(device, 'Test.params2', new Uint8Array(packSampleParams(mixed)));
    const ob1 = storageBuffer(device, 'Test.out1', rows * SAMPLE_OUT_BYTES);
    const ob2 = storageBuffer(device, 'Test.out2', 5 * SAMPLE_OUT_BYTES);
    const enc = device.createCommandEncoder({ label: 'Test.encoder' });
    const pass = enc.beginComputePass({ label: 'Test.pass' });
    kernel.encode(pass, lb, pb1, ob1, rows);
    kernel.encode(pass, lb, pb2, ob2, 5);
    pass.end();
    device.queue.submit([enc.finish()]);
    const a = unpackSampleOut(await readBuffer(device, ob1, rows * SAMPLE_OUT_BYTES), rows);
    const b = unpackSampleOut(await readBuffer(device, ob2, 5 * SAMPLE_OUT_BYTES), 5);
    expect([...a.tokens]).toEqual([...got.tokens]);
    for (let r = 0; r < 5; r++) {
      const want = sampleReference(logits.subarray(r * vocab, (r + 1) * vocab), mixed[r]!);
      if (want.margin >= 1e-5) expect(b.tokens[r], `second batch row ${r}`).toBe(want.token);
      expect(want.probs[b.tokens[r]!]).toBeGreaterThan(0);
    }
    expect([...new Uint32Array(await readBuffer(device, kernel.scratch, 16))]).toEqual([0, 3, 1, 1]);
  });

  gpuTest('the scratch buffer grows inside one pass (a second encode with more rows than it holds)', async ({ device }) => {
    const vocab = 40;
    const kernel = new SampleKernel(device, (sharedCache ??= new PipelineCache(device)), { vocab, workgroupSize: 64, maxRows: 2 });
    const rows = [2, 7];
    const logits = normal(vocab * 7, 12, 2);
    const lb = storageBuffer(device, 'Test.logits', logits);
    const params = Array.from({ length: 7 }, (_, r): SampleParams => ({ temperature: 0.9, topK: 10, topP: 0.9, seed: 3 * r, counter: r }));
    const pb = storageBuffer(device, 'Test.params', new Uint8Array(packSampleParams(params)));
    const outs = rows.map((n, i) => storageBuffer(device, `Test.out${i}`, n * SAMPLE_OUT_BYTES));
    const enc = device.createCommandEncoder({ label: 'Test.encoder' });
    const pass = enc.beginComputePass({ label: 'Test.pass' });
    rows.forEach((n, i) => kernel.encode(pass, lb, pb, outs[i]!, n));
    pass.end();
    device.queue.submit([enc.finish()]);
    for (let i = 0; i < rows.length; i++) {
      const got = unpackSampleOut(await readBuffer(device, outs[i]!, rows[i]! * SAMPLE_OUT_BYTES), rows[i]!);
      for (let r = 0; r < rows[i]!; r++) {
        const want = sampleReference(logits.subarray(r * vocab, (r + 1) * vocab), params[r]!);
        if (want.margin >= 1e-5) expect(got.tokens[r], `encode ${i} row ${r}`).toBe(want.token);
        expect(want.probs[got.tokens[r]!]).toBeGreaterThan(0);
      }
    }
    kernel.destroy();
  });

  gpuTest('a mixed greedy / sampled batch gives the same tokens in every batch order (slots follow completion order)', async ({ device }) => {
    const vocab = 512;
    const rows = 40;
    const logits = normal(vocab * rows, 17, 2.5);
    const params = Array.from({ length: rows }, (_, r): SampleParams =>
      r % 4 === 0 ? { temperature: 0, topK: 0, topP: 1, seed: 0, counter: 0 } : { temperature: 0.8, topK: r % 3 ? 40 : 0, topP: 0.9, seed: 900 + r, counter: 3 * r });
    const kernel = sampler(device, vocab, 64);
    const a = await runSample(device, kernel, logits, params);
    for (const seed of [1, 2]) {
      const perm = permutation(rows, seed);
      const permLogits = new Float32Array(vocab * rows);
      perm.forEach((src, dst) => permLogits.set(logits.subarray(src * vocab, (src + 1) * vocab), dst * vocab));
      const c = await runSample(device, kernel, permLogits, [...perm].map((src) => params[src]!));
      perm.forEach((src, dst) => {
        expect(c.tokens[dst], `request ${src} at batch row ${dst}`).toBe(a.tokens[src]);
        expect(c.logprobs[dst]).toBe(a.logprobs[src]);
      });
    }
  });
});

describe('empty batch', () => {
  gpuTest('sample with 0 rows records no dispatch', async ({ device }) => {
    const kernel = sampler(device, 16, 16);
    const b = storageBuffer(device, 'Test.empty', 64);
    const enc = device.createCommandEncoder({ label: 'Test.encoder' });
    const pass = enc.beginComputePass({ label: 'Test.pass' });
    kernel.encode(pass, b, b, b, 0);
    pass.end();
    device.queue.submit([enc.finish()]);
  });
});

describe('determinism', () => {
  gpuTest('a seeded top-p batch gives the same tokens on two runs and in a permuted batch order', async ({ device }) => {
    const vocab = 512;
    const rows = 32;
    const logits = normal(vocab * rows, 42, 2.5);
    const params = Array.from({ length: rows }, (_, r): SampleParams => ({ temperature: 1, topK: 0, topP: 0.9, seed: 77 + (r % 5), counter: r }));
    const kernel = sampler(device, vocab);
    const a = await runSample(device, kernel, logits, params);
    const b = await runSample(device, kernel, logits, params);
    expect([...b.tokens]).toEqual([...a.tokens]);
    const perm = permutation(rows, 9);
    const permLogits = new Float32Array(vocab * rows);
    perm.forEach((src, dst) => permLogits.set(logits.subarray(src * vocab, (src + 1) * vocab), dst * vocab));
    const c = await runSample(device, kernel, permLogits, [...perm].map((src) => params[src]!));
    perm.forEach((src, dst) => expect(c.tokens[dst], `request ${src} at batch row ${dst}`).toBe(a.tokens[src]));
    perm.forEach((src, dst) => expect(c.logprobs[dst]).toBe(a.logprobs[src]));
    // Not all draws alike: the batch really samples.
    expect(new Set(a.tokens).size).toBeGreaterThan(3);
  });
});

describe('empirical distribution (chi-square, p = 0.001)', () => {
  const distCases = [
    { temperature: 1, topK: 0, topP: 1 },
    { temperature: 0.7, topK: 10, topP: 0.9 },
    { temperature: 1.5, topK: 0, topP: 0.75 },
  ];
  for (const c of distCases) {
    gpuTest(`4000 draws, vocab 16, T=${c.temperature} top_k=${c.topK} top_p=${c.topP}`, async ({ device }) => {
      const vocab = 16;
      const draws = 4000;
      const row = normal(vocab, 2024, 1.5);
      const logits = new Float32Array(vocab * draws);
      for (let r = 0; r < draws; r++) logits.set(row, r * vocab);
      const rnd = mulberry32(5);
      // Many requests (seeds) and token indices (counters), as the engine would use them.
      const params = Array.from({ length: draws }, (): SampleParams => ({
        temperature: c.temperature, topK: c.topK, topP: c.topP, seed: Math.floor(rnd() * 2 ** 32), counter: Math.floor(rnd() * 1000),
      }));
      const got = await runSample(device, sampler(device, vocab, 16), logits, params);
      const probs = sampleReference(row, params[0]!).probs;
      const counts = new Array<number>(vocab).fill(0);
      for (const t of got.tokens) counts[t]!++;
      for (let i = 0; i < vocab; i++) if (probs[i] === 0) expect(counts[i], `excluded token ${i} drawn`).toBe(0);
      // Pool tokens expected fewer than 5 times into one bin (the usual validity rule).
      let chi2 = 0;
      let bins = 0;
      let poolObs = 0;
      let poolExp = 0;
      for (let i = 0; i < vocab; i++) {
        const e = probs[i]! * draws;
        if (e === 0) continue;
        if (e < 5) {
          poolObs += counts[i]!;
          poolExp += e;
          continue;
        }
        chi2 += (counts[i]! - e) ** 2 / e;
        bins++;
      }
      if (poolExp > 0) {
        chi2 += (poolObs - poolExp) ** 2 / poolExp;
        bins++;
      }
      const dof = bins - 1;
      console.log(`[sampling] T=${c.temperature} k=${c.topK} p=${c.topP}: chi2 ${chi2.toFixed(2)} dof ${dof} crit ${CHI2_CRIT_001[dof - 1]}`);
      expect(dof).toBeGreaterThanOrEqual(2);
      expect(chi2).toBeLessThan(CHI2_CRIT_001[dof - 1]!);
    });
  }
});

describe('compatibility mode', () => {
  test('greedy and top-k + top-p sampling on a compatibility-mode device without subgroups equals the reference', async () => {
    // subgroups off, as on Dawn's OpenGL ES backend: the first pass takes its workgroup-memory variant.
    const ctx = await acquireGpu(navigator.gpu, { featureLevel: 'compatibility', label: 'compat', disableFeatures: ['subgroups'] });
    try {
      expect(ctx.info.featureLevel).toBe('compatibility');
      const { device } = ctx;
      device.pushErrorScope('validation');
      const vocab = 300;
      const rows = 8;
      const logits = normal(vocab * rows, 3, 2);
      const params = Array.from({ length: rows }, (_, r): SampleParams => ({ temperature: r === 2 ? 0 : 0.8, topK: 20, topP: 0.9, seed: r, counter: 3 }));
      const kernel = new SampleKernel(device, new PipelineCache(device), { vocab });
      expect(kernel.statsReduce).toBe('workgroup');
      const got = await runSample(device, kernel, logits, params);
      for (let r = 0; r < rows; r++) {
        const want = sampleReference(logits.subarray(r * vocab, (r + 1) * vocab), params[r]!);
        if (want.margin >= 1e-5) expect(got.tokens[r], `row ${r}`).toBe(want.token);
        expect(want.probs[got.tokens[r]!]).toBeGreaterThan(0);
      }
      expect(await device.popErrorScope()).toBeNull();
    } finally {
      ctx.device.destroy();
    }
  });
});
