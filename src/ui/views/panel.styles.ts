import { css } from 'lit';

/** Shared look of the small views' tables and notes (each view adds its own styles after these). */
export const panelStyles = css`
  :host {
    display: block;
    font-size: 13px;
  }
  table {
    border-collapse: collapse;
    width: 100%;
    font-variant-numeric: tabular-nums;
  }
  th {
    text-align: right;
    font-weight: 600;
    font-size: 11.5px;
    color: var(--muted, #5b6475);
    padding: 4px 6px;
    border-bottom: 1px solid var(--line, #dfe3ea);
    white-space: nowrap;
  }
  th:first-child,
  td:first-child {
    text-align: left;
  }
  td {
    text-align: right;
    padding: 4px 6px;
    border-bottom: 1px solid #eef0f3;
    white-space: nowrap;
  }
  .note {
    color: var(--muted, #5b6475);
    margin: 8px 0 0;
    line-height: 1.45;
    font-size: 12.5px;
  }
  .sw {
    display: inline-block;
    width: 10px;
    height: 10px;
    border-radius: 2px;
    margin-right: 6px;
    vertical-align: -1px;
  }
  .big {
    display: flex;
    flex-wrap: wrap;
    gap: 6px 22px;
    margin: 0 0 10px;
  }
  .big div {
    display: flex;
    flex-direction: column;
  }
  .big span {
    font-size: 11.5px;
    color: var(--muted, #5b6475);
  }
  .big b {
    font-size: 18px;
    font-weight: 650;
    font-variant-numeric: tabular-nums;
  }
`;
