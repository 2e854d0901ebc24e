/**
 * The engine runs step N's telemetry (request events, step listeners) while the GPU executes step N+1.
 * A runner that calls whileGpuRuns stands in for the GPU runner (the simulated runner never does, so its
 * telemetry stays on the critical path); these tests check what the overlap may and may not change.
 */
import { describe, expect, test } from 'vitest';
import { Engine } from '../../../src/engine/engine';
import { VirtualClock } from '../../../src/engine/clock';
import { SimulatedRunner } from '../../../src/engine/simulated/simulated-runner';
import { MODEL_SHAPES } from '../../../src/engine/simulated/cost-model';
import { GPU_SPECS } from '../../../src/engine/simulated/gpu-specs';
import type { ModelRunner, StepResult } from '../../../src/engine/runner';
import type { SchedulerOutput } from '../../../src/scheduler';
import type { EngineStepRecord, RequestEvent } from '../../../src/engine/telemetry';

const shape = MODEL_SHAPES['llama-3-8b']!;
const layout = { numLayers: shape.numLayers, numKvHeads: shape.numKvHeads, headDim: shape.headDim, elementBytes: 2 };
const pageBytes = 16 * 2 * 32 * 8 * 128 * 2;

/**
 * The simulated runner's tokens, but "submitted" first: whileGpuRuns is called as the GPU runner does, so
 * the engine also pipelines its steps. Its results arrive a macrotask later, as a GPU readback does.
 */
class ShadowRunner implements ModelRunner {
  readonly kind = 'gpu' as const;
  /** Scheduler steps submitted and not yet resolved. */
  readonly inFlight = new Set<number>();
  constructor(readonly inner: SimulatedRunner) {}
  get sessionId() {
    return this.inner.sessionId;
  }
  /** The latest step in flight, 0 for none. */
  get executing(): number {
    return Math.max(0, ...this.inFlight);
  }
  async execute(out: SchedulerOutput, whileGpuRuns?: () => void): Promise<StepResult> {
    this.inFlight.add(out.step);
    const res = this.inner.execute(out);
    whileGpuRuns?.();
    await new Promise((r) => setTimeout(r, 0));
    this.inFlight.delete(out.step);
    return res;
  }
  dispose() {}
}

function setup(overlap: boolean, n = 1) {
  const clock = new VirtualClock();
  const engine = new Engine(clock, { numPages: 257, pageBytes, scheduler: { tenants: [{ id: 'a' }], maxNumBatchedTokens: 512, maxNumSeqs: 32 } });
  engine.overlapTelemetry = overlap;
  const runner = new ShadowRunner(new SimulatedRunner('m', shape, GPU_SPECS['h100']!, clock, { weightBytesPerParam: 2, kvBytesPerElement: 2 }, [2]));
  engine.addSession({ id: 'm', layout, maxModelLen: 2048, eosTokenIds: [2], runner });
  const heard: Array<{ e: RequestEvent; during: number }> = [];
  const stepsSeen: Array<{ rec: EngineStepRecord; during: number }> = [];
  engine.onStep((rec) => stepsSeen.push({ rec, during: runner.executing }));
  for (let i = 0; i < 6; i++) {
    engine.submit(
      { requestId: `r${i}`, tenant: 'a', model: 'm', promptTokenIds: Array.from({ length: 5 + 7 * i }, (_, k) => 3 + k), maxTokens: 4 + i, sampling: { seed: i }, n },
      (e) => heard.push({ e, during: runner.executing }),
    );
  }
  return { engine, runner, heard, stepsSeen };
}

async function runToEnd(engine: Engine) {
  const records: EngineStepRecord[] = [];
  while (engine.numUnfinished > 0) {
    const rec = await engine.step();
    if (rec) records.push(rec);
  }
  return records;
}

/** Each request's events as a compact string, to compare runs. */
function perRequest(heard: Array<{ e: RequestEvent }>) {
  const m = new Map<string, string[]>();
  for (const { e } of heard) {
    const root = e.requestId.split('#')[0]!;
    const s = e.kind === 'token' ? `${e.requestId}:t${e.tokenIds.join('.')}` : `${e.requestId}:${e.kind}`;
    m.set(root, [...(m.get(root) ?? []), s]);
  }
  return m;
}

