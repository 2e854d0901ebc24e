/**
 * Fuzzing the parsers with fast-check: thousands of random and mutated files (valid seeds of every
 * format, including the real stories260K headers, with bytes flipped, lengths set huge, u32/u64 fields
 * overwritten, files cut short), read both from an ArrayBuffer and as a stream. Each parse + full tensor
 * iteration must finish (1 s per file) and either succeed or throw one of our typed errors
 * (isModelLoadError) - never a RangeError, TypeError or a hang.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  ArrayBufferSource,
  collectFloat32,
  configFromHf,
  isModelLoadError,
  Llama2cTokenizer,
  openGguf,
  openLlama2c,
  openModel,
  openSafetensors,
  StreamSource,
  syntheticWeights,
  validateConfig,
  type ByteSource,
  type ModelConfig,
} from '../../../src/model';
import { ggufKv, hfConfigJson, toSafetensors, writeLlama2c } from './build';
import { fromFloat32, writeGguf } from '../../../src/model';
import { ggufName, shapeOf } from './build';
import { HAVE_STORIES, storiesFile } from './shared';

const C: ModelConfig = validateConfig({
  dim: 32, hiddenDim: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 8, vocabSize: 40, maxSeqLen: 16,
  rmsNormEps: 1e-5, ropeTheta: 10000, ropeConvention: 'rotate-half', tiedEmbeddings: false, bosId: 1, eosIds: [2],
});

type Kind = 'llama2c' | 'safetensors' | 'gguf' | 'tokenizer';

interface Seed {
  kind: Kind;
  bytes: Uint8Array;
}

function tokenizerBin(vocab: number): Uint8Array {
  const parts: number[] = [];
  const push32 = (v: number, float = false) => {
    const b = new Uint8Array(4);
    if (float) new DataView(b.buffer).setFloat32(0, v, true);
    else new DataView(b.buffer).setInt32(0, v, true);
    parts.push(...b);
  };
  push32(4);
  for (let i = 0; i < vocab; i++) {
    const piece = i < 3 ? ['<unk>', '<s>', '</s>'][i]!.slice(0, 4) : String.fromCharCode(97 + (i % 26)) + (i > 28 ? 'x' : '');
    push32(-i, true);
    push32(piece.length);
    parts.push(...new TextEncoder().encode(piece));
  }
  return Uint8Array.from(parts);
}

async function seeds(): Promise<Seed[]> {
  const w = await collectFloat32(syntheticWeights(C, { seed: 1 }));
  const tokens = Array.from({ length: C.vocabSize }, (_, i) => (i < 3 ? ['<unk>', '<s>', '</s>'][i]! : `\u2581t${i}`));
  const gguf = (dtype: 'f32' | 'f16' | 'q8_0' | 'bf16') =>
    writeGguf(
      ggufKv(C, [
        ['tokenizer.ggml.model', 'string', 'llama'],
        ['tokenizer.ggml.tokens', 'string[]', tokens],
        ['tokenizer.ggml.scores', 'f32[]', tokens.map((_, i) => -i)],
        ['tokenizer.ggml.token_type', 'i32[]', tokens.map((_, i) => (i < 3 ? 3 : 1))],
      ]),
      [...w].map(([n, v]) => {
        const dt = n.endsWith('norm') ? 'f32' : dtype;
        return { name: ggufName(n), ggmlType: { f32: 0, f16: 1, q8_0: 8, bf16: 30 }[dt], shape: shapeOf(C, n), data: fromFloat32(v, dt) };
      }),
    );
  const out: Seed[] = [
    { kind: 'llama2c', bytes: writeLlama2c({ ...C, ropeConvention: 'interleaved' }, w) },
    { kind: 'safetensors', bytes: toSafetensors(C, w, 'f32') },
    { kind: 'safetensors', bytes: toSafetensors(C, w, 'bf16') },
    { kind: 'gguf', bytes: gguf('f32') },
    { kind: 'gguf', bytes: gguf('q8_0') },
    { kind: 'gguf', bytes: gguf('f16') },
    { kind: 'tokenizer', bytes: tokenizerBin(C.vocabSize) },
  ];
  if (HAVE_STORIES) {
    // Real headers: the GGUF's first 16 KiB (all metadata + tensor infos) and the safetensors header.
    out.push({ kind: 'gguf', bytes: storiesFile('stories260K.gguf').slice(0, 16384) });
    const st = storiesFile('model.safetensors');
    out.push({ kind: 'safetensors', bytes: st.slice(0, 8 + Number(new DataView(st.buffer).getBigUint64(0, true)) + 64) });
    out.push({ kind: 'tokenizer', bytes: storiesFile('tok512.bin') });
    out.push({ kind: 'llama2c', bytes: storiesFile('stories260K.bin').slice(0, 4096) });
  }
  return out;
}

const stories = HAVE_STORIES ? { dim: 64, hiddenDim: 172, numLayers: 5, numHeads: 8, numKvHeads: 4, headDim: 8, vocabSize: 512 } : {};

function source(bytes: Uint8Array, streamed: boolean): ByteSource {
  if (!streamed) return new ArrayBufferSource(bytes, 'fuzz');
  let o = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (o >= bytes.length) return ctrl.close();
      ctrl.enqueue(bytes.slice(o, o + 777));
      o += 777;
    },
  });
  return new StreamSource(body, 'fuzz-stream', bytes.length % 3 === 0 ? undefined : bytes.length);
}

/** Parses `bytes` as `kind` and reads every tensor; returns 'ok' or the typed error's name. */
async function parse(kind: Kind, bytes: Uint8Array, streamed: boolean, vocab: number): Promise<string> {
  try {
    const src = source(bytes, streamed);
    if (kind === 'tokenizer') {
      Llama2cTokenizer.fromBytes(bytes, vocab).encode('a bx \u00e9!');
      return 'ok';
    }
    const ws =
      kind === 'llama2c'
        ? await openLlama2c(src)
        : kind === 'gguf'
          ? await openGguf(src)
          : await openSafetensors(src, bytes.length < 20000 && HAVE_STORIES && vocab === 512 ? { ...C, ...stories, tiedEmbeddings: true } : C);
    for await (const t of ws.iterate()) void t;
    if (kind === 'gguf' && 'header' in ws) Llama2cTokenizer.fromGguf((ws as Awaited<ReturnType<typeof openGguf>>).header.metadata).encode('t5 t6');
    return 'ok';
  } catch (e) {
    if (isModelLoadError(e)) return (e as Error).name;
    throw e;
  }
}

