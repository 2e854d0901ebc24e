/**
 * The serving engine: sessions (loaded models, each with a ModelRunner), one shared page pool, the
 * scheduler, and the step loop. Behind a real GPU the steps are pipelined (`pipelineSteps`), as vLLM's
 * async scheduling:
 *
 *   CPU:  schedule N+1 | submit N+1 | telemetry N-1 | read back N | update N | record N | schedule N+2 ...
 *   GPU:  ........ step N ........ | ............. step N+1 ............. | ...
 *
 * Step N+1 is scheduled before step N's sampled tokens reach the CPU: each pending token is a placeholder
 * to the scheduler, and step N+1's embedding reads it from step N's sampled ids on the GPU (GpuRunner,
 * GpuModel `fromPreviousSample`). So the GPU always has the next step queued while the CPU reads back,
 * updates and schedules. A request that stops (a stop token) during step N still had step N+1 computed
 * for it: that work is dropped, as vLLM drops it. Serially (the simulated backend, single-stepping, or
 * `pipelineSteps` off): schedule N -> execute N -> update N -> record N.
 *
 * Telemetry of step N (its request events to the listeners, the step listeners: run recorder, batching)
 * needs nothing of step N+1, so it runs in the GPU's shadow of the next step (`overlapTelemetry`, on by
 * default). Only the step-end listeners (onStepEnd: those that must read the pool exactly as the update
 * left it, the pool mirror) run on the critical path. Telemetry runs at once when no GPU step follows
 * (nothing left to do, idle, paused, single-step, or any call that emits outside a step), so no event is
 * ever held back from a listener when the engine stops.
 *
 * No DOM: the same class runs in the browser worker (worker.ts wraps it in comlink) and in Node on
 * Dawn for headless benchmarks. Requests are never dropped: each ends finished (stop, length),
 * cancelled, or rejected with a reason, and the listener of every submitted request hears that end.
 */
import { PageEventLog, PagePool, type KVLayout, type PageEvent } from '../kv';
import { Scheduler, type RequestSpec, type SchedulerConfig, type SchedulerOutput } from '../scheduler';
import type { EngineClock } from './clock';
import type { ModelRunner, StepResult } from './runner';
import { emptyPageEventCounts, schedulerRecordFields, type EngineStepRecord, type PageEventCounts, type RequestEvent } from './telemetry';

export interface EngineConfig {
  /** Pages in the pool, including the reserved NULL page 0. */
  numPages: number;
  /** Bytes per page; each session stores floor(pageBytes / its bytes per token) tokens in one. */
  pageBytes: number;
  scheduler: Omit<SchedulerConfig, 'sessions' | 'clock' | 'hooks'>;
}

export interface SessionSpec {
  id: string;
  layout: KVLayout;
  maxModelLen: number;
  runner: ModelRunner;
  /** Sampling one of these ends a request (added to every request's stop ids). */
  eosTokenIds: readonly number[];
  weight?: number;
}

export type RequestListener = (event: RequestEvent) => void;
export type StepListener = (record: EngineStepRecord, events: RequestEvent[]) => void;

/** A scheduled and submitted step, until its results are applied. */
interface LaunchedStep {
  out: SchedulerOutput;
  startMs: number;
  cpuScheduleMs: number;
  /** Page events of its schedule (its allocations), drained before another step's update logs frees. */
  schedEvents: PageEvent[];
  result: Promise<StepResult>;
  /** The runner submitted it to a GPU (called whileGpuRuns); false for the simulated backend or an empty step. */
  onGpu: boolean;
}

const NO_RESULT: StepResult = { sampled: new Map(), gpuMs: 0, kernels: [], method: 'simulated', numDispatches: 0, encodeMs: 0, flops: 0, bytes: 0 };

function countEvents(events: PageEvent[]): PageEventCounts {
  const c = emptyPageEventCounts();
  for (const e of events) {
    if (e.kind === 'swapped-out') c.swappedOut++;
    else if (e.kind === 'swapped-in') c.swappedIn++;
    else c[e.kind]++;
  }
  return c;
}

