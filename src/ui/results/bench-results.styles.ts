import { css } from 'lit';

export const benchResultsStyles = css`
  :host {
    display: block;
    max-width: 1240px;
    margin: 0 auto;
    padding: 16px 20px 40px;
    font: 13px/1.4 system-ui, sans-serif;
    color: #1d2330;
  }
  h1 {
    font-size: 20px;
    margin: 0 0 4px;
  }
  header p {
    margin: 0 0 14px;
    color: #5b6475;
  }
  .pickers {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(340px, 1fr));
    gap: 16px;
  }
  .pickers > * {
    background: #fff;
    border: 1px solid #dfe3ea;
    border-radius: 8px;
    padding: 12px 14px;
  }
  .tools {
    display: flex;
    gap: 16px;
    align-items: center;
    margin: 12px 0;
  }
  .tools input {
    width: 4.5em;
    font: inherit;
  }
  button {
    font: inherit;
    padding: 3px 10px;
    border: 1px solid #b7bfcc;
    border-radius: 4px;
    background: #fff;
    cursor: pointer;
  }
  button:focus-visible,
  input:focus-visible {
    outline: 2px solid #0072b2;
    outline-offset: 1px;
  }
  .note {
    margin: 8px 0;
    padding: 8px 12px;
    border-left: 4px solid #56b4e9;
    background: #eef6fb;
    border-radius: 0 4px 4px 0;
  }
  .note.warn {
    border-left-color: #e69f00;
    background: #fff6e0;
  }
  .summary {
    margin: 10px 0;
    font-size: 13.5px;
  }
  .suite {
    background: #fff;
    border: 1px solid #dfe3ea;
    border-radius: 8px;
    padding: 12px 14px;
    margin: 16px 0;
  }
  .suite h2 {
    font-size: 15px;
    margin: 0 0 8px;
  }
  .count {
    color: #5b6475;
    font-weight: 400;
    font-size: 12.5px;
  }
  .scroll {
    overflow-x: auto;
    margin-top: 8px;
  }
  table {
    border-collapse: collapse;
    width: 100%;
    font-variant-numeric: tabular-nums;
  }
  th,
  td {
    padding: 4px 8px;
    border-bottom: 1px solid #eef0f3;
    text-align: right;
    white-space: nowrap;
  }
  thead th {
    font-size: 11.5px;
    color: #5b6475;
    font-weight: 600;
    border-bottom: 1px solid #dfe3ea;
  }
  th:first-child {
    text-align: left;
    font-weight: 500;
    white-space: normal;
    min-width: 16em;
  }
  thead th:first-child {
    font-weight: 600;
  }
  thead th.a {
    color: #0072b2;
  }
  thead th.b {
    color: #b34a00;
  }
  td.method,
  thead th.method {
    text-align: left;
    color: #5b6475;
  }
  .differs {
    color: #8a3b00;
    font-weight: 600;
  }
  td.ratio {
    font-weight: 600;
  }
  td.status {
    text-align: left;
  }
  td.status.slower {
    color: #a33f00;
    font-weight: 600;
  }
  td.status.faster {
    color: #005f86;
    font-weight: 600;
  }
  td.status.only-a,
  td.status.only-b {
    color: #5b6475;
  }
  .sim {
    display: inline-block;
    padding: 0 5px;
    border-radius: 3px;
    background: #efe6f3;
    color: #6b2d5c;
    font-size: 11px;
  }
  .params {
    margin-top: 8px;
    color: #3b4352;
  }
  .params summary {
    cursor: pointer;
    color: #5b6475;
  }
  .params dl {
    margin: 6px 0 0;
    font-size: 12px;
    font-variant-numeric: tabular-nums;
  }
  .params dt {
    font-weight: 600;
    margin-top: 4px;
  }
  .params dd {
    margin: 0 0 0 12px;
    overflow-wrap: anywhere;
  }
  .params b.a {
    color: #0072b2;
  }
  .params b.b {
    color: #b34a00;
  }
  .empty {
    color: #5b6475;
    margin: 24px 0;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
