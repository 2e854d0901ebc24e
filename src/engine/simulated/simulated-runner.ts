/**
 * The simulated backend's model runner: the scheduler's decision goes through the roofline cost model
 * instead of a GPU, the virtual clock advances by the modelled time, and tokens are drawn from a
 * counter-based hash of (request seed, token index), so runs are reproducible and batch-order
 * independent like the GPU sampler. The tokens mean nothing: only timing and memory are simulated.
 */
import type { SchedulerOutput } from '../../scheduler';
import type { EngineClock } from '../clock';
import type { ModelRunner, StepResult } from '../runner';
import { stepCost, type CostModelOptions, type ModelShape } from './cost-model';
import type { GpuSpec } from './gpu-specs';

/** A 32-bit integer hash (lowbias32 by Chris Wellons): well mixed, cheap, identical in every JS engine. */
export function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class SimulatedRunner implements ModelRunner {
  readonly kind = 'simulated' as const;

  constructor(
    readonly sessionId: string,
    readonly shape: ModelShape,
    readonly gpu: GpuSpec,
    private readonly clock: EngineClock,
    private readonly costOptions: CostModelOptions,
    /** Token ids never drawn (EOS), so simulated requests end by length as a benchmark's do. */
    private readonly excludedTokenIds: readonly number[] = [],
  ) {}

  async execute(out: SchedulerOutput): Promise<StepResult> {
    const cost = stepCost(out, this.shape, this.gpu, this.costOptions);
    this.clock.advance(cost.ms);
    const sampled = new Map<string, number[]>();
    for (const r of out.scheduled) {
      if (r.numSamples === 0) continue;
      const seed = (r.sampling.seed ?? 0) ^ stringHash(r.requestId);
      // The sampled token's position (as the GPU runner's RNG counter): allTokenIds may not hold a pending token yet.
      const counter = r.positionStart + r.numTokens;
      const toks: number[] = [];
      for (let k = 0; k < r.numSamples; k++) {
        let tok = hash32(seed ^ hash32(counter * 0x9e3779b1 + k)) % this.shape.vocabSize;
        while (this.excludedTokenIds.includes(tok)) tok = (tok + 1) % this.shape.vocabSize;
        toks.push(tok);
      }
      sampled.set(r.requestId, toks);
    }
    const kernelsMs = cost.ms;
    return {
      sampled,
      gpuMs: kernelsMs,
      // The roofline's step time is max(compute, memory) + overhead: the binding term and the launches,
      // so the split sums to gpuMs (listing both terms would count the overlapped one twice).
      kernels: [
        { label: `roofline (${cost.boundBy}-bound)`, ms: Math.max(cost.computeS, cost.memoryS) * 1e3 },
        { label: 'launch overhead', ms: cost.overheadS * 1e3 },
      ],
      method: 'simulated',
      numDispatches: 0,
      encodeMs: 0,
      flops: cost.flops,
      bytes: cost.bytes,
    };
  }

  dispose(): void {}
}
