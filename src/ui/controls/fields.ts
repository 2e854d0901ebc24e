/**
 * Labelled form fields as Lit templates (not components): each edit dispatches one `config-edit`
 * event {path, value} from the given element, and a field with an error shows the reason under it
 * (aria-invalid + aria-describedby, so screen readers read it too).
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { FieldErrors } from '../state/validate';

export interface ConfigEdit {
  path: string;
  value: unknown;
}

export function emitEdit(from: HTMLElement, path: string, value: unknown): void {
  from.dispatchEvent(new CustomEvent<ConfigEdit>('config-edit', { detail: { path, value }, bubbles: true, composed: true }));
}

const idOf = (path: string) => `f-${path.replace(/[^a-zA-Z0-9]/g, '-')}`;

function errorLine(path: string, errors: FieldErrors) {
  const e = errors[path];
  return e ? html`<span class="err" id="${idOf(path)}-err" role="alert">${e}</span>` : nothing;
}

export function numberField(
  host: HTMLElement,
  label: string,
  path: string,
  value: number,
  errors: FieldErrors,
  opts: { min?: number; max?: number; step?: number | 'any'; unit?: string; hint?: string; disabled?: boolean } = {},
): TemplateResult {
  const err = errors[path];
  return html`<label class="field ${err ? 'bad' : ''}" title=${opts.hint ?? ''}>
    <span class="lbl">${label}${opts.unit ? html` <small>(${opts.unit})</small>` : nothing}</span>
    <input
      type="number"
      id=${idOf(path)}
      data-path=${path}
      .value=${Number.isFinite(value) ? String(value) : ''}
      min=${opts.min ?? nothing}
      max=${opts.max ?? nothing}
      step=${opts.step ?? 1}
      ?disabled=${opts.disabled ?? false}
      aria-invalid=${err ? 'true' : 'false'}
      aria-describedby=${err ? `${idOf(path)}-err` : nothing}
      @input=${(e: Event) => {
        const raw = (e.target as HTMLInputElement).value.trim();
        emitEdit(host, path, raw === '' ? NaN : Number(raw));
      }}
    />
    ${errorLine(path, errors)}
  </label>`;
}

export function textField(host: HTMLElement, label: string, path: string, value: string, errors: FieldErrors): TemplateResult {
  const err = errors[path];
  return html`<label class="field ${err ? 'bad' : ''}">
    <span class="lbl">${label}</span>
    <input
      type="text"
      data-path=${path}
      .value=${value}
      aria-invalid=${err ? 'true' : 'false'}
      aria-describedby=${err ? `${idOf(path)}-err` : nothing}
      @input=${(e: Event) => emitEdit(host, path, (e.target as HTMLInputElement).value.trim())}
    />
    ${errorLine(path, errors)}
  </label>`;
}

export function selectField<T extends string>(
  host: HTMLElement,
  label: string,
  path: string,
  value: T,
  options: ReadonlyArray<readonly [T, string]>,
  errors: FieldErrors,
  hint = '',
  wide = false,
): TemplateResult {
  return html`<label class="field ${wide ? 'wide' : ''}" title=${hint}>
    <span class="lbl">${label}</span>
    <select data-path=${path} @change=${(e: Event) => emitEdit(host, path, (e.target as HTMLSelectElement).value)}>
      ${options.map(([v, text]) => html`<option value=${v} ?selected=${v === value}>${text}</option>`)}
    </select>
    ${errorLine(path, errors)}
  </label>`;
}

export function checkField(host: HTMLElement, label: string, path: string, value: boolean, hint = ''): TemplateResult {
  return html`<label class="check" title=${hint}>
    <input type="checkbox" data-path=${path} .checked=${value} @change=${(e: Event) => emitEdit(host, path, (e.target as HTMLInputElement).checked)} />
    <span>${label}</span>
  </label>`;
}

/** Sets `value` at a dotted path ('tenants.1.weight') in a copy-free way on a draft object. */
export function setPath(obj: unknown, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[keys.at(-1)!] = value;
}
