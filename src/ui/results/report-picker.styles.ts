import { css } from 'lit';

export const reportPickerStyles = css`
  :host {
    display: block;
    min-width: 0;
    font-size: 13px;
  }
  h2 {
    font-size: 14px;
    margin: 0 0 8px;
    display: flex;
    align-items: center;
    gap: 8px;
  }
  .badge {
    display: inline-grid;
    place-items: center;
    width: 22px;
    height: 22px;
    border-radius: 50%;
    color: #fff;
    font-size: 12px;
  }
  .badge.a {
    background: #0072b2;
  }
  .badge.b {
    background: #d55e00;
    border-radius: 3px;
  }
  .drop {
    border: 1.5px dashed #b7bfcc;
    border-radius: 6px;
    padding: 12px;
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    align-items: center;
    background: #fbfcfd;
  }
  .drop.over {
    border-color: #0072b2;
    background: #eaf3fa;
  }
  .button,
  button {
    font: inherit;
    padding: 3px 10px;
    border: 1px solid #b7bfcc;
    border-radius: 4px;
    background: #fff;
    cursor: pointer;
  }
  .drop:focus-within .button,
  button:focus-visible,
  select:focus-visible,
  input:focus-visible {
    outline: 2px solid #0072b2;
    outline-offset: 1px;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 6px 14px;
    margin: 8px 0 0;
    align-items: center;
    color: #5b6475;
  }
  .row form {
    display: flex;
    gap: 6px;
    flex: 1 1 200px;
  }
  .row form label {
    display: flex;
    gap: 6px;
    align-items: center;
    flex: 1;
  }
  .row input {
    flex: 1;
    min-width: 120px;
    font: inherit;
  }
  select {
    font: inherit;
    max-width: 240px;
  }
  .status {
    color: #5b6475;
    margin: 8px 0 0;
  }
  .error {
    margin: 8px 0 0;
    padding: 8px 10px;
    border-left: 4px solid #d55e00;
    background: #fdf1ea;
    color: #5a2200;
    line-height: 1.4;
    overflow-wrap: anywhere;
  }
  .file {
    margin: 10px 0 4px;
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .card {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 2px 10px;
    margin: 0;
    line-height: 1.4;
  }
  dt {
    color: #5b6475;
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  .tag {
    display: inline-block;
    margin-left: 6px;
    padding: 0 6px;
    border-radius: 3px;
    font-size: 11.5px;
  }
  .tag.sw {
    background: #fff4d6;
    color: #6b4c00;
  }
  .tag.hw {
    background: #e3f3ee;
    color: #00573f;
  }
`;
