/**
 * The engine as a service: what the worker exposes through comlink and what Node benchmarks drive
 * directly. It owns the Engine, its loop, the pool mirror and the telemetry batching; it holds no
 * DOM handle. Telemetry is pushed in batches at most every `flushMs`, so a fast simulation does not
 * flood the UI thread.
 */
import { bytesPerToken, type KVLayout } from '../kv';
import type { RequestSpec, SchedulerConfig } from '../scheduler';
import { generateWorkload, parseTrace, traceToRequests, type GeneratedRequest, type TraceFormat, type WorkloadConfig } from '../workload';
import { RealClock, VirtualClock, type EngineClock } from './clock';
import { Engine, type RequestListener } from './engine';
import { EngineLoop, type LoopState } from './loop';
import { MIRROR_HEADER, PAGE_FIELDS, PoolMirror } from './pool-mirror';
import { RunRecorder } from './run-recorder';
import type { RunReport } from '../metrics';
import type { ModelRunner } from './runner';
import type { Tokenizer } from '../model/tokenizer';
import type { KvPoolLayout } from '../kernels/kv-layout';
import { formatBytes, GpuOutOfMemoryError, storageBuffer, withErrorScopes, type GpuContext } from '../gpu';
import { GPU_SPECS } from './simulated/gpu-specs';
import { calibrateOnGpu, type CalibrationOptions, type CalibrationResult } from './calibrate-gpu';
import type { EngineStepRecord, RequestEvent } from './telemetry';

export type BackendChoice = { kind: 'gpu' } | { kind: 'simulated'; gpu: string };

export interface EngineSetup {
  backend: BackendChoice;
  /** Pool size in pages (including the NULL page), or in MiB; pages win when both are given. */
  numPages?: number;
  poolMiB?: number;
  /** Page size in tokens of the first model loaded; later models derive theirs from the page's bytes. */
  tokensPerPage: number;
  scheduler: Omit<SchedulerConfig, 'sessions' | 'clock' | 'hooks'>;
}

export interface SessionInfo {
  id: string;
  label: string;
  kind: 'gpu' | 'simulated';
  layout: KVLayout;
  maxModelLen: number;
  vocabSize: number;
  tokensPerPage: number;
  /** Synthetic and simulated models make no sense as text; the UI says so. */
  note: string;
  /** True when the model has a tokenizer (text prompts, decoded text, token text in block tables). */
  hasTokenizer?: boolean;
}

export interface TelemetryBatch {
  records: EngineStepRecord[];
  events: RequestEvent[];
  loop: LoopState;
  /** The pool mirror, when it is not shared memory (a copy). */
  poolCopy?: Int32Array;
  /** Request number -> id for numbers first seen since the last batch. */
  newRequestIds?: Array<[number, string]>;
  error?: string;
  /** Things to tell the visitor that are not errors (a lost GPU device and its recovery). */
  notices?: string[];
  /** Bumped by every configure(): a batch of an older epoch belongs to a run the UI has reset. */
  epoch: number;
}

/** What startWorkload() submitted: request ids and the engine-clock window their arrivals span. */
export interface WorkloadStarted {
  numRequests: number;
  numSamples: number;
  firstArrivalMs: number;
  lastArrivalMs: number;
}

/** How to replay a trace: its format (detected from the header by default), time scaling and who sends it. */
export interface TraceReplay {
  format?: TraceFormat | 'auto';
  /** Replay speed: arrival times are divided by it. Default 1. */
  speed?: number;
  maxRequests?: number;
  tenant: string;
  model: string;
  seed: number;
  vocabSize: number;
}

/** What startTrace() submitted, and the rows it skipped (zero output tokens) with their line numbers. */
export interface TraceStarted extends WorkloadStarted {
  format: TraceFormat;
  skipped: Array<{ line: number; reason: string }>;
}

/**
 * How startWorkload() turns the generated requests into submissions, beyond their arrival times.
 * The playground's default scenario uses text prompts and a closed loop; the gang lesson uses `parallel`.
 */
export interface WorkloadOptions {
  /**
   * Text prompts for a model with a tokenizer: request i's prompt is BOS + [sharedPrefixes[k] when the
   * generator gave it shared prefix k] + one of `bodies` (picked by the request's sampling seed); the
   * generated prompt lengths are not used. Token events of these requests carry decoded text in telemetry.
   */
  text?: { bodies: string[]; sharedPrefixes?: string[] };
  /**
   * Closed loop: at most this many requests in flight (a number of users each waiting for its answer);
   * the next request arrives when one finishes. The generated arrival times are not used.
   */
  maxConcurrency?: number;
  /**
   * Requests with n > 1: `n` (default) one request whose samples fork after its prefill, admitted
   * all-or-nothing; `gang` n tagged requests of n = 1 (RequestSpec.gang), admitted all-or-nothing, each with
   * its own prompt pages; `independent` n requests of n = 1, each admitted when it fits.
   */
  parallel?: 'n' | 'gang' | 'independent';
}

