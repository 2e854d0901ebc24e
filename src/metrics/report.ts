/**
 * The run report: every metric of a run, overall and per tenant, as one versioned JSON-able object.
 *
 * Definitions (names in vLLM terms: see names.ts and README.md):
 * - duration: `durationMs` if given, else earliest arrival or step start -> latest finish, token or step
 *   end (vllm bench serve's "benchmark duration": first request sent to last one done).
 * - request throughput = completed client requests / duration (s); output token throughput = output tokens
 *   of completed sequences / duration; total token throughput adds their client requests' prompt tokens.
 * - latency summaries (mean, p50, p90, p99: numpy-linear percentiles, stats.ts) over completed sequences;
 *   ITL pools every gap of every completed sequence; TPOT covers sequences with > 1 output token.
 * - goodput = good client requests / duration (s); good = completed and met all of its SLOs (request.ts),
 *   and for n > 1 all samples good. `sloAttainment` = good / all client requests (incl. unfinished).
 * - prefix cache: queries = prompt tokens x admissions, hits = cached prompt tokens (vLLM counts a lookup
 *   of the prompt each time a request is scheduled from the waiting queue); hit rate = hits / queries.
 * - KV usage = allocated slots / total slots per step (vllm:kv_cache_usage_perc counts used blocks the same
 *   way); reported as the step-duration-weighted mean and the peak. Internal fragmentation = (allocated -
 *   used) / allocated slots, duration-weighted sums over the run.
 * - GPU busy fraction = sum of per-kernel GPU ms (the step's gpuMs where a step lists no kernels) / duration.
 */
import { checkTimeline, computeRequestResult, type RequestResult } from './request';
import { summarize, type Summary } from './stats';
import type { MetricsSlo, RequestTimeline, StepSample } from './types';

export const RUN_REPORT_SCHEMA = 'serving-playground/run-report';
export const RUN_REPORT_VERSION = 1;

export interface ReportOptions {
  /** Wall time the rates divide by, ms; default from the data (see file comment). */
  durationMs?: number;
  /** SLO for requests that set none of their own (field by field), like `vllm bench serve --goodput`. */
  defaultSlo?: MetricsSlo;
  /** Free-form provenance: adapter description, model, simulated or not, workload config... */
  meta?: Record<string, unknown>;
  /** Check timelines for contradictions (checkTimeline) and throw on the first; default true. */
  strict?: boolean;
}

export interface KvSummary {
  /** Duration-weighted mean of allocated / total slots over steps. */
  usageMean: number | null;
  usageMax: number | null;
  /** (allocated - used) / allocated, duration-weighted over the run. */
  internalFragmentation: number | null;
}

export interface GroupMetrics {
  /** Client requests (samples of an n > 1 request count once). */
  numRequests: number;
  /** Timelines, samples included. */
  numSequences: number;
  /** Client requests by outcome. */
  numCompleted: number;
  numCancelled: number;
  numRejected: number;
  numErrored: number;
  /** Still running or waiting at the end of the run. */
  numUnfinished: number;
  numPromptTokens: number;
  numOutputTokens: number;
  requestThroughput: number;
  outputTokenThroughput: number;
  totalTokenThroughput: number;
  goodput: { numGood: number; numWithSlo: number; requestsPerS: number; sloAttainment: number | null };
  queueMs: Summary;
  ttftMs: Summary;
  tpotMs: Summary;
  itlMs: Summary;
  e2eMs: Summary;
  prefixCache: { queries: number; hits: number; hitRate: number | null };
  numPreemptions: number;
  kv: KvSummary;
}

export interface SystemMetrics {
  numSteps: number;
  /** Sum of kernel (or step) GPU ms / duration. */
  gpuBusyFraction: number | null;
  gpuMsTotal: number;
  kernelMsTotal: number;
  /** Per kernel label: total ms, number of samples, share of kernel time. */
  kernels: Record<string, { ms: number; count: number; share: number }>;
  stepMs: Summary;
  batchTokens: Summary;
  numRunning: Summary;
  numWaiting: Summary;
}

export interface RunReport {
  schema: typeof RUN_REPORT_SCHEMA;
  version: typeof RUN_REPORT_VERSION;
  meta: Record<string, unknown>;
  /** Start of the run window on the engine clock and its length, ms. */
  startMs: number;
  durationMs: number;
  overall: GroupMetrics;
  tenants: Record<string, GroupMetrics>;
  system: SystemMetrics;
}

