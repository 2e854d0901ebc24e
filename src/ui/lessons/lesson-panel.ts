/**
 * The lesson bar: pick a lesson; for the chosen one, its explanation, what to watch, a button per
 * variant (each reruns the same seeded workload with that setting) and the live numbers as text. Once
 * two variants have run on this page, their latest numbers stand side by side in a table.
 *
 * @fires lesson-select - {id: string | null}
 * @fires lesson-variant - {index: number}
 */
import { LitElement, css, html, nothing } from 'lit';
import type { Lesson, LiveNumber } from './lessons';

/** A variant's latest numbers on this page (null: not run yet) and how long its run had gone, s. */
export interface VariantRun {
  label: string;
  numbers: LiveNumber[] | null;
  runS: number;
}

export class LessonPanel extends LitElement {
  static override styles = css`
    :host {
      display: block;
      font-size: 13px;
    }
    .bar {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 8px 12px;
    }
    h2 {
      font-size: 15px;
      margin: 0;
      font-weight: 650;
    }
    select,
    button {
      font: inherit;
      font-size: 12.5px;
      padding: 4px 10px;
      border-radius: 6px;
      border: 1px solid #c9ced8;
      background: #fff;
      color: #1d2330;
      cursor: pointer;
    }
    button[aria-pressed='true'] {
      background: #10151f;
      border-color: #10151f;
      color: #fff;
      font-weight: 600;
    }
    select:focus-visible,
    button:focus-visible {
      outline: 2px solid #0b6bcb;
      outline-offset: 1px;
    }
    .body {
      display: grid;
      grid-template-columns: minmax(0, 3fr) minmax(0, 2fr);
      gap: 8px 24px;
      margin-top: 10px;
    }
    p {
      margin: 0 0 6px;
      line-height: 1.5;
      color: #1d2330;
    }
    .watch {
      color: #5b6475;
    }
    .numbers {
      display: flex;
      flex-wrap: wrap;
      gap: 8px 22px;
      align-content: start;
    }
    .numbers div {
      display: flex;
      flex-direction: column;
    }
    .numbers span {
      font-size: 11.5px;
      color: #5b6475;
    }
    .numbers b {
      font-size: 20px;
      font-weight: 650;
      font-variant-numeric: tabular-nums;
    }
    .variants {
      display: flex;
      gap: 6px;
      flex-wrap: wrap;
      align-items: center;
    }
    label {
      color: #5b6475;
      font-size: 12px;
      display: flex;
      gap: 6px;
      align-items: center;
    }
    .compare {
      margin-top: 8px;
      width: 100%;
      border-collapse: collapse;
      font-size: 12.5px;
      font-variant-numeric: tabular-nums;
    }
    .compare th,
    .compare td {
      padding: 3px 14px 3px 0;
      text-align: right;
      border-bottom: 1px solid #e6e9ee;
    }
    .compare th:first-child,
    .compare td:first-child {
      width: 30%;
      text-align: left;
      color: #5b6475;
      font-weight: 400;
    }
    .compare th {
      font-weight: 650;
    }
    .compare .cur {
      background: #f1f6fc;
    }
    .sim {
      font-size: 10.5px;
      font-weight: 700;
      letter-spacing: 0.04em;
      text-transform: uppercase;
      color: #6b4a00;
      background: #fdf3dc;
      border: 1px solid #e69f00;
      border-radius: 4px;
      padding: 0 5px;
    }
    @media (max-width: 900px) {
      .body {
        grid-template-columns: minmax(0, 1fr);
      }
    }
  `;
  static override properties = {
    lessons: { attribute: false },
    lesson: { attribute: false },
    variant: { type: Number },
    numbers: { attribute: false },
    runs: { attribute: false },
    simulated: { type: Boolean },
  };

  declare lessons: Lesson[];
  declare lesson: Lesson | null;
  declare variant: number;
  declare numbers: LiveNumber[];
  declare runs: VariantRun[];
  declare simulated: boolean;

  constructor() {
    super();
    this.lessons = [];
    this.lesson = null;
    this.variant = 0;
    this.numbers = [];
    this.runs = [];
    this.simulated = true;
  }

  /** Variants side by side, once at least two have numbers (the current one updates live). */
  private renderCompare() {
    const ran = this.runs.map((r, i) => ({ ...r, i })).filter((r) => r.numbers);
    if (ran.length < 2) return nothing;
    const labels = ran[0]!.numbers!.map((n) => n.label);
    return html`<table class="compare" data-testid="lesson-compare">
      <thead>
        <tr>
          <th>side by side</th>
          ${ran.map((r) => html`<th class=${r.i === this.variant ? 'cur' : ''}>${r.label} <small>(${r.runS.toFixed(r.runS < 10 ? 1 : 0)} s)</small></th>`)}
        </tr>
      </thead>
      <tbody>
        ${labels.map((label, k) => html`<tr><td>${label}</td>${ran.map((r) => html`<td class=${r.i === this.variant ? 'cur' : ''}>${r.numbers![k]?.value ?? '—'}</td>`)}</tr>`)}
      </tbody>
    </table>`;
  }

  private fire(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  override render() {
    const l = this.lesson;
    return html`
      <div class="bar">
        ${l ? html`<h2 data-testid="lesson-title">${l.title}</h2>` : html`<h2>Lessons</h2>`}
        <label
          >${l ? 'another lesson' : 'guided scenarios'}
          <select data-testid="lesson-select" @change=${(e: Event) => this.fire('lesson-select', { id: (e.target as HTMLSelectElement).value || null })}>
            <option value="" ?selected=${!l}>${l ? 'free play (leave the lesson)' : 'choose a lesson…'}</option>
            ${this.lessons.map((x, i) => html`<option value=${x.id} ?selected=${x.id === l?.id}>${i + 1}. ${x.title}</option>`)}
          </select></label
        >
        ${l
          ? html`<div class="variants" role="group" aria-label="compare">
              <span class="watch">run with:</span>
              ${l.variants.map(
                (v, i) => html`<button aria-pressed=${i === this.variant ? 'true' : 'false'} data-variant=${i} @click=${() => this.fire('lesson-variant', { index: i })}>${v.label}</button>`,
              )}
            </div>`
          : nothing}
      </div>
      ${l
        ? html`<div class="body">
            <div>
              <p>${l.explain}</p>
              <p class="watch"><b>Watch:</b> ${l.watch}</p>
            </div>
            <div>
              <div class="numbers" data-testid="lesson-numbers" aria-live="polite">
                ${this.numbers.map((n) => html`<div><span>${n.label}</span><b>${n.value}</b></div>`)}
              </div>
              ${this.simulated ? html`<p class="watch" style="margin-top:6px"><span class="sim">simulated</span> Llama-3-8B on a simulated H100: step times from a cost model.</p>` : nothing}
            </div>
          </div>
          ${this.renderCompare()}`
        : nothing}
    `;
  }
}

customElements.define('lesson-panel', LessonPanel);

declare global {
  interface HTMLElementTagNameMap {
    'lesson-panel': LessonPanel;
  }
}
