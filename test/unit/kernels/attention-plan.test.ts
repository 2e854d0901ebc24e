// The attention family's host side: split choice per adapter, item list and metadata words, and the
// page-layout function that every KV kernel shares.
import { describe, expect, test } from 'vitest';
import { buildAttentionPlan, chooseDecodeSplits, defaultSplitPolicy, type AttentionBatch } from '../../../src/kernels/attention-plan';
import { checkPool, kvOffset, maxPoolPages, pageByteRange, pageStride } from '../../../src/kernels/kv-layout';

const GPU = defaultSplitPolicy(false);
const CPU = defaultSplitPolicy(true);

describe('chooseDecodeSplits', () => {
  test('software adapter never splits', () => {
    expect(chooseDecodeSplits(1, 1, 4096, 64, CPU)).toEqual({ numSplits: 1, splitLen: 4096 });
  });
  test('GPU, batch 8 x 8 kv heads, context 512: 64 workgroups want 64 splits, 512 / 128 keys caps at 4', () => {
    expect(chooseDecodeSplits(8, 8, 512, 64, GPU)).toEqual({ numSplits: 4, splitLen: 128 });
  });
  test('GPU, batch 32 x 8 kv heads, context 4096: 256 workgroups want 16 splits of 256 keys', () => {
    expect(chooseDecodeSplits(32, 8, 4096, 128, GPU)).toEqual({ numSplits: 16, splitLen: 256 });
    // An explicit policy of 1024 workgroups: 4 splits of 1024 keys.
    expect(chooseDecodeSplits(32, 8, 4096, 64, { ...GPU, targetWorkgroups: 1024 })).toEqual({ numSplits: 4, splitLen: 1024 });
  });
  test('GPU, one decode, 1 kv head, context 100000: capped at maxSplits 16', () => {
    // ceil(100000 / 16) = 6250 -> rounded up to tiles of 64: 6272; ceil(100000 / 6272) = 16
    expect(chooseDecodeSplits(1, 1, 100000, 64, GPU)).toEqual({ numSplits: 16, splitLen: 6272 });
  });
  test('short context: one split; splitLen rounds to whole tiles and no split lies past the context', () => {
    expect(chooseDecodeSplits(1, 1, 100, 64, GPU)).toEqual({ numSplits: 1, splitLen: 128 });
    // 300 keys: want 4096 -> byLen ceil(300/128) = 3 -> splitLen ceil(100/64)*64 = 128 -> ceil(300/128) = 3
    expect(chooseDecodeSplits(1, 1, 300, 64, GPU)).toEqual({ numSplits: 3, splitLen: 128 });
  });
  test('no decodes', () => {
    expect(chooseDecodeSplits(0, 8, 0, 64, GPU).numSplits).toBe(1);
  });
});

