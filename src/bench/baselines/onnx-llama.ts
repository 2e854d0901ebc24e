/**
 * Exports one of our Llama models (a ModelConfig + its canonical f32 weights, as src/model's loaders give
 * them) as the ONNX decoder-with-KV-cache that transformers.js loads for `model_type: "llama"`, plus the
 * config.json and generation_config.json it reads. Used only by the transformers.js baseline bench.
 *
 * Graph (ONNX opset 17, default domain only, fp32; B batch, S new tokens, P past tokens, T = P + S,
 * D dim, Hq query heads, Hkv kv heads, G = Hq / Hkv, hd head dim, V vocab):
 *   inputs   input_ids int64 [B, S], attention_mask int64 [B, T], position_ids int64 [B, S],
 *            past_key_values.{i}.key / .value f32 [B, Hkv, P, hd]
 *   outputs  logits f32 [B, S, V], present.{i}.key / .value f32 [B, Hkv, T, hd]
 *   x = Gather(embed, input_ids)                                        [B, S, D]
 *   cos, sin = Gather(cos_table | sin_table, position_ids)              [B, S, hd]
 *   per layer i:
 *     h = rmsnorm(x) * attn_norm        rmsnorm(x) = x / sqrt(ReduceMean(x*x) + eps)
 *     q = h Wq^T -> [B, S, Hkv, G, hd] -> [B, Hkv, G, S, hd];  k, v = h Wk^T, h Wv^T -> [B, Hkv, S, hd]
 *     q, k = q * cos + rotate_half(q) * sin    rotate_half(u) = concat(-u[hd/2:], u[:hd/2])
 *     present.k = concat(past.k, k), present.v = concat(past.v, v) along the sequence axis  [B, Hkv, T, hd]
 *     scores = q · present.k^T / sqrt(hd)                               [B, Hkv, G, S, T]
 *     masked where key position t > query position s or attention_mask[t] = 0 (key positions are
 *       cumsum(attention_mask) - 1, query positions are position_ids: what transformers.js feeds)
 *     attn = softmax(scores) · present.v -> [B, S, Hq * hd];  x += attn Wo^T
 *     h = rmsnorm(x) * ffn_norm;  x += (silu(h Wgate^T) * (h Wup^T)) Wdown^T
 *   logits = (rmsnorm(x) * final_norm) lm_head^T                        (lm_head = embed when tied)
 * GQA without copying K/V: query head h = kvh * G + g, so q is viewed as [.., Hkv, G, ..] and MatMul
 * broadcasts each kv head over its G query heads. Weights are stored transposed ([in, out]) so every
 * projection is one MatMul.
 *
 * RoPE: the graph always uses rotate-half pairs (i, i + hd/2), as Hugging Face's Llama does; a model in
 * the interleaved convention (llama2.c, GGUF) has its Wq / Wk rows permuted into that order here
 * (`permuteRowsForRotateHalf`, the same permutation HF's converter applies), which changes no logit.
 * The cos / sin tables ([maxSeqLen, hd], angle pos * theta^(-2i/hd)) are computed in float64 on the CPU
 * and stored as initializers, as transformers' Llama kept them (cos_cached / sin_cached) in the exports of
 * its first years. A Cos / Sin node would run WGSL's cos / sin, which WebGPU allows an absolute error
 * of 2^-11 and SwiftShader has (see shaders/rope.wgsl), enough to flip a greedy token.
 */
import { parameterCount, validateConfig, type ModelConfig } from '../../model/config';
import { ModelConfigError, MissingTensorError, ShapeMismatchError } from '../../model/errors';
import { expectedTensors, permuteRowsForRotateHalf } from '../../model/weights';
import { ONNX_BOOL, ONNX_FLOAT, ONNX_INT64, ProtoMessage } from './onnx-proto';

export const ONNX_OPSET = 17;
/** IR version 8 is the one that goes with opset 17 (onnx/helper.py VERSION_TABLE). */
export const ONNX_IR_VERSION = 8;
/** A protobuf message (and so a model without external data) must stay below 2 GiB. */
export const MAX_ONNX_BYTES = 2 ** 31 - 1;
/** Stand-in for -inf in masked scores (finite, so a fully masked row gives a uniform softmax, not NaN). */
const MASKED_SCORE = -3.4028234663852886e38;

