// The engine in a REAL module worker, driven through comlink exactly as the UI drives it
// (src/ui/engine-client.ts): configure the GPU backend, load a synthetic model through the worker's
// loadModel, submit 50 seeded requests of mixed lengths with comlink-proxied listeners, run, and check:
// - every request finishes (length or stop);
// - two runs (two fresh workers, same seed) give identical tokens and identical schedules (the batch
//   composition of every step record in the telemetry batches);
// - telemetry invariants: in every step record used + cached-free + empty-free = usable pages, both when
//   the step was scheduled and after its update; and the pool mirror (the batch's poolCopy, or the shared
//   mirror when the page is cross-origin isolated) shows exactly the page counts of the last record's
//   post-update pool.
import * as Comlink from 'comlink';
import { describe, expect, test } from 'vitest';
import type { EngineApi } from '../../src/engine/worker';
import type { EngineSetup, TelemetryBatch } from '../../src/engine/service';
import type { EngineStepRecord, RequestEvent } from '../../src/engine/telemetry';
import type { PoolUsage } from '../../src/kv';
import { MIRROR_HEADER, PAGE_FIELDS, PAGE_FLAG } from '../../src/engine/pool-mirror';
import { TINY_SYNTHETIC } from '../../src/engine/model-sources';
import { mulberry32 } from '../util/rng';

const NUM_PAGES = 64;

const SETUP: EngineSetup = {
  backend: { kind: 'gpu' },
  numPages: NUM_PAGES,
  tokensPerPage: 16,
  scheduler: { tenants: [{ id: 'a' }, { id: 'b' }], maxNumBatchedTokens: 64, maxNumSeqs: 16, enablePrefixCaching: true },
};

/** 50 seeded requests of mixed lengths from two tenants; every tenth samples with temperature. */
function workload(seed: number) {
  const r = mulberry32(seed);
  const vocab = TINY_SYNTHETIC.vocabSize;
  const shared = Array.from({ length: 16 }, () => 3 + Math.floor(r() * (vocab - 3)));
  return Array.from({ length: 50 }, (_, i) => {
    const body = Array.from({ length: 1 + Math.floor(r() * 24) }, () => 3 + Math.floor(r() * (vocab - 3)));
    return {
      requestId: `r${i}`,
      tenant: r() < 0.5 ? 'a' : 'b',
      model: 'tiny',
      // A third start with a shared 16-token prefix (one full page) (prefix-cache hits: shared pages in the pool).
      promptTokenIds: i % 3 === 0 ? [...shared, ...body] : body,
      maxTokens: 1 + Math.floor(r() * 4),
      sampling: i % 10 === 0 ? { temperature: 0.8, topP: 0.9, seed: i } : { seed: i },
    };
  });
}

/** Page counts the mirror shows (page 0, the reserved NULL page, excluded). */
function mirrorCounts(d: Int32Array): [number, number, number] {
  let used = 0, cachedFree = 0, emptyFree = 0;
  for (let p = 1; p < NUM_PAGES; p++) {
    const f = d[MIRROR_HEADER + p * PAGE_FIELDS + 5]!;
    if (f & PAGE_FLAG.free) (f & PAGE_FLAG.cached ? cachedFree++ : emptyFree++);
    else used++;
  }
  return [used, cachedFree, emptyFree];
}

const counts = (p: PoolUsage): [number, number, number] => [p.numUsedPages, p.numCachedFreePages, p.numEmptyFreePages];

