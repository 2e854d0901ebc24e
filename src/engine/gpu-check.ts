/**
 * The engine's first job: acquire the GPU, describe it, and prove it computes by running the probe
 * kernel against its reference. No DOM: runs in the worker and in Node alike.
 */
import { adapterLine, GpuTimer, PipelineCache, type AdapterSummary, type GpuContext } from '../gpu';
import { ProbeKernel, probeReference } from '../kernels/probe';

export interface GpuDescription {
  adapter: AdapterSummary;
  line: string;
  features: string[];
  limits: Record<string, number>;
  timing: { method: 'gpu-timestamp' | 'wall-clock'; fallbackReason?: string };
}

export interface ProbeReport {
  n: number;
  maxAbsDiff: number;
  ok: boolean;
  gpuMs: number;
  timingMethod: 'gpu-timestamp' | 'wall-clock';
}

export function describeGpu(ctx: GpuContext): GpuDescription {
  const timer = new GpuTimer(ctx, 1);
  const d: GpuDescription = {
    adapter: ctx.info,
    line: adapterLine(ctx.info),
    features: [...ctx.features].sort(),
    limits: { ...ctx.limits },
    timing: { method: timer.method, ...(timer.fallbackReason ? { fallbackReason: timer.fallbackReason } : {}) },
  };
  timer.destroy();
  return d;
}

/** Runs y = a·x + b on `n` seeded values, checks it against the reference and times it. */
export async function runProbe(ctx: GpuContext, n: number): Promise<ProbeReport> {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.37) * 4;
  const timer = new GpuTimer(ctx, 1);
  const got = await new ProbeKernel(ctx.device, new PipelineCache(ctx.device)).run(x, 1.25, -0.5, timer);
  timer.destroy();
  const want = probeReference(x, 1.25, -0.5);
  let maxAbsDiff = 0;
  for (let i = 0; i < n; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got.y[i]! - want.y[i]!));
  return { n, maxAbsDiff, ok: maxAbsDiff <= 1e-5, gpuMs: got.timing?.totalMs ?? NaN, timingMethod: timer.method };
}
