/**
 * A roofline cost model of one engine step, so the scheduler can be studied on GPUs the visitor does
 * not have. Per step (T scheduled tokens, R rows, row r computing t_r tokens whose last position is
 * c_r - 1, weights of W bytes, L layers):
 *
 *   FLOPs  = 2 · P_dense · T                                  (every linear layer, P_dense weights)
 *          + 2 · dim · vocab · S                               (lm_head on the S sampled rows only)
 *          + L · 4 · numHeads · headDim · Σ_tokens ctx(token)  (QKᵀ and PV, causal: token at position p sees p + 1)
 *   bytes  = W                                                 (weights read once per step: batching amortises them)
 *          + L · Σ_r ceil(t_r / 64) · c_r · kvBytesPerTokenPerLayer   (K/V read once per 64-query tile)
 *          + T · kvBytesPerToken                               (K/V written)
 *   time   = max(FLOPs / (peak · e_c), bytes / (bw · e_m)) + kernels · launchOverhead
 *
 * It ignores overlap between kernels and the cost of sampling beyond lm_head; the calibration mode
 * fits e_c and e_m to kernels measured on the local GPU.
 */
import type { SchedulerOutput } from '../../scheduler';
import { DEFAULT_EFFICIENCY, type Efficiency, type GpuSpec } from './gpu-specs';

/** The dimensions the cost model needs (a subset of the model config). */
export interface ModelShape {
  dim: number;
  hiddenDim: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
}

/** Model shapes for serving experiments, from each model's published config.json. */
export const MODEL_SHAPES: Record<string, ModelShape & { name: string }> = {
  'llama-3-8b': { name: 'Llama-3-8B', dim: 4096, hiddenDim: 14336, numLayers: 32, numHeads: 32, numKvHeads: 8, headDim: 128, vocabSize: 128256 },
  'llama-3.2-1b': { name: 'Llama-3.2-1B', dim: 2048, hiddenDim: 8192, numLayers: 16, numHeads: 32, numKvHeads: 8, headDim: 64, vocabSize: 128256 },
  'mistral-7b': { name: 'Mistral-7B', dim: 4096, hiddenDim: 14336, numLayers: 32, numHeads: 32, numKvHeads: 8, headDim: 128, vocabSize: 32000 },
};

/** Weights in the dense layers (attention projections + SwiGLU MLP), excluding embeddings. */
export function denseParams(m: ModelShape): number {
  const attn = m.dim * (m.numHeads * m.headDim) * 2 + m.dim * (m.numKvHeads * m.headDim) * 2;
  const mlp = 3 * m.dim * m.hiddenDim;
  return m.numLayers * (attn + mlp);
}

export interface StepCost {
  flops: number;
  bytes: number;
  computeS: number;
  memoryS: number;
  overheadS: number;
  /** Modelled step time in ms. */
  ms: number;
  boundBy: 'compute' | 'memory';
}

export interface CostModelOptions {
  weightBytesPerParam: number;
  kvBytesPerElement: number;
  efficiency?: Efficiency;
  /** Kernel launches per layer (rmsnorm, qkv, rope, kv-write, attention, o-proj, rmsnorm, gate-up, silu, down). */
  kernelsPerLayer?: number;
}

export function stepCost(out: Pick<SchedulerOutput, 'scheduled'>, m: ModelShape, gpu: GpuSpec, o: CostModelOptions): StepCost {
  const eff = o.efficiency ?? DEFAULT_EFFICIENCY;
  const P = denseParams(m);
  const kvPerTokenPerLayer = 2 * m.numKvHeads * m.headDim * o.kvBytesPerElement;
  let T = 0;
  let S = 0;
  let attnPositions = 0; // Σ over tokens of the positions each attends to
  let kvReadTokens = 0;
  for (const r of out.scheduled) {
    const t = r.numTokens;
    const end = r.positionStart + t; // context after this step
    T += t;
    S += r.numSamples > 0 ? 1 : 0;
    // Σ_{p = start}^{end - 1} (p + 1) = t · (start + end + 1) / 2
    attnPositions += (t * (r.positionStart + end + 1)) / 2;
    kvReadTokens += Math.ceil(t / 64) * end;
  }
  const flops = 2 * P * T + 2 * m.dim * m.vocabSize * S + m.numLayers * 4 * m.numHeads * m.headDim * attnPositions;
  const weightBytes = (P + m.dim * m.vocabSize) * o.weightBytesPerParam;
  const bytes = T === 0 ? 0 : weightBytes + m.numLayers * kvReadTokens * kvPerTokenPerLayer + T * m.numLayers * kvPerTokenPerLayer;
  const computeS = flops / (gpu.peakFlops * eff.compute);
  const memoryS = bytes / (gpu.memoryBandwidth * eff.memory);
  const kernels = T === 0 ? 0 : m.numLayers * (o.kernelsPerLayer ?? 10) + 4;
  const overheadS = kernels * gpu.launchOverheadS;
  return { flops, bytes, computeS, memoryS, overheadS, ms: (Math.max(computeS, memoryS) + overheadS) * 1e3, boundBy: computeS >= memoryS ? 'compute' : 'memory' };
}