describe('telemetry in the GPU shadow', () => {
  test('a step`s telemetry runs while a later step is on the GPU; the last step`s before step() returns', async () => {
    const { engine, stepsSeen } = setup(true);
    const records = await runToEnd(engine);
    expect(records.length).toBeGreaterThan(3);
    // Listeners hear every step once, in order; step() returns them too, but a call that also completes
    // the step launched ahead of the end returns only the later one.
    const heard = stepsSeen.map((s) => s.rec.index);
    expect(heard).toEqual(Array.from({ length: heard.length }, (_, i) => i + 1));
    expect(heard.at(-1)).toBe(records.at(-1)!.index);
    expect(records.length).toBeGreaterThanOrEqual(heard.length - 1);
    // Each step is heard while a later one is on the "GPU" (the last two may find it done already: the
    // step launched ahead of the end can finish first), and the last one at once.
    for (const s of stepsSeen.slice(0, -2)) expect(s.during, `step ${s.rec.index}`).toBeGreaterThan(s.rec.index);
    expect(stepsSeen.at(-1)!.during).toBe(0);
    const all = stepsSeen.map((s) => s.rec);
    expect(all.slice(0, -2).every((r) => r.overlappedMs !== undefined && r.overlappedMs <= r.telemetryMs)).toBe(true);
    expect(all.at(-1)!.overlappedMs).toBeUndefined();
  });

  test('pipelined steps: the next step is submitted before the last one`s tokens are read back, and tokens equal serial steps`', async () => {
    const a = setup(true);
    const b = setup(true);
    b.engine.pipelineSteps = false;
    let maxInFlight = 0;
    a.engine.onStep(() => (maxInFlight = Math.max(maxInFlight, a.runner.inFlight.size)));
    const ra = await runToEnd(a.engine);
    const rb = await runToEnd(b.engine);
    expect(perRequest(a.heard)).toEqual(perRequest(b.heard));
    expect(maxInFlight).toBe(2);
    // Fewer wall steps are not the point here (the simulated clock is virtual); every request ended.
    expect(a.heard.filter((h) => h.e.kind === 'finished')).toHaveLength(6);
    expect(ra.length).toBeGreaterThan(0);
    expect(rb.length).toBeGreaterThan(0);
  });

  test('listeners hear the same events in the same order with and without the overlap, n > 1 included', async () => {
    for (const n of [1, 3]) {
      const a = setup(true, n);
      const b = setup(false, n);
      b.engine.pipelineSteps = false;
      await runToEnd(a.engine);
      await runToEnd(b.engine);
      expect(perRequest(a.heard)).toEqual(perRequest(b.heard));
      expect(a.heard.filter((h) => h.e.kind === 'finished')).toHaveLength(6 * n);
      // Without the overlap (and without pipelining) nothing is heard during a later step's GPU time.
      expect(b.heard.every((h) => h.during === 0 || h.e.kind === 'queued')).toBe(true);
      expect(a.heard.some((h) => h.during > 0)).toBe(true);
    }
  });

  test('a cancel between steps delivers the held-back tokens first, then the end', async () => {
    const { engine, heard } = setup(true);
    await engine.step();
    await engine.step();
    await engine.step();
    expect(engine.cancel('r5')).toBe(true);
    const mine = heard.filter((h) => h.e.requestId === 'r5').map((h) => h.e.kind);
    expect(mine.at(-1)).toBe('finished');
    expect(mine.filter((k) => k === 'finished')).toHaveLength(1);
    await runToEnd(engine);
    expect(heard.filter((h) => h.e.kind === 'finished')).toHaveLength(6);
  });

  test('flushTelemetry hands over a paused engine`s last step at once', async () => {
    const { engine, stepsSeen } = setup(true);
    const rec = await engine.step();
    await engine.step();
    expect(stepsSeen.map((s) => s.rec.index)).toEqual([rec!.index]);
    engine.flushTelemetry();
    expect(stepsSeen).toHaveLength(2);
  });

  test('a listener that throws in the shadow fails the step after its update is applied; nothing is lost', async () => {
    const { engine, heard } = setup(true);
    let armed = true;
    engine.onStep(() => {
      if (armed) {
        armed = false;
        throw new Error('listener bug');
      }
    });
    await engine.step();
    await expect(engine.step()).rejects.toThrow('listener bug');
    await runToEnd(engine);
    expect(heard.filter((h) => h.e.kind === 'finished')).toHaveLength(6);
  });
});