export class Engine {
  private pool!: PagePool;
  /** Built once a session exists (a scheduler needs at least one model). */
  private scheduler: Scheduler | null = null;
  private config!: EngineConfig;
  private readonly pageLog = new PageEventLog();
  private readonly sessions = new Map<string, SessionSpec>();
  private readonly listeners = new Map<string, RequestListener>();
  /** n of each listened request: its listener stays until all n samples ended. */
  private readonly numSamplesOf = new Map<string, number>();
  private readonly stepListeners = new Set<StepListener>();
  private readonly stepEndListeners = new Set<(record: EngineStepRecord) => void>();
  /** Requests whose arrival time is in the future (workloads), sorted by arrival. */
  private pending: RequestSpec[] = [];
  private stepIndex = 0;
  private events: RequestEvent[] = [];
  /** Every page event of the last step, for the views that draw individual pages. */
  lastPageEvents: PageEvent[] = [];
  /** Run step N's telemetry while the GPU executes step N+1 (false: at the end of step N). */
  overlapTelemetry = true;
  /** Schedule and submit step N+1 before step N is read back, behind a real GPU (see step()). */
  pipelineSteps = true;
  /** The step submitted ahead and not yet completed. */
  private inFlight: LaunchedStep | null = null;
  /** Events emitted but not yet handed to request listeners: while a step runs they wait for its telemetry. */
  private outbox: RequestEvent[] = [];
  private deferDelivery = false;
  /** Ids whose 'finished' event a listener has received, until the request's listener is forgotten. */
  private readonly deliveredFinished = new Set<string>();
  /** The last step's telemetry, not yet run. */
  private tail: ((overlapped: boolean) => void) | null = null;
  /** An error thrown by a listener inside the GPU's shadow; rethrown once the step's update is applied. */
  private tailError: unknown = null;

  constructor(
    readonly clock: EngineClock,
    config: EngineConfig,
  ) {
    this.configure(config);
  }

  /**
   * (Re)builds the pool and the scheduler. Unfinished requests are cancelled with the reason, and their
   * listeners told; loaded sessions stay loaded.
   */
  configure(config: EngineConfig): void {
    if (this.scheduler) this.cancelAll('engine reconfigured');
    const pool = new PagePool({ numPages: config.numPages, pageBytes: config.pageBytes });
    pool.sink = this.pageLog.sink;
    this.pool = pool;
    this.config = config;
    this.scheduler = this.sessions.size ? this.buildScheduler() : null;
  }

  private buildScheduler(): Scheduler {
    const { pool, config } = this;
    return new Scheduler(pool, {
      ...config.scheduler,
      sessions: [...this.sessions.values()].map((s) => ({ id: s.id, layout: s.layout, maxModelLen: s.maxModelLen, weight: s.weight ?? 1 })),
      clock: () => this.clock.now(),
      hooks: {
        onPreempted: (req, mode, reason) => this.emit({ kind: 'preempted', requestId: req.requestId, mode, reason, time: this.clock.now() }),
      },
    });
  }

  get engineConfig(): EngineConfig {
    return this.config;
  }

  get pagePool(): PagePool {
    return this.pool;
  }

  get schedulerState(): Scheduler | null {
    return this.scheduler;
  }

  addSession(spec: SessionSpec): void {
    if (this.sessions.has(spec.id)) throw new Error(`Session "${spec.id}" is already loaded.`);
    if (this.scheduler) this.scheduler.addSession({ id: spec.id, layout: spec.layout, maxModelLen: spec.maxModelLen, weight: spec.weight ?? 1 });
    this.sessions.set(spec.id, spec);
    this.scheduler ??= this.buildScheduler();
  }

  /** Unloads a session: its unfinished requests are cancelled with the reason. */
  removeSession(id: string): void {
    const s = this.sessions.get(id);
    if (!s || !this.scheduler) return;
    const why = `model "${id}" was unloaded`;
    this.pending = this.pending.filter((p) => {
      if (p.model !== id) return true;
      this.rejectPending(p, why);
      return false;
    });
    this.scheduler.removeSession(id, why);
    this.flushFinished();
    s.runner.dispose();
    this.sessions.delete(id);
    if (this.sessions.size === 0) this.scheduler = null;
  }

