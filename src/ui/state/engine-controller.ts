/**
 * The playground's one handle on the engine worker, as a Lit reactive controller: applies a
 * configuration (configure + load the model), starts workloads, runs / pauses / steps, follows the
 * selected request's block table, and folds telemetry into a TelemetryStore. Views get plain data from
 * it; nothing here computes engine results. Every worker error is kept in `error` for the UI to show.
 */
import * as Comlink from 'comlink';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { TelemetryBatch, SessionInfo, PoolRegionInfo, WorkloadStarted, PageDetail } from '../../engine/service';
import type { GpuStatus } from '../../engine/worker';
import type { RunReport } from '../../metrics';
import type { RequestEvent } from '../../engine/telemetry';
import { engineClient } from '../engine-client';
import { BUILTIN_MODEL, toEngineSetup, toWorkload, toWorkloadOptions, urlModelSource, type PlaygroundConfig } from './config';
import type { LoadProgressEvent, ModelSource } from '../../engine/model-sources';
import { BIN_MS, TelemetryStore } from './telemetry-store';

export type BlockTable = { pages: number[]; tokenIds: number[]; tokenTexts?: string[]; tokensPerPage: number; numComputedTokens: number; sessionId: string };

export type Phase = 'starting' | 'applying' | 'ready' | 'failed';

/** The session id of the playground's model (one model for now). */
export const SESSION_ID = 'main';