/** One page of the pool as the pool view's tooltip shows it (read on hover, not per step). */
export interface PageDetail {
  page: number;
  owner: { tenant: string; requestId: string; model: string } | null;
  refCount: number;
  /** Tokens of KV the page holds (the pool mirror's fill; -1 = full, a cached page nobody holds). */
  fill: number;
  /** First 8 hex digits of the page's prefix-cache hash (null: not a full, hashed page). */
  hashPrefix: string | null;
  /** The owner's tokens in this page as display pieces (models with a tokenizer, running owner only). */
  tokenTexts: string[] | null;
}

/** A page range of the pool with its own free queue (partitions); one region 'shared' otherwise. */
export interface PoolRegionInfo {
  name: string;
  start: number;
  end: number;
}

/**
 * A generated request as the scheduler takes it: the workload's seconds since the run started become
 * engine-clock ms from `startMs`; the workload's e2e SLO has no scheduler counterpart and is dropped.
 */
export function toRequestSpec(r: GeneratedRequest, startMs: number): RequestSpec {
  const spec: RequestSpec = {
    requestId: r.requestId,
    tenant: r.tenant,
    model: r.model,
    promptTokenIds: r.promptTokenIds,
    maxTokens: r.maxTokens,
    sampling: { temperature: r.sampling.temperature, topP: r.sampling.topP, topK: r.sampling.topK, seed: r.sampling.seed },
    arrivalTime: startMs + r.arrivalTimeS * 1000,
    priority: r.priority,
    n: r.n,
  };
  if (r.slo && (r.slo.ttftMs !== undefined || r.slo.tpotMs !== undefined)) {
    spec.slo = { ...(r.slo.ttftMs !== undefined ? { ttftMs: r.slo.ttftMs } : {}), ...(r.slo.tpotMs !== undefined ? { tpotMs: r.slo.tpotMs } : {}) };
  }
  return spec;
}

export type TelemetryListener = (batch: TelemetryBatch) => void;

/** What a model is, known before its weights load (from the file header or the shape preset). */
export interface ModelDescription {
  info: Omit<SessionInfo, 'id' | 'tokensPerPage'>;
  eosTokenIds: number[];
  tokenizer?: Tokenizer;
}

/** What the service gives a factory to build its runner with. */
export interface RunnerEnv {
  sessionId: string;
  clock: EngineClock;
  /** Tokens per page for this model in the shared pool. */
  tokensPerPage: number;
  numPages: number;
  /** The GPU page pool (GPU backend only). */
  gpuPool: { buffer: GPUBuffer; layout: KvPoolLayout } | null;
  /** The scheduler's token budget and sequence cap, which size the runner's step buffers. */
  maxNumBatchedTokens: number;
  maxNumSeqs: number;
}

/**
 * Backend-specific part: turns a model choice into a runner. `describe` reads only what fixes the KV
 * layout (so the pool can be sized first); `create` loads the weights and builds the runner.
 */
export interface RunnerFactory {
  readonly backend: 'gpu' | 'simulated';
  describe(): Promise<ModelDescription>;
  create(env: RunnerEnv): Promise<ModelRunner>;
}

