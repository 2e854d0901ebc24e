/**
 * What the playground's default scenario and lessons ask of the engine service: text prompts with
 * decoded text in telemetry, a closed-loop workload, n > 1 requests submitted as one request, a tagged
 * gang or independent requests, token text in block tables, and the pool tooltip's pageInfo().
 */
import { describe, expect, test } from 'vitest';
import { EngineService, splitParallel, type EngineSetup, type RunnerFactory, type TelemetryBatch } from '../../../src/engine/service';
import { simulatedModel } from '../../../src/engine/simulated/simulated-model';
import type { Tokenizer } from '../../../src/model/tokenizer';
import type { WorkloadConfig } from '../../../src/workload';

/** Bytes as ids 3..258 (like the built-in model's tokenizer); other ids show as <id>. */
const byteTokenizer: Tokenizer = {
  kind: 'hf',
  vocabSize: 259,
  bosId: 1,
  eosId: 2,
  encode: (text, opts) => [...((opts?.bos ?? true) ? [1] : []), ...[...new TextEncoder().encode(text)].map((b) => b + 3)],
  decode: (ids) => ids.map((id) => byteTokenizer.tokenText(id)).join(''),
  streamDecoder: () => ({ push: (id: number) => byteTokenizer.tokenText(id), flush: () => '' }),
  tokenText: (id) => (id >= 3 && id < 259 ? String.fromCharCode(id - 3) : `<${id}>`),
};

/** A simulated model that has a tokenizer, so text prompts work without a GPU. */
function withTokenizer(f: RunnerFactory): RunnerFactory {
  return { backend: f.backend, describe: async () => ({ ...(await f.describe()), tokenizer: byteTokenizer }), create: (env) => f.create(env) };
}

const setup = (over: Partial<EngineSetup['scheduler']> = {}, numPages = 257): EngineSetup => ({
  backend: { kind: 'simulated', gpu: 'h100' },
  numPages,
  tokensPerPage: 16,
  scheduler: { tenants: [{ id: 'a' }], maxNumBatchedTokens: 512, maxNumSeqs: 32, ...over },
});

const workload = (over: Partial<WorkloadConfig> = {}): WorkloadConfig => ({
  seed: 4,
  numRequests: 12,
  arrival: { kind: 'poisson', rate: 50 },
  promptLength: { kind: 'uniform', min: 8, max: 40 },
  outputLength: { kind: 'uniform', min: 4, max: 24 },
  vocabSize: 259,
  firstTokenId: 3,
  model: 'm',
  tenants: [{ name: 'a', weight: 1 }],
  ...over,
});

async function runAll(svc: EngineService, want: number): Promise<TelemetryBatch[]> {
  const batches: TelemetryBatch[] = [];
  let done = 0;
  svc.subscribe((b) => {
    batches.push(b);
    done += b.events.filter((e) => e.kind === 'finished').length;
  });
  svc.setSpeed(Infinity);
  svc.run();
  const t0 = Date.now();
  while (done < want) {
    if (Date.now() - t0 > 20_000) throw new Error(`only ${done} of ${want} finished`);
    await new Promise((r) => setTimeout(r, 5));
  }
  svc.pause();
  svc.flush();
  return batches;
}

