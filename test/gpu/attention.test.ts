// Paged and contiguous attention (shaders/attention.wgsl + attention-reduce.wgsl) against the f64
// reference, on data-driven batches whose names are derived from their shapes.
import { describe, expect } from 'vitest';
import { test } from 'vitest';
import { gpuTest, expectClose } from './harness';
import { makeBatch, pagesNeeded, runAttention, type SeqSpec } from './attention-helpers';
import { acquireGpu, PipelineCache, storageBuffer, type GpuContext } from '../../src/gpu';
import { ContiguousAttention, PagedAttention, chooseDecodeKernel, defaultAttentionTiles, subgroupDecodeLanes, type DecodeKernel, type SplitPolicy } from '../../src/kernels/attention';
import { attentionReference } from '../../src/kernels/attention-reference';
import { kvOffset, pageStride } from '../../src/kernels/kv-layout';
import { uniform } from '../util/rng';

interface Case {
  heads: number;
  kvHeads: number;
  dim: number;
  seqs: SeqSpec[];
  /** Force decode splits (flash-decoding path + reduce) even on a software adapter. */
  split?: boolean;
  layers?: number;
  layer?: number;
  tpp?: number;
  /** Keys per tile (default 64); 16 exercises the row-group path (WG > BK). */
  bk?: number;
  /** Run with the hardware tile configuration (lanes per key > 1, several P.V rows per thread) on this adapter. */
  hw?: boolean;
  /** With hw: CLAMPK (no branches around the K loads), or the subgroup lane-sum variant (4 lanes: SwiftShader's subgroup width). */
  variant?: 'clamp' | 'sg';
  /** Decode kernel (default: this adapter's choice, chooseDecodeKernel; hw cases: the tile kernel). */
  decode?: DecodeKernel;
}

// One pipeline cache for the file: SwiftShader takes ~1-3 s to compile each attention variant.
let sharedCache: PipelineCache | undefined;
const pipelines = (device: GPUDevice) => (sharedCache ??= new PipelineCache(device));

const FORCE_SPLIT: SplitPolicy = { targetWorkgroups: 4096, minKeysPerSplit: 16, maxSplits: 16 };
const seqName = (s: SeqSpec[]) => s.map(([ql, cl]) => (ql === 1 ? `d${cl}` : `p${ql}@${cl}`)).join(',');
const caseName = (c: Case) =>
  `h${c.heads}/kv${c.kvHeads} (G${c.heads / c.kvHeads}) D${c.dim} tpp${c.tpp ?? 16} [${seqName(c.seqs)}]` +
  `${c.split ? ' split' : ''}${c.hw ? ' hw-tiles' : ''}${c.decode ? ` decode-${c.decode}` : ''}${c.variant ? ` ${c.variant}` : ''}${c.bk ? ` bk${c.bk}` : ''}${c.layers ? ` layer ${c.layer}/${c.layers}` : ''}`;