export class EngineService {
  private engine: Engine | null = null;
  private loop: EngineLoop | null = null;
  private mirror: PoolMirror | null = null;
  private setup: EngineSetup | null = null;
  private clock: EngineClock = new RealClock();
  private readonly sessions = new Map<string, SessionInfo>();
  /** Tokenizers of the sessions that have one (real models), for text prompts and streamed text. */
  private readonly tokenizers = new Map<string, Tokenizer>();
  /** The GPU page pool, created with the first GPU model and shared by every GPU session. */
  private poolBuffer: GPUBuffer | null = null;
  /** How each session was loaded, to load it again on a new device. */
  private readonly factories = new Map<string, RunnerFactory>();
  private numRecoveries = 0;
  /** Things the UI should tell the visitor (device loss and recovery), sent with the next telemetry batch. */
  private notices: string[] = [];
  private readonly telemetryListeners = new Set<TelemetryListener>();
  private pendingRecords: EngineStepRecord[] = [];
  private pendingEvents: RequestEvent[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private lastFlush = 0;
  private numRequestIdsSent = 0;
  private epoch = 0;
  /** Timelines and step samples of the current run, for metrics() and the exports. */
  private recorder = this.newRecorder();
  /** Text-prompt requests of startWorkload (by id): their tokenizer and prompt, to stream decoded text in telemetry. */
  private readonly textRequests = new Map<string, { tok: Tokenizer; prompt: readonly number[] }>();
  /** Stream decoders of those requests' samples (`id`, `id#k`), dropped when the sample finishes. */
  private readonly textDecoders = new Map<string, ReturnType<Tokenizer['streamDecoder']>>();
  /** A closed-loop workload: requests still to release, and the ids in flight. */
  private closedLoop: { queue: RequestSpec[]; next: number; inFlight: Set<string> } | null = null;

  /**
   * @param gpu acquires the GPU device (the worker passes navigator.gpu's, Node benchmarks Dawn's);
   *   needed only by the GPU backend.
   */
  constructor(
    private readonly flushMs = 100,
    private readonly gpu: (() => Promise<GpuContext>) | null = null,
  ) {}

  /** The shared KV pool on the GPU: numPages x pageBytes, f32, created once per engine. */
  private async gpuPool(numPages: number, pageBytes: number, layout: KVLayout, tokensPerPage: number): Promise<RunnerEnv['gpuPool']> {
    if (!this.gpu) throw new Error('This engine has no GPU (it was created for the simulated backend only).');
    const ctx = await this.gpu();
    if (!this.poolBuffer) {
      const bytes = numPages * pageBytes;
      const limit = Math.min(ctx.limits.maxBufferSize, ctx.limits.maxStorageBufferBindingSize);
      const fit = Math.floor(limit / pageBytes);
      if (bytes > limit) {
        throw new RangeError(
          `A KV pool of ${numPages} pages x ${formatBytes(pageBytes)} = ${formatBytes(bytes)} exceeds this GPU's largest storage buffer (${formatBytes(limit)}); at most ${fit} pages fit.`,
        );
      }
      try {
        this.poolBuffer = await withErrorScopes(ctx.device, 'KV pool', () => storageBuffer(ctx.device, 'Engine.kvPool', bytes), bytes);
      } catch (e) {
        if (e instanceof GpuOutOfMemoryError) {
          throw new GpuOutOfMemoryError('KV pool', `${e.gpuMessage}; ${numPages} pages did not fit in free GPU memory, try ${Math.max(2, Math.floor(numPages / 2))} or fewer`, bytes);
        }
        throw e;
      }
    }
    const poolLayout: KvPoolLayout = { numPages, numLayers: layout.numLayers, numKvHeads: layout.numKvHeads, headDim: layout.headDim, tokensPerPage };
    return { buffer: this.poolBuffer, layout: poolLayout };
  }

  /**
   * A failed step. Device loss on the GPU backend is recovered: running requests are requeued for
   * recompute, a new device is acquired, every model is reloaded on it (from the same source), and the
   * loop goes on; every request still finishes. Anything else (or three losses in a row) stops the loop
   * and reaches the UI through telemetry.
   */
  private async onLoopError(e: Error): Promise<'retry' | 'stop'> {
    this.scheduleFlush();
    if (e.name !== 'DeviceLostError' || this.setup?.backend.kind !== 'gpu' || !this.engine) return 'stop';
    if (++this.numRecoveries > 3) return 'stop';
    const engine = this.engine;
    const requeued = engine.preemptAllForDeviceLoss(e.message);
    this.notices.push(`${e.message}: requeued ${requeued.length} running request(s) for recompute; reloading ${this.sessions.size} model(s) on a new device`);
    this.poolBuffer = null; // it belonged to the lost device
    const { pageBytes, numPages } = engine.engineConfig;
    for (const [id, info] of this.sessions) {
      const factory = this.factories.get(id)!;
      const gpuPool = await this.gpuPool(numPages, pageBytes, info.layout, info.tokensPerPage);
      const runner = await factory.create({
        sessionId: id,
        clock: this.clock,
        tokensPerPage: info.tokensPerPage,
        numPages,
        gpuPool,
        maxNumBatchedTokens: this.setup.scheduler.maxNumBatchedTokens,
        maxNumSeqs: this.setup.scheduler.maxNumSeqs,
      });
      engine.replaceRunner(id, runner);
    }
    this.mirror?.update(engine);
    return 'retry';
  }

  /** Sets (or resets) the engine: clears sessions and requests (their listeners hear why). Returns the new epoch. */
  configure(setup: EngineSetup): number {
    this.validate(setup);
    this.loop?.pause();
    this.engine?.cancelAll('engine reset');
    for (const s of this.sessions.keys()) this.engine?.removeSession(s);
    this.sessions.clear();
    this.factories.clear();
    this.numRecoveries = 0;
    this.tokenizers.clear();
    this.poolBuffer?.destroy();
    this.poolBuffer = null;
    this.engine = null;
    this.loop = null;
    this.mirror = null;
    this.setup = setup;
    this.clock = setup.backend.kind === 'simulated' ? new VirtualClock() : new RealClock();
    // Whatever the old engine left unsent belongs to the old epoch: drop it, and restart the id numbering
    // (the new pool mirror numbers requests from 0 again).
    this.pendingRecords = [];
    this.pendingEvents = [];
    this.numRequestIdsSent = 0;
    this.recorder = this.newRecorder();
    this.textRequests.clear();
    this.textDecoders.clear();
    this.closedLoop = null;
    return ++this.epoch;
  }

  private newRecorder(): RunRecorder {
    return new RunRecorder(() => this.sessions.values().next().value?.tokensPerPage ?? 1);
  }

  /** Provenance written into reports and traces. */
  private runMeta(): Record<string, unknown> {
    const s = this.setup;
    return {
      backend: s?.backend,
      simulated: s?.backend.kind === 'simulated',
      models: this.listSessions().map((m) => m.label),
      numPages: this.engine?.pagePool.numPages,
      tokensPerPage: s?.tokensPerPage,
      scheduler: s?.scheduler,
    };
  }

  /** TTFT / TPOT / ITL / E2E percentiles, goodput, throughput, per tenant and overall (src/metrics). */
  metrics(): RunReport {
    return this.recorder.report(this.runMeta());
  }

  /** The run as a JSON report, a CSV of requests, or a Chrome trace (trace-event JSON for Perfetto). */
  exportRun(kind: 'json' | 'csv' | 'trace'): string {
    return this.recorder.export(kind, this.runMeta());
  }

  private validate(setup: EngineSetup): void {
    const pos = (name: string, v: number | undefined) => {
      if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new RangeError(`${name} must be a positive whole number, got ${v}.`);
    };
    pos('numPages', setup.numPages);
    pos('tokensPerPage', setup.tokensPerPage);
    if (setup.poolMiB !== undefined && !(setup.poolMiB > 0)) throw new RangeError(`poolMiB must be > 0, got ${setup.poolMiB}.`);
    if (setup.numPages === undefined && setup.poolMiB === undefined) throw new RangeError('Give the pool size as numPages or poolMiB.');
    if (setup.backend.kind === 'simulated' && !GPU_SPECS[setup.backend.gpu]) {
      throw new RangeError(`Unknown simulated GPU "${setup.backend.gpu}"; known: ${Object.keys(GPU_SPECS).join(', ')}.`);
    }
  }

  /** Loads a model through `factory`; the first model fixes the page size (tokensPerPage x its bytes per token). */
  async loadModel(sessionId: string, factory: RunnerFactory): Promise<SessionInfo> {
    const setup = this.setup;
    if (!setup) throw new Error('configure() the engine before loading a model.');
    if (this.sessions.has(sessionId)) throw new Error(`A model is already loaded as "${sessionId}".`);
    const want = setup.backend.kind;
    if (factory.backend !== want) throw new Error(`The engine runs the ${want} backend; this is a ${factory.backend} model. Reconfigure the backend first.`);
    const desc = await factory.describe();
    const { info } = desc;
    const bpt = bytesPerToken(info.layout);
    if (!this.engine) {
      const pageBytes = setup.tokensPerPage * bpt;
      const numPages = setup.numPages ?? Math.floor((setup.poolMiB! * 2 ** 20) / pageBytes);
      if (numPages < 2) {
        throw new RangeError(`A pool of ${setup.poolMiB} MiB holds ${numPages} page(s) of ${pageBytes} B (${setup.tokensPerPage} tokens of "${info.label}"); at least 2 are needed.`);
      }
      this.engine = new Engine(this.clock, { numPages, pageBytes, scheduler: setup.scheduler });
      this.mirror = new PoolMirror(numPages);
      this.loop = new EngineLoop(this.engine, (e) => this.onLoopError(e));
      this.engine.onStep((rec, events) => this.onStep(rec, events));
      // The mirror reads the live pool, so at the step's end (not in the next step's GPU shadow). Only the
      // pages the step touched: O(pages) per step was most of the telemetry cost at 16k pages.
      this.engine.onStepEnd(() => this.mirror?.updateStep(this.engine!, this.engine!.lastPageEvents));
    }
    const engine = this.engine;
    const { pageBytes, numPages } = engine.engineConfig;
    const tokensPerPage = Math.floor(pageBytes / bpt);
    if (tokensPerPage < 1) throw new RangeError(`"${info.label}" needs ${bpt} B per token of KV cache, more than a page of ${pageBytes} B holds.`);
    let gpuPool: RunnerEnv['gpuPool'] = null;
    if (want === 'gpu') {
      // The kernels address a page as pageStride = tokensPerPage x bytes per token; a model whose tokens
      // do not fill the pool's pages exactly would address another model's bytes.
      if (tokensPerPage * bpt !== pageBytes) {
        throw new RangeError(`"${info.label}" stores ${bpt} B per token, which does not divide this pool's ${pageBytes} B pages; load models of the same KV shape together, or reset.`);
      }
      gpuPool = await this.gpuPool(numPages, pageBytes, info.layout, tokensPerPage);
    }
    const runner = await factory.create({
      sessionId,
      clock: this.clock,
      tokensPerPage,
      numPages,
      gpuPool,
      maxNumBatchedTokens: setup.scheduler.maxNumBatchedTokens,
      maxNumSeqs: setup.scheduler.maxNumSeqs,
    });
    try {
      engine.addSession({ id: sessionId, layout: info.layout, maxModelLen: info.maxModelLen, runner, eosTokenIds: desc.eosTokenIds });
    } catch (e) {
      runner.dispose();
      throw e;
    }
    const full: SessionInfo = { ...info, id: sessionId, tokensPerPage, hasTokenizer: desc.tokenizer !== undefined };
    this.sessions.set(sessionId, full);
    this.factories.set(sessionId, factory);
    if (desc.tokenizer) this.tokenizers.set(sessionId, desc.tokenizer);
    this.mirror!.update(engine);
    return full;
  }

  unloadModel(sessionId: string): void {
    this.engine?.removeSession(sessionId);
    this.sessions.delete(sessionId);
    this.factories.delete(sessionId);
    this.tokenizers.delete(sessionId);
  }

  listSessions(): SessionInfo[] {
    return [...this.sessions.values()];
  }

  submit(spec: RequestSpec, listener?: RequestListener): void {
    if (!this.engine) {
      listener?.({ kind: 'finished', requestId: spec.requestId, reason: 'rejected', detail: 'no model is loaded', time: 0 });
      return;
    }
    this.recorder.onSubmit(spec);
    this.engine.submit(spec, listener);
    this.loop!.notify();
    this.scheduleFlush();
  }

  /**
   * Submits a text prompt to a model with a tokenizer: encodes it (with BOS), and streams decoded text
   * with each token event (per sample, so n > 1 samples each get their own text). Returns the prompt's
   * token ids; an unknown model or one without a tokenizer is rejected through the listener.
   */
  submitText(spec: Omit<RequestSpec, 'promptTokenIds'> & { prompt: string }, listener: RequestListener): number[] {
    const tok = this.tokenizers.get(spec.model);
    if (!tok) {
      const why = this.sessions.has(spec.model) ? `model "${spec.model}" has no tokenizer; send token ids` : `unknown model "${spec.model}"`;
      listener({ kind: 'finished', requestId: spec.requestId, reason: 'rejected', detail: why, time: this.clock.now() });
      return [];
    }
    const { prompt, ...rest } = spec;
    const ids = tok.encode(prompt, { bos: true });
    const decoders = new Map<string, ReturnType<Tokenizer['streamDecoder']>>();
    this.submit({ ...rest, promptTokenIds: ids }, (e) => {
      if (e.kind === 'token') {
        let d = decoders.get(e.requestId);
        if (!d) decoders.set(e.requestId, (d = tok.streamDecoder(ids)));
        listener({ ...e, text: e.tokenIds.map((t) => d!.push(t)).join('') });
      } else listener(e);
    });
    return ids;
  }

  /**
   * Generates a seeded workload (src/workload) and submits every request with its arrival time on the
   * engine clock, counted from now; the loop releases each when its time comes. Tenants and model must
   * be the configured ones (unknown ones are rejected per request, with the reason, like any submit).
   */
  startWorkload(config: WorkloadConfig, options: WorkloadOptions = {}): WorkloadStarted {
    const generated = generateWorkload(config);
    if (!options.text && options.maxConcurrency === undefined && (options.parallel ?? 'n') === 'n') return this.submitGenerated(generated);
    if (!this.engine) throw new Error('Load a model before starting a workload.');
    const text = options.text;
    if (text && text.bodies.length === 0) throw new RangeError('Text prompts need at least one body.');
    const start = this.clock.now();
    const specs: RequestSpec[] = [];
    for (const r of generated) {
      const spec = toRequestSpec(r, start);
      if (text) {
        const tok = this.tokenizers.get(r.model);
        if (!tok) throw new Error(`Text prompts need a model with a tokenizer; "${r.model}" has none (${this.sessions.has(r.model) ? 'synthetic or simulated' : 'not loaded'}).`);
        const prefixes = text.sharedPrefixes ?? [];
        const prefix = r.sharedPrefix !== null && prefixes.length ? prefixes[r.sharedPrefix % prefixes.length]! : '';
        spec.promptTokenIds = tok.encode(prefix + text.bodies[r.sampling.seed % text.bodies.length]!, { bos: true });
      }
      for (const s of splitParallel(spec, options.parallel ?? 'n')) {
        if (text) this.textRequests.set(s.requestId, { tok: this.tokenizers.get(s.model)!, prompt: s.promptTokenIds });
        specs.push(s);
      }
    }
    const numSamples = specs.reduce((a, s) => a + (s.n ?? 1), 0);
    if (options.maxConcurrency !== undefined) {
      const cap = options.maxConcurrency;
      if (!(Number.isInteger(cap) && cap >= 1)) throw new RangeError(`maxConcurrency must be a whole number >= 1, got ${cap}.`);
      this.closedLoop = { queue: specs, next: 0, inFlight: new Set() };
      for (let i = 0; i < cap; i++) this.releaseNext();
      this.loop!.notify();
      this.scheduleFlush();
      return { numRequests: specs.length, numSamples, firstArrivalMs: start, lastArrivalMs: start };
    }
    for (const spec of specs) {
      this.recorder.onSubmit(spec);
      this.engine.submit(spec);
    }
    this.loop!.notify();
    this.scheduleFlush();
    return { numRequests: specs.length, numSamples, firstArrivalMs: specs[0]?.arrivalTime ?? start, lastArrivalMs: specs.at(-1)?.arrivalTime ?? start };
  }

  /** Closed loop: submits the next queued request, arriving now. False when none is left. */
  private releaseNext(): boolean {
    const cl = this.closedLoop;
    if (!cl || cl.next >= cl.queue.length || !this.engine) return false;
    const spec = { ...cl.queue[cl.next++]!, arrivalTime: this.clock.now() };
    cl.inFlight.add(spec.requestId);
    this.recorder.onSubmit(spec);
    this.engine.submit(spec);
    return true;
  }

  /**
   * Replays a request trace (CSV: Azure LLM inference or splitwise/Vidur columns, src/workload/trace.ts):
   * each row becomes a request of the row's prompt and output lengths (synthetic token ids), arriving at
   * the row's time / speed from now. A malformed row rejects the whole trace with its line number (the
   * parser's CsvError); rows of zero output tokens are skipped and listed in `skipped`.
   */
  startTrace(csv: string, o: TraceReplay): TraceStarted {
    if (!this.engine) throw new Error('Load a model before replaying a trace.');
    const parsed = parseTrace(csv, { format: o.format ?? 'auto', speed: o.speed ?? 1, ...(o.maxRequests ? { maxRequests: o.maxRequests } : {}) });
    const requests = traceToRequests(parsed, { seed: o.seed, vocabSize: o.vocabSize, firstTokenId: 3, model: o.model, tenant: o.tenant, idPrefix: 'trace-' });
    return { ...this.submitGenerated(requests), format: parsed.format, skipped: parsed.skipped.slice(0, 20) };
  }

  private submitGenerated(requests: GeneratedRequest[]): WorkloadStarted {
    if (!this.engine) throw new Error('Load a model before starting a workload.');
    const start = this.clock.now();
    let numSamples = 0;
    for (const r of requests) {
      const spec = toRequestSpec(r, start);
      this.recorder.onSubmit(spec);
      this.engine.submit(spec);
      numSamples += r.n;
    }
    this.loop!.notify();
    this.scheduleFlush();
    return {
      numRequests: requests.length,
      numSamples,
      firstArrivalMs: requests.length ? start + requests[0]!.arrivalTimeS * 1000 : start,
      lastArrivalMs: requests.length ? start + requests[requests.length - 1]!.arrivalTimeS * 1000 : start,
    };
  }

  /**
   * Calibration mode: times a few forward steps of a small random model on this GPU (its own buffers;
   * loaded models and the KV pool are untouched) and fits the simulated backend's roofline to them.
   * Returns achieved FLOP/s, bytes/s and per-dispatch overhead, labelled "measured on <adapter>", and
   * efficiency factors when `peaks` (with their source) are given. Refused while the engine is running,
   * whose steps would share the GPU with the measurements.
   */
  async calibrate(opts: CalibrationOptions = {}): Promise<CalibrationResult> {
    if (!this.gpu) throw new Error('This engine has no GPU to calibrate against (it was created for the simulated backend only).');
    if (this.loopState === 'running') throw new Error('Pause the engine before calibrating: its steps would share the GPU with the measurements.');
    return calibrateOnGpu(await this.gpu(), opts);
  }

  /** The pool's regions (partition page ranges), for drawing boundaries; [] before a model is loaded. */
  poolRegions(): PoolRegionInfo[] {
    return this.engine ? this.engine.pagePool.regions.map((r) => ({ name: r.name, start: r.start, end: r.end })) : [];
  }

  cancel(requestId: string): boolean {
    const ok = this.engine?.cancel(requestId) ?? false;
    this.mirror?.update(this.engine!);
    this.scheduleFlush();
    return ok;
  }

  run(): void {
    this.loop?.start();
  }

  pause(): void {
    this.loop?.pause();
    this.scheduleFlush();
  }

  async singleStep(): Promise<EngineStepRecord | null> {
    return (await this.loop?.singleStep()) ?? null;
  }

  setSpeed(speed: number): void {
    this.loop?.setSpeed(speed);
  }

  get loopState(): LoopState {
    return this.loop?.loopState ?? 'paused';
  }

  get engineClock(): EngineClock {
    return this.clock;
  }

  /** The current engine (null until a model is loaded); for tests and Node benchmarks. */
  get currentEngine(): Engine | null {
    return this.engine;
  }

  /** The shared pool mirror (null when not cross-origin isolated or no pool yet); send once, read every frame. */
  sharedPoolMirror(): Int32Array | null {
    return this.mirror?.shared ? this.mirror.data : null;
  }

  /**
   * Block table of a request (logical block -> page) and its tokens, for the block-table view; with
   * `tokenTexts` (each token's display piece) when the model has a tokenizer.
   */
  blockTable(requestId: string): { pages: number[]; tokenIds: number[]; tokenTexts?: string[]; tokensPerPage: number; numComputedTokens: number; sessionId: string } | null {
    const sch = this.engine?.schedulerState;
    const req = sch?.getRequest(requestId);
    if (!sch || !req) return null;
    const alloc = sch.allocator(req.model);
    const tok = this.tokenizers.get(req.model);
    const tokenIds = [...req.allTokenIds];
    return {
      pages: [...alloc.blockTable(requestId)],
      tokenIds,
      ...(tok ? { tokenTexts: tokenIds.map((id) => tokenPiece(tok, id)) } : {}),
      tokensPerPage: alloc.tokensPerPage,
      numComputedTokens: req.numComputedTokens,
      sessionId: req.model,
    };
  }

  /** One page for the pool view's tooltip: owner, ref count, fill, prefix-cache hash prefix, token text. O(block table). */
  pageInfo(page: number): PageDetail | null {
    const engine = this.engine;
    if (!engine || !Number.isInteger(page) || page < 0 || page >= engine.pagePool.numPages) return null;
    const pool = engine.pagePool;
    const owner = page === 0 ? null : pool.ownerOf(page);
    const hash = pool.hashOfPage(page);
    let tokenTexts: string[] | null = null;
    const tok = owner ? this.tokenizers.get(owner.model) : undefined;
    const sch = engine.schedulerState;
    const req = owner && sch ? sch.getRequest(owner.request) : undefined;
    if (owner && tok && sch && req) {
      const alloc = sch.allocator(owner.model);
      // A page an n > 1 request reserved for its forks is owned by it in the pool but sits in a fork's
      // block table (the fork's copy of the shared partial page): look in the forks' tables too.
      for (let k = 0; k < req.n; k++) {
        const r = k === 0 ? req : sch.getRequest(`${owner.request}#${k}`);
        const block = r ? alloc.blockTable(r.requestId).indexOf(page) : -1;
        if (!r || block < 0) continue;
        const tpp = alloc.tokensPerPage;
        const end = Math.min(r.numComputedTokens, (block + 1) * tpp);
        tokenTexts = r.allTokenIds.slice(block * tpp, Math.max(block * tpp, end)).map((id) => tokenPiece(tok, id));
        break;
      }
    }
    return {
      page,
      owner: owner ? { tenant: owner.tenant, requestId: owner.request, model: owner.model } : null,
      refCount: pool.refCountOf(page),
      fill: this.mirror ? this.mirror.data[MIRROR_HEADER + page * PAGE_FIELDS + 3]! : 0,
      hashPrefix: hash ? hash.slice(0, 8) : null,
      tokenTexts,
    };
  }

  subscribe(listener: TelemetryListener): () => void {
    this.telemetryListeners.add(listener);
    return () => this.telemetryListeners.delete(listener);
  }

  private onStep(rec: EngineStepRecord, events: RequestEvent[]): void {
    if (this.textRequests.size || this.closedLoop) this.followRequests(events);
    this.recorder.onEvents(events, this.engine!.schedulerState);
    this.recorder.onStep(rec);
    this.pendingRecords.push(rec);
    for (const e of events) this.pendingEvents.push(e);
    this.scheduleFlush();
  }

  /**
   * Text-prompt requests: decoded text on their token events (set on the event objects the telemetry
   * batch carries). Closed loop: a finished request lets the next one in.
   */
  private followRequests(events: RequestEvent[]): void {
    let released = false;
    for (const e of events) {
      if (e.kind === 'token') {
        let d = this.textDecoders.get(e.requestId);
        if (!d) {
          const t = this.textRequests.get(e.requestId.split('#')[0]!);
          if (!t) continue;
          this.textDecoders.set(e.requestId, (d = t.tok.streamDecoder(t.prompt)));
        }
        e.text = e.tokenIds.map((id) => d!.push(id)).join('');
      } else if (e.kind === 'finished') {
        this.textDecoders.delete(e.requestId);
        if (this.closedLoop?.inFlight.delete(e.requestId)) released = this.releaseNext() || released;
      }
    }
    if (released) this.loop?.notify();
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null) return;
    const wait = Math.max(0, this.lastFlush + this.flushMs - performance.now());
    this.flushTimer = setTimeout(() => this.flush(), wait);
  }

