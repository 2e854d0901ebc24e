import { css } from 'lit';
import { panelStyles } from './panel.styles';

export const requestsStyles = [
  panelStyles,
  css`
    .filters {
      display: flex;
      gap: 6px;
      margin: 0 0 8px;
      flex-wrap: wrap;
      align-items: center;
    }
    .filters button {
      font: inherit;
      font-size: 12px;
      padding: 2px 10px;
      border-radius: 999px;
      border: 1px solid var(--line, #dfe3ea);
      background: #fff;
      color: var(--text, #1d2330);
      cursor: pointer;
    }
    .filters button[aria-pressed='true'] {
      background: #10151f;
      color: #fff;
      border-color: #10151f;
    }
    .scroll {
      max-height: 330px;
      overflow: auto;
      border: 1px solid var(--line, #dfe3ea);
      border-radius: 6px;
    }
    th {
      position: sticky;
      top: 0;
      background: #f1f3f6;
    }
    tr.req {
      cursor: pointer;
    }
    tr.req:hover td,
    tr.req:focus-visible td {
      background: #f3f7fc;
      outline: none;
    }
    tr.sel td {
      background: #fdeee3;
    }
    .badge {
      display: inline-block;
      min-width: 64px;
      text-align: center;
      font-size: 11px;
      font-weight: 600;
      padding: 1px 6px;
      border-radius: 4px;
      border: 1px solid;
    }
    .badge.running {
      color: #00563f;
      background: #e0f3ec;
      border-color: #009e73;
    }
    .badge.waiting {
      color: #6b4a00;
      background: #fdf3dc;
      border-color: #e69f00;
      border-style: dashed;
    }
    .badge.preempted {
      color: #7a2d5a;
      background: #f8e7f1;
      border-color: #cc79a7;
      border-style: dotted;
      border-width: 2px;
    }
    .badge.finished {
      color: #3b4252;
      background: #eef0f3;
      border-color: #9aa3b2;
    }
    .badge.rejected,
    .badge.cancelled {
      color: #8a2a00;
      background: #fbe9df;
      border-color: #d55e00;
    }
    td.stream {
      text-align: left;
      font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
      font-size: 11px;
      color: #3b4252;
      max-width: 150px;
      overflow: hidden;
      text-overflow: ellipsis;
      width: 100%;
    }
    td.stream.text {
      font-family: inherit;
      font-size: 12px;
      white-space: normal;
      max-width: 260px;
      color: #1d2330;
    }
    button.cancel {
      font: inherit;
      font-size: 13px;
      line-height: 1;
      padding: 1px 6px;
      border-radius: 4px;
      border: 1px solid #d9a58a;
      background: #fff;
      color: #8a2a00;
      cursor: pointer;
    }
    td.id {
      font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
      font-size: 12px;
    }
  `,
];
