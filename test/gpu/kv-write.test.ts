// kv-write and page-copy (shaders/kv-write.wgsl, shaders/page-copy.wgsl) against their references,
// and the kv-write -> attention round trip through the shared page layout (kv-layout.ts).
import { describe, expect, test } from 'vitest';
import { gpuTest, expectClose } from './harness';
import { makeBatch, pagesNeeded, runAttention, type SeqSpec } from './attention-helpers';
import { acquireGpu, PipelineCache, readBuffer, storageBuffer, type GpuContext } from '../../src/gpu';
import { KvWrite, kvWriteReference, type KvWriteRope } from '../../src/kernels/kv-write';
import { ropeReference, type RopeConvention } from '../../src/kernels/rope';
import { PageCopy, pageCopyReference, checkPagePairs, type PagePair } from '../../src/kernels/page-copy';
import { PagedAttention } from '../../src/kernels/attention';
import { attentionReference } from '../../src/kernels/attention-reference';
import { pageStride, type KvPoolLayout } from '../../src/kernels/kv-layout';
import { uniform } from '../util/rng';

let sharedCache: PipelineCache | undefined;
const pipelines = (device: GPUDevice) => (sharedCache ??= new PipelineCache(device));

async function runKvWrite(
  ctx: GpuContext,
  cache: PipelineCache,
  layout: KvPoolLayout,
  heads: number,
  qkv: Float32Array,
  slots: Int32Array<ArrayBuffer>,
  layer: number,
  poolData: Float32Array,
  rope?: { fuse: KvWriteRope; positions: Uint32Array<ArrayBuffer> },
) {
  const { device } = ctx;
  const kw = new KvWrite(ctx, cache, { ...layout, numHeads: heads, maxTokens: Math.max(1, slots.length) }, rope?.fuse);
  const pool = storageBuffer(device, 'KvWriteTest.pool', poolData);
  const qb = storageBuffer(device, 'KvWriteTest.qkv', qkv.length ? qkv : new Float32Array(4));
  const positions = rope ? storageBuffer(device, 'KvWriteTest.positions', rope.positions.length ? rope.positions : new Uint32Array(1)) : undefined;
  kw.prepare(slots);
  const enc = device.createCommandEncoder({ label: 'KvWriteTest.encoder' });
  const pass = enc.beginComputePass({ label: 'KvWriteTest.pass' });
  kw.encode(pass, { qkv: qb, pool, ...(positions ? { positions } : {}) }, layer);
  pass.end();
  device.queue.submit([enc.finish()]);
  const got = new Float32Array(await readBuffer(device, pool, poolData.byteLength));
  const gotQkv = new Float32Array(await readBuffer(device, qb, Math.max(16, qkv.byteLength))).subarray(0, qkv.length);
  kw.destroy();
  return { got, gotQkv, pool, qb };
}

interface WriteCase { heads: number; kvHeads: number; dim: number; tokens: number; layers: number; layer: number; pages: number }
const WRITE_CASES: WriteCase[] = [
  { heads: 2, kvHeads: 2, dim: 8, tokens: 1, layers: 1, layer: 0, pages: 2 },
  { heads: 4, kvHeads: 1, dim: 64, tokens: 17, layers: 2, layer: 1, pages: 3 },
  { heads: 8, kvHeads: 2, dim: 128, tokens: 33, layers: 1, layer: 0, pages: 4 },
  { heads: 2, kvHeads: 1, dim: 8, tokens: 0, layers: 1, layer: 0, pages: 1 },
];

