/**
 * src/model in the browser: the download cache on real IndexedDB (idb-keyval), @huggingface/tokenizers
 * running in Chromium, the device-limit check against this adapter's limits, and weights streamed tensor
 * by tensor into GPU buffers and read back bit-exact.
 */
import { describe, expect, test } from 'vitest';
import { gpuTest } from './harness';
import { readBuffer, storageBuffer } from '../../src/gpu';
import {
  checkDeviceLimits,
  HfTokenizer,
  idbStore,
  llama3ScaledConfig,
  ModelCache,
  ModelTooLargeError,
  openModel,
  syntheticWeights,
  validateConfig,
  writeLlama2c,
  collectFloat32,
  type ModelConfig,
} from '../../src/model';
import { miniTokenizerJson, MINI_TOKENIZER_CONFIG } from '../unit/model/mini-tokenizer';
import { fakeFetch } from '../unit/model/fetch-fake';

const TINY: ModelConfig = validateConfig({
  dim: 32, hiddenDim: 40, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 8, vocabSize: 64, maxSeqLen: 16,
  rmsNormEps: 1e-5, ropeTheta: 10000, ropeConvention: 'interleaved', tiedEmbeddings: true, bosId: 1, eosIds: [2],
});

describe('model loading in the browser', () => {
  test('ModelCache on IndexedDB: download, hit, list sizes, evict; the cached Blob opens as a model', async () => {
    const file = writeLlama2c(TINY, await collectFloat32(syntheticWeights(TINY, { seed: 4 })));
    const cache = new ModelCache(idbStore('model-loading-test', 'files'));
    await cache.clear();
    let calls = 0;
    const inner = fakeFetch({ 'tiny.bin': file, 'copy.bin': file });
    const f: typeof fetch = (u, i) => {
      calls++;
      return inner(u, i);
    };
    const a = await cache.fetch('https://m.test/tiny.bin', { fetch: f });
    expect(a.fromCache).toBe(false);
    const b = await cache.fetch('https://m.test/tiny.bin', { fetch: f });
    expect(b.fromCache).toBe(true);
    expect(calls).toBe(1);
    await cache.fetch('https://m.test/copy.bin', { fetch: f });
    const list = await cache.list();
    expect(list).toHaveLength(2);
    expect(list[0]!.size).toBe(file.byteLength);
    expect(list[0]!.sha256).toBe(list[1]!.sha256);
    expect(await cache.totalBytes()).toBe(file.byteLength);
    const m = await openModel({ 'tiny.bin': b.blob });
    expect(m.weights.config.dim).toBe(32);
    expect(await cache.evict('https://m.test/tiny.bin')).toBe(true);
    expect(await cache.get('https://m.test/copy.bin')).toBeDefined();
    await cache.clear();
    expect(await cache.list()).toEqual([]);
  });

  test('@huggingface/tokenizers works in Chromium: encode, decode, streaming', () => {
    const t = new HfTokenizer(miniTokenizerJson(), MINI_TOKENIZER_CONFIG);
    const s = 'the one \u{1F600}';
    const ids = t.encode(s);
    expect(ids[0]).toBe(1);
    expect(t.decode(ids)).toBe(s);
    const d = t.streamDecoder();
    expect(ids.map((id) => d.push(id)).join('') + d.flush()).toBe(s);
  });
});

gpuTest('device limits: a full-size Llama-3-8B embedding does not fit; the error names the limit', async ({ ctx }) => {
  const big = syntheticWeights(llama3ScaledConfig({ numHeads: 32, numLayers: 1, vocabSize: 128256 }));
  let err: unknown;
  try {
    checkDeviceLimits(big.tensors, ctx.limits);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ModelTooLargeError);
  expect((err as ModelTooLargeError).limit).toMatch(/^max(Buffer|StorageBufferBinding)Size$/);
  console.log(`[model] ${(err as Error).message}`);
  checkDeviceLimits(syntheticWeights(TINY).tensors, ctx.limits);
});

gpuTest('weights stream into GPU buffers one tensor at a time and read back bit-exact', async ({ device }) => {
  const src = syntheticWeights(TINY, { seed: 9 });
  const buffers = new Map<string, GPUBuffer>();
  let last: { name: string; bytes: Uint8Array } | undefined;
  for await (const t of src.iterate()) {
    buffers.set(t.name, storageBuffer(device, `Weights.${t.name}`, t.data));
    last = { name: t.name, bytes: t.data.slice() };
  }
  expect(buffers.size).toBe(src.tensors.length);
  const back = new Uint8Array(await readBuffer(device, buffers.get(last!.name)!, last!.bytes.byteLength));
  expect(Array.from(back)).toEqual(Array.from(last!.bytes));
});
