import { describe, expect, test } from 'vitest';
import { Engine, type EngineConfig } from '../../../src/engine/engine';
import { VirtualClock } from '../../../src/engine/clock';
import { SimulatedRunner } from '../../../src/engine/simulated/simulated-runner';
import { MODEL_SHAPES } from '../../../src/engine/simulated/cost-model';
import { GPU_SPECS } from '../../../src/engine/simulated/gpu-specs';
import type { EngineStepRecord, RequestEvent } from '../../../src/engine/telemetry';
import { mulberry32 } from '../../util/rng';

const shape = MODEL_SHAPES['llama-3-8b']!;
const layout = { numLayers: shape.numLayers, numKvHeads: shape.numKvHeads, headDim: shape.headDim, elementBytes: 2 };
// 16 tokens per page: 2 · 32 layers · 8 kv heads · 128 dims · 2 B = 128 KiB per token.
const pageBytes = 16 * 2 * 32 * 8 * 128 * 2;

function makeEngine(overrides: Partial<EngineConfig['scheduler']> = {}, numPages = 257) {
  const clock = new VirtualClock();
  const engine = new Engine(clock, {
    numPages,
    pageBytes,
    scheduler: { tenants: [{ id: 'a' }, { id: 'b' }], maxNumBatchedTokens: 512, maxNumSeqs: 32, ...overrides },
  });
  engine.addSession({
    id: 'm',
    layout,
    maxModelLen: 2048,
    eosTokenIds: [2],
    runner: new SimulatedRunner('m', shape, GPU_SPECS['h100']!, clock, { weightBytesPerParam: 2, kvBytesPerElement: 2 }, [2]),
  });
  return { engine, clock };
}

/** 50 seeded requests of mixed lengths, arriving over 2 s, from two tenants. */
function workload(seed: number) {
  const r = mulberry32(seed);
  return Array.from({ length: 50 }, (_, i) => ({
    requestId: `r${i}`,
    tenant: r() < 0.5 ? 'a' : 'b',
    model: 'm',
    promptTokenIds: Array.from({ length: 1 + Math.floor(r() * 300) }, () => 3 + Math.floor(r() * 1000)),
    maxTokens: 1 + Math.floor(r() * 64),
    arrivalTime: r() * 2000,
    sampling: { seed: i },
    n: i % 10 === 0 ? 2 : 1,
  }));
}

async function runToEnd(engine: Engine) {
  const records: EngineStepRecord[] = [];
  for (let guard = 0; engine.numUnfinished > 0; guard++) {
    if (guard > 100_000) throw new Error('engine did not finish');
    const rec = await engine.step();
    if (rec) records.push(rec);
  }
  return records;
}

