/**
 * The reference forward pass and synthetic models: rotate-half on permuted q/k equals interleaved on the
 * original rows; GQA head mapping; cached decode equals recomputation; synthetic weights are lazy,
 * seeded, order-independent and labelled random.
 */
import { describe, expect, test } from 'vitest';
import {
  argmax,
  collectFloat32,
  greedyGenerate,
  llama3ScaledConfig,
  parameterCount,
  permuteRowsForRotateHalf,
  ReferenceModel,
  syntheticWeights,
  toFloat32,
  validateConfig,
  type ModelConfig,
} from '../../../src/model';

const SMALL: ModelConfig = validateConfig({
  dim: 32, hiddenDim: 45, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 8, vocabSize: 50, maxSeqLen: 64,
  rmsNormEps: 1e-5, ropeTheta: 10000, ropeConvention: 'interleaved', tiedEmbeddings: true, bosId: 1, eosIds: [2],
});

describe('reference forward', () => {
  test('rotate-half on HF-permuted q/k rows gives the interleaved model\'s logits', async () => {
    const w = await collectFloat32(syntheticWeights(SMALL, { seed: 11 }));
    const hf = new Map(w);
    for (let l = 0; l < SMALL.numLayers; l++) {
      hf.set(`layers.${l}.attn.wq`, permuteRowsForRotateHalf(w.get(`layers.${l}.attn.wq`)!, SMALL.numHeads, SMALL.headDim, SMALL.dim));
      hf.set(`layers.${l}.attn.wk`, permuteRowsForRotateHalf(w.get(`layers.${l}.attn.wk`)!, SMALL.numKvHeads, SMALL.headDim, SMALL.dim));
    }
    const a = new ReferenceModel(SMALL, w);
    const b = new ReferenceModel({ ...SMALL, ropeConvention: 'rotate-half' }, hf);
    const sa = a.newSequence();
    const sb = b.newSequence();
    let maxDiff = 0;
    for (const t of [1, 7, 3, 49, 0, 12, 12, 5]) {
      const la = a.forward(sa, t);
      const lb = b.forward(sb, t);
      for (let i = 0; i < la.length; i++) maxDiff = Math.max(maxDiff, Math.abs(la[i]! - lb[i]!));
    }
    expect(maxDiff).toBeLessThan(1e-12);
    // ...and without the permutation the two conventions really differ (after position 0).
    const c = new ReferenceModel({ ...SMALL, ropeConvention: 'rotate-half' }, w);
    const sc = c.newSequence();
    const s2 = a.newSequence();
    c.forward(sc, 1);
    a.forward(s2, 1);
    expect(Math.abs(c.forward(sc, 7)[0]! - a.forward(s2, 7)[0]!)).toBeGreaterThan(1e-6);
  });

  test('GQA: with kv heads duplicated, an MHA model gives the same logits', async () => {
    const w = await collectFloat32(syntheticWeights(SMALL, { seed: 12 }));
    const mha: ModelConfig = { ...SMALL, numKvHeads: SMALL.numHeads };
    const group = SMALL.numHeads / SMALL.numKvHeads;
    const dup = (m: Float32Array) => {
      const rows = SMALL.headDim * SMALL.dim;
      const out = new Float32Array(m.length * group);
      for (let h = 0; h < SMALL.numHeads; h++) out.set(m.subarray(Math.floor(h / group) * rows, (Math.floor(h / group) + 1) * rows), h * rows);
      return out;
    };
    const w2 = new Map(w);
    for (let l = 0; l < SMALL.numLayers; l++) {
      w2.set(`layers.${l}.attn.wk`, dup(w.get(`layers.${l}.attn.wk`)!));
      w2.set(`layers.${l}.attn.wv`, dup(w.get(`layers.${l}.attn.wv`)!));
    }
    const a = new ReferenceModel(SMALL, w);
    const b = new ReferenceModel(mha, w2);
    const sa = a.newSequence();
    const sb = b.newSequence();
    for (const t of [1, 4, 9, 16]) {
      const la = a.forward(sa, t);
      const lb = b.forward(sb, t);
      for (let i = 0; i < la.length; i++) expect(Math.abs(la[i]! - lb[i]!)).toBeLessThan(1e-12);
    }
  });

  test('greedy generation is deterministic and stops at a stop id', async () => {
    const m = new ReferenceModel(SMALL, await collectFloat32(syntheticWeights(SMALL, { seed: 13 })));
    const a = greedyGenerate(m, [1, 5, 6], { maxNewTokens: 20 });
    expect(a).toHaveLength(20);
    expect(greedyGenerate(m, [1, 5, 6], { maxNewTokens: 20 })).toEqual(a);
    const stop = a[5]!;
    const b = greedyGenerate(m, [1, 5, 6], { maxNewTokens: 20, stopIds: [stop] });
    expect(b).toEqual(a.slice(0, a.indexOf(stop) + 1));
    expect(argmax([1, 3, 3, 2])).toBe(1);
  });
});

