// The engine on the GPU backend: a synthetic model through the real forward pass, many requests,
// determinism, telemetry that agrees with the pool, and text streaming through a tokenizer.
import { describe, expect } from 'vitest';
import { gpuTest, sharedGpu } from './harness';
import { acquireGpu, type GpuContext } from '../../src/gpu';
import { EngineService, type EngineSetup } from '../../src/engine/service';
import { gpuModel } from '../../src/engine/gpu-models';
import type { RequestEvent } from '../../src/engine/telemetry';
import { syntheticWeights, validateConfig, type ModelConfig } from '../../src/model';
import { mulberry32 } from '../util/rng';

const CONFIG: ModelConfig = validateConfig({
  name: 'random tiny Llama',
  dim: 64, hiddenDim: 96, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16, vocabSize: 101, maxSeqLen: 256,
  rmsNormEps: 1e-5, ropeTheta: 10000, ropeConvention: 'rotate-half', tiedEmbeddings: false, bosId: 1, eosIds: [2],
});

function setup(): EngineSetup {
  return {
    backend: { kind: 'gpu' },
    numPages: 64,
    tokensPerPage: 16,
    scheduler: { tenants: [{ id: 'a' }, { id: 'b' }], maxNumBatchedTokens: 64, maxNumSeqs: 16 },
  };
}

async function service() {
  const s = new EngineService(10, sharedGpu);
  s.configure(setup());
  const info = await s.loadModel('tiny', gpuModel(sharedGpu, async () => ({ weights: syntheticWeights(CONFIG, { seed: 3 }) })));
  return { s, info };
}

/** 50 seeded requests of mixed lengths from two tenants; a tenth sample with temperature. */
function workload(seed: number) {
  const r = mulberry32(seed);
  return Array.from({ length: 50 }, (_, i) => ({
    requestId: `r${i}`,
    tenant: r() < 0.5 ? 'a' : 'b',
    model: 'tiny',
    promptTokenIds: Array.from({ length: 1 + Math.floor(r() * 40) }, () => 3 + Math.floor(r() * 90)),
    maxTokens: 1 + Math.floor(r() * 6),
    sampling: i % 10 === 0 ? { temperature: 0.8, topP: 0.9, seed: i } : { seed: i },
  }));
}

async function runAll(s: EngineService, specs: ReturnType<typeof workload>) {
  const ends = new Map<string, string>();
  const tokens = new Map<string, number[]>();
  for (const spec of specs) {
    s.submit(spec, (e: RequestEvent) => {
      if (e.kind === 'token') tokens.set(e.requestId, [...(tokens.get(e.requestId) ?? []), ...e.tokenIds]);
      if (e.kind === 'finished') ends.set(e.requestId, `${e.reason}${e.detail ? `: ${e.detail}` : ''}`);
    });
  }
  const engine = s.currentEngine!;
  const records = [];
  let launchedAhead = 0;
  while (engine.numUnfinished > 0) {
    const rec = await engine.step();
    if (rec) records.push(rec);
    if (engine.hasStepInFlight) launchedAhead++;
  }
  expect(engine.hasStepInFlight).toBe(false);
  return { ends, tokens, records, launchedAhead };
}

