import { css } from 'lit';

export const blockTableStyles = css`
  :host {
    display: block;
    font-size: 12.5px;
  }
  .head {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 14px;
    margin: 0 0 8px;
    color: var(--muted, #5b6475);
    font-variant-numeric: tabular-nums;
  }
  .head b {
    color: var(--text, #1d2330);
  }
  .rows {
    max-height: 340px;
    overflow: auto;
    border: 1px solid var(--line, #dfe3ea);
    border-radius: 6px;
  }
  table {
    border-collapse: collapse;
    width: 100%;
    font-variant-numeric: tabular-nums;
  }
  th {
    position: sticky;
    top: 0;
    background: #f1f3f6;
    text-align: left;
    font-weight: 600;
    padding: 4px 8px;
    font-size: 11.5px;
    color: var(--muted, #5b6475);
    z-index: 1;
  }
  td {
    padding: 3px 8px;
    border-top: 1px solid #eef0f3;
    vertical-align: middle;
  }
  td.num {
    text-align: right;
    white-space: nowrap;
    width: 1%;
  }
  tr.shared td {
    background: #fff4e0;
  }
  tr.cached td.page::after {
    content: ' ◆';
    color: #e69f00;
  }
  .slots {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(36px, 1fr));
    gap: 2px;
  }
  .slot {
    font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
    font-size: 9.5px;
    text-align: center;
    padding: 1px 0;
    border-radius: 2px;
    background: #e7f0f8;
    color: #1d2330;
    overflow: hidden;
    white-space: nowrap;
    text-overflow: clip;
  }
  .slots.text {
    display: flex;
    flex-wrap: wrap;
  }
  .slots.text .slot {
    min-width: 12px;
  }
  .slot.text {
    text-align: left;
    padding: 1px 2px;
    font-size: 10px;
  }
  .slot.pending {
    background: #f6f7f9;
    color: #9aa3b2;
    outline: 1px dashed #c9ced8;
  }
  .slot.empty {
    background: transparent;
    color: transparent;
    outline: 1px dotted #dfe3ea;
  }
  .slot.out {
    background: #dff3ec;
  }
  .note {
    color: var(--muted, #5b6475);
    margin: 8px 0 0;
    line-height: 1.45;
  }
  .legend {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 12px;
    margin: 8px 0 0;
    color: var(--muted, #5b6475);
  }
  .sw {
    display: inline-block;
    width: 11px;
    height: 11px;
    border-radius: 2px;
    vertical-align: -1px;
    margin-right: 4px;
  }
`;
