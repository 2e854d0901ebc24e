/**
 * One CSV row per request timeline (samples of n > 1 requests included, with parent_id), RFC 4180:
 * a header row, comma separators, CRLF line ends; a field is quoted when it holds a comma, a quote, a line
 * break or leading/trailing space, and quotes inside are doubled. Times are ms relative to `originMs`
 * (default: the earliest arrival), empty when unknown. Numbers are written with up to 6 decimals.
 */
import { computeRequestResult } from './request';
import type { MetricsSlo, RequestTimeline } from './types';

export const REQUEST_CSV_COLUMNS = [
  'id', 'parent_id', 'tenant', 'model', 'finish_reason',
  'arrival_ms', 'first_scheduled_ms', 'first_token_ms', 'finish_ms',
  'queue_ms', 'ttft_ms', 'tpot_ms', 'e2e_ms', 'itl_mean_ms', 'itl_max_ms',
  'num_prompt_tokens', 'num_cached_prompt_tokens', 'num_output_tokens', 'num_preemptions', 'num_admissions',
  'slo_ttft_ms', 'slo_tpot_ms', 'slo_e2e_ms', 'met_slo',
] as const;

/** Quotes one field if it needs it (RFC 4180). */
export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return '';
    return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(6)));
  }
  const s = String(v);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function requestsCsv(timelines: readonly RequestTimeline[], opts: { defaultSlo?: MetricsSlo; originMs?: number } = {}): string {
  const origin = opts.originMs ?? timelines.reduce((m, t) => Math.min(m, t.arrival), Infinity);
  const rel = (x: number | null | undefined) => (x === null || x === undefined ? null : x - origin);
  const lines = [REQUEST_CSV_COLUMNS.join(',')];
  for (const t of timelines) {
    const r = computeRequestResult(t, opts.defaultSlo);
    const itlMean = r.itlMs.length > 0 ? r.itlMs.reduce((a, b) => a + b, 0) / r.itlMs.length : null;
    // A loop, not Math.max(...itl): spreading a 100k-token output's gaps would overflow the call stack.
    let itlMax: number | null = null;
    for (const g of r.itlMs) if (itlMax === null || g > itlMax) itlMax = g;
    const row = [
      r.id, r.parentId, r.tenant, r.model, r.finishReason,
      rel(t.arrival), rel(t.scheduled[0]), rel(t.firstToken ?? t.tokenTimes[0]), rel(t.finish),
      r.queueMs, r.ttftMs, r.tpotMs, r.e2eMs, itlMean, itlMax,
      r.numPromptTokens, r.numCachedPromptTokens, r.numOutputTokens, r.numPreemptions, r.numAdmissions,
      r.slo?.ttftMs, r.slo?.tpotMs, r.slo?.e2eMs, r.metSlo,
    ];
    lines.push(row.map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
