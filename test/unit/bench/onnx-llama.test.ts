/**
 * The ONNX exporter of the transformers.js baseline (src/bench/baselines/onnx-llama.ts): what it writes
 * (decoded back with the wire-format reader), that ONNX Runtime (onnxruntime-node, CPU, the one that comes
 * with @huggingface/transformers) runs it to the TS reference's logits in both RoPE conventions, with GQA,
 * a KV cache and left padding, that transformers.js generates the reference's greedy tokens from it, and
 * that bad configs are refused with an error naming the problem.
 */
import { describe, expect, test } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { exportLlamaOnnx, hfLlamaConfig, ONNX_IR_VERSION, ONNX_OPSET } from '../../../src/bench/baselines/onnx-llama';
import { fieldsOf, readMessage, text, type ProtoField } from '../../../src/bench/baselines/onnx-proto';
import { generateTimed, loadTransformersModel, modelFolderFiles } from '../../../src/bench/baselines/transformersjs';
import { configFromHf, validateConfig, type ModelConfig } from '../../../src/model/config';
import { ModelConfigError, MissingTensorError, ShapeMismatchError } from '../../../src/model/errors';
import { openModel } from '../../../src/model';
import { greedyGenerate, ReferenceModel } from '../../../src/model/reference';
import { syntheticWeights } from '../../../src/model/synthetic';
import { collectFloat32 } from '../../../src/model/weights';

/** GQA 2:1, headDim (8) != dim / numHeads (24 / 4), untied lm_head: every shape the exporter derives differs. */
const gqa = (ropeConvention: ModelConfig['ropeConvention']): ModelConfig =>
  validateConfig({ dim: 24, hiddenDim: 40, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 8, vocabSize: 50, maxSeqLen: 32, rmsNormEps: 1e-5, ropeTheta: 10000, ropeConvention, tiedEmbeddings: false, bosId: 1, eosIds: [2] });
/** Plain multi-head attention, tied embeddings, one layer, odd vocabulary. */
const mha = validateConfig({ dim: 16, hiddenDim: 24, numLayers: 1, numHeads: 2, numKvHeads: 2, headDim: 8, vocabSize: 37, maxSeqLen: 16, rmsNormEps: 1e-6, ropeTheta: 500000, ropeConvention: 'rotate-half', tiedEmbeddings: true, bosId: 0, eosIds: [1, 2] });

const weightsOf = (c: ModelConfig, seed = 5) => collectFloat32(syntheticWeights(c, { seed }));

function maxAbsDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
  return d;
}

const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [rows.length, rows[0]!.length]);
function emptyPast(c: ModelConfig, batch: number): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (let l = 0; l < c.numLayers; l++) for (const kv of ['key', 'value']) out[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [batch, c.numKvHeads, 0, c.headDim]);
  return out;
}
function presentAsPast(c: ModelConfig, out: ort.InferenceSession.ReturnType): Record<string, ort.Tensor> {
  const past: Record<string, ort.Tensor> = {};
  for (let l = 0; l < c.numLayers; l++) for (const kv of ['key', 'value']) past[`past_key_values.${l}.${kv}`] = out[`present.${l}.${kv}`]!;
  return past;
}