describe('buildAttentionPlan', () => {
  const batch: AttentionBatch = {
    numTokens: 5,
    seqs: [
      { queryStart: 0, queryLen: 3, contextLen: 20, blockTable: [7, 2] }, // prefill chunk at positions 17..19
      { queryStart: 3, queryLen: 1, contextLen: 1, blockTable: [4] },
      { queryStart: 4, queryLen: 1, contextLen: 300, blockTable: Array.from({ length: 19 }, (_, i) => 20 + i) },
    ],
  };
  test('decode split items first, then prefill tiles; positions and block tables follow', () => {
    const scratch = new Uint32Array(256);
    const p = buildAttentionPlan(batch, { qt: 2, bk: 64, paged: true, numKvHeads: 1, tokensPerPage: 16, policy: GPU }, scratch);
    // 2 decodes; max context 300 -> 3 splits of 128 keys; 6 split items + ceil(3 / 2) = 2 tiles.
    expect([p.numDecode, p.numSplits, p.splitLen, p.numSplitItems, p.numTileItems]).toEqual([2, 3, 128, 6, 2]);
    expect(p.posOffset).toBe(32);
    const bt = 32 + 5; // block tables start after the 5 positions: seq0 at 37, seq1 at 39, seq2 at 40
    const items = Array.from({ length: 8 }, (_, i) => Array.from(p.meta.subarray(4 * i, 4 * i + 4)));
    expect(items).toEqual([
      [1, 3, 1, bt + 2], [1, 3, 1, bt + 2], [1, 3, 1, bt + 2],
      [2, 4, 1, bt + 3], [2, 4, 1, bt + 3], [2, 4, 1, bt + 3],
      [0, 0, 2, bt], [0, 2, 1, bt],
    ]);
    expect(Array.from(p.meta.subarray(32, 37))).toEqual([17, 18, 19, 0, 299]);
    expect(Array.from(p.meta.subarray(bt, bt + 3))).toEqual([7, 2, 4]);
    expect(p.meta.length).toBe(bt + 2 + 1 + 19);
  });
  test('contiguous mode: kvBase is the cache row, no block tables', () => {
    const scratch = new Uint32Array(256);
    const seqs = batch.seqs.map((s, i) => ({ ...s, cacheRow: 10 + i }));
    const p = buildAttentionPlan({ numTokens: 5, seqs }, { qt: 4, bk: 64, paged: false, maxLen: 512, numKvHeads: 1, tokensPerPage: 512, policy: CPU }, scratch);
    expect(p.numSplits).toBe(1);
    expect(Array.from(p.meta.subarray(0, 12))).toEqual([1, 3, 1, 11, 2, 4, 1, 12, 0, 0, 3, 10]);
    expect(p.meta.length).toBe(12 + 5);
  });
  test('empty batch: no items', () => {
    const p = buildAttentionPlan({ numTokens: 0, seqs: [] }, { qt: 2, bk: 64, paged: true, numKvHeads: 1, tokensPerPage: 16, policy: GPU }, new Uint32Array(4));
    expect(p.numSplitItems + p.numTileItems).toBe(0);
  });
  test('rejects a block table too short for the context and a query range outside the batch', () => {
    const o = { qt: 2, bk: 64, paged: true, numKvHeads: 1, tokensPerPage: 16, policy: GPU };
    expect(() => buildAttentionPlan({ numTokens: 1, seqs: [{ queryStart: 0, queryLen: 1, contextLen: 17, blockTable: [0] }] }, o, new Uint32Array(64))).toThrow(/needs 2/);
    expect(() => buildAttentionPlan({ numTokens: 1, seqs: [{ queryStart: 0, queryLen: 2, contextLen: 2, blockTable: [0] }] }, o, new Uint32Array(64))).toThrow(/outside/);
  });
});

describe('kv layout', () => {
  const l = { numLayers: 2, numKvHeads: 3, headDim: 8, tokensPerPage: 16 };
  test('offsets: dim fastest, then slot, kv head, K|V, layer, page', () => {
    expect(kvOffset(l, 0, 0, 0, 0, 0, 1)).toBe(1);
    expect(kvOffset(l, 0, 0, 0, 0, 1, 0)).toBe(8);
    expect(kvOffset(l, 0, 0, 0, 1, 0, 0)).toBe(128);
    expect(kvOffset(l, 0, 0, 1, 0, 0, 0)).toBe(384);
    expect(kvOffset(l, 0, 1, 0, 0, 0, 0)).toBe(768);
    expect(kvOffset(l, 1, 0, 0, 0, 0, 0)).toBe(pageStride(l));
    expect(pageStride(l)).toBe(2 * 2 * 3 * 16 * 8);
    expect(pageByteRange(l, 3)).toEqual({ offset: 3 * 1536 * 4, size: 1536 * 4 });
  });
  test('pool bounds: binding limit and u32 element indexing', () => {
    const limits = { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 2 ** 32 };
    expect(maxPoolPages(l, limits)).toBe(Math.floor((128 * 2 ** 20) / (1536 * 4)));
    expect(() => checkPool({ ...l, numPages: maxPoolPages(l, limits) + 1 }, limits)).toThrow(/binding limit/);
    expect(() => checkPool({ ...l, numPages: 2 ** 22 })).toThrow(/u32/);
    expect(() => checkPool({ ...l, headDim: 6, numPages: 1 })).toThrow(/multiple of 4/);
  });
});
