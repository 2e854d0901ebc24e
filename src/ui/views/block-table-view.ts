/**
 * The block table of the selected request: logical block -> physical page, and what each of the page's
 * token slots holds (prompt token, output token, allocated but not yet computed, or empty). Blocks on
 * pages shared with other sequences (ref count > 1, e.g. a shared system prompt or an n > 1 fork) are
 * highlighted; blocks on prefix-cached pages carry a ◆. Models with a tokenizer show each token's text
 * (spaces as ␣, newlines as ⏎; the id in the slot's title); simulated and synthetic ones show ids.
 *
 * @fires request-select - {requestId: null} from the clear button
 */
import { LitElement, html, nothing } from 'lit';
import { blockTableStyles } from './block-table-view.styles';
import { readPage, mirrorNumPages } from '../pool-layout';
import type { BlockTable } from '../state/engine-controller';
import type { RequestRow } from '../state/telemetry-store';
import { fmtInt } from '../format';

/** A token's piece as a slot shows it: visible spaces and line breaks, the special tokens as is. */
function showPiece(text: string): string {
  return text === '' ? '∅' : text.replace(/ /g, '␣').replace(/\n/g, '⏎');
}

/** Rows drawn at most (a 4k-token request at 16 tokens per page has 256). */
const MAX_ROWS = 256;

export class BlockTableView extends LitElement {
  static override styles = blockTableStyles;
  static override properties = {
    requestId: { attribute: false },
    table: { attribute: false },
    row: { attribute: false },
    mirror: { attribute: false },
    version: { type: Number },
    simulated: { type: Boolean },
  };

  declare requestId: string | null;
  declare table: BlockTable | null;
  declare row: RequestRow | null;
  declare mirror: Int32Array | null;
  /** Bumped by the host when the mirror may have changed (ref counts move). */
  declare version: number;
  declare simulated: boolean;

  constructor() {
    super();
    this.requestId = null;
    this.table = null;
    this.row = null;
    this.mirror = null;
    this.version = 0;
    this.simulated = true;
  }

  override render() {
    if (!this.requestId) return html`<p class="note">Click a page in the pool (or a request in the list) to see its block table.</p>`;
    const t = this.table;
    const r = this.row;
    if (!t) {
      return html`<p class="note" data-testid="block-table-empty">
        ${this.requestId}: ${r?.state === 'finished' ? `finished (${r.reason}). Its pages went back to the pool; pages it shared stay with their other holders.` : r?.state === 'waiting' ? 'waiting, no pages yet.' : 'loading…'}
      </p>`;
    }
    const tpp = t.tokensPerPage;
    const numPrompt = r ? t.tokenIds.length - r.numOutputTokens : t.tokenIds.length;
    const m = this.mirror;
    const n = m ? mirrorNumPages(m) : 0;
    let numShared = 0;
    const rows = t.pages.slice(0, MAX_ROWS).map((page, block) => {
      const info = m && page < n ? readPage(m, page) : null;
      if (info?.shared) numShared++;
      const slots = [];
      for (let s = 0; s < tpp; s++) {
        const i = block * tpp + s;
        if (i >= t.tokenIds.length) slots.push(html`<span class="slot empty">·</span>`);
        else {
          const cls = i >= t.numComputedTokens ? 'pending' : i >= numPrompt ? 'out' : '';
          const text = t.tokenTexts?.[i];
          slots.push(
            text !== undefined
              ? html`<span class="slot text ${cls}" title="token ${i}: id ${t.tokenIds[i]} ${JSON.stringify(text)}">${showPiece(text)}</span>`
              : html`<span class="slot ${cls}" title="token ${i}: id ${t.tokenIds[i]}">${t.tokenIds[i]}</span>`,
          );
        }
      }
      return html`<tr class="${info?.shared ? 'shared' : ''} ${info?.cached ? 'cached' : ''}">
        <td class="num">${block}</td>
        <td class="num page">${page}</td>
        <td class="num">${info ? info.refCount : '—'}</td>
        <td><div class="slots ${t.tokenTexts ? 'text' : ''}" style="--tpp:${tpp}">${slots}</div></td>
      </tr>`;
    });
    return html`
      <p class="head">
        <span><b data-testid="block-table-id">${this.requestId}</b>${r ? html` · ${r.tenant} · ${r.state}` : nothing}</span>
        <span><b data-testid="block-table-blocks">${fmtInt(t.pages.length)}</b> blocks → pages</span>
        <span><b>${fmtInt(t.tokenIds.length)}</b> tokens (${fmtInt(t.numComputedTokens)} in the KV cache)</span>
        <span><b>${numShared}</b> shared blocks</span>
        <span>${tpp} tokens / page</span>
      </p>
      <div class="rows">
        <table data-testid="block-table">
          <thead>
            <tr><th>block</th><th>page</th><th>refs</th><th>token slots (${t.tokenTexts ? 'text' : 'ids'})</th></tr>
          </thead>
          <tbody>
            ${rows}
          </tbody>
        </table>
      </div>
      ${r?.state === 'finished' ? html`<p class="note" data-testid="block-table-finished">${this.requestId} has finished (${r.reason}): this is its last block table; its pages went back to the pool.</p>` : nothing}
      ${t.pages.length > MAX_ROWS ? html`<p class="note">First ${MAX_ROWS} of ${t.pages.length} blocks shown.</p>` : nothing}
      <p class="legend">
        <span><span class="sw" style="background:#e7f0f8"></span>prompt</span>
        <span><span class="sw" style="background:#dff3ec"></span>output</span>
        <span><span class="sw" style="background:#f6f7f9;outline:1px dashed #c9ced8"></span>not yet computed</span>
        <span><span class="sw" style="background:#fff4e0"></span>shared page (ref count &gt; 1)</span>
        <span>◆ prefix-cached page</span>
      </p>
      ${this.simulated ? html`<p class="note">Simulated model: token ids are placeholders, not text.</p>` : !t.tokenTexts ? html`<p class="note">This model has no tokenizer: slots show token ids.</p>` : nothing}
    `;
  }
}

customElements.define('block-table-view', BlockTableView);

declare global {
  interface HTMLElementTagNameMap {
    'block-table-view': BlockTableView;
  }
}
