/**
 * The calibration mode's measurements: runs a few forward steps of a small random Llama on this GPU
 * (its own weights and KV pool, nothing of a loaded model or the engine's pool touched), then fits the
 * roofline (simulated/calibrate.ts) to the timings.
 *
 * Shapes: for each token count T, a prefill of T tokens in one row and a decode of T rows of one token
 * at context 32; each run `repetitions` times after one warm-up, the median kept.
 * - With timestamp queries every kernel gets its own pass, and the fit uses the dense matmuls
 *   (qkv, o, gate-up, down, lm-head: the weights that dominate a serving step): per shape and label, time
 *   summed over layers, FLOPs = 2·M·N·K, bytes = weights + activations in and out (f32), dispatches =
 *   one per layer. These samples span intensities from ~0.5 FLOP/byte (M = 1) to ~M/2.
 * - Without them (wall-clock fallback) the samples are whole steps: FLOPs and bytes from stepWork (the
 *   cost model's formulas), dispatches = the step's dispatch count, so the fit's per-dispatch term absorbs
 *   the per-kernel overhead that dominates small models.
 * The result is labelled "measured on <adapter>"; efficiency factors only with peaks the caller names.
 */
import { adapterLine, storageBuffer, type GpuContext } from '../gpu';
import { syntheticWeights, validateConfig, type ModelConfig } from '../model';
import { GpuModel, type ForwardRow } from '../model/gpu-model';
import { uploadWeights } from '../model/gpu-weights';
import type { KvPoolLayout } from '../kernels/kv-layout';
import { median } from '../metrics/stats';
import { stepWork } from './gpu-runner';
import { fitRoofline, type Peaks, type RooflineFit, type TimingSample } from './simulated/calibrate';

/** Small enough for a software adapter, large enough that its matmuls are not all launch overhead. */
export const CALIBRATION_MODEL: ModelConfig = validateConfig({
  name: 'calibration model (random weights, dim 256, 2 layers)',
  synthetic: true,
  dim: 256, hiddenDim: 704, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 64, vocabSize: 1024, maxSeqLen: 512,
  rmsNormEps: 1e-5, ropeTheta: 10000, ropeConvention: 'rotate-half', tiedEmbeddings: false, bosId: 1, eosIds: [2],
});

export interface CalibrationOptions {
  /** The local GPU's peaks (and where they come from); without them only achieved rates are reported. */
  peaks?: Peaks;
  /** Token counts T of the measured shapes; default [1, 4, 16, 64, 128]. */
  tokenCounts?: number[];
  /** Timed runs per shape (median kept); default 3. */
  repetitions?: number;
  config?: ModelConfig;
}

export interface CalibrationResult {
  /** "measured on <adapter>": these numbers are this GPU's, through WebGPU. */
  label: string;
  adapter: string;
  timing: 'gpu-timestamp' | 'wall-clock';
  /** Per-kernel matmul samples (timestamps) or whole steps (wall clock). */
  level: 'kernel' | 'step';
  model: string;
  fit: RooflineFit;
  samples: TimingSample[];
  note: string;
}

const CONTEXT = 32;
const TPP = 16;
const MATMULS = ['matmul.qkv', 'matmul.o', 'matmul.gate-up', 'matmul.down', 'matmul.lm-head'];

/** (M, N, K, residual) of a matmul pass of the step: M = tokens (or sampled rows for lm-head). */
function matmulShape(label: string, c: ModelConfig, T: number, S: number): { M: number; N: number; K: number; residual: boolean } {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  switch (label) {
    case 'matmul.qkv': return { M: T, N: q + 2 * kv, K: c.dim, residual: false };
    case 'matmul.o': return { M: T, N: c.dim, K: q, residual: true };
    case 'matmul.gate-up': return { M: T, N: 2 * c.hiddenDim, K: c.dim, residual: false };
    case 'matmul.down': return { M: T, N: c.dim, K: c.hiddenDim, residual: true };
    default: return { M: S, N: c.vocabSize, K: c.dim, residual: false };
  }
}

