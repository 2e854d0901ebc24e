import { css } from 'lit';

/** Shared look of the control panels' fields. */
export const controlStyles = css`
  :host {
    display: block;
    font-size: 13px;
  }
  fieldset {
    border: 0;
    margin: 0 0 4px;
    padding: 0;
    min-width: 0;
  }
  legend {
    font-weight: 650;
    font-size: 12px;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    color: var(--muted, #5b6475);
    padding: 0;
    margin: 0 0 6px;
  }
  .grid {
    display: grid;
    grid-template-columns: 1fr 1fr;
    gap: 8px 10px;
  }
  .field {
    display: flex;
    flex-direction: column;
    gap: 3px;
    min-width: 0;
  }
  .field.wide,
  .wide {
    grid-column: 1 / -1;
  }
  .url-model {
    display: flex;
    flex-direction: column;
    gap: 6px;
  }
  .note code {
    font-size: 11px;
    overflow-wrap: anywhere;
  }
  .lbl {
    font-size: 12px;
    color: var(--text, #1d2330);
  }
  .lbl small {
    color: var(--muted, #5b6475);
    font-size: 11px;
  }
  input[type='number'],
  input[type='text'],
  select {
    font: inherit;
    font-size: 13px;
    padding: 4px 6px;
    border: 1px solid #c9ced8;
    border-radius: 5px;
    background: #fff;
    color: var(--text, #1d2330);
    min-width: 0;
    width: 100%;
    box-sizing: border-box;
  }
  input:focus-visible,
  select:focus-visible,
  button:focus-visible {
    outline: 2px solid var(--accent, #0b6bcb);
    outline-offset: 1px;
  }
  .field.bad input {
    border-color: #d55e00;
    background: #fff7f2;
  }
  .err {
    font-size: 11.5px;
    color: #b03d00;
    line-height: 1.3;
  }
  .err::before {
    content: '⚠ ';
  }
  .check {
    display: flex;
    align-items: center;
    gap: 6px;
    font-size: 12.5px;
    cursor: pointer;
  }
  .note {
    font-size: 12px;
    color: var(--muted, #5b6475);
    margin: 6px 0 0;
    line-height: 1.4;
  }
  button {
    font: inherit;
    font-size: 12.5px;
    padding: 4px 10px;
    border-radius: 5px;
    border: 1px solid #c9ced8;
    background: #fff;
    color: var(--text, #1d2330);
    cursor: pointer;
  }
  button:hover {
    background: #f3f5f8;
  }
  .sim {
    display: inline-block;
    font-size: 10.5px;
    font-weight: 700;
    letter-spacing: 0.04em;
    text-transform: uppercase;
    color: #6b4a00;
    background: #fdf3dc;
    border: 1px solid #e69f00;
    border-radius: 4px;
    padding: 0 5px;
    vertical-align: 1px;
  }
`;