describe('kv-write vs reference', () => {
  WRITE_CASES.forEach((c, i) => {
    const name = `kv-write h${c.heads}/kv${c.kvHeads} D${c.dim} tokens ${c.tokens} layer ${c.layer}/${c.layers} pages ${c.pages}`;
    gpuTest(name, async ({ ctx, device }) => {
      const layout: KvPoolLayout = { numPages: c.pages, numLayers: c.layers, numKvHeads: c.kvHeads, headDim: c.dim, tokensPerPage: 16 };
      const poolData = uniform(c.pages * pageStride(layout), 10 + i);
      const qkv = uniform(c.tokens * (c.heads + 2 * c.kvHeads) * c.dim, 20 + i);
      // Distinct slots in random pages; every 5th token is padding (-1).
      const slots = new Int32Array(c.tokens);
      for (let t = 0; t < c.tokens; t++) slots[t] = t % 5 === 4 ? -1 : (t * 7 + 3) % (c.pages * 16);
      const { got } = await runKvWrite(ctx, pipelines(device), layout, c.heads, qkv, slots, c.layer, poolData);
      const want = kvWriteReference(poolData, qkv, slots, { ...layout, numHeads: c.heads, layer: c.layer });
      expectClose(got, want, 0, 0, name);
    });
  });

  // The fused form (rope.wgsl's rope_kv_write) = rope (reference) then kv-write (reference) on the rotated
  // K; Q rotated in place; K and V in qkv untouched. Positions include a page boundary and 2^20 + 3.
  const ROPE_CASES: Array<WriteCase & { convention: RopeConvention; theta: number }> = [
    { ...WRITE_CASES[0]!, convention: 'interleaved', theta: 10000 },
    { ...WRITE_CASES[1]!, convention: 'rotate-half', theta: 500000 },
    { ...WRITE_CASES[2]!, convention: 'interleaved', theta: 10000 },
    { heads: 6, kvHeads: 3, dim: 12, tokens: 5, layers: 3, layer: 2, pages: 2, convention: 'rotate-half', theta: 10000 },
    { ...WRITE_CASES[3]!, convention: 'rotate-half', theta: 10000 },
  ];
  ROPE_CASES.forEach((c, i) => {
    const name = `rope + kv-write fused, ${c.convention} h${c.heads}/kv${c.kvHeads} D${c.dim} tokens ${c.tokens} layer ${c.layer}/${c.layers}`;
    gpuTest(name, async ({ ctx, device }) => {
      const layout: KvPoolLayout = { numPages: c.pages, numLayers: c.layers, numKvHeads: c.kvHeads, headDim: c.dim, tokensPerPage: 16 };
      const poolData = uniform(c.pages * pageStride(layout), 30 + i);
      const width = (c.heads + 2 * c.kvHeads) * c.dim;
      const qkv = uniform(c.tokens * width, 40 + i);
      const slots = new Int32Array(c.tokens);
      const positions = new Uint32Array(c.tokens);
      for (let t = 0; t < c.tokens; t++) {
        slots[t] = t % 5 === 4 ? -1 : (t * 7 + 3) % (c.pages * 16);
        positions[t] = [0, 15, 16, 17, (1 << 20) + 3][t % 5]! + t;
      }
      const { got, gotQkv } = await runKvWrite(ctx, pipelines(device), layout, c.heads, qkv, slots, c.layer, poolData, { fuse: { theta: c.theta, convention: c.convention }, positions });
      const rotated = ropeReference(qkv, positions, c.tokens, { numHeads: c.heads, numKvHeads: c.kvHeads, headDim: c.dim, theta: c.theta, convention: c.convention });
      const wantPool = kvWriteReference(poolData, rotated, slots, { ...layout, numHeads: c.heads, layer: c.layer });
      const wantQkv = qkv.slice();
      for (let t = 0; t < c.tokens; t++) wantQkv.set(rotated.subarray(t * width, t * width + c.heads * c.dim), t * width);
      expectClose(got, wantPool, 2e-5, 2e-5, `${name}: pool`);
      expectClose(gotQkv, wantQkv, 2e-5, 2e-5, `${name}: qkv`);
    });
  });

  test('the fused form refuses padded qkv rows', async () => {
    const ctx = await acquireGpu(navigator.gpu);
    const layout = { numLayers: 1, numKvHeads: 1, headDim: 8, tokensPerPage: 16 };
    expect(() => new KvWrite(ctx, new PipelineCache(ctx.device), { ...layout, numHeads: 2, maxTokens: 4, qkvStride: 40 }, { theta: 10000, convention: 'interleaved' })).toThrow(/rope form needs packed qkv rows \(stride 32\), got 40/);
    ctx.device.destroy();
  });

  gpuTest('kv-write then paged attention (round trip through the page layout)', async ({ ctx, device }) => {
    const heads = 4, kvHeads = 2, dim = 8, tpp = 16;
    const stride = (heads + 2 * kvHeads) * dim;
    // Full prefills: every context token is a query token of this step, so kv-write stores the whole context.
    const specs: SeqSpec[] = [[17, 17], [1, 1], [37, 37]];
    const numPages = pagesNeeded(specs, tpp) + 2;
    const batch = makeBatch(specs, tpp, numPages, 77);
    const layout: KvPoolLayout = { numPages, numLayers: 1, numKvHeads: kvHeads, headDim: dim, tokensPerPage: tpp };
    const qkv = uniform(batch.numTokens * stride, 78);
    const slots = new Int32Array(batch.numTokens);
    for (const s of batch.seqs) {
      for (let k = 0; k < s.queryLen; k++) {
        const pos = s.contextLen - s.queryLen + k;
        slots[s.queryStart + k] = s.blockTable![Math.floor(pos / tpp)]! * tpp + (pos % tpp);
      }
    }
    const poolData = new Float32Array(numPages * pageStride(layout));
    const { pool } = await runKvWrite(ctx, pipelines(device), layout, heads, qkv, slots, 0, poolData);
    const attn = new PagedAttention(ctx, pipelines(device), {
      numHeads: heads, numKvHeads: kvHeads, headDim: dim, numLayers: 1, tokensPerPage: tpp, maxTokens: batch.numTokens, maxSeqs: 3, qStride: stride,
    });
    const { out } = await runAttention(ctx, attn, batch, qkv, pool);
    const refPool = kvWriteReference(poolData, qkv, slots, { ...layout, numHeads: heads, layer: 0 });
    const want = attentionReference(batch, qkv, refPool, { numHeads: heads, numKvHeads: kvHeads, headDim: dim, numLayers: 1, tokensPerPage: tpp, layer: 0, qStride: stride, paged: true });
    expectClose(out, want, 2e-5, 1e-4, 'round trip');
    attn.destroy();
  });
});

