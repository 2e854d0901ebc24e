/**
 * The playground's whole configuration as the UI holds it (and as the URL carries it): backend and
 * model, pool, scheduler, tenants, workload, speed. Plain data; `toEngineSetup` and `toWorkload` turn it
 * into what the engine worker's API takes. Validation lives in validate.ts.
 */
import type { EngineSetup } from '../../engine/service';
import type { WorkloadConfig } from '../../workload';

export type QueuePolicy = 'fcfs' | 'priority' | 'longest-prefix';
export type SharingPolicy = 'time-slice' | 'partition' | 'fair-share' | 'priority';
export type PreemptionMode = 'recompute' | 'swap';
export type ArrivalKind = 'poisson' | 'gamma' | 'fixed' | 'infinite';
export type LengthKind = 'fixed' | 'uniform' | 'sharegpt';
export type GpuModelChoice = 'builtin' | 'synthetic-tiny' | 'files';

/** The built-in model, served from public/models/ beside the app. */
export const BUILTIN_MODEL = { name: 'playstories 0.9M (built-in)', dir: 'models/playstories-0.9m/', files: ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'] };

export interface TenantSetting {
  id: string;
  weight: number;
  priority: number;
  /** Fair-share quota / partition size in pages; 0 = split the pool evenly. */
  pages: number;
  /** SLO on time to first token and time per output token, ms; 0 = none. */
  sloTtftMs: number;
  sloTpotMs: number;
  /** Share of the workload's requests. */
  share: number;
}

export interface LengthSetting {
  kind: LengthKind;
  /** fixed: the value; uniform: min..max; sharegpt: the ShareGPT-like lognormal fit, clamped to min..max. */
  min: number;
  max: number;
}

export interface WorkloadSetting {
  seed: number;
  numRequests: number;
  arrival: ArrivalKind;
  /** Requests per second (simulated engine clock). */
  rate: number;
  /** Gamma shape: < 1 burstier than Poisson, 1 = Poisson. */
  burstiness: number;
  prompt: LengthSetting;
  output: LengthSetting;
  /** Fraction of requests that start with a shared system prompt, and its length in tokens. */
  sharedPrefixRatio: number;
  sharedPrefixLength: number;
  /** Fraction of requests asking for n parallel samples. */
  parallelRatio: number;
  n: number;
}

export interface PlaygroundConfig {
  /** 'simulated' runs the cost model on a GPU spec; 'gpu' runs a real model on this GPU (WebGPU). */
  backend: 'simulated' | 'gpu';
  simGpu: string;
  /** Simulated model shape id. */
  model: string;
  /** The real model on this GPU: the built-in one, random tiny weights, or files the visitor picks. */
  gpuModel: GpuModelChoice;
  numPages: number;
  tokensPerPage: number;
  maxNumBatchedTokens: number;
  maxNumSeqs: number;
  maxModelLen: number;
  enableChunkedPrefill: boolean;
  enablePrefixCaching: boolean;
  preemptionMode: PreemptionMode;
  /** Host pages for swap preemption. */
  numHostSwapPages: number;
  allocator: 'paged' | 'contiguous';
  queuePolicy: QueuePolicy;
  sharingPolicy: SharingPolicy;
  tenants: TenantSetting[];
  workload: WorkloadSetting;
  /** Simulated-time speed: 1 = real time. */
  speed: number;
}

export const DEFAULT_CONFIG: PlaygroundConfig = {
  backend: 'simulated',
  simGpu: 'h100',
  model: 'llama-3-8b',
  gpuModel: 'builtin',
  numPages: 1024,
  tokensPerPage: 16,
  maxNumBatchedTokens: 2048,
  maxNumSeqs: 64,
  maxModelLen: 4096,
  enableChunkedPrefill: true,
  enablePrefixCaching: true,
  preemptionMode: 'recompute',
  numHostSwapPages: 256,
  allocator: 'paged',
  queuePolicy: 'fcfs',
  sharingPolicy: 'time-slice',
  tenants: [
    { id: 'chat', weight: 1, priority: 0, pages: 0, sloTtftMs: 500, sloTpotMs: 50, share: 2 },
    { id: 'batch', weight: 1, priority: 1, pages: 0, sloTtftMs: 0, sloTpotMs: 0, share: 1 },
  ],
  workload: {
    seed: 1,
    numRequests: 200,
    arrival: 'poisson',
    rate: 8,
    burstiness: 1,
    prompt: { kind: 'sharegpt', min: 4, max: 1024 },
    output: { kind: 'sharegpt', min: 4, max: 512 },
    sharedPrefixRatio: 0.3,
    sharedPrefixLength: 256,
    parallelRatio: 0.05,
    n: 4,
  },
  speed: 1,
};

export function cloneConfig(c: PlaygroundConfig): PlaygroundConfig {
  return structuredClone(c);
}

/** The engine setup for configure(). */
export function toEngineSetup(c: PlaygroundConfig): EngineSetup {
  const sharing = c.sharingPolicy;
  return {
    backend: c.backend === 'simulated' ? { kind: 'simulated', gpu: c.simGpu } : { kind: 'gpu' },
    numPages: c.numPages,
    tokensPerPage: c.tokensPerPage,
    scheduler: {
      tenants: c.tenants.map((t) => ({
        id: t.id,
        weight: t.weight,
        priority: t.priority,
        ...(t.pages > 0 && sharing === 'fair-share' ? { quotaPages: t.pages } : {}),
        ...(t.pages > 0 && sharing === 'partition' ? { partitionPages: t.pages } : {}),
      })),
      maxNumBatchedTokens: c.maxNumBatchedTokens,
      maxNumSeqs: c.maxNumSeqs,
      enableChunkedPrefill: c.enableChunkedPrefill,
      enablePrefixCaching: c.enablePrefixCaching,
      preemptionMode: c.preemptionMode,
      numHostSwapPages: c.preemptionMode === 'swap' ? c.numHostSwapPages : 0,
      allocator: c.allocator,
      queuePolicy: c.queuePolicy,
      sharingPolicy: sharing,
    },
  };
}

function lengthSpec(l: LengthSetting, part: 'prompt' | 'output'): WorkloadConfig['promptLength'] {
  if (l.kind === 'fixed') return { kind: 'fixed', value: l.min };
  if (l.kind === 'uniform') return { kind: 'uniform', min: l.min, max: l.max };
  return { kind: 'sharegpt', part, min: l.min, max: l.max };
}

/** The workload for startWorkload(), against the loaded session `model` and its vocabulary. */
export function toWorkload(c: PlaygroundConfig, model: string, vocabSize: number): WorkloadConfig {
  const w = c.workload;
  const arrival: WorkloadConfig['arrival'] =
    w.arrival === 'infinite' ? { kind: 'infinite' } : w.arrival === 'gamma' ? { kind: 'gamma', rate: w.rate, burstiness: w.burstiness } : { kind: w.arrival, rate: w.rate };
  return {
    seed: w.seed,
    numRequests: w.numRequests,
    arrival,
    promptLength: lengthSpec(w.prompt, 'prompt'),
    outputLength: lengthSpec(w.output, 'output'),
    vocabSize,
    // Ids 0..2 are special in most vocabularies (pad, bos, eos): synthetic prompts avoid them.
    firstTokenId: 3,
    model,
    tenants: c.tenants.map((t) => {
      const slo = { ...(t.sloTtftMs > 0 ? { ttftMs: t.sloTtftMs } : {}), ...(t.sloTpotMs > 0 ? { tpotMs: t.sloTpotMs } : {}) };
      return { name: t.id, weight: t.share, priority: t.priority, ...(Object.keys(slo).length ? { slo } : {}) };
    }),
    ...(w.sharedPrefixRatio > 0 ? { sharedPrefix: { ratio: w.sharedPrefixRatio, numPrefixes: 1, length: w.sharedPrefixLength } } : {}),
    ...(w.parallelRatio > 0 ? { parallelSampling: { ratio: w.parallelRatio, n: w.n } } : {}),
    idPrefix: 'r',
  };
}
