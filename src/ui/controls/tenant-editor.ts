/**
 * Tenants: add, remove, and edit each one's weight, priority, page quota (fair share) or partition
 * size (partition), SLOs and share of the workload. Colours match the pool view and charts.
 *
 * @fires config-edit - {path, value}
 */
import { LitElement, css, html, nothing } from 'lit';
import { controlStyles } from './controls.styles';
import { emitEdit, numberField, textField } from './fields';
import type { PlaygroundConfig, TenantSetting } from '../state/config';
import type { FieldErrors } from '../state/validate';
import { tenantColor } from '../palette';

const MAX_TENANTS = 6;

export class TenantEditor extends LitElement {
  static override styles = [
    controlStyles,
    css`
      .tenant {
        border-left: 4px solid;
        padding: 6px 0 8px 9px;
        margin: 0 0 8px;
      }
      .row {
        display: grid;
        grid-template-columns: repeat(3, minmax(0, 1fr));
        gap: 6px 8px;
      }
      .head {
        display: flex;
        align-items: end;
        gap: 8px;
        margin-bottom: 6px;
      }
      .head .field {
        flex: 1;
      }
    `,
  ];
  static override properties = { config: { attribute: false }, errors: { attribute: false } };

  declare config: PlaygroundConfig;
  declare errors: FieldErrors;

  constructor() {
    super();
    this.errors = {};
  }

  private add(): void {
    const ts = this.config.tenants;
    let k = ts.length + 1;
    while (ts.some((t) => t.id === `tenant${k}`)) k++;
    const t: TenantSetting = { id: `tenant${k}`, weight: 1, priority: 0, pages: 0, sloTtftMs: 0, sloTpotMs: 0, share: 1 };
    emitEdit(this, 'tenants', [...ts, t]);
  }

  private removeTenant(i: number): void {
    emitEdit(this, 'tenants', this.config.tenants.filter((_, j) => j !== i));
  }

  override render() {
    const c = this.config;
    const e = this.errors;
    const pagesLabel = c.sharingPolicy === 'partition' ? 'Partition' : c.sharingPolicy === 'fair-share' ? 'Quota' : 'Pages';
    const pagesUsed = c.sharingPolicy === 'partition' || c.sharingPolicy === 'fair-share';
    return html`<fieldset>
      <legend>Tenants</legend>
      ${c.tenants.map(
        (t, i) => html`<div class="tenant" style="border-color:${tenantColor(i)}" data-tenant=${i}>
          <div class="head">
            ${textField(this, `Tenant ${i + 1} name`, `tenants.${i}.id`, t.id, e)}
            <button ?disabled=${c.tenants.length <= 1} @click=${() => this.removeTenant(i)} aria-label="Remove tenant ${t.id}">Remove</button>
          </div>
          <div class="row">
            ${numberField(this, 'Share', `tenants.${i}.share`, t.share, e, { min: 0, step: 'any', hint: "Relative share of the workload's requests" })}
            ${numberField(this, 'Weight', `tenants.${i}.weight`, t.weight, e, { min: 0, step: 'any', hint: 'Fair-share weight' })}
            ${numberField(this, 'Priority', `tenants.${i}.priority`, t.priority, e, { hint: 'Lower is served first (priority policies)' })}
            ${numberField(this, pagesLabel, `tenants.${i}.pages`, t.pages, e, { min: 0, unit: '0 = even', disabled: !pagesUsed, hint: 'Pages for this tenant under partition / fair share' })}
            ${numberField(this, 'SLO TTFT', `tenants.${i}.sloTtftMs`, t.sloTtftMs, e, { min: 0, unit: 'ms' })}
            ${numberField(this, 'SLO TPOT', `tenants.${i}.sloTpotMs`, t.sloTpotMs, e, { min: 0, unit: 'ms' })}
          </div>
        </div>`,
      )}
      ${e['tenants'] ? html`<p class="err" role="alert">${e['tenants']}</p>` : nothing}
      <button ?disabled=${c.tenants.length >= MAX_TENANTS} @click=${() => this.add()}>Add tenant</button>
    </fieldset>`;
  }
}

customElements.define('tenant-editor', TenantEditor);

declare global {
  interface HTMLElementTagNameMap {
    'tenant-editor': TenantEditor;
  }
}
