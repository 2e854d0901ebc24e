/**
 * Every page of the KV-cache page pool on a canvas grid, drawn from the engine's pool mirror.
 *
 * A page's colour is its owner's tenant (Okabe-Ito), shaded per sequence; the filled part of the cell
 * (from the bottom) is how many of its token slots hold KV, so internal fragmentation shows as the pale
 * top. Shared pages (ref count > 1) carry a black corner triangle, cached-but-free prefix pages are hatched, free
 * pages are pale grey, the reserved NULL page is dark. Partition boundaries are drawn as staircase lines.
 * The selected request's pages have a black-and-white ring. Hovering a page shows its owner, fill and
 * ref count from the mirror, and (asked of the engine on hover, via `fetchPage`) its prefix-cache hash
 * prefix and, for models with a tokenizer, the text of its tokens.
 *
 * Drawing writes pixels into one ImageData and puts it once, and only when the mirror's version counter
 * changed (the mirror is shared memory when the page is cross-origin isolated, so reading it costs
 * nothing). `drawStats()` reports the measured draw times.
 *
 * @fires request-select - {requestId: string} when a page's sequence is clicked (or Enter on the cursor page)
 * @csspart canvas - the grid
 */
import { LitElement, html, nothing } from 'lit';
import { pagePoolStyles } from './page-pool-view.styles';
import { gridGeometry, mirrorNumPages, readPage, summarize, type GridGeometry, type PageInfo, type PoolSummary, MIRROR_HEADER, PAGE_FIELDS, PAGE_FLAG } from '../pool-layout';
import { hexToRgb, shade, tenantColor } from '../palette';
import { fmtInt, fmtPct } from '../format';
import type { PageDetail } from '../../engine/service';

export interface RegionBox {
  name: string;
  start: number;
  end: number;
}

const rgba = ([r, g, b]: readonly number[]): number => (255 << 24) | (b! << 16) | (g! << 8) | r!; // little-endian ABGR
const FREE = rgba(hexToRgb('#e6e9ee'));
const CACHED_STRIPE = rgba(hexToRgb('#7d8796'));
const NULL_PAGE = rgba(hexToRgb('#1d2330'));
const OUTLINE = rgba([0, 0, 0]);
const GAP = rgba([255, 255, 255]);
const SELECT = rgba(hexToRgb('#000000'));
const NUM_SHADES = 5;

export class PagePoolView extends LitElement {
  static override styles = pagePoolStyles;
  static override properties = {
    mirror: { attribute: false },
    tenants: { attribute: false },
    regions: { attribute: false },
    requestIdOf: { attribute: false },
    highlightPages: { attribute: false },
    tokensPerPage: { type: Number },
    targetHeight: { type: Number, attribute: 'target-height' },
    tip: { state: true },
    summary: { state: true },
    fetchPage: { attribute: false },
    detail: { state: true },
  };

  declare mirror: Int32Array | null;
  declare tenants: string[];
  declare regions: RegionBox[];
  declare requestIdOf: string[];
  declare highlightPages: number[];
  declare tokensPerPage: number;
  declare targetHeight: number;
  declare tip: { x: number; y: number; page: PageInfo } | null;
  declare summary: PoolSummary | null;
  /** Asks the engine for one page's details (hash prefix, token text); null: the tooltip shows the mirror only. */
  declare fetchPage: ((page: number) => Promise<PageDetail | null>) | null;
  declare detail: PageDetail | null;
  private detailAt = 0;

  private canvas: HTMLCanvasElement | null = null;
  private ctx: CanvasRenderingContext2D | null = null;
  private image: ImageData | null = null;
  private geo: GridGeometry = { cell: 8, cols: 1, rows: 1 };
  private width = 600;
  private drawnVersion = NaN;
  private dirty = true;
  private raf = 0;
  private cursor = -1;
  private hoverPage = -1;
  private readonly resize = new ResizeObserver((entries) => {
    const w = Math.floor(entries[0]!.contentRect.width);
    if (w > 0 && w !== this.width) {
      this.width = w;
      this.dirty = true;
    }
  });
  /** Draw times in ms, most recent last (at most 600). */
  readonly drawTimes: number[] = [];
  /** Palette per tenant: NUM_SHADES shades, and the pale tint of each for unfilled slots. */
  private shades: number[][] = [];
  private tints: number[][] = [];

