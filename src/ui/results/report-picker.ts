/**
 * One side of the comparison (A, the reference, or B): pick a report by file (button or drag and
 * drop), by a committed result, or by URL; then a card with where its numbers came from (adapter,
 * runtime and browser, commit, date, machine, settings). It shows what it is given and loads nothing
 * itself: the page reads the file and hands back `report` or `error`.
 *
 * @event pick-file - detail `{ which, file: File }`: a file was chosen or dropped
 * @event pick-url - detail `{ which, ref: string }`: a committed result name or a URL was chosen
 */
import { LitElement, html, nothing } from 'lit';
import { adapterLineOf, runtimeLineOf, type BenchReport } from './report';
import type { CommittedResult } from './committed';
import { reportPickerStyles } from './report-picker.styles';

export interface PickFileDetail {
  which: 'a' | 'b';
  file: File;
}
export interface PickUrlDetail {
  which: 'a' | 'b';
  ref: string;
}

/** What the report's `timing_method` (the device's offer, not each case's choice) means. */
const DEVICE_TIMING: Record<string, string> = {
  'gpu-timestamp': 'GPU timestamps available',
  'wall-clock': 'no GPU timestamps (wall clock)',
  cpu: 'CPU suites only',
};

export class ReportPicker extends LitElement {
  static override styles = reportPickerStyles;
  static override properties = {
    which: { type: String },
    heading: { type: String },
    report: { attribute: false },
    label: { type: String },
    error: { type: String },
    loading: { type: Boolean },
    committed: { attribute: false },
    dragging: { state: true },
  };

  declare which: 'a' | 'b';
  declare heading: string;
  declare report: BenchReport | null;
  /** File name or URL of the loaded report. */
  declare label: string;
  declare error: string;
  declare loading: boolean;
  declare committed: CommittedResult[];
  declare dragging: boolean;

  constructor() {
    super();
    this.which = 'a';
    this.heading = '';
    this.report = null;
    this.label = '';
    this.error = '';
    this.loading = false;
    this.committed = [];
    this.dragging = false;
  }

  private emit(type: 'pick-file', detail: PickFileDetail): void;
  private emit(type: 'pick-url', detail: PickUrlDetail): void;
  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  private onFiles(files: FileList | null | undefined): void {
    const file = files?.[0];
    if (file) this.emit('pick-file', { which: this.which, file });
  }

  private onDrop(e: DragEvent): void {
    e.preventDefault();
    e.stopPropagation();
    this.dragging = false;
    this.onFiles(e.dataTransfer?.files);
  }

  private onUrl(e: SubmitEvent): void {
    e.preventDefault();
    const input = (e.target as HTMLFormElement).elements.namedItem('url') as HTMLInputElement;
    const ref = input.value.trim();
    if (ref) this.emit('pick-url', { which: this.which, ref });
  }

  private card(r: BenchReport) {
    const c = r.config ?? {};
    const software = r.adapter?.isSoftware;
    const commit = r.git_commit ?? 'unknown';
    const dirty = commit.endsWith('-dirty');
    return html`
      <dl class="card" data-testid="report-card-${this.which}">
        <dt>adapter</dt>
        <dd class="adapter">
          <b>${adapterLineOf(r)}</b>
          ${software === true ? html`<span class="tag sw">software (CPU): not GPU numbers</span>` : software === false ? html`<span class="tag hw">hardware</span>` : nothing}
        </dd>
        <dt>runtime</dt>
        <dd>${runtimeLineOf(r)}</dd>
        <dt>commit</dt>
        <dd><code title=${commit}>${commit.slice(0, 12)}</code>${dirty ? ' (with uncommitted changes)' : ''}</dd>
        <dt>date</dt>
        <dd>${r.date ? r.date.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '—'}</dd>
        <dt>machine</dt>
        <dd>${[r.os, r.cpu].filter(Boolean).join('; ') || '—'}</dd>
        <dt>settings</dt>
        <dd>
          ${r.results.length} cases; ${c.repetitions ?? '?'} timed repetitions after ${c.warmup ?? '?'} warm-up${c.smoke ? '; smoke (tiny shapes)' : ''};
          ${DEVICE_TIMING[r.timing_method ?? ''] ?? `timing ${r.timing_method ?? 'not recorded'}`} (each case's method is in the tables)
        </dd>
      </dl>
    `;
  }

  override render() {
    const id = `file-${this.which}`;
    return html`
      <section aria-labelledby="h-${this.which}">
        <h2 id="h-${this.which}"><span class="badge ${this.which}">${this.which.toUpperCase()}</span> ${this.heading}</h2>
        <div
          class="drop ${this.dragging ? 'over' : ''}"
          data-testid="drop-${this.which}"
          @dragover=${(e: DragEvent) => {
            e.preventDefault();
            this.dragging = true;
          }}
          @dragleave=${() => (this.dragging = false)}
          @drop=${(e: DragEvent) => this.onDrop(e)}
        >
          <span>Drop a report (.json) here, or</span>
          <label class="button" for=${id}>choose a file…</label>
          <input id=${id} class="visually-hidden" type="file" accept=".json,application/json" data-testid="file-${this.which}" @change=${(e: Event) => this.onFiles((e.target as HTMLInputElement).files)} />
        </div>
        <div class="row">
          <label>
            committed result
            <select
              data-testid="committed-${this.which}"
              @change=${(e: Event) => {
                const v = (e.target as HTMLSelectElement).value;
                if (v) this.emit('pick-url', { which: this.which, ref: v });
              }}
            >
              <option value="">—</option>
              ${this.committed.map((c) => html`<option value=${c.name} ?selected=${this.label === `bench/results/${c.name}`}>${c.name}</option>`)}
            </select>
          </label>
          <form @submit=${(e: SubmitEvent) => this.onUrl(e)}>
            <label>URL <input name="url" type="text" inputmode="url" placeholder="https://…/report.json" /></label>
            <button type="submit">load</button>
          </form>
        </div>
        ${this.loading ? html`<p class="status">loading…</p>` : nothing}
        ${this.error ? html`<p class="error" role="alert" data-testid="error-${this.which}">${this.error}</p>` : nothing}
        ${this.report
          ? html`<p class="file">${this.label}</p>${this.card(this.report)}`
          : this.loading || this.error
            ? nothing
            : html`<p class="status">No report loaded.</p>`}
      </section>
    `;
  }
}

customElements.define('report-picker', ReportPicker);

declare global {
  interface HTMLElementTagNameMap {
    'report-picker': ReportPicker;
  }
}
