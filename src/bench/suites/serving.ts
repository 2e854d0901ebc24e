/**
 * `serving`: one fixed seeded workload served end to end by the engine (scheduler, page pool, model
 * runner, run recorder, src/metrics), with the scheduling policy and the KV allocator side by side:
 *
 *   fcfs (time-slice sharing, FCFS queue) | fair-share (Kueue-like quotas, DRF step grants)
 *   x paged (16-token pages on demand)   | contiguous (max_model_len reserved per request, pre-vLLM)
 *
 * Backends (each case's `backend` param says which; simulated numbers are labelled `simulated: true`):
 * - `gpu`: the built-in model playstories-0.9m (public/models/playstories-0.9m, 0.9M params, F32) on this
 *   adapter. The model is read through `ctx.fetchFile` when the host offers it (Node reads the disk, the
 *   page fetches through the dev server), else fetched from `/models/playstories-0.9m/` in a browser; in
 *   Node without the hook the GPU cases are skipped with a logged reason.
 * - `simulated`: the same workload on the simulated backend: Llama-3-8B's shape on the roofline of the
 *   NVIDIA H100 SXM datasheet, on the engine's virtual clock (latencies are modelled, not measured).
 *
 * Workload (src/workload, seed 7): 16 requests all at t = 0 (`--request-rate inf`, so the schedule does
 * not depend on how fast the adapter is), prompt bodies uniform 8..64 tokens, a quarter starting with one
 * shared 16-token prefix, outputs uniform 8..32 tokens, tenants a : b = 3 : 1. Engine: 48 usable pages
 * of 16 tokens (768 slots; contiguous reserves 256 = 16 pages per request, so 3 fit), token budget 128,
 * max 8 sequences, recompute preemption, prefix caching on (the contiguous allocator has none).
 * SLOs for goodput: TTFT <= 10 s and TPOT <= 1 s on the GPU backend (scaled so a 2-core software
 * adapter shows a difference; a hardware GPU meets them trivially), TTFT <= 500 ms and TPOT <= 50 ms on
 * the simulated H100 (typical chat SLOs, as in DistServe).
 *
 * The timed repetition is ONE whole replay of the workload (model load and pool allocation excluded),
 * wall clock. Each case's params carry the metrics of its last timed replay (numbers only; src/metrics
 * definitions, in ms and per second of the engine clock): TTFT / TPOT / ITL / E2E p50 and p99, request and
 * output-token throughput, goodput, SLO attainment, KV usage (mean, peak), preemptions, steps, and the
 * per-tenant TTFT p50. `--smoke`: one GPU case (fcfs, paged) of 2 requests of 2-3 output tokens (simulated if no model).
 *
 * `serving gpu playstories-0.9m fcfs paged: pipelined vs serial steps` (GPU backend, fcfs, paged): each
 * repetition replays the workload three times on one loaded model, in a rotating order: pipelined steps
 * (step N+1 submitted before step N is read back, telemetry in the GPU's shadow: the engine's default),
 * serial steps with the telemetry overlapped, and serial steps with everything on the critical path (the
 * session-1 loop). Its time is the pipelined replay's; params carry per mode the median replay time,
 * wall ms per step, steps, GPU busy fraction, output tokens/s, TPOT p50, and per step the engine's CPU
 * time, its telemetry, how much of the telemetry hid behind the GPU, the runner's encode-and-submit CPU
 * time and the GPU time.
 */
import type { GpuContext } from '../../gpu';
import { EngineService, type EngineSetup, type RunnerFactory } from '../../engine/service';
import { simulatedModel } from '../../engine/simulated/simulated-model';
import { gpuModel } from '../../engine/gpu-models';
import { openModel } from '../../model';
import { median, type RunReport } from '../../metrics';
import type { WorkloadConfig } from '../../workload';
import type { EngineStepRecord } from '../../engine/telemetry';
import type { BenchCase, BenchContext, BenchSuite } from '../suite';

const MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'];
const MODEL_REPO_DIR = 'public/models/playstories-0.9m/';
const MODEL_URL_DIR = '/models/playstories-0.9m/';
const MAX_MODEL_LEN = 256;
const NUM_PAGES = 49; // 48 usable + the NULL page
const TOKENS_PER_PAGE = 16;

type Policy = 'fcfs' | 'fair-share';
type Allocator = 'paged' | 'contiguous';

interface Slo {
  ttftMs: number;
  tpotMs: number;
}

