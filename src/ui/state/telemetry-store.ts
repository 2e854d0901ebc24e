/**
 * Folds the worker's telemetry batches into what the views draw: time series in bins of engine time
 * (for the uPlot timelines), one row per request (state, times, streamed tokens), kernel totals, and
 * the request-number -> id map the pool mirror needs. No DOM and no engine code: plain data in, plain
 * data out, so it is tested in Node. `version` bumps on every change (views compare it to redraw).
 */
import type { TelemetryBatch } from '../../engine/service';
import type { EngineStepRecord, RequestEvent } from '../../engine/telemetry';

export type RequestState = 'waiting' | 'running' | 'preempted' | 'finished';

export interface RequestRow {
  id: string;
  tenant: string;
  state: RequestState;
  /** Finish reason (stop, length, cancelled, rejected) and its detail. */
  reason: string | null;
  detail: string | null;
  arrivalMs: number;
  firstTokenMs: number | null;
  lastTokenMs: number | null;
  finishMs: number | null;
  numOutputTokens: number;
  /** The latest streamed token ids (at most KEEP_TOKENS). */
  recentTokens: number[];
  numPreemptions: number;
}

/** Per-bin columns, aligned on `t` (seconds of engine time at the bin's end). */
export interface Series {
  t: number[];
  outputTokensPerS: number[];
  gpuBusyPct: number[];
  /** KV usage % of usable pages per tenant, in tenant order. */
  kvPct: number[][];
  running: number[];
  waiting: number[];
  preempted: number[];
  prefillPerStep: number[];
  decodePerStep: number[];
}

export interface KernelTotal {
  label: string;
  ms: number;
}

/** Default bin width (engine ms); runs on a real GPU use wider bins (steps there can take longer than a bin). */
export const BIN_MS = 100;
export const MAX_POINTS = 1500;
const KEEP_TOKENS = 24;

interface Bin {
  startMs: number;
  numSteps: number;
  outputTokens: number;
  gpuMs: number;
  preempted: number;
  prefill: number;
  decode: number;
  last: EngineStepRecord | null;
}

const emptyBin = (startMs: number): Bin => ({ startMs, numSteps: 0, outputTokens: 0, gpuMs: 0, preempted: 0, prefill: 0, decode: 0, last: null });

export class TelemetryStore {
  version = 0;
  epoch = 0;
  tenants: string[] = [];
  readonly requests = new Map<string, RequestRow>();
  /** Request number (pool mirror) -> id. */
  readonly requestIdOf: string[] = [];
  readonly series: Series = TelemetryStore.emptySeries(0);
  readonly kernels = new Map<string, number>();
  /**
   * Run totals. From the steps' scheduling decisions: `gangsAdmitted` (tagged gangs admitted whole),
   * `gangRequeues` and the steps those gangs had waited (`gangWaitSteps`), `gangBlockedSteps` (steps whose
   * admission stopped at a gang that did not fit), `forks` (n > 1 requests forking their samples), and
   * `staticWaitSteps` (steps where static batching held waiting requests back).
   */
  totals = {
    steps: 0, gpuMs: 0, flops: 0, bytes: 0, outputTokens: 0, prefillTokens: 0, decodeTokens: 0, preemptions: 0, prefixHitPages: 0, allocatedPages: 0, finished: 0, rejected: 0, cpuMs: 0, telemetryMs: 0, overlappedMs: 0,
    gangsAdmitted: 0, gangRequeues: 0, gangWaitSteps: 0, gangBlockedSteps: 0, forks: 0, staticWaitSteps: 0,
  };
  last: EngineStepRecord | null = null;
  /** Engine clock (ms) at the latest step's end. */
  nowMs = 0;
  loop: TelemetryBatch['loop'] = 'paused';
  error: string | null = null;
  private bin: Bin = emptyBin(0);
  /** Bin width of this run, ms. */
  binMs = BIN_MS;
  /** Engine clock at the run's first step (bin-aligned): charts and "engine time" count from it. */
  originMs: number | null = null;

