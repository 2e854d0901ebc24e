import { describe, expect, test } from 'vitest';
import { EngineService, toRequestSpec, type EngineSetup, type TelemetryBatch } from '../../../src/engine/service';
import { simulatedModel } from '../../../src/engine/simulated/simulated-model';
import type { WorkloadConfig } from '../../../src/workload';
import { checkTimeline, type RequestTimeline } from '../../../src/metrics';

const setup = (over: Partial<EngineSetup['scheduler']> = {}, numPages = 257): EngineSetup => ({
  backend: { kind: 'simulated', gpu: 'h100' },
  numPages,
  tokensPerPage: 16,
  scheduler: { tenants: [{ id: 'a' }, { id: 'b' }], maxNumBatchedTokens: 512, maxNumSeqs: 32, ...over },
});

const workload = (seed: number, numRequests = 30): WorkloadConfig => ({
  seed,
  numRequests,
  arrival: { kind: 'poisson', rate: 20 },
  promptLength: { kind: 'uniform', min: 8, max: 200 },
  outputLength: { kind: 'uniform', min: 1, max: 40 },
  vocabSize: 32000,
  firstTokenId: 3,
  model: 'm',
  tenants: [
    { name: 'a', weight: 1 },
    { name: 'b', weight: 1 },
  ],
  sharedPrefix: { ratio: 0.5, numPrefixes: 2, length: 48 },
  parallelSampling: { ratio: 0.1, n: 2 },
});

/** Runs the service's loop as fast as it goes until `want` requests/samples have finished. */
async function runUntilFinished(svc: EngineService, batches: TelemetryBatch[], want: number): Promise<Map<string, string>> {
  const ends = new Map<string, string>();
  svc.subscribe((b) => {
    batches.push(b);
    for (const e of b.events) if (e.kind === 'finished') ends.set(e.requestId, e.reason);
  });
  svc.setSpeed(Infinity);
  svc.run();
  const t0 = Date.now();
  while (ends.size < want) {
    if (Date.now() - t0 > 20_000) throw new Error(`only ${ends.size} of ${want} finished`);
    await new Promise((r) => setTimeout(r, 5));
  }
  svc.pause();
  svc.flush();
  return ends;
}