export interface OnnxExport {
  /** The model as `onnx/model.onnx` (what transformers.js loads for dtype fp32). */
  onnx: Uint8Array;
  /** Hugging Face config.json for the same model (rotate-half RoPE, like every HF Llama). */
  config: Record<string, unknown>;
  /** generation_config.json. */
  generationConfig: Record<string, unknown>;
  /** Graph inputs and outputs in order, and the number of nodes: for logs and tests. */
  inputNames: string[];
  outputNames: string[];
  numNodes: number;
}

export type Float32Weights = ReadonlyMap<string, ArrayLike<number>>;

type Dim = number | string;

class GraphBuilder {
  readonly nodes: ProtoMessage[] = [];
  readonly initializers: ProtoMessage[] = [];
  private numValues = 0;
  initializerBytes = 0;

  /** Adds one node; returns its output names (fresh ones unless given). */
  node(op: string, inputs: string[], attrs: Array<[string, number | number[]]> = [], outputs: string[] | number = 1): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => `${op.toLowerCase()}_${this.numValues++}`) : outputs;
    const n = new ProtoMessage();
    for (const i of inputs) n.string(1, i);
    for (const o of outs) n.string(2, o);
    n.string(3, `${op}_${this.nodes.length}`).string(4, op);
    for (const [name, v] of attrs) {
      const a = new ProtoMessage().string(1, name);
      if (Array.isArray(v)) {
        for (const x of v) a.varint(8, x);
        a.varint(20, 7); // INTS
      } else a.varint(3, v).varint(20, 2); // INT
      n.message(5, a);
    }
    this.nodes.push(n);
    return outs;
  }

  /** Shorthand for a node with one output. */
  op(op: string, inputs: string[], attrs: Array<[string, number | number[]]> = []): string {
    return this.node(op, inputs, attrs)[0]!;
  }

  private tensor(name: string, dataType: number, dims: number[], raw: Uint8Array): string {
    const t = new ProtoMessage();
    for (const d of dims) t.varint(1, d);
    t.varint(2, dataType).string(8, name).bytes(9, raw);
    this.initializers.push(t);
    this.initializerBytes += raw.byteLength;
    return name;
  }

  f32(name: string, dims: number[], data: Float32Array): string {
    return this.tensor(name, ONNX_FLOAT, dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  i64(name: string, values: number[]): string {
    return this.tensor(name, ONNX_INT64, [values.length], new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer));
  }

  scalarF32(name: string, v: number): string {
    return this.tensor(name, ONNX_FLOAT, [], new Uint8Array(Float32Array.of(v).buffer));
  }
}

function valueInfo(name: string, elemType: number, dims: Dim[]): ProtoMessage {
  const shape = new ProtoMessage();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new ProtoMessage().varint(1, d) : new ProtoMessage().string(2, d));
  const tensorType = new ProtoMessage().varint(1, elemType).message(2, shape);
  return new ProtoMessage().string(1, name).message(2, new ProtoMessage().message(1, tensorType));
}

/** W [rows, cols] row-major -> W^T [cols, rows] (so y = x W^T is MatMul(x, W^T)). */
function transpose(w: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
  return out;
}

/**
 * Refuses what the exporter cannot write, naming the problem: an invalid config (validateConfig's
 * ModelConfigError), a model past the 2 GiB protobuf limit, a missing tensor, a tensor of the wrong size.
 */
export function checkExportable(c: ModelConfig, weights: Float32Weights): void {
  validateConfig(c);
  // Weights as stored (a tied lm_head is stored again, transposed) plus the two RoPE tables.
  const bytes = 4 * (parameterCount(c) + (c.tiedEmbeddings ? c.vocabSize * c.dim : 0) + 2 * c.maxSeqLen * c.headDim);
  if (bytes > MAX_ONNX_BYTES) {
    throw new ModelConfigError('(model)', `its f32 ONNX export would be ${(bytes / 2 ** 30).toFixed(1)} GiB, past the 2 GiB a single protobuf can hold (external data is not supported by this exporter)`);
  }
  for (const e of expectedTensors(c)) {
    const t = weights.get(e.name);
    if (!t) throw new MissingTensorError(undefined, e.name);
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (t.length !== n) throw new ShapeMismatchError(undefined, e.name, e.shape, [t.length]);
  }
}