describe('ONNX export runs in ONNX Runtime to the reference logits', () => {
  for (const [name, c] of [['GQA 2:1 interleaved untied', gqa('interleaved')], ['GQA 2:1 rotate-half untied', gqa('rotate-half')], ['MHA rotate-half tied', mha]] as const) {
    test(`${name}: prefill 5 tokens, then 2 decode steps through present -> past`, async () => {
      const w = await weightsOf(c);
      const session = await ort.InferenceSession.create(exportLlamaOnnx(c, w).onnx);
      const ref = new ReferenceModel(c, w);
      const seq = ref.newSequence();
      const prompt = [1, 7, 9, 3, 22].map((t) => t % c.vocabSize);
      let out = await session.run({ input_ids: i64([prompt]), attention_mask: i64([prompt.map(() => 1)]), position_ids: i64([prompt.map((_, i) => i)]), ...emptyPast(c, 1) });
      expect(out['logits']!.dims).toEqual([1, 5, c.vocabSize]);
      const logits = out['logits']!.data as Float32Array;
      prompt.forEach((t, i) => expect(maxAbsDiff(logits.subarray(i * c.vocabSize, (i + 1) * c.vocabSize), ref.forward(seq, t)), `position ${i}`).toBeLessThan(1e-4));
      for (const [step, t] of [5, 11].entries()) {
        const pos = 5 + step;
        out = await session.run({ input_ids: i64([[t]]), attention_mask: i64([Array(pos + 1).fill(1)]), position_ids: i64([[pos]]), ...presentAsPast(c, out) });
        expect(out['present.0.key']!.dims).toEqual([1, c.numKvHeads, pos + 1, c.headDim]);
        expect(maxAbsDiff(out['logits']!.data as Float32Array, ref.forward(seq, t)), `decode at position ${pos}`).toBeLessThan(1e-4);
      }
    });
  }

  test('batch of 2 with left padding (what transformers.js feeds a batched generate): each row matches its own unpadded reference', async () => {
    const c = gqa('rotate-half');
    const w = await weightsOf(c, 9);
    const session = await ort.InferenceSession.create(exportLlamaOnnx(c, w).onnx);
    const long = [1, 4, 8, 15, 16];
    const short = [1, 23, 42];
    // transformers.js: position_ids = cumsum(mask) - 1, and 1 where the mask is 0.
    const out = await session.run({ input_ids: i64([long, [0, 0, ...short]]), attention_mask: i64([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]]), position_ids: i64([[0, 1, 2, 3, 4], [1, 1, 0, 1, 2]]), ...emptyPast(c, 2) });
    const logits = out['logits']!.data as Float32Array;
    const V = c.vocabSize;
    const ref = new ReferenceModel(c, w);
    const a = ref.newSequence();
    long.forEach((t, i) => expect(maxAbsDiff(logits.subarray(i * V, (i + 1) * V), ref.forward(a, t)), `row 0 position ${i}`).toBeLessThan(1e-4));
    const b = ref.newSequence();
    short.forEach((t, i) => expect(maxAbsDiff(logits.subarray((5 + 2 + i) * V, (5 + 3 + i) * V), ref.forward(b, t)), `row 1 position ${i}`).toBeLessThan(1e-4));
  });
});

