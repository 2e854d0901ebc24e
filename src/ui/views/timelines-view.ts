/**
 * The timelines: output tokens/s, GPU busy %, KV usage % per tenant, running / waiting / preempted
 * requests, prefill vs decode tokens per step, each a uPlot chart over engine time (bins of the
 * telemetry store). On the simulated backend "GPU busy" is modelled step time over engine time.
 */
import { LitElement, html } from 'lit';
import { timelinesStyles } from './timelines-view.styles';
import './timeline-chart';
import type { Series } from '../state/telemetry-store';
import { SERIES, tenantColor } from '../palette';

export class TimelinesView extends LitElement {
  static override styles = timelinesStyles;
  static override properties = {
    series: { attribute: false },
    tenants: { attribute: false },
    version: { type: Number },
    simulated: { type: Boolean },
  };

  declare series: Series | null;
  declare tenants: string[];
  declare version: number;
  declare simulated: boolean;

  constructor() {
    super();
    this.series = null;
    this.tenants = [];
    this.version = 0;
    this.simulated = true;
  }

  override render() {
    const s = this.series;
    if (!s) return html``;
    const v = this.version;
    const sim = this.simulated ? ' (simulated)' : '';
    return html`<div class="grid">
      <timeline-chart data-testid="chart-throughput" heading="Output tokens / s${sim}" .series=${[{ label: 'tokens/s', color: SERIES.output, fill: true }]} .data=${[s.t, s.outputTokensPerS]} .version=${v}></timeline-chart>
      <timeline-chart data-testid="chart-busy" heading="GPU busy${sim}" unit="%" y-max="100" .series=${[{ label: 'busy', color: SERIES.busy, fill: true }]} .data=${[s.t, s.gpuBusyPct]} .version=${v}></timeline-chart>
      <timeline-chart
        data-testid="chart-kv"
        heading="KV usage per tenant"
        unit="%"
        .series=${this.tenants.map((t, i) => ({ label: t, color: tenantColor(i), fill: true }))}
        .data=${[s.t, ...s.kvPct]}
        .version=${v}
      ></timeline-chart>
      <timeline-chart
        data-testid="chart-queues"
        heading="Requests"
        .series=${[
          { label: 'running', color: SERIES.running },
          { label: 'waiting', color: SERIES.waiting, dash: [4, 3] },
          { label: 'preempted', color: SERIES.preempted },
        ]}
        .data=${[s.t, s.running, s.waiting, s.preempted]}
        .version=${v}
      ></timeline-chart>
      <timeline-chart
        data-testid="chart-tokens"
        heading="Tokens per step"
        .series=${[
          { label: 'prefill', color: SERIES.prefill, fill: true },
          { label: 'decode', color: SERIES.decode },
        ]}
        .data=${[s.t, s.prefillPerStep, s.decodePerStep]}
        .version=${v}
      ></timeline-chart>
    </div>`;
  }
}

customElements.define('timelines-view', TimelinesView);

declare global {
  interface HTMLElementTagNameMap {
    'timelines-view': TimelinesView;
  }
}