  /** Sends what accumulated since the last batch to every telemetry listener. */
  flush(): void {
    // The last step's telemetry may still wait for the next step's GPU work: run it now, so the batch
    // carries every finished step and the mirror (updated at each step's end) matches its last record.
    // (Before the timer is cleared: the step listener it runs must not schedule another flush.)
    try {
      this.engine?.flushTelemetry();
    } catch (e) {
      this.notices.push(`telemetry listener failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.flushTimer = null;
    this.lastFlush = performance.now();
    const m = this.mirror;
    const ids = m ? m.requestIds.slice(this.numRequestIdsSent) : [];
    const newRequestIds = ids.map((id, i): [number, string] => [this.numRequestIdsSent + i, id]);
    this.numRequestIdsSent += ids.length;
    const batch: TelemetryBatch = {
      records: this.pendingRecords,
      events: this.pendingEvents,
      loop: this.loopState,
      ...(m && !m.shared ? { poolCopy: m.data.slice() } : {}),
      ...(newRequestIds.length ? { newRequestIds } : {}),
      ...(this.loop?.error ? { error: this.loop.error.message } : {}),
      ...(this.notices.length ? { notices: this.notices } : {}),
      epoch: this.epoch,
    };
    this.notices = [];
    this.pendingRecords = [];
    this.pendingEvents = [];
    for (const l of this.telemetryListeners) l(batch);
  }
}

/**
 * A request of n > 1 as `mode` submits it: unchanged (`n`), or n requests of n = 1 with ids `id.k` and
 * sampling seeds seed + k, tagged as one gang (`gang`) or not (`independent`).
 */
export function splitParallel(spec: RequestSpec, mode: 'n' | 'gang' | 'independent'): RequestSpec[] {
  const n = spec.n ?? 1;
  if (mode === 'n' || n <= 1) return [spec];
  return Array.from({ length: n }, (_, k) => ({
    ...spec,
    requestId: `${spec.requestId}.${k}`,
    n: 1,
    ...(spec.sampling ? { sampling: { ...spec.sampling, ...(spec.sampling.seed !== undefined ? { seed: (spec.sampling.seed + k) >>> 0 } : {}) } } : {}),
    ...(mode === 'gang' ? { gang: { id: spec.requestId, size: n } } : {}),
  }));
}

const pieceCache = new WeakMap<Tokenizer, Map<number, string>>();

/**
 * A token's text for display, cached per tokenizer: byte-level BPE vocabularies (hf) store pieces in a
 * byte alphabet ('Ġ' for a space), so their pieces are decoded; special tokens (which decode to '') and
 * llama2.c pieces show as the vocabulary has them.
 */
export function tokenPiece(tok: Tokenizer, id: number): string {
  let cache = pieceCache.get(tok);
  if (!cache) pieceCache.set(tok, (cache = new Map()));
  let text = cache.get(id);
  if (text === undefined) {
    text = tok.kind === 'hf' ? tok.decode([id]) || tok.tokenText(id) : tok.tokenText(id);
    cache.set(id, text);
  }
  return text;
}
