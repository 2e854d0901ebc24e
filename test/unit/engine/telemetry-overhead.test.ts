// Telemetry overhead on the simulated backend: what building step records and the service's step listeners
// (pool mirror, run recorder, batching) cost, against the engine's CPU time per step. Timings are
// REPORTED (console.log), never asserted: a unit test must not fail on a loaded machine. Asserted: the
// fields exist and are finite, telemetry is part of the step's CPU time, and the pool mirror agrees with
// the pool after every step.
import { describe, expect, test } from 'vitest';
import { EngineService, type EngineSetup } from '../../../src/engine/service';
import { simulatedModel } from '../../../src/engine/simulated/simulated-model';
import { PoolMirror, PAGE_FIELDS, MIRROR_HEADER, PAGE_FLAG } from '../../../src/engine/pool-mirror';
import type { EngineStepRecord } from '../../../src/engine/telemetry';
import type { WorkloadConfig } from '../../../src/workload';

const NUM_PAGES = 16_385; // 16,384 usable + the NULL page

const setup = (numPages: number): EngineSetup => ({
  backend: { kind: 'simulated', gpu: 'h100' },
  numPages,
  tokensPerPage: 16,
  scheduler: { tenants: [{ id: 'a' }, { id: 'b' }], maxNumBatchedTokens: 8192, maxNumSeqs: 256, enablePrefixCaching: true },
});

const workload = (numRequests: number): WorkloadConfig => ({
  seed: 11,
  numRequests,
  arrival: { kind: 'poisson', rate: 400 },
  promptLength: { kind: 'uniform', min: 32, max: 1024 },
  outputLength: { kind: 'uniform', min: 16, max: 256 },
  vocabSize: 32000,
  firstTokenId: 3,
  model: 'm',
  tenants: [
    { name: 'a', weight: 1 },
    { name: 'b', weight: 1 },
  ],
  sharedPrefix: { ratio: 0.5, numPrefixes: 4, length: 64 },
  parallelSampling: { ratio: 0.1, n: 2 },
});

async function run(numPages: number, numRequests: number, onStep?: (svc: EngineService, rec: EngineStepRecord) => void) {
  const svc = new EngineService(1000);
  svc.configure(setup(numPages));
  await svc.loadModel('m', simulatedModel('llama-3-8b', 'h100', 4096));
  svc.startWorkload(workload(numRequests));
  const engine = svc.currentEngine!;
  const records: EngineStepRecord[] = [];
  const t0 = performance.now();
  while (engine.numUnfinished > 0) {
    const rec = await engine.step();
    if (!rec) continue;
    records.push(rec);
    onStep?.(svc, rec);
  }
  const wallMs = performance.now() - t0;
  svc.flush();
  return { svc, records, wallMs };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

/** Page counts the mirror shows: used (ref > 0), cached-free, empty-free (page 0 excluded). */
function mirrorCounts(d: Int32Array, numPages: number) {
  let used = 0, cachedFree = 0, emptyFree = 0;
  for (let p = 1; p < numPages; p++) {
    const f = d[MIRROR_HEADER + p * PAGE_FIELDS + 5]!;
    if (f & PAGE_FLAG.free) (f & PAGE_FLAG.cached ? cachedFree++ : emptyFree++);
    else used++;
  }
  return { used, cachedFree, emptyFree };
}

describe('telemetry overhead (simulated backend)', () => {
  test(`records telemetryMs per step; reports its share of the engine's CPU time at ${NUM_PAGES - 1} pages`, async () => {
    const { svc, records, wallMs } = await run(NUM_PAGES, 600);
    expect(records.length).toBeGreaterThan(100);
    for (const r of records) {
      expect(Number.isFinite(r.telemetryMs)).toBe(true);
      expect(Number.isFinite(r.cpuMs)).toBe(true);
      expect(r.telemetryMs).toBeGreaterThanOrEqual(0);
      expect(r.telemetryMs).toBeLessThanOrEqual(r.cpuMs);
      const p = r.poolAfter!;
      expect(p.numUsedPages + p.numCachedFreePages + p.numEmptyFreePages).toBe(p.numUsablePages);
    }
    const tel = sum(records.map((r) => r.telemetryMs));
    const cpu = sum(records.map((r) => r.cpuMs));
    // The mirror alone, as the service runs it after a step (same engine state, repeated).
    const engine = svc.currentEngine!;
    const mirror = new PoolMirror(NUM_PAGES, false);
    const reps = 50;
    const m0 = performance.now();
    for (let i = 0; i < reps; i++) mirror.update(engine);
    const fullMirrorMs = (performance.now() - m0) / reps;
    const busy = records.filter((r) => r.batch.length > 0);
    const gpu = sum(records.map((r) => r.gpuMs));
    console.log(
      `[telemetry-overhead] ${records.length} steps, ${NUM_PAGES - 1} pages, peak ${Math.max(...records.map((r) => r.pool.numUsedPages))} used, ` +
        `peak ${Math.max(...records.map((r) => r.numRunning))} running; wall ${wallMs.toFixed(0)} ms | ` +
        `telemetry ${tel.toFixed(1)} ms of ${cpu.toFixed(1)} ms engine CPU = ${((100 * tel) / cpu).toFixed(1)}% ` +
        `(median per step ${median(busy.map((r) => r.telemetryMs)).toFixed(3)} of ${median(busy.map((r) => r.cpuMs)).toFixed(3)} ms) | ` +
        `of step time (engine CPU + modelled H100 GPU time) ${((100 * tel) / (cpu + gpu)).toFixed(2)}% | ` +
        `a full mirror rewrite (what every step did before updateStep) ${fullMirrorMs.toFixed(3)} ms`,
    );
  }, 120_000);

  test('the pool mirror agrees with the pool after every step', async () => {
    let checked = 0;
    const { records } = await run(513, 80, (svc, rec) => {
      const eng = svc.currentEngine!;
      const d = (svc as unknown as { mirror: PoolMirror }).mirror.data;
      const fresh = new PoolMirror(513, false);
      for (const id of (svc as unknown as { mirror: PoolMirror }).mirror.requestIds) fresh.requestNumber(id);
      fresh.update(eng);
      // Identical to a full rewrite from the pool (the header's version counter aside).
      expect(Array.from(d.subarray(MIRROR_HEADER))).toEqual(Array.from(fresh.data.subarray(MIRROR_HEADER)));
      const c = mirrorCounts(d, 513);
      const p = rec.poolAfter!;
      expect([c.used, c.cachedFree, c.emptyFree]).toEqual([p.numUsedPages, p.numCachedFreePages, p.numEmptyFreePages]);
      checked++;
    });
    expect(checked).toBeGreaterThan(50);
    // The workload exercised what makes incremental updates hard: preemption (pages freed mid-run),
    // prefix-cache hits (shared pages), n > 1 forks (copies), and cached pages evicted for reuse.
    const total = (f: (r: EngineStepRecord) => number) => sum(records.map(f));
    expect(total((r) => r.numPreempted)).toBeGreaterThan(0);
    expect(total((r) => r.pageEvents.hit)).toBeGreaterThan(0);
    expect(total((r) => r.pageEvents.copied)).toBeGreaterThan(0);
    expect(total((r) => r.pageEvents.evicted)).toBeGreaterThan(0);
  }, 60_000);
});
