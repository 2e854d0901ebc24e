/**
 * The one interface every weight format (and the synthetic generator) produces: a manifest of named
 * tensors known up front, and an async iterator that yields each tensor's bytes one at a time, in file
 * order, so an uploader can write it to the GPU and drop it. A model is never held twice in full.
 *
 * Canonical tensor names (all matrices row-major [out_features, in_features], y = W x):
 *   embed                    [vocabSize, dim]
 *   layers.{i}.attn_norm     [dim]
 *   layers.{i}.attn.wq       [numHeads * headDim, dim]
 *   layers.{i}.attn.wk       [numKvHeads * headDim, dim]
 *   layers.{i}.attn.wv       [numKvHeads * headDim, dim]
 *   layers.{i}.attn.wo       [dim, numHeads * headDim]
 *   layers.{i}.ffn_norm      [dim]
 *   layers.{i}.ffn.w_gate    [hiddenDim, dim]   (llama2.c w1, HF gate_proj, GGUF ffn_gate)
 *   layers.{i}.ffn.w_up      [hiddenDim, dim]   (llama2.c w3, HF up_proj,   GGUF ffn_up)
 *   layers.{i}.ffn.w_down    [dim, hiddenDim]   (llama2.c w2, HF down_proj, GGUF ffn_down)
 *   final_norm               [dim]
 *   lm_head                  [vocabSize, dim]   (absent when config.tiedEmbeddings)
 * q/k rows are in the order the file's RoPE convention expects (config.ropeConvention); nothing is
 * permuted on load.
 */
import type { ModelConfig } from './config';
import { toFloat32, type DType, type StoredDType } from './dtype';
import { MissingTensorError, ShapeMismatchError } from './errors';

export type WeightFormat = 'llama2c' | 'safetensors' | 'gguf' | 'synthetic';

export interface TensorInfo {
  /** Canonical name (see the table above). */
  name: string;
  /** Name in the file (for error messages). */
  sourceName: string;
  /** dtype of the bytes the iterator yields (q8_0 arrives dequantized as f32). */
  dtype: DType;
  /** dtype as stored in the file. */
  storedDtype: StoredDType;
  /** Row-major shape, outermost first. */
  shape: number[];
  /** Bytes the iterator yields for this tensor (elements x dtype size). */
  byteLength: number;
}

export interface WeightTensor extends TensorInfo {
  /** Little-endian elements of `dtype`; valid until the next iteration step (the iterator may reuse it). */
  data: Uint8Array;
}

export interface LoadProgress {
  /** File bytes consumed so far / in all. */
  bytesDone: number;
  bytesTotal: number;
  /** Tensors yielded so far / in all. */
  tensorsDone: number;
  tensorsTotal: number;
  /** The tensor just yielded. */
  tensor: string;
}

export interface WeightSource {
  format: WeightFormat;
  config: ModelConfig;
  /** Every tensor the iterator will yield, in yield order. */
  tensors: TensorInfo[];
  /** Sum of byteLength over `tensors` (what the GPU will hold). */
  totalBytes: number;
  /** Free-form metadata from the file (GGUF KV, safetensors __metadata__), for display. */
  metadata: Record<string, unknown>;
  /**
   * Yields each tensor once, in `tensors` order. May be called once for streamed (URL) sources; Blob,
   * ArrayBuffer and synthetic sources can be iterated again.
   */
  iterate(onProgress?: (p: LoadProgress) => void): AsyncGenerator<WeightTensor>;
}

export interface ExpectedTensor {
  name: string;
  shape: number[];
}

/** The tensors a config needs, in canonical order. */
export function expectedTensors(c: ModelConfig): ExpectedTensor[] {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const out: ExpectedTensor[] = [{ name: 'embed', shape: [c.vocabSize, c.dim] }];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `layers.${i}.`;
    out.push(
      { name: `${p}attn_norm`, shape: [c.dim] },
      { name: `${p}attn.wq`, shape: [q, c.dim] },
      { name: `${p}attn.wk`, shape: [kv, c.dim] },
      { name: `${p}attn.wv`, shape: [kv, c.dim] },
      { name: `${p}attn.wo`, shape: [c.dim, q] },
      { name: `${p}ffn_norm`, shape: [c.dim] },
      { name: `${p}ffn.w_gate`, shape: [c.hiddenDim, c.dim] },
      { name: `${p}ffn.w_up`, shape: [c.hiddenDim, c.dim] },
      { name: `${p}ffn.w_down`, shape: [c.dim, c.hiddenDim] },
    );
  }
  out.push({ name: 'final_norm', shape: [c.dim] });
  if (!c.tiedEmbeddings) out.push({ name: 'lm_head', shape: [c.vocabSize, c.dim] });
  return out;
}

/**
 * Checks a manifest against the config: every needed tensor present with the right shape. Extra tensors
 * are not allowed either (the caller drops the ones it knowingly ignores, e.g. rotary inv_freq).
 */
export function checkManifest(c: ModelConfig, tensors: readonly TensorInfo[], file?: string): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const e of expectedTensors(c)) {
    const t = byName.get(e.name);
    if (!t) throw new MissingTensorError(file, e.name);
    if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
      throw new ShapeMismatchError(file, t.sourceName === t.name ? t.name : `${t.sourceName}' ('${t.name}`, e.shape, t.shape);
    }
  }
}

/**
 * The row permutation Hugging Face's convert_llama_weights_to_hf.py applies to Wq/Wk so that
 * rotate-half RoPE computes what interleaved RoPE computed on the original rows: within each head of
 * size d, row 2i + j (j in {0, 1}) moves to row j * d/2 + i. Returns the new matrix (rows x cols, f32).
 * `inverse` undoes it (HF -> interleaved), as llama.cpp's convert_hf_to_gguf.py does.
 */
export function permuteRowsForRotateHalf(w: Float32Array, numHeads: number, headDim: number, cols: number, inverse = false): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < numHeads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const interleavedRow = h * headDim + 2 * i + j;
        const halfRow = h * headDim + j * half + i;
        const [src, dst] = inverse ? [halfRow, interleavedRow] : [interleavedRow, halfRow];
        out.set(w.subarray(src * cols, (src + 1) * cols), dst * cols);
      }
    }
  }
  return out;
}

/** Drains a WeightSource into a map of Float32Arrays (tests and the reference forward pass; small models). */
export async function collectFloat32(src: WeightSource, onProgress?: (p: LoadProgress) => void): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for await (const t of src.iterate(onProgress)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    // Copy: the iterator's bytes may be views into a reused or shared buffer.
    out.set(t.name, Float32Array.from(toFloat32(t.data, t.dtype, n)));
  }
  return out;
}
