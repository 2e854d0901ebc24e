/**
 * Metrics hooks: per-request latency numbers computed when a request finishes, and per-tenant sums.
 * Times are in the scheduler clock's unit (ms).
 *
 * - queue time: first scheduled - arrival;  TTFT: first token - arrival;  E2E: finish - arrival
 * - TPOT: (last token - first token) / (output tokens - 1);  ITL: gaps between consecutive tokens
 */
import type { FinishReason, Request } from './request';

export interface RequestMetrics {
  requestId: string;
  tenant: string;
  model: string;
  finishReason: FinishReason;
  numPromptTokens: number;
  numOutputTokens: number;
  queueTimeMs: number | null;
  ttftMs: number | null;
  tpotMs: number | null;
  itlMs: number[];
  e2eMs: number | null;
  numPreemptions: number;
  numPrefixHitTokens: number;
  /** True/false when the request has an SLO, null when it has none or did not finish normally. */
  metSlo: boolean | null;
}

export interface MetricsHooks {
  onRequestFinished?(metrics: RequestMetrics, request: Request): void;
  onToken?(request: Request, tokenId: number, time: number): void;
  onPreempted?(request: Request, mode: 'recompute' | 'swap', reason: string): void;
}

export interface TenantMetrics {
  tenant: string;
  numFinished: number;
  numRejected: number;
  numCancelled: number;
  numOutputTokens: number;
  numPreemptions: number;
  numPrefixHitTokens: number;
  numSloMet: number;
  numSloMissed: number;
  sumTtftMs: number;
  sumTpotMs: number;
  sumE2eMs: number;
  sumQueueTimeMs: number;
  /** Requests with a TTFT / TPOT (for the means). */
  numWithTtft: number;
  numWithTpot: number;
}

export function computeRequestMetrics(r: Request): RequestMetrics {
  const times = r.tokenTimes;
  const itl: number[] = [];
  for (let i = 1; i < times.length; i++) itl.push(times[i]! - times[i - 1]!);
  const ttft = r.firstTokenTime !== null ? r.firstTokenTime - r.arrivalTime : null;
  const tpot = times.length > 1 ? (times[times.length - 1]! - times[0]!) / (times.length - 1) : null;
  let metSlo: boolean | null = null;
  if (r.slo && (r.finishReason === 'stop' || r.finishReason === 'length')) {
    metSlo = (r.slo.ttftMs === undefined || (ttft !== null && ttft <= r.slo.ttftMs)) && (r.slo.tpotMs === undefined || tpot === null || tpot <= r.slo.tpotMs);
  }
  return {
    requestId: r.requestId,
    tenant: r.tenant,
    model: r.model,
    finishReason: r.finishReason ?? 'cancelled',
    numPromptTokens: r.numPromptTokens,
    numOutputTokens: r.numOutputTokens,
    queueTimeMs: r.firstScheduledTime !== null ? r.firstScheduledTime - r.arrivalTime : null,
    ttftMs: ttft,
    tpotMs: tpot,
    itlMs: itl,
    e2eMs: r.finishTime !== null ? r.finishTime - r.arrivalTime : null,
    numPreemptions: r.numPreemptions,
    numPrefixHitTokens: r.numPrefixHitTokens,
    metSlo,
  };
}

export function emptyTenantMetrics(tenant: string): TenantMetrics {
  return {
    tenant,
    numFinished: 0,
    numRejected: 0,
    numCancelled: 0,
    numOutputTokens: 0,
    numPreemptions: 0,
    numPrefixHitTokens: 0,
    numSloMet: 0,
    numSloMissed: 0,
    sumTtftMs: 0,
    sumTpotMs: 0,
    sumE2eMs: 0,
    sumQueueTimeMs: 0,
    numWithTtft: 0,
    numWithTpot: 0,
  };
}

export function addToTenantMetrics(t: TenantMetrics, m: RequestMetrics): void {
  if (m.finishReason === 'rejected') t.numRejected++;
  else if (m.finishReason === 'cancelled') t.numCancelled++;
  else t.numFinished++;
  t.numOutputTokens += m.numOutputTokens;
  t.numPrefixHitTokens += m.numPrefixHitTokens;
  if (m.metSlo === true) t.numSloMet++;
  if (m.metSlo === false) t.numSloMissed++;
  if (m.ttftMs !== null) {
    t.sumTtftMs += m.ttftMs;
    t.numWithTtft++;
  }
  if (m.tpotMs !== null) {
    t.sumTpotMs += m.tpotMs;
    t.numWithTpot++;
  }
  if (m.e2eMs !== null) t.sumE2eMs += m.e2eMs;
  if (m.queueTimeMs !== null) t.sumQueueTimeMs += m.queueTimeMs;
}
