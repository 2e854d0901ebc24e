/**
 * The Serving Playground: one element that holds the whole app. It owns the draft configuration (the
 * controls edit it, validate.ts checks it), the EngineController (the only path to the engine
 * worker), and lays out the views. Everything simulated is labelled so.
 *
 * Attributes:
 * - `lesson`: id of a guided scenario to open (lessons/lessons.ts); `?lesson=` and `?variant=` in the URL too
 *   (`?scenario=simulated` starts from the simulated scenario instead of the built-in model on this GPU)
 * - `autoplay`: apply the configuration and start the workload on load
 * - `compact`: hide the controls column (embeds)
 * - `panels`: comma list of views to show: lesson, pool, blocks, timelines, requests, latency, kernels (default all)
 * - `sync-url`: read the configuration from the page URL and write it back on apply
 *
 * @csspart card - each panel
 */
import { LitElement, html, nothing } from 'lit';
import { playgroundStyles } from './serving-playground.styles';
import { EngineController } from './state/engine-controller';
import { DEFAULT_CONFIG, SIMULATED_DEFAULT, cloneConfig, type PlaygroundConfig } from './state/config';
import { validateConfig, type FieldErrors } from './state/validate';
import { configFromUrl, configToUrl } from './state/url-state';
import { setPath, type ConfigEdit } from './controls/fields';
import { fmtInt, fmtMs, fmtPct } from './format';
import './gpu-panel';
import './controls/model-picker';
import './controls/engine-settings';
import './controls/tenant-editor';
import './controls/workload-editor';
import './controls/run-controls';
import './views/page-pool-view';
import './views/block-table-view';
import './views/timelines-view';
import './views/requests-view';
import './views/kernel-profile-view';
import './views/prompt-box';
import './views/latency-view';
import './lessons/lesson-panel';
import { LESSONS, lessonById, lessonConfig, type LiveNumber } from './lessons/lessons';
import type { VariantRun } from './lessons/lesson-panel';
import { summarize } from './pool-layout';
import { saveFile } from './state/engine-controller';

/** The benchmark results page (results.html, src/ui/results), linked from the header. */
const RESULTS_PAGE = 'results.html';

const ALL_PANELS = ['lesson', 'pool', 'blocks', 'timelines', 'requests', 'latency', 'kernels'] as const;
export type PanelName = (typeof ALL_PANELS)[number];

export class ServingPlayground extends LitElement {
  static override styles = playgroundStyles;
  static override properties = {
    autoplay: { type: Boolean },
    compact: { type: Boolean, reflect: true },
    panels: { type: String },
    syncUrl: { type: Boolean, attribute: 'sync-url' },
    lesson: { type: String },
    variant: { state: true },
    draft: { state: true },
    errors: { state: true },
    gpuLine: { state: true },
    lastSent: { state: true },
    noWebGpu: { state: true },
  };

  declare autoplay: boolean;
  declare compact: boolean;
  declare panels: string;
  declare syncUrl: boolean;
  declare lesson: string;
  declare variant: number;
  declare draft: PlaygroundConfig;
  declare errors: FieldErrors;
  declare gpuLine: string;
  declare lastSent: string | null;
  /** Why this browser has no WebGPU (the playground then runs the simulated backend), or null. */
  declare noWebGpu: string | null;

  readonly engine = new EngineController(this);
  /** The latest live numbers of each variant of each lesson run on this page, for the side-by-side table. */
  private readonly lessonRuns = new Map<string, { numbers: LiveNumber[]; runS: number }>();
  /** `lesson:variant` of the run the engine has (set once its apply succeeded). */
  private runKey = '';
  /** `?scenario=simulated` starts from the simulated scenario instead of the built-in model on this GPU. */
  private scenario: 'default' | 'simulated' = 'default';

