import { css, unsafeCSS } from 'lit';
// uPlot's stylesheet must live inside the shadow root to reach the chart.
import uplotCss from 'uplot/dist/uPlot.min.css?inline';

export const timelineChartStyles = [
  unsafeCSS(uplotCss),
  css`
    :host {
      display: block;
      min-width: 0;
    }
    .title {
      display: flex;
      flex-wrap: wrap;
      justify-content: space-between;
      align-items: baseline;
      gap: 0 8px;
      font-size: 12.5px;
      font-weight: 600;
      margin: 0 0 2px;
    }
    .now {
      margin-left: auto;
      font-weight: 400;
      color: var(--muted, #5b6475);
      font-variant-numeric: tabular-nums;
      font-size: 12px;
      text-align: right;
    }
    .now b {
      color: var(--text, #1d2330);
      font-weight: 600;
    }
    .plot {
      width: 100%;
      min-height: 120px;
    }
    .u-legend {
      font-size: 11px;
      text-align: left;
      margin-top: 0;
    }
    .u-legend .u-marker {
      width: 10px;
      height: 10px;
    }
    .u-legend th {
      font-weight: 500;
    }
    .u-legend td {
      padding: 0 4px;
    }
    .u-legend .u-series {
      padding: 0 4px 0 0;
    }
    /* The x value (engine time) is on the axis; the legend lists the series only. */
    .u-legend .u-series:first-child {
      display: none;
    }
    .empty {
      font-size: 12px;
      color: var(--muted, #5b6475);
      padding: 40px 0;
      text-align: center;
    }
  `,
];
