/**
 * Per-request latency numbers from one RequestTimeline (all ms):
 *   queue = scheduled[0] - arrival                 (vllm:request_queue_time_seconds)
 *   TTFT  = firstToken - arrival                   (vllm:time_to_first_token_seconds)
 *   E2E   = finish - arrival                       (vllm:e2e_request_latency_seconds)
 *   TPOT  = (E2E - TTFT) / (n_out - 1)             (vllm:request_time_per_output_token_seconds)
 *           = (finish - firstToken) / (n_out - 1), only when n_out > 1: the mean time per output token
 *           after the first, exactly as `vllm bench serve` computes it
 *   ITL   = tokenTimes[i] - tokenTimes[i-1], every gap (vllm:inter_token_latency_seconds)
 * Goodput check (`vllm bench serve --goodput`, DistServe): a request is good when it completed (stop or
 * length) and ttft <= slo.ttftMs, tpot <= slo.tpotMs, e2e <= slo.e2eMs for each one that is set; like
 * vLLM, a request with a single output token has TPOT 0 for this check. A request with no SLO at all is
 * good when it completed (it has nothing to violate); `metSlo` is null for it so views can tell.
 */
import type { MetricsSlo, RequestTimeline, TimelineFinishReason } from './types';

export interface RequestResult {
  id: string;
  parentId: string | null;
  tenant: string;
  model: string;
  finishReason: TimelineFinishReason | null;
  /** Finished normally (stop or length). */
  completed: boolean;
  numPromptTokens: number;
  numCachedPromptTokens: number;
  numOutputTokens: number;
  numPreemptions: number;
  numAdmissions: number;
  queueMs: number | null;
  ttftMs: number | null;
  tpotMs: number | null;
  e2eMs: number | null;
  itlMs: number[];
  /** The SLO in force: the request's own fields over the default's; null if neither sets any. */
  slo: MetricsSlo | null;
  /** Met every SLO field (false if it did not complete); null when it has no SLO. */
  metSlo: boolean | null;
  /** Counts toward goodput: completed and (no SLO or met it). */
  good: boolean;
}

const COMPLETED: ReadonlySet<TimelineFinishReason> = new Set(['stop', 'length']);

/** Throws an Error naming the request when its timestamps contradict each other. */
export function checkTimeline(t: RequestTimeline): void {
  const bad = (why: string) => {
    throw new Error(`RequestTimeline '${t.id}': ${why}`);
  };
  if (!Number.isFinite(t.arrival)) bad(`arrival ${t.arrival} is not a finite time`);
  let prev = t.arrival;
  for (const s of t.scheduled) {
    if (!(s >= prev)) bad(`scheduled time ${s} is before ${prev} (arrival or an earlier admission)`);
    prev = s;
  }
  prev = t.arrival;
  for (let i = 0; i < t.tokenTimes.length; i++) {
    const x = t.tokenTimes[i]!;
    if (!(x >= prev)) bad(`token ${i} at ${x} is before ${prev}`);
    prev = x;
  }
  if (t.tokenTimes.length > 0 && t.firstToken !== null && t.firstToken !== t.tokenTimes[0]) bad(`firstToken ${t.firstToken} differs from tokenTimes[0] ${t.tokenTimes[0]}`);
  if (t.finish !== null && !(t.finish >= prev)) bad(`finish ${t.finish} is before its last token or arrival (${prev})`);
  if (t.finish !== null && t.finishReason === null) bad('has a finish time but no finishReason');
  if (t.numCachedPromptTokens < 0 || t.numPromptTokens < 0 || t.numPreemptions < 0) bad('negative count');
}

function mergeSlo(own: MetricsSlo | undefined, dflt: MetricsSlo | undefined): MetricsSlo | null {
  const out: MetricsSlo = {};
  for (const k of ['ttftMs', 'tpotMs', 'e2eMs'] as const) {
    const v = own?.[k] ?? dflt?.[k];
    if (v !== undefined) out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : null;
}

export function computeRequestResult(t: RequestTimeline, defaultSlo?: MetricsSlo): RequestResult {
  const firstToken = t.firstToken ?? t.tokenTimes[0] ?? null;
  const nOut = t.tokenTimes.length;
  const itl: number[] = [];
  for (let i = 1; i < nOut; i++) itl.push(t.tokenTimes[i]! - t.tokenTimes[i - 1]!);
  const ttft = firstToken !== null ? firstToken - t.arrival : null;
  const e2e = t.finish !== null ? t.finish - t.arrival : null;
  const tpot = nOut > 1 && e2e !== null && ttft !== null ? (e2e - ttft) / (nOut - 1) : null;
  const completed = t.finishReason !== null && COMPLETED.has(t.finishReason);
  const slo = mergeSlo(t.slo, defaultSlo);
  let metSlo: boolean | null = null;
  if (slo) {
    metSlo =
      completed &&
      (slo.ttftMs === undefined || (ttft !== null && ttft <= slo.ttftMs)) &&
      (slo.tpotMs === undefined || (tpot ?? 0) <= slo.tpotMs) &&
      (slo.e2eMs === undefined || (e2e !== null && e2e <= slo.e2eMs));
  }
  return {
    id: t.id,
    parentId: t.parentId ?? null,
    tenant: t.tenant,
    model: t.model,
    finishReason: t.finishReason,
    completed,
    numPromptTokens: t.numPromptTokens,
    numCachedPromptTokens: t.numCachedPromptTokens,
    numOutputTokens: nOut,
    numPreemptions: t.numPreemptions,
    numAdmissions: t.scheduled.length,
    queueMs: t.scheduled.length > 0 ? t.scheduled[0]! - t.arrival : null,
    ttftMs: ttft,
    tpotMs: tpot,
    e2eMs: e2e,
    itlMs: itl,
    slo,
    metSlo,
    good: completed && metSlo !== false,
  };
}
