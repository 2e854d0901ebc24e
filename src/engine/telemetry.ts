/**
 * What every view and export is made of: one record per engine step, and per-request events.
 * Plain data (structured-clone friendly) so it crosses the worker boundary as is.
 */
import type { Decision, StepRecord as SchedulerStepRecord } from '../scheduler';
import type { PoolUsage } from '../kv';
import type { KernelTime, StepTimingMethod } from './runner';

export interface BatchRow {
  requestId: string;
  tenant: string;
  numTokens: number;
  positionStart: number;
  isPrefill: boolean;
}

export interface PageEventCounts {
  allocated: number;
  freed: number;
  cached: number;
  hit: number;
  evicted: number;
  copied: number;
  swappedOut: number;
  swappedIn: number;
}

export interface EngineStepRecord {
  index: number;
  /** Engine clock (ms) when the step was scheduled and when its tokens were back. */
  startMs: number;
  endMs: number;
  sessionId: string | null;
  grantReason: string;
  /** The step's GPU time: measured, or modelled by the simulated backend (see `timing`). */
  gpuMs: number;
  kernels: KernelTime[];
  timing: StepTimingMethod | 'idle';
  numDispatches: number;
  /** CPU time the runner spent building and submitting the step's commands, ms (not in cpuMs). */
  encodeMs: number;
  flops: number;
  bytes: number;
  batch: BatchRow[];
  numPrefillTokens: number;
  numDecodeTokens: number;
  numOutputTokens: number;
  pageEvents: PageEventCounts;
  /** Page counts when the step's scheduling decision was made (after its allocations). */
  pool: PoolUsage;
  /**
   * Page counts after the step's update (finished requests' pages released, full pages cached): what
   * the pool mirror shows once the step's telemetry is out. Always set by the Engine.
   */
  poolAfter?: PoolUsage;
  /** Pages held per tenant (used, not cached-free). */
  tenantPages: Record<string, number>;
  numRunning: number;
  numWaiting: number;
  numPreempted: number;
  decisions: Decision[];
  /** CPU time the engine spent on this step outside the runner, ms: schedule + update + telemetry. */
  cpuMs: number;
  /** Of which telemetry: building this record and the step listeners (pool mirror, run recorder, batching). */
  telemetryMs: number;
  /**
   * Of telemetryMs, the part that ran while the GPU executed the next step (Engine.overlapTelemetry), so
   * cost no step time; absent when it ran on the critical path.
   */
  overlappedMs?: number;
}

export type RequestEvent =
  | { kind: 'queued'; requestId: string; tenant: string; time: number }
  | { kind: 'scheduled'; requestId: string; step: number; numTokens: number; time: number }
  | { kind: 'preempted'; requestId: string; mode: 'recompute' | 'swap'; reason: string; time: number }
  /** `text`: the tokens decoded by the model's tokenizer (streamed requests of real models only). */
  | { kind: 'token'; requestId: string; tokenIds: number[]; time: number; text?: string }
  | { kind: 'finished'; requestId: string; reason: string; detail: string | null; time: number };

export function emptyPageEventCounts(): PageEventCounts {
  return { allocated: 0, freed: 0, cached: 0, hit: 0, evicted: 0, copied: 0, swappedOut: 0, swappedIn: 0 };
}

export function schedulerRecordFields(r: SchedulerStepRecord): Pick<EngineStepRecord, 'grantReason' | 'pool' | 'tenantPages' | 'numRunning' | 'numWaiting' | 'decisions'> {
  return { grantReason: r.grantReason, pool: r.pool, tenantPages: r.tenantPages, numRunning: r.numRunning, numWaiting: r.numWaiting, decisions: r.decisions };
}
