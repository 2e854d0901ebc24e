import { describe, expect, it } from 'vitest';
import { METRIC_NAMES, RUN_REPORT_SCHEMA, checkTimeline, computeRequestResult, computeRunReport, runReportJson, type RequestTimeline } from '../../../src/metrics/index';
import { steps, timelines } from './fixture';

describe('per-request metrics', () => {
  it('queue, TTFT, TPOT, ITL, E2E and the SLO check by hand', () => {
    const [A, B, C, D] = timelines().map((t) => computeRequestResult(t));
    // A: queue 10 - 0; TTFT 50 - 0; E2E 130; TPOT (130 - 50) / (4 - 1) = 26.667; ITL 20, 30, 30.
    expect(A).toMatchObject({ queueMs: 10, ttftMs: 50, e2eMs: 130, itlMs: [20, 30, 30], numOutputTokens: 4, completed: true, metSlo: true, good: true });
    expect(A!.tpotMs).toBeCloseTo(80 / 3, 12);
    // B: queue 40 - 20 = 20; TTFT 90 - 20 = 70 > 60 -> misses; E2E 190; TPOT (210 - 90) / 1 = 120.
    expect(B).toMatchObject({ queueMs: 20, ttftMs: 70, e2eMs: 190, tpotMs: 120, itlMs: [110], numAdmissions: 2, metSlo: false, good: false });
    // C: one token: TPOT undefined (null), no SLO -> good when completed.
    expect(C).toMatchObject({ queueMs: 30, ttftMs: 50, e2eMs: 50, tpotMs: null, itlMs: [], metSlo: null, good: true });
    // D: cancelled before scheduling, 120 - 100 = 20 ms after arriving.
    expect(D).toMatchObject({ queueMs: null, ttftMs: null, e2eMs: 20, completed: false, good: false });
  });

  it('SLO: default fills unset fields; single-token TPOT counts as 0; e2e bound; equality passes', () => {
    const [A, , C] = timelines();
    // C: TTFT 50 > default 40 -> miss. A keeps its own ttft 60 but gets the default e2e 130 (= its E2E: passes).
    expect(computeRequestResult(C!, { ttftMs: 40 }).metSlo).toBe(false);
    expect(computeRequestResult(A!, { ttftMs: 40, e2eMs: 130 })).toMatchObject({ slo: { ttftMs: 60, tpotMs: 30, e2eMs: 130 }, metSlo: true });
    expect(computeRequestResult(A!, { e2eMs: 129 }).metSlo).toBe(false);
    expect(computeRequestResult({ ...C!, slo: { tpotMs: 1 } }).metSlo).toBe(true); // n_out = 1 -> TPOT 0 <= 1
    expect(computeRequestResult({ ...A!, finishReason: 'cancelled' }).metSlo).toBe(false);
  });

  it('checkTimeline names the request and the contradiction', () => {
    const [A] = timelines();
    expect(() => checkTimeline({ ...A!, scheduled: [-5] })).toThrow("RequestTimeline 'A': scheduled time -5 is before 0");
    expect(() => checkTimeline({ ...A!, tokenTimes: [50, 40] })).toThrow(/token 1 at 40 is before 50/);
    expect(() => checkTimeline({ ...A!, finish: 120 })).toThrow(/finish 120 is before its last token/);
    expect(() => checkTimeline({ ...A!, firstToken: 49 })).toThrow(/firstToken 49 differs/);
    expect(() => computeRunReport([{ ...A!, finish: 1 }], [])).toThrow(/'A'/);
    expect(() => computeRunReport([A!, A!], [])).toThrow(/duplicate/);
  });
});