async function runPageCopy(ctx: GpuContext, cache: PipelineCache, layout: KvPoolLayout, pairs: PagePair[], poolData: Float32Array) {
  const { device } = ctx;
  const pc = new PageCopy(ctx, cache, layout, Math.max(1, pairs.length));
  const pool = storageBuffer(device, 'PageCopyTest.pool', poolData);
  pc.prepare(pairs);
  const enc = device.createCommandEncoder({ label: 'PageCopyTest.encoder' });
  const pass = enc.beginComputePass({ label: 'PageCopyTest.pass' });
  pc.encode(pass, pool);
  pass.end();
  device.queue.submit([enc.finish()]);
  const got = new Float32Array(await readBuffer(device, pool, poolData.byteLength));
  pc.destroy();
  return got;
}

describe('page copy vs reference', () => {
  const cases: Array<{ layout: KvPoolLayout; pairs: PagePair[] }> = [
    { layout: { numPages: 6, numLayers: 2, numKvHeads: 2, headDim: 8, tokensPerPage: 16 }, pairs: [[0, 3], [5, 1], [2, 4]] },
    { layout: { numPages: 3, numLayers: 1, numKvHeads: 1, headDim: 64, tokensPerPage: 16 }, pairs: [[2, 0]] },
    // A page larger than one workgroup pass over the grid (stride loop): 4 layers x 8 heads x 16 x 128.
    { layout: { numPages: 2, numLayers: 4, numKvHeads: 8, headDim: 128, tokensPerPage: 16 }, pairs: [[1, 0]] },
    { layout: { numPages: 2, numLayers: 1, numKvHeads: 1, headDim: 8, tokensPerPage: 16 }, pairs: [] },
  ];
  cases.forEach(({ layout, pairs }, i) => {
    const name = `page copy ${layout.numPages} pages x ${pageStride(layout)} f32, pairs ${JSON.stringify(pairs)}`;
    gpuTest(name, async ({ ctx, device }) => {
      const poolData = uniform(layout.numPages * pageStride(layout), 40 + i);
      const got = await runPageCopy(ctx, pipelines(device), layout, pairs, poolData);
      expectClose(got, pageCopyReference(poolData, pairs, layout), 0, 0, name);
    });
  });

  test('rejects overlapping or out-of-range pairs', () => {
    expect(() => checkPagePairs([[0, 1], [1, 2]], 4)).toThrow(/both a source and a destination/);
    expect(() => checkPagePairs([[0, 2], [1, 2]], 4)).toThrow(/destination twice/);
    expect(() => checkPagePairs([[0, 4]], 4)).toThrow(/outside/);
    expect(() => checkPagePairs([[0, 1], [0, 2]], 4)).not.toThrow();
  });
});

describe('compatibility mode', () => {
  test('kv-write and page copy on a compatibility-mode device', async () => {
    const ctx = await acquireGpu(navigator.gpu, { featureLevel: 'compatibility', label: 'compat' });
    try {
      ctx.device.pushErrorScope('validation');
      const cache = new PipelineCache(ctx.device);
      const layout: KvPoolLayout = { numPages: 3, numLayers: 1, numKvHeads: 2, headDim: 8, tokensPerPage: 16 };
      const poolData = uniform(3 * pageStride(layout), 60);
      const qkv = uniform(5 * 6 * 8, 61);
      const slots = new Int32Array([0, 17, -1, 40, 5]);
      const { got } = await runKvWrite(ctx, cache, layout, 2, qkv, slots, 0, poolData);
      expectClose(got, kvWriteReference(poolData, qkv, slots, { ...layout, numHeads: 2, layer: 0 }), 0, 0, 'compat kv-write');
      const copied = await runPageCopy(ctx, cache, layout, [[0, 2]], poolData);
      expectClose(copied, pageCopyReference(poolData, [[0, 2]], layout), 0, 0, 'compat page copy');
      expect((await ctx.device.popErrorScope())?.message ?? null).toBeNull();
    } finally {
      ctx.device.destroy();
    }
  });
});