describe('what the exporter writes', () => {
  test('graph inputs, outputs, initializer shapes, opset and ops, decoded back from the protobuf', async () => {
    const c = gqa('interleaved');
    const ex = exportLlamaOnnx(c, await weightsOf(c));
    const model = readMessage(ex.onnx);
    const one = (fs: ProtoField[], f: number) => fieldsOf(fs, f)[0];
    expect(one(model, 1)).toBe(BigInt(ONNX_IR_VERSION));
    const opset = readMessage(one(model, 8) as Uint8Array);
    expect(text(one(opset, 1) ?? new Uint8Array())).toBe('');
    expect(one(opset, 2)).toBe(BigInt(ONNX_OPSET));
    const graph = readMessage(one(model, 7) as Uint8Array);

    /** ValueInfoProto -> [name, elem_type, dims as numbers or dim_param names]. */
    const valueInfo = (b: Uint8Array): [string, number, Array<number | string>] => {
      const vi = readMessage(b);
      const tensorType = readMessage(one(readMessage(one(vi, 2) as Uint8Array), 1) as Uint8Array);
      const dims = fieldsOf(readMessage(one(tensorType, 2) as Uint8Array), 1).map((d) => {
        const dim = readMessage(d as Uint8Array);
        const v = one(dim, 1);
        return v === undefined ? text(one(dim, 2)) : Number(v);
      });
      return [text(one(vi, 1)), Number(one(tensorType, 1)), dims];
    };
    const kv = (n: string) => [n, 1, ['batch_size', 2, 'past_sequence_length', 8]];
    expect(fieldsOf(graph, 11).map((b) => valueInfo(b as Uint8Array))).toEqual([
      ['input_ids', 7, ['batch_size', 'sequence_length']],
      ['attention_mask', 7, ['batch_size', 'total_sequence_length']],
      ['position_ids', 7, ['batch_size', 'sequence_length']],
      kv('past_key_values.0.key'),
      kv('past_key_values.0.value'),
      kv('past_key_values.1.key'),
      kv('past_key_values.1.value'),
    ]);
    const present = (n: string) => [n, 1, ['batch_size', 2, 'total_sequence_length', 8]];
    expect(fieldsOf(graph, 12).map((b) => valueInfo(b as Uint8Array))).toEqual([
      ['logits', 1, ['batch_size', 'sequence_length', 50]],
      present('present.0.key'),
      present('present.0.value'),
      present('present.1.key'),
      present('present.1.value'),
    ]);
    expect(ex.inputNames).toEqual(['input_ids', 'attention_mask', 'position_ids', 'past_key_values.0.key', 'past_key_values.0.value', 'past_key_values.1.key', 'past_key_values.1.value']);

    // Initializers: name -> [data type, dims, raw byte length].
    const inits = new Map(
      fieldsOf(graph, 5).map((b) => {
        const t = readMessage(b as Uint8Array);
        const dims = fieldsOf(t, 1).map(Number);
        return [text(one(t, 8)), { type: Number(one(t, 2)), dims, bytes: (one(t, 9) as Uint8Array).byteLength }] as const;
      }),
    );
    const f32 = (dims: number[]) => ({ type: 1, dims, bytes: 4 * dims.reduce((a, b) => a * b, 1) });
    expect(inits.get('embed')).toEqual(f32([50, 24]));
    expect(inits.get('layers.0.attn_norm')).toEqual(f32([24]));
    expect(inits.get('layers.0.attn.wq_t')).toEqual(f32([24, 32]));
    expect(inits.get('layers.1.attn.wk_t')).toEqual(f32([24, 16]));
    expect(inits.get('layers.1.attn.wv_t')).toEqual(f32([24, 16]));
    expect(inits.get('layers.1.attn.wo_t')).toEqual(f32([32, 24]));
    expect(inits.get('layers.0.ffn.w_gate_t')).toEqual(f32([24, 40]));
    expect(inits.get('layers.0.ffn.w_up_t')).toEqual(f32([24, 40]));
    expect(inits.get('layers.0.ffn.w_down_t')).toEqual(f32([40, 24]));
    expect(inits.get('final_norm')).toEqual(f32([24]));
    expect(inits.get('lm_head_t')).toEqual(f32([24, 50]));
    expect(inits.get('rope_cos_table')).toEqual(f32([32, 8]));
    expect(inits.get('shape_q')).toEqual({ type: 7, dims: [5], bytes: 40 });

    // Standard ops of the default domain only, each node named and typed.
    const nodes = fieldsOf(graph, 1).map((b) => readMessage(b as Uint8Array));
    expect(nodes.length).toBe(ex.numNodes);
    expect(nodes.every((n) => fieldsOf(n, 7).length === 0)).toBe(true);
    const ops = new Set(nodes.map((n) => text(one(n, 4))));
    const standard = ['Add', 'And', 'Cast', 'Concat', 'CumSum', 'Div', 'Gather', 'LessOrEqual', 'MatMul', 'Mul', 'Neg', 'ReduceMean', 'Reshape', 'Sigmoid', 'Slice', 'Softmax', 'Sqrt', 'Sub', 'Transpose', 'Unsqueeze', 'Where'];
    expect([...ops].filter((o) => !standard.includes(o))).toEqual([]);
  });

  test('config.json reads back (configFromHf) as the same model, in the rotate-half convention the graph uses', () => {
    for (const c of [gqa('interleaved'), mha]) {
      const back = configFromHf(hfLlamaConfig(c));
      expect(back).toEqual({ ...c, ropeConvention: 'rotate-half' });
    }
  });
});