  /** Swaps a session's runner (after device loss, the model reloaded on the new device). */
  replaceRunner(id: string, runner: ModelRunner): void {
    const s = this.sessions.get(id);
    if (!s) throw new Error(`No session "${id}" to give a new runner.`);
    try {
      s.runner.dispose();
    } catch {
      // The old runner's device is gone; destroying its objects may throw, and nothing is left to free.
    }
    this.sessions.set(id, { ...s, runner });
  }

  /**
   * The GPU is gone and the KV cache with it: every running request goes back to the front of its queue
   * to be recomputed (none is dropped), and cached pages leave the prefix cache.
   */
  preemptAllForDeviceLoss(detail: string): string[] {
    return this.scheduler?.preemptAll(null, detail) ?? [];
  }

  sessionIds(): string[] {
    return [...this.sessions.keys()];
  }

  /**
   * Submits a request. With `arrivalTime` in the future it waits in the arrival queue until then
   * (workload replay). The listener hears every token and, always, the end.
   */
  submit(spec: RequestSpec, listener?: RequestListener): void {
    if (listener) {
      this.listeners.set(spec.requestId, listener);
      this.numSamplesOf.set(spec.requestId, spec.n ?? 1);
    }
    const session = this.sessions.get(spec.model);
    const withEos: RequestSpec = session
      ? { ...spec, sampling: { ...spec.sampling, stopTokenIds: [...(spec.sampling?.stopTokenIds ?? []), ...session.eosTokenIds] } }
      : spec;
    if (spec.arrivalTime !== undefined && spec.arrivalTime > this.clock.now()) {
      const i = this.pending.findIndex((p) => p.arrivalTime! > spec.arrivalTime!);
      this.pending.splice(i < 0 ? this.pending.length : i, 0, withEos);
      return;
    }
    this.admit(withEos);
  }

  private admit(spec: RequestSpec): void {
    if (!this.scheduler) {
      this.rejectPending(spec, 'no model is loaded');
      return;
    }
    const req = this.scheduler.addRequest(spec);
    this.emit({ kind: 'queued', requestId: spec.requestId, tenant: spec.tenant, time: req.arrivalTime });
    if (req.state === 'finished') this.flushFinished();
  }

  /** Ends a request that never reached the scheduler; its listener goes once it has heard the end. */
  private rejectPending(spec: RequestSpec, reason: string): void {
    this.emit({ kind: 'finished', requestId: spec.requestId, reason: 'cancelled', detail: reason, time: this.clock.now() });
  }

  cancel(requestId: string, detail = 'cancelled by client'): boolean {
    const i = this.pending.findIndex((p) => p.requestId === requestId);
    if (i >= 0) {
      this.rejectPending(this.pending.splice(i, 1)[0]!, detail);
      return true;
    }
    const ok = this.scheduler?.abortRequest(requestId, detail) ?? false;
    this.flushFinished();
    return ok;
  }

  cancelAll(detail: string): void {
    for (const p of this.pending) this.rejectPending(p, detail);
    this.pending = [];
    const sch = this.scheduler;
    for (const id of this.sessions.keys()) {
      for (const r of [...(sch?.running(id) ?? []), ...(sch?.waiting(id) ?? [])]) sch!.abortRequest(r.requestId, detail);
    }
    this.flushFinished();
  }

  /** Requests submitted and not yet ended, arrivals still to come included. */
  get numUnfinished(): number {
    return (this.scheduler?.numUnfinishedRequests ?? 0) + this.pending.length;
  }

  /** Arrival time of the next request still to come, or null. */
  nextArrival(): number | null {
    return this.pending[0]?.arrivalTime ?? null;
  }

  /** Hears each step's record and events: with overlapTelemetry, while the GPU runs the next step. */
  onStep(fn: StepListener): () => void {
    this.stepListeners.add(fn);
    return () => this.stepListeners.delete(fn);
  }

