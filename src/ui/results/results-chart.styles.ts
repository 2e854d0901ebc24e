import { css, unsafeCSS } from 'lit';
// uPlot's stylesheet must live inside the shadow root to reach the chart.
import uplotCss from 'uplot/dist/uPlot.min.css?inline';

export const resultsChartStyles = [
  unsafeCSS(uplotCss),
  css`
    :host {
      display: block;
      min-width: 0;
      font-size: 12.5px;
    }
    .legend {
      display: flex;
      flex-wrap: wrap;
      gap: 4px 18px;
      align-items: center;
      color: var(--muted, #5b6475);
      margin: 0 0 4px;
    }
    .legend span {
      display: inline-flex;
      align-items: center;
      gap: 6px;
    }
    .axis-note {
      margin-left: auto;
    }
    .mark {
      display: inline-block;
      width: 10px;
      height: 10px;
    }
    .mark.a {
      background: #0072b2;
      border-radius: 50%;
    }
    .mark.b {
      background: #d55e00;
      transform: rotate(45deg) scale(0.85);
    }
    .range {
      display: inline-block;
      width: 22px;
      height: 8px;
      border: solid #5b6475;
      border-width: 0 1.5px;
      background: linear-gradient(#5b6475, #5b6475) center / 100% 1.5px no-repeat;
    }
    .plot {
      width: 100%;
      border-radius: 4px;
    }
    .plot:focus-visible {
      outline: 2px solid #0072b2;
      outline-offset: 2px;
    }
    .readout {
      min-height: 1.5em;
      margin: 4px 0 0;
      font-variant-numeric: tabular-nums;
      line-height: 1.45;
    }
    .readout .a b {
      color: #0072b2;
    }
    .readout .b b {
      color: #b34a00;
    }
    .hint {
      color: var(--muted, #5b6475);
    }
  `,
];