describe('engine on the simulated backend', () => {
  test('50 seeded requests all finish, each listener hears its end, telemetry agrees with the pool', async () => {
    const { engine } = makeEngine();
    const ends = new Map<string, string>();
    const tokens = new Map<string, number[]>();
    for (const spec of workload(7)) {
      engine.submit(spec, (e: RequestEvent) => {
        if (e.kind === 'token') tokens.set(e.requestId, [...(tokens.get(e.requestId) ?? []), ...e.tokenIds]);
        if (e.kind === 'finished') ends.set(e.requestId, e.reason);
      });
    }
    const records = await runToEnd(engine);
    // 50 requests + one extra sample for each of the 5 with n = 2.
    expect(ends.size).toBe(55);
    expect([...ends.values()].every((r) => r === 'length')).toBe(true);
    for (const [id, toks] of tokens) expect(toks.length, id).toBeGreaterThan(0);
    for (const rec of records) {
      const p = rec.pool;
      expect(p.numUsedPages + p.numCachedFreePages + p.numEmptyFreePages, `step ${rec.index}`).toBe(p.numUsablePages);
      expect(rec.numPrefillTokens + rec.numDecodeTokens).toBe(rec.batch.reduce((s, b) => s + b.numTokens, 0));
      expect(rec.endMs).toBeGreaterThan(rec.startMs);
      expect(rec.timing).toBe('simulated');
      // The kernel split adds up to the step's modelled GPU time, which fits inside the step.
      expect(rec.kernels.reduce((s, k) => s + k.ms, 0), `step ${rec.index}`).toBeCloseTo(rec.gpuMs, 9);
      expect(rec.gpuMs).toBeLessThanOrEqual(rec.endMs - rec.startMs + 1e-9);
    }
    // With everything finished, every page is free (empty or cached).
    const last = engine.pagePool.usageSnapshot();
    expect(last.numUsedPages).toBe(0);
  });

  test('the same seed gives the same tokens and the same schedule', async () => {
    const runs = [];
    for (let k = 0; k < 2; k++) {
      const { engine } = makeEngine();
      const tokens: string[] = [];
      for (const spec of workload(11)) engine.submit(spec, (e) => e.kind === 'token' && tokens.push(`${e.requestId}:${e.tokenIds[0]}`));
      const records = await runToEnd(engine);
      runs.push({ tokens, schedule: records.map((r) => r.batch.map((b) => `${b.requestId}+${b.numTokens}`).join(',')), end: records.at(-1)!.endMs });
    }
    expect(runs[1]!.tokens).toEqual(runs[0]!.tokens);
    expect(runs[1]!.schedule).toEqual(runs[0]!.schedule);
    expect(runs[1]!.end).toBe(runs[0]!.end);
  });

  test('bad requests are rejected with a reason; others are unaffected', async () => {
    const { engine } = makeEngine();
    const ends: Record<string, { reason: string; detail: string | null }> = {};
    const listen = (id: string) => (e: RequestEvent) => e.kind === 'finished' && (ends[id] = { reason: e.reason, detail: e.detail });
    engine.submit({ requestId: 'ok', tenant: 'a', model: 'm', promptTokenIds: [5, 6, 7], maxTokens: 4 }, listen('ok'));
    engine.submit({ requestId: 'nomodel', tenant: 'a', model: 'zzz', promptTokenIds: [5], maxTokens: 4 }, listen('nomodel'));
    engine.submit({ requestId: 'notenant', tenant: 'q', model: 'm', promptTokenIds: [5], maxTokens: 4 }, listen('notenant'));
    engine.submit({ requestId: 'toolong', tenant: 'a', model: 'm', promptTokenIds: new Array(4096).fill(9), maxTokens: 4 }, listen('toolong'));
    await runToEnd(engine);
    expect(ends['ok']!.reason).toBe('length');
    expect(ends['nomodel']).toEqual({ reason: 'rejected', detail: expect.stringContaining('unknown model "zzz"') });
    expect(ends['notenant']).toEqual({ reason: 'rejected', detail: expect.stringContaining('unknown tenant "q"') });
    expect(ends['toolong']).toEqual({ reason: 'rejected', detail: expect.stringContaining('max_model_len') });
  });

  test('cancel frees the pages at once and disturbs nobody else', async () => {
    const { engine } = makeEngine();
    const ends: Record<string, string> = {};
    for (const [id, tok] of [['x', 7], ['y', 8]] as const) {
      engine.submit({ requestId: id, tenant: 'a', model: 'm', promptTokenIds: new Array(100).fill(tok), maxTokens: 50 }, (e) => e.kind === 'finished' && (ends[id] = e.reason));
    }
    await engine.step();
    await engine.step();
    const before = engine.pagePool.usageSnapshot().numUsedPages;
    expect(engine.cancel('x')).toBe(true);
    const after = engine.pagePool.usageSnapshot().numUsedPages;
    // x held ceil(102 / 16) = 7 pages (prompt + 2 tokens); its 6 full pages stay cached-free, not used.
    expect(after).toBe(before - 7);
    expect(ends['x']).toBe('cancelled');
    await runToEnd(engine);
    expect(ends['y']).toBe('length');
  });

  test('the virtual clock advances by the modelled step time (decode is memory-bound)', async () => {
    const { engine } = makeEngine();
    engine.submit({ requestId: 'd', tenant: 'a', model: 'm', promptTokenIds: [4, 5, 6, 7], maxTokens: 3 });
    await engine.step(); // prefill
    const rec = (await engine.step())!; // one decode token
    // Llama-3-8B decode reads ~16 GB of bf16 weights: at 3.35 TB/s x 0.8, about 6 ms.
    expect(rec.endMs - rec.startMs).toBeGreaterThan(4);
    expect(rec.endMs - rec.startMs).toBeLessThan(9);
  });
});
