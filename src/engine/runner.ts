/**
 * What executes a step for one session (loaded model): the GPU model runner, or the simulated
 * backend's cost model. The engine hands it the scheduler's decision and gets the sampled tokens back.
 */
import type { SchedulerOutput } from '../scheduler';

export type StepTimingMethod = 'gpu-timestamp' | 'wall-clock' | 'simulated';

export interface KernelTime {
  label: string;
  ms: number;
}

export interface StepResult {
  /** Sampled token ids per scheduled request (numSamples of them; none for a mid-prompt chunk). */
  sampled: Map<string, number[]>;
  /** Time the step's GPU work took: measured (timestamps or wall clock) or modelled (simulated). */
  gpuMs: number;
  /** Per-kernel times, summed over layers; empty when the timing method cannot split them. */
  kernels: KernelTime[];
  method: StepTimingMethod;
  /** Compute passes / dispatches recorded for the step (per-dispatch overhead dominates tiny models). */
  numDispatches: number;
  /** CPU time the runner spent building and submitting the step's commands (0 for the simulated backend). */
  encodeMs: number;
  /** Work done, for achieved GFLOP/s and GB/s in the kernel profile. */
  flops: number;
  bytes: number;
}

export interface ModelRunner {
  readonly sessionId: string;
  readonly kind: 'gpu' | 'simulated';
  /**
   * Runs the step's forward pass and sampling. Rejects with DeviceLostError when the GPU is gone.
   * `whileGpuRuns`, when given, is called once the step is submitted and before its results are awaited
   * (the engine's telemetry of the previous step); a runner without a real GPU may not call it.
   */
  execute(output: SchedulerOutput, whileGpuRuns?: () => void): Promise<StepResult>;
  dispose(): void;
}