  /**
   * Hears each step's record at the step's end, before the next step is scheduled: for listeners that
   * read the live pool or scheduler and must see them exactly as the step left them (the pool mirror).
   * Runs on the critical path; keep it cheap.
   */
  onStepEnd(fn: (record: EngineStepRecord) => void): () => void {
    this.stepEndListeners.add(fn);
    return () => this.stepEndListeners.delete(fn);
  }

  private emit(e: RequestEvent): void {
    this.events.push(e);
    this.outbox.push(e);
    if (this.deferDelivery) return;
    // Outside a step (submit, cancel, unload): the last step's events go first, so each listener hears
    // its request's events in order.
    this.flushTelemetry();
    this.deliver(this.takeOutbox());
  }

  private takeOutbox(): RequestEvent[] {
    const box = this.outbox;
    this.outbox = [];
    return box;
  }

  private deliver(events: RequestEvent[]): void {
    let ended: string[] | null = null;
    for (const e of events) {
      const id = e.requestId;
      const root = id.split('#')[0]!;
      // Samples forked from an n > 1 request (`id#k`) report to the parent's listener.
      const l = this.listeners.get(id) ?? this.listeners.get(root);
      l?.(e);
      if (e.kind === 'finished' && this.numSamplesOf.has(root)) {
        this.deliveredFinished.add(id);
        (ended ??= []).push(root);
      }
    }
    // After the whole batch: a parent and its samples may end in the same step, and an ended request
    // leaves the scheduler, so it must not be mistaken for a sample never forked.
    if (ended) for (const root of ended) this.forgetListenerIfDone(root);
  }

  /**
   * Runs the last step's telemetry now if it has not run yet. Call it before reading what listeners
   * collected when no further step follows at once (the loop does on pause and idle).
   */
  flushTelemetry(): void {
    this.runTail(false);
    this.rethrowTailError();
  }

  private rethrowTailError(): void {
    const err = this.tailError;
    this.tailError = null;
    if (err) throw err;
  }

  /** `overlapped`: the GPU is executing the next step meanwhile. */
  private runTail(overlapped = false): void {
    const t = this.tail;
    this.tail = null;
    if (!t) return;
    try {
      t(overlapped);
    } catch (e) {
      this.tailError ??= e;
    }
  }

  private flushFinished(): void {
    if (!this.scheduler) return;
    for (const r of this.scheduler.drainFinished()) {
      this.emit({ kind: 'finished', requestId: r.requestId, reason: r.finishReason ?? 'cancelled', detail: r.finishDetail, time: r.finishTime ?? this.clock.now() });
    }
  }

  /**
   * Drops a request's listener once the listener has heard the end of the request and of every sample
   * forked from it (a sample never forked, because the parent ended first, has no end to wait for).
   */
  private forgetListenerIfDone(rootId: string): void {
    const n = this.numSamplesOf.get(rootId);
    if (n === undefined) return;
    const ids = Array.from({ length: n }, (_, k) => (k === 0 ? rootId : `${rootId}#${k}`));
    if (ids.some((id) => this.scheduler?.getRequest(id) && !this.deliveredFinished.has(id))) return;
    for (const id of ids) this.deliveredFinished.delete(id);
    this.listeners.delete(rootId);
    this.numSamplesOf.delete(rootId);
  }

  private releaseArrivals(): void {
    const now = this.clock.now();
    while (this.pending.length && this.pending[0]!.arrivalTime! <= now) this.admit(this.pending.shift()!);
  }