describe('EngineService workloads (simulated backend)', () => {
  test('startWorkload submits a seeded workload with future arrivals; every request and sample finishes', async () => {
    const svc = new EngineService(5);
    expect(svc.configure(setup())).toBe(1);
    await svc.loadModel('m', simulatedModel('llama-3-8b', 'h100', 2048));
    const started = svc.startWorkload(workload(3));
    expect(started.numRequests).toBe(30);
    expect(started.numSamples).toBeGreaterThanOrEqual(30);
    expect(started.firstArrivalMs).toBe(0);
    // 30 Poisson arrivals at 20/s span about 1.5 s.
    expect(started.lastArrivalMs).toBeGreaterThan(500);
    const batches: TelemetryBatch[] = [];
    const ends = await runUntilFinished(svc, batches, started.numSamples);
    expect([...ends.values()].every((r) => r === 'length' || r === 'stop')).toBe(true);
    expect(batches.every((b) => b.epoch === 1)).toBe(true);
    const records = batches.flatMap((b) => b.records);
    // The engine clock reached the last arrival (the virtual clock jumps to arrivals).
    expect(records.at(-1)!.endMs).toBeGreaterThanOrEqual(started.lastArrivalMs);
    // Shared prefixes were hit by the prefix cache.
    expect(records.reduce((s, r) => s + r.pageEvents.hit, 0)).toBeGreaterThan(0);
    // Every request number the mirror assigned was sent once, numbered from 0.
    const ids = batches.flatMap((b) => b.newRequestIds ?? []);
    expect(ids.map(([n]) => n)).toEqual(ids.map((_, i) => i));

    // metrics(): src/metrics over the recorded timelines and steps.
    const report = svc.metrics();
    expect(report.overall.numRequests).toBe(30);
    expect(report.overall.numSequences).toBe(started.numSamples);
    expect(report.overall.numCompleted).toBe(30);
    expect(report.overall.ttftMs.count).toBe(started.numSamples);
    expect(report.overall.ttftMs.p50!).toBeGreaterThan(0);
    expect(report.overall.e2eMs.p99!).toBeGreaterThanOrEqual(report.overall.e2eMs.p50!);
    expect(Object.keys(report.tenants).sort()).toEqual(['a', 'b']);
    expect(report.tenants['a']!.numRequests + report.tenants['b']!.numRequests).toBe(30);
    // Half the prompts start with one of two 48-token prefixes: the prefix cache served some tokens.
    expect(report.overall.prefixCache.hits).toBeGreaterThan(0);
    expect(report.system.numSteps).toBe(records.length);
    expect(report.meta['simulated']).toBe(true);
    // The recorded timelines are consistent (checkTimeline throws on contradictions).
    const timelines = (svc as unknown as { recorder: { timelineList(): RequestTimeline[] } }).recorder.timelineList();
    for (const t of timelines) checkTimeline(t);
    expect(timelines.filter((t) => t.parentId).length).toBe(started.numSamples - 30);
    const csv = svc.exportRun('csv').trim().split('\n');
    expect(csv.length).toBe(1 + started.numSamples);
    const trace = JSON.parse(svc.exportRun('trace')) as { traceEvents: unknown[] };
    expect(trace.traceEvents.length).toBeGreaterThan(records.length);
    expect(JSON.parse(svc.exportRun('json')).overall.numRequests).toBe(30);
  });

  test('the same seed gives the same schedule', async () => {
    const schedules: string[] = [];
    for (let k = 0; k < 2; k++) {
      const svc = new EngineService(5);
      svc.configure(setup());
      await svc.loadModel('m', simulatedModel('llama-3-8b', 'h100', 2048));
      const started = svc.startWorkload(workload(9, 12));
      const batches: TelemetryBatch[] = [];
      await runUntilFinished(svc, batches, started.numSamples);
      schedules.push(batches.flatMap((b) => b.records).map((r) => `${r.endMs}:${r.batch.map((x) => `${x.requestId}+${x.numTokens}`).join(',')}`).join('|'));
    }
    expect(schedules[1]).toBe(schedules[0]);
  });

  test('toRequestSpec: seconds become engine ms from the start; e2e SLO is dropped', () => {
    const spec = toRequestSpec(
      { requestId: 'x', arrivalTimeS: 1.5, tenant: 'a', model: 'm', promptTokenIds: [5, 6], maxTokens: 3, n: 2, sampling: { temperature: 1, topP: 1, topK: 0, seed: 7 }, priority: 1, slo: { ttftMs: 200, e2eMs: 900 }, sharedPrefix: null },
      100,
    );
    expect(spec.arrivalTime).toBe(1600);
    expect(spec.slo).toEqual({ ttftMs: 200 });
    expect(spec.n).toBe(2);
    expect(spec.sampling!.seed).toBe(7);
  });

  test('configure() starts a new epoch: batches carry it and request numbers restart at 0', async () => {
    const svc = new EngineService(5);
    svc.configure(setup());
    await svc.loadModel('m', simulatedModel('llama-3-8b', 'h100', 2048));
    svc.submit({ requestId: 'first', tenant: 'a', model: 'm', promptTokenIds: [5, 6, 7], maxTokens: 2 });
    const batches: TelemetryBatch[] = [];
    await runUntilFinished(svc, batches, 1);
    expect(svc.configure(setup())).toBe(2);
    await svc.loadModel('m', simulatedModel('llama-3-8b', 'h100', 2048));
    svc.submit({ requestId: 'second', tenant: 'b', model: 'm', promptTokenIds: [5, 6, 7], maxTokens: 2 });
    const after: TelemetryBatch[] = [];
    await runUntilFinished(svc, after, 1);
    // The report restarts with the epoch too.
    expect(svc.metrics().overall.numRequests).toBe(1);
    const epoch2 = after.filter((b) => b.epoch === 2);
    expect(epoch2.length).toBeGreaterThan(0);
    expect(epoch2.flatMap((b) => b.newRequestIds ?? [])).toEqual([[0, 'second']]);
  });

  test('poolRegions: one shared region, or one per tenant under the partition policy', async () => {
    const svc = new EngineService();
    expect(svc.poolRegions()).toEqual([]);
    svc.configure(setup());
    await svc.loadModel('m', simulatedModel('llama-3-8b', 'h100', 2048));
    expect(svc.poolRegions()).toEqual([{ name: 'shared', start: 1, end: 257 }]);
    svc.configure(setup({ sharingPolicy: 'partition', tenants: [{ id: 'a', partitionPages: 100 }, { id: 'b', partitionPages: 156 }] }));
    await svc.loadModel('m', simulatedModel('llama-3-8b', 'h100', 2048));
    const regions = svc.poolRegions();
    expect(regions.map((r) => [r.start, r.end])).toEqual([
      [1, 101],
      [101, 257],
    ]);
  });

  test('startWorkload before a model is loaded says what to do', () => {
    const svc = new EngineService();
    svc.configure(setup());
    expect(() => svc.startWorkload(workload(1))).toThrow(/Load a model/);
  });
});

describe('EngineService trace replay', () => {
  test('an Azure-format trace replays with scaled times; rows without output are skipped, malformed ones rejected by line', async () => {
    const svc = new EngineService(5);
    svc.configure(setup());
    await svc.loadModel('m', simulatedModel('llama-3-8b', 'h100', 2048));
    const csv = ['TIMESTAMP,ContextTokens,GeneratedTokens', '2023-11-16 18:15:46.6805900,100,8', '2023-11-16 18:15:47.6805900,40,4', '2023-11-16 18:15:47.9,30,0', '2023-11-16 18:15:48.6805900,60,2'].join('\n');
    expect(() => svc.startTrace(`${csv}\ngarbage,row`, { tenant: 'a', model: 'm', seed: 1, vocabSize: 32000 })).toThrow(/line 6/);
    const started = svc.startTrace(csv, { speed: 2, tenant: 'a', model: 'm', seed: 1, vocabSize: 32000 });
    expect(started.format).toBe('azure');
    expect(started.numRequests).toBe(3);
    expect(started.skipped).toHaveLength(1);
    expect(started.skipped[0]!.line).toBe(4);
    // Rows 1 s apart, replayed at speed 2: the last arrives 1 s after the first.
    expect(started.lastArrivalMs - started.firstArrivalMs).toBeCloseTo(1000, 3);
    const batches: TelemetryBatch[] = [];
    const ends = await runUntilFinished(svc, batches, 3);
    expect([...ends.keys()].sort()).toEqual(['trace-0', 'trace-1', 'trace-2']);
    expect(svc.metrics().overall.numOutputTokens).toBe(8 + 4 + 2);
  });
});
