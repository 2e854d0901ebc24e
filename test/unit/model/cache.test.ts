/**
 * Download cache (over an in-memory store here; test/gpu/model-cache.test.ts runs it on real IndexedDB)
 * and the incremental SHA-256 it keys content by.
 */
import { describe, expect, test } from 'vitest';
import { MemoryStore, ModelCache, ModelFetchError, openModel, Sha256, sha256Hex } from '../../../src/model';
import { mulberry32 } from '../../util/rng';
import { fakeFetch } from './shared';

async function subtleHex(b: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', b as BufferSource);
  return Array.from(new Uint8Array(d), (x) => x.toString(16).padStart(2, '0')).join('');
}

function randomBytes(n: number, seed: number): Uint8Array {
  const r = mulberry32(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

describe('sha256', () => {
  test('equals crypto.subtle for lengths around block boundaries and any chunking', async () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_003]) {
      const b = randomBytes(n, n);
      const want = await subtleHex(b);
      expect(sha256Hex(b), `n=${n}`).toBe(want);
      const h = new Sha256();
      const r = mulberry32(n + 1);
      for (let o = 0; o < n; ) {
        const step = Math.floor(r() * 200);
        h.update(b.subarray(o, o + step));
        o += step;
      }
      expect(h.hex(), `n=${n} chunked`).toBe(want);
    }
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('ModelCache', () => {
  test('download once, then hit; sizes listed; shared content stored once; evict', async () => {
    const a = randomBytes(300_000, 1);
    const b = randomBytes(5_000, 2);
    let calls = 0;
    const inner = fakeFetch({ 'a.bin': a, 'b.bin': b, 'a-copy.bin': a }, 65536);
    const f: typeof fetch = (u, i) => {
      calls++;
      return inner(u, i);
    };
    const store = new MemoryStore();
    const cache = new ModelCache(store);
    const progress: number[] = [];
    const first = await cache.fetch('https://m.test/a.bin', { fetch: f, onDownload: (r) => progress.push(r) });
    expect(first.fromCache).toBe(false);
    expect(first.entry.size).toBe(a.length);
    expect(first.entry.sha256).toBe(await subtleHex(a));
    expect(progress[progress.length - 1]).toBe(a.length);
    const again = await cache.fetch('https://m.test/a.bin', { fetch: f });
    expect(again.fromCache).toBe(true);
    expect(calls).toBe(1);
    expect(Buffer.from(await again.blob.arrayBuffer()).equals(Buffer.from(a))).toBe(true);

    await cache.fetch('https://m.test/b.bin', { fetch: f });
    await cache.fetch('https://m.test/a-copy.bin', { fetch: f });
    const list = await cache.list();
    expect(list.map((e) => e.source).sort()).toEqual(['https://m.test/a-copy.bin', 'https://m.test/a.bin', 'https://m.test/b.bin']);
    expect(await cache.totalBytes()).toBe(a.length + b.length); // a and a-copy share one blob
    expect([...store.map.keys()].filter((k) => k.startsWith('blob:'))).toHaveLength(2);

    expect(await cache.evict('https://m.test/a.bin')).toBe(true);
    expect(await cache.get('https://m.test/a-copy.bin')).toBeDefined(); // still shares the blob
    expect(await cache.evict('https://m.test/a-copy.bin')).toBe(true);
    expect([...store.map.keys()].filter((k) => k.startsWith('blob:'))).toHaveLength(1);
    expect(await cache.evict('https://m.test/nope')).toBe(false);
    await cache.clear();
    expect(store.map.size).toBe(0);
  });

  test('HTTP errors and unknown-length bodies', async () => {
    const cache = new ModelCache(new MemoryStore());
    await expect(cache.fetch('https://m.test/missing', { fetch: fakeFetch({}) })).rejects.toThrow(ModelFetchError);
    const data = randomBytes(70_000, 3);
    const noLength: typeof fetch = async (u, i) => new Response((await fakeFetch({ 'x.bin': data })(u, i)).body);
    const got = await cache.fetch('https://m.test/x.bin', { fetch: noLength });
    expect(got.entry.size).toBe(data.length);
    expect(got.entry.sha256).toBe(await subtleHex(data));
  });

  test('a cached Blob loads as a model', async () => {
    const { writeLlama2c, collectFloat32, syntheticWeights, validateConfig } = await import('../../../src/model');
    const c = validateConfig({ dim: 16, hiddenDim: 24, numLayers: 1, numHeads: 2, numKvHeads: 1, headDim: 8, vocabSize: 10, maxSeqLen: 8, rmsNormEps: 1e-5, ropeTheta: 10000, ropeConvention: 'interleaved', tiedEmbeddings: true, bosId: 1, eosIds: [2] });
    const file = writeLlama2c(c, await collectFloat32(syntheticWeights(c)));
    const cache = new ModelCache(new MemoryStore());
    const { blob } = await cache.fetch('https://m.test/m.bin', { fetch: fakeFetch({ 'm.bin': file }) });
    const m = await openModel({ 'm.bin': blob });
    expect(m.weights.config.dim).toBe(16);
  });
});
