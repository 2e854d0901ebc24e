/** Test helpers: write canonical f32 weights as each file format (for round trips and fuzz seeds). */
import { fromFloat32, writeGguf, writeLlama2c, writeSafetensors, type GgufKv, type ModelConfig, type StoredDType } from '../../../src/model';

export type Weights = Map<string, Float32Array>;

const HF_NAMES: Record<string, string> = {
  attn_norm: 'input_layernorm.weight',
  'attn.wq': 'self_attn.q_proj.weight',
  'attn.wk': 'self_attn.k_proj.weight',
  'attn.wv': 'self_attn.v_proj.weight',
  'attn.wo': 'self_attn.o_proj.weight',
  ffn_norm: 'post_attention_layernorm.weight',
  'ffn.w_gate': 'mlp.gate_proj.weight',
  'ffn.w_up': 'mlp.up_proj.weight',
  'ffn.w_down': 'mlp.down_proj.weight',
};

export function hfName(canon: string): string {
  if (canon === 'embed') return 'model.embed_tokens.weight';
  if (canon === 'final_norm') return 'model.norm.weight';
  if (canon === 'lm_head') return 'lm_head.weight';
  const m = /^layers\.(\d+)\.(.+)$/.exec(canon)!;
  return `model.layers.${m[1]}.${HF_NAMES[m[2]!]}`;
}

export function ggufName(canon: string): string {
  if (canon === 'embed') return 'token_embd.weight';
  if (canon === 'final_norm') return 'output_norm.weight';
  if (canon === 'lm_head') return 'output.weight';
  const m = /^layers\.(\d+)\.(.+)$/.exec(canon)!;
  const per: Record<string, string> = { attn_norm: 'attn_norm', 'attn.wq': 'attn_q', 'attn.wk': 'attn_k', 'attn.wv': 'attn_v', 'attn.wo': 'attn_output', ffn_norm: 'ffn_norm', 'ffn.w_gate': 'ffn_gate', 'ffn.w_up': 'ffn_up', 'ffn.w_down': 'ffn_down' };
  return `blk.${m[1]}.${per[m[2]!]}.weight`;
}

export function shapeOf(c: ModelConfig, canon: string): number[] {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  if (canon === 'embed' || canon === 'lm_head') return [c.vocabSize, c.dim];
  if (canon.endsWith('norm')) return [c.dim];
  if (canon.endsWith('wq')) return [q, c.dim];
  if (canon.endsWith('wk') || canon.endsWith('wv')) return [kv, c.dim];
  if (canon.endsWith('wo')) return [c.dim, q];
  if (canon.endsWith('w_down')) return [c.dim, c.hiddenDim];
  return [c.hiddenDim, c.dim];
}

export function hfConfigJson(c: ModelConfig): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      architectures: ['LlamaForCausalLM'],
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
      eos_token_id: c.eosIds[0],
    }),
  );
}

const ST_DTYPE: Record<string, string> = { f32: 'F32', f16: 'F16', bf16: 'BF16' };

export function toSafetensors(c: ModelConfig, w: Weights, dtype: 'f32' | 'f16' | 'bf16' = 'f32'): Uint8Array {
  return writeSafetensors(
    [...w].map(([name, v]) => ({ name: hfName(name), dtype: ST_DTYPE[dtype]!, shape: shapeOf(c, name), data: fromFloat32(v, dtype) })),
    { format: 'pt' },
  );
}

const GGML: Record<string, number> = { f32: 0, f16: 1, q8_0: 8, bf16: 30 };

export function ggufKv(c: ModelConfig, extra: GgufKv[] = []): GgufKv[] {
  return [
    ['general.architecture', 'string', 'llama'],
    ['general.name', 'string', 'test'],
    ['llama.context_length', 'u32', c.maxSeqLen],
    ['llama.embedding_length', 'u32', c.dim],
    ['llama.feed_forward_length', 'u32', c.hiddenDim],
    ['llama.block_count', 'u32', c.numLayers],
    ['llama.attention.head_count', 'u32', c.numHeads],
    ['llama.attention.head_count_kv', 'u32', c.numKvHeads],
    ['llama.attention.key_length', 'u32', c.headDim],
    ['llama.rope.dimension_count', 'u32', c.headDim],
    ['llama.rope.freq_base', 'f32', c.ropeTheta],
    ['llama.attention.layer_norm_rms_epsilon', 'f32', c.rmsNormEps],
    ['llama.vocab_size', 'u32', c.vocabSize],
    ['tokenizer.ggml.bos_token_id', 'u32', c.bosId],
    ['tokenizer.ggml.eos_token_id', 'u32', c.eosIds[0]],
    ...extra,
  ];
}

/** GGUF with every tensor in `dtype` (1-D norm weights stay f32, as llama.cpp does). */
export function toGguf(c: ModelConfig, w: Weights, dtype: StoredDType = 'f32'): Uint8Array {
  return writeGguf(
    ggufKv(c),
    [...w].map(([name, v]) => {
      const dt = name.endsWith('norm') ? 'f32' : dtype;
      return { name: ggufName(name), ggmlType: GGML[dt]!, shape: shapeOf(c, name), data: fromFloat32(v, dt) };
    }),
  );
}

export { writeLlama2c };
