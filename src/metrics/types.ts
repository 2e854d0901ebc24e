/**
 * What the metrics need from the engine, as plain data. The engine adapts its telemetry to these; they
 * are deliberately minimal. All times are milliseconds on ONE clock (the engine clock: performance.now()
 * for real runs, the virtual clock for simulated ones); only differences are used, so the origin is free.
 */

export type TimelineFinishReason = 'stop' | 'length' | 'cancelled' | 'rejected' | 'error';

/** Service-level objectives, ms. A request meets its SLO when it meets every one that is set. */
export interface MetricsSlo {
  ttftMs?: number;
  tpotMs?: number;
  e2eMs?: number;
}

/**
 * The life of one sequence. A request with n > 1 samples gives one timeline per sample; the samples other
 * than the first name the client request in `parentId` (request counts and goodput then count the client
 * request once, good only if all its samples were good; token counts and latencies count every sample).
 */
export interface RequestTimeline {
  id: string;
  /** Client request this sample belongs to (n > 1); absent for the request itself. */
  parentId?: string;
  tenant: string;
  model: string;
  /** When the request reached the engine (its arrival; vLLM's `arrival_time`). */
  arrival: number;
  /** Every time it was admitted to the running set: first admission, then once after each preemption. */
  scheduled: number[];
  /** When its first output token was produced; null if none was. Equals tokenTimes[0] when both are set. */
  firstToken: number | null;
  /** When each output token was produced, in order (first token included). */
  tokenTimes: number[];
  /** When it left the engine (finished, cancelled or rejected); null if still running at the end of the run. */
  finish: number | null;
  finishReason: TimelineFinishReason | null;
  numPromptTokens: number;
  /** Prompt tokens served by the prefix cache (summed over admissions, as vLLM counts hits per query). */
  numCachedPromptTokens: number;
  numPreemptions: number;
  slo?: MetricsSlo;
}

/** GPU time of one kernel (or pass) in one step; same shape as the engine runner's KernelTime. */
export interface KernelSample {
  label: string;
  ms: number;
}

/** One engine step. */
export interface StepSample {
  index: number;
  /** Wall (engine clock) start and end of the step, ms. */
  startMs: number;
  endMs: number;
  /** The step's GPU time, ms (timestamp span, or modelled when simulated). */
  gpuMs: number;
  /** Per-kernel GPU time in dispatch order (labels may repeat, e.g. once per layer). May be empty. */
  kernels: readonly KernelSample[];
  numPrefillTokens: number;
  numDecodeTokens: number;
  /** Requests running / waiting after the step's scheduling decision (vLLM's gauges). */
  numRunning?: number;
  numWaiting?: number;
  /** KV slots (token positions) in the whole pool. */
  kvTotalSlots?: number;
  /** Slots in pages allocated to each tenant's requests (whole pages: pages x tokens per page). */
  kvAllocatedSlots?: Readonly<Record<string, number>>;
  /** Slots holding a token, per tenant (<= allocated; the difference is internal fragmentation). */
  kvUsedSlots?: Readonly<Record<string, number>>;
}