describe('bad input is refused, naming the problem', () => {
  test('an invalid config (kv heads that do not divide the query heads)', async () => {
    const c = gqa('rotate-half');
    const w = await weightsOf(c);
    expect(() => exportLlamaOnnx({ ...c, numKvHeads: 3 }, w)).toThrow(ModelConfigError);
    expect(() => exportLlamaOnnx({ ...c, numKvHeads: 3 }, w)).toThrow(/numKvHeads/);
  });

  test('a missing tensor and a tensor of the wrong size', async () => {
    const c = gqa('rotate-half');
    const w = await weightsOf(c);
    const missing = new Map(w);
    missing.delete('layers.1.ffn.w_up');
    expect(() => exportLlamaOnnx(c, missing)).toThrow(MissingTensorError);
    expect(() => exportLlamaOnnx(c, missing)).toThrow(/layers\.1\.ffn\.w_up/);
    const short = new Map(w);
    short.set('layers.0.attn.wk', new Float32Array(10));
    expect(() => exportLlamaOnnx(c, short)).toThrow(ShapeMismatchError);
    expect(() => exportLlamaOnnx(c, short)).toThrow(/layers\.0\.attn\.wk/);
  });

  test('a model past the 2 GiB a protobuf holds, before any weight is read', () => {
    const big = validateConfig({ ...gqa('rotate-half'), dim: 4096, hiddenDim: 14336, numLayers: 32, numHeads: 32, numKvHeads: 8, headDim: 128, vocabSize: 32000 });
    expect(() => exportLlamaOnnx(big, new Map())).toThrow(/2 GiB/);
  });
});

describe('transformers.js (Node, onnxruntime-node on the CPU) loads the export as a llama model', () => {
  async function continuation(key: string, c: ModelConfig, w: Map<string, Float32Array>, prompt: number[], n: number): Promise<number[]> {
    const ex = exportLlamaOnnx(c, w);
    const dir = mkdtempSync(join(tmpdir(), 'sp-onnx-'));
    try {
      for (const [name, bytes] of Object.entries(modelFolderFiles(ex))) {
        const p = join(dir, 'serving-playground', key, name);
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, bytes);
      }
      const m = await loadTransformersModel(key, ex, { device: 'cpu', localDir: dir });
      try {
        const g = await generateTimed(m, prompt, n);
        expect(g.tokenTimes.length).toBe(n);
        return g.tokens;
      } finally {
        await m.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test('greedy generate equals the reference greedy continuation (synthetic GQA model, interleaved checkpoint)', async () => {
    const c = gqa('interleaved');
    const w = await weightsOf(c, 11);
    const prompt = [1, 7, 9, 30];
    const want = greedyGenerate(new ReferenceModel(c, w), prompt, { maxNewTokens: 12 });
    expect(await continuation('synthetic-gqa', c, w, prompt, 12)).toEqual(want);
  });

  const shared = '../shared/models/stories260K';
  test.runIf(existsSync(shared))('stories260K (../shared): generate equals the reference for 24 tokens of "Once upon a time"', async () => {
    const f = (n: string) => {
      const b = readFileSync(join(shared, n));
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    };
    const m = await openModel({ 'config.json': f('config.json'), 'model.safetensors': f('model.safetensors'), 'tokenizer.json': f('tokenizer.json') });
    const c = m.weights.config;
    const w = await collectFloat32(m.weights);
    const prompt = m.tokenizer!.encode('Once upon a time', { bos: true });
    const want = greedyGenerate(new ReferenceModel(c, w), prompt, { maxNewTokens: 24 });
    const got = await continuation('stories260K', { ...c, eosIds: [] }, w, prompt, 24);
    expect(got).toEqual(want);
    expect(m.tokenizer!.decode(got)).toMatch(/^, there was/);
  });
});
