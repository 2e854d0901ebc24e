import { css } from 'lit';
import { panelStyles } from './panel.styles';

export const latencyStyles = [
  panelStyles,
  css`
    .scroll {
      overflow-x: auto;
    }
    th.grp {
      text-align: center;
      border-bottom: 0;
      padding-bottom: 0;
    }
    td.tenant {
      font-weight: 600;
    }
    tr.overall td {
      border-top: 2px solid var(--line, #dfe3ea);
      font-weight: 600;
    }
    .ranges {
      margin-top: 10px;
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 4px 10px;
      align-items: center;
      font-size: 12px;
    }
    .track {
      position: relative;
      height: 14px;
      background: #f1f3f6;
      border-radius: 3px;
    }
    .track i {
      position: absolute;
      top: 3px;
      height: 8px;
      border-radius: 2px;
      opacity: 0.85;
    }
    .track b {
      position: absolute;
      top: 0;
      width: 2px;
      height: 14px;
      background: #000;
    }
    .slo {
      position: absolute;
      top: -2px;
      bottom: -2px;
      border-left: 2px dashed #d55e00;
    }
  `,
];
