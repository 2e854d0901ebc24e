/**
 * Pool and scheduler settings: pool size, tokens per page, token budget, max sequences, chunked
 * prefill, prefix caching, preemption mode, batching (continuous or static), allocator and policies.
 *
 * @fires config-edit - {path, value}
 */
import { LitElement, html, nothing } from 'lit';
import { controlStyles } from './controls.styles';
import { checkField, numberField, selectField } from './fields';
import type { PlaygroundConfig } from '../state/config';
import { LIMITS, type FieldErrors } from '../state/validate';

export class EngineSettings extends LitElement {
  static override styles = controlStyles;
  static override properties = { config: { attribute: false }, errors: { attribute: false } };

  declare config: PlaygroundConfig;
  declare errors: FieldErrors;

  constructor() {
    super();
    this.errors = {};
  }

  override render() {
    const c = this.config;
    const e = this.errors;
    return html`<fieldset>
      <legend>Pool and scheduler</legend>
      <div class="grid">
        ${numberField(this, 'Pool size', 'numPages', c.numPages, e, { min: LIMITS.numPages[0], max: LIMITS.numPages[1], unit: 'pages', hint: 'Pages in the pool, the reserved NULL page included' })}
        ${numberField(this, 'Tokens per page', 'tokensPerPage', c.tokensPerPage, e, { min: 1, max: 256 })}
        ${numberField(this, 'Max batched tokens', 'maxNumBatchedTokens', c.maxNumBatchedTokens, e, { min: 1, hint: 'Token budget of one step (prefill + decode)' })}
        ${numberField(this, 'Max sequences', 'maxNumSeqs', c.maxNumSeqs, e, { min: 1, hint: 'Most requests running at once' })}
        ${checkField(this, 'Chunked prefill', 'enableChunkedPrefill', c.enableChunkedPrefill, 'Split long prompts over steps so decodes keep flowing')}
        ${checkField(this, 'Prefix caching', 'enablePrefixCaching', c.enablePrefixCaching, 'Reuse the KV pages of identical prompt prefixes')}
        ${selectField(this, 'Preemption', 'preemptionMode', c.preemptionMode, [['recompute', 'recompute'], ['swap', 'swap to host']], e)}
        ${c.preemptionMode === 'swap' ? numberField(this, 'Host swap pages', 'numHostSwapPages', c.numHostSwapPages, e, { min: 0 }) : html`<span></span>`}
        ${selectField(this, 'Batching', 'batching', c.batching, [['continuous', 'continuous'], ['static', 'static (pre-Orca)']], e, 'Continuous: requests join and leave every step. Static: a new batch only when the whole running batch is done')}
        <span></span>
        ${selectField(this, 'KV allocator', 'allocator', c.allocator, [['paged', 'paged'], ['contiguous', 'contiguous']], e, 'Contiguous reserves max model length per request')}
        ${selectField(this, 'Queue order', 'queuePolicy', c.queuePolicy, [['fcfs', 'FCFS'], ['priority', 'priority'], ['longest-prefix', 'longest prefix']], e, 'First come first served, request priority, or longest cached prefix first')}
        ${selectField(this, 'Sharing policy', 'sharingPolicy', c.sharingPolicy, [['time-slice', 'time-slice'], ['partition', 'partition (MIG-style)'], ['fair-share', 'fair share'], ['priority', 'tenant priority']], e, 'How tenants share the pool and the steps')}
      </div>
      ${e['speed'] ? html`<p class="err">${e['speed']}</p>` : nothing}
    </fieldset>`;
  }
}

customElements.define('engine-settings', EngineSettings);

declare global {
  interface HTMLElementTagNameMap {
    'engine-settings': EngineSettings;
  }
}
