import { describe, expect, test } from 'vitest';
import { SIMULATED_DEFAULT as DEFAULT_CONFIG, DEFAULT_CONFIG as GPU_DEFAULT, STORY_PROMPTS, cloneConfig, toEngineSetup, toWorkload, toWorkloadOptions, urlModelSource } from '../../../src/ui/state/config';
import { modelUrlProblem } from '../../../src/ui/state/validate';
import { validateConfig } from '../../../src/ui/state/validate';
import { configFromUrl, configToUrl } from '../../../src/ui/state/url-state';
import { TelemetryStore, BIN_MS } from '../../../src/ui/state/telemetry-store';
import { gridGeometry, summarize, MIRROR_HEADER, PAGE_FIELDS, PAGE_FLAG } from '../../../src/ui/pool-layout';
import { validateWorkloadConfig } from '../../../src/workload';
import type { EngineStepRecord } from '../../../src/engine/telemetry';

describe('UI configuration', () => {
  test('the default scenario: the built-in model on this GPU, a closed loop of 32 users with story prompts', () => {
    expect(validateConfig(GPU_DEFAULT)).toEqual({});
    expect(toEngineSetup(GPU_DEFAULT).backend).toEqual({ kind: 'gpu' });
    expect(GPU_DEFAULT.gpuModel).toBe('builtin');
    const w = toWorkload(GPU_DEFAULT, 'main', 1024);
    expect(() => validateWorkloadConfig(w)).not.toThrow();
    expect(w.arrival).toEqual({ kind: 'infinite' });
    expect(toWorkloadOptions(GPU_DEFAULT, true)).toEqual({ text: STORY_PROMPTS, maxConcurrency: 32 });
    // Without a tokenizer (random weights), token ids; the simulated scenario is open loop.
    expect(toWorkloadOptions(GPU_DEFAULT, false)).toEqual({ maxConcurrency: 32 });
    expect(toWorkloadOptions(DEFAULT_CONFIG, true)).toEqual({});
    expect(toWorkloadOptions({ ...DEFAULT_CONFIG, workload: { ...DEFAULT_CONFIG.workload, parallelMode: 'gang' } }, false)).toEqual({ parallel: 'gang' });
    // Batching reaches the scheduler.
    expect(toEngineSetup({ ...DEFAULT_CONFIG, batching: 'static' }).scheduler.batching).toBe('static');
    // The URL carries the new fields.
    const c = cloneConfig(DEFAULT_CONFIG);
    c.batching = 'static';
    c.workload.parallelMode = 'independent';
    c.workload.arrival = 'closed';
    c.workload.users = 12;
    const q = configToUrl(c, DEFAULT_CONFIG);
    expect(q).toBe('batching=static&arrival=closed&users=12&pmode=independent');
    expect(configFromUrl(`?${q}`, DEFAULT_CONFIG).config).toEqual(c);
    expect(validateConfig({ ...c, workload: { ...c.workload, users: 0 } })['workload.users']).toMatch(/between 1/);
  });

  test('model URLs: a folder with its files, or one .gguf / .bin; bad ones are refused with the reason', () => {
    expect(urlModelSource('https://huggingface.co/u/m/resolve/main', 'config.json, model.safetensors ,tokenizer.json')).toEqual({
      baseUrl: 'https://huggingface.co/u/m/resolve/main/',
      files: ['config.json', 'model.safetensors', 'tokenizer.json'],
    });
    expect(urlModelSource('https://host.example/models/stories260K.gguf', '')).toEqual({ baseUrl: 'https://host.example/models/', files: ['stories260K.gguf'] });
    expect(modelUrlProblem('https://host.example/a/model.gguf', '')).toBeNull();
    expect(modelUrlProblem('https://host.example/a/', 'config.json,model.safetensors')).toBeNull();
    expect(modelUrlProblem('', '')).toMatch(/give the URL/);
    expect(modelUrlProblem('not a url', '')).toMatch(/not a URL/);
    expect(modelUrlProblem('ftp://x/y.gguf', '')).toMatch(/http/);
    expect(modelUrlProblem('https://host.example/a/', '')).toMatch(/\.gguf or \.bin/);
    const c = { ...GPU_DEFAULT, gpuModel: 'url' as const, modelUrl: 'nope' };
    expect(validateConfig(c)['modelUrl']).toMatch(/not a URL/);
  });

  test('the defaults are valid and map onto a valid workload and engine setup', () => {
    expect(validateConfig(DEFAULT_CONFIG)).toEqual({});
    const w = toWorkload(DEFAULT_CONFIG, 'main', 128256);
    expect(() => validateWorkloadConfig(w)).not.toThrow();
    expect(w.tenants!.map((t) => t.name)).toEqual(['chat', 'batch']);
    expect(w.tenants![0]!.slo).toEqual({ ttftMs: 500, tpotMs: 50 });
    expect(w.tenants![1]!.slo).toBeUndefined();
    const setup = toEngineSetup(DEFAULT_CONFIG);
    expect(setup.backend).toEqual({ kind: 'simulated', gpu: 'h100' });
    expect(setup.scheduler.numHostSwapPages).toBe(0);
  });

  test('bad values are refused at their field with the reason', () => {
    const c = cloneConfig(DEFAULT_CONFIG);
    c.numPages = 1.5;
    c.tenants[1]!.id = 'chat';
    c.workload.rate = 0;
    c.workload.output.max = 2;
    c.workload.output.min = 10;
    c.workload.output.kind = 'uniform';
    const e = validateConfig(c);
    expect(e['numPages']).toMatch(/whole number/);
    expect(e['tenants.1.id']).toMatch(/used twice/);
    expect(e['workload.rate']).toMatch(/> 0/);
    expect(e['workload.output.max']).toMatch(/>= min/);
  });

  test('partitions larger than the pool are refused; chunking off needs a budget >= max model length', () => {
    const c = cloneConfig(DEFAULT_CONFIG);
    c.sharingPolicy = 'partition';
    c.tenants[0]!.pages = 900;
    c.tenants[1]!.pages = 200;
    expect(validateConfig(c)['tenants']).toMatch(/partitions sum to 1100 pages; the pool has 1023/);
    const d = cloneConfig(DEFAULT_CONFIG);
    d.enableChunkedPrefill = false;
    expect(validateConfig(d)['maxNumBatchedTokens']).toMatch(/without chunked prefill/);
  });

  test('URL round trip restores the configuration; defaults make an empty query', () => {
    expect(configToUrl(DEFAULT_CONFIG, DEFAULT_CONFIG)).toBe('');
    const c = cloneConfig(DEFAULT_CONFIG);
    c.numPages = 4096;
    c.sharingPolicy = 'fair-share';
    c.enablePrefixCaching = false;
    c.workload.seed = 42;
    c.workload.rate = 2.5;
    c.tenants.push({ id: 'x', weight: 2, priority: 3, pages: 10, sloTtftMs: 100, sloTpotMs: 0, share: 0.5 });
    const q = configToUrl(c, DEFAULT_CONFIG);
    expect(q).toContain('pages=4096');
    const back = configFromUrl(`?${q}`, DEFAULT_CONFIG);
    expect(back.problems).toEqual([]);
    expect(back.config).toEqual(c);
  });

  test('URL values of the wrong kind are reported and the defaults kept', () => {
    const { config, problems } = configFromUrl('?pages=abc&policy=nope&chunked=yes&t=bad&unknown=1', DEFAULT_CONFIG);
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(problems).toHaveLength(4);
  });
});

