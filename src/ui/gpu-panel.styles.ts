import { css } from 'lit';

export const gpuPanelStyles = css`
  :host {
    display: block;
    font-size: 12.5px;
  }
  .line {
    display: flex;
    flex-wrap: wrap;
    align-items: baseline;
    gap: 4px 10px;
    margin: 0;
  }
  .line b {
    font-weight: 600;
  }
  details {
    margin-top: 6px;
  }
  summary {
    cursor: pointer;
    color: var(--accent, #0b6bcb);
    font-size: 12px;
  }
  dl {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 3px 12px;
    margin: 8px 0 0;
  }
  dt {
    color: var(--muted, #5b6475);
  }
  dd {
    margin: 0;
    font-variant-numeric: tabular-nums;
    overflow-wrap: anywhere;
  }
  .chips {
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
  }
  .chip {
    font-size: 11px;
    padding: 0 6px;
    border-radius: 999px;
    background: #e8f1fb;
    color: #0a4f96;
    border: 1px solid #c5dcf3;
  }
  .chip.off {
    background: #f1f2f4;
    color: #6b7280;
    border-color: #e1e3e8;
    text-decoration: line-through;
  }
  .ok {
    color: #00795a;
    font-weight: 600;
  }
  .bad {
    color: #b03d00;
    font-weight: 600;
  }
  .note {
    color: var(--muted, #5b6475);
    margin: 6px 0 0;
    line-height: 1.45;
  }
  button {
    font: inherit;
    font-size: 12px;
    padding: 2px 9px;
    border-radius: 5px;
    border: 1px solid #c9ced8;
    background: #fff;
    cursor: pointer;
    margin-top: 6px;
  }
  code {
    font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
    font-size: 11.5px;
    background: #f1f3f6;
    padding: 0 3px;
    border-radius: 3px;
  }
  .nowebgpu {
    border-left: 3px solid #d55e00;
    padding-left: 8px;
  }
`;
