/**
 * Kernel profile: each kernel's share of GPU step time over the run, and the achieved GFLOP/s and GB/s
 * (the engine's counted FLOPs and bytes over GPU time). On the simulated backend the "kernels" are the
 * cost model's compute-bound, memory-bound and launch-overhead terms, and every number is modelled.
 */
import { LitElement, html } from 'lit';
import { kernelProfileStyles } from './kernel-profile-view.styles';
import type { KernelTotal } from '../state/telemetry-store';
import { OKABE_ITO } from '../palette';
import { fmtMs, fmtPct, fmtSi, fmtInt } from '../format';

export interface KernelProfileData {
  kernels: KernelTotal[];
  gpuMs: number;
  flops: number;
  bytes: number;
  steps: number;
  cpuMs: number;
  telemetryMs: number;
  /** Of telemetryMs, the part that ran while the GPU executed the next step. */
  overlappedMs: number;
  timing: string;
}

export class KernelProfileView extends LitElement {
  static override styles = kernelProfileStyles;
  static override properties = { data: { attribute: false }, simulated: { type: Boolean } };

  declare data: KernelProfileData | null;
  declare simulated: boolean;

  constructor() {
    super();
    this.data = null;
    this.simulated = true;
  }

  override render() {
    const d = this.data;
    if (!d || d.steps === 0) return html`<p class="note">No steps yet.</p>`;
    const kernelMs = d.kernels.reduce((s, k) => s + k.ms, 0) || d.gpuMs;
    const sec = d.gpuMs / 1000;
    return html`
      <div class="big" data-testid="kernel-numbers">
        <div><span>achieved${this.simulated ? ' (simulated)' : ''}</span><b>${fmtSi(d.flops / sec, 'FLOP/s')}</b></div>
        <div><span>memory traffic</span><b>${fmtSi(d.bytes / sec, 'B/s')}</b></div>
        <div><span>GPU time / step</span><b>${fmtMs(d.gpuMs / d.steps)}</b></div>
        <div><span>engine CPU / step</span><b>${fmtMs(d.cpuMs / d.steps)}</b></div>
      </div>
      <table>
        <thead>
          <tr><th>kernel</th><th>total</th><th>share</th><th></th></tr>
        </thead>
        <tbody>
          ${d.kernels.map(
            (k, i) => html`<tr>
              <td><span class="sw" style="background:${OKABE_ITO[i % OKABE_ITO.length]}"></span>${k.label}</td>
              <td>${fmtMs(k.ms)}</td>
              <td>${fmtPct((100 * k.ms) / kernelMs)}</td>
              <td class="barcell"><div class="bar"><i style="width:${(100 * k.ms) / kernelMs}%;background:${OKABE_ITO[i % OKABE_ITO.length]}"></i></div></td>
            </tr>`,
          )}
        </tbody>
      </table>
      <p class="note">
        ${fmtInt(d.steps)} steps, ${fmtMs(d.gpuMs)} of GPU time (${d.timing}). Telemetry (step records, request events, listeners) took ${fmtPct((100 * d.telemetryMs) / Math.max(1e-9, d.cpuMs))} of the engine's own CPU time (scheduling, bookkeeping and telemetry${this.simulated ? '; the simulated GPU costs none' : ''})${d.overlappedMs > 0 ? html`; ${fmtPct((100 * d.overlappedMs) / Math.max(1e-9, d.telemetryMs))} of it ran while the GPU worked on the next step, costing no step time on a hardware GPU (a software adapter runs the GPU's work on the same CPU cores)` : ''}.
        ${this.simulated ? 'Simulated: shares are the roofline terms of the cost model, not measured kernels.' : ''}
      </p>
    `;
  }
}

customElements.define('kernel-profile-view', KernelProfileView);

declare global {
  interface HTMLElementTagNameMap {
    'kernel-profile-view': KernelProfileView;
  }
}