describe('synthetic models', () => {
  test('Llama-3-8B-shaped scaled config: head_dim 128, GQA 4:1, FFN 3.5x, labelled random', () => {
    const c = llama3ScaledConfig({ numHeads: 8, numLayers: 3 });
    expect(c).toMatchObject({ headDim: 128, numHeads: 8, numKvHeads: 2, dim: 1024, hiddenDim: 3584, ropeTheta: 500000, synthetic: true });
    expect(c.name).toMatch(/random/);
    const full = llama3ScaledConfig({ numHeads: 32, numLayers: 32, vocabSize: 128256 });
    expect(full.dim).toBe(4096);
    expect(full.hiddenDim).toBe(14336);
    expect(parameterCount(full)).toBe(8_030_261_248); // Llama-3-8B's published count
  });

  test('lazy, seeded, order-independent; f16 matches f32 within f16 precision', async () => {
    // Lazy on the big shape: the first tensor arrives without generating the rest.
    const big = syntheticWeights(llama3ScaledConfig({ numHeads: 4, numLayers: 2, vocabSize: 256 }), { seed: 7 });
    expect(big.totalBytes).toBe(28_321_792); // 2 x (4 x 512 x 512 + 2 x 512 x 128 + 3 x 512 x 1792 + 2 x 512) + 2 x 256 x 512 + 512 floats
    const t0 = performance.now();
    const bigFirst = (await big.iterate().next()).value!;
    expect(bigFirst.name).toBe('embed');
    expect(performance.now() - t0).toBeLessThan(500);
    const c = SMALL;
    const src = syntheticWeights(c, { seed: 7 });
    expect(src.format).toBe('synthetic');
    expect(src.config.synthetic).toBe(true);
    const it = src.iterate();
    const first = (await it.next()).value!;
    expect(first.name).toBe('embed');
    await it.return(undefined);
    const a = await collectFloat32(src);
    const b = await collectFloat32(syntheticWeights(c, { seed: 7 }));
    const d = await collectFloat32(syntheticWeights(c, { seed: 8 }));
    const same = (x?: Float32Array, y?: Float32Array) => !!x && !!y && Buffer.from(x.buffer).equals(Buffer.from(y.buffer));
    for (const k of a.keys()) expect(same(a.get(k), b.get(k)), k).toBe(true);
    expect(same(a.get('layers.0.attn.wq'), d.get('layers.0.attn.wq'))).toBe(false);
    expect(Array.from(toFloat32(first.data, 'f32', 10))).toEqual(Array.from(a.get('embed')!.subarray(0, 10)));
    const h = await collectFloat32(syntheticWeights(c, { seed: 7, dtype: 'f16' }));
    const x = a.get('layers.0.ffn.w_down')!;
    const y = h.get('layers.0.ffn.w_down')!;
    for (let i = 0; i < x.length; i += 97) expect(Math.abs(x[i]! - y[i]!)).toBeLessThanOrEqual(Math.max(Math.abs(x[i]!) * 2 ** -11, 2 ** -25));
    // Weight scale keeps activations O(1): logits of a 1-layer model stay finite and moderate.
    const ref = new ReferenceModel(c, a);
    const logits = ref.prefill(ref.newSequence(), [0, 5, 9]);
    expect(logits.every((v) => Number.isFinite(v) && Math.abs(v) < 1e3)).toBe(true);
  });
});