/** Run window [start, start + duration] from the data. */
export function runWindow(timelines: readonly RequestTimeline[], steps: readonly StepSample[]): { startMs: number; endMs: number } {
  let start = Infinity;
  let end = -Infinity;
  for (const t of timelines) {
    start = Math.min(start, t.arrival);
    end = Math.max(end, t.arrival, t.finish ?? -Infinity, t.tokenTimes[t.tokenTimes.length - 1] ?? -Infinity);
  }
  for (const s of steps) {
    start = Math.min(start, s.startMs);
    end = Math.max(end, s.endMs);
  }
  if (start === Infinity) return { startMs: 0, endMs: 0 };
  return { startMs: start, endMs: end };
}

function kvSummary(steps: readonly StepSample[], tenant: string | null): KvSummary {
  let wSum = 0, usageSum = 0, usageMax = -Infinity, alloc = 0, used = 0, n = 0;
  const allZero = steps.every((s) => s.endMs - s.startMs <= 0);
  for (const s of steps) {
    if (!s.kvTotalSlots || !s.kvAllocatedSlots) continue;
    const a = tenant === null ? sumValues(s.kvAllocatedSlots) : (s.kvAllocatedSlots[tenant] ?? 0);
    const u = tenant === null ? sumValues(s.kvUsedSlots ?? {}) : (s.kvUsedSlots?.[tenant] ?? 0);
    // Weight each step by its duration so long steps count for the time they held the memory.
    const w = allZero ? 1 : Math.max(0, s.endMs - s.startMs);
    const usage = a / s.kvTotalSlots;
    wSum += w;
    usageSum += w * usage;
    usageMax = Math.max(usageMax, usage);
    if (s.kvUsedSlots) {
      alloc += w * a;
      used += w * u;
    }
    n++;
  }
  return {
    usageMean: n > 0 && wSum > 0 ? usageSum / wSum : null,
    usageMax: n > 0 ? usageMax : null,
    internalFragmentation: alloc > 0 ? (alloc - used) / alloc : null,
  };
}

/** Every inter-token gap of the given sequences in one typed array (flatMap is slow for millions of gaps). */
function pooledGaps(results: readonly RequestResult[]): Float64Array {
  let n = 0;
  for (const r of results) n += r.itlMs.length;
  const out = new Float64Array(n);
  let k = 0;
  for (const r of results) for (const g of r.itlMs) out[k++] = g;
  return out;
}

function sumValues(r: Readonly<Record<string, number>>): number {
  let s = 0;
  for (const v of Object.values(r)) s += v;
  return s;
}

function groupMetrics(results: readonly RequestResult[], steps: readonly StepSample[], tenant: string | null, durS: number): GroupMetrics {
  const clients = results.filter((r) => r.parentId === null);
  const samplesOf = new Map<string, RequestResult[]>();
  for (const r of results) if (r.parentId !== null) (samplesOf.get(r.parentId) ?? samplesOf.set(r.parentId, []).get(r.parentId)!).push(r);
  const completedSeqs = results.filter((r) => r.completed);
  const completedClients = clients.filter((r) => r.completed);
  const count = (reason: string) => clients.filter((r) => r.finishReason === reason).length;
  const numGood = clients.filter((c) => c.good && (samplesOf.get(c.id) ?? []).every((s) => s.good)).length;
  const numPromptTokens = completedClients.reduce((a, r) => a + r.numPromptTokens, 0);
  const numOutputTokens = completedSeqs.reduce((a, r) => a + r.numOutputTokens, 0);
  const nums = (f: (r: RequestResult) => number | null) => completedSeqs.map(f).filter((x): x is number => x !== null);
  const rate = (x: number) => (durS > 0 ? x / durS : 0);
  const queries = clients.reduce((a, r) => a + r.numPromptTokens * r.numAdmissions, 0);
  const hits = clients.reduce((a, r) => a + r.numCachedPromptTokens, 0);
  return {
    numRequests: clients.length,
    numSequences: results.length,
    numCompleted: completedClients.length,
    numCancelled: count('cancelled'),
    numRejected: count('rejected'),
    numErrored: count('error'),
    numUnfinished: clients.filter((r) => r.finishReason === null).length,
    numPromptTokens,
    numOutputTokens,
    requestThroughput: rate(completedClients.length),
    outputTokenThroughput: rate(numOutputTokens),
    totalTokenThroughput: rate(numOutputTokens + numPromptTokens),
    goodput: {
      numGood,
      numWithSlo: clients.filter((r) => r.slo !== null).length,
      requestsPerS: rate(numGood),
      sloAttainment: clients.length > 0 ? numGood / clients.length : null,
    },
    queueMs: summarize(nums((r) => r.queueMs)),
    ttftMs: summarize(nums((r) => r.ttftMs)),
    tpotMs: summarize(nums((r) => r.tpotMs)),
    itlMs: summarize(pooledGaps(completedSeqs)),
    e2eMs: summarize(nums((r) => r.e2eMs)),
    prefixCache: { queries, hits, hitRate: queries > 0 ? hits / queries : null },
    numPreemptions: results.reduce((a, r) => a + r.numPreemptions, 0),
    kv: kvSummary(steps, tenant),
  };
}

