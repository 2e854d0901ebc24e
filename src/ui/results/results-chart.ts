/**
 * One suite's cases as a horizontal dot plot (uPlot): a row per case, the median time on a log axis,
 * a line from the fastest to the slowest repetition (min–max), A as a blue circle and B as a vermilion
 * diamond (Okabe-Ito colours, and different shapes, so the two never depend on colour alone). B/A is
 * written at the right end of each row. Arrow keys (or the mouse) step through the cases; the chosen
 * case's numbers are written out in a live region under the plot. The table beside it has every number.
 *
 * uPlot's bar paths fill down to zero, which a log scale does not have, so the marks are drawn in a
 * `draw` hook on uPlot's scales, axes, grid and cursor.
 *
 * @csspart plot - the uPlot container
 */
import { LitElement, html, nothing } from 'lit';
import uPlot from 'uplot';
import type { CasePair } from './pairing';
import { fmtRatio, fmtTick, fmtTime } from './format';
import { resultsChartStyles } from './results-chart.styles';

/** Okabe-Ito blue and vermilion: the pair that stays apart under every common colour-vision deficiency. */
export const COLOR_A = '#0072B2';
export const COLOR_B = '#D55E00';

const FONT = '11px system-ui, sans-serif';
const MAX_LABEL = 52;

/** Mantissa 1 always; 2 and 5 too when the axis spans at most two decades. */
function keepTick(v: number, decades: number): boolean {
  const m = Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
  return m === 1 || (decades <= 2 && (m === 2 || m === 5));
}

export class ResultsChart extends LitElement {
  static override styles = resultsChartStyles;
  static override properties = {
    suite: { type: String },
    pairs: { attribute: false },
    hasB: { type: Boolean, attribute: 'has-b' },
    labelA: { type: String, attribute: 'label-a' },
    labelB: { type: String, attribute: 'label-b' },
    soloB: { type: Boolean, attribute: 'solo-b' },
    active: { state: true },
  };

  declare suite: string;
  declare pairs: CasePair[];
  declare hasB: boolean;
  declare labelA: string;
  declare labelB: string;
  /** Only B is loaded: its cases are drawn (as the first series) in B's colour and shape. */
  declare soloB: boolean;
  /** Index of the case under the keyboard focus or the mouse; -1 for none. */
  declare active: number;

  private plot: uPlot | null = null;
  private width = 600;
  private readonly resize = new ResizeObserver((entries) => {
    const w = Math.floor(entries[0]!.contentRect.width);
    if (w > 0 && Math.abs(w - this.width) > 1) {
      this.width = w;
      this.plot?.setSize({ width: w, height: this.plotHeight() });
    }
  });

  constructor() {
    super();
    this.suite = '';
    this.pairs = [];
    this.hasB = false;
    this.labelA = 'A';
    this.labelB = 'B';
    this.soloB = false;
    this.active = -1;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  override firstUpdated(): void {
    const el = this.renderRoot.querySelector('.plot') as HTMLElement;
    this.width = Math.max(320, Math.floor(el.getBoundingClientRect().width));
    this.resize.observe(el);
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('pairs') || changed.has('hasB') || changed.has('soloB') || !this.plot) this.build();
    else if (changed.has('active')) this.plot.redraw(false, false);
  }

  private plotHeight(): number {
    return this.pairs.length * (this.hasB ? 30 : 24) + 46;
  }

