/**
 * llama2.c "version 0" checkpoints (karpathy/llama2.c run.c): a 7 x int32 header
 * `dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len` (vocab_size < 0 = separate
 * classifier at the end), then f32 arrays with no padding, each per-layer array all layers back to back:
 * embed [V,D], rms_att [L,D], wq [L,H*hd,D], wk [L,KV*hd,D], wv [L,KV*hd,D], wo [L,D,H*hd], rms_ffn [L,D],
 * w1 [L,F,D], w2 [L,D,F], w3 [L,F,D], rms_final [D], legacy RoPE tables 2 x [seq_len * hd / 2] (ignored),
 * wcls [V,D] if unshared. RoPE is interleaved pairs; eps 1e-5, theta 10000 (run.c hard-codes them).
 */
import type { ByteSource } from './bytes';
import { validateConfig, type ModelConfig } from './config';
import { BadFormatError, ModelConfigError, TruncatedFileError } from './errors';
import { fileWeightSource, yieldedInfo, type FileTensor } from './file-tensors';
import { checkManifest, type WeightSource } from './weights';

export const LLAMA2C_HEADER_BYTES = 28;
/** llama2.c's export.py v1/v2 files start with this magic ("ak42" read as a little-endian int32). */
const LLAMA2C_V1_MAGIC = 0x616b3432;

export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  vocabSize: number;
  sharedClassifier: boolean;
  seqLen: number;
}

export function parseLlama2cHeader(bytes: Uint8Array, file?: string): Llama2cHeader {
  if (bytes.byteLength < LLAMA2C_HEADER_BYTES) throw new TruncatedFileError(file, 'llama2.c header', LLAMA2C_HEADER_BYTES, bytes.byteLength);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, LLAMA2C_HEADER_BYTES);
  const v = [0, 1, 2, 3, 4, 5, 6].map((i) => dv.getInt32(4 * i, true));
  if (v[0] === LLAMA2C_V1_MAGIC) throw new BadFormatError('this is a llama2.c version 1/2 export (magic "ak42"); only legacy version-0 checkpoints are supported', file);
  const [dim, hiddenDim, numLayers, numHeads, numKvHeads, vocab, seqLen] = v as [number, number, number, number, number, number, number];
  return { dim, hiddenDim, numLayers, numHeads, numKvHeads, vocabSize: Math.abs(vocab), sharedClassifier: vocab > 0, seqLen };
}

export function configFromLlama2c(h: Llama2cHeader, file?: string): ModelConfig {
  if (h.numHeads > 0 && h.dim % h.numHeads !== 0) {
    throw new ModelConfigError('numHeads', `dim ${h.dim} is not a multiple of n_heads ${h.numHeads} (llama2.c uses head_size = dim / n_heads)`, file);
  }
  return validateConfig(
    {
      dim: h.dim,
      hiddenDim: h.hiddenDim,
      numLayers: h.numLayers,
      numHeads: h.numHeads,
      numKvHeads: h.numKvHeads,
      headDim: h.numHeads > 0 ? h.dim / h.numHeads : 0,
      vocabSize: h.vocabSize,
      maxSeqLen: h.seqLen,
      rmsNormEps: 1e-5,
      ropeTheta: 10000,
      ropeConvention: 'interleaved',
      tiedEmbeddings: h.sharedClassifier,
      bosId: 1,
      eosIds: [2],
    },
    file,
  );
}

/** Opens a llama2.c checkpoint: reads the header, lays out every tensor, checks the file size. */
export async function openLlama2c(src: ByteSource): Promise<WeightSource> {
  const header = parseLlama2cHeader(await src.read(0, LLAMA2C_HEADER_BYTES, 'llama2.c header'), src.name);
  const c = configFromLlama2c(header, src.name);
  const D = c.dim;
  const F = c.hiddenDim;
  const L = c.numLayers;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const entries: FileTensor[] = [];
  let offset = LLAMA2C_HEADER_BYTES;
  const add = (name: string, sourceName: string, shape: number[]) => {
    const { info, storedBytes } = yieldedInfo(name, sourceName, 'f32', shape);
    entries.push({ info, offset, storedBytes });
    offset += storedBytes;
  };
  const perLayer = (canon: string, src: string, shape: number[]) => {
    for (let l = 0; l < L; l++) add(`layers.${l}.${canon}`, `${src}[${l}]`, shape);
  };
  add('embed', 'token_embedding_table', [c.vocabSize, D]);
  perLayer('attn_norm', 'rms_att_weight', [D]);
  perLayer('attn.wq', 'wq', [q, D]);
  perLayer('attn.wk', 'wk', [kv, D]);
  perLayer('attn.wv', 'wv', [kv, D]);
  perLayer('attn.wo', 'wo', [D, q]);
  perLayer('ffn_norm', 'rms_ffn_weight', [D]);
  perLayer('ffn.w_gate', 'w1', [F, D]);
  perLayer('ffn.w_down', 'w2', [D, F]);
  perLayer('ffn.w_up', 'w3', [F, D]);
  add('final_norm', 'rms_final_weight', [D]);
  offset += 2 * 4 * ((header.seqLen * c.headDim) / 2); // legacy freq_cis_real / freq_cis_imag
  if (!c.tiedEmbeddings) add('lm_head', 'wcls', [c.vocabSize, D]);
  if (src.size !== undefined) {
    if (src.size < offset) throw new TruncatedFileError(src.name, 'llama2.c weights (as the header describes them)', offset, src.size);
    if (src.size > offset) {
      throw new BadFormatError(`${src.size - offset} bytes follow the weights the header describes (${offset} bytes): header and file disagree`, src.name);
    }
  }
  checkManifest(c, entries.map((e) => e.info), src.name);
  return fileWeightSource('llama2c', src, c, entries, { header });
}