describe('EngineService for the playground', () => {
  test("pageInfo finds the text of a fork's copied page, which the pool counts as its parent's", async () => {
    const svc = new EngineService(5);
    svc.configure(setup());
    await svc.loadModel('m', withTokenizer(simulatedModel('llama-3-8b', 'h100', 512)));
    // 20 prompt tokens: the fork copies the partial second page (tokens 16..19) into a page the parent reserved.
    svc.submit({ requestId: 'f', tenant: 'a', model: 'm', promptTokenIds: Array.from({ length: 20 }, (_, i) => 5 + i), maxTokens: 4, n: 2 });
    const engine = svc.currentEngine!;
    const sch = engine.schedulerState!;
    // The fork shares the parent's pages until its first write copies the partial one.
    const copiedPages = () => (sch.getRequest('f#1') ? sch.allocator('m').blockTable('f#1').filter((p) => !sch.allocator('m').blockTable('f').includes(p)) : []);
    for (let i = 0; i < 10 && copiedPages().length === 0; i++) await engine.step();
    const copied = copiedPages();
    expect(copied.length).toBeGreaterThan(0);
    const info = svc.pageInfo(copied[0]!)!;
    expect(info.owner).not.toBeNull();
    expect(info.tokenTexts?.length).toBeGreaterThan(0);
  });

  test('text prompts: prompts are the tokenized texts; token events carry text; block tables and pageInfo carry token text', async () => {
    const svc = new EngineService(5);
    svc.configure(setup());
    await svc.loadModel('m', withTokenizer(simulatedModel('llama-3-8b', 'h100', 512)));
    const bodies = ['Once upon a time, a cat sat.', 'Lily wanted to fly a red kite.'];
    const prefix = 'A story for children about friends and kind deeds. ';
    const started = svc.startWorkload(workload({ sharedPrefix: { ratio: 0.5, numPrefixes: 1, length: 4 } }), { text: { bodies, sharedPrefixes: [prefix] } });
    expect(started.numRequests).toBe(12);
    // Run a little, then look at a running request's table.
    svc.setSpeed(Infinity);
    svc.run();
    let table = null;
    let running: string | undefined;
    for (let i = 0; i < 400 && !table; i++) {
      await new Promise((r) => setTimeout(r, 2));
      running = svc.currentEngine!.schedulerState!.running('m')[0]?.requestId;
      if (running) table = svc.blockTable(running);
    }
    svc.pause();
    expect(table).not.toBeNull();
    const promptText = table!.tokenTexts!.slice(1).join('');
    expect(table!.tokenIds[0]).toBe(1);
    expect(bodies.some((b) => promptText.startsWith(b) || promptText.startsWith(prefix + b))).toBe(true);
    expect(table!.tokenTexts!.length).toBe(table!.tokenIds.length);
    // pageInfo of the request's first page: owner, ref count, the tokens' text.
    const info = svc.pageInfo(table!.pages[0]!)!;
    expect(info.owner?.requestId === running || info.refCount > 1).toBe(true);
    expect(info.refCount).toBeGreaterThanOrEqual(1);
    expect(info.tokenTexts?.join('')).toBe(table!.tokenTexts!.slice(0, 16).join('').slice(0, info.tokenTexts!.join('').length));
    expect(svc.pageInfo(-1)).toBeNull();
    expect(svc.pageInfo(10_000)).toBeNull();
    expect(svc.pageInfo(0)!.owner).toBeNull();

    const batches = await runAll(svc, 12);
    const texts = batches.flatMap((b) => b.events).filter((e) => e.kind === 'token');
    expect(texts.length).toBeGreaterThan(0);
    expect(texts.every((e) => e.kind === 'token' && typeof e.text === 'string')).toBe(true);
    // Shared prefix pages: full pages of the shared text are hashed; pageInfo shows the hash prefix.
    const pool = svc.currentEngine!.pagePool;
    let hashed = -1;
    for (let p = 1; p < pool.numPages && hashed < 0; p++) if (pool.hashOfPage(p) !== null) hashed = p;
    expect(hashed).toBeGreaterThan(0);
    expect(svc.pageInfo(hashed)!.hashPrefix).toMatch(/^[0-9a-f]{8}$/);
    expect(pool.hashOfPage(hashed)!.startsWith(svc.pageInfo(hashed)!.hashPrefix!)).toBe(true);
  });

  test('text prompts on a model without a tokenizer are refused with the reason', async () => {
    const svc = new EngineService(5);
    svc.configure(setup());
    await svc.loadModel('m', simulatedModel('llama-3-8b', 'h100', 512));
    expect(() => svc.startWorkload(workload(), { text: { bodies: ['x'] } })).toThrow(/tokenizer/);
    expect(svc.blockTable('nope')).toBeNull();
  });

  test('closed loop: never more than maxConcurrency requests in the engine; every request finishes', async () => {
    const svc = new EngineService(5);
    svc.configure(setup());
    await svc.loadModel('m', simulatedModel('llama-3-8b', 'h100', 512));
    const started = svc.startWorkload(workload({ numRequests: 20 }), { maxConcurrency: 3 });
    expect(started.numRequests).toBe(20);
    const batches = await runAll(svc, 20);
    const records = batches.flatMap((b) => b.records);
    expect(records.length).toBeGreaterThan(0);
    expect(Math.max(...records.map((r) => r.numRunning + r.numWaiting))).toBeLessThanOrEqual(3);
    expect(Math.max(...records.map((r) => r.numRunning))).toBe(3);
    expect(svc.metrics().overall.numCompleted).toBe(20);
    expect(() => svc.startWorkload(workload(), { maxConcurrency: 0 })).toThrow(/maxConcurrency/);
  });

  test('n > 1 as a tagged gang is admitted all-or-nothing; as independent requests one by one', async () => {
    for (const mode of ['gang', 'independent'] as const) {
      const svc = new EngineService(5);
      svc.configure(setup());
      await svc.loadModel('m', simulatedModel('llama-3-8b', 'h100', 512));
      const started = svc.startWorkload(workload({ numRequests: 6, parallelSampling: { ratio: 1, n: 3 } }), { parallel: mode });
      expect(started.numRequests).toBe(18);
      expect(started.numSamples).toBe(18);
      const batches = await runAll(svc, 18);
      const decisions = batches.flatMap((b) => b.records).flatMap((r) => r.decisions);
      const gangs = decisions.filter((d) => d.kind === 'gang-admitted');
      if (mode === 'gang') {
        expect(gangs.length).toBe(6);
        for (const g of gangs) expect(g.kind === 'gang-admitted' && g.requestIds.length).toBe(3);
      } else expect(gangs.length).toBe(0);
    }
  });

  test('splitParallel keeps n = 1 requests, splits n > 1 into ids id.k with seeds seed + k', () => {
    const spec = { requestId: 'r1', tenant: 'a', model: 'm', promptTokenIds: [1, 2], maxTokens: 4, n: 3, sampling: { seed: 10 } };
    expect(splitParallel(spec, 'n')).toEqual([spec]);
    expect(splitParallel({ ...spec, n: 1 }, 'gang')).toHaveLength(1);
    const g = splitParallel(spec, 'gang');
    expect(g.map((s) => [s.requestId, s.n, s.sampling?.seed, s.gang?.id, s.gang?.size])).toEqual([
      ['r1.0', 1, 10, 'r1', 3],
      ['r1.1', 1, 11, 'r1', 3],
      ['r1.2', 1, 12, 'r1', 3],
    ]);
    expect(splitParallel(spec, 'independent').every((s) => s.gang === undefined)).toBe(true);
  });
});

describe('tokenPiece', () => {
  test('byte-level BPE pieces are decoded for display; special tokens keep their names; results are cached', async () => {
    const { tokenPiece } = await import('../../../src/engine/service');
    let decodes = 0;
    const hf: Tokenizer = { ...byteTokenizer, kind: 'hf', decode: (ids) => (decodes++, ids[0] === 1 ? '' : ' the'), tokenText: (id) => (id === 1 ? '<s>' : 'Ġthe') };
    expect(tokenPiece(hf, 7)).toBe(' the');
    expect(tokenPiece(hf, 7)).toBe(' the');
    expect(decodes).toBe(1);
    expect(tokenPiece(hf, 1)).toBe('<s>');
    const l2c: Tokenizer = { ...byteTokenizer, kind: 'llama2c', tokenText: () => ' piece' };
    expect(tokenPiece(l2c, 9)).toBe(' piece');
  });
});
