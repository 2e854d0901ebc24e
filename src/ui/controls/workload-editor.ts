/**
 * The workload: seed, number of requests, arrivals (a closed loop of users, Poisson, gamma with
 * burstiness as `vllm bench serve` defines it, fixed rate, all at once), prompt and output lengths
 * (or story-opening text prompts for real models), shared-prefix ratio and parallel samples (one
 * request of n, a tagged gang, or independent requests). It is generated in the engine worker
 * (src/workload) when the run starts.
 *
 * A trace (CSV in the Azure LLM inference or splitwise/Vidur columns) can be replayed instead, with
 * its times divided by a speed factor; the file is read and parsed in the worker.
 *
 * @fires config-edit - {path, value}
 * @fires trace-replay - {file: File, speed: number, tenant: string}
 */
import { LitElement, html, nothing } from 'lit';
import { controlStyles } from './controls.styles';
import { checkField, numberField, selectField } from './fields';
import type { LengthSetting, PlaygroundConfig } from '../state/config';
import type { FieldErrors } from '../state/validate';

const LENGTH_KINDS = [
  ['sharegpt', 'ShareGPT-like'],
  ['uniform', 'uniform'],
  ['fixed', 'fixed'],
] as const;

export class WorkloadEditor extends LitElement {
  static override styles = controlStyles;
  static override properties = {
    config: { attribute: false },
    errors: { attribute: false },
    traceNote: { attribute: false },
    traceFile: { state: true },
    traceSpeed: { state: true },
    traceTenant: { state: true },
  };

  declare config: PlaygroundConfig;
  declare errors: FieldErrors;
  /** What the last replay did (or why it failed), from the host. */
  declare traceNote: string;
  declare traceFile: File | null;
  declare traceSpeed: number;
  declare traceTenant: string;

  constructor() {
    super();
    this.errors = {};
    this.traceNote = '';
    this.traceFile = null;
    this.traceSpeed = 1;
    this.traceTenant = '';
  }

  private replay(): void {
    if (!this.traceFile) return;
    const tenant = this.config.tenants.some((t) => t.id === this.traceTenant) ? this.traceTenant : this.config.tenants[0]!.id;
    this.dispatchEvent(new CustomEvent('trace-replay', { detail: { file: this.traceFile, speed: this.traceSpeed, tenant }, bubbles: true, composed: true }));
  }

  private renderTrace() {
    const badSpeed = !(this.traceSpeed > 0 && Number.isFinite(this.traceSpeed));
    return html`<div class="grid" style="margin-top:10px">
      <label class="field wide"
        ><span class="lbl">Or replay a trace <small>(CSV: Azure TIMESTAMP,ContextTokens,GeneratedTokens or splitwise arrived_at,num_prefill_tokens,num_decode_tokens)</small></span>
        <input type="file" accept=".csv,text/csv" data-testid="trace-file" @change=${(e: Event) => (this.traceFile = (e.target as HTMLInputElement).files?.[0] ?? null)}
      /></label>
      <label class="field ${badSpeed ? 'bad' : ''}"
        ><span class="lbl">Replay speed <small>(×)</small></span>
        <input type="number" step="any" min="0" .value=${String(this.traceSpeed)} aria-invalid=${badSpeed ? 'true' : 'false'} @input=${(e: Event) => (this.traceSpeed = Number((e.target as HTMLInputElement).value))} />
        ${badSpeed ? html`<span class="err">must be > 0</span>` : nothing}</label
      >
      <label class="field"
        ><span class="lbl">As tenant</span>
        <select @change=${(e: Event) => (this.traceTenant = (e.target as HTMLSelectElement).value)}>
          ${this.config.tenants.map((t) => html`<option ?selected=${t.id === this.traceTenant}>${t.id}</option>`)}
        </select></label
      >
      <button class="wide" style="grid-column:1/-1" data-testid="trace-replay" ?disabled=${!this.traceFile || badSpeed} @click=${() => this.replay()}>Replay the trace</button>
      ${this.traceNote ? html`<p class="note" style="grid-column:1/-1" data-testid="trace-note">${this.traceNote}</p>` : nothing}
    </div>`;
  }

