/**
 * One timeline (uPlot): x is engine time in seconds, one line per series. The newest value of each
 * series is also written as text in the title row. The host bumps `version` when `data` has grown.
 *
 * @csspart plot - the uPlot container
 */
import { LitElement, html, nothing } from 'lit';
import uPlot from 'uplot';
import { timelineChartStyles } from './timeline-chart.styles';

export interface ChartSeries {
  label: string;
  color: string;
  /** Fill under the line (a translucent version of the colour). */
  fill?: boolean;
  dash?: number[];
}

export class TimelineChart extends LitElement {
  static override styles = timelineChartStyles;
  static override properties = {
    heading: { type: String },
    unit: { type: String },
    series: { attribute: false },
    data: { attribute: false },
    version: { type: Number },
    yMax: { type: Number, attribute: 'y-max' },
    plotHeight: { type: Number, attribute: 'plot-height' },
  };

  declare heading: string;
  declare unit: string;
  declare series: ChartSeries[];
  /** [x, ...one column per series], aligned. */
  declare data: number[][];
  declare version: number;
  /** Fixed y range top (e.g. 100 for percentages); unset = auto. */
  declare yMax: number | undefined;
  declare plotHeight: number;

  private plot: uPlot | null = null;
  private plotKey = '';
  private width = 300;
  private readonly resize = new ResizeObserver((entries) => {
    const w = Math.floor(entries[0]!.contentRect.width);
    if (w > 0 && Math.abs(w - this.width) > 1) {
      this.width = w;
      this.plot?.setSize({ width: w, height: this.plotHeight });
    }
  });

  constructor() {
    super();
    this.heading = '';
    this.unit = '';
    this.series = [];
    this.data = [[]];
    this.version = 0;
    this.yMax = undefined;
    this.plotHeight = 130;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  override firstUpdated(): void {
    const el = this.renderRoot.querySelector('.plot') as HTMLElement;
    this.width = Math.max(200, Math.floor(el.getBoundingClientRect().width));
    this.resize.observe(el);
  }

  /** Number of x points the chart holds (tests read it). */
  get numPoints(): number {
    return this.plot?.data[0]?.length ?? 0;
  }

  override updated(): void {
    const el = this.renderRoot.querySelector('.plot') as HTMLElement | null;
    if (!el) return;
    const key = this.series.map((s) => s.label + s.color).join('|') + `|${this.yMax}`;
    if (!this.plot || key !== this.plotKey) {
      this.plot?.destroy();
      this.plotKey = key;
      const unit = this.unit;
      const opts: uPlot.Options = {
        width: this.width,
        height: this.plotHeight,
        legend: { show: true, live: true },
        cursor: { drag: { x: false, y: false }, points: { size: 5 } },
        scales: { x: { time: false }, y: this.yMax !== undefined ? { range: [0, this.yMax] } : { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
        axes: [
          { stroke: '#5b6475', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#dfe3ea' }, size: 28, font: '11px system-ui', values: (_u, v) => v.map((x) => `${x}s`) },
          { stroke: '#5b6475', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#dfe3ea' }, size: 46, font: '11px system-ui', values: (_u, v) => v.map((x) => compact(x)) },
        ],
        series: [
          { label: 'time (s)', value: (_u, v) => (v === null ? '—' : `${v.toFixed(1)} s`) },
          ...this.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 1.5,
            ...(s.fill ? { fill: `${s.color}22` } : {}),
            ...(s.dash ? { dash: s.dash } : {}),
            points: { show: false },
            value: (_u: uPlot, v: number | null) => (v === null ? '—' : `${compact(v)}${unit}`),
          })),
        ],
      };
      this.plot = new uPlot(opts, this.data as uPlot.AlignedData, el);
      return;
    }
    this.plot.setData(this.data as uPlot.AlignedData);
  }

  override render() {
    const n = this.data[0]?.length ?? 0;
    return html`
      <div class="title">
        <span>${this.heading}</span>
        <span class="now"
          >${n
            ? this.series.map((s, i) => html`<span title=${s.label}>${i ? ' · ' : ''}<b>${compact(this.data[i + 1]?.[n - 1] ?? NaN)}</b>${this.unit}${this.series.length > 1 ? ` ${s.label}` : ''}</span>`)
            : nothing}</span
        >
      </div>
      <div class="plot" part="plot"></div>
    `;
  }
}

function compact(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 100 || Number.isInteger(v)) return v.toFixed(0);
  return v.toFixed(1);
}

customElements.define('timeline-chart', TimelineChart);

declare global {
  interface HTMLElementTagNameMap {
    'timeline-chart': TimelineChart;
  }
}
