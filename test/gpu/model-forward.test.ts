// The GPU forward pass against the plain-TS reference (src/model/reference.ts) on small random
// models, over several batch compositions; then batch invariance of greedy decoding.
import { describe, expect } from 'vitest';
import { gpuTest } from './harness';
import { storageBuffer, type GpuContext } from '../../src/gpu';
import { poolBytes, type KvPoolLayout } from '../../src/kernels/kv-layout';
import { validateConfig, type ModelConfig } from '../../src/model/config';
import { GpuModel, type ForwardRow } from '../../src/model/gpu-model';
import { uploadWeights } from '../../src/model/gpu-weights';
import { ReferenceModel, argmax } from '../../src/model/reference';
import { syntheticWeights } from '../../src/model/synthetic';
import { collectFloat32 } from '../../src/model/weights';
import { roundToF16 } from '../../src/kernels/f16';
import type { MatmulWeightType } from '../../src/kernels/matmul';
import { permutation, randomInts } from '../util/rng';

function smallConfig(over: Partial<ModelConfig> = {}): ModelConfig {
  return validateConfig({
    name: 'test-small',
    dim: 64,
    hiddenDim: 96,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 16,
    vocabSize: 97,
    maxSeqLen: 256,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeConvention: 'rotate-half',
    tiedEmbeddings: false,
    bosId: 1,
    eosIds: [2],
    ...over,
  });
}

const TPP = 16;
const NUM_PAGES = 48;

/**
 * The GPU model and the reference on the same weights. With f16 weights the GPU rounds every matrix to
 * f16, so the reference gets the same rounded matrices (norm vectors stay f32 on both sides).
 */
async function setup(ctx: GpuContext, config: ModelConfig, seed: number, weightType: MatmulWeightType = 'f32') {
  const src = syntheticWeights(config, { seed });
  const host = await collectFloat32(src);
  if (weightType === 'f16') {
    for (const t of src.tensors) if (t.shape.length === 2) host.set(t.name, host.get(t.name)!.map(roundToF16));
  }
  const ref = new ReferenceModel(config, host);
  const weights = await uploadWeights(ctx, src, undefined, weightType);
  const layout: KvPoolLayout = { numPages: NUM_PAGES, numLayers: config.numLayers, numKvHeads: config.numKvHeads, headDim: config.headDim, tokensPerPage: TPP };
  const pool = { buffer: storageBuffer(ctx.device, 'Test.pool', poolBytes(layout)), layout };
  const model = new GpuModel(ctx, config, weights, pool, { maxTokens: 96, maxSeqs: 8, profileKernels: false });
  return { ref, model };
}

/** Sequences with scrambled pages: sequence s owns pages perm[s * 8 .. s * 8 + 7] (never page 0). */
function blockTables(numSeqs: number, seed: number): number[][] {
  const perm = [...permutation(NUM_PAGES - 1, seed)].map((p) => p + 1);
  return Array.from({ length: numSeqs }, (_, s) => perm.slice(s * 5, s * 5 + 5));
}

const greedy = { temperature: 0, topK: 0, topP: 1, seed: 0 };

interface Case {
  name: string;
  /** Prompt lengths, and the chunk sizes each prompt is fed in (steps run the i-th chunk of every sequence together). */
  prompts: number[];
  chunks: (len: number, s: number) => number[];
}

const chunked = (size: number) => (len: number) => {
  const out: number[] = [];
  for (let i = 0; i < len; i += size) out.push(Math.min(size, len - i));
  return out;
};

const CASES: Case[] = [
  { name: 'one 37-token prefill', prompts: [37], chunks: (n) => [n] },
  { name: 'chunked prefill, chunk 1', prompts: [9], chunks: chunked(1) },
  { name: 'chunked prefill, chunk 7', prompts: [33], chunks: chunked(7) },
  { name: 'chunked prefill, chunk 64 over a 70-token prompt', prompts: [70], chunks: chunked(64) },
  { name: 'mixed: a 37-token chunk beside decodes of 5 lengths', prompts: [37, 3, 16, 17, 30, 1], chunks: (n, s) => (s === 0 ? [n] : [...new Array(n - 1).fill(1), 1].slice(0, n)) },
];