  private static emptySeries(numTenants: number): Series {
    return { t: [], outputTokensPerS: [], gpuBusyPct: [], kvPct: Array.from({ length: numTenants }, () => []), running: [], waiting: [], preempted: [], prefillPerStep: [], decodePerStep: [] };
  }

  /** Forgets everything; batches of other epochs are ignored from now on. */
  reset(epoch: number, tenants: string[], binMs = BIN_MS): void {
    this.binMs = binMs;
    this.originMs = null;
    this.epoch = epoch;
    this.tenants = tenants.slice();
    this.requests.clear();
    this.requestIdOf.length = 0;
    Object.assign(this.series, TelemetryStore.emptySeries(tenants.length));
    this.kernels.clear();
    for (const k of Object.keys(this.totals) as Array<keyof typeof this.totals>) this.totals[k] = 0;
    this.last = null;
    this.nowMs = 0;
    this.error = null;
    this.bin = emptyBin(0);
    this.version++;
  }

  /** Folds one batch in; returns false (and changes nothing) for a batch of another epoch. */
  ingest(batch: TelemetryBatch): boolean {
    if (batch.epoch !== this.epoch) return false;
    this.loop = batch.loop;
    this.error = batch.error ?? null;
    for (const [n, id] of batch.newRequestIds ?? []) this.requestIdOf[n] = id;
    for (const e of batch.events) this.onEvent(e);
    for (const r of batch.records) this.onRecord(r);
    this.version++;
    return true;
  }

  private row(id: string, time: number): RequestRow {
    let r = this.requests.get(id);
    if (!r) {
      // Samples of an n > 1 request (`id#k`) are first seen at their first token: inherit the parent's.
      const parent = this.requests.get(id.split('#')[0]!);
      r = {
        id,
        tenant: parent?.tenant ?? '?',
        state: 'waiting',
        reason: null,
        detail: null,
        arrivalMs: parent?.arrivalMs ?? time,
        firstTokenMs: null,
        lastTokenMs: null,
        finishMs: null,
        numOutputTokens: 0,
        recentTokens: [],
        numPreemptions: 0,
      };
      this.requests.set(id, r);
    }
    return r;
  }

  private onEvent(e: RequestEvent): void {
    const r = this.row(e.requestId, e.time);
    switch (e.kind) {
      case 'queued':
        r.tenant = e.tenant;
        r.arrivalMs = e.time;
        break;
      case 'scheduled':
        if (r.state !== 'finished') r.state = 'running';
        break;
      case 'preempted':
        r.state = 'preempted';
        r.numPreemptions++;
        break;
      case 'token':
        if (r.state !== 'finished') r.state = 'running';
        r.firstTokenMs ??= e.time;
        r.lastTokenMs = e.time;
        r.numOutputTokens += e.tokenIds.length;
        r.recentTokens.push(...e.tokenIds);
        if (r.recentTokens.length > KEEP_TOKENS) r.recentTokens.splice(0, r.recentTokens.length - KEEP_TOKENS);
        break;
      case 'finished':
        r.state = 'finished';
        r.reason = e.reason;
        r.detail = e.detail;
        r.finishMs = e.time;
        if (e.reason === 'rejected') this.totals.rejected++;
        else this.totals.finished++;
        break;
    }
  }