/** Offers `blob` as a file download. */
export function saveFile(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class EngineController implements ReactiveController {
  readonly store = new TelemetryStore();
  phase: Phase = 'starting';
  error: string | null = null;
  session: SessionInfo | null = null;
  regions: PoolRegionInfo[] = [];
  /** The pool mirror: shared memory (read every frame) or the latest copy from telemetry. */
  mirror: Int32Array | null = null;
  mirrorShared = false;
  catalog: { gpus: Array<{ id: string; name: string; source: string }>; models: Array<{ id: string; name: string }> } | null = null;
  workload: WorkloadStarted | null = null;
  selectedId: string | null = null;
  blockTable: BlockTable | null = null;
  /** The configuration the engine runs now. */
  applied: PlaygroundConfig | null = null;
  /** The latest metrics report (src/metrics, computed in the worker), refreshed at most once a second. */
  report: RunReport | null = null;
  private metricsAt = 0;
  private fetchingMetrics = false;
  /** Loading a real model: download, then upload to the GPU. */
  progress: LoadProgressEvent | null = null;
  /** Downloads in the model cache (IndexedDB), with sizes. */
  cached: Array<{ source: string; size: number }> = [];
  /** Device loss and recovery notices from the engine (not errors). */
  notices: string[] = [];
  /** Files the visitor picked for the 'files' model choice (not part of the URL state). */
  pickedFiles: File[] = [];
  /** Decoded text of requests sent from the prompt box to a real model, by request (and sample) id. */
  readonly texts = new Map<string, string>();
  /** True while the selection is the controller's own pick (a running request, replaced when it ends). */
  private autoSelect = true;
  private subscribed = false;
  private fetchingTable = false;
  private promptCount = 0;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {}

  private get api() {
    return engineClient();
  }

  private fail(e: unknown): void {
    this.error = message(e);
    this.host.requestUpdate();
  }

  clearError(): void {
    this.error = null;
    this.host.requestUpdate();
  }

  private onBatch(batch: TelemetryBatch): void {
    if (!this.store.ingest(batch)) return;
    // Workload requests with text prompts carry their decoded text on token events.
    for (const e of batch.events) if (e.kind === 'token' && e.text) this.texts.set(e.requestId, (this.texts.get(e.requestId) ?? '') + e.text);
    if (batch.poolCopy) this.mirror = batch.poolCopy;
    if (batch.error) this.error = `The engine stopped: ${batch.error}`;
    if (batch.notices?.length) this.notices = [...this.notices, ...batch.notices].slice(-3);
    this.followRunning();
    if (this.selectedId) void this.refreshBlockTable();
    // Latency numbers move with first tokens too (TTFT before anything finished): at most once a second.
    if (batch.events.some((e) => e.kind === 'finished' || e.kind === 'token') || batch.loop === 'paused') void this.refreshMetrics();
    this.host.requestUpdate();
  }

  /** Until the user picks a request, show the block table of a running one (the longest-running). */
  private followRunning(): void {
    if (!this.autoSelect) return;
    const cur = this.selectedId ? this.store.requests.get(this.selectedId) : undefined;
    if (cur && cur.state !== 'finished') return;
    let pick: string | null = null;
    for (const r of this.store.requests.values()) {
      if (r.state === 'running' && r.numOutputTokens > 0 && !r.id.includes('#')) {
        pick = r.id;
        break;
      }
    }
    if (pick) {
      this.selectedId = pick;
      this.blockTable = null;
    }
  }

  /** Fetches the metrics report unless one was fetched in the last second (or is on its way). */
  async refreshMetrics(force = false): Promise<void> {
    const now = performance.now();
    if (this.fetchingMetrics || (!force && now - this.metricsAt < 1000)) return;
    this.fetchingMetrics = true;
    this.metricsAt = now;
    const epoch = this.store.epoch;
    try {
      const r = await this.api.metrics();
      if (epoch === this.store.epoch) this.report = r;
    } catch (e) {
      this.fail(e);
    } finally {
      this.fetchingMetrics = false;
      this.host.requestUpdate();
    }
  }

  /** Downloads the run as a JSON report, a CSV of requests or a Chrome trace (made in the worker). */
  async download(kind: 'json' | 'csv' | 'trace'): Promise<void> {
    try {
      const text = await this.api.exportRun(kind);
      const name = { json: 'run-report.json', csv: 'requests.csv', trace: 'trace.json' }[kind];
      saveFile(new Blob([text], { type: kind === 'csv' ? 'text/csv' : 'application/json' }), name);
    } catch (e) {
      this.fail(e);
    }
  }

  /** (Re)configures the engine with `config` and loads its model; telemetry restarts from zero. */
  async apply(config: PlaygroundConfig): Promise<boolean> {
    this.phase = 'applying';
    this.error = null;
    this.host.requestUpdate();
    try {
      const api = this.api;
      if (!this.subscribed) {
        await api.subscribe(Comlink.proxy((b: TelemetryBatch) => this.onBatch(b)));
        this.subscribed = true;
      }
      this.catalog ??= await api.simulatedCatalog();
      const epoch = await api.configure(toEngineSetup(config));
      this.store.reset(epoch, config.tenants.map((t) => t.id), config.backend === 'gpu' ? 1000 : BIN_MS);
      this.report = null;
      this.selectedId = null;
      this.blockTable = null;
      this.autoSelect = true;
      this.workload = null;
      this.texts.clear();
      this.session =
        config.backend === 'simulated'
          ? await api.loadSimulatedModel(SESSION_ID, config.model, config.simGpu, config.maxModelLen)
          : await api.loadModel(
              SESSION_ID,
              this.gpuSource(config),
              Comlink.proxy((p: LoadProgressEvent) => {
                // A progress message can arrive after the load returned: only show it while applying.
                if (this.phase !== 'applying') return;
                this.progress = p;
                this.host.requestUpdate();
              }),
              config.maxModelLen,
            );
      this.progress = null;
      if (config.backend === 'gpu') void this.refreshCached();
      const shared = await api.sharedPoolMirror();
      this.mirror = shared;
      this.mirrorShared = shared !== null;
      this.regions = await api.poolRegions();
      await api.setSpeed(config.speed);
      this.applied = config;
      this.phase = 'ready';
      this.host.requestUpdate();
      return true;
    } catch (e) {
      this.phase = 'failed';
      this.progress = null;
      this.fail(e);
      return false;
    }
  }

  async refreshCached(): Promise<void> {
    try {
      this.cached = (await this.api.cachedModels()).map((e) => ({ source: e.source, size: e.size }));
    } catch (e) {
      this.fail(e);
    }
    this.host.requestUpdate();
  }

  async evict(source: string): Promise<void> {
    await this.api.evictCachedModel(source).catch((e) => this.fail(e));
    await this.refreshCached();
  }

  /** The browser's WebGPU adapter, or why there is none (the worker acquires the device once). */
  async webGpu(): Promise<GpuStatus> {
    try {
      return await this.api.gpuStatus();
    } catch (e) {
      return { available: false, reason: message(e), hint: '' };
    }
  }

  /** One page's owner, ref count, fill, prefix-cache hash prefix and token text (for the pool tooltip). */
  async pageInfo(page: number): Promise<PageDetail | null> {
    try {
      return await this.api.pageInfo(page);
    } catch {
      return null;
    }
  }

  private gpuSource(c: PlaygroundConfig): ModelSource {
    if (c.gpuModel === 'url') return { kind: 'url', ...urlModelSource(c.modelUrl, c.modelFiles) };
    if (c.gpuModel === 'synthetic-tiny') return { kind: 'synthetic', preset: 'tiny', seed: c.workload.seed };
    if (c.gpuModel === 'files') {
      if (this.pickedFiles.length === 0) throw new Error('Pick the model files first (a .gguf, a llama2.c .bin, or a folder with config.json + model.safetensors + tokenizer.json).');
      return { kind: 'files', files: this.pickedFiles };
    }
    return { kind: 'url', baseUrl: new URL(BUILTIN_MODEL.dir, location.href).href, files: BUILTIN_MODEL.files };
  }

  /** Sends a text prompt to a real model; its decoded text streams into `texts`. */
  async submitText(tenant: string, prompt: string, maxTokens: number): Promise<string | null> {
    if (!this.session) return null;
    const id = `you-${++this.promptCount}`;
    this.texts.set(id, '');
    try {
      await this.api.submitText(
        { requestId: id, tenant, model: this.session.id, prompt, maxTokens, sampling: { temperature: 0.8, topP: 0.95, seed: this.promptCount } },
        Comlink.proxy((e: RequestEvent) => {
          if (e.kind === 'token' && e.text !== undefined) {
            this.texts.set(e.requestId, (this.texts.get(e.requestId) ?? '') + e.text);
            this.host.requestUpdate();
          }
        }),
      );
      await this.api.run();
      return id;
    } catch (e) {
      this.fail(e);
      return null;
    }
  }

  /** Generates the configured workload in the worker and starts the loop. */
  async startWorkload(): Promise<void> {
    const c = this.applied;
    if (!c || !this.session) return;
    try {
      this.workload = await this.api.startWorkload(toWorkload(c, this.session.id, this.session.vocabSize), toWorkloadOptions(c, this.session.hasTokenizer === true));
      await this.api.run();
    } catch (e) {
      this.fail(e);
    }
    this.host.requestUpdate();
  }

  /** What the last trace replay did, or why it failed (shown under the trace picker). */
  traceNote = '';

  /** Replays a CSV trace file in the worker (parsed there) and starts the loop. */
  async startTrace(file: File, speed: number, tenant: string): Promise<void> {
    const c = this.applied;
    if (!c || !this.session) return;
    try {
      const r = await this.api.startTrace(file, { speed, tenant, model: this.session.id, seed: c.workload.seed, vocabSize: this.session.vocabSize });
      this.traceNote = `Replaying ${r.numRequests} requests (${r.format} format) over ${((r.lastArrivalMs - r.firstArrivalMs) / 1000).toFixed(1)} s${r.skipped.length ? `; skipped ${r.skipped.length} rows without output (first: line ${r.skipped[0]!.line})` : ''}.`;
      this.workload = this.workload
        ? { ...this.workload, numRequests: this.workload.numRequests + r.numRequests, numSamples: this.workload.numSamples + r.numSamples }
        : { numRequests: r.numRequests, numSamples: r.numSamples, firstArrivalMs: r.firstArrivalMs, lastArrivalMs: r.lastArrivalMs };
      await this.api.run();
    } catch (e) {
      this.traceNote = `Not replayed: ${e instanceof Error ? e.message : String(e)}`;
    }
    this.host.requestUpdate();
  }

  async run(): Promise<void> {
    await this.api.run().catch((e) => this.fail(e));
  }

  async pause(): Promise<void> {
    await this.api.pause().catch((e) => this.fail(e));
  }

  async step(): Promise<void> {
    await this.api.singleStep().catch((e) => this.fail(e));
  }

  async setSpeed(speed: number): Promise<void> {
    await this.api.setSpeed(speed).catch((e) => this.fail(e));
  }

  /** Sends one request of `numTokens` synthetic prompt tokens (simulated models take no text). */
  async submitSynthetic(tenant: string, numTokens: number, maxTokens: number): Promise<string | null> {
    if (!this.session) return null;
    const id = `you-${++this.promptCount}`;
    // Deterministic filler ids above the special tokens, so two identical prompts share prefix pages.
    const prompt = Array.from({ length: numTokens }, (_, i) => 3 + ((i * 7919) % (this.session!.vocabSize - 3)));
    try {
      await this.api.submit({ requestId: id, tenant, model: this.session.id, promptTokenIds: prompt, maxTokens });
      await this.api.run();
      return id;
    } catch (e) {
      this.fail(e);
      return null;
    }
  }

  async cancel(requestId: string): Promise<void> {
    await this.api.cancel(requestId).catch((e) => this.fail(e));
  }

  /** Selects a request (null clears) and fetches its block table; the user's choice stays until changed. */
  async select(requestId: string | null): Promise<void> {
    this.autoSelect = false;
    this.selectedId = requestId;
    this.blockTable = null;
    this.host.requestUpdate();
    if (requestId) await this.refreshBlockTable();
  }

  private async refreshBlockTable(): Promise<void> {
    if (this.fetchingTable || !this.selectedId) return;
    this.fetchingTable = true;
    const id = this.selectedId;
    try {
      const t = await this.api.blockTable(id);
      // A finished request has no table any more: keep showing the last one we had.
      if (this.selectedId === id && (t || !this.blockTable)) this.blockTable = t;
    } catch (e) {
      this.fail(e);
    } finally {
      this.fetchingTable = false;
      this.host.requestUpdate();
    }
  }
}