  /** Time range of every mark (min..max of both sides), widened to whole decades. */
  private timeRange(): [number, number] {
    let lo = Infinity;
    let hi = 0;
    for (const p of this.pairs) {
      for (const r of [p.a, p.b]) {
        if (!r) continue;
        for (const v of [r.min_ms, r.median_ms, r.max_ms]) {
          if (v !== undefined && v > 0) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
        }
      }
    }
    if (!Number.isFinite(lo)) return [0.001, 1];
    return [10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi * 1.0001))];
  }

  private build(): void {
    const el = this.renderRoot.querySelector('.plot') as HTMLElement | null;
    if (!el) return;
    this.plot?.destroy();
    const pairs = this.pairs;
    const n = pairs.length;
    const [lo, hi] = this.timeRange();
    const decades = Math.round(Math.log10(hi / lo));
    const sim = (p: CasePair) => p.a?.params?.['simulated'] === true || p.b?.params?.['simulated'] === true;
    const names = pairs.map((p) => {
      const name = p.name.length > MAX_LABEL ? `${p.name.slice(0, MAX_LABEL - 1)}…` : p.name;
      return sim(p) ? `${name} (sim.)` : name;
    });
    const ratios = pairs.map((p) => (p.ratio === null ? (this.hasB ? (p.a ? 'only A' : 'only B') : '') : fmtRatio(p.ratio)));
    const textWidth = (texts: string[]) => {
      const ctx = document.createElement('canvas').getContext('2d')!;
      ctx.font = FONT;
      return Math.ceil(Math.max(0, ...texts.map((t) => ctx.measureText(t).width)));
    };
    const idx = pairs.map((_, i) => i);
    const caseAxis = { stroke: '#1d2330', font: FONT, grid: { stroke: '#eef0f3' }, ticks: { show: false }, gap: 6 };
    const opts: uPlot.Options = {
      width: this.width,
      height: this.plotHeight(),
      legend: { show: false },
      // The case axis is vertical (ori 1) and runs top-down; the time axis is horizontal and logarithmic.
      scales: {
        x: { time: false, ori: 1, dir: -1, range: () => [-0.5, n - 0.5] },
        ms: { ori: 0, distr: 3, log: 10, range: () => [lo, hi] },
      },
      cursor: { x: true, y: false, points: { show: false }, drag: { x: false, y: false }, focus: { prox: 0 } },
      axes: [
        { ...caseAxis, scale: 'x', side: 3, splits: () => idx, values: () => names, size: textWidth(names) + 14 },
        {
          scale: 'ms',
          side: 2,
          stroke: '#5b6475',
          font: FONT,
          size: 34,
          // Faint lines at every 1..9 x 10^k; ticks and labels at whole decades (and 2 and 5 on short ranges).
          grid: { stroke: '#f0f2f5' },
          ticks: { stroke: '#c9cfd8', filter: (_u, splits) => splits.map((v) => (keepTick(v, decades) ? v : null)) },
          // uPlot's own log-axis filter would drop the 2 and 5 labels where it thinks space is short.
          filter: (_u, splits) => splits.map((v) => (keepTick(v, decades) ? v : null)),
          values: (_u, splits) => splits.map((v) => (v !== null && keepTick(v, decades) ? fmtTick(v) : '')),
        },
        // No labels, only the darker lines of the labelled ticks, over the faint ones.
        { scale: 'ms', side: 0, size: 0, stroke: 'transparent', ticks: { show: false }, values: (_u, splits) => splits.map(() => ''), grid: { stroke: '#d9dde4', filter: (_u, splits) => splits.map((v) => (keepTick(v, decades) ? v : null)) } },
        ...(this.hasB ? [{ ...caseAxis, scale: 'x', side: 1 as const, grid: { show: false }, splits: () => idx, values: () => ratios, size: textWidth([...ratios, 'B/A']) + 12 }] : []),
      ],
      series: [
        { label: 'case' },
        { label: this.labelA, scale: 'ms', stroke: this.soloB ? COLOR_B : COLOR_A, paths: () => null, points: { show: false } },
        ...(this.hasB ? [{ label: this.labelB, scale: 'ms', stroke: COLOR_B, paths: () => null, points: { show: false } }] : []),
      ],
      hooks: {
        draw: [(u) => this.drawMarks(u)],
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            if (i !== null && i !== undefined && i !== this.active) this.active = i;
          },
        ],
      },
    };
    const data: uPlot.AlignedData = [idx, pairs.map((p) => p.a?.median_ms ?? null), ...(this.hasB ? [pairs.map((p) => p.b?.median_ms ?? null)] : [])];
    this.plot = new uPlot(opts, data, el);
  }

  /** Highlight of the active row, then per case and side: min–max line with end ticks, median mark. */
  private drawMarks(u: uPlot): void {
    const ctx = u.ctx;
    const px = devicePixelRatio || 1;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    const rowPx = Math.abs(u.valToPos(1, 'x', true) - u.valToPos(0, 'x', true));
    if (this.active >= 0 && this.active < this.pairs.length) {
      const y = u.valToPos(this.active, 'x', true);
      ctx.fillStyle = 'rgba(0, 114, 178, 0.08)';
      ctx.fillRect(left, y - rowPx / 2, width, rowPx);
    }
    const off = this.hasB ? Math.min(7 * px, rowPx / 4) : 0;
    this.pairs.forEach((p, i) => {
      const yc = u.valToPos(i, 'x', true);
      if (p.a) this.drawOne(u, p.a, yc - off, this.soloB ? COLOR_B : COLOR_A, this.soloB ? 'diamond' : 'circle');
      if (p.b) this.drawOne(u, p.b, yc + off, COLOR_B, 'diamond');
    });
    ctx.restore();
  }

  private drawOne(u: uPlot, r: { median_ms: number; min_ms?: number; max_ms?: number }, y: number, color: string, shape: 'circle' | 'diamond'): void {
    const ctx = u.ctx;
    const px = devicePixelRatio || 1;
    const x = (v: number) => u.valToPos(Math.max(v, 1e-12), 'ms', true);
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 1.5 * px;
    if (r.min_ms !== undefined && r.max_ms !== undefined) {
      const x0 = x(r.min_ms);
      const x1 = x(r.max_ms);
      const cap = 3.5 * px;
      ctx.beginPath();
      ctx.moveTo(x0, y);
      ctx.lineTo(x1, y);
      ctx.moveTo(x0, y - cap);
      ctx.lineTo(x0, y + cap);
      ctx.moveTo(x1, y - cap);
      ctx.lineTo(x1, y + cap);
      ctx.stroke();
    }
    const xm = x(r.median_ms);
    const s = 5 * px;
    ctx.beginPath();
    if (shape === 'circle') ctx.arc(xm, y, s, 0, 2 * Math.PI);
    else {
      ctx.moveTo(xm, y - s * 1.25);
      ctx.lineTo(xm + s * 1.25, y);
      ctx.lineTo(xm, y + s * 1.25);
      ctx.lineTo(xm - s * 1.25, y);
      ctx.closePath();
    }
    ctx.fill();
    ctx.lineWidth = 1 * px;
    ctx.strokeStyle = '#ffffff';
    ctx.stroke();
  }

  private onKey(e: KeyboardEvent): void {
    const n = this.pairs.length;
    if (!n) return;
    const cur = this.active < 0 ? -1 : this.active;
    const next =
      e.key === 'ArrowDown' || e.key === 'ArrowRight' ? Math.min(n - 1, cur + 1)
      : e.key === 'ArrowUp' || e.key === 'ArrowLeft' ? Math.max(0, cur - 1)
      : e.key === 'Home' ? 0
      : e.key === 'End' ? n - 1
      : null;
    if (next === null) return;
    e.preventDefault();
    this.active = next;
  }

  private readout() {
    const p = this.pairs[this.active];
    if (!p) return html`<span class="hint">Arrow keys or the mouse pick a case; the table below has every number.</span>`;
    const side = (label: string, r: CasePair['a'], cls: string) =>
      r
        ? html`<span class=${cls}><b>${label}</b> ${fmtTime(r.median_ms)}${r.min_ms !== undefined && r.max_ms !== undefined ? ` (${fmtTime(r.min_ms)} – ${fmtTime(r.max_ms)})` : ''}${r.method ? `, ${r.method}` : ''}</span>`
        : html`<span class=${cls}><b>${label}</b> not in this report</span>`;
    return html`<b class="case">${p.name}</b>: ${side(this.labelA, p.a, this.soloB ? 'b' : 'a')}${this.hasB ? html` · ${side(this.labelB, p.b, 'b')} · B/A <b>${fmtRatio(p.ratio)}</b>` : nothing}`;
  }

  override render() {
    return html`
      <div class="legend" aria-hidden="true">
        <span><i class="mark ${this.soloB ? 'b' : 'a'}"></i>${this.labelA} median</span>
        ${this.hasB ? html`<span><i class="mark b"></i>${this.labelB} median</span>` : nothing}
        <span><i class="range"></i>fastest – slowest repetition</span>
        <span class="axis-note">time per repetition, log scale${this.hasB ? '; B/A at the right' : ''}</span>
      </div>
      <div
        class="plot"
        part="plot"
        tabindex="0"
        role="group"
        aria-roledescription="chart"
        aria-label=${`${this.suite}: median time per case on a log scale${this.hasB ? `, ${this.labelA} against ${this.labelB}` : ''}. Arrow keys step through the ${this.pairs.length} cases.`}
        @keydown=${(e: KeyboardEvent) => this.onKey(e)}
        @focus=${() => {
          if (this.active < 0) this.active = 0;
        }}
      ></div>
      <p class="readout" aria-live="polite" data-testid="chart-readout">${this.readout()}</p>
    `;
  }
}

customElements.define('results-chart', ResultsChart);

declare global {
  interface HTMLElementTagNameMap {
    'results-chart': ResultsChart;
  }
}
