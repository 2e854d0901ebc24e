/**
 * Run, pause, single step, speed and reset, plus "start workload". Buttons carry text labels; the
 * speed is a labelled select. All state comes from the host.
 *
 * @fires run-command - {command: 'start' | 'run' | 'pause' | 'step' | 'reset' | 'speed', speed?: number}
 */
import { LitElement, css, html } from 'lit';

export const SPEEDS: ReadonlyArray<[number, string]> = [
  [0.1, '0.1×'],
  [0.25, '0.25×'],
  [0.5, '0.5×'],
  [1, '1× (real time)'],
  [2, '2×'],
  [5, '5×'],
  [20, '20×'],
];

export class RunControls extends LitElement {
  static override styles = css`
    :host {
      display: flex;
      align-items: center;
      gap: 6px;
      flex-wrap: wrap;
    }
    button,
    select {
      font: inherit;
      font-size: 13px;
      padding: 5px 11px;
      border-radius: 6px;
      border: 1px solid #3a4354;
      background: #1b2230;
      color: #f3f5f8;
      cursor: pointer;
    }
    button:hover:not(:disabled) {
      background: #263044;
    }
    button.primary {
      background: #0072b2;
      border-color: #0072b2;
      font-weight: 600;
    }
    button:disabled {
      opacity: 0.45;
      cursor: default;
    }
    button:focus-visible,
    select:focus-visible {
      outline: 2px solid #56b4e9;
      outline-offset: 1px;
    }
    label {
      font-size: 12px;
      color: #aab3c2;
      display: flex;
      align-items: center;
      gap: 5px;
    }
  `;
  static override properties = {
    loop: { type: String },
    ready: { type: Boolean },
    started: { type: Boolean },
    speed: { type: Number },
  };

  declare loop: string;
  declare ready: boolean;
  /** True once the workload was started (the button then adds another copy of it). */
  declare started: boolean;
  declare speed: number;

  constructor() {
    super();
    this.loop = 'paused';
    this.ready = false;
    this.started = false;
    this.speed = 1;
  }

  private cmd(command: string, speed?: number): void {
    this.dispatchEvent(new CustomEvent('run-command', { detail: { command, ...(speed !== undefined ? { speed } : {}) }, bubbles: true, composed: true }));
  }

  override render() {
    const running = this.loop === 'running' || this.loop === 'idle';
    return html`
      <button class="primary" data-testid="start" ?disabled=${!this.ready} @click=${() => this.cmd('start')}>${this.started ? 'Add workload' : 'Start workload'}</button>
      ${running
        ? html`<button data-testid="pause" ?disabled=${!this.ready} @click=${() => this.cmd('pause')}>Pause</button>`
        : html`<button data-testid="run" ?disabled=${!this.ready} @click=${() => this.cmd('run')}>Run</button>`}
      <button data-testid="step" ?disabled=${!this.ready || running} @click=${() => this.cmd('step')} title="Run exactly one engine step (pause first)">Step</button>
      <label
        >speed
        <select data-testid="speed" @change=${(e: Event) => this.cmd('speed', Number((e.target as HTMLSelectElement).value))}>
          ${SPEEDS.map(([v, t]) => html`<option value=${v} ?selected=${v === this.speed}>${t}</option>`)}
        </select></label
      >
      <button data-testid="reset" ?disabled=${!this.ready} @click=${() => this.cmd('reset')} title="Rebuild the engine with the applied settings; clears every request">Reset</button>
    `;
  }
}

customElements.define('run-controls', RunControls);

declare global {
  interface HTMLElementTagNameMap {
    'run-controls': RunControls;
  }
}