// d<ctx> = decode with that context; p<q>@<ctx> = prefill chunk of q tokens ending at position ctx - 1.
// Cases share (headDim, group) configurations on purpose: SwiftShader takes seconds to compile each
// variant, so the file covers G 1/2/4/8 and D 8/64/128 with few configurations (software tiles, plus three
// with the hardware tiles: lanes per key > 1 and several P.V rows per thread, which software never picks).
const CASES: Case[] = [
  { heads: 2, kvHeads: 2, dim: 8, seqs: [[1, 1], [1, 15], [1, 16], [1, 17], [17, 17]] },
  { heads: 2, kvHeads: 1, dim: 8, seqs: [[15, 15], [16, 16], [17, 17], [1, 15], [1, 16], [1, 17]] },
  // The issue's mixed batch: a 37-token chunk starting at position 20 (earlier context cached) + 5 decodes.
  { heads: 8, kvHeads: 2, dim: 64, seqs: [[37, 57], [1, 1], [1, 9], [1, 16], [1, 33], [1, 100]] },
  { heads: 8, kvHeads: 2, dim: 64, seqs: [[37, 57], [1, 1], [1, 9], [1, 16], [1, 33], [1, 100]], split: true },
  { heads: 8, kvHeads: 1, dim: 128, seqs: [[6, 6], [1, 1], [1, 129], [9, 20]], split: true },
  // The H200 bench shape's group and head dim with hardware tiles (8 lanes per key, 4 P.V rows per thread;
  // prefill tile of 2 tokens x 4 heads, 8 rows per thread).
  { heads: 8, kvHeads: 2, dim: 128, seqs: [[1, 1], [1, 64], [1, 65], [1, 300], [5, 70]], split: true, hw: true },
  { heads: 8, kvHeads: 1, dim: 128, seqs: [[3, 18], [1, 31]] },
  // A later layer of a 3-layer pool; a non-default page size with splits.
  { heads: 8, kvHeads: 2, dim: 64, seqs: [[1, 48], [20, 30]], layers: 3, layer: 2 },
  { heads: 2, kvHeads: 1, dim: 8, seqs: [[1, 7], [1, 8], [1, 9], [1, 150], [12, 12]], tpp: 8, split: true, bk: 16 },
  // Hardware tiles (the H200's configuration, whatever this adapter is): 32-key decode tiles with 8 lanes
  // per key and G rows per P.V thread; 128-key prefill tiles with 1 lane (partials budget) and 8 rows.
  { heads: 8, kvHeads: 2, dim: 64, seqs: [[37, 57], [1, 1], [1, 9], [1, 16], [1, 33], [1, 100]], split: true, hw: true },
  // Awkward: D 12 (3 dim quads: 2 lanes, one idle on the second quad), G 3 (prefill tile of 30 rows, not
  // a multiple of 8 P.V rows), 16-key tiles (row groups: WG > BK * LK), 8-token pages.
  { heads: 6, kvHeads: 2, dim: 12, seqs: [[1, 7], [1, 17], [1, 150], [12, 12], [23, 40]], tpp: 8, split: true, bk: 16, hw: true },
  // Clamped K loads (CLAMPK) and the subgroup lane sum: the H200 shape's group and head dim, and the
  // awkward D 12 / G 3 / 16-key case (a masked quad past D / 4, spare threads, row groups).
  { heads: 8, kvHeads: 2, dim: 128, seqs: [[1, 1], [1, 64], [1, 65], [1, 300], [5, 70]], split: true, hw: true, variant: 'clamp' },
  { heads: 6, kvHeads: 2, dim: 12, seqs: [[1, 7], [1, 17], [1, 150], [12, 12], [23, 40]], tpp: 8, split: true, bk: 16, hw: true, variant: 'clamp' },
  { heads: 8, kvHeads: 2, dim: 128, seqs: [[1, 1], [1, 64], [1, 65], [1, 300], [5, 70]], split: true, hw: true, variant: 'sg' },
  { heads: 6, kvHeads: 2, dim: 12, seqs: [[1, 7], [1, 17], [1, 150], [12, 12], [23, 40]], tpp: 8, split: true, bk: 16, hw: true, variant: 'sg' },
  // The H200 default with subgroups: 64-key decode tiles (context 200: a partial last tile per split).
  { heads: 8, kvHeads: 2, dim: 64, seqs: [[1, 63], [1, 64], [1, 65], [1, 200], [9, 20]], split: true, bk: 64, hw: true, variant: 'sg' },
  // Decode kernels chosen explicitly. The cases above without hw run this adapter's choice (on SwiftShader
  // the subgroup decode kernel: D 8 / G 1-2 with 1 lane per key, D 64 / G 4 with 4 lanes, splits, 8-token
  // pages); these add the tile kernel on software tiles, and the subgroup kernel with 2 lanes per key
  // (D 32 / G 4), with D 12 / G 3 (3 dim quads), and a context that is not a multiple of the keys in flight.
  { heads: 2, kvHeads: 2, dim: 8, seqs: [[1, 1], [1, 15], [1, 16], [1, 17], [17, 17]], decode: 'tile' },
  { heads: 8, kvHeads: 2, dim: 64, seqs: [[37, 57], [1, 1], [1, 9], [1, 16], [1, 33], [1, 100]], split: true, decode: 'tile' },
  { heads: 4, kvHeads: 1, dim: 32, seqs: [[1, 1], [1, 5], [1, 64], [1, 65], [1, 130]], decode: 'subgroup' },
  { heads: 4, kvHeads: 1, dim: 32, seqs: [[1, 1], [1, 5], [1, 64], [1, 65], [1, 130]], split: true, decode: 'subgroup' },
  { heads: 6, kvHeads: 2, dim: 12, seqs: [[1, 7], [1, 17], [1, 150], [12, 12], [23, 40]], tpp: 8, split: true, decode: 'subgroup' },
];