function systemMetrics(steps: readonly StepSample[], durMs: number): SystemMetrics {
  const kernels: Record<string, { ms: number; count: number; share: number }> = {};
  let gpuMsTotal = 0, kernelMsTotal = 0, busyMs = 0;
  for (const s of steps) {
    gpuMsTotal += s.gpuMs;
    let stepKernelMs = 0;
    for (const k of s.kernels) {
      const e = (kernels[k.label] ??= { ms: 0, count: 0, share: 0 });
      e.ms += k.ms;
      e.count++;
      stepKernelMs += k.ms;
    }
    kernelMsTotal += stepKernelMs;
    busyMs += s.kernels.length > 0 ? stepKernelMs : s.gpuMs;
  }
  for (const e of Object.values(kernels)) e.share = kernelMsTotal > 0 ? e.ms / kernelMsTotal : 0;
  const opt = (f: (s: StepSample) => number | undefined) => steps.map(f).filter((x): x is number => x !== undefined);
  return {
    numSteps: steps.length,
    gpuBusyFraction: durMs > 0 && steps.length > 0 ? busyMs / durMs : null,
    gpuMsTotal,
    kernelMsTotal,
    kernels,
    stepMs: summarize(steps.map((s) => s.endMs - s.startMs)),
    batchTokens: summarize(steps.map((s) => s.numPrefillTokens + s.numDecodeTokens)),
    numRunning: summarize(opt((s) => s.numRunning)),
    numWaiting: summarize(opt((s) => s.numWaiting)),
  };
}

export function computeRunReport(timelines: readonly RequestTimeline[], steps: readonly StepSample[], opts: ReportOptions = {}): RunReport {
  if (opts.strict ?? true) timelines.forEach(checkTimeline);
  const ids = new Set<string>();
  for (const t of timelines) {
    if (ids.has(t.id)) throw new Error(`computeRunReport: duplicate timeline id '${t.id}'`);
    ids.add(t.id);
  }
  const win = runWindow(timelines, steps);
  const durationMs = opts.durationMs ?? win.endMs - win.startMs;
  if (!(durationMs >= 0)) throw new RangeError(`computeRunReport: durationMs must be >= 0, got ${durationMs}`);
  const durS = durationMs / 1000;
  const results = timelines.map((t) => computeRequestResult(t, opts.defaultSlo));
  const tenantNames = new Set(results.map((r) => r.tenant));
  for (const s of steps) for (const k of Object.keys(s.kvAllocatedSlots ?? {})) tenantNames.add(k);
  const tenants: Record<string, GroupMetrics> = {};
  for (const name of [...tenantNames].sort()) {
    tenants[name] = groupMetrics(
      results.filter((r) => r.tenant === name),
      steps,
      name,
      durS,
    );
  }
  return {
    schema: RUN_REPORT_SCHEMA,
    version: RUN_REPORT_VERSION,
    meta: { ...(opts.meta ?? {}) },
    startMs: win.startMs,
    durationMs,
    overall: groupMetrics(results, steps, null, durS),
    tenants,
    system: systemMetrics(steps, durationMs),
  };
}

/** The report as JSON text (2-space indent; non-finite numbers become null, as JSON has none). */
export function runReportJson(report: RunReport): string {
  return JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}