describe('GPU forward equals the reference forward', () => {
  // Every batch composition once; the other conventions and weight types on the mixed batch (SwiftShader is slow).
  const VARIANTS = [
    { convention: 'rotate-half', tied: false, weightType: 'f32', cases: CASES },
    { convention: 'interleaved', tied: false, weightType: 'f32', cases: CASES.slice(-1) },
    { convention: 'rotate-half', tied: true, weightType: 'f16', cases: CASES.slice(-1) },
  ] as const;
  for (const { convention, tied, weightType, cases } of VARIANTS) {
    for (const c of cases) {
      gpuTest(`${convention}, ${weightType} weights${tied ? ', tied embeddings' : ''}: ${c.name}`, async ({ ctx }) => {
        const config = smallConfig({ ropeConvention: convention, tiedEmbeddings: tied });
        const { ref, model } = await setup(ctx, config, 11, weightType);
        const tables = blockTables(c.prompts.length, 5);
        const prompts = c.prompts.map((n, s) => [...randomInts(n, 100 + s, config.vocabSize)]);
        const plans = c.prompts.map((n, s) => c.chunks(n, s));
        const refSeqs = prompts.map(() => ref.newSequence());
        const done = prompts.map(() => 0);
        let maxDiff = 0;
        let maxLogit = 0;
        for (let step = 0; plans.some((p) => step < p.length); step++) {
          const rows: ForwardRow[] = [];
          const refLogits: Float64Array[] = [];
          plans.forEach((plan, s) => {
            const n = plan[step];
            if (!n) return;
            const toks = prompts[s]!.slice(done[s]!, done[s]! + n);
            rows.push({ tokenIds: toks, positionStart: done[s]!, blockTable: tables[s]!, numSamples: 1, sampling: greedy, counter: 0 });
            refLogits.push(ref.prefill(refSeqs[s]!, toks));
            done[s]! += n;
          });
          const out = await model.forward({ rows, pageCopies: [] });
          const logits = await model.readLogits(rows.length);
          rows.forEach((_, r) => {
            const want = refLogits[r]!;
            for (let v = 0; v < config.vocabSize; v++) {
              maxDiff = Math.max(maxDiff, Math.abs(logits[r * config.vocabSize + v]! - want[v]!));
              maxLogit = Math.max(maxLogit, Math.abs(want[v]!));
            }
            expect(out.tokens[r], `step ${step} row ${r} greedy token`).toEqual([argmax(want)]);
          });
        }
        console.log(`[model-forward] ${convention} ${weightType}${tied ? ' tied' : ''}, ${c.name}: max |logit diff| ${maxDiff.toExponential(2)} (max |logit| ${maxLogit.toFixed(2)})`);
        // f32 accumulation over a few hundred terms: a few ulps of the largest logit.
        expect(maxDiff).toBeLessThan(1e-4 + 2e-5 * maxLogit);
        model.destroy();
      });
    }
  }
});

describe('batch invariance of greedy decoding', () => {
  gpuTest('a sequence generates the same tokens alone, batched, and prefilled in chunks', async ({ ctx }) => {
    const config = smallConfig();
    const { model } = await setup(ctx, config, 3);
    const tables = blockTables(4, 9);
    const prompts = [0, 1, 2, 3].map((s) => [...randomInts(5 + 6 * s, 200 + s, config.vocabSize)]);
    const NEW = 8;

    /** Runs the given sequences together: each prompt in chunks of `chunk`, then NEW greedy decodes. */
    async function generate(which: number[], chunk: number): Promise<number[][]> {
      const seqs = which.map((s) => ({ s, toks: [...prompts[s]!], done: 0, out: [] as number[] }));
      while (seqs.some((q) => q.out.length < NEW)) {
        const active = seqs.filter((q) => q.out.length < NEW);
        const rows: ForwardRow[] = active.map((q) => {
          const n = Math.min(chunk, q.toks.length - q.done);
          const last = q.done + n === q.toks.length;
          return { tokenIds: q.toks.slice(q.done, q.done + n), positionStart: q.done, blockTable: tables[q.s]!, numSamples: last ? 1 : 0, sampling: greedy, counter: q.out.length };
        });
        const res = await model.forward({ rows, pageCopies: [] });
        active.forEach((q, i) => {
          q.done += rows[i]!.tokenIds.length;
          const t = res.tokens[i]!;
          if (t.length) {
            q.out.push(t[0]!);
            q.toks.push(t[0]!);
          }
        });
      }
      return seqs.map((q) => q.out);
    }

    const alone = [];
    for (const s of [0, 1, 2, 3]) alone.push((await generate([s], 1000))[0]!);
    expect(await generate([0, 1, 2, 3], 1000)).toEqual(alone);
    expect(await generate([3, 1, 0, 2], 3)).toEqual([alone[3], alone[1], alone[0], alone[2]]);
    model.destroy();
  });
});