  /**
   * Runs one step. Returns null when there is nothing to run now (no unfinished request has arrived);
   * a virtual clock then jumps to the next arrival.
   */
  /**
   * Runs one step and returns its record; null when there is nothing to run now (no unfinished request has
   * arrived); a virtual clock then jumps to the next arrival.
   *
   * Pipelined (`pipelineSteps`, on by default, and only behind a real GPU): while step N runs on the GPU,
   * step N+1 is scheduled and submitted before N's sampled tokens are read back; a request's pending token
   * is a placeholder to the scheduler and is fed to N+1's embedding from N's sampled ids on the GPU. So the
   * GPU has the next step queued while the CPU reads back, updates and schedules, as vLLM's async
   * scheduling does. `launchAhead: false` completes the step in flight (or one new step) without
   * launching the next: single-stepping, and draining before a pause.
   */
  async step(opts: { launchAhead?: boolean } = {}): Promise<EngineStepRecord | null> {
    this.deferDelivery = true;
    let rec: EngineStepRecord | null = null;
    try {
      rec = await this.runStep(opts.launchAhead ?? this.pipelineSteps);
      // Nothing left to do but a launched step (a request ended while its next step was in flight): finish
      // it now, so callers that stop when nothing is unfinished leave no step behind.
      if (rec && this.inFlight && this.numUnfinished === 0) rec = await this.runStep(false);
    } catch (e) {
      // A failed step (a lost device) takes the step in flight with it: its rows are requeued by the caller.
      this.inFlight = null;
      throw e;
    } finally {
      this.deferDelivery = false;
      // Deferred only while a GPU step is in flight to hide it behind: not after an idle or failed step, or
      // when the next step is not on a GPU (the simulated backend, or nothing launched).
      if (!rec || !this.overlapTelemetry || !this.inFlight?.onGpu) this.runTail();
      this.deliver(this.takeOutbox());
    }
    this.rethrowTailError();
    return rec;
  }

  /** Completes the step in flight, if any, without launching another; its record, or null. */
  async drain(): Promise<EngineStepRecord | null> {
    if (!this.inFlight) return null;
    const rec = await this.step({ launchAhead: false });
    this.flushTelemetry();
    return rec;
  }

  /** Whether a pipelined step is submitted and not yet completed. */
  get hasStepInFlight(): boolean {
    return this.inFlight !== null;
  }

  private async runStep(launchAhead: boolean): Promise<EngineStepRecord | null> {
    this.releaseArrivals();
    const scheduler = this.scheduler;
    if (!scheduler) return null;
    if (!this.inFlight && !scheduler.hasUnfinishedRequests()) {
      const next = this.nextArrival();
      if (next !== null && this.clock.kind === 'virtual') {
        this.clock.advanceTo(next);
        this.releaseArrivals();
      }
      if (!scheduler.hasUnfinishedRequests()) return null;
    }
    const done = this.inFlight ?? this.launch(scheduler);
    this.inFlight = null;
    // Launch ahead only behind a step on the GPU, and not past one that swaps pages out: its host copies
    // arrive with its readback, and the next step might swap them back in.
    if (launchAhead && done.onGpu && done.out.swapOut.length === 0 && scheduler.hasUnfinishedRequests()) this.inFlight = this.launch(scheduler);
    return this.complete(done);
  }

  /** Schedules a step and submits it (without waiting for it). */
  private launch(scheduler: Scheduler): LaunchedStep {
    const cpu0 = performance.now();
    const startMs = this.clock.now();
    const out = scheduler.schedule();
    const cpuScheduleMs = performance.now() - cpu0;
    // This step's allocations, before an older step's update adds its frees.
    const schedEvents = this.pageLog.drain();
    for (const row of out.scheduled) {
      this.events.push({ kind: 'scheduled', requestId: row.requestId, step: out.step, numTokens: row.numTokens, time: startMs });
    }
    const launched: LaunchedStep = { out, startMs, cpuScheduleMs, schedEvents, result: Promise.resolve(NO_RESULT), onGpu: false };
    if (out.sessionId !== null && out.scheduled.length > 0) {
      const session = this.sessions.get(out.sessionId);
      if (!session) throw new Error(`The scheduler picked session "${out.sessionId}", which the engine does not have.`);
      // The runner calls back once the step is submitted: the last step's telemetry runs in its shadow.
      launched.result = session.runner.execute(out, () => {
        launched.onGpu = true;
        this.runTail(true);
      });
      // Observed in complete(); a step dropped with a failed one must not surface as an unhandled rejection.
      launched.result.catch(() => {});
    }
    return launched;
  }

