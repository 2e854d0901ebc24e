/**
 * The lesson bar: pick a lesson; for the chosen one, its explanation, what to watch, a button per
 * variant (each reruns the same seeded workload with that setting) and the live numbers as text.
 *
 * @fires lesson-select - {id: string | null}
 * @fires lesson-variant - {index: number}
 */
import { LitElement, css, html, nothing } from 'lit';
import type { Lesson, LiveNumber } from './lessons';

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
  };

  declare lessons: Lesson[];
  declare lesson: Lesson | null;
  declare variant: number;
  declare numbers: LiveNumber[];

  constructor() {
    super();
    this.lessons = [];
    this.lesson = null;
    this.variant = 0;
    this.numbers = [];
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
            <div class="numbers" data-testid="lesson-numbers" aria-live="polite">
              ${this.numbers.map((n) => html`<div><span>${n.label}</span><b>${n.value}</b></div>`)}
            </div>
          </div>`
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
