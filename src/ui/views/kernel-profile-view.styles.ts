import { css } from 'lit';
import { panelStyles } from './panel.styles';

export const kernelProfileStyles = [
  panelStyles,
  css`
    .bar {
      position: relative;
      height: 14px;
      background: #eef0f3;
      border-radius: 3px;
      min-width: 80px;
    }
    .bar i {
      position: absolute;
      inset: 0 auto 0 0;
      border-radius: 3px;
    }
    td.barcell {
      width: 40%;
    }
  `,
];
