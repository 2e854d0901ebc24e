import { css } from 'lit';

export const playgroundStyles = css`
  :host {
    display: block;
    font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    color: #1d2330;
    background: #f4f5f7;
    min-height: 100%;
    --accent: #0b6bcb;
    --muted: #5b6475;
    --text: #1d2330;
    --card: #ffffff;
    --line: #dfe3ea;
  }
  header {
    display: flex;
    align-items: center;
    gap: 10px 18px;
    padding: 10px 20px;
    background: #10151f;
    color: #f3f5f8;
    flex-wrap: wrap;
  }
  header h1 {
    font-size: 17px;
    font-weight: 650;
    margin: 0;
    white-space: nowrap;
  }
  .model {
    font-size: 13px;
    color: #aab3c2;
    flex: 1;
    min-width: 200px;
  }
  .sim {
    display: inline-block;
    font-size: 10.5px;
    font-weight: 700;
    letter-spacing: 0.05em;
    text-transform: uppercase;
    color: #10151f;
    background: #f0e442;
    border-radius: 4px;
    padding: 1px 6px;
    margin-right: 6px;
    vertical-align: 1px;
  }
  .real {
    display: inline-block;
    font-size: 10.5px;
    font-weight: 700;
    letter-spacing: 0.05em;
    text-transform: uppercase;
    color: #10151f;
    background: #56b4e9;
    border-radius: 4px;
    padding: 1px 6px;
    margin-right: 6px;
    vertical-align: 1px;
  }
  .fallback {
    font-size: 12px;
    color: #f0e442;
  }
  header a.results {
    font-size: 12.5px;
    color: #cfe4f7;
  }
  .keys {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 16px;
    padding: 7px 20px;
    background: #fff;
    border-bottom: 1px solid var(--line);
    font-size: 12.5px;
    color: var(--muted);
    font-variant-numeric: tabular-nums;
  }
  .keys b {
    color: var(--text);
    font-size: 14px;
    font-weight: 650;
    margin-left: 4px;
  }
  .error {
    margin: 10px 20px 0;
    padding: 8px 12px;
    border: 1px solid #f0b79a;
    background: #fff4ee;
    color: #8a2a00;
    border-radius: 8px;
    font-size: 13px;
    display: flex;
    gap: 12px;
    align-items: start;
  }
  .error.notice {
    border-color: #9cc7e8;
    background: #eef6fc;
    color: #0a4f96;
    flex-direction: column;
  }
  .error button {
    margin-left: auto;
    font: inherit;
    font-size: 12px;
    border: 1px solid #d9a58a;
    background: #fff;
    border-radius: 5px;
    cursor: pointer;
  }
  .layout {
    display: grid;
    grid-template-columns: minmax(300px, 340px) minmax(0, 1fr);
    gap: 14px;
    padding: 14px 20px 24px;
    align-items: start;
  }
  :host([compact]) .layout {
    grid-template-columns: minmax(0, 1fr);
  }
  :host([compact]) aside {
    display: none;
  }
  aside {
    display: flex;
    flex-direction: column;
    gap: 12px;
    min-width: 0;
  }
  main {
    display: grid;
    grid-template-columns: minmax(0, 3fr) minmax(0, 2fr);
    gap: 14px;
    min-width: 0;
  }
  .card {
    background: var(--card);
    border: 1px solid var(--line);
    border-radius: 10px;
    padding: 12px 14px;
    min-width: 0;
  }
  .card.full {
    grid-column: 1 / -1;
  }
  .card h2 {
    font-size: 14px;
    margin: 0 0 10px;
    font-weight: 650;
    display: flex;
    align-items: baseline;
    gap: 8px;
  }
  .card h2 small {
    font-weight: 400;
    color: var(--muted);
    font-size: 12px;
  }
  .exports {
    margin-left: auto;
    font-weight: 400;
    font-size: 12px;
    color: var(--muted);
    display: flex;
    gap: 4px;
    align-items: center;
  }
  .exports button {
    font: inherit;
    font-size: 11.5px;
    padding: 1px 8px;
    border-radius: 5px;
    border: 1px solid #c9ced8;
    background: #fff;
    cursor: pointer;
  }
  .exports button:hover {
    background: #f3f5f8;
  }
  .apply {
    display: flex;
    align-items: center;
    gap: 10px;
    margin-top: 10px;
    position: sticky;
    bottom: 0;
    background: #fff;
    padding: 8px 0 2px;
    border-top: 1px solid var(--line);
  }
  .apply button {
    white-space: nowrap;
    font: inherit;
    font-size: 13px;
    font-weight: 600;
    padding: 6px 14px;
    border-radius: 6px;
    border: 1px solid #0072b2;
    background: #0072b2;
    color: #fff;
    cursor: pointer;
  }
  .apply button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  .apply span {
    font-size: 12px;
    color: var(--muted);
  }
  .apply span.bad {
    color: #b03d00;
  }
  .sep {
    border: 0;
    border-top: 1px solid var(--line);
    margin: 10px 0;
  }
  @media (max-width: 1100px) {
    main {
      grid-template-columns: minmax(0, 1fr);
    }
  }
  @media (max-width: 800px) {
    .layout {
      grid-template-columns: minmax(0, 1fr);
    }
  }
`;