/** One mutation of a file. Positions are fractions so they scale to any file; most land in the header. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), header: fc.boolean(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('byte' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), header: fc.boolean(), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('u32' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), header: fc.boolean(), v: fc.constantFrom(0, 1, 2, 3, 7, 8, 9, 30, 255, 0x7fffffff, 0x80000000, 0xffffffff) }),
  fc.record({ op: fc.constant('u64' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), header: fc.boolean(), v: fc.constantFrom(0n, 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), header: fc.boolean() }),
);

type Mutation = { op: string; at: number; header: boolean; v?: unknown; bit?: number };

function mutate(bytes: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = bytes.slice();
  for (const m of muts) {
    const span = m.header ? Math.min(b.length, 600) : b.length;
    const at = Math.floor(m.at * Math.max(span - 1, 0));
    const dv = new DataView(b.buffer);
    if (m.op === 'cut') b = b.slice(0, at);
    else if (m.op === 'flip' && at < b.length) b[at]! ^= 1 << m.bit!;
    else if (m.op === 'byte' && at < b.length) b[at] = m.v as number;
    else if (m.op === 'u32' && at + 4 <= b.length) dv.setUint32(at & ~3, m.v as number, true);
    else if (m.op === 'u64' && at + 8 <= b.length) dv.setBigUint64(at & ~7, m.v as bigint, true);
  }
  return b;
}

describe('parser fuzzing', () => {
  test('valid seeds parse', async () => {
    for (const s of await seeds()) {
      const vocab = s.bytes.length === 6227 ? 512 : C.vocabSize;
      const r = await parse(s.kind, s.bytes, false, vocab);
      // The cut-down real files are expected to fail, with a typed error.
      expect(typeof r).toBe('string');
      if (s.bytes.length < 20000 && s.kind !== 'tokenizer' && HAVE_STORIES) continue;
      expect(r, `${s.kind} seed`).toBe('ok');
    }
  });

  test('mutated files: only typed errors, no hangs (~4000 cases)', async () => {
    const all = await seeds();
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: all.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), async (i, muts, streamed) => {
        const s = all[i]!;
        const vocab = s.bytes.length === 6227 ? 512 : C.vocabSize;
        const r = await parse(s.kind, mutate(s.bytes, muts), streamed, vocab);
        outcomes.set(`${s.kind}:${r}`, (outcomes.get(`${s.kind}:${r}`) ?? 0) + 1);
      }),
      { numRuns: 4000, timeout: 1000, seed: 20250601 },
    );
    console.log('[fuzz] outcomes:', JSON.stringify(Object.fromEntries([...outcomes].sort())));
    expect([...outcomes.keys()].some((k) => k.endsWith(':ok'))).toBe(true);
  }, 60_000);

  test('random bytes through openModel (sniffing) and configFromHf: typed errors only (~1500 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('GGUF', '', 'sft', 'cfg'), async (bytes, prefix) => {
        let b = bytes;
        if (prefix === 'GGUF') b = Uint8Array.from([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, ...bytes]);
        if (prefix === 'sft') b = Uint8Array.from([bytes.length & 0xff, 0, 0, 0, 0, 0, 0, 0, 0x7b, ...bytes]);
        try {
          if (prefix === 'cfg') configFromHf(JSON.parse(JSON.stringify({ hidden_size: bytes[0], num_attention_heads: bytes[1], intermediate_size: bytes[2], num_hidden_layers: bytes[3], vocab_size: bytes[4], num_key_value_heads: bytes[5] })));
          else {
            const m = await openModel({ 'x.bin': b });
            for await (const t of m.weights.iterate()) void t;
          }
        } catch (e) {
          if (!isModelLoadError(e)) throw e;
        }
      }),
      { numRuns: 1500, timeout: 1000, seed: 7 },
    );
    // A config.json that is not JSON, and one with junk types.
    await expect(openModel({ 'config.json': new TextEncoder().encode('{nope'), 'model.safetensors': new Uint8Array(8) })).rejects.toSatisfy(isModelLoadError);
    expect(() => configFromHf({ hidden_size: '64' })).toThrow(/hidden_size/);
    void hfConfigJson;
  }, 60_000);
});
