/**
 * Records a run in the shapes src/metrics computes from: one RequestTimeline per sequence (built from
 * the engine's request events plus what was known at submit) and one StepSample per step. The service
 * feeds it; `report()` and the exports run in the worker, so the UI thread only receives results.
 *
 * Mapping (engine event -> timeline field):
 *   submit (spec)        -> numPromptTokens, slo, tenant, model
 *   queued               -> arrival (the engine's arrival time: when a future arrival was released)
 *   scheduled            -> scheduled[] once per admission (first, and first after each preemption), and
 *                           numCachedPromptTokens += the scheduler's prefix hits at that admission
 *   token                -> tokenTimes[] (firstToken = the first)
 *   preempted            -> numPreemptions++ (the next scheduled event is a new admission)
 *   finished             -> finish, finishReason
 * Samples of an n > 1 request (`id#k`) inherit the parent's arrival, prompt, tenant and SLO.
 */
import { chromeTrace, computeRunReport, requestsCsv, runReportJson, type RequestTimeline, type RunReport, type StepSample, type TimelineFinishReason } from '../metrics';
import type { RequestSpec, Scheduler } from '../scheduler';
import type { EngineStepRecord, RequestEvent } from './telemetry';

interface Live extends RequestTimeline {
  admitted: boolean;
}

const REASONS: ReadonlySet<string> = new Set(['stop', 'length', 'cancelled', 'rejected', 'error']);

export class RunRecorder {
  private readonly timelines = new Map<string, Live>();
  private readonly specs = new Map<string, { numPromptTokens: number; slo?: RequestSpec['slo']; tenant: string; model: string }>();
  readonly steps: StepSample[] = [];

  constructor(private readonly tokensPerPage: () => number) {}

  onSubmit(spec: RequestSpec): void {
    this.specs.set(spec.requestId, { numPromptTokens: spec.promptTokenIds.length, slo: spec.slo, tenant: spec.tenant, model: spec.model });
  }

  private timeline(id: string, time: number): Live {
    let t = this.timelines.get(id);
    if (t) return t;
    const root = id.split('#')[0]!;
    const parent = root !== id ? this.timelines.get(root) : undefined;
    const spec = this.specs.get(root);
    t = {
      id,
      ...(parent ? { parentId: root } : {}),
      tenant: spec?.tenant ?? parent?.tenant ?? '?',
      model: spec?.model ?? parent?.model ?? '?',
      arrival: parent?.arrival ?? time,
      scheduled: [],
      firstToken: null,
      tokenTimes: [],
      finish: null,
      finishReason: null,
      numPromptTokens: spec?.numPromptTokens ?? 0,
      numCachedPromptTokens: 0,
      numPreemptions: 0,
      ...(spec?.slo ? { slo: { ...spec.slo } } : {}),
      // A forked sample starts running at once (it shares its parent's admission).
      admitted: parent !== undefined,
    };
    if (parent) t.scheduled.push(Math.max(parent.arrival, parent.scheduled[0] ?? time));
    this.timelines.set(id, t);
    return t;
  }

  onEvents(events: readonly RequestEvent[], scheduler: Scheduler | null): void {
    for (const e of events) {
      const t = this.timeline(e.requestId, e.time);
      switch (e.kind) {
        case 'queued':
          t.arrival = e.time;
          t.tenant = e.tenant;
          break;
        case 'scheduled':
          if (!t.admitted) {
            t.admitted = true;
            t.scheduled.push(Math.max(e.time, t.scheduled.at(-1) ?? t.arrival, t.arrival));
            t.numCachedPromptTokens += scheduler?.getRequest(e.requestId)?.numPrefixHitTokens ?? 0;
          }
          break;
        case 'preempted':
          t.numPreemptions++;
          t.admitted = false;
          break;
        case 'token':
          for (let i = 0; i < e.tokenIds.length; i++) t.tokenTimes.push(e.time);
          t.firstToken ??= e.time;
          break;
        case 'finished':
          t.finish = Math.max(e.time, t.tokenTimes.at(-1) ?? t.arrival);
          t.finishReason = (REASONS.has(e.reason) ? e.reason : 'error') as TimelineFinishReason;
          break;
      }
    }
  }

  onStep(rec: EngineStepRecord): void {
    const tpp = this.tokensPerPage();
    const alloc: Record<string, number> = {};
    for (const [k, v] of Object.entries(rec.tenantPages)) alloc[k] = v * tpp;
    this.steps.push({
      index: rec.index,
      startMs: rec.startMs,
      endMs: rec.endMs,
      gpuMs: rec.gpuMs,
      kernels: rec.kernels,
      numPrefillTokens: rec.numPrefillTokens,
      numDecodeTokens: rec.numDecodeTokens,
      numRunning: rec.numRunning,
      numWaiting: rec.numWaiting,
      kvTotalSlots: rec.pool.numUsablePages * tpp,
      kvAllocatedSlots: alloc,
    });
  }

  /** Timelines without the recorder's bookkeeping field. */
  timelineList(): RequestTimeline[] {
    return [...this.timelines.values()].map(({ admitted: _, ...t }) => t);
  }

  report(meta: Record<string, unknown>): RunReport {
    return computeRunReport(this.timelineList(), this.steps, { strict: false, meta });
  }

  export(kind: 'json' | 'csv' | 'trace', meta: Record<string, unknown>): string {
    if (kind === 'json') return runReportJson(this.report(meta));
    if (kind === 'csv') return requestsCsv(this.timelineList());
    return JSON.stringify(chromeTrace(this.timelineList(), this.steps, { otherData: meta }));
  }
}
