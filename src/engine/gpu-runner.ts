/**
 * The GPU backend's model runner: turns the scheduler's decision into the model's ForwardBatch, runs
 * it (one submit), and hands the sampled tokens back. Copy-on-write and fork copies run before the
 * forward, in the same command buffer.
 */
import type { SchedulerOutput } from '../scheduler';
import type { GpuModel, ForwardRow } from '../model/gpu-model';
import type { ModelRunner, StepResult } from './runner';

/**
 * FLOPs and bytes of a step, for the kernel profile's achieved GFLOP/s and GB/s (same formulas as the cost
 * model); rows are the step's scheduled rows (also used by the calibration mode, calibrate-gpu.ts).
 */
export function stepWork(rows: ReadonlyArray<{ numTokens: number; positionStart: number; numSamples: number }>, m: Pick<GpuModel, 'config' | 'weights'>): { flops: number; bytes: number } {
  const c = m.config;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const dense = c.numLayers * (c.dim * (q + 2 * kv) + q * c.dim + 3 * c.dim * c.hiddenDim);
  const wBytes = m.weights.weightType === 'f16' ? 2 : 4;
  let T = 0;
  let S = 0;
  let attn = 0;
  let kvRead = 0;
  for (const r of rows) {
    const end = r.positionStart + r.numTokens;
    T += r.numTokens;
    S += r.numSamples;
    attn += (r.numTokens * (r.positionStart + end + 1)) / 2;
    kvRead += end;
  }
  const flops = 2 * dense * T + 2 * c.dim * c.vocabSize * S + c.numLayers * 4 * c.numHeads * c.headDim * attn;
  const bytes = (dense + c.dim * c.vocabSize) * wBytes + c.numLayers * kvRead * 2 * kv * 4 + T * c.numLayers * 2 * kv * 4;
  return { flops, bytes };
}

export class GpuRunner implements ModelRunner {
  readonly kind = 'gpu' as const;
  private readonly rows: ForwardRow[] = [];

  constructor(
    readonly sessionId: string,
    readonly model: GpuModel,
  ) {}

  async execute(out: SchedulerOutput, whileGpuRuns?: () => void): Promise<StepResult> {
    const rows = this.rows;
    rows.length = 0;
    for (const r of out.scheduled) {
      const s = r.sampling;
      rows.push({
        tokenIds: r.allTokenIds.slice(r.positionStart, r.positionStart + r.numTokens),
        positionStart: r.positionStart,
        blockTable: r.blockTable,
        numSamples: r.numSamples,
        sampling: { temperature: s.temperature ?? 0, topK: s.topK ?? 0, topP: s.topP ?? 1, seed: s.seed ?? 0 },
        // The RNG counter: the position the sampled token will take, unique within the sequence and
        // independent of batch order, so a seed gives the same tokens however requests are batched.
        counter: r.positionStart + r.numTokens,
      });
    }
    let res;
    try {
      res = await this.model.forward(
        {
          rows,
          pageCopies: out.pagesToCopy.map((c) => [c.src, c.dst] as const),
          swapOut: out.swapOut,
          swapIn: out.swapIn,
        },
        whileGpuRuns,
      );
    } catch (e) {
      // A lost device shows first as a failed map or submit; report it as the loss, so the engine recovers.
      const lost = await Promise.race([this.model.gpuContext.lost, new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
      throw lost ?? e;
    }
    const sampled = new Map<string, number[]>();
    out.scheduled.forEach((r, i) => {
      if (r.numSamples > 0) sampled.set(r.requestId, res.tokens[i]!);
    });
    const work = stepWork(out.scheduled, this.model);
    return {
      sampled,
      gpuMs: res.timing.totalMs,
      // Only profiled steps split the time by kernel (GpuModel's profileEvery); the others report the total.
      kernels: res.timing.passes.some((p) => p.label === 'step') ? [] : res.timing.passes,
      method: res.timing.method,
      numDispatches: res.numDispatches,
      ...work,
    };
  }

  dispose(): void {
    this.model.destroy();
  }
}