  private lengths(label: string, path: string, l: LengthSetting) {
    const e = this.errors;
    return html`${selectField(this, `${label} length`, `${path}.kind`, l.kind, LENGTH_KINDS, e, 'ShareGPT-like: lognormal fit to the means vLLM reports for ShareGPT, clamped to min..max')}
      ${l.kind === 'fixed'
        ? numberField(this, `${label} tokens`, `${path}.min`, l.min, e, { min: 1 })
        : html`<div class="grid" style="gap:6px">
            ${numberField(this, 'min', `${path}.min`, l.min, e, { min: 0 })} ${numberField(this, 'max', `${path}.max`, l.max, e, { min: 0 })}
          </div>`}`;
  }

  override render() {
    const w = this.config.workload;
    const e = this.errors;
    return html`<fieldset>
      <legend>Workload</legend>
      <div class="grid">
        ${numberField(this, 'Requests', 'workload.numRequests', w.numRequests, e, { min: 0 })}
        ${numberField(this, 'Seed', 'workload.seed', w.seed, e, { min: 0 })}
        ${selectField(this, 'Arrivals', 'workload.arrival', w.arrival, [['closed', 'closed loop (users)'], ['poisson', 'Poisson'], ['gamma', 'gamma (bursty)'], ['fixed', 'fixed rate'], ['infinite', 'all at once']], e, 'Closed loop: each user sends its next request when the last one finished, so the load follows the hardware')}
        ${w.arrival === 'closed'
          ? numberField(this, 'Users', 'workload.users', w.users, e, { min: 1, max: 1024, hint: 'Requests in flight at once' })
          : w.arrival !== 'infinite'
            ? numberField(this, 'Rate', 'workload.rate', w.rate, e, { min: 0, step: 'any', unit: 'req/s' })
            : html`<span></span>`}
        ${w.arrival === 'gamma' ? html`${numberField(this, 'Burstiness', 'workload.burstiness', w.burstiness, e, { min: 0, step: 'any', hint: '< 1 burstier than Poisson, 1 = Poisson' })}<span></span>` : nothing}
        ${this.config.backend === 'gpu'
          ? html`${checkField(this, 'Story text prompts', 'workload.textPrompts', w.textPrompts, 'Story openings (and a shared preamble) through the model\u2019s tokenizer, instead of random token ids')}<span></span>`
          : nothing}
        ${w.textPrompts && this.config.backend === 'gpu' ? nothing : this.lengths('Prompt', 'workload.prompt', w.prompt)} ${this.lengths('Output', 'workload.output', w.output)}
        ${numberField(this, 'Shared prefix ratio', 'workload.sharedPrefixRatio', w.sharedPrefixRatio, e, { min: 0, max: 1, step: 0.05, hint: 'Fraction of requests that start with the shared system prompt' })}
        ${numberField(this, 'Shared prefix', 'workload.sharedPrefixLength', w.sharedPrefixLength, e, { min: 1, unit: 'tokens', disabled: w.sharedPrefixRatio === 0 })}
        ${numberField(this, 'Parallel ratio', 'workload.parallelRatio', w.parallelRatio, e, { min: 0, max: 1, step: 0.05, hint: 'Fraction of requests asking for n samples' })}
        ${numberField(this, 'Samples n', 'workload.n', w.n, e, { min: 1, max: 16, disabled: w.parallelRatio === 0 })}
        ${selectField(
          this,
          'n samples go in as',
          'workload.parallelMode',
          w.parallelMode,
          [
            ['n', 'one request (fork after prefill)'],
            ['gang', 'a gang of n requests'],
            ['independent', 'n independent requests'],
          ],
          e,
          'One request of n and a tagged gang are admitted all-or-nothing; independent requests each when they fit',
          true,
        )}
      </div>
      ${this.renderTrace()}
    </fieldset>`;
  }
}

customElements.define('workload-editor', WorkloadEditor);

declare global {
  interface HTMLElementTagNameMap {
    'workload-editor': WorkloadEditor;
  }
}