function record(i: number, startMs: number, endMs: number, over: Partial<EngineStepRecord> = {}): EngineStepRecord {
  return {
    index: i, startMs, endMs, sessionId: 'main', grantReason: '', gpuMs: endMs - startMs, kernels: [{ label: 'k', ms: endMs - startMs }], timing: 'simulated',
    numDispatches: 0, encodeMs: 0, flops: 1e9, bytes: 1e6, batch: [], numPrefillTokens: 10, numDecodeTokens: 2, numOutputTokens: 2,
    pageEvents: { allocated: 1, freed: 0, cached: 0, hit: 0, evicted: 0, copied: 0, swappedOut: 0, swappedIn: 0 },
    pool: { numPages: 101, numUsablePages: 100, numUsedPages: 10, numCachedFreePages: 0, numEmptyFreePages: 90 },
    tenantPages: { a: 4, b: 6 }, numRunning: 2, numWaiting: 1, numPreempted: 0, decisions: [], cpuMs: 0.1, telemetryMs: 0.01, ...over,
  };
}

describe('TelemetryStore', () => {
  test('bins steps by engine time, tracks request states, ignores other epochs', () => {
    const s = new TelemetryStore();
    s.reset(3, ['a', 'b']);
    expect(s.ingest({ records: [record(1, 0, 10)], events: [], loop: 'running', epoch: 2 })).toBe(false);
    // 25 steps of 10 ms: 2 output tokens each = 200 tokens/s; bins of BIN_MS close as time passes.
    const recs = Array.from({ length: 25 }, (_, i) => record(i + 1, i * 10, (i + 1) * 10));
    s.ingest({
      records: recs,
      events: [
        { kind: 'queued', requestId: 'r0', tenant: 'a', time: 0 },
        { kind: 'scheduled', requestId: 'r0', step: 1, numTokens: 10, time: 0 },
        { kind: 'token', requestId: 'r0', tokenIds: [7], time: 10 },
        { kind: 'token', requestId: 'r0#1', tokenIds: [8], time: 10 },
        { kind: 'finished', requestId: 'r0#1', reason: 'length', detail: null, time: 20 },
      ],
      loop: 'running',
      epoch: 3,
      newRequestIds: [[0, 'r0']],
    });
    expect(s.series.t.length).toBe(Math.floor(250 / BIN_MS));
    expect(s.series.outputTokensPerS[0]).toBeCloseTo(200);
    expect(s.series.gpuBusyPct[0]).toBeCloseTo(100);
    expect(s.series.kvPct[0]![0]).toBeCloseTo(4);
    expect(s.series.kvPct[1]![0]).toBeCloseTo(6);
    expect(s.requests.get('r0')!.state).toBe('running');
    expect(s.requests.get('r0#1')!.tenant).toBe('a');
    expect(s.requests.get('r0#1')!.state).toBe('finished');
    expect(s.requestIdOf[0]).toBe('r0');
    expect(s.totals.steps).toBe(25);
    expect(s.kernelTotals()[0]!.ms).toBeCloseTo(250);
  });
});