  private onRecord(rec: EngineStepRecord): void {
    const t = this.totals;
    t.steps++;
    t.gpuMs += rec.gpuMs;
    t.flops += rec.flops;
    t.bytes += rec.bytes;
    t.outputTokens += rec.numOutputTokens;
    t.prefillTokens += rec.numPrefillTokens;
    t.decodeTokens += rec.numDecodeTokens;
    t.preemptions += rec.numPreempted;
    t.prefixHitPages += rec.pageEvents.hit;
    t.allocatedPages += rec.pageEvents.allocated;
    t.cpuMs += rec.cpuMs;
    t.telemetryMs += rec.telemetryMs;
    t.overlappedMs += rec.overlappedMs ?? 0;
    for (const k of rec.kernels) this.kernels.set(k.label, (this.kernels.get(k.label) ?? 0) + k.ms);
    let gangBlocked = false;
    let staticBlocked = false;
    for (const d of rec.decisions) {
      if (d.kind === 'gang-admitted') t.gangsAdmitted++;
      else if (d.kind === 'gang-requeued') {
        t.gangRequeues++;
        t.gangWaitSteps += d.numWaitedSteps;
      } else if (d.kind === 'forked') t.forks++;
      else if (d.kind === 'blocked') {
        if (d.reason.startsWith('gang-')) gangBlocked = true;
        else if (d.reason === 'static-batch') staticBlocked = true;
      }
    }
    if (gangBlocked) t.gangBlockedSteps++;
    if (staticBlocked) t.staticWaitSteps++;
    this.last = rec;
    this.nowMs = rec.endMs;
    // Bins of engine time: close every bin this step's end has passed (empty ones too, so idle shows as 0).
    const W = this.binMs;
    if (this.originMs === null) {
      this.originMs = Math.floor(rec.startMs / W) * W;
      this.bin.startMs = this.originMs;
    }
    while (rec.endMs > this.bin.startMs + W) {
      this.closeBin();
      // Long idle gaps (a virtual clock jumping to the next arrival) get one empty point, not thousands.
      const next = this.bin.startMs + W;
      this.bin = emptyBin(rec.endMs - next > 10 * W ? Math.floor(rec.endMs / W) * W : next);
    }
    const b = this.bin;
    b.numSteps++;
    b.outputTokens += rec.numOutputTokens;
    b.gpuMs += rec.gpuMs;
    b.preempted += rec.numPreempted;
    b.prefill += rec.numPrefillTokens;
    b.decode += rec.numDecodeTokens;
    b.last = rec;
  }

  private closeBin(): void {
    const b = this.bin;
    const s = this.series;
    const last = b.last ?? this.last;
    const W = this.binMs;
    s.t.push((b.startMs + W - (this.originMs ?? 0)) / 1000);
    s.outputTokensPerS.push((b.outputTokens / W) * 1000);
    s.gpuBusyPct.push(Math.min(100, (b.gpuMs / W) * 100));
    const usable = last?.pool.numUsablePages ?? 1;
    this.tenants.forEach((tn, i) => s.kvPct[i]!.push(b.numSteps ? ((last?.tenantPages[tn] ?? 0) / usable) * 100 : (s.kvPct[i]!.at(-1) ?? 0)));
    s.running.push(b.numSteps ? (last?.numRunning ?? 0) : 0);
    s.waiting.push(last?.numWaiting ?? 0);
    s.preempted.push(b.preempted);
    s.prefillPerStep.push(b.numSteps ? b.prefill / b.numSteps : 0);
    s.decodePerStep.push(b.numSteps ? b.decode / b.numSteps : 0);
    if (s.t.length > MAX_POINTS) {
      const drop = s.t.length - MAX_POINTS;
      for (const col of [s.t, s.outputTokensPerS, s.gpuBusyPct, s.running, s.waiting, s.preempted, s.prefillPerStep, s.decodePerStep, ...s.kvPct]) col.splice(0, drop);
    }
  }

  /** Engine time since the run's first step, ms. */
  get runMs(): number {
    return this.originMs === null ? 0 : this.nowMs - this.originMs;
  }

  /** Requests by state, for the key numbers. */
  counts(): Record<RequestState, number> {
    const c = { waiting: 0, running: 0, preempted: 0, finished: 0 };
    for (const r of this.requests.values()) c[r.state]++;
    return c;
  }

  /** Kernels by total time, largest first. */
  kernelTotals(): KernelTotal[] {
    return [...this.kernels.entries()].map(([label, ms]) => ({ label, ms })).sort((a, b) => b.ms - a.ms);
  }
}
