/**
 * A Chrome trace (the Trace Event Format's JSON object form) that Perfetto and chrome://tracing open.
 * Timestamps `ts` and durations `dur` are microseconds from `originMs` (default: the earliest arrival or
 * step start). Layout:
 *   pid 1 "GPU kernels": one thread (track) per kernel label; each step's kernels are laid end to end from
 *         the step's start in dispatch order. Timestamp queries give each kernel's duration, not its start,
 *         so the placement is a reconstruction: durations exact, gaps between kernels not shown. A step
 *         with no kernel list shows one "gpu" slice of its gpuMs.
 *   pid 2 "Engine": tid 1 "steps", one slice per step (args: tokens, GPU ms, queue lengths); counter
 *         tracks "KV slots" (allocated, used) and "requests" (running, waiting) sampled at each step start.
 *   pid 3 "Requests": one thread per request: slices "queued" (arrival -> first scheduled), "prefill"
 *         (first scheduled -> first token), "decode" (first token -> finish); an instant "re-admitted" at
 *         each admission after a preemption; with `tokenEvents`, an instant per output token.
 * Every pid and tid gets process_name / thread_name metadata ("M") events and a sort index.
 */
import type { RequestTimeline, StepSample } from './types';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'M' | 'C' | 'i';
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  cat?: string;
  /** Scope of an instant event: 't' = thread. */
  s?: 't';
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData?: Record<string, unknown>;
}

export interface ChromeTraceOptions {
  originMs?: number;
  /** One instant event per output token (large for long runs); default false. */
  tokenEvents?: boolean;
  /** Shown by Perfetto as trace metadata (adapter, model, simulated...). */
  otherData?: Record<string, unknown>;
}

export const TRACE_PID = { kernels: 1, engine: 2, requests: 3 } as const;

export function chromeTrace(timelines: readonly RequestTimeline[], steps: readonly StepSample[], opts: ChromeTraceOptions = {}): ChromeTrace {
  let origin = opts.originMs ?? Infinity;
  if (opts.originMs === undefined) {
    for (const t of timelines) origin = Math.min(origin, t.arrival);
    for (const s of steps) origin = Math.min(origin, s.startMs);
    if (origin === Infinity) origin = 0;
  }
  // µs from the origin, rounded to ns to keep the file small.
  const us = (ms: number) => Math.round((ms - origin) * 1e6) / 1e3;
  const dur = (fromMs: number, toMs: number) => Math.max(0, Math.round((toMs - fromMs) * 1e6) / 1e3);
  const ev: TraceEvent[] = [];
  const meta = (pid: number, tid: number, name: 'process_name' | 'thread_name' | 'process_sort_index' | 'thread_sort_index', value: string | number) =>
    ev.push({ name, ph: 'M', pid, tid, ts: 0, args: typeof value === 'string' ? { name: value } : { sort_index: value } });

  meta(TRACE_PID.kernels, 0, 'process_name', 'GPU kernels');
  meta(TRACE_PID.kernels, 0, 'process_sort_index', 1);
  meta(TRACE_PID.engine, 0, 'process_name', 'Engine');
  meta(TRACE_PID.engine, 0, 'process_sort_index', 2);
  meta(TRACE_PID.engine, 1, 'thread_name', 'steps');
  meta(TRACE_PID.engine, 1, 'thread_sort_index', 1);
  meta(TRACE_PID.requests, 0, 'process_name', 'Requests');
  meta(TRACE_PID.requests, 0, 'process_sort_index', 3);

  // Kernels: a tid per label, numbered in order of first appearance.
  const kernelTid = new Map<string, number>();
  const tidOf = (label: string) => {
    let tid = kernelTid.get(label);
    if (tid === undefined) {
      tid = kernelTid.size + 1;
      kernelTid.set(label, tid);
      meta(TRACE_PID.kernels, tid, 'thread_name', label);
      meta(TRACE_PID.kernels, tid, 'thread_sort_index', tid);
    }
    return tid;
  };
  for (const s of steps) {
    let t = s.startMs;
    const list = s.kernels.length > 0 ? s.kernels : s.gpuMs > 0 ? [{ label: 'gpu', ms: s.gpuMs }] : [];
    for (const k of list) {
      ev.push({ name: k.label, cat: 'kernel', ph: 'X', pid: TRACE_PID.kernels, tid: tidOf(k.label), ts: us(t), dur: dur(0, k.ms), args: { step: s.index, ms: k.ms } });
      t += k.ms;
    }
    const args: Record<string, unknown> = { prefillTokens: s.numPrefillTokens, decodeTokens: s.numDecodeTokens, gpuMs: s.gpuMs };
    if (s.numRunning !== undefined) args.running = s.numRunning;
    if (s.numWaiting !== undefined) args.waiting = s.numWaiting;
    ev.push({ name: `step ${s.index}`, cat: 'step', ph: 'X', pid: TRACE_PID.engine, tid: 1, ts: us(s.startMs), dur: dur(s.startMs, s.endMs), args });
    if (s.kvAllocatedSlots) {
      let allocated = 0, used = 0;
      for (const v of Object.values(s.kvAllocatedSlots)) allocated += v;
      for (const v of Object.values(s.kvUsedSlots ?? {})) used += v;
      ev.push({ name: 'KV slots', cat: 'kv', ph: 'C', pid: TRACE_PID.engine, tid: 1, ts: us(s.startMs), args: { allocated, used } });
    }
    if (s.numRunning !== undefined || s.numWaiting !== undefined) {
      ev.push({ name: 'requests', cat: 'queue', ph: 'C', pid: TRACE_PID.engine, tid: 1, ts: us(s.startMs), args: { running: s.numRunning ?? 0, waiting: s.numWaiting ?? 0 } });
    }
  }

  timelines.forEach((r, i) => {
    const tid = i + 1;
    meta(TRACE_PID.requests, tid, 'thread_name', `${r.id} (${r.tenant})`);
    meta(TRACE_PID.requests, tid, 'thread_sort_index', tid);
    const args = { tenant: r.tenant, model: r.model, promptTokens: r.numPromptTokens, outputTokens: r.tokenTimes.length, finishReason: r.finishReason };
    const first = r.firstToken ?? r.tokenTimes[0] ?? null;
    const lastSeen = r.finish ?? r.tokenTimes[r.tokenTimes.length - 1] ?? null;
    const sched = r.scheduled[0] ?? null;
    const slice = (name: string, from: number, to: number) => ev.push({ name, cat: 'request', ph: 'X', pid: TRACE_PID.requests, tid, ts: us(from), dur: dur(from, to), args });
    const queueEnd = sched ?? lastSeen;
    if (queueEnd !== null) slice('queued', r.arrival, queueEnd);
    if (sched !== null) {
      const prefillEnd = first ?? lastSeen;
      if (prefillEnd !== null) slice('prefill', sched, prefillEnd);
    }
    if (first !== null && lastSeen !== null) slice('decode', first, lastSeen);
    for (const s of r.scheduled.slice(1)) ev.push({ name: 're-admitted', cat: 'request', ph: 'i', s: 't', pid: TRACE_PID.requests, tid, ts: us(s) });
    if (opts.tokenEvents) r.tokenTimes.forEach((t, k) => ev.push({ name: 'token', cat: 'token', ph: 'i', s: 't', pid: TRACE_PID.requests, tid, ts: us(t), args: { index: k } }));
  });

  const out: ChromeTrace = { traceEvents: ev, displayTimeUnit: 'ms' };
  if (opts.otherData) out.otherData = { ...opts.otherData };
  return out;
}
