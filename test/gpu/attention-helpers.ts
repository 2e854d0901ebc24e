/**
 * Shared helpers of the attention / kv-write / page-copy GPU tests: seeded batches, pools with pages
 * scattered by a permutation, and a one-shot runner that records the kernel into one pass and submits
 * (tests may submit; kernel wrappers never do).
 */
import { readBuffer, storageBuffer, type GpuContext } from '../../src/gpu';
import type { AttentionBatch, AttentionSeq } from '../../src/kernels/attention-plan';
import type { PagedAttention } from '../../src/kernels/attention';
import { permutation } from '../util/rng';

/** A sequence spec: [queryLen, contextLen] (contextLen includes the query tokens). */
export type SeqSpec = readonly [queryLen: number, contextLen: number];

/** Lays the sequences out back to back and gives each a block table of distinct pages drawn from a seeded permutation of the pool. */
export function makeBatch(specs: readonly SeqSpec[], tokensPerPage: number, numPages: number, seed: number): AttentionBatch {
  const perm = permutation(numPages, seed);
  let next = 0;
  let t = 0;
  const seqs: AttentionSeq[] = specs.map(([queryLen, contextLen], i) => {
    const n = Math.ceil(contextLen / tokensPerPage);
    const blockTable = Array.from(perm.subarray(next, next + n));
    next += n;
    const s = { queryStart: t, queryLen, contextLen, blockTable, cacheRow: i };
    t += queryLen;
    return s;
  });
  if (next > numPages) throw new Error(`test batch needs ${next} pages, pool has ${numPages}`);
  return { numTokens: t, seqs };
}

export function pagesNeeded(specs: readonly SeqSpec[], tokensPerPage: number): number {
  return specs.reduce((n, [, c]) => n + Math.ceil(c / tokensPerPage), 0);
}

/** Runs one attention step on fresh buffers and reads `out` back. */
export async function runAttention(
  ctx: GpuContext,
  kernel: PagedAttention,
  batch: AttentionBatch,
  q: Float32Array,
  pool: GPUBuffer,
  layer = 0,
): Promise<{ out: Float32Array; numDispatchItems: number }> {
  const { device } = ctx;
  const outBytes = batch.numTokens * kernel.cfg.numHeads * kernel.cfg.headDim * 4;
  const qb = storageBuffer(device, 'AttentionTest.q', q.length ? q : new Float32Array(4));
  const ob = storageBuffer(device, 'AttentionTest.out', Math.max(16, outBytes));
  const plan = kernel.prepare(batch);
  const enc = device.createCommandEncoder({ label: 'AttentionTest.encoder' });
  const pass = enc.beginComputePass({ label: 'AttentionTest.pass' });
  kernel.encode(pass, plan, { q: qb, pool, out: ob }, layer);
  pass.end();
  device.queue.submit([enc.finish()]);
  const out = new Float32Array(await readBuffer(device, ob, Math.max(16, outBytes))).slice(0, outBytes / 4);
  return { out, numDispatchItems: plan.numSplitItems + plan.numTileItems };
}
