/**
 * The results page (results.html): loads one or two reports written by `npm run bench` and charts B
 * against A per suite, with every number also in a table. Reports come from a file (button or drag
 * and drop; dropping two files on the page fills A and B), from the results committed under
 * bench/results/, or from a URL; `?a=` and `?b=` name a committed file or a URL so a comparison can be
 * linked. A file that is not a schema-1 report gets a one-line error and the side keeps what it had.
 *
 * URL parameters: a, b (committed file name or URL), threshold (percent, default 5).
 */
import { LitElement, html, nothing } from 'lit';
import { committedResults, resolveResultRef } from './committed';
import { fmtRate, fmtRatio, fmtTime } from './format';
import { geomeanRatio, pairReports, type CasePair, type SuitePairs } from './pairing';
import { adapterLineOf, parseReport, ReportError, type BenchCaseResult, type BenchReport } from './report';
import type { PickFileDetail, PickUrlDetail } from './report-picker';
import { benchResultsStyles } from './bench-results.styles';
import './report-picker';
import './results-chart';

interface Side {
  report: BenchReport | null;
  label: string;
  error: string;
  loading: boolean;
  /** Bumped per load, so a slow earlier load cannot overwrite a later one. */
  token: number;
}

const emptySide = (): Side => ({ report: null, label: '', error: '', loading: false, token: 0 });

export class BenchResults extends LitElement {
  static override styles = benchResultsStyles;
  static override properties = {
    a: { state: true },
    b: { state: true },
    thresholdPct: { state: true },
  };

  declare a: Side;
  declare b: Side;
  declare thresholdPct: number;

  constructor() {
    super();
    this.a = emptySide();
    this.b = emptySide();
    this.thresholdPct = 5;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    const q = new URLSearchParams(location.search);
    const t = Number(q.get('threshold'));
    if (q.has('threshold') && Number.isFinite(t) && t >= 0) this.thresholdPct = t;
    for (const which of ['a', 'b'] as const) {
      const ref = q.get(which);
      if (ref) void this.loadUrl(which, ref);
    }
    // Dropping files anywhere outside the two drop zones: one file fills A (or B when A is full), two fill both.
    document.addEventListener('dragover', this.onDocDragOver);
    document.addEventListener('drop', this.onDocDrop);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('dragover', this.onDocDragOver);
    document.removeEventListener('drop', this.onDocDrop);
  }