function setup(ctx: GpuContext, c: Case, cache: PipelineCache, seed: number) {
  const tpp = c.tpp ?? 16;
  const numLayers = c.layers ?? 1;
  const numPages = pagesNeeded(c.seqs, tpp) + 3;
  const layout = { numPages, numLayers, numKvHeads: c.kvHeads, headDim: c.dim, tokensPerPage: tpp };
  const batch = makeBatch(c.seqs, tpp, numPages, seed);
  const poolData = uniform(numPages * pageStride(layout), seed + 1);
  const q = uniform(batch.numTokens * c.heads * c.dim, seed + 2);
  const kernel = new PagedAttention(ctx, cache, {
    numHeads: c.heads,
    numKvHeads: c.kvHeads,
    headDim: c.dim,
    numLayers,
    tokensPerPage: tpp,
    maxTokens: Math.max(1, batch.numTokens),
    maxSeqs: Math.max(1, c.seqs.length),
    maxBlockTableEntries: numPages,
    ...(c.split ? { policy: FORCE_SPLIT } : {}),
    ...(c.hw ? defaultAttentionTiles(false) : {}),
    ...(c.bk ? { keysPerTile: c.bk, prefillKeysPerTile: c.bk } : {}),
    ...(c.variant === 'clamp' ? { clampedLoads: true } : {}),
    ...(c.variant === 'sg' ? { subgroupLanes: true, lanesPerKey: 4 } : {}),
    ...(c.decode ? { decodeKernel: c.decode } : c.hw ? { decodeKernel: 'tile' as const } : {}),
  });
  return { tpp, numLayers, layout, batch, poolData, q, kernel };
}

describe('paged attention vs reference', () => {
  CASES.forEach((c, i) => {
    gpuTest(caseName(c), async ({ ctx, device }) => {
      const cache = pipelines(device);
      const { tpp, numLayers, batch, poolData, q, kernel } = setup(ctx, c, cache, 100 + i);
      const plan = kernel.prepare(batch);
      if (c.split) expect(plan.numSplits, 'forced split').toBeGreaterThan(1);
      expect(kernel.decodeKernel, 'decode kernel').toBe(c.decode ?? (c.hw ? 'tile' : chooseDecodeKernel(ctx, c.dim, c.heads / c.kvHeads)));
      if (c.variant === 'clamp') expect(kernel.decodeVariant.clamp && kernel.tileVariant.clamp, 'CLAMPK on').toBe(true);
      // SwiftShader (the CI adapter) has subgroups; a device without them runs the plain variant.
      if (c.variant === 'sg') expect(kernel.decodeVariant.sg, 'subgroup variant').toBe(ctx.hasSubgroups && kernel.decodeVariant.lk > 1);
      const pool = storageBuffer(device, 'AttentionTest.pool', poolData);
      const { out } = await runAttention(ctx, kernel, batch, q, pool, c.layer ?? 0);
      const want = attentionReference(batch, q, poolData, {
        numHeads: c.heads, numKvHeads: c.kvHeads, headDim: c.dim, numLayers, tokensPerPage: tpp, layer: c.layer ?? 0, paged: true,
      });
      expectClose(out, want, 2e-5, 1e-4, caseName(c));
      kernel.destroy();
    });
  });

  gpuTest('decode kernel rule: subgroup kernel on software adapters with subgroups where the registers fit', async ({ ctx }) => {
    expect(subgroupDecodeLanes(8, 2, 4)).toBe(1);
    expect(subgroupDecodeLanes(32, 4, 4)).toBe(2);
    expect(subgroupDecodeLanes(64, 4, 4)).toBe(4);
    expect(subgroupDecodeLanes(128, 4, 32)).toBe(8);
    expect(subgroupDecodeLanes(128, 8, 4)).toBe(0); // 8 heads x 8 quads per lane: too many registers
    const want = ctx.hasSubgroups && ctx.info.isSoftware ? 'subgroup' : 'tile';
    expect(chooseDecodeKernel(ctx, 8, 2)).toBe(want);
    expect(chooseDecodeKernel(ctx, 128, 8)).toBe('tile');
  });

  gpuTest('empty batch records no dispatch', async ({ ctx, device }) => {
    const kernel = new PagedAttention(ctx, pipelines(device), {
      numHeads: 2, numKvHeads: 1, headDim: 8, numLayers: 1, tokensPerPage: 16, maxTokens: 4, maxSeqs: 2,
    });
    const pool = storageBuffer(device, 'AttentionTest.pool', 4096);
    const { numDispatchItems } = await runAttention(ctx, kernel, { numTokens: 0, seqs: [] }, new Float32Array(0), pool);
    expect(numDispatchItems).toBe(0);
    kernel.destroy();
  });

  gpuTest('q read from fused QKV rows (qStride) and padding tokens left untouched', async ({ ctx, device }) => {
    const heads = 2, kvHeads = 1, dim = 8, tpp = 16;
    const stride = (heads + 2 * kvHeads) * dim;
    // Token 0 is padding (no sequence), then a 5-token chunk and a decode.
    const specs: SeqSpec[] = [[5, 21], [1, 3]];
    const numPages = pagesNeeded(specs, tpp) + 1;
    const b = makeBatch(specs, tpp, numPages, 7);
    const batch = { numTokens: b.numTokens + 1, seqs: b.seqs.map((s) => ({ ...s, queryStart: s.queryStart + 1 })) };
    const layout = { numPages, numLayers: 1, numKvHeads: kvHeads, headDim: dim, tokensPerPage: tpp };
    const poolData = uniform(numPages * pageStride(layout), 8);
    const qkv = uniform(batch.numTokens * stride, 9);
    const kernel = new PagedAttention(ctx, pipelines(device), {
      numHeads: heads, numKvHeads: kvHeads, headDim: dim, numLayers: 1, tokensPerPage: tpp, maxTokens: 8, maxSeqs: 2, qStride: stride,
    });
    const pool = storageBuffer(device, 'AttentionTest.pool', poolData);
    const { out } = await runAttention(ctx, kernel, batch, qkv, pool);
    const want = attentionReference(batch, qkv, poolData, {
      numHeads: heads, numKvHeads: kvHeads, headDim: dim, numLayers: 1, tokensPerPage: tpp, layer: 0, qStride: stride, paged: true,
    });
    expectClose(out, want, 2e-5, 1e-4, 'fused qkv');
    kernel.destroy();
  });
});

