/**
 * Backend and model: "this GPU (WebGPU)" runs a real model in the engine worker; "simulated GPU" runs
 * the same scheduler with step times from a roofline cost model of a GPU spec and a model shape.
 * Real models are listed but not selectable until the engine API offers `loadModel` for them.
 *
 * @fires config-edit - {path, value}
 */
import { LitElement, html, nothing } from 'lit';
import { controlStyles } from './controls.styles';
import { emitEdit, numberField, selectField } from './fields';
import type { PlaygroundConfig } from '../state/config';
import type { FieldErrors } from '../state/validate';

export interface Catalog {
  gpus: Array<{ id: string; name: string; source: string }>;
  models: Array<{ id: string; name: string }>;
}

/** Models for this GPU, shown so the picker's shape is right; wired when the engine can load them. */
const WEBGPU_MODELS = [
  { id: 'stories260k', name: 'stories260K (llama2.c, 1 MB)' },
  { id: 'stories15m', name: 'stories15M (llama2.c, 60 MB)' },
];

export class ModelPicker extends LitElement {
  static override styles = controlStyles;
  static override properties = {
    config: { attribute: false },
    errors: { attribute: false },
    catalog: { attribute: false },
    gpuLine: { attribute: false },
  };

  declare config: PlaygroundConfig;
  declare errors: FieldErrors;
  declare catalog: Catalog | null;
  /** One line about the local adapter, or why there is none. */
  declare gpuLine: string;

  constructor() {
    super();
    this.errors = {};
    this.catalog = null;
    this.gpuLine = '';
  }

  override render() {
    const c = this.config;
    const cat = this.catalog;
    const gpu = cat?.gpus.find((g) => g.id === c.simGpu);
    return html`<fieldset>
      <legend>Backend and model</legend>
      <div class="grid">
        <label class="check"><input type="radio" name="backend" .checked=${c.backend === 'gpu'} @change=${() => emitEdit(this, 'backend', 'gpu')} /><span>This GPU (WebGPU)</span></label>
        <label class="check"><input type="radio" name="backend" .checked=${c.backend === 'simulated'} @change=${() => emitEdit(this, 'backend', 'simulated')} /><span>Simulated GPU <span class="sim">simulated</span></span></label>
        ${c.backend === 'gpu'
          ? html`<label class="field wide"
                ><span class="lbl">Model</span>
                <select disabled>
                  ${WEBGPU_MODELS.map((m) => html`<option>${m.name}</option>`)}
                </select></label
              >
              <p class="note" style="grid-column:1/-1">${this.gpuLine} Real models on this GPU arrive with the WebGPU model runner; until then use a simulated GPU.</p>`
          : html`${selectField(this, 'GPU spec', 'simGpu', c.simGpu, (cat?.gpus ?? [{ id: c.simGpu, name: c.simGpu }]).map((g) => [g.id, g.name] as const), this.errors, '', true)}
            ${selectField(this, 'Model shape', 'model', c.model, (cat?.models ?? [{ id: c.model, name: c.model }]).map((m) => [m.id, m.name] as const), this.errors)}
            ${numberField(this, 'Max model length', 'maxModelLen', c.maxModelLen, this.errors, { min: 16, unit: 'tokens' })}
            ${gpu ? html`<p class="note" style="grid-column:1/-1;margin:auto 0 0">Step times from a roofline of ${gpu.source}. Tokens are placeholders.</p>` : nothing}`}
      </div>
    </fieldset>`;
  }
}

customElements.define('model-picker', ModelPicker);

declare global {
  interface HTMLElementTagNameMap {
    'model-picker': ModelPicker;
  }
}
