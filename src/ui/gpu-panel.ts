/**
 * "Your GPU": the visitor's WebGPU adapter in one line (vendor, architecture, kernel check, shared
 * memory), with its features and limits behind a disclosure. The kernel check runs the probe kernel in
 * the engine worker and compares it with a TypeScript reference. Without WebGPU it says why and how to
 * get it, and that the simulated backend works anyway.
 *
 * @fires gpu-status - {available: boolean, line: string} once the adapter answered
 */
import { LitElement, html, nothing } from 'lit';
import { Task, TaskStatus } from '@lit/task';
import { gpuPanelStyles } from './gpu-panel.styles';
import { engineClient, isolationStatus, type GpuStatus, type ProbeReport } from './engine-client';
import { fmtBytes } from './format';

const KEY_LIMITS: Array<[string, string, 'bytes' | 'count']> = [
  ['maxStorageBufferBindingSize', 'storage binding', 'bytes'],
  ['maxBufferSize', 'buffer size', 'bytes'],
  ['maxComputeWorkgroupStorageSize', 'workgroup memory', 'bytes'],
  ['maxComputeInvocationsPerWorkgroup', 'invocations / workgroup', 'count'],
  ['maxStorageBuffersPerShaderStage', 'storage buffers / stage', 'count'],
];
const OPTIONAL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'];
// 262,144 values: a real check that stays cheap on software adapters (SwiftShader takes seconds for 1M).
const PROBE_SIZE = 1 << 18;

export class GpuPanel extends LitElement {
  static override styles = gpuPanelStyles;

  private readonly gpu = new Task(this, {
    task: async (): Promise<GpuStatus> => {
      const status = await engineClient().gpuStatus();
      if (status.available) queueMicrotask(() => void this.probe.run());
      const line = status.available ? `${status.adapter.vendor} ${status.adapter.architecture}${status.adapter.isSoftware ? ' (software)' : ''}` : 'no WebGPU';
      this.dispatchEvent(new CustomEvent('gpu-status', { detail: { available: status.available, line }, bubbles: true, composed: true }));
      return status;
    },
    args: () => [],
  });

  private readonly probe = new Task(this, {
    task: async (): Promise<ProbeReport> => engineClient().runProbe(PROBE_SIZE),
    args: () => [],
    autoRun: false,
  });

  override render() {
    return this.gpu.render({
      pending: () => html`<p class="note">Asking the browser for a WebGPU adapter…</p>`,
      complete: (s) => (s.available ? this.renderGpu(s) : this.renderNoWebGpu(s.reason, s.hint)),
      error: (e) => this.renderNoWebGpu(String((e as Error).message ?? e), ''),
    });
  }

  private renderProbeStatus() {
    return this.probe.render({
      initial: () => html`<span>kernel check: waiting</span>`,
      pending: () => html`<span>kernel check: running…</span>`,
      complete: (r: ProbeReport) =>
        html`<span>kernel check: <span class=${r.ok ? 'ok' : 'bad'} data-testid="probe-status">${r.ok ? 'matches the reference' : 'MISMATCH'}</span> (${r.gpuMs.toFixed(2)} ms,
          ${r.timingMethod === 'gpu-timestamp' ? 'timestamps' : 'wall-clock'})</span>`,
      error: (e) => html`<span class="bad">kernel check failed: ${String((e as Error).message ?? e)}</span>`,
    });
  }

  private renderGpu(s: Extract<GpuStatus, { available: true }>) {
    const iso = isolationStatus();
    return html`<div data-testid="gpu-card">
      <p class="line">
        <span><b data-testid="vendor">${s.adapter.vendor || '—'}</b> · <span data-testid="architecture">${s.adapter.architecture || '—'}</span></span>
        <span>${s.adapter.featureLevel}${s.adapter.isSoftware ? ' · software renderer (a CPU)' : ''}</span>
        ${this.renderProbeStatus()}
        <span class=${iso.isolated ? 'ok' : ''} data-testid="isolation">${iso.isolated ? 'SharedArrayBuffer available' : 'SharedArrayBuffer unavailable'}</span>
      </p>
      <details>
        <summary>Adapter details</summary>
        <dl>
          ${s.adapter.description ? html`<dt>description</dt><dd>${s.adapter.description}</dd>` : nothing}
          <dt>features</dt>
          <dd class="chips">${OPTIONAL_FEATURES.map((f) => html`<span class="chip ${s.features.includes(f) ? '' : 'off'}">${f}</span>`)}</dd>
          ${KEY_LIMITS.map(([k, label, unit]) => {
            const v = s.limits[k] ?? 0;
            return html`<dt>${label}</dt><dd>${unit === 'bytes' ? fmtBytes(v) : v.toLocaleString('en-US')}</dd>`;
          })}
          <dt>kernel timing</dt>
          <dd>${s.timing.method === 'gpu-timestamp' ? 'GPU timestamp queries' : 'wall-clock (no timestamp-query)'}</dd>
        </dl>
        <p class="note">
          The kernel check runs <code>y = a·x + b</code> with a workgroup reduction on ${PROBE_SIZE.toLocaleString('en-US')} values in the engine worker and compares every
          element with a TypeScript reference. ${iso.note}
          ${s.adapter.isSoftware ? ' This is SwiftShader, Chrome\u2019s software WebGPU: timings here compare implementations, not GPUs.' : ''}
        </p>
        <button ?disabled=${this.probe.status === TaskStatus.PENDING} @click=${() => void this.probe.run()}>Run the kernel check again</button>
      </details>
    </div>`;
  }

  private renderNoWebGpu(reason: string, hint: string) {
    return html`<div class="nowebgpu" data-testid="no-webgpu">
      <p class="line"><b class="bad">WebGPU is not available</b></p>
      <p class="note">${reason}</p>
      ${hint ? html`<p class="note">${hint}</p>` : nothing}
      <p class="note">So the playground runs the simulated backend instead (labelled simulated everywhere): the same scheduler, with step times from a cost model.</p>
    </div>`;
  }
}

customElements.define('gpu-panel', GpuPanel);

declare global {
  interface HTMLElementTagNameMap {
    'gpu-panel': GpuPanel;
  }
}
