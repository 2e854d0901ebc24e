/**
 * Send your own request into the running load. A simulated model takes no text, so it sends N
 * synthetic prompt tokens; a real model takes a text prompt (its reply streams into the requests list),
 * or N synthetic tokens when the prompt is left empty.
 *
 * @fires prompt-submit - {tenant: string, numTokens: number, maxTokens: number, prompt: string}
 */
import { LitElement, css, html } from 'lit';
import { controlStyles } from '../controls/controls.styles';

export class PromptBox extends LitElement {
  static override styles = [
    controlStyles,
    css`
      form {
        display: grid;
        grid-template-columns: 1fr 1fr 1fr auto;
        gap: 8px;
        align-items: end;
      }
      textarea {
        font: inherit;
        font-size: 13px;
        padding: 5px 7px;
        border: 1px solid #c9ced8;
        border-radius: 5px;
        resize: vertical;
      }
      button.send {
        background: #0072b2;
        border-color: #0072b2;
        color: #fff;
        font-weight: 600;
        padding: 5px 14px;
      }
    `,
  ];
  static override properties = {
    tenants: { attribute: false },
    disabled: { type: Boolean },
    textMode: { type: Boolean, attribute: 'text-mode' },
    prompt: { state: true },
    lastSent: { attribute: false },
    numTokens: { state: true },
    maxTokens: { state: true },
    tenant: { state: true },
    error: { state: true },
  };

  declare tenants: string[];
  declare disabled: boolean;
  declare textMode: boolean;
  declare prompt: string;
  declare lastSent: string | null;
  declare numTokens: number;
  declare maxTokens: number;
  declare tenant: string;
  declare error: string;

  constructor() {
    super();
    this.tenants = [];
    this.disabled = false;
    this.textMode = false;
    this.prompt = '';
    this.lastSent = null;
    this.numTokens = 32;
    this.maxTokens = 64;
    this.tenant = '';
    this.error = '';
  }

  private submit(e: Event): void {
    e.preventDefault();
    const ok = (v: number) => Number.isInteger(v) && v >= 1 && v <= 65_536;
    if (!ok(this.numTokens)) return void (this.error = 'Prompt tokens must be a whole number from 1 to 65,536.');
    if (!ok(this.maxTokens)) return void (this.error = 'Max tokens must be a whole number from 1 to 65,536.');
    this.error = '';
    const tenant = this.tenants.includes(this.tenant) ? this.tenant : this.tenants[0]!;
    this.dispatchEvent(new CustomEvent('prompt-submit', { detail: { tenant, numTokens: this.numTokens, maxTokens: this.maxTokens, prompt: this.textMode ? this.prompt : '' }, bubbles: true, composed: true }));
  }

  override render() {
    return html`${this.textMode
        ? html`<label class="field" style="margin-bottom:8px"
            ><span class="lbl">Prompt <small>(text; leave empty to send N synthetic tokens)</small></span>
            <textarea rows="2" data-testid="prompt-text" .value=${this.prompt} @input=${(e: Event) => (this.prompt = (e.target as HTMLTextAreaElement).value)}></textarea
          ></label>`
        : ''}<form @submit=${this.submit}>
        <label class="field"
          ><span class="lbl">Prompt tokens <small>(synthetic)</small></span
          ><input type="number" min="1" .value=${String(this.numTokens)} @input=${(e: Event) => (this.numTokens = Number((e.target as HTMLInputElement).value))}
        /></label>
        <label class="field"
          ><span class="lbl">Max tokens</span><input type="number" min="1" .value=${String(this.maxTokens)} @input=${(e: Event) => (this.maxTokens = Number((e.target as HTMLInputElement).value))}
        /></label>
        <label class="field"
          ><span class="lbl">Tenant</span>
          <select @change=${(e: Event) => (this.tenant = (e.target as HTMLSelectElement).value)}>
            ${this.tenants.map((t) => html`<option ?selected=${t === this.tenant}>${t}</option>`)}
          </select></label
        >
        <button class="send" type="submit" ?disabled=${this.disabled} data-testid="prompt-send">Send</button>
      </form>
      ${this.error ? html`<p class="err" role="alert">${this.error}</p>` : ''}
      <p class="note">
        ${this.lastSent ? `Sent ${this.lastSent}; it is in the requests list.` : this.textMode ? 'Your request joins the generated load; its reply streams into the requests list.' : 'The simulated model takes no text: a request of N synthetic tokens joins the load.'}
      </p>`;
  }
}

customElements.define('prompt-box', PromptBox);

declare global {
  interface HTMLElementTagNameMap {
    'prompt-box': PromptBox;
  }
}