/** config.json for transformers.js (and any HF Llama reader): configFromHf reads it back to `c` (rotate-half). */
export function hfLlamaConfig(c: ModelConfig): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    ...(c.name ? { _name_or_path: c.name } : {}),
    hidden_size: c.dim,
    intermediate_size: c.hiddenDim,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    vocab_size: c.vocabSize,
    max_position_embeddings: c.maxSeqLen,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    hidden_act: 'silu',
    tie_word_embeddings: c.tiedEmbeddings,
    bos_token_id: c.bosId,
    eos_token_id: c.eosIds.length === 1 ? c.eosIds[0] : c.eosIds,
    torch_dtype: 'float32',
    use_cache: true,
    'transformers.js_config': { dtype: 'fp32' },
  };
}

/** Writes the graph described at the top of this file. Throws (checkExportable) before writing anything. */
export function exportLlamaOnnx(c: ModelConfig, weights: Float32Weights): OnnxExport {
  checkExportable(c, weights);
  const D = c.dim;
  const hd = c.headDim;
  const half = hd / 2;
  const Hq = c.numHeads;
  const Hkv = c.numKvHeads;
  const G = Hq / Hkv;
  const L = c.numLayers;
  const g = new GraphBuilder();
  const w = (name: string) => weights.get(name)!;
  const interleaved = c.ropeConvention === 'interleaved';

  // Constants shared by every layer.
  const axes1 = g.i64('axes_1', [1]);
  const axes12 = g.i64('axes_1_2', [1, 2]);
  const axes123 = g.i64('axes_1_2_3', [1, 2, 3]);
  const axes2 = g.i64('axes_2', [2]);
  const axes3 = g.i64('axes_3', [3]);
  const axes4 = g.i64('axes_4', [4]);
  const zero = g.i64('zero', [0]);
  const halfIdx = g.i64('half', [half]);
  const full = g.i64('head_dim', [hd]);
  const one64 = g.i64('one', [1]);
  const eps = g.scalarF32('rms_norm_eps', c.rmsNormEps);
  const scale = g.scalarF32('attn_scale', 1 / Math.sqrt(hd));
  const masked = g.scalarF32('masked_score', MASKED_SCORE);
  const shapeQ = g.i64('shape_q', [0, 0, Hkv, G, hd]);
  const shapeKv = g.i64('shape_kv', [0, 0, Hkv, hd]);
  const shapeMerge = g.i64('shape_merge', [0, 0, -1]);

  // RoPE tables, float64 angles rounded once to f32: row p = [cos(p f_0) .. cos(p f_{half-1}), same again].
  const cosT = new Float32Array(c.maxSeqLen * hd);
  const sinT = new Float32Array(c.maxSeqLen * hd);
  for (let p = 0; p < c.maxSeqLen; p++) {
    for (let i = 0; i < half; i++) {
      const a = p * Math.pow(c.ropeTheta, -(2 * i) / hd);
      cosT[p * hd + i] = cosT[p * hd + i + half] = Math.cos(a);
      sinT[p * hd + i] = sinT[p * hd + i + half] = Math.sin(a);
    }
  }
  g.f32('rope_cos_table', [c.maxSeqLen, hd], cosT);
  g.f32('rope_sin_table', [c.maxSeqLen, hd], sinT);

  const rmsnorm = (x: string, weight: string): string => {
    const ms = g.op('ReduceMean', [g.op('Mul', [x, x])], [['axes', [2]], ['keepdims', 1]]);
    return g.op('Mul', [g.op('Div', [x, g.op('Sqrt', [g.op('Add', [ms, eps])])]), weight]);
  };
  /** u * cos + rotate_half(u) * sin along the last axis (`axis`). */
  const rope = (u: string, cos: string, sin: string, axis: string): string => {
    const lo = g.op('Slice', [u, zero, halfIdx, axis]);
    const hi = g.op('Slice', [u, halfIdx, full, axis]);
    const rot = g.op('Concat', [g.op('Neg', [hi]), lo], [['axis', -1]]);
    return g.op('Add', [g.op('Mul', [u, cos]), g.op('Mul', [rot, sin])]);
  };

  let x = g.op('Gather', [g.f32('embed', [c.vocabSize, D], Float32Array.from(w('embed'))), 'input_ids'], [['axis', 0]]);
  const cos = g.op('Gather', ['rope_cos_table', 'position_ids'], [['axis', 0]]); // [B, S, hd]
  const sin = g.op('Gather', ['rope_sin_table', 'position_ids'], [['axis', 0]]);
  const cos4 = g.op('Unsqueeze', [cos, axes1]); // [B, 1, S, hd]
  const sin4 = g.op('Unsqueeze', [sin, axes1]);
  const cos5 = g.op('Unsqueeze', [cos, axes12]); // [B, 1, 1, S, hd]
  const sin5 = g.op('Unsqueeze', [sin, axes12]);

  // allowed[b, 0, 0, s, t] = keyPos[b, t] <= position_ids[b, s] and attention_mask[b, t] = 1.
  const keyPos = g.op('Sub', [g.op('CumSum', ['attention_mask', one64]), one64]); // [B, T]
  const keyPos5 = g.op('Unsqueeze', [keyPos, axes123]); // [B, 1, 1, 1, T]
  const queryPos5 = g.op('Unsqueeze', [g.op('Unsqueeze', ['position_ids', axes12]), axes4]); // [B, 1, 1, S, 1]
  const causal = g.op('LessOrEqual', [keyPos5, queryPos5]); // [B, 1, 1, S, T]
  const present5 = g.op('Unsqueeze', [g.op('Cast', ['attention_mask'], [['to', ONNX_BOOL]]), axes123]);
  const allowed = g.op('And', [causal, present5]);

  const inputs: ProtoMessage[] = [
    valueInfo('input_ids', ONNX_INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_mask', ONNX_INT64, ['batch_size', 'total_sequence_length']),
    valueInfo('position_ids', ONNX_INT64, ['batch_size', 'sequence_length']),
  ];
  const outputs: ProtoMessage[] = [valueInfo('logits', ONNX_FLOAT, ['batch_size', 'sequence_length', c.vocabSize])];
  const inputNames = ['input_ids', 'attention_mask', 'position_ids'];
  const outputNames = ['logits'];

  for (let l = 0; l < L; l++) {
    const p = `layers.${l}.`;
    const wq = interleaved ? permuteRowsForRotateHalf(Float32Array.from(w(`${p}attn.wq`)), Hq, hd, D) : w(`${p}attn.wq`);
    const wk = interleaved ? permuteRowsForRotateHalf(Float32Array.from(w(`${p}attn.wk`)), Hkv, hd, D) : w(`${p}attn.wk`);
    const pastK = `past_key_values.${l}.key`;
    const pastV = `past_key_values.${l}.value`;
    const presentK = `present.${l}.key`;
    const presentV = `present.${l}.value`;
    for (const n of [pastK, pastV]) inputs.push(valueInfo(n, ONNX_FLOAT, ['batch_size', Hkv, 'past_sequence_length', hd]));
    for (const n of [presentK, presentV]) outputs.push(valueInfo(n, ONNX_FLOAT, ['batch_size', Hkv, 'total_sequence_length', hd]));
    inputNames.push(pastK, pastV);
    outputNames.push(presentK, presentV);

    const h = rmsnorm(x, g.f32(`${p}attn_norm`, [D], Float32Array.from(w(`${p}attn_norm`))));
    const q = g.op('MatMul', [h, g.f32(`${p}attn.wq_t`, [D, Hq * hd], transpose(wq, Hq * hd, D))]);
    const k = g.op('MatMul', [h, g.f32(`${p}attn.wk_t`, [D, Hkv * hd], transpose(wk, Hkv * hd, D))]);
    const v = g.op('MatMul', [h, g.f32(`${p}attn.wv_t`, [D, Hkv * hd], transpose(w(`${p}attn.wv`), Hkv * hd, D))]);
    const q5 = g.op('Transpose', [g.op('Reshape', [q, shapeQ])], [['perm', [0, 2, 3, 1, 4]]]); // [B, Hkv, G, S, hd]
    const k4 = g.op('Transpose', [g.op('Reshape', [k, shapeKv])], [['perm', [0, 2, 1, 3]]]); // [B, Hkv, S, hd]
    const v4 = g.op('Transpose', [g.op('Reshape', [v, shapeKv])], [['perm', [0, 2, 1, 3]]]);
    const qr = rope(q5, cos5, sin5, axes4);
    const kr = rope(k4, cos4, sin4, axes3);
    g.node('Concat', [pastK, kr], [['axis', 2]], [presentK]); // [B, Hkv, T, hd]
    g.node('Concat', [pastV, v4], [['axis', 2]], [presentV]);
    const kT = g.op('Transpose', [g.op('Unsqueeze', [presentK, axes2])], [['perm', [0, 1, 2, 4, 3]]]); // [B, Hkv, 1, hd, T]
    const scores = g.op('Mul', [g.op('MatMul', [qr, kT]), scale]); // [B, Hkv, G, S, T]
    const probs = g.op('Softmax', [g.op('Where', [allowed, scores, masked])], [['axis', -1]]);
    const ctx = g.op('MatMul', [probs, g.op('Unsqueeze', [presentV, axes2])]); // [B, Hkv, G, S, hd]
    const merged = g.op('Reshape', [g.op('Transpose', [ctx], [['perm', [0, 3, 1, 2, 4]]]), shapeMerge]); // [B, S, Hq*hd]
    x = g.op('Add', [x, g.op('MatMul', [merged, g.f32(`${p}attn.wo_t`, [Hq * hd, D], transpose(w(`${p}attn.wo`), D, Hq * hd))])]);

    const h2 = rmsnorm(x, g.f32(`${p}ffn_norm`, [D], Float32Array.from(w(`${p}ffn_norm`))));
    const gate = g.op('MatMul', [h2, g.f32(`${p}ffn.w_gate_t`, [D, c.hiddenDim], transpose(w(`${p}ffn.w_gate`), c.hiddenDim, D))]);
    const up = g.op('MatMul', [h2, g.f32(`${p}ffn.w_up_t`, [D, c.hiddenDim], transpose(w(`${p}ffn.w_up`), c.hiddenDim, D))]);
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
    x = g.op('Add', [x, g.op('MatMul', [act, g.f32(`${p}ffn.w_down_t`, [c.hiddenDim, D], transpose(w(`${p}ffn.w_down`), D, c.hiddenDim))])]);
  }
  const xn = rmsnorm(x, g.f32('final_norm', [D], Float32Array.from(w('final_norm'))));
  const lm = transpose(w(c.tiedEmbeddings ? 'embed' : 'lm_head'), c.vocabSize, D);
  g.node('MatMul', [xn, g.f32('lm_head_t', [D, c.vocabSize], lm)], [], ['logits']);

  const graph = new ProtoMessage();
  for (const n of g.nodes) graph.message(1, n);
  graph.string(2, `${c.name ?? 'llama'} (exported by serving-playground for the transformers.js baseline)`);
  for (const t of g.initializers) graph.message(5, t);
  for (const i of inputs) graph.message(11, i);
  for (const o of outputs) graph.message(12, o);
  const model = new ProtoMessage()
    .varint(1, ONNX_IR_VERSION)
    .string(2, 'serving-playground')
    .string(3, '1')
    .message(7, graph)
    .message(8, new ProtoMessage().string(1, '').varint(2, ONNX_OPSET));
  if (model.byteLength > MAX_ONNX_BYTES) throw new ModelConfigError('(model)', `its ONNX export is ${model.byteLength} bytes, past the 2 GiB protobuf limit`);
  return {
    onnx: model.finish(),
    config: hfLlamaConfig(c),
    generationConfig: { bos_token_id: c.bosId, eos_token_id: c.eosIds.length === 1 ? c.eosIds[0] : c.eosIds },
    inputNames,
    outputNames,
    numNodes: g.nodes.length,
  };
}
