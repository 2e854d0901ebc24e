/**
 * The playground's whole configuration as the UI holds it (and as the URL carries it): backend and
 * model, pool, scheduler, tenants, workload, speed. Plain data; `toEngineSetup` and `toWorkload` turn it
 * into what the engine worker's API takes. Validation lives in validate.ts.
 */
import type { EngineSetup, WorkloadOptions } from '../../engine/service';
import type { WorkloadConfig } from '../../workload';

export type QueuePolicy = 'fcfs' | 'priority' | 'longest-prefix';
export type SharingPolicy = 'time-slice' | 'partition' | 'fair-share' | 'priority';
export type PreemptionMode = 'recompute' | 'swap';
/** `closed`: a number of users, each sending its next request when the last one finished (rate follows the hardware). */
export type ArrivalKind = 'closed' | 'poisson' | 'gamma' | 'fixed' | 'infinite';
export type LengthKind = 'fixed' | 'uniform' | 'sharegpt';
export type GpuModelChoice = 'builtin' | 'synthetic-tiny' | 'files' | 'url';
export type Batching = 'continuous' | 'static';
/** How n > 1 requests are submitted: one request that forks, a tagged gang of n, or n independent requests. */
export type ParallelMode = 'n' | 'gang' | 'independent';

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
  /** Closed loop: how many users (requests in flight). */
  users: number;
  /** Story-opening text prompts (models with a tokenizer); the prompt lengths above are then not used. */
  textPrompts: boolean;
  parallelMode: ParallelMode;
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
  /** The real model on this GPU: the built-in one, random tiny weights, files the visitor picks, or a URL. */
  gpuModel: GpuModelChoice;
  /** For gpuModel 'url': a folder's base URL (with `modelFiles`) or one .gguf / .bin file's URL. */
  modelUrl: string;
  /** Comma-separated file names under `modelUrl` (a folder); empty for a single-file URL. */
  modelFiles: string;
  numPages: number;
  tokensPerPage: number;
  maxNumBatchedTokens: number;
  maxNumSeqs: number;
  maxModelLen: number;
  enableChunkedPrefill: boolean;
  enablePrefixCaching: boolean;
  preemptionMode: PreemptionMode;
  /** Continuous (Orca / vLLM) or static batching (a new batch only when the running one is done). */
  batching: Batching;
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

/**
 * The simulated backend's scenario (Llama-3-8B on a simulated H100): what the lessons start from, and
 * what the playground falls back to where the browser has no WebGPU.
 */
export const SIMULATED_DEFAULT: PlaygroundConfig = {
  backend: 'simulated',
  simGpu: 'h100',
  model: 'llama-3-8b',
  gpuModel: 'builtin',
  modelUrl: '',
  modelFiles: '',
  numPages: 1024,
  tokensPerPage: 16,
  maxNumBatchedTokens: 2048,
  maxNumSeqs: 64,
  maxModelLen: 4096,
  enableChunkedPrefill: true,
  enablePrefixCaching: true,
  preemptionMode: 'recompute',
  batching: 'continuous',
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
    users: 32,
    textPrompts: false,
    parallelMode: 'n',
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

/**
 * The default scenario: the built-in model (playstories 0.9M, context 256) on this GPU through WebGPU,
 * serving 32 users who each send a story opening (half of them after a shared preamble) and wait for
 * 100-180 tokens before sending the next. A closed loop, so the load follows the hardware: SwiftShader
 * (a CPU) and a real GPU both keep 32 sequences running, at very different token rates.
 */
export const DEFAULT_CONFIG: PlaygroundConfig = {
  ...structuredClone(SIMULATED_DEFAULT),
  backend: 'gpu',
  numPages: 512,
  maxNumBatchedTokens: 256,
  maxNumSeqs: 64,
  maxModelLen: 256,
  tenants: [
    { id: 'chat', weight: 1, priority: 0, pages: 0, sloTtftMs: 1000, sloTpotMs: 100, share: 2 },
    { id: 'batch', weight: 1, priority: 1, pages: 0, sloTtftMs: 0, sloTpotMs: 0, share: 1 },
  ],
  workload: {
    seed: 1,
    numRequests: 2000,
    arrival: 'closed',
    rate: 2,
    users: 32,
    textPrompts: true,
    parallelMode: 'n',
    burstiness: 1,
    prompt: { kind: 'uniform', min: 8, max: 64 },
    output: { kind: 'uniform', min: 100, max: 180 },
    sharedPrefixRatio: 0.5,
    sharedPrefixLength: 32,
    parallelRatio: 0.05,
    n: 2,
  },
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
      batching: c.batching,
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
    w.arrival === 'infinite' || w.arrival === 'closed' ? { kind: 'infinite' } : w.arrival === 'gamma' ? { kind: 'gamma', rate: w.rate, burstiness: w.burstiness } : { kind: w.arrival, rate: w.rate };
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

/**
 * How the worker submits the workload: text prompts (when asked and the model has a tokenizer), the
 * closed loop's user count, and how n > 1 requests go in.
 */
export function toWorkloadOptions(c: PlaygroundConfig, hasTokenizer: boolean): WorkloadOptions {
  const w = c.workload;
  return {
    ...(w.textPrompts && hasTokenizer ? { text: STORY_PROMPTS } : {}),
    ...(w.arrival === 'closed' ? { maxConcurrency: w.users } : {}),
    ...(w.parallelMode !== 'n' ? { parallel: w.parallelMode } : {}),
  };
}

/** The source of a model given by URL: a folder (base URL + file names) or one file (its folder + its name). */
export function urlModelSource(url: string, files: string): { baseUrl: string; files: string[] } {
  const names = files.split(',').map((f) => f.trim()).filter(Boolean);
  if (names.length) return { baseUrl: url.endsWith('/') ? url : `${url}/`, files: names };
  const u = new URL(url);
  const cut = u.pathname.lastIndexOf('/');
  const name = decodeURIComponent(u.pathname.slice(cut + 1));
  u.pathname = u.pathname.slice(0, cut + 1);
  return { baseUrl: u.href, files: [name] };
}

/**
 * Story openings in the built-in model's small world (it was trained on simple children's stories), and
 * one shared preamble that half the requests start with: its full pages are shared through the prefix cache.
 */
export const STORY_PROMPTS = {
  sharedPrefixes: ['Here is a short story for children. It is about a kind friend, a small problem, and a happy end. '],
  bodies: [
    'Once upon a time,',
    'Lily wanted to',
    'One day, Tom and his dog',
    'The little bird was scared of',
    'Sam found a red ball in the park.',
    'Mia and her mom went to the store.',
    'There was a big tree near the river.',
    'Ben had a new toy car.',
    'The sun was shining and',
    'Anna loved to paint.',
    'A small cat lived in a box.',
    'Max did not want to go to bed.',
    'It was a rainy day, so',
    'The boy named Joe saw a frog.',
    'Sara lost her blue hat.',
    'Grandpa told a story about',
  ],
};
