/**
 * The Llama-family model config every loader produces, and its validation.
 *
 * Math it parameterises (per layer): rmsnorm -> q = Wq h, k = Wk h, v = Wv h -> RoPE(q, k) -> GQA attention
 * (query head h reads kv head floor(h / (numHeads / numKvHeads))) -> x += Wo attn -> rmsnorm ->
 * x += Wdown (silu(Wgate h) * (Wup h)); final rmsnorm; logits = lm_head x (lm_head = embed when tied).
 */
import { ModelConfigError } from './errors';

/**
 * How RoPE pairs the elements of a head (both rotate by angle pos * theta^(-2i/headDim), i < headDim/2):
 * - 'interleaved': pairs (2i, 2i+1) - Meta's original Llama, llama2.c, llama.cpp / GGUF files;
 * - 'rotate-half': pairs (i, i + headDim/2) - Hugging Face transformers (its checkpoints' q/k rows are
 *   permuted to match, see `permuteRowsForRotateHalf` in weights.ts).
 */
export type RopeConvention = 'interleaved' | 'rotate-half';

export interface ModelConfig {
  /** Hidden size (d_model). */
  dim: number;
  /** FFN inner size (intermediate_size). */
  hiddenDim: number;
  numLayers: number;
  /** Query heads. */
  numHeads: number;
  /** Key/value heads (GQA); divides numHeads. */
  numKvHeads: number;
  /** Per-head size; usually dim / numHeads but not always (e.g. Gemma-style configs). */
  headDim: number;
  vocabSize: number;
  /** Longest context the model was trained for (positions beyond it are allowed but untrained). */
  maxSeqLen: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeConvention: RopeConvention;
  /** lm_head shares the token embedding matrix. */
  tiedEmbeddings: boolean;
  bosId: number;
  /** End-of-sequence id(s): generation stops at any of these. */
  eosIds: number[];
  /** Human-readable name for the UI. */
  name?: string;
  /** True for random weights (synthetic models): labelled as random everywhere they appear. */
  synthetic?: boolean;
}

/** Largest size we accept for any single dimension; protects against parser-supplied absurd values. */
export const MAX_DIM = 1 << 24;

function positiveInt(field: string, v: unknown, max = MAX_DIM): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ModelConfigError(field, `must be an integer, got ${String(v)}`);
  if (v <= 0) throw new ModelConfigError(field, `must be positive, got ${v}`);
  if (v > max) throw new ModelConfigError(field, `${v} is above the supported maximum ${max}`);
  return v;
}

/**
 * Checks that a config describes a model that can exist; throws ModelConfigError naming the field.
 * Returns the same object for chaining.
 */
export function validateConfig(c: ModelConfig, file?: string): ModelConfig {
  try {
    positiveInt('dim', c.dim);
    positiveInt('hiddenDim', c.hiddenDim);
    positiveInt('numLayers', c.numLayers, 4096);
    positiveInt('numHeads', c.numHeads, 65536);
    positiveInt('numKvHeads', c.numKvHeads, 65536);
    positiveInt('headDim', c.headDim, 65536);
    positiveInt('vocabSize', c.vocabSize);
    positiveInt('maxSeqLen', c.maxSeqLen);
    if (c.numHeads % c.numKvHeads !== 0) {
      throw new ModelConfigError('numKvHeads', `${c.numKvHeads} kv heads do not divide ${c.numHeads} query heads (GQA needs numHeads % numKvHeads == 0)`);
    }
    if (c.headDim % 2 !== 0) throw new ModelConfigError('headDim', `RoPE rotates pairs, so headDim must be even, got ${c.headDim}`);
    if (!(typeof c.rmsNormEps === 'number' && c.rmsNormEps > 0 && c.rmsNormEps < 1)) {
      throw new ModelConfigError('rmsNormEps', `must be in (0, 1), got ${String(c.rmsNormEps)}`);
    }
    if (!(typeof c.ropeTheta === 'number' && Number.isFinite(c.ropeTheta) && c.ropeTheta > 1)) {
      throw new ModelConfigError('ropeTheta', `must be a finite number > 1, got ${String(c.ropeTheta)}`);
    }
    if (c.ropeConvention !== 'interleaved' && c.ropeConvention !== 'rotate-half') {
      throw new ModelConfigError('ropeConvention', `must be 'interleaved' or 'rotate-half', got ${String(c.ropeConvention)}`);
    }
    if (typeof c.tiedEmbeddings !== 'boolean') throw new ModelConfigError('tiedEmbeddings', 'must be a boolean');
    for (const [field, id] of [['bosId', c.bosId], ...c.eosIds.map((e, i) => [`eosIds[${i}]`, e] as const)] as const) {
      if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= c.vocabSize) {
        throw new ModelConfigError(field, `token id ${String(id)} is outside the vocabulary [0, ${c.vocabSize})`);
      }
    }
  } catch (e) {
    if (e instanceof ModelConfigError && file && !e.file) throw new ModelConfigError(e.field, e.message.replace(/^config [^:]+: /, ''), file);
    throw e;
  }
  return c;
}