const GPU_SLO: Slo = { ttftMs: 10_000, tpotMs: 1_000 };
const SIM_SLO: Slo = { ttftMs: 500, tpotMs: 50 };

function workload(smoke: boolean, slo: Slo, vocabSize: number): WorkloadConfig {
  return {
    seed: 7,
    numRequests: smoke ? 2 : 16,
    arrival: { kind: 'infinite' },
    promptLength: smoke ? { kind: 'uniform', min: 4, max: 8 } : { kind: 'uniform', min: 8, max: 64 },
    outputLength: smoke ? { kind: 'uniform', min: 2, max: 3 } : { kind: 'uniform', min: 8, max: 32 },
    vocabSize,
    firstTokenId: 3,
    model: 'm',
    tenants: [
      { name: 'a', weight: 3 },
      { name: 'b', weight: 1 },
    ],
    sharedPrefix: { ratio: 0.25, numPrefixes: 1, length: 16 },
    slo,
  };
}

function setup(backend: EngineSetup['backend'], policy: Policy, allocator: Allocator): EngineSetup {
  return {
    backend,
    numPages: NUM_PAGES,
    tokensPerPage: TOKENS_PER_PAGE,
    scheduler: {
      tenants: [{ id: 'a' }, { id: 'b' }],
      maxNumBatchedTokens: 128,
      maxNumSeqs: 8,
      enablePrefixCaching: true,
      preemptionMode: 'recompute',
      allocator,
      queuePolicy: 'fcfs',
      sharingPolicy: policy === 'fcfs' ? 'time-slice' : 'fair-share',
    },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The run's metrics as numbers (absent when undefined, e.g. TPOT with one-token outputs). */
export function metricParams(r: RunReport): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (k: string, v: number | null | undefined, digits = 3) => {
    if (v !== null && v !== undefined && Number.isFinite(v)) out[k] = Number(v.toFixed(digits));
  };
  const o = r.overall;
  for (const [name, s] of [['ttft', o.ttftMs], ['tpot', o.tpotMs], ['itl', o.itlMs], ['e2e', o.e2eMs]] as const) {
    put(`${name}_p50_ms`, s.p50);
    put(`${name}_p99_ms`, s.p99);
  }
  put('request_throughput_per_s', o.requestThroughput);
  put('output_token_throughput_per_s', o.outputTokenThroughput);
  put('goodput_per_s', o.goodput.requestsPerS);
  put('slo_attainment', o.goodput.sloAttainment);
  put('kv_usage_mean_pct', o.kv.usageMean === null ? null : 100 * o.kv.usageMean, 1);
  put('kv_usage_max_pct', o.kv.usageMax === null ? null : 100 * o.kv.usageMax, 1);
  put('preemptions', o.numPreemptions, 0);
  put('completed', o.numCompleted, 0);
  put('prefix_hit_rate', o.prefixCache.hitRate);
  put('steps', r.system.numSteps, 0);
  put('gpu_busy_fraction', r.system.gpuBusyFraction);
  for (const [tenant, g] of Object.entries(r.tenants)) put(`tenant_${tenant}_ttft_p50_ms`, g.ttftMs.p50);
  return out;
}

/** Reads the built-in model's files; null (with the reason logged) where this host cannot. */
async function builtInModel(ctx: BenchContext): Promise<Record<string, ArrayBuffer> | null> {
  const files: Record<string, ArrayBuffer> = {};
  const fetchFile = ctx.fetchFile?.bind(ctx);
  const inBrowser = typeof location !== 'undefined' && /^https?:/.test(location.href);
  if (!fetchFile && !inBrowser) {
    ctx.log('serving: no file access on this host (no ctx.fetchFile, not a browser page): GPU cases skipped, simulated cases only');
    return null;
  }
  for (const name of MODEL_FILES) {
    let buf: ArrayBuffer | null;
    if (fetchFile) buf = await fetchFile(`${MODEL_REPO_DIR}${name}`);
    else {
      const res = await fetch(`${MODEL_URL_DIR}${name}`);
      buf = res.ok && !(res.headers.get('content-type') ?? '').startsWith('text/html') ? await res.arrayBuffer() : null;
    }
    if (!buf) {
      ctx.log(`serving: ${MODEL_REPO_DIR}${name} not found on this host: GPU cases skipped`);
      return null;
    }
    files[name] = buf;
  }
  return files;
}

interface CaseSpec {
  backend: 'gpu' | 'simulated';
  policy: Policy;
  allocator: Allocator;
}

function servingCase(ctx: BenchContext, spec: CaseSpec, model: Record<string, ArrayBuffer> | null): BenchCase {
  const sim = spec.backend === 'simulated';
  const slo = sim ? SIM_SLO : GPU_SLO;
  const label = sim ? 'simulated H100 Llama-3-8B' : 'gpu playstories-0.9m';
  const params: BenchCase['params'] = {
    backend: spec.backend,
    simulated: sim,
    model: sim ? 'Llama-3-8B shape (simulated)' : 'playstories-0.9m',
    gpu: sim ? 'NVIDIA H100 SXM 80GB datasheet roofline (simulated)' : 'this adapter',
    policy: spec.policy,
    allocator: spec.allocator,
    num_requests: workload(ctx.smoke, slo, 1024).numRequests,
    usable_pages: NUM_PAGES - 1,
    tokens_per_page: TOKENS_PER_PAGE,
    slo_ttft_ms: slo.ttftMs,
    slo_tpot_ms: slo.tpotMs,
  };
  const gpu = ctx.gpu;
  const factory = (): RunnerFactory =>
    sim
      ? simulatedModel('llama-3-8b', 'h100', MAX_MODEL_LEN)
      : gpuModel(async () => gpu as GpuContext, () => openModel(model!), { maxModelLen: MAX_MODEL_LEN });
  const engineSetup = setup(sim ? { kind: 'simulated', gpu: 'h100' } : { kind: 'gpu' }, spec.policy, spec.allocator);
  let svc: EngineService | null = null;
  let last: Record<string, number> | null = null;
  return {
    name: `serving ${label} ${spec.policy} ${spec.allocator}`,
    params,
    async run() {
      // Untimed: a fresh engine (pool, scheduler, recorder) and the model loaded into it.
      svc ??= new EngineService(100, sim ? null : async () => gpu as GpuContext);
      svc.configure(engineSetup);
      const info = await svc.loadModel('m', factory());
      const { ms } = await replay(svc, workload(ctx.smoke, slo, info.vocabSize), MODES[0]);
      last = metricParams(svc.metrics());
      Object.assign(params, last);
      // Releases the model and the GPU pool before the next repetition loads them again.
      svc.configure(engineSetup);
      return { ms, method: 'wall-clock' };
    },
    dispose() {
      if (last) {
        const m = last;
        const f = (k: string) => (m[k] === undefined ? '-' : String(m[k]));
        ctx.log(
          `serving ${label} ${spec.policy}/${spec.allocator}: TTFT p50/p99 ${f('ttft_p50_ms')}/${f('ttft_p99_ms')} ms, TPOT ${f('tpot_p50_ms')}/${f('tpot_p99_ms')} ms, ` +
            `E2E ${f('e2e_p50_ms')}/${f('e2e_p99_ms')} ms, ${f('output_token_throughput_per_s')} tok/s, goodput ${f('goodput_per_s')} req/s, ` +
            `KV mean ${f('kv_usage_mean_pct')}%, preemptions ${f('preemptions')}`,
        );
      }
      svc?.flush();
      svc = null;
    },
  };
}

/** Replays the workload to the end on the service's engine; wall ms and the step records. */
async function replay(svc: EngineService, wl: WorkloadConfig, mode: { pipeline: boolean; overlap: boolean }): Promise<{ ms: number; records: EngineStepRecord[] }> {
  svc.startWorkload(wl);
  const engine = svc.currentEngine!;
  engine.overlapTelemetry = mode.overlap;
  engine.pipelineSteps = mode.pipeline;
  const records: EngineStepRecord[] = [];
  const t0 = performance.now();
  while (engine.numUnfinished > 0) {
    const rec = await engine.step();
    if (rec) {
      records.push(rec);
      continue;
    }
    const next = engine.nextArrival();
    if (next === null) throw new Error('serving: requests unfinished but nothing to run and no arrival to come');
    await sleep(Math.max(0, next - engine.clock.now()));
  }
  const ms = performance.now() - t0;
  const report = svc.metrics();
  if (report.overall.numCompleted !== report.overall.numRequests) {
    throw new Error(`serving: ${report.overall.numCompleted} of ${report.overall.numRequests} requests completed`);
  }
  return { ms, records };
}

/** The engine's step modes, from session 1's serial loop to pipelined steps (the default). */
const MODES = [
  { key: 'pipelined', pipeline: true, overlap: true },
  { key: 'serial_overlapped', pipeline: false, overlap: true },
  { key: 'serial', pipeline: false, overlap: false },
] as const;

function engineModesCase(ctx: BenchContext, model: Record<string, ArrayBuffer>): BenchCase {
  const gpu = ctx.gpu as GpuContext;
  const engineSetup = setup({ kind: 'gpu' }, 'fcfs', 'paged');
  const samples = new Map<string, number[][]>(MODES.map((m) => [m.key, []]));
  const params: BenchCase['params'] = { backend: 'gpu', model: 'playstories-0.9m', policy: 'fcfs', allocator: 'paged', modes: MODES.map((m) => m.key).join(' ') };
  let svc: EngineService | null = null;
  let rep = 0;
  return {
    name: 'serving gpu playstories-0.9m fcfs paged: pipelined vs serial steps',
    params,
    async run() {
      svc ??= new EngineService(100, async () => gpu);
      svc.configure(engineSetup);
      const info = await svc.loadModel('m', gpuModel(async () => gpu, () => openModel(model), { maxModelLen: MAX_MODEL_LEN }));
      const wl = workload(ctx.smoke, GPU_SLO, info.vocabSize);
      let pipelinedMs = 0;
      // Rotate the order each repetition, so drift in the machine's state hits every mode alike.
      const r = rep++ % MODES.length;
      for (const mode of [...MODES.slice(r), ...MODES.slice(0, r)]) {
        const { ms, records } = await replay(svc, wl, mode);
        const m = svc.metrics();
        const n = records.length;
        const mean = (f: (x: EngineStepRecord) => number) => records.reduce((a, x) => a + f(x), 0) / n;
        samples.get(mode.key)!.push([ms, ms / n, n, m.system.gpuBusyFraction ?? 0, m.overall.outputTokenThroughput ?? 0, m.overall.tpotMs.p50 ?? 0, mean((x) => x.cpuMs), mean((x) => x.telemetryMs), mean((x) => x.overlappedMs ?? 0), mean((x) => x.encodeMs), mean((x) => x.gpuMs)]);
        if (mode.key === 'pipelined') pipelinedMs = ms;
      }
      svc.configure(engineSetup);
      const col = (key: string, i: number, digits = 4) => Number(median(samples.get(key)!.map((v) => v[i]!)).toFixed(digits));
      for (const { key } of MODES) {
        Object.assign(params, {
          [`${key}_ms`]: col(key, 0, 2),
          [`${key}_wall_ms_per_step`]: col(key, 1),
          [`${key}_steps`]: col(key, 2, 1),
          [`${key}_gpu_busy`]: col(key, 3, 3),
          [`${key}_output_tok_per_s`]: col(key, 4, 1),
          [`${key}_tpot_p50_ms`]: col(key, 5, 3),
          [`${key}_engine_cpu_ms_per_step`]: col(key, 6),
          [`${key}_telemetry_ms_per_step`]: col(key, 7),
          [`${key}_telemetry_hidden_ms_per_step`]: col(key, 8),
          [`${key}_encode_ms_per_step`]: col(key, 9),
          [`${key}_gpu_ms_per_step`]: col(key, 10),
        });
      }
      params['serial_over_pipelined'] = Number((col('serial', 0) / col('pipelined', 0)).toFixed(3));
      params['serial_over_serial_overlapped'] = Number((col('serial', 0) / col('serial_overlapped', 0)).toFixed(3));
      return { ms: pipelinedMs, method: 'wall-clock' as const };
    },
    dispose() {
      ctx.log(`serving engine modes: ${JSON.stringify(params)}`);
      svc?.flush();
      svc = null;
    },
  };
}

export const servingSuite: BenchSuite = {
  name: 'serving',
  description: 'A fixed seeded workload end to end: TTFT/TPOT/ITL/E2E, throughput, goodput, KV usage, preemptions; fcfs vs fair-share x paged vs contiguous, on this GPU (built-in model) and on a simulated H100 (Llama-3-8B shape)',
  needsGpu: true,
  async cases(ctx) {
    const model = await builtInModel(ctx);
    const policies: Policy[] = ['fcfs', 'fair-share'];
    const allocators: Allocator[] = ['paged', 'contiguous'];
    if (ctx.smoke) return [servingCase(ctx, { backend: model ? 'gpu' : 'simulated', policy: 'fcfs', allocator: 'paged' }, model)];
    const out: BenchCase[] = model ? [engineModesCase(ctx, model)] : [];
    for (const backend of [...(model ? (['gpu'] as const) : []), 'simulated' as const]) {
      for (const policy of policies) for (const allocator of allocators) out.push(servingCase(ctx, { backend, policy, allocator }, model));
    }
    return out;
  },
};
