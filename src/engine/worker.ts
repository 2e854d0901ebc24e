/**
 * The engine worker: owns the GPU device and the engine service. The main thread reaches it only
 * through comlink, typed by `EngineApi` (a type-only import there), so nothing of the engine runs on
 * the UI thread. Callbacks (request streams, telemetry, progress) arrive as comlink proxies.
 */
import * as Comlink from 'comlink';
import { acquireGpu, WebGpuUnavailableError, type GpuContext } from '../gpu';
import type { RequestSpec } from '../scheduler';
import { describeGpu, runProbe, type GpuDescription, type ProbeReport } from './gpu-check';
import type { RequestListener } from './engine';
import { EngineService, type EngineSetup, type SessionInfo, type TelemetryListener, type TraceReplay, type TraceStarted, type WorkloadOptions, type WorkloadStarted } from './service';
import { simulatedModel } from './simulated/simulated-model';
import type { WorkloadConfig } from '../workload';
import { GPU_SPECS, type Efficiency } from './simulated/gpu-specs';
import type { CalibrationOptions, CalibrationResult } from './calibrate-gpu';
import { gpuModel } from './gpu-models';
import { describeSource, openSource, type LoadProgressEvent, type ModelSource } from './model-sources';
import { ModelCache, type CacheEntry } from '../model/cache';
import { MODEL_SHAPES } from './simulated/cost-model';

/** What the UI needs to know about the GPU: its description, or why there is none and how to get one. */
export type GpuStatus =
  | ({ available: true } & GpuDescription)
  | { available: false; reason: string; hint: string };

let gpu: Promise<GpuContext> | undefined;

function device(): Promise<GpuContext> {
  gpu ??= acquireGpu(navigator.gpu).then(
    (ctx) => {
      // A lost device is never handed out again: the next call acquires a new one.
      void ctx.lost.then(() => (gpu = undefined));
      return ctx;
    },
    (e: unknown) => {
      gpu = undefined; // a later call may try again (e.g. after the user enables a flag)
      throw e;
    },
  );
  return gpu;
}

const service = new EngineService(100, device);
const modelCache = new ModelCache();

const api = {
  async gpuStatus(): Promise<GpuStatus> {
    try {
      return { available: true, ...describeGpu(await device()) };
    } catch (e) {
      if (e instanceof WebGpuUnavailableError) return { available: false, reason: e.message, hint: e.hint };
      throw e;
    }
  },
  async runProbe(n: number): Promise<ProbeReport> {
    return runProbe(await device(), n);
  },
  /** Simulated GPUs and model shapes the simulated backend offers. */
  simulatedCatalog() {
    return {
      gpus: Object.values(GPU_SPECS).map((g) => ({ id: g.id, name: g.name, source: g.source })),
      models: Object.entries(MODEL_SHAPES).map(([id, m]) => ({ id, name: m.name })),
    };
  },
  /** Sets (or resets) the engine; returns the epoch that later telemetry batches carry. */
  configure(setup: EngineSetup): number {
    return service.configure(setup);
  },
  /** `efficiency` (e.g. from calibrate(), with peaks) replaces the simulated GPU's default efficiency factors. */
  async loadSimulatedModel(sessionId: string, shapeId: string, gpuId: string, maxModelLen?: number, efficiency?: Efficiency): Promise<SessionInfo> {
    return service.loadModel(sessionId, simulatedModel(shapeId, gpuId, maxModelLen, efficiency));
  },
  /**
   * Calibration mode: a few GPU steps of a small random model on this adapter, and the simulated
   * backend's roofline fitted to them (achieved FLOP/s, bytes/s, per-dispatch overhead; efficiency factors
   * against `peaks` when given), labelled "measured on <adapter>".
   */
  calibrate(opts?: CalibrationOptions): Promise<CalibrationResult> {
    return service.calibrate(opts);
  },
  /**
   * Loads a real model on this GPU (the engine must be configured with the GPU backend): downloads
   * through the cache or reads the picked files, then streams the weights to the GPU with progress.
   */
  async loadModel(sessionId: string, source: ModelSource, onProgress?: (p: LoadProgressEvent) => void, maxModelLen?: number): Promise<SessionInfo> {
    const report = (p: LoadProgressEvent) => onProgress?.(p);
    const factory = gpuModel(device, () => openSource(source, report, modelCache), {
      ...(maxModelLen ? { maxModelLen } : {}),
      onProgress: (p) => report({ phase: 'upload', done: p.bytesDone, total: p.bytesTotal, detail: p.tensor }),
    });
    try {
      return await service.loadModel(sessionId, factory);
    } catch (e) {
      throw new Error(`Could not load ${describeSource(source)}: ${(e as Error).message}`);
    }
  },
  /** A text prompt to a model with a tokenizer; token events carry the decoded text. Returns the prompt's ids. */
  submitText(spec: Omit<RequestSpec, 'promptTokenIds'> & { prompt: string }, listener: RequestListener): number[] {
    return service.submitText(spec, listener);
  },
  /** Downloads in the IndexedDB cache, with sizes. */
  cachedModels(): Promise<CacheEntry[]> {
    return modelCache.list();
  },
  evictCachedModel(source: string): Promise<boolean> {
    return modelCache.evict(source);
  },
  unloadModel(sessionId: string): void {
    service.unloadModel(sessionId);
  },
  listSessions(): SessionInfo[] {
    return service.listSessions();
  },
  submit(spec: RequestSpec, listener?: RequestListener): void {
    service.submit(spec, listener);
  },
  /**
   * Generates a seeded workload in the worker and submits it with future arrival times (or as a closed
   * loop of `options.maxConcurrency` users), optionally with text prompts and split parallel samples.
   */
  startWorkload(config: WorkloadConfig, options?: WorkloadOptions): WorkloadStarted {
    return service.startWorkload(config, options);
  },
  /** Replays a CSV request trace (Azure or splitwise columns); the file is read here, off the UI thread. */
  async startTrace(file: Blob | string, options: TraceReplay): Promise<TraceStarted> {
    return service.startTrace(typeof file === 'string' ? file : await file.text(), options);
  },
  /** Latency percentiles, goodput and throughput of the current run, per tenant and overall. */
  metrics() {
    return service.metrics();
  },
  /** The current run as a JSON report, a CSV of requests or a Chrome trace. */
  exportRun(kind: 'json' | 'csv' | 'trace'): string {
    return service.exportRun(kind);
  },
  /** Page ranges of the pool's regions (partitions), for the pool view's boundaries. */
  poolRegions() {
    return service.poolRegions();
  },
  cancel(requestId: string): boolean {
    return service.cancel(requestId);
  },
  run(): void {
    service.run();
  },
  pause(): void {
    service.pause();
  },
  singleStep() {
    return service.singleStep();
  },
  setSpeed(speed: number): void {
    service.setSpeed(speed);
  },
  /** The pool mirror in shared memory (null when the page is not cross-origin isolated: use telemetry's poolCopy). */
  sharedPoolMirror(): Int32Array | null {
    return service.sharedPoolMirror();
  },
  blockTable(requestId: string) {
    return service.blockTable(requestId);
  },
  /** One page's owner, ref count, fill, prefix-cache hash prefix and token text (the pool view's tooltip). */
  pageInfo(page: number) {
    return service.pageInfo(page);
  },
  subscribe(listener: TelemetryListener): void {
    service.subscribe(listener);
  },
};

export type EngineApi = typeof api;

Comlink.expose(api);