export async function calibrateOnGpu(gpu: GpuContext, opts: CalibrationOptions = {}): Promise<CalibrationResult> {
  const c = opts.config ?? CALIBRATION_MODEL;
  const counts = opts.tokenCounts ?? [1, 4, 16, 64, 128];
  const reps = Math.max(1, Math.floor(opts.repetitions ?? 3));
  if (!counts.length || counts.some((t) => !(Number.isInteger(t) && t >= 1))) throw new RangeError(`calibrate: tokenCounts must be whole numbers >= 1, got ${JSON.stringify(counts)}`);
  const maxT = Math.max(...counts);
  const pagesPerRow = Math.ceil((CONTEXT + 1) / TPP);
  const numPages = 1 + Math.max(Math.ceil(maxT / TPP), maxT * pagesPerRow);
  const layout: KvPoolLayout = { numPages, numLayers: c.numLayers, numKvHeads: c.numKvHeads, headDim: c.headDim, tokensPerPage: TPP };
  const poolBuffer = storageBuffer(gpu.device, 'Calibrate.kvPool', numPages * GpuModel.pageBytes(layout));
  const weights = await uploadWeights(gpu, syntheticWeights(c, { seed: 1 }));
  let model: GpuModel;
  try {
    model = new GpuModel(gpu, c, weights, { buffer: poolBuffer, layout }, { maxTokens: maxT, maxSeqs: maxT, profileKernels: gpu.hasTimestamps, profileEvery: 1 });
  } catch (e) {
    weights.destroy();
    poolBuffer.destroy();
    throw e;
  }
  const kernelSamples: TimingSample[] = [];
  const stepSamples: TimingSample[] = [];
  let method: CalibrationResult['timing'] = 'wall-clock';
  try {
    const greedy = { temperature: 0, topK: 0, topP: 1, seed: 0 };
    for (const T of counts) {
      const tokens = (n: number, off: number) => Array.from({ length: n }, (_, i) => 3 + ((i * 31 + off) % (c.vocabSize - 3)));
      const prefill: ForwardRow[] = [
        { tokenIds: tokens(T, 0), positionStart: 0, blockTable: Array.from({ length: Math.ceil(T / TPP) }, (_, i) => 1 + i), numSamples: 1, sampling: greedy, counter: T },
      ];
      const decode: ForwardRow[] = Array.from({ length: T }, (_, r) => ({
        tokenIds: tokens(1, r),
        positionStart: CONTEXT - 1,
        blockTable: Array.from({ length: pagesPerRow }, (_, i) => 1 + r * pagesPerRow + i),
        numSamples: 1,
        sampling: greedy,
        counter: CONTEXT,
      }));
      for (const [shape, rows] of [[`prefill ${T}`, prefill], [`decode ${T} rows @${CONTEXT}`, decode]] as const) {
        const totals: number[] = [];
        const perLabel = new Map<string, { ms: number[]; count: number }>();
        let numDispatches = 0;
        for (let i = 0; i <= reps; i++) {
          const res = await model.forward({ rows, pageCopies: [] });
          if (i === 0) continue; // warm-up: first use of the shape's bind groups and pipelines
          method = res.timing.method;
          numDispatches = res.numDispatches;
          totals.push(res.timing.totalMs);
          const sums = new Map<string, { ms: number; count: number }>();
          for (const p of res.timing.passes) {
            const e = sums.get(p.label) ?? { ms: 0, count: 0 };
            e.ms += p.ms;
            e.count++;
            sums.set(p.label, e);
          }
          for (const [label, e] of sums) {
            const acc = perLabel.get(label) ?? { ms: [], count: e.count };
            acc.ms.push(e.ms);
            perLabel.set(label, acc);
          }
        }
        const work = stepWork(rows.map((r) => ({ numTokens: r.tokenIds.length, positionStart: r.positionStart, numSamples: r.numSamples })), model);
        const ms = median(totals);
        if (ms > 0) stepSamples.push({ label: shape, ...work, ms, dispatches: numDispatches });
        const S = rows.length;
        for (const label of MATMULS) {
          const e = perLabel.get(label);
          if (!e) continue;
          const { M, N, K, residual } = matmulShape(label, c, rows.reduce((n, r) => n + r.tokenIds.length, 0), S);
          const t = median(e.ms);
          if (!(t > 0)) continue; // below the timestamp resolution
          const wBytes = weights.weightType === 'f16' ? 2 : 4;
          kernelSamples.push({ label: `${shape} ${label}`, flops: 2 * M * N * K, bytes: N * K * wBytes + 4 * (M * K + M * N * (residual ? 2 : 1)), ms: t, dispatches: e.count });
        }
      }
    }
  } finally {
    model.destroy();
    poolBuffer.destroy();
  }
  const useKernels = method === 'gpu-timestamp' && kernelSamples.length >= 4;
  const samples = useKernels ? kernelSamples : stepSamples;
  const fit = fitRoofline(samples, opts.peaks ? { peaks: opts.peaks } : {});
  const adapter = adapterLine(gpu.info);
  return {
    label: `measured on ${adapter}`,
    adapter,
    timing: method,
    level: useKernels ? 'kernel' : 'step',
    model: c.name ?? 'model',
    fit,
    samples,
    note: opts.peaks
      ? `efficiencies against ${opts.peaks.source}`
      : 'no peaks given for this GPU: achieved FLOP/s and bytes/s only (WebGPU does not report peaks; pass them with their source to get efficiency factors)',
  };
}