describe('pool layout', () => {
  test('summarize counts used, cached-free, shared pages and unfilled slots', () => {
    const n = 6;
    const d = new Int32Array(MIRROR_HEADER + n * PAGE_FIELDS);
    d[1] = n;
    const set = (p: number, tenant: number, req: number, fill: number, rc: number, flags: number) => d.set([tenant, 1, req, fill, rc, flags], MIRROR_HEADER + p * PAGE_FIELDS);
    set(0, 0, 0, 0, 0, PAGE_FLAG.reserved);
    set(1, 1, 1, 16, 2, PAGE_FLAG.cached | PAGE_FLAG.shared);
    set(2, 1, 1, 5, 1, 0);
    set(3, 2, 2, 0, 1, 0);
    set(4, 0, 0, -1, 0, PAGE_FLAG.cached | PAGE_FLAG.free);
    set(5, 0, 0, 0, 0, PAGE_FLAG.free);
    const s = summarize(d, 16, 2);
    expect(s).toMatchObject({ used: 3, cachedFree: 1, emptyFree: 1, shared: 1, usedSlots: 21, emptySlots: 27, perTenant: [2, 1] });
  });

  test('the grid fits 16,384 pages in the target height with cells of at least 3 px', () => {
    const g = gridGeometry(16_384, 900, 380);
    expect(g.cols * g.rows).toBeGreaterThanOrEqual(16_384);
    expect(g.cell).toBeGreaterThanOrEqual(3);
    expect(g.rows * g.cell).toBeLessThanOrEqual(380 * 1.15);
    expect(gridGeometry(100, 600, 380).cell).toBe(28);
  });
});
