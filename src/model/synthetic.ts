/**
 * Synthetic models: random weights of any Llama shape, generated from a seed tensor by tensor through
 * the WeightSource interface (nothing is held beyond the tensor being yielded). For serving experiments
 * where text quality does not matter; config.synthetic = true and the name says "random" so the UI
 * labels it.
 *
 * Each tensor has its own stream (seed mixed with the tensor's index), so the values do not depend on
 * iteration order. Matrices [out, in]: uniform with std 1/sqrt(in) (keeps activations O(1) through the
 * residual stream); norm weights: 1 + uniform(-0.1, 0.1); embedding: uniform with std 1.
 */
import { validateConfig, type ModelConfig } from './config';
import { byteSize, fromFloat32, type DType } from './dtype';
import type { LoadProgress, TensorInfo, WeightSource, WeightTensor } from './weights';
import { expectedTensors } from './weights';

/** mulberry32 (same generator as test/util/rng.ts). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes a model seed and a tensor index into a stream seed (murmur3 finaliser). */
function mix(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A Llama-3-8B-shaped config scaled down: the same head_dim (128), GQA ratio (4:1), FFN ratio (3.5),
 * RoPE theta (500000) and rotate-half convention, with `numHeads` query heads and `numLayers` layers.
 * numHeads must be a multiple of 4. Llama-3-8B itself is numHeads 32, numLayers 32, vocab 128256.
 */
export function llama3ScaledConfig(opts: { numHeads?: number; numLayers?: number; vocabSize?: number; maxSeqLen?: number } = {}): ModelConfig {
  const numHeads = opts.numHeads ?? 4;
  const dim = numHeads * 128;
  return validateConfig({
    name: `random Llama-3-8B-shaped (${numHeads} heads x 128, ${opts.numLayers ?? 2} layers)`,
    synthetic: true,
    dim,
    hiddenDim: (dim * 7) / 2,
    numLayers: opts.numLayers ?? 2,
    numHeads,
    numKvHeads: numHeads / 4,
    headDim: 128,
    vocabSize: opts.vocabSize ?? 2048,
    maxSeqLen: opts.maxSeqLen ?? 8192,
    rmsNormEps: 1e-5,
    ropeTheta: 500000,
    ropeConvention: 'rotate-half',
    tiedEmbeddings: false,
    bosId: 0,
    eosIds: [1],
  });
}

export interface SyntheticOptions {
  seed?: number;
  /** dtype of the yielded bytes (default f32). */
  dtype?: DType;
}

/** Random weights for `config` as a WeightSource; config is marked synthetic. */
export function syntheticWeights(config: ModelConfig, opts: SyntheticOptions = {}): WeightSource {
  const seed = opts.seed ?? 1;
  const dtype = opts.dtype ?? 'f32';
  const c: ModelConfig = validateConfig({ ...config, synthetic: true, name: config.name ?? `random Llama (seed ${seed})` });
  const tensors: TensorInfo[] = expectedTensors(c).map((e) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    return { name: e.name, sourceName: `synthetic:${e.name}`, dtype, storedDtype: dtype, shape: e.shape, byteLength: byteSize(dtype, n) };
  });
  const totalBytes = tensors.reduce((a, t) => a + t.byteLength, 0);
  return {
    format: 'synthetic',
    config: c,
    tensors,
    totalBytes,
    metadata: { synthetic: true, seed },
    async *iterate(onProgress?: (p: LoadProgress) => void): AsyncGenerator<WeightTensor> {
      let bytesDone = 0;
      for (let i = 0; i < tensors.length; i++) {
        const t = tensors[i]!;
        const n = t.shape.reduce((a, b) => a * b, 1);
        const r = rng(mix(seed, i));
        const v = new Float32Array(n);
        if (t.shape.length === 1) {
          for (let j = 0; j < n; j++) v[j] = 1 + 0.2 * (r() - 0.5);
        } else {
          // uniform(-a, a) has std a / sqrt(3).
          const std = t.name === 'embed' ? 1 : 1 / Math.sqrt(t.shape[1]!);
          const a = std * Math.sqrt(3);
          for (let j = 0; j < n; j++) v[j] = a * (2 * r() - 1);
        }
        const data = dtype === 'f32' ? new Uint8Array(v.buffer) : fromFloat32(v, dtype);
        bytesDone += t.byteLength;
        onProgress?.({ bytesDone, bytesTotal: totalBytes, tensorsDone: i + 1, tensorsTotal: tensors.length, tensor: t.name });
        yield { ...t, data };
      }
    },
  };
}
