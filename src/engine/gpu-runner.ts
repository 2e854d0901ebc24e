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
  /** Request id -> its first sample slot in the step submitted last (a pipelined row's input source). */
  private lastSamples = new Map<string, number>();
  private nextSamples = new Map<string, number>();

  constructor(
    readonly sessionId: string,
    readonly model: GpuModel,
  ) {}

  async execute(out: SchedulerOutput, whileGpuRuns?: () => void): Promise<StepResult> {
    // A fresh array per step: the forward reads its rows again when its (possibly later) results arrive.
    const rows: ForwardRow[] = [];
    const next = this.nextSamples;
    next.clear();
    let numSamples = 0;
    for (const r of out.scheduled) {
      const s = r.sampling;
      const end = r.positionStart + r.numTokens;
      // A pipelined step (scheduled before the previous one was read back) may end one position past the
      // known tokens: that token is the previous step's sample for this request, fed on the GPU.
      let fromPreviousSample: number | undefined;
      if (end > r.allTokenIds.length) {
        fromPreviousSample = this.lastSamples.get(r.requestId);
        if (end !== r.allTokenIds.length + 1 || fromPreviousSample === undefined) {
          throw new Error(`Step ${out.step}: ${r.requestId} computes positions up to ${end - 1} with ${r.allTokenIds.length} tokens known and ${fromPreviousSample === undefined ? 'no' : 'one'} token pending from the previous step.`);
        }
      }
      if (r.numSamples > 0) {
        next.set(r.requestId, numSamples);
        numSamples += r.numSamples;
      }
      rows.push({
        tokenIds: fromPreviousSample === undefined ? r.allTokenIds.slice(r.positionStart, end) : [...r.allTokenIds.slice(r.positionStart), 0],
        ...(fromPreviousSample === undefined ? {} : { fromPreviousSample }),
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
      // forward() submits before it first awaits, so the next step may be launched as soon as this returns.
      const pending = this.model.forward(
        {
          rows,
          pageCopies: out.pagesToCopy.map((c) => [c.src, c.dst] as const),
          swapOut: out.swapOut,
          swapIn: out.swapIn,
        },
        whileGpuRuns,
      );
      this.nextSamples = this.lastSamples;
      this.lastSamples = next;
      res = await pending;
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
      encodeMs: res.encodeMs,
      ...work,
    };
  }

  dispose(): void {
    this.model.destroy();
  }
}