describe('run report', () => {
  const report = computeRunReport(timelines(), steps(), { meta: { adapter: 'test' } });
  const o = report.overall;

  it('is versioned; duration spans first arrival (0) to last step end (220)', () => {
    expect(report.schema).toBe(RUN_REPORT_SCHEMA);
    expect(report.version).toBe(1);
    expect(report.meta).toEqual({ adapter: 'test' });
    expect(report.startMs).toBe(0);
    expect(report.durationMs).toBe(220);
  });

  it('counts, throughput and goodput (duration 0.22 s)', () => {
    expect(o).toMatchObject({ numRequests: 4, numSequences: 4, numCompleted: 3, numCancelled: 1, numRejected: 0, numUnfinished: 0, numPreemptions: 1 });
    // Completed prompt tokens 20 + 10 + 30 = 60; output 4 + 2 + 1 = 7.
    expect(o.numPromptTokens).toBe(60);
    expect(o.numOutputTokens).toBe(7);
    expect(o.requestThroughput).toBeCloseTo(3 / 0.22, 9); // 13.64 req/s
    expect(o.outputTokenThroughput).toBeCloseTo(7 / 0.22, 9); // 31.8 tok/s
    expect(o.totalTokenThroughput).toBeCloseTo(67 / 0.22, 9);
    // Good: A (met) and C (no SLO, completed); B missed TTFT, D cancelled.
    expect(o.goodput.numGood).toBe(2);
    expect(o.goodput.numWithSlo).toBe(2);
    expect(o.goodput.requestsPerS).toBeCloseTo(2 / 0.22, 9); // 9.09 req/s
    expect(o.goodput.sloAttainment).toBe(0.5);
  });

  it('latency summaries over completed requests', () => {
    // TTFT [50, 70, 50] -> sorted [50, 50, 70]: mean 56.667, p50 50, p90 h=1.8 -> 50 + 0.8 * 20 = 66, p99 h=1.98 -> 69.6
    expect(o.ttftMs.count).toBe(3);
    expect(o.ttftMs.mean).toBeCloseTo(170 / 3, 9);
    expect(o.ttftMs.p50).toBe(50);
    expect(o.ttftMs.p90).toBeCloseTo(66, 9);
    expect(o.ttftMs.p99).toBeCloseTo(69.6, 9);
    // TPOT [26.667, 120]: mean 73.333, p90 h=0.9 -> 26.667 + 0.9 * 93.333 = 110.667
    expect(o.tpotMs.count).toBe(2);
    expect(o.tpotMs.mean).toBeCloseTo(220 / 3, 9);
    expect(o.tpotMs.p90).toBeCloseTo(80 / 3 + 0.9 * (120 - 80 / 3), 9);
    // ITL pooled [20, 30, 30, 110]: mean 47.5, p50 h=1.5 -> 30, p90 h=2.7 -> 30 + 0.7 * 80 = 86, p99 h=2.97 -> 107.6
    expect(o.itlMs).toMatchObject({ count: 4, mean: 47.5, p50: 30, min: 20, max: 110 });
    expect(o.itlMs.p90).toBeCloseTo(86, 9);
    expect(o.itlMs.p99).toBeCloseTo(107.6, 9);
    // E2E [130, 190, 50]: mean 123.333, p50 130. Queue [10, 20, 30]: mean 20.
    expect(o.e2eMs.mean).toBeCloseTo(370 / 3, 9);
    expect(o.e2eMs.p50).toBe(130);
    expect(o.queueMs).toMatchObject({ count: 3, mean: 20, p50: 20 });
  });

  it('prefix cache, KV usage and internal fragmentation', () => {
    // queries = prompt x admissions = 20*1 + 10*2 + 30*1 + 5*0 = 70; hits 8 + 16 = 24
    expect(o.prefixCache).toEqual({ queries: 70, hits: 24, hitRate: 24 / 70 });
    // Step weights 50, 50, 110 ms. Usage 0.48, 0.64, 0.16 -> (24 + 32 + 17.6) / 210 = 0.35048; peak 0.64.
    expect(o.kv.usageMean).toBeCloseTo(73.6 / 210, 12);
    expect(o.kv.usageMax).toBe(0.64);
    // Allocated 50*48 + 50*64 + 110*16 = 7360, used 50*38 + 50*55 + 110*9 = 5640 -> (7360 - 5640) / 7360 = 0.2337
    expect(o.kv.internalFragmentation).toBeCloseTo(1720 / 7360, 12);
  });

  it('per tenant', () => {
    const a = report.tenants.a!, b = report.tenants.b!;
    expect(Object.keys(report.tenants)).toEqual(['a', 'b']);
    expect(a).toMatchObject({ numRequests: 2, numCompleted: 2, numOutputTokens: 6, numPreemptions: 1 });
    expect(a.goodput).toMatchObject({ numGood: 1, sloAttainment: 0.5 });
    expect(a.requestThroughput).toBeCloseTo(2 / 0.22, 9);
    expect(a.prefixCache.hitRate).toBeCloseTo(8 / 40, 12); // 20*1 + 10*2 queries
    // a: usage 0.32, 0.48, 0.16 -> (16 + 24 + 17.6) / 210; frag (5760 - 4390) / 5760
    expect(a.kv.usageMean).toBeCloseTo(57.6 / 210, 12);
    expect(a.kv.usageMax).toBe(0.48);
    expect(a.kv.internalFragmentation).toBeCloseTo(1370 / 5760, 12);
    expect(b).toMatchObject({ numRequests: 2, numCompleted: 1, numCancelled: 1, goodput: { numGood: 1, numWithSlo: 0, sloAttainment: 0.5 } });
    // b: usage 0.16, 0.16, 0 -> 16 / 210; frag (1600 - 1250) / 1600 = 0.21875
    expect(b.kv.usageMean).toBeCloseTo(16 / 210, 12);
    expect(b.kv.internalFragmentation).toBeCloseTo(0.21875, 12);
  });

  it('system: GPU busy fraction, kernel table, steps, queue gauges', () => {
    const s = report.system;
    // Busy = kernels 35 + 28, plus S2's gpuMs 20 (no kernel list) = 83 ms of 220.
    expect(s.gpuBusyFraction).toBeCloseTo(83 / 220, 12);
    expect(s.gpuMsTotal).toBe(90);
    expect(s.kernelMsTotal).toBe(63);
    expect(s.kernels).toEqual({ matmul: { ms: 43, count: 3, share: 43 / 63 }, attention: { ms: 20, count: 2, share: 20 / 63 } });
    expect(s.stepMs).toMatchObject({ count: 3, mean: 70, p50: 50, max: 110 });
    expect(s.batchTokens).toMatchObject({ mean: 94 / 3, max: 60 });
    expect(s.numRunning).toMatchObject({ mean: 2, max: 3 });
    expect(s.numWaiting).toMatchObject({ mean: 1 / 3, max: 1 });
  });

  it('n > 1: samples count as sequences; the client request is good only if every sample is', () => {
    const P: RequestTimeline = { id: 'P', tenant: 'a', model: 'm', arrival: 0, scheduled: [0], firstToken: 10, tokenTimes: [10, 20], finish: 20, finishReason: 'length', numPromptTokens: 8, numCachedPromptTokens: 0, numPreemptions: 0, slo: { tpotMs: 15 } };
    const P1: RequestTimeline = { ...P, id: 'P#1', parentId: 'P', tokenTimes: [10, 30], finish: 30 }; // TPOT 20 > 15
    const r = computeRunReport([P, P1], [], { durationMs: 1000 });
    expect(r.overall).toMatchObject({ numRequests: 1, numSequences: 2, numCompleted: 1, numPromptTokens: 8, numOutputTokens: 4, goodput: { numGood: 0 } });
    expect(r.overall.tpotMs.count).toBe(2);
    expect(r.overall.requestThroughput).toBe(1); // 1 request / 1 s
    const ok = computeRunReport([P, { ...P1, tokenTimes: [10, 20], finish: 20 }], [], { durationMs: 1000 });
    expect(ok.overall.goodput.numGood).toBe(1);
  });

  it('empty run, explicit duration, JSON text', () => {
    const e = computeRunReport([], []);
    expect(e.durationMs).toBe(0);
    expect(e.overall).toMatchObject({ numRequests: 0, requestThroughput: 0, ttftMs: { count: 0, mean: null } });
    expect(e.system.gpuBusyFraction).toBeNull();
    expect(e.overall.kv.usageMean).toBeNull();
    expect(computeRunReport(timelines(), steps(), { durationMs: 1000 }).overall.requestThroughput).toBe(3);
    const back = JSON.parse(runReportJson(report));
    expect(back.overall.ttftMs.p50).toBe(50);
    expect(back.tenants.b.goodput.numGood).toBe(1);
  });

  it('every vLLM-named field exists in the report', () => {
    const get = (path: string): unknown => path.split('.').reduce<any>((x, k) => x?.[k], path.startsWith('system.') ? report : o);
    for (const m of METRIC_NAMES) expect(get(m.field), m.field).not.toBeUndefined();
    expect(METRIC_NAMES.find((m) => m.field === 'itlMs')!.vllm).toBe('vllm:inter_token_latency_seconds');
  });
});
