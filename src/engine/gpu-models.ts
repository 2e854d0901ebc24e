/**
 * Real models on this GPU: opens a model (any format src/model reads), sizes the KV layout from its
 * config, streams its weights to the GPU, and builds the GpuRunner. Everything that comes back to
 * the UI as text goes through the model's own tokenizer.
 */
import type { GpuContext } from '../gpu';
import { KV_ELEMENT_BYTES } from '../kernels/kv-layout';
import { checkDeviceLimits } from '../model/limits';
import type { LoadedModel } from '../model/load';
import { GpuModel } from '../model/gpu-model';
import { uploadWeights } from '../model/gpu-weights';
import type { LoadProgress } from '../model/weights';
import { GpuRunner } from './gpu-runner';
import type { RunnerFactory } from './service';

export interface GpuModelOptions {
  /** Caps the model's context (its config's maxSeqLen otherwise). */
  maxModelLen?: number;
  onProgress?: (p: LoadProgress) => void;
}

export function gpuModel(gpu: () => Promise<GpuContext>, open: () => Promise<LoadedModel>, opts: GpuModelOptions = {}): RunnerFactory {
  let loaded: Promise<LoadedModel> | null = null;
  const model = () => (loaded ??= open());
  return {
    backend: 'gpu',
    async describe() {
      const { weights, tokenizer } = await model();
      const c = weights.config;
      const ctx = await gpu();
      checkDeviceLimits(weights.tensors, ctx.device.limits);
      const kind = c.synthetic ? 'random weights (text is meaningless)' : `${weights.format} weights`;
      return {
        info: {
          label: c.name ?? 'model',
          kind: 'gpu',
          layout: { numLayers: c.numLayers, numKvHeads: c.numKvHeads, headDim: c.headDim, elementBytes: KV_ELEMENT_BYTES },
          maxModelLen: Math.min(c.maxSeqLen, opts.maxModelLen ?? c.maxSeqLen),
          vocabSize: c.vocabSize,
          note: `${kind}; ${(weights.totalBytes / 2 ** 20).toFixed(1)} MiB`,
        },
        eosTokenIds: c.eosIds,
        ...(tokenizer ? { tokenizer } : {}),
      };
    },
    async create(env) {
      if (!env.gpuPool) throw new Error('A GPU model needs the GPU backend.');
      const { weights } = await model();
      const ctx = await gpu();
      const uploaded = await uploadWeights(ctx, weights, opts.onProgress);
      try {
        const m = new GpuModel(ctx, weights.config, uploaded, env.gpuPool, { maxTokens: env.maxNumBatchedTokens, maxSeqs: env.maxNumSeqs });
        opts.onProgress?.({ bytesDone: weights.totalBytes, bytesTotal: weights.totalBytes, tensorsDone: weights.tensors.length, tensorsTotal: weights.tensors.length, tensor: 'compiling the GPU kernels' });
        await m.warmup();
        return new GpuRunner(env.sessionId, m);
      } catch (e) {
        uploaded.destroy();
        throw e;
      }
    },
  };
}
