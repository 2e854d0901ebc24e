/**
 * The requests: one row per request (and per sample of an n > 1 request) with a state badge (the
 * badges differ in border style as well as colour), tokens out, TTFT, and the latest streamed tokens.
 * Rows are keyboard-focusable; Enter or a click selects the request (its block table opens).
 *
 * @fires request-select - {requestId: string}
 * @fires request-cancel - {requestId: string} from a row's cancel button (frees its pages at once)
 */
import { LitElement, html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { requestsStyles } from './requests-view.styles';
import type { RequestRow } from '../state/telemetry-store';
import { tenantColor } from '../palette';
import { fmtInt, fmtMs } from '../format';

type Filter = 'active' | 'finished' | 'all';
const MAX_ROWS = 120;
const ORDER = { running: 0, preempted: 1, waiting: 2, finished: 3 } as const;

export class RequestsView extends LitElement {
  static override styles = requestsStyles;
  static override properties = {
    requests: { attribute: false },
    texts: { attribute: false },
    tenants: { attribute: false },
    version: { type: Number },
    selectedId: { attribute: false },
    filter: { state: true },
  };

  declare requests: Map<string, RequestRow> | null;
  /** Decoded text of requests sent as text to a real model. */
  declare texts: Map<string, string>;
  declare tenants: string[];
  declare version: number;
  declare selectedId: string | null;
  declare filter: Filter;

  constructor() {
    super();
    this.requests = null;
    this.texts = new Map();
    this.tenants = [];
    this.version = 0;
    this.selectedId = null;
    this.filter = 'active';
  }

  private select(id: string): void {
    this.dispatchEvent(new CustomEvent('request-select', { detail: { requestId: id }, bubbles: true, composed: true }));
  }

  override render() {
    const all = this.requests ? [...this.requests.values()] : [];
    const counts = { active: 0, finished: 0, all: all.length };
    for (const r of all) r.state === 'finished' ? counts.finished++ : counts.active++;
    const rows = all
      .filter((r) => this.filter === 'all' || (this.filter === 'finished') === (r.state === 'finished'))
      .sort((a, b) => ORDER[a.state] - ORDER[b.state] || (a.state === 'finished' ? (b.finishMs ?? 0) - (a.finishMs ?? 0) : a.arrivalMs - b.arrivalMs))
      .slice(0, MAX_ROWS);
    return html`
      <div class="filters" role="group" aria-label="show requests">
        ${(['active', 'finished', 'all'] as const).map(
          (f) => html`<button aria-pressed=${this.filter === f ? 'true' : 'false'} @click=${() => (this.filter = f)}>${f} (${fmtInt(counts[f])})</button>`,
        )}
      </div>
      <div class="scroll">
        <table data-testid="requests-table">
          <thead>
            <tr><th>request</th><th>tenant</th><th>state</th><th>out</th><th>TTFT</th><th style="text-align:left">latest tokens (ids) or text</th><th></th></tr>
          </thead>
          <tbody>
            ${repeat(
              rows,
              (r) => r.id,
              (r) => {
                const badge = r.state === 'finished' && (r.reason === 'rejected' || r.reason === 'cancelled') ? r.reason : r.state;
                const label = r.state === 'finished' ? (r.reason ?? 'finished') : r.state;
                const ti = this.tenants.indexOf(r.tenant);
                return html`<tr
                  class="req ${r.id === this.selectedId ? 'sel' : ''}"
                  tabindex="0"
                  data-request=${r.id}
                  title=${r.detail ?? ''}
                  @click=${() => this.select(r.id)}
                  @keydown=${(e: KeyboardEvent) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), this.select(r.id))}
                >
                  <td class="id">${r.id}</td>
                  <td><span class="sw" style="background:${tenantColor(ti)}"></span>${r.tenant}</td>
                  <td><span class="badge ${badge}">${label}${r.numPreemptions ? ` ×${r.numPreemptions}` : ''}</span></td>
                  <td>${fmtInt(r.numOutputTokens)}</td>
                  <td>${r.firstTokenMs !== null ? fmtMs(r.firstTokenMs - r.arrivalMs) : '—'}</td>
                  <td class="stream ${this.texts.has(r.id) ? 'text' : ''}">${this.texts.get(r.id) ?? r.recentTokens.slice(-8).join(' ')}</td>
                  <td>
                    ${r.state !== 'finished' && !r.id.includes('#')
                      ? html`<button
                          class="cancel"
                          aria-label="Cancel ${r.id}"
                          title="Cancel: frees its pages at once"
                          @click=${(e: Event) => {
                            e.stopPropagation();
                            this.dispatchEvent(new CustomEvent('request-cancel', { detail: { requestId: r.id }, bubbles: true, composed: true }));
                          }}
                        >
                          ×
                        </button>`
                      : ''}
                  </td>
                </tr>`;
              },
            )}
          </tbody>
        </table>
      </div>
      ${rows.length === MAX_ROWS ? html`<p class="note">Showing ${MAX_ROWS} of ${fmtInt(counts[this.filter])}.</p>` : ''}
    `;
  }
}

customElements.define('requests-view', RequestsView);

declare global {
  interface HTMLElementTagNameMap {
    'requests-view': RequestsView;
  }
}