describe('paged equals contiguous on the same KV, pages scrambled', () => {
  const shapes: Case[] = [
    { heads: 8, kvHeads: 2, dim: 64, seqs: [[37, 57], [1, 1], [1, 9], [1, 16], [1, 33], [1, 100]] },
    { heads: 8, kvHeads: 2, dim: 64, seqs: [[37, 57], [1, 1], [1, 9], [1, 16], [1, 33], [1, 100]], split: true },
  ];
  shapes.forEach((c, i) => {
    gpuTest(`contiguous vs paged ${caseName(c)}`, async ({ ctx, device }) => {
      const cache = pipelines(device);
      const { tpp, layout, batch, poolData, q, kernel } = setup(ctx, c, cache, 300 + i);
      const maxLen = Math.max(...c.seqs.map(([, cl]) => cl));
      // Copy each sequence's keys from its scattered pages into its contiguous row.
      const cl = { ...layout, numPages: c.seqs.length, tokensPerPage: maxLen };
      const contig = new Float32Array(c.seqs.length * pageStride(cl));
      batch.seqs.forEach((s, si) => {
        for (let j = 0; j < s.contextLen; j++) {
          for (const kv of [0, 1] as const) {
            for (let h = 0; h < c.kvHeads; h++) {
              const src = kvOffset(layout, s.blockTable![Math.floor(j / tpp)]!, 0, kv, h, j % tpp, 0);
              contig.set(poolData.subarray(src, src + c.dim), kvOffset(cl, si, 0, kv, h, j, 0));
            }
          }
        }
      });
      const contiguous = new ContiguousAttention(ctx, cache, {
        numHeads: c.heads, numKvHeads: c.kvHeads, headDim: c.dim, numLayers: 1, maxLen,
        maxTokens: batch.numTokens, maxSeqs: c.seqs.length, ...(c.split ? { policy: FORCE_SPLIT } : {}),
      });
      const pagedOut = await runAttention(ctx, kernel, batch, q, storageBuffer(device, 'AttentionTest.pool', poolData));
      const contigOut = await runAttention(ctx, contiguous, batch, q, storageBuffer(device, 'AttentionTest.contig', contig));
      // Same keys in the same order through the same code: equal up to rounding (in practice bitwise).
      expectClose(pagedOut.out, contigOut.out, 1e-6, 1e-6, 'paged vs contiguous');
      kernel.destroy();
      contiguous.destroy();
    });
  });
});

describe('compatibility mode', () => {
  test('paged attention (mixed batch, split decode) on a compatibility-mode device without subgroups', async () => {
    // subgroups off, as on Dawn's OpenGL ES backend: the tile kernel for decode too.
    const ctx = await acquireGpu(navigator.gpu, { featureLevel: 'compatibility', label: 'compat', disableFeatures: ['subgroups'] });
    try {
      expect(ctx.info.featureLevel).toBe('compatibility');
      ctx.device.pushErrorScope('validation');
      const c: Case = { heads: 8, kvHeads: 2, dim: 64, seqs: [[37, 57], [1, 1], [1, 33], [1, 200]], split: true };
      const { tpp, batch, poolData, q, kernel } = setup(ctx, c, new PipelineCache(ctx.device), 500);
      expect(kernel.decodeKernel).toBe('tile');
      const pool = storageBuffer(ctx.device, 'AttentionTest.pool', poolData);
      const { out } = await runAttention(ctx, kernel, batch, q, pool);
      expect((await ctx.device.popErrorScope())?.message ?? null).toBeNull();
      const want = attentionReference(batch, q, poolData, {
        numHeads: 8, numKvHeads: 2, headDim: 64, numLayers: 1, tokensPerPage: tpp, layer: 0, paged: true,
      });
      expectClose(out, want, 2e-5, 1e-4, 'compat');
    } finally {
      ctx.device.destroy();
    }
  });
});
