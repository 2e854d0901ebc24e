import { css } from 'lit';

export const playgroundStyles = css`
  :host {
    display: block;
    font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    color: #1d2330;
    background: #f6f7f9;
    min-height: 100%;
    --accent: #0b6bcb;
    --ok: #1a7f37;
    --bad: #b42318;
    --muted: #5b6475;
    --card: #ffffff;
    --line: #dfe3ea;
  }
  header {
    display: flex;
    align-items: baseline;
    gap: 16px;
    padding: 18px 28px;
    background: #10151f;
    color: #f3f5f8;
  }
  header h1 {
    font-size: 20px;
    font-weight: 650;
    margin: 0;
  }
  header p {
    margin: 0;
    color: #aab3c2;
    font-size: 14px;
  }
  main {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(340px, 1fr));
    gap: 18px;
    padding: 22px 28px;
    max-width: 1280px;
    align-items: start;
  }
  section {
    background: var(--card);
    border: 1px solid var(--line);
    border-radius: 10px;
    padding: 16px 18px;
  }
  h2 {
    font-size: 15px;
    margin: 0 0 12px;
    font-weight: 650;
  }
  dl {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 6px 16px;
    margin: 0;
    font-size: 14px;
  }
  dt {
    color: var(--muted);
  }
  dd {
    margin: 0;
    font-variant-numeric: tabular-nums;
    overflow-wrap: anywhere;
  }
  .chips {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
  }
  .chip {
    font-size: 12px;
    padding: 2px 8px;
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
  .status {
    font-weight: 600;
  }
  .status.ok {
    color: var(--ok);
  }
  .status.bad {
    color: var(--bad);
  }
  .note {
    font-size: 13px;
    color: var(--muted);
    margin: 10px 0 0;
    line-height: 1.45;
  }
  .error {
    border-color: #f3c2bd;
    background: #fff6f5;
  }
  button {
    font: inherit;
    font-size: 14px;
    padding: 6px 14px;
    border-radius: 6px;
    border: 1px solid var(--accent);
    background: var(--accent);
    color: white;
    cursor: pointer;
    margin-top: 12px;
  }
  button:disabled {
    opacity: 0.6;
    cursor: progress;
  }
  code {
    font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
    font-size: 12.5px;
    background: #f1f3f6;
    padding: 1px 4px;
    border-radius: 4px;
  }
`;
