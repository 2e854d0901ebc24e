/**
 * Weight formats: round trips through the writers for every dtype, the same model from every format,
 * streaming and progress, and a typed error for each kind of broken file.
 */
import { describe, expect, test } from 'vitest';
import { gguf as hfGguf } from '@huggingface/gguf';
import {
  ArrayBufferSource,
  BadFormatError,
  checkDeviceLimits,
  collectFloat32,
  f16ToF32,
  f32ToF16,
  fromFloat32,
  HeaderLengthError,
  MissingTensorError,
  ModelConfigError,
  ModelTooLargeError,
  openGguf,
  openLlama2c,
  openModel,
  openSafetensors,
  permuteRowsForRotateHalf,
  readGgufHeader,
  ShapeMismatchError,
  syntheticWeights,
  toFloat32,
  TruncatedFileError,
  UnknownDtypeError,
  validateConfig,
  writeGguf,
  writeSafetensors,
  type LoadProgress,
  type ModelConfig,
} from '../../../src/model';
import { ggufKv, hfConfigJson, shapeOf, toGguf, toSafetensors, writeLlama2c, type Weights } from './build';
import { fakeFetch, HAVE_STORIES, STORIES_DIR, storiesFile } from './shared';

/** A small awkward config: GQA 3:1, odd hidden size, untied. */
const TINY: ModelConfig = validateConfig({
  dim: 48, hiddenDim: 100, numLayers: 2, numHeads: 6, numKvHeads: 2, headDim: 8, vocabSize: 70, maxSeqLen: 64,
  rmsNormEps: 1e-5, ropeTheta: 10000, ropeConvention: 'interleaved', tiedEmbeddings: false, bosId: 1, eosIds: [2],
});
const TINY_Q8: ModelConfig = { ...TINY, dim: 64, numHeads: 8, numKvHeads: 2, hiddenDim: 96 }; // q8_0 needs inner dims % 32

async function tinyWeights(c = TINY): Promise<Weights> {
  return collectFloat32(syntheticWeights(c, { seed: 3 }));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const src = (b: Uint8Array, name = 'file') => new ArrayBufferSource(b, name);

describe('dtypes', () => {
  test('f16 encode/decode is exact on representable values and rounds to nearest even', () => {
    for (const v of [0, -0, 1, -2.5, 65504, 6.103515625e-5, 5.960464477539063e-8, 0.333251953125]) expect(f16ToF32(f32ToF16(v))).toBe(v);
    expect(f16ToF32(f32ToF16(1 + 2 ** -11))).toBe(1); // tie -> even
    expect(f16ToF32(f32ToF16(1e6))).toBe(Infinity);
  });
  test('bf16 and q8_0 round trips within their precision', () => {
    const v = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 3);
    expect(maxAbsDiff(toFloat32(fromFloat32(v, 'bf16'), 'bf16', 64), v)).toBeLessThan(3 * 2 ** -8);
    // q8_0: error <= scale / 2 = amax / 254 per block.
    expect(maxAbsDiff(toFloat32(fromFloat32(v, 'q8_0'), 'q8_0', 64), v)).toBeLessThan(3 / 254 + 1e-3);
  });
});

