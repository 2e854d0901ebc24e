import { css } from 'lit';

export const pagePoolStyles = css`
  :host {
    display: block;
    position: relative;
  }
  .frame {
    position: relative;
    width: 100%;
  }
  canvas {
    display: block;
    image-rendering: pixelated;
    cursor: crosshair;
    outline: none;
    border-radius: 3px;
  }
  canvas:focus-visible {
    box-shadow: 0 0 0 3px var(--focus, #0b6bcb66);
  }
  .tip {
    position: absolute;
    pointer-events: none;
    z-index: 5;
    background: #10151f;
    color: #f3f5f8;
    font-size: 12px;
    line-height: 1.45;
    padding: 6px 9px;
    border-radius: 6px;
    white-space: nowrap;
    box-shadow: 0 4px 14px #0003;
    font-variant-numeric: tabular-nums;
  }
  .tip b {
    font-weight: 600;
  }
  .tip code {
    font-size: 11.5px;
    color: #f0e442;
  }
  .tip .text {
    display: inline-block;
    max-width: 320px;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    color: #cfe4f7;
  }
  .summary {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 16px;
    margin: 8px 0 0;
    font-size: 12.5px;
    color: var(--muted, #5b6475);
    font-variant-numeric: tabular-nums;
  }
  .summary b {
    color: var(--text, #1d2330);
    font-weight: 600;
  }
  .legend {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 14px;
    margin: 8px 0 0;
    padding: 0;
    list-style: none;
    font-size: 12px;
    color: var(--muted, #5b6475);
  }
  .legend li {
    display: inline-flex;
    align-items: center;
    gap: 5px;
  }
  .sw {
    display: inline-block;
    width: 12px;
    height: 12px;
    border-radius: 2px;
    box-sizing: border-box;
  }
  .sw.free {
    background: #e6e9ee;
  }
  .sw.cached {
    background: repeating-linear-gradient(135deg, #7d8796 0 2px, #e6e9ee 2px 4px);
  }
  .sw.shared {
    background: linear-gradient(135deg, #000 45%, #9aa3b2 45%);
  }
  .sw.fill {
    background: linear-gradient(to top, #0072b2 50%, #b3d4e8 50%);
  }
  .sw.null {
    background: #1d2330;
  }
  .sw.sel {
    background: #9aa3b2;
    border: 2px solid #000;
    box-shadow: inset 0 0 0 1px #fff;
  }
  .empty {
    font-size: 13px;
    color: var(--muted, #5b6475);
    padding: 24px 0;
  }
`;
