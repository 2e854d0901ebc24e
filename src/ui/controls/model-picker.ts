/**
 * Backend and model: "this GPU (WebGPU)" runs a real model in the engine worker; "simulated GPU" runs
 * the same scheduler with step times from a roofline cost model of a GPU spec and a model shape.
 * Real models: the built-in one (downloaded once into the IndexedDB cache), random tiny weights, files
 * the visitor picks, or a URL (a Hugging Face folder's base URL plus its file names, or one .gguf /
 * llama2.c .bin file); loading shows download and upload progress; cached downloads are listed with
 * their sizes and can be evicted.
 *
 * @fires config-edit - {path, value}
 * @fires files-picked - {files: File[]}
 * @fires cache-evict - {source: string}
 */
import { LitElement, html, nothing } from 'lit';
import { controlStyles } from './controls.styles';
import { emitEdit, numberField, selectField, textField } from './fields';
import { BUILTIN_MODEL, type PlaygroundConfig } from '../state/config';
import type { LoadProgressEvent } from '../../engine/model-sources';
import { fmtBytes } from '../format';
import type { FieldErrors } from '../state/validate';

export interface Catalog {
  gpus: Array<{ id: string; name: string; source: string }>;
  models: Array<{ id: string; name: string }>;
}

const GPU_MODELS = [
  ['builtin', BUILTIN_MODEL.name],
  ['synthetic-tiny', 'random tiny Llama (synthetic weights)'],
  ['files', 'load from files…'],
  ['url', 'load from a URL…'],
] as const;

/** What the URL fields take, as an example the visitor can adapt. */
const URL_EXAMPLE = 'https://huggingface.co/<user>/<model>/resolve/main/';

export interface CachedModel {
  source: string;
  size: number;
}

export class ModelPicker extends LitElement {
  static override styles = controlStyles;
  static override properties = {
    config: { attribute: false },
    errors: { attribute: false },
    catalog: { attribute: false },
    gpuLine: { attribute: false },
    progress: { attribute: false },
    cached: { attribute: false },
    pickedNames: { attribute: false },
  };

  declare config: PlaygroundConfig;
  declare errors: FieldErrors;
  declare catalog: Catalog | null;
  /** One line about the local adapter, or why there is none. */
  declare gpuLine: string;
  declare progress: LoadProgressEvent | null;
  declare cached: CachedModel[];
  declare pickedNames: string[];

  constructor() {
    super();
    this.errors = {};
    this.catalog = null;
    this.gpuLine = '';
    this.progress = null;
    this.cached = [];
    this.pickedNames = [];
  }

  private fire(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  private renderGpuModels() {
    const c = this.config;
    const p = this.progress;
    return html`${selectField(this, 'Model', 'gpuModel', c.gpuModel, GPU_MODELS, this.errors, '', true)}
      ${c.gpuModel === 'files'
        ? html`<label class="field wide"
            ><span class="lbl">Model files <small>(.gguf, llama2.c .bin + tokenizer, or config.json + model.safetensors + tokenizer.json)</small></span>
            <input type="file" multiple @change=${(e: Event) => this.fire('files-picked', { files: [...((e.target as HTMLInputElement).files ?? [])] })} />
            ${this.pickedNames.length ? html`<small>${this.pickedNames.join(', ')}</small>` : nothing}</label
          >`
        : nothing}
      ${c.gpuModel === 'url'
        ? html`<div class="wide url-model" data-testid="model-url">
            ${textField(this, 'Model URL', 'modelUrl', c.modelUrl, this.errors)}
            ${textField(this, 'Files in that folder', 'modelFiles', c.modelFiles, this.errors)}
            <p class="note">
              A folder: its base URL (e.g. <code>${URL_EXAMPLE}</code>) and its files, comma-separated (<code>config.json, model.safetensors, tokenizer.json</code>). One file: the URL of a
              <code>.gguf</code> (or a llama2.c <code>.bin</code> with <code>tokenizer.bin</code> listed beside it), files left empty. The host must allow cross-origin downloads
              (Hugging Face does). Downloads are cached.
            </p>
          </div>`
        : nothing}
      ${numberField(this, 'Max model length', 'maxModelLen', c.maxModelLen, this.errors, { min: 16, unit: 'tokens, capped by the model' })}
      ${p
        ? html`<label class="field wide" data-testid="load-progress"
            ><span class="lbl">${p.phase === 'download' ? 'Downloading' : 'Uploading to the GPU'} ${p.detail}: ${fmtBytes(p.done)}${p.total ? ` of ${fmtBytes(p.total)}` : ''}</span>
            <progress max=${p.total ?? 1} .value=${p.total ? p.done : 0}></progress></label
          >`
        : nothing}
      ${this.cached.length
        ? html`<div class="field wide">
            <span class="lbl">Cached downloads</span>
            ${this.cached.map(
              (m) => html`<span class="check" style="justify-content:space-between"
                ><small style="overflow-wrap:anywhere">${m.source.split('/').slice(-2).join('/')} · ${fmtBytes(m.size)}</small>
                <button @click=${() => this.fire('cache-evict', { source: m.source })}>Evict</button></span
              >`,
            )}
          </div>`
        : nothing}
      <p class="note" style="grid-column:1/-1">${this.gpuLine} Real model, real kernels, wall-clock latencies.</p>`;
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
          ? this.renderGpuModels()
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