describe('round trips', () => {
  test('llama2.c: untied (negative vocab) checkpoint loads back bit-exact', async () => {
    const w = await tinyWeights();
    const ws = await openLlama2c(src(writeLlama2c(TINY, w), 'tiny.bin'));
    expect(ws.config).toEqual(TINY);
    const back = await collectFloat32(ws);
    for (const [k, v] of w) expect(maxAbsDiff(back.get(k)!, v), k).toBe(0);
  });

  for (const dtype of ['f32', 'f16', 'bf16'] as const) {
    test(`safetensors ${dtype}: HF folder loads back (rotate-half config), within ${dtype} precision`, async () => {
      const c = { ...TINY, ropeConvention: 'rotate-half' as const };
      const w = await tinyWeights(c);
      const m = await openModel({ 'config.json': hfConfigJson(c), 'model.safetensors': toSafetensors(c, w, dtype) });
      expect(m.weights.config.ropeConvention).toBe('rotate-half');
      expect(m.weights.tensors.every((t) => t.dtype === dtype)).toBe(true);
      const back = await collectFloat32(m.weights);
      const tol = dtype === 'f32' ? 0 : dtype === 'f16' ? 2e-3 : 2e-2;
      for (const [k, v] of w) expect(maxAbsDiff(back.get(k)!, v), k).toBeLessThanOrEqual(tol * 4);
    });
  }

  for (const dtype of ['f32', 'f16', 'bf16', 'q8_0'] as const) {
    test(`GGUF ${dtype} loads back${dtype === 'q8_0' ? ' dequantized to f32' : ''}`, async () => {
      const c = dtype === 'q8_0' ? TINY_Q8 : TINY;
      const w = await tinyWeights(c);
      const file = toGguf(c, w, dtype);
      const ws = await openGguf(src(file, 'tiny.gguf'));
      expect(ws.config).toMatchObject({ dim: c.dim, numKvHeads: c.numKvHeads, ropeConvention: 'interleaved', tiedEmbeddings: false });
      const wq = ws.tensors.find((t) => t.name === 'layers.0.attn.wq')!;
      expect(wq.storedDtype).toBe(dtype);
      expect(wq.dtype).toBe(dtype === 'q8_0' ? 'f32' : dtype);
      const back = await collectFloat32(ws);
      for (const [k, v] of w) {
        const exact = toFloat32(fromFloat32(v, k.endsWith('norm') ? 'f32' : dtype), k.endsWith('norm') ? 'f32' : dtype, v.length);
        expect(maxAbsDiff(back.get(k)!, exact), k).toBe(0);
      }
    });
  }

  test('sharded safetensors with model.safetensors.index.json', async () => {
    const c = { ...TINY, ropeConvention: 'rotate-half' as const };
    const w = await tinyWeights(c);
    const entries = [...w];
    const half = Math.floor(entries.length / 2);
    const shard = (part: typeof entries) => toSafetensors(c, new Map(part));
    const { hfName } = await import('./build');
    const weightMap = Object.fromEntries(entries.map(([n], i) => [hfName(n), i < half ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']));
    const m = await openModel({
      'config.json': hfConfigJson(c),
      'model.safetensors.index.json': new TextEncoder().encode(JSON.stringify({ weight_map: weightMap })),
      'model-00001-of-00002.safetensors': shard(entries.slice(0, half)),
      'model-00002-of-00002.safetensors': shard(entries.slice(half)),
    });
    const back = await collectFloat32(m.weights);
    for (const [k, v] of w) expect(maxAbsDiff(back.get(k)!, v), k).toBe(0);
  });

  test('streamed from a URL: tensors one at a time, progress reaches the total', async () => {
    const w = await tinyWeights();
    const file = toGguf(TINY, w, 'f16');
    const m = await openModel('https://x.test/tiny.gguf', { fetch: fakeFetch({ 'tiny.gguf': file }, 1000) });
    const seen: LoadProgress[] = [];
    let n = 0;
    for await (const t of m.weights.iterate((p) => seen.push(p))) {
      expect(t.data.byteLength).toBe(t.byteLength);
      n++;
    }
    expect(n).toBe(m.weights.tensors.length);
    const last = seen[seen.length - 1]!;
    expect(last.tensorsDone).toBe(last.tensorsTotal);
    expect(last.bytesDone).toBe(last.bytesTotal);
    expect(seen.every((p, i) => i === 0 || p.bytesDone > seen[i - 1]!.bytesDone)).toBe(true);
  });
});

describe.skipIf(!HAVE_STORIES)('GGUF parser agrees with @huggingface/gguf', () => {
  test('stories260K.gguf: same metadata and tensor infos', async () => {
    const theirs = await hfGguf(`${STORIES_DIR}stories260K.gguf`, { allowLocalFile: true });
    const ours = await readGgufHeader(src(storiesFile('stories260K.gguf')));
    expect(ours.tensors.map((t) => t.name)).toEqual(theirs.tensorInfos.map((t) => t.name));
    expect(ours.tensors.map((t) => t.shape)).toEqual(theirs.tensorInfos.map((t) => t.shape.map(Number).reverse()));
    expect(ours.tensors.map((t) => t.offset - ours.dataStart)).toEqual(theirs.tensorInfos.map((t) => Number(t.offset)));
    expect(ours.dataStart).toBe(Number(theirs.tensorDataOffset));
    for (const [k, v] of ours.metadata) expect(v, k).toEqual((theirs.metadata as Record<string, unknown>)[k]);
  });
});

describe('typed errors for bad files', () => {
  test('truncated files', async () => {
    const w = await tinyWeights();
    const bin = writeLlama2c(TINY, w);
    await expect(openLlama2c(src(bin.subarray(0, bin.length - 1)))).rejects.toThrow(TruncatedFileError);
    await expect(openLlama2c(src(bin.subarray(0, 20)))).rejects.toThrow(TruncatedFileError);
    const g = toGguf(TINY, w);
    await expect(openGguf(src(g.subarray(0, g.length - 100)))).rejects.toThrow(TruncatedFileError);
    await expect(openGguf(src(g.subarray(0, 300)))).rejects.toThrow(TruncatedFileError);
    const st = toSafetensors({ ...TINY, ropeConvention: 'rotate-half' }, w);
    await expect(openSafetensors(src(st.subarray(0, st.length - 4)), { ...TINY, ropeConvention: 'rotate-half' })).rejects.toThrow(TruncatedFileError);
    // A streamed file of unknown length that ends early fails at the tensor it cannot finish.
    const short = g.subarray(0, g.length - 100);
    const noLength: typeof fetch = async (u, i) => {
      const r = await fakeFetch({ 't.gguf': short })(u, i);
      return new Response(r.body);
    };
    const m = await openModel('https://x.test/t.gguf', { fetch: noLength });
    await expect(collectFloat32(m.weights)).rejects.toThrow(TruncatedFileError);
  });

  test('header length past the end of the file / absurd lengths', async () => {
    const st = writeSafetensors([{ name: 'x', dtype: 'F32', shape: [1], data: new Uint8Array(4) }]);
    const bad = st.slice();
    new DataView(bad.buffer).setBigUint64(0, 2n ** 60n, true);
    await expect(openSafetensors(src(bad), TINY)).rejects.toThrow(HeaderLengthError);
    new DataView(bad.buffer).setBigUint64(0, BigInt(bad.length), true);
    await expect(openSafetensors(src(bad), TINY)).rejects.toThrow(HeaderLengthError);
    const g = writeGguf([['general.architecture', 'string', 'llama']], []);
    const g2 = g.slice();
    new DataView(g2.buffer).setBigUint64(24, 2n ** 40n, true); // the key's string length
    await expect(openGguf(src(g2))).rejects.toThrow(HeaderLengthError);
    const g3 = g.slice();
    new DataView(g3.buffer).setBigUint64(8, 2n ** 62n, true); // tensor count
    await expect(openGguf(src(g3))).rejects.toThrow(HeaderLengthError);
  });

  test('unknown dtypes are named', async () => {
    const st = writeSafetensors([{ name: 'model.embed_tokens.weight', dtype: 'I8', shape: [4], data: new Uint8Array(4) }]);
    await expect(openSafetensors(src(st), TINY)).rejects.toThrow(/dtype I8/);
    await expect(openSafetensors(src(st), TINY)).rejects.toThrow(UnknownDtypeError);
    const w = await tinyWeights();
    const tensors = [...w].map(([name, v]) => ({ name: (name === 'embed' ? 'token_embd.weight' : 'x'), ggmlType: 12, shape: shapeOf(TINY, name), data: fromFloat32(v, 'f32') })).slice(0, 1);
    await expect(openGguf(src(writeGguf(ggufKv(TINY), tensors)))).rejects.toThrow(/dtype Q4_K/);
  });

  test('shape disagreeing with the config, missing tensor, unknown tensor', async () => {
    const c = { ...TINY, ropeConvention: 'rotate-half' as const };
    const w = await tinyWeights(c);
    const st = toSafetensors(c, w);
    await expect(openSafetensors(src(st), { ...c, hiddenDim: 101 })).rejects.toThrow(ShapeMismatchError);
    await expect(openSafetensors(src(st), { ...c, hiddenDim: 101 })).rejects.toThrow(/mlp.gate_proj.weight.*\[100, 48\].*\[101, 48\]/);
    const missing = new Map(w);
    missing.delete('layers.1.ffn.w_up');
    await expect(openSafetensors(src(toSafetensors(c, missing)), c)).rejects.toThrow(MissingTensorError);
    await expect(openSafetensors(src(toSafetensors(c, missing)), c)).rejects.toThrow(/layers.1.ffn.w_up/);
    const extra = writeSafetensors([{ name: 'model.layers.0.self_attn.q_proj.bias', dtype: 'F32', shape: [48], data: new Uint8Array(192) }]);
    await expect(openSafetensors(src(extra), c)).rejects.toThrow(BadFormatError);
    // GGUF whose metadata says 3 layers but holds 2.
    const g = toGguf({ ...TINY, numLayers: 2 }, w);
    const kv = ggufKv({ ...TINY, numLayers: 3 });
    const { ggufName } = await import('./build');
    const g3 = writeGguf(kv, [...w].map(([n, v]) => ({ name: ggufName(n), ggmlType: 0, shape: shapeOf(TINY, n), data: fromFloat32(v, 'f32') })));
    void g;
    await expect(openGguf(src(g3))).rejects.toThrow(/missing tensor 'layers.2/);
  });

  test('impossible configs name the field', () => {
    expect(() => validateConfig({ ...TINY, numKvHeads: 4 })).toThrow(/numKvHeads.*do not divide/);
    expect(() => validateConfig({ ...TINY, dim: 0 })).toThrow(ModelConfigError);
    expect(() => validateConfig({ ...TINY, headDim: 7 })).toThrow(/headDim/);
    expect(() => validateConfig({ ...TINY, bosId: 70 })).toThrow(/bosId/);
    expect(() => validateConfig({ ...TINY, rmsNormEps: 0 })).toThrow(/rmsNormEps/);
    expect(() => validateConfig({ ...TINY, numLayers: 1.5 })).toThrow(/numLayers.*integer/);
  });

  test('a model larger than the device limits names the limit', async () => {
    const ws = syntheticWeights({ ...TINY, vocabSize: 4096, dim: 64, numHeads: 8 });
    const limits = { maxBufferSize: 1 << 30, maxStorageBufferBindingSize: 512 * 1024 };
    expect(() => checkDeviceLimits(ws.tensors, limits)).toThrow(ModelTooLargeError);
    expect(() => checkDeviceLimits(ws.tensors, limits)).toThrow(/maxStorageBufferBindingSize.*embed|embed.*maxStorageBufferBindingSize/);
    expect(() => checkDeviceLimits(ws.tensors, { maxBufferSize: 1000, maxStorageBufferBindingSize: 1 << 30 })).toThrow(/maxBufferSize/);
    expect(() => checkDeviceLimits(ws.tensors, { maxBufferSize: 1 << 30, maxStorageBufferBindingSize: 1 << 30 })).not.toThrow();
  });

  test('q/k permutation helper round-trips', () => {
    const w = Float32Array.from({ length: 6 * 8 * 5 }, (_, i) => i);
    expect(permuteRowsForRotateHalf(permuteRowsForRotateHalf(w, 6, 8, 5), 6, 8, 5, true)).toEqual(w);
  });
});