describe('engine on the GPU backend', () => {
  gpuTest('50 seeded requests all finish; telemetry agrees with the pool; the same seed gives the same tokens, pipelined or not', async () => {
    const runs = [];
    // Runs 0 and 1 pipelined (step N+1 submitted before N is read back, its inputs fed on the GPU); run 2 serial.
    for (let k = 0; k < 3; k++) {
      const { s, info } = await service();
      s.currentEngine!.pipelineSteps = k < 2;
      expect(info.kind).toBe('gpu');
      expect(info.tokensPerPage).toBe(16);
      const run = await runAll(s, workload(21));
      expect(run.ends.size).toBe(50);
      for (const [id, end] of run.ends) expect(end, id).toMatch(/^(length|stop)/);
      for (const rec of run.records) {
        const p = rec.pool;
        expect(p.numUsedPages + p.numCachedFreePages + p.numEmptyFreePages).toBe(p.numUsablePages);
        expect(rec.timing).not.toBe('simulated');
        // A pipelined step may find nothing to run (every request waits for its token in flight).
        if (rec.batch.length) expect(rec.gpuMs).toBeGreaterThan(0);
      }
      const steps = run.records.map((r) => r.batch.map((b) => `${b.requestId}+${b.numTokens}`).join(','));
      runs.push({ tokens: [...run.tokens.entries()].sort(), steps, launchedAhead: run.launchedAhead });
      s.configure(setup()); // releases the GPU pool and the model
    }
    expect(runs[1]!.tokens).toEqual(runs[0]!.tokens);
    expect(runs[1]!.steps).toEqual(runs[0]!.steps);
    expect(runs[2]!.tokens).toEqual(runs[0]!.tokens);
    expect(runs[0]!.launchedAhead).toBeGreaterThan(10);
    expect(runs[2]!.launchedAhead).toBe(0);
  });

  gpuTest('a text prompt without a tokenizer is rejected with the reason', async () => {
    const { s } = await service();
    const ends: string[] = [];
    s.submitText({ requestId: 't', tenant: 'a', model: 'tiny', prompt: 'hello', maxTokens: 3 }, (e) => e.kind === 'finished' && ends.push(e.detail ?? ''));
    expect(ends).toEqual(['model "tiny" has no tokenizer; send token ids']);
    s.configure(setup());
  });

  gpuTest('device lost mid-run: the engine says so, reloads the model on a new device, requeues, and every request finishes', async () => {
    let current: GpuContext | null = null;
    let numDevices = 0;
    const provider = async () => {
      if (!current) {
        current = await acquireGpu(navigator.gpu, { label: `lost-test-${++numDevices}` });
        const mine = current;
        void mine.lost.then(() => current === mine && (current = null));
      }
      return current;
    };
    const s = new EngineService(10, provider);
    s.configure(setup());
    await s.loadModel('tiny', gpuModel(provider, async () => ({ weights: syntheticWeights(CONFIG, { seed: 3 }) })));
    const notices: string[] = [];
    let loopError = "";
    s.subscribe((b) => {
      notices.push(...(b.notices ?? []));
      if (b.error) loopError = b.error;
    });
    const ends = new Map<string, string>();
    const preempted: string[] = [];
    let numTokens = 0;
    for (const spec of workload(5).slice(0, 12)) {
      s.submit({ ...spec, maxTokens: 6 }, (e) => {
        if (e.kind === 'token') numTokens++;
        if (e.kind === 'preempted') preempted.push(`${e.requestId}:${e.reason}`);
        if (e.kind === 'finished') ends.set(e.requestId, e.reason);
      });
    }
    s.run();
    while (numTokens < 4) await new Promise((r) => setTimeout(r, 5));
    current!.device.destroy();
    const deadline = performance.now() + 90_000;
    while (ends.size < 12 && performance.now() < deadline && s.loopState !== 'failed') await new Promise((r) => setTimeout(r, 20));
    s.flush();
    expect(s.loopState, loopError).not.toBe("failed");
    expect(ends.size).toBe(12);
    for (const [id, reason] of ends) expect(reason, id).toMatch(/^(length|stop)$/);
    expect(numDevices).toBe(2);
    expect(preempted.length).toBeGreaterThan(0);
    expect(preempted.every((p) => p.endsWith(':device-lost'))).toBe(true);
    expect(notices.join('\n')).toMatch(/GPU device lost \(destroyed\).*requeued \d+ running request\(s\) for recompute; reloading 1 model/);
    s.pause();
    s.configure(setup());
  });

  /** Greedy outputs of `specs` on an engine with `numPages` pages and the given preemption mode. */
  async function greedyUnder(numPages: number, preemptionMode: 'recompute' | 'swap', specs: Array<{ id: string; prompt: number[]; n?: number }>) {
    const s = new EngineService(10, sharedGpu);
    s.configure({ ...setup(), numPages, scheduler: { tenants: [{ id: 'a' }], maxNumBatchedTokens: 64, maxNumSeqs: 8, preemptionMode, numHostSwapPages: 64, enablePrefixCaching: false } });
    await s.loadModel('tiny', gpuModel(sharedGpu, async () => ({ weights: syntheticWeights(CONFIG, { seed: 3 }) }), { maxModelLen: 128 }));
    const out = new Map<string, number[]>();
    const preempted: string[] = [];
    for (const spec of specs) {
      s.submit({ requestId: spec.id, tenant: 'a', model: 'tiny', promptTokenIds: spec.prompt, maxTokens: 24, n: spec.n ?? 1, sampling: { temperature: 0 } }, (e) => {
        if (e.kind === 'token') out.set(e.requestId, [...(out.get(e.requestId) ?? []), ...e.tokenIds]);
        if (e.kind === 'preempted') preempted.push(`${e.requestId}:${e.mode}`);
      });
    }
    const engine = s.currentEngine!;
    while (engine.numUnfinished > 0) await engine.step();
    s.configure(setup());
    return { out, preempted };
  }

  gpuTest('under memory pressure, swap and recompute preemption give the same tokens as an unpressured run; n = 2 forks share the prompt (copy-on-write)', async () => {
    const r = mulberry32(77);
    const specs = Array.from({ length: 6 }, (_, i) => ({ id: `p${i}`, prompt: Array.from({ length: 20 + 7 * i }, () => 3 + Math.floor(r() * 90)) }));
    const free = await greedyUnder(64, 'recompute', specs);
    expect(free.preempted).toEqual([]);
    // 13 pages (12 usable) of 16 tokens hold 192 tokens; the six requests want up to 6 x ~79.
    for (const mode of ['swap', 'recompute'] as const) {
      const tight = await greedyUnder(13, mode, specs);
      expect(tight.preempted.length, `${mode}: preemptions happened`).toBeGreaterThan(0);
      expect(tight.preempted.every((p) => p.endsWith(`:${mode}`)), tight.preempted.join(',')).toBe(true);
      expect(new Map([...tight.out].sort()), mode).toEqual(new Map([...free.out].sort()));
    }
    // Greedy n = 2: both samples equal the single-sample output (the fork copies the shared partial page).
    const forked = await greedyUnder(64, 'recompute', [{ ...specs[1]!, n: 2 }]);
    expect(forked.out.get('p1')).toEqual(free.out.get('p1'));
    expect(forked.out.get('p1#1')).toEqual(free.out.get('p1'));
  });

  gpuTest('a pool larger than the device can bind is refused with the size that fits; nothing else is affected', async ({ ctx }) => {
    const s = new EngineService(10, sharedGpu);
    // 2 layers x 2 kv heads x 16 dims x 2 (K, V) x 4 B = 512 B per token; 16 tokens = 8 KiB pages.
    const pageBytes = 8192;
    const numPages = Math.floor(ctx.limits.maxStorageBufferBindingSize / pageBytes) + 10;
    s.configure({ ...setup(), numPages });
    const err = await s.loadModel('tiny', gpuModel(sharedGpu, async () => ({ weights: syntheticWeights(CONFIG, { seed: 3 }) }))).catch((e: Error) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toMatch(new RegExp(`exceeds this GPU's largest storage buffer .*; at most ${numPages - 10} pages fit`));
    // The engine still works with a pool that fits.
    s.configure(setup());
    await s.loadModel('tiny', gpuModel(sharedGpu, async () => ({ weights: syntheticWeights(CONFIG, { seed: 3 }) })));
    expect(s.listSessions().map((x) => x.id)).toEqual(['tiny']);
    s.configure(setup());
  });
});