  constructor() {
    super();
    this.mirror = null;
    this.tenants = [];
    this.regions = [];
    this.requestIdOf = [];
    this.highlightPages = [];
    this.tokensPerPage = 16;
    this.targetHeight = 380;
    this.tip = null;
    this.summary = null;
    this.fetchPage = null;
    this.detail = null;
  }

  /** Fetches the hovered page's details (one request at a time; again at most once a second while it stays hovered). */
  private refreshDetail(p: number): void {
    if (!this.fetchPage || p < 0) return;
    this.detailAt = performance.now();
    void this.fetchPage(p).then((d) => {
      if (this.hoverPage === p) this.detail = d;
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    const loop = () => {
      this.frame();
      this.raf = requestAnimationFrame(loop);
    };
    this.raf = requestAnimationFrame(loop);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    cancelAnimationFrame(this.raf);
    this.resize.disconnect();
  }

  override firstUpdated(): void {
    this.resize.observe(this.renderRoot.querySelector('.frame')!);
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('tenants')) this.buildPalette();
    if (changed.has('mirror') || changed.has('regions') || changed.has('highlightPages') || changed.has('tenants') || changed.has('targetHeight')) this.dirty = true;
  }

  private buildPalette(): void {
    this.shades = [];
    this.tints = [];
    const n = Math.max(this.tenants.length, 1);
    for (let t = 0; t < n; t++) {
      const base = hexToRgb(tenantColor(t));
      const row: number[] = [];
      const tint: number[] = [];
      for (let s = 0; s < NUM_SHADES; s++) {
        // Shades from 25% darker to 30% lighter than the tenant colour.
        const k = -0.25 + (0.55 * s) / (NUM_SHADES - 1);
        const c = shade(base, k);
        row.push(rgba(c));
        tint.push(rgba(shade(c, 0.72)));
      }
      this.shades.push(row);
      this.tints.push(tint);
    }
  }

  /** Called every animation frame: redraws only when the mirror changed or the layout did. */
  private frame(): void {
    const d = this.mirror;
    if (!d || !this.canvas) return;
    if (!this.dirty && d[0] === this.drawnVersion) return;
    this.draw();
  }

  /** Draws the whole pool now; returns the time it took in ms. */
  draw(): number {
    const d = this.mirror;
    const canvas = this.canvas;
    if (!d || !canvas) return 0;
    const t0 = performance.now();
    const version = d[0]!;
    const n = mirrorNumPages(d);
    const dpr = Math.max(1, Math.round(window.devicePixelRatio || 1));
    const geo = gridGeometry(n, this.width, this.targetHeight);
    const cellPx = geo.cell * dpr;
    const W = geo.cols * cellPx;
    const H = geo.rows * cellPx;
    if (canvas.width !== W || canvas.height !== H || !this.image) {
      canvas.width = W;
      canvas.height = H;
      canvas.style.width = `${geo.cols * geo.cell}px`;
      canvas.style.height = `${geo.rows * geo.cell}px`;
      this.ctx = canvas.getContext('2d', { alpha: false });
      this.image = this.ctx!.createImageData(W, H);
    }
    this.geo = geo;
    const px = new Uint32Array(this.image.data.buffer);
    px.fill(GAP);
    const gap = cellPx >= 5 ? dpr : 0;
    const inner = cellPx - gap;
    const tpp = Math.max(1, this.tokensPerPage);
    for (let p = 0; p < n; p++) {
      const o = MIRROR_HEADER + p * PAGE_FIELDS;
      const flags = d[o + 5]!;
      const x0 = (p % geo.cols) * cellPx;
      const y0 = Math.floor(p / geo.cols) * cellPx;
      if (flags & PAGE_FLAG.reserved) {
        this.rect(px, W, x0, y0, inner, inner, NULL_PAGE);
      } else if (flags & PAGE_FLAG.free) {
        this.rect(px, W, x0, y0, inner, inner, FREE);
        if (flags & PAGE_FLAG.cached) {
          // Hatch: diagonal stripes, one pixel in three.
          for (let y = 0; y < inner; y++) {
            const row = (y0 + y) * W + x0;
            for (let x = (3 - ((y0 + y + x0) % 3)) % 3; x < inner; x += 3) px[row + x] = CACHED_STRIPE;
          }
        }
      } else {
        const t = Math.max(0, d[o]! - 1) % this.shades.length;
        const s = (d[o + 2]! * 7) % NUM_SHADES;
        const fillTokens = d[o + 3]! < 0 ? tpp : Math.min(tpp, d[o + 3]!);
        const filled = Math.round((inner * fillTokens) / tpp);
        this.rect(px, W, x0, y0, inner, inner - filled, this.tints[t]![s]!);
        this.rect(px, W, x0, y0 + inner - filled, inner, filled, this.shades[t]![s]!);
        if (flags & PAGE_FLAG.shared) this.corner(px, W, x0, y0, Math.max(2, Math.ceil(inner / 2)), OUTLINE);
      }
    }
    const hi = this.highlightPages;
    // The selected request: a black ring with a white ring inside, readable on every tenant colour.
    const ring = Math.max(dpr, Math.floor(inner / 8));
    for (const p of hi) {
      if (p <= 0 || p >= n) continue;
      const x = (p % geo.cols) * cellPx;
      const y = Math.floor(p / geo.cols) * cellPx;
      this.outline(px, W, x, y, inner, ring, SELECT);
      if (inner > 4 * ring) this.outline(px, W, x + ring, y + ring, inner - 2 * ring, Math.max(1, ring >> 1), GAP);
      // Keep the shared mark visible on top of the ring.
      if (d[MIRROR_HEADER + p * PAGE_FIELDS + 5]! & PAGE_FLAG.shared) this.corner(px, W, x, y, Math.max(2, Math.ceil(inner / 2)), OUTLINE);
    }
    const ctx = this.ctx!;
    ctx.putImageData(this.image, 0, 0);
    this.drawRegions(ctx, geo, cellPx, dpr, n);
    this.drawnVersion = version;
    this.dirty = false;
    const ms = performance.now() - t0;
    this.drawTimes.push(ms);
    if (this.drawTimes.length > 600) this.drawTimes.splice(0, this.drawTimes.length - 600);
    this.summary = summarize(d, tpp, this.tenants.length);
    if (this.hoverPage >= 0 && this.tip) {
      this.tip = { ...this.tip, page: readPage(d, this.hoverPage) };
      if (performance.now() - this.detailAt > 1000) this.refreshDetail(this.hoverPage);
    }
    return ms;
  }

  private rect(px: Uint32Array, W: number, x0: number, y0: number, w: number, h: number, c: number): void {
    for (let y = y0; y < y0 + h; y++) px.fill(c, y * W + x0, y * W + x0 + w);
  }

  /** A filled right triangle in the top-left corner (legs of `s` pixels): the shared-page mark. */
  private corner(px: Uint32Array, W: number, x0: number, y0: number, s: number, c: number): void {
    for (let y = 0; y < s; y++) px.fill(c, (y0 + y) * W + x0, (y0 + y) * W + x0 + (s - y));
  }

  private outline(px: Uint32Array, W: number, x0: number, y0: number, s: number, b: number, c: number): void {
    this.rect(px, W, x0, y0, s, b, c);
    this.rect(px, W, x0, y0 + s - b, s, b, c);
    this.rect(px, W, x0, y0, b, s, c);
    this.rect(px, W, x0 + s - b, y0, b, s, c);
  }

  /** Region (partition) boundaries as staircase lines between the last page of one and the first of the next. */
  private drawRegions(ctx: CanvasRenderingContext2D, geo: GridGeometry, cellPx: number, dpr: number, n: number): void {
    if (this.regions.length < 2) return;
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 2 * dpr;
    ctx.beginPath();
    for (const r of this.regions.slice(1)) {
      if (r.start >= n) continue;
      const col = r.start % geo.cols;
      const row = Math.floor(r.start / geo.cols);
      const x = col * cellPx - dpr / 2;
      const y = row * cellPx - dpr / 2;
      ctx.moveTo(0, y + cellPx);
      ctx.lineTo(x, y + cellPx);
      ctx.lineTo(x, y);
      ctx.lineTo(geo.cols * cellPx, y);
    }
    ctx.stroke();
  }

  /** Forces `n` full redraws and returns their times (ms): the frame-time measurement. */
  benchmark(n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.draw());
    return out;
  }

