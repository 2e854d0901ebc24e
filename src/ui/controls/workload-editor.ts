/**
 * The workload: seed, number of requests, arrivals (Poisson, gamma with burstiness as `vllm bench serve`
 * defines it, fixed rate, all at once), prompt and output lengths, shared-prefix ratio and parallel
 * samples. It is generated in the engine worker (src/workload) when the run starts.
 *
 * @fires config-edit - {path, value}
 */
import { LitElement, html, nothing } from 'lit';
import { controlStyles } from './controls.styles';
import { numberField, selectField } from './fields';
import type { LengthSetting, PlaygroundConfig } from '../state/config';
import type { FieldErrors } from '../state/validate';

const LENGTH_KINDS = [
  ['sharegpt', 'ShareGPT-like'],
  ['uniform', 'uniform'],
  ['fixed', 'fixed'],
] as const;

export class WorkloadEditor extends LitElement {
  static override styles = controlStyles;
  static override properties = { config: { attribute: false }, errors: { attribute: false } };

  declare config: PlaygroundConfig;
  declare errors: FieldErrors;

  constructor() {
    super();
    this.errors = {};
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
        ${selectField(this, 'Arrivals', 'workload.arrival', w.arrival, [['poisson', 'Poisson'], ['gamma', 'gamma (bursty)'], ['fixed', 'fixed rate'], ['infinite', 'all at once']], e)}
        ${w.arrival !== 'infinite' ? numberField(this, 'Rate', 'workload.rate', w.rate, e, { min: 0, step: 'any', unit: 'req/s' }) : html`<span></span>`}
        ${w.arrival === 'gamma' ? html`${numberField(this, 'Burstiness', 'workload.burstiness', w.burstiness, e, { min: 0, step: 'any', hint: '< 1 burstier than Poisson, 1 = Poisson' })}<span></span>` : nothing}
        ${this.lengths('Prompt', 'workload.prompt', w.prompt)} ${this.lengths('Output', 'workload.output', w.output)}
        ${numberField(this, 'Shared prefix ratio', 'workload.sharedPrefixRatio', w.sharedPrefixRatio, e, { min: 0, max: 1, step: 0.05, hint: 'Fraction of requests that start with the shared system prompt' })}
        ${numberField(this, 'Shared prefix', 'workload.sharedPrefixLength', w.sharedPrefixLength, e, { min: 1, unit: 'tokens', disabled: w.sharedPrefixRatio === 0 })}
        ${numberField(this, 'Parallel ratio', 'workload.parallelRatio', w.parallelRatio, e, { min: 0, max: 1, step: 0.05, hint: 'Fraction of requests asking for n samples' })}
        ${numberField(this, 'Samples n', 'workload.n', w.n, e, { min: 1, max: 16, disabled: w.parallelRatio === 0 })}
      </div>
    </fieldset>`;
  }
}

customElements.define('workload-editor', WorkloadEditor);

declare global {
  interface HTMLElementTagNameMap {
    'workload-editor': WorkloadEditor;
  }
}
