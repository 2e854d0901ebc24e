/**
 * Latency and goodput per tenant: TTFT, TPOT, ITL and E2E percentiles (p50 / p90 / p99, numpy's
 * linear interpolation, as `vllm bench serve`), goodput against each tenant's SLO, and a p50-p99 range
 * bar of TTFT per tenant with the SLO marked. The numbers come from src/metrics, computed in the
 * engine worker over the run's finished requests.
 */
import { LitElement, html, nothing } from 'lit';
import { latencyStyles } from './latency-view.styles';
import type { GroupMetrics, RunReport } from '../../metrics';
import type { Summary } from '../../metrics';
import { tenantColor } from '../palette';
import { fmtMs, fmtPct, fmtInt } from '../format';

export class LatencyView extends LitElement {
  static override styles = latencyStyles;
  static override properties = {
    report: { attribute: false },
    tenants: { attribute: false },
    slos: { attribute: false },
    simulated: { type: Boolean },
  };

  declare report: RunReport | null;
  declare tenants: string[];
  /** TTFT SLO (ms) per tenant, 0 = none; drawn on the range bars. */
  declare slos: Record<string, number>;
  declare simulated: boolean;

  constructor() {
    super();
    this.report = null;
    this.tenants = [];
    this.slos = {};
    this.simulated = true;
  }

  private row(name: string, g: GroupMetrics, cls: string, color?: string) {
    const p = (s: Summary, k: 'p50' | 'p90' | 'p99') => fmtMs(s[k]);
    return html`<tr class=${cls}>
      <td class="tenant">${color ? html`<span class="sw" style="background:${color}"></span>` : nothing}${name}</td>
      <td>${fmtInt(g.numCompleted)}</td>
      <td>${p(g.ttftMs, 'p50')}</td>
      <td>${p(g.ttftMs, 'p90')}</td>
      <td>${p(g.ttftMs, 'p99')}</td>
      <td>${p(g.tpotMs, 'p50')}</td>
      <td>${p(g.tpotMs, 'p99')}</td>
      <td>${p(g.itlMs, 'p50')}</td>
      <td>${p(g.itlMs, 'p99')}</td>
      <td>${p(g.e2eMs, 'p50')}</td>
      <td>${p(g.e2eMs, 'p99')}</td>
      <td>${g.goodput.numWithSlo ? `${g.goodput.requestsPerS.toFixed(2)}/s` : '—'}</td>
      <td>${g.goodput.numWithSlo && g.goodput.sloAttainment !== null ? fmtPct(100 * g.goodput.sloAttainment) : '—'}</td>
    </tr>`;
  }

  override render() {
    const r = this.report;
    if (!r || r.overall.numCompleted === 0) return html`<p class="note">Percentiles appear when requests finish.</p>`;
    const o = r.overall;
    const names = this.tenants.filter((t) => r.tenants[t]);
    // Log scale: latencies and SLOs differ by orders of magnitude (a 10 ms TTFT against a 500 ms SLO).
    const lo = Math.max(0.1, Math.min(...names.map((t) => r.tenants[t]!.ttftMs.p50 ?? Infinity)) / 2);
    const hi = Math.max(lo * 10, ...names.map((t) => r.tenants[t]!.ttftMs.p99 ?? 0), ...names.map((t) => this.slos[t] ?? 0)) * 1.3;
    const pos = (v: number | null) => (v === null || v <= 0 ? 0 : Math.max(0, Math.min(100, (100 * Math.log(v / lo)) / Math.log(hi / lo))));
    return html`
      <div class="big" data-testid="latency-numbers">
        <div><span>TTFT p50</span><b>${fmtMs(o.ttftMs.p50)}</b></div>
        <div><span>TPOT p50</span><b>${fmtMs(o.tpotMs.p50)}</b></div>
        <div><span>goodput</span><b>${o.goodput.requestsPerS.toFixed(2)} req/s</b></div>
        <div><span>output</span><b>${fmtInt(o.outputTokenThroughput)} tok/s</b></div>
        <div><span>prefix-cache hit rate</span><b>${o.prefixCache.hitRate !== null ? fmtPct(100 * o.prefixCache.hitRate) : '—'}</b></div>
      </div>
      <div class="scroll">
        <table data-testid="latency-table">
          <thead>
            <tr>
              <th></th><th></th><th class="grp" colspan="3">TTFT</th><th class="grp" colspan="2">TPOT</th><th class="grp" colspan="2">ITL</th><th class="grp" colspan="2">E2E</th><th class="grp" colspan="2">goodput</th>
            </tr>
            <tr><th>tenant</th><th>done</th><th>p50</th><th>p90</th><th>p99</th><th>p50</th><th>p99</th><th>p50</th><th>p99</th><th>p50</th><th>p99</th><th>rate</th><th title="Share of this tenant's requests so far (running ones included) that met every SLO">met SLO</th></tr>
          </thead>
          <tbody>
            ${names.map((t) => this.row(t, r.tenants[t]!, '', tenantColor(this.tenants.indexOf(t))))} ${this.row('all', o, 'overall')}
          </tbody>
        </table>
      </div>
      <div class="ranges" aria-label="TTFT p50 to p99 per tenant">
        ${names.map((t) => {
          const s = r.tenants[t]!.ttftMs;
          const slo = this.slos[t] ?? 0;
          const x = (v: number | null) => `${pos(v)}%`;
          return html`<span>${t} TTFT</span>
            <div class="track" title="p50 ${fmtMs(s.p50)}, p90 ${fmtMs(s.p90)}, p99 ${fmtMs(s.p99)}${slo ? `, SLO ${fmtMs(slo)}` : ''}">
              <i style="left:${x(s.p50)};width:max(3px, ${pos(s.p99) - pos(s.p50)}%);background:${tenantColor(this.tenants.indexOf(t))}"></i>
              <b style="left:${x(s.p90)}"></b>
              ${slo ? html`<span class="slo" style="left:${x(slo)}"></span>` : nothing}
            </div>`;
        })}
        <span></span><span class="note" style="margin:0">bar p50–p99, tick p90, dashed line the SLO; log scale ${fmtMs(lo)} – ${fmtMs(hi)}</span>
      </div>
      <p class="note">
        Over ${fmtInt(o.numCompleted)} finished requests in ${fmtMs(r.durationMs)} of ${this.simulated ? 'simulated' : 'engine'} time. Goodput counts requests that met every SLO of their
        tenant (DistServe / <code>vllm bench serve --goodput</code>).
      </p>
    `;
  }
}

customElements.define('latency-view', LatencyView);

declare global {
  interface HTMLElementTagNameMap {
    'latency-view': LatencyView;
  }
}