  constructor() {
    super();
    this.autoplay = false;
    this.compact = false;
    this.panels = '';
    this.syncUrl = false;
    this.lesson = '';
    this.variant = 0;
    this.draft = cloneConfig(DEFAULT_CONFIG);
    this.errors = {};
    this.gpuLine = '';
    this.lastSent = null;
    this.noWebGpu = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.syncUrl) {
      const q = new URLSearchParams(location.search);
      this.lesson = q.get('lesson') ?? this.lesson;
      this.variant = Number(q.get('variant') ?? 0) || 0;
      if (q.get('scenario') === 'simulated') this.scenario = 'simulated';
    }
    const problems: string[] = [];
    if (this.lesson && !lessonById(this.lesson)) {
      problems.push(`lesson=${this.lesson} (no such lesson)`);
      this.lesson = '';
    }
    problems.push(...this.startingDraft());
    if (problems.length) this.engine.error = `Ignored from the URL: ${problems.join('; ')}`;
    void this.boot();
  }

  /** The draft the page opens with: the base configuration, then the URL's values. Returns what the URL got wrong. */
  private startingDraft(): string[] {
    this.draft = this.baseConfig();
    let problems: string[] = [];
    if (this.syncUrl) {
      const fromUrl = configFromUrl(location.search, this.draft);
      this.draft = fromUrl.config;
      problems = fromUrl.problems;
    }
    if (this.noWebGpu && this.draft.backend === 'gpu') this.draft.backend = 'simulated';
    this.errors = validateConfig(this.draft);
    return problems;
  }

  /**
   * Starts the engine. The default scenario runs the built-in model on this GPU; where the browser has no
   * WebGPU, the playground says why (the Your GPU card says how to get it) and runs the simulated scenario.
   */
  private async boot(): Promise<void> {
    if (this.draft.backend === 'gpu') {
      const gpu = await this.engine.webGpu();
      if (!gpu.available) {
        this.noWebGpu = gpu.reason;
        this.startingDraft();
      }
    }
    if (Object.keys(this.errors).length) return;
    if (await this.engine.apply(cloneConfig(this.draft))) {
      this.runKey = this.lessonKey();
      if (this.autoplay) await this.engine.startWorkload();
    }
  }

  /**
   * The defaults (the built-in model on this GPU; the simulated scenario without WebGPU), or the current
   * lesson's preset and variant (lessons run on the simulated backend).
   */
  private baseConfig(): PlaygroundConfig {
    const l = lessonById(this.lesson);
    if (l) return lessonConfig(SIMULATED_DEFAULT, l, this.variant);
    return cloneConfig(this.noWebGpu || this.scenario === 'simulated' ? SIMULATED_DEFAULT : DEFAULT_CONFIG);
  }

  private lessonKey(): string {
    return this.lesson ? `${this.lesson}:${this.variant}` : '';
  }

  /** Opens a lesson (null leaves it) at one of its variants, and runs it. False for an unknown id. */
  async loadLesson(id: string | null, variant = 0): Promise<boolean> {
    if (id && !lessonById(id)) return false;
    this.lesson = id ?? '';
    this.variant = variant;
    this.draft = this.baseConfig();
    this.errors = validateConfig(this.draft);
    await this.applyDraft();
    return true;
  }

  private onLessonSelect = (e: CustomEvent<{ id: string | null }>) => void this.loadLesson(e.detail.id);

  private onLessonVariant = (e: CustomEvent<{ index: number }>) => {
    this.variant = e.detail.index;
    this.draft = this.baseConfig();
    this.errors = validateConfig(this.draft);
    void this.applyDraft();
  };

  private shows(p: PanelName): boolean {
    if (!this.panels.trim()) return true;
    return this.panels.split(',').map((s) => s.trim()).includes(p);
  }

  private onEdit = (e: CustomEvent<ConfigEdit>) => {
    const next = cloneConfig(this.draft);
    setPath(next, e.detail.path, e.detail.value);
    this.draft = next;
    this.errors = validateConfig(next);
  };

  /** Applies the draft: rebuilds the engine and starts the workload. */
  async applyDraft(): Promise<void> {
    if (Object.keys(this.errors).length) return;
    const c = cloneConfig(this.draft);
    if (this.syncUrl) {
      const q = new URLSearchParams(location.search);
      const keep = ['panels', 'compact', 'autoplay', 'origins', 'scenario'].filter((k) => q.has(k)).map((k) => `${k}=${encodeURIComponent(q.get(k)!)}`);
      const lesson = this.lesson ? [`lesson=${this.lesson}`, ...(this.variant ? [`variant=${this.variant}`] : [])] : [];
      const diff = configToUrl(c, this.baseConfig());
      history.replaceState(null, '', `${location.pathname}?${[...keep, ...lesson, ...(diff ? [diff] : [])].join('&')}`);
    }
    this.runKey = '';
    if (await this.engine.apply(c)) {
      this.runKey = this.lessonKey();
      await this.engine.startWorkload();
    }
  }

  private onRun = async (e: CustomEvent<{ command: string; speed?: number }>) => {
    const en = this.engine;
    switch (e.detail.command) {
      case 'start':
        return en.startWorkload();
      case 'run':
        return en.run();
      case 'pause':
        return en.pause();
      case 'step':
        return en.step();
      case 'speed':
        this.draft = { ...this.draft, speed: e.detail.speed! };
        if (en.applied) en.applied.speed = e.detail.speed!;
        return en.setSpeed(e.detail.speed!);
      case 'reset':
        if (en.applied) await en.apply(cloneConfig(en.applied));
        return;
    }
  };

  private fetchPage = (page: number) => this.engine.pageInfo(page);

  private onSelect = (e: CustomEvent<{ requestId: string | null }>) => void this.engine.select(e.detail.requestId);

  private onPrompt = async (e: CustomEvent<{ tenant: string; numTokens: number; maxTokens: number; prompt: string }>) => {
    const d = e.detail;
    const id = d.prompt.trim() ? await this.engine.submitText(d.tenant, d.prompt, d.maxTokens) : await this.engine.submitSynthetic(d.tenant, d.numTokens, d.maxTokens);
    if (id) {
      this.lastSent = id;
      void this.engine.select(id);
    }
  };

  private savePoolPng(): void {
    const canvas = this.renderRoot.querySelector('page-pool-view')?.shadowRoot?.querySelector('canvas');
    canvas?.toBlob((b) => b && saveFile(b, 'page-pool.png'));
  }

  override render() {
    const en = this.engine;
    const applied = en.applied;
    // While a configuration is being applied (the first load included), label the backend it asks for.
    const simulated = (en.phase === 'applying' || !applied ? this.draft.backend : applied.backend) !== 'gpu';
    const numErrors = Object.keys(this.errors).length;
    return html`
      <header>
        <h1>Serving Playground</h1>
        <span class="model" data-testid="model-line"
          >${simulated ? html`<span class="sim">simulated</span>` : html`<span class="real">this GPU</span>`}${en.session ? en.session.label : en.phase === 'applying' ? this.loadingText() : ''}</span
        >
        ${this.noWebGpu && simulated ? html`<span class="fallback" data-testid="fallback" title=${this.noWebGpu}>no WebGPU here: simulated instead (see Your GPU)</span>` : nothing}
        ${!simulated && en.phase === 'ready' && en.workload && en.store.totals.steps === 0
          ? html`<span class="fallback" data-testid="first-step">first step: compiling the GPU kernels…</span>`
          : nothing}
        ${this.compact ? nothing : html`<a class="results" href=${RESULTS_PAGE} data-testid="results-link">Benchmark results</a>`}
        <run-controls .loop=${en.store.loop} ?ready=${en.phase === 'ready'} ?started=${en.workload !== null} .speed=${this.draft.speed} @run-command=${this.onRun}></run-controls>
      </header>
      ${this.renderKeys()}
      ${en.notices.length ? html`<div class="error notice" role="status">${en.notices.map((n) => html`<span>${n}</span>`)}<button @click=${() => ((en.notices = []), this.requestUpdate())}>Dismiss</button></div>` : nothing}
      ${en.error
        ? html`<div class="error" role="alert" data-testid="engine-error"><span>${en.error}</span><button @click=${() => en.clearError()}>Dismiss</button></div>`
        : nothing}
      <div class="layout" @config-edit=${this.onEdit} @request-select=${this.onSelect}>
        ${this.compact ? nothing : this.renderControls(numErrors)}
        <main>${this.renderViews(simulated)}</main>
      </div>
    `;
  }

  private renderKeys() {
    const s = this.engine.store;
    const last = s.last;
    const c = s.counts();
    const tokS = s.series.outputTokensPerS.at(-1) ?? 0;
    const kv = last ? (100 * last.pool.numUsedPages) / Math.max(1, last.pool.numUsablePages) : 0;
    return html`<div class="keys" data-testid="key-numbers" aria-live="off">
      <span>step<b data-testid="key-step">${fmtInt(s.totals.steps)}</b></span>
      <span>${(this.engine.applied ?? this.draft).backend === 'gpu' ? 'run time' : 'simulated time'}<b>${fmtMs(s.runMs)}</b></span>
      <span>output<b>${fmtInt(tokS)}</b> tok/s</span>
      <span>KV in use<b data-testid="key-kv">${fmtPct(kv)}</b></span>
      <span>running<b>${fmtInt(last?.numRunning ?? 0)}</b></span>
      <span>waiting<b>${fmtInt(last?.numWaiting ?? 0)}</b></span>
      <span>preempted<b>${fmtInt(c.preempted)}</b> (${fmtInt(s.totals.preemptions)} total)</span>
      <span>finished<b data-testid="key-finished">${fmtInt(s.totals.finished)}</b>${this.engine.workload ? ` / ${fmtInt(this.engine.workload.numSamples)}` : ''}</span>
      <span>prefix-cache page hits<b>${fmtInt(s.totals.prefixHitPages)}</b></span>
      <span>loop<b data-testid="key-loop">${s.loop}</b></span>
    </div>`;
  }

  private renderControls(numErrors: number) {
    const en = this.engine;
    return html`<aside>
      <section class="card" part="card">
        <h2>Your GPU</h2>
        <gpu-panel @gpu-status=${(e: CustomEvent<{ line: string }>) => (this.gpuLine = `This GPU: ${e.detail.line}.`)}></gpu-panel>
      </section>
      <section class="card" part="card" data-testid="controls">
        <model-picker
          .config=${this.draft}
          .errors=${this.errors}
          .catalog=${en.catalog}
          .gpuLine=${this.gpuLine}
          .progress=${en.progress}
          .cached=${en.cached}
          .pickedNames=${en.pickedFiles.map((f) => f.name)}
          @files-picked=${(e: CustomEvent<{ files: File[] }>) => ((en.pickedFiles = e.detail.files), this.requestUpdate())}
          @cache-evict=${(e: CustomEvent<{ source: string }>) => void en.evict(e.detail.source)}
        ></model-picker>
        <hr class="sep" />
        <engine-settings .config=${this.draft} .errors=${this.errors}></engine-settings>
        <hr class="sep" />
        <tenant-editor .config=${this.draft} .errors=${this.errors}></tenant-editor>
        <hr class="sep" />
        <workload-editor
          .config=${this.draft}
          .errors=${this.errors}
          .traceNote=${en.traceNote}
          @trace-replay=${(e: CustomEvent<{ file: File; speed: number; tenant: string }>) => void en.startTrace(e.detail.file, e.detail.speed, e.detail.tenant)}
        ></workload-editor>
        <div class="apply">
          <button data-testid="apply" ?disabled=${numErrors > 0 || en.phase === 'applying'} @click=${() => void this.applyDraft()}>Apply and restart</button>
          <span class=${numErrors ? 'bad' : ''} data-testid="apply-status"
            >${numErrors ? `${numErrors} field${numErrors > 1 ? 's need' : ' needs'} fixing` : en.phase === 'applying' ? 'applying…' : 'Rebuilds the engine and starts the workload.'}</span
          >
        </div>
      </section>
    </aside>`;
  }

  private renderLesson() {
    const l = lessonById(this.lesson);
    const en = this.engine;
    const pool = l && en.mirror ? summarize(en.mirror, en.session?.tokensPerPage ?? 16, en.store.tenants.length) : null;
    const numbers = l ? l.numbers({ store: en.store, report: en.report, pool }) : [];
    // Keep each variant's latest numbers (once its own run has steps), so the variants compare side by side.
    if (l && this.runKey === this.lessonKey() && en.phase === 'ready' && en.store.totals.steps > 0) this.lessonRuns.set(this.runKey, { numbers, runS: en.store.runMs / 1000 });
    const runs: VariantRun[] = l ? l.variants.map((v, i) => ({ label: v.label, ...(this.lessonRuns.get(`${l.id}:${i}`) ?? { numbers: null, runS: 0 }) })) : [];
    return html`<section class="card full" part="card" data-testid="lesson-card">
      <lesson-panel .lessons=${LESSONS} .lesson=${l} .variant=${this.variant} .numbers=${numbers} .runs=${runs} .simulated=${en.applied?.backend !== 'gpu'} @lesson-select=${this.onLessonSelect} @lesson-variant=${this.onLessonVariant}></lesson-panel>
    </section>`;
  }

  private loadingText(): string {
    const p = this.engine.progress;
    if (!p) return 'loading…';
    const pct = p.total ? ` ${Math.round((100 * p.done) / p.total)}%` : '';
    return `${p.phase === 'download' ? 'downloading' : 'uploading to the GPU'} ${p.detail}${pct}…`;
  }

  private renderViews(simulated: boolean) {
    const en = this.engine;
    const s = en.store;
    const v = s.version;
    const tenants = s.tenants;
    const sel = en.selectedId;
    const last = s.last;
    return html`
      ${this.shows('lesson') || this.lesson ? this.renderLesson() : nothing}
      ${this.shows('pool')
        ? html`<section class="card ${this.shows('blocks') ? '' : 'full'}" part="card" data-testid="pool-card">
            <h2>
              Page pool <small>${en.session ? `${fmtInt((en.applied?.numPages ?? 1) - 1)} pages × ${en.session.tokensPerPage} tokens${en.mirrorShared ? ' · live from shared memory' : ' · snapshots'}` : ''}</small>
              <span class="exports"><button @click=${() => this.savePoolPng()}>PNG</button></span>
            </h2>
            <page-pool-view
              .mirror=${en.mirror}
              .tenants=${tenants}
              .regions=${en.regions}
              .requestIdOf=${s.requestIdOf}
              .highlightPages=${en.blockTable?.pages ?? []}
              .tokensPerPage=${en.session?.tokensPerPage ?? 16}
              .fetchPage=${this.fetchPage}
            ></page-pool-view>
          </section>`
        : nothing}
      ${this.shows('blocks')
        ? html`<section class="card ${this.shows('pool') ? '' : 'full'}" part="card" data-testid="blocks-card">
            <h2>Block table</h2>
            <block-table-view .requestId=${sel} .table=${en.blockTable} .row=${sel ? (s.requests.get(sel) ?? null) : null} .mirror=${en.mirror} .version=${v} .simulated=${simulated}></block-table-view>
          </section>`
        : nothing}
      ${this.shows('timelines')
        ? html`<section class="card full" part="card" data-testid="timelines-card">
            <h2>Timelines <small>engine time; ${simulated ? 'simulated clock' : 'wall clock'}</small></h2>
            <timelines-view .series=${s.series} .tenants=${tenants} .version=${v} .simulated=${simulated}></timelines-view>
          </section>`
        : nothing}
      ${this.shows('latency')
        ? html`<section class="card full" part="card" data-testid="latency-card">
            <h2>
              Latency and goodput ${simulated ? html`<small>simulated</small>` : nothing}
              <span class="exports">
                export <button @click=${() => void en.download('json')}>report JSON</button><button @click=${() => void en.download('csv')}>requests CSV</button
                ><button @click=${() => void en.download('trace')}>Chrome trace</button>
              </span>
            </h2>
            <latency-view .report=${en.report} .tenants=${tenants} .slos=${Object.fromEntries((en.applied?.tenants ?? []).map((t) => [t.id, t.sloTtftMs]))} .simulated=${simulated}></latency-view>
          </section>`
        : nothing}
      ${this.shows('requests')
        ? html`<section class="card ${this.shows('kernels') ? '' : 'full'}" part="card" data-testid="requests-card">
            <h2>Requests</h2>
            <requests-view @request-cancel=${(e: CustomEvent<{ requestId: string }>) => void en.cancel(e.detail.requestId)} .requests=${s.requests} .texts=${en.texts} .tenants=${tenants} .version=${v} .selectedId=${sel}></requests-view>
            <hr class="sep" />
            <prompt-box .tenants=${tenants} ?text-mode=${en.session?.kind === 'gpu'} ?disabled=${en.phase !== 'ready'} .lastSent=${this.lastSent} @prompt-submit=${this.onPrompt}></prompt-box>
          </section>`
        : nothing}
      ${this.shows('kernels')
        ? html`<section class="card ${this.shows('requests') ? '' : 'full'}" part="card" data-testid="kernels-card">
            <h2>Kernel profile ${simulated ? html`<small>simulated</small>` : nothing}</h2>
            <kernel-profile-view
              .simulated=${simulated}
              .data=${{ kernels: s.kernelTotals(), gpuMs: s.totals.gpuMs, flops: s.totals.flops, bytes: s.totals.bytes, steps: s.totals.steps, cpuMs: s.totals.cpuMs, telemetryMs: s.totals.telemetryMs, overlappedMs: s.totals.overlappedMs, timing: last?.timing ?? '—' }}
            ></kernel-profile-view>
          </section>`
        : nothing}
    `;
  }
}

customElements.define('serving-playground', ServingPlayground);

declare global {
  interface HTMLElementTagNameMap {
    'serving-playground': ServingPlayground;
  }
}