  drawStats(): { count: number; meanMs: number; p50Ms: number; p95Ms: number; maxMs: number; numPages: number; cell: number } {
    const s = [...this.drawTimes].sort((a, b) => a - b);
    const q = (f: number) => s[Math.min(s.length - 1, Math.floor(f * s.length))] ?? 0;
    return { count: s.length, meanMs: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length), p50Ms: q(0.5), p95Ms: q(0.95), maxMs: s.at(-1) ?? 0, numPages: this.mirror ? mirrorNumPages(this.mirror) : 0, cell: this.geo.cell };
  }

  private pageAt(ev: MouseEvent): number {
    const rect = this.canvas!.getBoundingClientRect();
    const col = Math.floor((ev.clientX - rect.left) / this.geo.cell);
    const row = Math.floor((ev.clientY - rect.top) / this.geo.cell);
    const p = row * this.geo.cols + col;
    return col >= 0 && col < this.geo.cols && row >= 0 && this.mirror && p < mirrorNumPages(this.mirror) ? p : -1;
  }

  private showTip(p: number): void {
    if (p < 0 || !this.mirror) {
      this.hoverPage = -1;
      this.tip = null;
      this.detail = null;
      return;
    }
    if (p !== this.hoverPage) {
      this.detail = null;
      this.hoverPage = p;
      this.refreshDetail(p);
    }
    const c = this.geo.cell;
    const x = (p % this.geo.cols) * c + c + 8;
    const y = Math.floor(p / this.geo.cols) * c + c + 6;
    this.tip = { x: Math.max(0, Math.min(x, this.width - 300)), y, page: readPage(this.mirror, p) };
  }

  private onMove = (ev: MouseEvent) => {
    const p = this.pageAt(ev);
    if (p !== this.hoverPage) this.showTip(p);
  };

  private select(p: number): void {
    if (p < 0 || !this.mirror) return;
    const info = readPage(this.mirror, p);
    const requestId = info.free || info.request < 0 ? null : (this.requestIdOf[info.request] ?? null);
    this.dispatchEvent(new CustomEvent('request-select', { detail: { requestId, page: p }, bubbles: true, composed: true }));
  }

  private onKey = (ev: KeyboardEvent) => {
    if (!this.mirror) return;
    const n = mirrorNumPages(this.mirror);
    const step: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: this.geo.cols, ArrowUp: -this.geo.cols };
    if (ev.key in step) {
      ev.preventDefault();
      // The first arrow press shows page 0; later ones move.
      this.cursor = this.cursor < 0 ? 0 : Math.max(0, Math.min(n - 1, this.cursor + step[ev.key]!));
      this.showTip(this.cursor);
    } else if ((ev.key === 'Enter' || ev.key === ' ') && this.cursor >= 0) {
      ev.preventDefault();
      this.select(this.cursor);
    } else if (ev.key === 'Escape') this.showTip(-1);
  };

  override updated(): void {
    const c = this.renderRoot.querySelector('canvas');
    if (c !== this.canvas) {
      this.canvas = c;
      this.image = null;
      this.dirty = true;
    }
  }

  private tipText(p: PageInfo) {
    const tenant = p.tenant >= 0 ? (this.tenants[p.tenant] ?? `tenant ${p.tenant + 1}`) : null;
    const req = p.request >= 0 ? (this.requestIdOf[p.request] ?? `#${p.request}`) : null;
    const state = p.reserved ? 'reserved NULL page' : p.free ? (p.cached ? 'free, holds a cached prefix (reusable)' : 'free') : p.shared ? `shared by ${p.refCount} sequences` : 'in use';
    const fill = p.fill < 0 ? `${this.tokensPerPage} / ${this.tokensPerPage} (full)` : `${p.fill} / ${this.tokensPerPage}`;
    const d = this.detail?.page === p.page ? this.detail : null;
    const text = d?.tokenTexts?.length ? d.tokenTexts.join('') : '';
    return html`<b>page ${fmtInt(p.page)}</b> · ${state}<br />
      ${p.free || p.reserved ? nothing : html`owner: ${tenant ?? '—'} · ${req ?? '—'}<br />`} tokens: ${fill} · ref count ${p.refCount}
      ${p.cached ? html`<br />prefix-cache hash <code data-testid="pool-tip-hash">${d?.hashPrefix ?? '…'}</code>${p.free ? nothing : ' (hashed, shareable)'}` : nothing}
      ${text ? html`<br /><span class="text" data-testid="pool-tip-text">“${text.length > 64 ? `${text.slice(0, 64)}…` : text}”</span>` : nothing}`;
  }

  override render() {
    const s = this.summary;
    const usable = s ? s.numPages - 1 : 0;
    return html`
      <div class="frame">
        ${this.mirror
          ? html`<canvas
              part="canvas"
              tabindex="0"
              role="img"
              aria-label="Page pool: ${s ? `${s.used} of ${usable} pages in use` : 'loading'}. Arrow keys move between pages, Enter selects the page's request."
              @mousemove=${this.onMove}
              @mouseleave=${() => this.showTip(-1)}
              @click=${(ev: MouseEvent) => this.select(this.pageAt(ev))}
              @keydown=${this.onKey}
              @blur=${() => this.showTip(-1)}
            ></canvas>`
          : html`<div class="empty">The pool appears when a model is loaded.</div>`}
        ${this.tip ? html`<div class="tip" style="left:${this.tip.x}px;top:${this.tip.y}px" data-testid="pool-tip">${this.tipText(this.tip.page)}</div>` : nothing}
      </div>
      ${s
        ? html`<p class="summary" data-testid="pool-summary">
            <span>in use <b data-testid="pool-used">${fmtInt(s.used)}</b> / ${fmtInt(usable)} pages (${fmtPct((100 * s.used) / Math.max(1, usable))})</span>
            <span>cached-free <b>${fmtInt(s.cachedFree)}</b></span>
            <span>empty <b>${fmtInt(s.emptyFree)}</b></span>
            <span>shared <b>${fmtInt(s.shared)}</b></span>
            <span>unfilled slots in used pages <b>${fmtInt(s.emptySlots)}</b> (${fmtPct((100 * s.emptySlots) / Math.max(1, s.emptySlots + s.usedSlots))} internal fragmentation)</span>
            ${this.tenants.map((t, i) => html`<span><span class="sw" style="background:${tenantColor(i)}"></span> ${t} <b>${fmtInt(s.perTenant[i] ?? 0)}</b></span>`)}
          </p>`
        : nothing}
      <ul class="legend" aria-label="legend">
        <li><span class="sw fill"></span>filled share of a page's slots</li>
        <li><span class="sw shared"></span>shared (ref count &gt; 1)</li>
        <li><span class="sw cached"></span>cached prefix, free</li>
        <li><span class="sw free"></span>free</li>
        <li><span class="sw null"></span>NULL page</li>
        <li><span class="sw sel"></span>selected request</li>
        ${this.regions.length > 1 ? html`<li>partitions: ${this.regions.map((r) => `${r.name} ${r.start}–${r.end - 1}`).join(' · ')}</li>` : nothing}
      </ul>
    `;
  }
}

customElements.define('page-pool-view', PagePoolView);

declare global {
  interface HTMLElementTagNameMap {
    'page-pool-view': PagePoolView;
  }
}