  /** Waits for a launched step's results, applies them and builds its record (telemetry deferred to the tail). */
  private async complete(l: LaunchedStep): Promise<EngineStepRecord> {
    // The last step's telemetry, if no launch ran it: while this step computes.
    this.runTail(l.onGpu);
    const result = await l.result;
    const cpu1 = performance.now();
    this.scheduler?.update(l.out, result.sampled);
    const numOutputTokens = this.emitTokens(l.out, result);
    this.flushFinished();
    const cpu2 = performance.now();
    const record = this.record(l.out, result, l.startMs, l.schedEvents, numOutputTokens);
    record.poolAfter = this.pool.usageSnapshot();
    const events = this.events;
    this.events = [];
    const outbox = this.takeOutbox();
    for (const fn of this.stepEndListeners) fn(record);
    const cpu3 = performance.now();
    record.cpuMs = l.cpuScheduleMs + (cpu3 - cpu1);
    record.telemetryMs = cpu3 - cpu2;
    // Telemetry = building the record + delivering the step's request events + the step listeners (the
    // service's run recorder and batching). Listeners see cpuMs / telemetryMs of the record alone; their
    // own time is added when they return (the service posts records later, in batches, so the batch
    // carries the total). Runs now or in the GPU's shadow of the next step (see the header).
    this.tail = (overlapped) => {
      const t0 = performance.now();
      this.deliver(outbox);
      for (const fn of this.stepListeners) fn(record, events);
      const ms = performance.now() - t0;
      record.cpuMs += ms;
      record.telemetryMs += ms;
      if (overlapped) record.overlappedMs = ms;
    };
    return record;
  }

  /**
   * Token events for the tokens the update kept; returns how many. A pipelined step's token is dropped
   * when its request ended (a stop token) or was preempted while the step was in flight: then the
   * request does not hold it at the row's position.
   */
  private emitTokens(out: SchedulerOutput, result: StepResult): number {
    const now = this.clock.now();
    let n = 0;
    for (const row of out.scheduled) {
      const toks = result.sampled.get(row.requestId);
      if (!toks || row.numSamples === 0) continue;
      const req = this.scheduler?.getRequest(row.requestId);
      if (!req || req.epoch !== row.epoch || req.allTokenIds[row.positionStart + row.numTokens] !== toks[0]) continue;
      this.emit({ kind: 'token', requestId: row.requestId, tokenIds: [toks[0]!], time: now });
      for (let k = 1; k < row.numSamples; k++) this.emit({ kind: 'token', requestId: `${row.requestId}#${k}`, tokenIds: [toks[k]!], time: now });
      n += row.numSamples;
    }
    return n;
  }

  private record(out: SchedulerOutput, result: StepResult, startMs: number, schedEvents: PageEvent[], numOutputTokens: number): EngineStepRecord {
    // The step's own allocations (logged at its schedule) and what its update and anything since freed.
    const pageEvents = schedEvents.concat(this.pageLog.drain());
    // The mirror reads the live pool, which already holds a launched next step's allocations: it needs
    // those pages too.
    this.lastPageEvents = this.inFlight ? pageEvents.concat(this.inFlight.schedEvents) : pageEvents;
    return {
      index: ++this.stepIndex,
      startMs,
      endMs: this.clock.now(),
      sessionId: out.sessionId,
      ...schedulerRecordFields(out.record),
      gpuMs: result.gpuMs,
      kernels: result.kernels,
      timing: out.scheduled.length ? result.method : 'idle',
      numDispatches: result.numDispatches,
      encodeMs: result.encodeMs,
      flops: result.flops,
      bytes: result.bytes,
      batch: out.scheduled.map((r) => ({ requestId: r.requestId, tenant: r.tenant, numTokens: r.numTokens, positionStart: r.positionStart, isPrefill: r.isPrefill })),
      numPrefillTokens: out.record.numPrefillTokens,
      numDecodeTokens: out.record.numDecodeTokens,
      numOutputTokens,
      pageEvents: countEvents(pageEvents),
      numPreempted: out.preempted.length,
      cpuMs: 0,
      telemetryMs: 0,
    };
  }
}