/** Query heads per kv head (the GQA group size). */
export function gqaGroup(c: ModelConfig): number {
  return c.numHeads / c.numKvHeads;
}

/** Number of weights (embedding and lm_head counted once each; tied counts once). */
export function parameterCount(c: ModelConfig): number {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const perLayer = 2 * c.dim + c.dim * q + 2 * c.dim * kv + q * c.dim + 3 * c.dim * c.hiddenDim;
  return c.vocabSize * c.dim * (c.tiedEmbeddings ? 1 : 2) + c.numLayers * perLayer + c.dim;
}

/**
 * Reads a Hugging Face `config.json` (LlamaForCausalLM and relatives). HF checkpoints use rotate-half
 * RoPE (their q/k rows are permuted at conversion), so the convention is 'rotate-half'.
 */
export function configFromHf(json: unknown, file = 'config.json'): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ModelConfigError('(root)', 'config.json must hold a JSON object', file);
  const j = json as Record<string, unknown>;
  const num = (k: string, dflt?: number): number => {
    const v = j[k];
    if (v === undefined || v === null) {
      if (dflt === undefined) throw new ModelConfigError(k, 'is missing', file);
      return dflt;
    }
    if (typeof v !== 'number') throw new ModelConfigError(k, `must be a number, got ${JSON.stringify(v)}`, file);
    return v;
  };
  const act = j['hidden_act'] ?? j['hidden_activation'];
  if (act !== undefined && act !== 'silu' && act !== 'swish') {
    throw new ModelConfigError('hidden_act', `only SwiGLU (silu) models are supported, got ${JSON.stringify(act)}`, file);
  }
  const scaling = j['rope_scaling'];
  if (scaling !== undefined && scaling !== null) {
    throw new ModelConfigError('rope_scaling', `RoPE scaling (${JSON.stringify(scaling)}) is not supported yet`, file);
  }
  const dim = num('hidden_size');
  const numHeads = num('num_attention_heads');
  const eos = j['eos_token_id'];
  const eosIds = Array.isArray(eos) ? eos.map((e) => Number(e)) : eos === undefined || eos === null ? [] : [Number(eos)];
  const cfg: ModelConfig = {
    dim,
    hiddenDim: num('intermediate_size'),
    numLayers: num('num_hidden_layers'),
    numHeads,
    numKvHeads: num('num_key_value_heads', numHeads),
    headDim: num('head_dim', Number.isInteger(dim / numHeads) ? dim / numHeads : NaN),
    vocabSize: num('vocab_size'),
    maxSeqLen: num('max_position_embeddings', 2048),
    rmsNormEps: num('rms_norm_eps', 1e-6),
    ropeTheta: num('rope_theta', 10000),
    ropeConvention: 'rotate-half',
    tiedEmbeddings: j['tie_word_embeddings'] === undefined ? false : j['tie_word_embeddings'] === true,
    bosId: num('bos_token_id', 1),
    eosIds,
  };
  if (typeof j['_name_or_path'] === 'string') cfg.name = j['_name_or_path'];
  return validateConfig(cfg, file);
}