  private readonly onDocDragOver = (e: DragEvent) => e.preventDefault();
  private readonly onDocDrop = (e: DragEvent) => {
    e.preventDefault();
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length >= 2) {
      void this.loadFile('a', files[0]!);
      void this.loadFile('b', files[1]!);
    } else if (files[0]) void this.loadFile(this.a.report && !this.b.report ? 'b' : 'a', files[0]);
  };

  private set(which: 'a' | 'b', side: Side): void {
    if (which === 'a') this.a = side;
    else this.b = side;
  }

  private begin(which: 'a' | 'b'): number {
    const cur = which === 'a' ? this.a : this.b;
    const token = cur.token + 1;
    this.set(which, { ...cur, loading: true, error: '', token });
    return token;
  }

  /** Applies a finished load unless a newer one started; on error the side keeps its report. */
  private finish(which: 'a' | 'b', token: number, label: string, load: () => BenchReport): void {
    const cur = which === 'a' ? this.a : this.b;
    if (cur.token !== token) return;
    try {
      this.set(which, { report: load(), label, error: '', loading: false, token });
    } catch (e) {
      const msg = e instanceof ReportError ? e.message : `${label}: ${(e as Error).message}`;
      this.set(which, { ...cur, loading: false, error: cur.report ? `${msg} (still showing ${cur.label})` : msg });
    }
  }

  async loadFile(which: 'a' | 'b', file: File): Promise<void> {
    const token = this.begin(which);
    this.setUrlParam(which, null);
    let text = '';
    let readError: Error | null = null;
    try {
      text = await file.text();
    } catch (e) {
      readError = e as Error;
    }
    this.finish(which, token, file.name, () => {
      if (readError) throw new Error(`could not be read (${readError.message})`);
      return parseReport(text, file.name);
    });
  }

  async loadUrl(which: 'a' | 'b', ref: string): Promise<void> {
    const token = this.begin(which);
    const { url, label } = resolveResultRef(ref);
    this.setUrlParam(which, ref);
    let text = '';
    let fetchError = '';
    try {
      const res = await fetch(url);
      if (!res.ok) fetchError = `HTTP ${res.status} ${res.statusText}`.trim();
      else text = await res.text();
    } catch (e) {
      fetchError = `${(e as Error).message} (a URL on another site must send CORS headers)`;
    }
    this.finish(which, token, label, () => {
      if (fetchError) throw new Error(`could not be fetched: ${fetchError}`);
      return parseReport(text, label);
    });
  }

  /** Keeps ?a= / ?b= in step with what is shown, so the address can be shared (files have no address). */
  private setUrlParam(which: 'a' | 'b', ref: string | null): void {
    const u = new URL(location.href);
    if (ref === null) u.searchParams.delete(which);
    else u.searchParams.set(which, ref);
    history.replaceState(null, '', u);
  }

  private swap(): void {
    const { a, b } = this;
    this.a = b;
    this.b = a;
    const u = new URL(location.href);
    const qa = u.searchParams.get('a');
    const qb = u.searchParams.get('b');
    u.searchParams.delete('a');
    u.searchParams.delete('b');
    if (qb) u.searchParams.set('a', qb);
    if (qa) u.searchParams.set('b', qa);
    history.replaceState(null, '', u);
  }

  private mismatchNote(a: BenchReport, b: BenchReport) {
    const notes = [];
    if (adapterLineOf(a) !== adapterLineOf(b)) {
      notes.push(html`<p class="note warn" role="note" data-testid="adapter-note">
        <b>Different adapters: this compares machines, not commits.</b> A ran on ${adapterLineOf(a)}; B ran on
        ${adapterLineOf(b)}. A ratio here says how the two machines differ on this code, not whether a change made it faster.
      </p>`);
    }
    if (a.adapter?.isSoftware !== b.adapter?.isSoftware && a.adapter && b.adapter) {
      notes.push(html`<p class="note warn" role="note">One report ran on a software adapter (SwiftShader, on the CPU): its numbers say nothing about a GPU.</p>`);
    }
    if ((a.runtime ?? '') !== (b.runtime ?? '') || (a.backend ?? '') !== (b.backend ?? '')) {
      notes.push(html`<p class="note" role="note">The runtimes differ (${a.runtime}/${a.backend} against ${b.runtime}/${b.backend}).</p>`);
    }
    if (a.config?.smoke !== b.config?.smoke) notes.push(html`<p class="note" role="note">One report is a smoke run (tiny shapes); few cases will pair.</p>`);
    return notes;
  }

  private summary(suites: SuitePairs[], numSlower: number, numFaster: number) {
    const all = suites.flatMap((s) => s.cases);
    const paired = all.filter((p) => p.ratio !== null);
    const g = geomeanRatio(all);
    const onlyA = all.filter((p) => p.status === 'only-a').length;
    const onlyB = all.filter((p) => p.status === 'only-b').length;
    const mixed = all.filter((p) => p.methodsDiffer).length;
    if (!paired.length) {
      return html`<p class="summary" data-testid="summary">No case is in both reports (${onlyA} only in A, ${onlyB} only in B), so there are no ratios.</p>`;
    }
    return html`<p class="summary" data-testid="summary">
      ${paired.length} cases in both: <b>${numSlower}</b> slower and <b>${numFaster}</b> faster in B by more than
      ${this.thresholdPct}%; geometric mean of B/A <b>${fmtRatio(g)}</b>.
      ${onlyA ? `${onlyA} only in A. ` : ''}${onlyB ? `${onlyB} only in B. ` : ''}
      ${mixed ? html`<b>${mixed === 1 ? '1 case was' : `${mixed} cases were`} timed differently in A and B</b> (see the timing column).` : ''}
    </p>`;
  }

  private range(r: BenchCaseResult | null) {
    return r && r.min_ms !== undefined && r.max_ms !== undefined ? `${fmtTime(r.min_ms)} – ${fmtTime(r.max_ms)}` : '';
  }

  /** Cases whose numbers come from the simulated backend (a cost model) say so beside their name. */
  private caseName(p: CasePair) {
    const sim = p.a?.params?.['simulated'] === true || p.b?.params?.['simulated'] === true;
    return html`${p.name}${sim ? html` <span class="sim" title="the simulated backend's cost model: modelled, not measured">simulated</span>` : nothing}`;
  }

  private methodCell(p: CasePair) {
    const ma = p.a?.method ?? '';
    const mb = p.b?.method ?? '';
    if (!p.a || !p.b || ma === mb) return ma || mb || '—';
    return html`<span class="differs" title="A and B timed this case differently">${ma} / ${mb}</span>`;
  }

  private statusCell(p: CasePair) {
    const text = { slower: 'B slower', faster: 'B faster', same: '', 'only-a': 'only in A', 'only-b': 'only in B' }[p.status];
    return html`<td class="status ${p.status}">${text}</td>`;
  }

  private table(s: SuitePairs, hasB: boolean) {
    const caption = `${s.suite}: ${hasB ? 'median time per case in A and B, and B/A' : 'median time per case'}`;
    if (!hasB) {
      return html`<table data-testid="table-${s.suite}">
        <caption class="visually-hidden">${caption}</caption>
        <thead><tr><th scope="col">case</th><th scope="col" class="method">timing</th><th scope="col">median</th><th scope="col">min – max</th><th scope="col">reps</th><th scope="col">GFLOP/s</th><th scope="col">GB/s</th></tr></thead>
        <tbody>
          ${s.cases.map(
            (p) => html`<tr>
              <th scope="row">${this.caseName(p)}</th>
              <td class="method">${this.methodCell(p)}</td>
              <td>${fmtTime(p.a!.median_ms)}</td>
              <td>${this.range(p.a)}</td>
              <td>${p.a!.samples?.length ?? ''}</td>
              <td>${fmtRate(p.a!.gflops)}</td>
              <td>${fmtRate(p.a!.gbps)}</td>
            </tr>`,
          )}
        </tbody>
      </table>`;
    }
    return html`<table data-testid="table-${s.suite}">
      <caption class="visually-hidden">${caption}</caption>
      <thead>
        <tr>
          <th scope="col">case</th><th scope="col" class="method">timing</th>
          <th scope="col" class="a">A median</th><th scope="col" class="a">A min – max</th>
          <th scope="col" class="b">B median</th><th scope="col" class="b">B min – max</th>
          <th scope="col">B/A</th><th scope="col"><span class="visually-hidden">verdict</span></th>
        </tr>
      </thead>
      <tbody>
        ${s.cases.map(
          (p) => html`<tr data-case=${p.name}>
            <th scope="row">${this.caseName(p)}</th>
            <td class="method">${this.methodCell(p)}</td>
            <td>${p.a ? fmtTime(p.a.median_ms) : '—'}</td>
            <td>${this.range(p.a)}</td>
            <td>${p.b ? fmtTime(p.b.median_ms) : '—'}</td>
            <td>${this.range(p.b)}</td>
            <td class="ratio" data-testid="ratio">${fmtRatio(p.ratio)}</td>
            ${this.statusCell(p)}
          </tr>`,
        )}
      </tbody>
    </table>`;
  }

  /** Every case's `params` (shapes, settings, and what suites measured besides time, e.g. TTFT), folded. */
  private params(s: SuitePairs) {
    const show = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)) : String(v));
    const line = (r: BenchCaseResult | null) =>
      r?.params ? Object.entries(r.params).map(([k, v]) => `${k} ${show(v)}`).join(' · ') : '';
    if (!s.cases.some((p) => line(p.a) || line(p.b))) return nothing;
    return html`<details class="params">
      <summary>parameters of each case</summary>
      <dl>
        ${s.cases.map((p) => {
          const la = line(p.a);
          const lb = line(p.b);
          return html`<dt>${p.name}</dt>
            ${p.a && p.b && la !== lb ? html`<dd><b class="a">A</b> ${la}</dd><dd><b class="b">B</b> ${lb}</dd>` : html`<dd>${la || lb || '—'}</dd>`}`;
        })}
      </dl>
    </details>`;
  }

  override render() {
    const a = this.a.report;
    const b = this.b.report;
    const base = a ?? b;
    const other = a ? b : null;
    const pairing = base ? pairReports(base, other, this.thresholdPct / 100) : null;
    const hasB = !!(a && b);
    const labelA = a ? 'A' : 'B';
    return html`
      <header>
        <h1>Benchmark results</h1>
        <p>
          Reports written by <code>npm run bench</code> (schema 1). Load one to see it, or two to compare: A is the
          reference, B is compared with it (B/A above 1 means B took longer). See docs/benchmarks.md.
        </p>
      </header>
      <div class="pickers">
        ${(['a', 'b'] as const).map((w) => {
          const s = this[w];
          return html`<report-picker
            which=${w}
            heading=${w === 'a' ? 'reference' : 'compared'}
            .report=${s.report}
            label=${s.label}
            error=${s.error}
            ?loading=${s.loading}
            .committed=${committedResults}
            @pick-file=${(e: CustomEvent<PickFileDetail>) => void this.loadFile(e.detail.which, e.detail.file)}
            @pick-url=${(e: CustomEvent<PickUrlDetail>) => void this.loadUrl(e.detail.which, e.detail.ref)}
          ></report-picker>`;
        })}
      </div>
      <div class="tools">
        <button type="button" @click=${() => this.swap()} ?disabled=${!a && !b}>swap A and B</button>
        <label>
          threshold
          <input
            type="number"
            min="0"
            step="1"
            .value=${String(this.thresholdPct)}
            @change=${(e: Event) => {
              const v = Number((e.target as HTMLInputElement).value);
              if (Number.isFinite(v) && v >= 0) this.thresholdPct = v;
            }}
          />
          %
        </label>
      </div>
      ${hasB ? this.mismatchNote(a!, b!) : nothing}
      ${pairing && hasB ? this.summary(pairing.suites, pairing.numSlower, pairing.numFaster) : nothing}
      ${pairing
        ? pairing.suites.map(
            (s) => html`<section class="suite" aria-labelledby="suite-${s.suite}" data-testid="suite-${s.suite}">
              <h2 id="suite-${s.suite}">
                ${s.suite} <span class="count">${s.cases.length} ${s.cases.length === 1 ? 'case' : 'cases'}${hasB && geomeanRatio(s.cases) !== null ? html` · geometric mean of B/A <b data-testid="geomean-${s.suite}">${fmtRatio(geomeanRatio(s.cases))}</b>` : nothing}</span>
              </h2>
              <results-chart .suite=${s.suite} .pairs=${s.cases} ?has-b=${hasB} ?solo-b=${!a && !!b} label-a=${labelA} label-b="B"></results-chart>
              <div class="scroll">${this.table(s, hasB)}</div>
              ${this.params(s)}
            </section>`,
          )
        : html`<p class="empty">Nothing loaded yet.${committedResults.length ? ` ${committedResults.length} committed results are in the lists above.` : ''}</p>`}
    `;
  }
}

customElements.define('bench-results', BenchResults);

declare global {
  interface HTMLElementTagNameMap {
    'bench-results': BenchResults;
  }
}
