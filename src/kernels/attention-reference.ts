/**
 * Plain-TypeScript reference for the attention family: the textbook two-pass softmax in f64 over K/V
 * read through kv-layout.ts (paged: block tables; contiguous: one row per sequence). Tests compare the
 * kernels to it; it shares only the layout function and the batch type with them.
 */
import type { AttentionBatch } from './attention-plan';
import { kvOffset, type KvPoolLayout } from './kv-layout';

export interface AttentionRefConfig {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  numLayers: number;
  tokensPerPage: number;
  layer: number;
  /** Elements between consecutive tokens' q rows (default numHeads * headDim). */
  qStride?: number;
  paged: boolean;
}

/** out [numTokens][numHeads][headDim]; tokens that belong to no sequence stay 0. */
export function attentionReference(batch: AttentionBatch, q: Float32Array, pool: Float32Array, c: AttentionRefConfig): Float32Array {
  const { numHeads, numKvHeads, headDim: D, layer } = c;
  const G = numHeads / numKvHeads;
  const qStride = c.qStride ?? numHeads * D;
  const layout: Omit<KvPoolLayout, 'numPages'> = { numLayers: c.numLayers, numKvHeads, headDim: D, tokensPerPage: c.tokensPerPage };
  const out = new Float32Array(batch.numTokens * numHeads * D);
  const scale = 1 / Math.sqrt(D);
  batch.seqs.forEach((s, si) => {
    const at = (kv: 0 | 1, kvh: number, j: number): number =>
      c.paged
        ? kvOffset(layout, s.blockTable![Math.floor(j / c.tokensPerPage)]!, layer, kv, kvh, j % c.tokensPerPage, 0)
        : kvOffset(layout, s.cacheRow ?? si, layer, kv, kvh, j, 0);
    for (let i = 0; i < s.queryLen; i++) {
      const t = s.queryStart + i;
      const pos = s.contextLen - s.queryLen + i;
      for (let h = 0; h < numHeads; h++) {
        const kvh = Math.floor(h / G);
        const qo = t * qStride + h * D;
        const scores = new Float64Array(pos + 1);
        let m = -Infinity;
        for (let j = 0; j <= pos; j++) {
          const ko = at(0, kvh, j);
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qo + d]! * pool[ko + d]!;
          scores[j] = dot * scale;
          m = Math.max(m, scores[j]!);
        }
        let sum = 0;
        for (let j = 0; j <= pos; j++) sum += (scores[j] = Math.exp(scores[j]! - m));
        const acc = new Float64Array(D);
        for (let j = 0; j <= pos; j++) {
          const vo = at(1, kvh, j);
          const p = scores[j]! / sum;
          for (let d = 0; d < D; d++) acc[d] = acc[d]! + p * pool[vo + d]!;
        }
        out.set(acc, (t * numHeads + h) * D);
      }
    }
  });
  return out;
}