async function until(what: string, cond: () => boolean, timeoutMs = 90_000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function runInWorker(seed: number) {
  const worker = new Worker(new URL('../../src/engine/worker.ts', import.meta.url), { type: 'module', name: 'engine-test' });
  const api = Comlink.wrap<EngineApi>(worker);
  try {
    const status = await api.gpuStatus();
    expect(status.available, JSON.stringify(status)).toBe(true);
    const batches: TelemetryBatch[] = [];
    await api.subscribe(Comlink.proxy((b: TelemetryBatch) => void batches.push(b)));
    const epoch = await api.configure(SETUP);
    const info = await api.loadModel('tiny', { kind: 'synthetic', preset: 'tiny', seed: 3 }, undefined, 256);
    expect(info.kind).toBe('gpu');
    expect(info.tokensPerPage).toBe(16);

    const tokens = new Map<string, number[]>();
    const ends = new Map<string, string>();
    const specs = workload(seed);
    for (const spec of specs) {
      await api.submit(
        spec,
        Comlink.proxy((e: RequestEvent) => {
          if (e.kind === 'token') tokens.set(e.requestId, [...(tokens.get(e.requestId) ?? []), ...e.tokenIds]);
          if (e.kind === 'finished') ends.set(e.requestId, `${e.reason}${e.detail ? `: ${e.detail}` : ''}`);
        }),
      );
    }
    const t0 = performance.now();
    await api.run();
    // Telemetry carries every step's record in the batch of its events, so once all 50 ends are in the
    // batches, so is every record.
    const telemetryEnds = () => batches.filter((b) => b.epoch === epoch).reduce((n, b) => n + b.events.filter((e) => e.kind === 'finished').length, 0);
    await until('50 finished requests in telemetry', () => telemetryEnds() >= specs.length && ends.size >= specs.length);
    const wallMs = performance.now() - t0;
    const mine = batches.filter((b) => b.epoch === epoch);
    for (const b of mine) expect(b.error, 'loop error').toBeUndefined();
    const shared = await api.sharedPoolMirror();
    const report = await api.metrics();
    return { tokens, ends, batches: mine, shared, report, wallMs };
  } finally {
    api[Comlink.releaseProxy]();
    worker.terminate();
  }
}

function checkTelemetry(batches: TelemetryBatch[], shared: Int32Array | null): EngineStepRecord[] {
  const records = batches.flatMap((b) => b.records);
  expect(records.length).toBeGreaterThan(0);
  records.forEach((rec, i) => {
    expect(rec.index).toBe(i + 1); // no record lost or duplicated across batches
    for (const p of [rec.pool, rec.poolAfter!]) {
      expect(p.numUsedPages + p.numCachedFreePages + p.numEmptyFreePages, `step ${rec.index}`).toBe(p.numUsablePages);
      expect(p.numUsablePages).toBe(NUM_PAGES - 1);
    }
    expect(rec.timing).not.toBe('simulated');
    expect(Number.isFinite(rec.telemetryMs) && rec.telemetryMs >= 0 && rec.telemetryMs <= rec.cpuMs).toBe(true);
  });
  // The mirror after a batch's last step is the pool after that step's update.
  let numCopies = 0;
  for (const b of batches) {
    if (!b.poolCopy || b.records.length === 0) continue;
    expect(mirrorCounts(b.poolCopy), `batch ending at step ${b.records.at(-1)!.index}`).toEqual(counts(b.records.at(-1)!.poolAfter!));
    numCopies++;
  }
  if (shared) expect(mirrorCounts(shared)).toEqual(counts(records.at(-1)!.poolAfter!));
  else expect(numCopies).toBeGreaterThan(0);
  // Everything finished: the last step's update left no page in use.
  expect(records.at(-1)!.poolAfter!.numUsedPages).toBe(0);
  return records;
}

describe('engine in a real worker (comlink)', () => {
  test('50 seeded requests finish; same seed, same tokens and schedule; telemetry agrees with the pool', async () => {
    const runs = [];
    for (let k = 0; k < 2; k++) {
      const run = await runInWorker(21);
      expect(run.ends.size).toBe(50);
      for (const [id, end] of run.ends) expect(end, id).toMatch(/^(length|stop)\b/);
      const records = checkTelemetry(run.batches, run.shared);
      expect(records.reduce((n, r) => n + r.pageEvents.hit, 0), 'prefix-cache hits').toBeGreaterThan(0);
      expect(run.report.overall.numCompleted).toBe(50);
      const steps = records.map((r) => r.batch.map((b) => `${b.requestId}${b.isPrefill ? 'p' : 'd'}${b.positionStart}+${b.numTokens}`).join(','));
      runs.push({ tokens: [...run.tokens.entries()].sort(), steps });
      const o = run.report.overall;
      const tel = records.reduce((n, r) => n + r.telemetryMs, 0);
      const cpu = records.reduce((n, r) => n + r.cpuMs, 0);
      const wall = records.reduce((n, r) => n + (r.endMs - r.startMs), 0);
      console.log(
        `[engine-worker] telemetry ${tel.toFixed(1)} ms = ${((100 * tel) / cpu).toFixed(1)}% of engine CPU (${cpu.toFixed(1)} ms), ` +
          `${((100 * tel) / (wall + tel)).toFixed(3)}% of step time (${(wall / records.length).toFixed(0)} ms per step)`,
      );
      console.log(
        `[engine-worker] run ${k + 1}: ${records.length} steps in ${run.wallMs.toFixed(0)} ms wall; TTFT p50 ${o.ttftMs.p50?.toFixed(1)} ms, ` +
          `E2E p50 ${o.e2eMs.p50?.toFixed(1)} ms; mirror ${run.shared ? 'shared memory' : 'copied per batch'}; ${run.batches.length} telemetry batches`,
      );
    }
    expect(runs[1]!.tokens.length).toBe(50);
    expect(runs[1]!.tokens).toEqual(runs[0]!.tokens);
    expect(runs[1]!.steps).toEqual(runs[0]!.steps);
  }, 240_000);

  test('calibrate(): a few GPU steps in the worker, a roofline fitted to them, labelled measured on this adapter', async () => {
    const worker = new Worker(new URL('../../src/engine/worker.ts', import.meta.url), { type: 'module', name: 'engine-calibrate' });
    const api = Comlink.wrap<EngineApi>(worker);
    try {
      const status = await api.gpuStatus();
      expect(status.available).toBe(true);
      const r = await api.calibrate({ tokenCounts: [1, 32], repetitions: 1 });
      expect(r.label).toMatch(/^measured on /);
      expect(r.adapter.length).toBeGreaterThan(0);
      expect(r.samples.length).toBeGreaterThanOrEqual(2);
      for (const s of r.samples) expect(s.ms > 0 && s.flops > 0 && s.bytes > 0).toBe(true);
      expect(r.level).toBe(r.timing === 'gpu-timestamp' ? 'kernel' : 'step');
      const f = r.fit;
      expect(f.achievedFlops !== null || f.achievedBandwidth !== null).toBe(true);
      expect(Number.isFinite(f.rmsRelError)).toBe(true);
      expect(f.efficiency).toBeNull(); // no peaks given: WebGPU does not report them
      console.log(
        `[engine-worker] calibrate (${r.level} samples, ${r.timing}) ${r.label}: ${r.samples.length} samples, ` +
          `achieved ${f.achievedFlops === null ? '-' : (f.achievedFlops / 1e9).toFixed(3)} GFLOP/s (${f.numComputeBound} compute-bound), ` +
          `${f.achievedBandwidth === null ? '-' : (f.achievedBandwidth / 1e9).toFixed(3)} GB/s (${f.numMemoryBound} memory-bound), ` +
          `overhead ${(f.overheadMsPerDispatch * 1e3).toFixed(1)} us/dispatch, rms rel. error ${(100 * f.rmsRelError).toFixed(1)}%`,
      );
    } finally {
      api[Comlink.releaseProxy]();
      worker.terminate();
    }
  }, 180_000);
});
