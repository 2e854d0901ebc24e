import { LitElement, html, nothing } from 'lit';
import { Task, TaskStatus } from '@lit/task';
import { playgroundStyles } from './serving-playground.styles';
import { engineClient, isolationStatus, type GpuStatus, type ProbeReport } from './engine-client';

/** Limits shown on the GPU card, with the words a reader knows them by. */
const KEY_LIMITS: Array<[string, string, 'bytes' | 'count']> = [
  ['maxStorageBufferBindingSize', 'storage binding', 'bytes'],
  ['maxBufferSize', 'buffer size', 'bytes'],
  ['maxComputeWorkgroupStorageSize', 'workgroup memory', 'bytes'],
  ['maxComputeInvocationsPerWorkgroup', 'invocations / workgroup', 'count'],
  ['maxStorageBuffersPerShaderStage', 'storage buffers / stage', 'count'],
];
const OPTIONAL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'];
const PROBE_SIZE = 1 << 20;

function bytes(n: number): string {
  if (n >= 1 << 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / 2 ** 20).toFixed(0)} MiB`;
  if (n >= 1 << 10) return `${(n / 2 ** 10).toFixed(0)} KiB`;
  return `${n} B`;
}

/**
 * The Serving Playground: one element that holds the whole app.
 *
 * For now it describes the visitor's WebGPU adapter and proves it computes by running a kernel in the
 * engine worker; where WebGPU is missing it says why and how to enable it.
 *
 * @csspart card - each panel
 */
export class ServingPlayground extends LitElement {
  static override styles = playgroundStyles;

  private readonly gpu = new Task(this, {
    task: async (): Promise<GpuStatus> => {
      const status = await engineClient().gpuStatus();
      // The kernel check needs the device; start it once the GPU answered.
      if (status.available) queueMicrotask(() => void this.probe.run());
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
    return html`
      <header>
        <h1>Serving Playground</h1>
        <p>An LLM serving engine on your own GPU through WebGPU, and what it is doing.</p>
      </header>
      <main>
        ${this.gpu.render({
          pending: () => html`<section part="card"><h2>Your GPU</h2><p class="note">Asking the browser for a WebGPU adapter…</p></section>`,
          complete: (s) => (s.available ? this.renderGpu(s) : this.renderNoWebGpu(s.reason, s.hint)),
          error: (e) => this.renderNoWebGpu(String((e as Error).message ?? e), ''),
        })}
        ${this.renderProbe()} ${this.renderIsolation()}
      </main>
    `;
  }

  private renderGpu(s: Extract<GpuStatus, { available: true }>) {
    return html`<section part="card" data-testid="gpu-card">
      <h2>Your GPU</h2>
      <dl>
        <dt>vendor</dt>
        <dd data-testid="vendor">${s.adapter.vendor || '—'}</dd>
        <dt>architecture</dt>
        <dd data-testid="architecture">${s.adapter.architecture || '—'}</dd>
        ${s.adapter.description ? html`<dt>description</dt><dd>${s.adapter.description}</dd>` : nothing}
        <dt>WebGPU mode</dt>
        <dd>${s.adapter.featureLevel}${s.adapter.isSoftware ? ' · software renderer (a CPU, not a GPU)' : ''}</dd>
        <dt>features</dt>
        <dd class="chips">
          ${OPTIONAL_FEATURES.map((f) => html`<span class="chip ${s.features.includes(f) ? '' : 'off'}">${f}</span>`)}
        </dd>
        ${KEY_LIMITS.map(([k, label, unit]) => {
          const v = s.limits[k] ?? 0;
          return html`<dt>${label}</dt><dd>${unit === 'bytes' ? bytes(v) : v.toLocaleString('en-US')}</dd>`;
        })}
        <dt>kernel timing</dt>
        <dd>${s.timing.method === 'gpu-timestamp' ? 'GPU timestamp queries' : 'wall-clock (no timestamp-query)'}</dd>
      </dl>
      ${s.adapter.isSoftware
        ? html`<p class="note">This is SwiftShader, Chrome's software WebGPU: everything runs, slowly, on the CPU. Timings here compare implementations, not GPUs.</p>`
        : nothing}
    </section>`;
  }

  private renderNoWebGpu(reason: string, hint: string) {
    return html`<section part="card" class="error" data-testid="no-webgpu">
      <h2>WebGPU is not available</h2>
      <p class="status bad">${reason}</p>
      ${hint ? html`<p class="note">${hint}</p>` : nothing}
    </section>`;
  }

  private renderProbe() {
    return html`<section part="card" data-testid="probe-card">
      <h2>Kernel check</h2>
      <p class="note" style="margin-top:0">
        Runs <code>y = a·x + b</code> with a workgroup reduction on ${PROBE_SIZE.toLocaleString('en-US')} values in the engine worker and
        compares every element with a TypeScript reference.
      </p>
      ${this.probe.render({
        initial: () => html`<p class="note">Waiting for the GPU…</p>`,
        pending: () => html`<p class="note">Running…</p>`,
        complete: (r) => html`<dl>
          <dt>result</dt>
          <dd class="status ${r.ok ? 'ok' : 'bad'}" data-testid="probe-status">${r.ok ? 'matches the reference' : 'MISMATCH'}</dd>
          <dt>max |diff|</dt>
          <dd>${r.maxAbsDiff.toExponential(2)}</dd>
          <dt>time</dt>
          <dd>${r.gpuMs.toFixed(3)} ms (${r.timingMethod === 'gpu-timestamp' ? 'GPU timestamps' : 'wall-clock'})</dd>
        </dl>`,
        error: (e) => html`<p class="status bad">${String((e as Error).message ?? e)}</p>`,
      })}
      <button ?disabled=${this.probe.status === TaskStatus.PENDING} @click=${() => void this.probe.run()}>Run again</button>
    </section>`;
  }

  private renderIsolation() {
    const iso = isolationStatus();
    return html`<section part="card">
      <h2>Shared memory</h2>
      <p class="status ${iso.isolated ? 'ok' : ''}" data-testid="isolation">${iso.isolated ? 'SharedArrayBuffer available' : 'SharedArrayBuffer unavailable'}</p>
      <p class="note">${iso.note}</p>
    </section>`;
  }
}

customElements.define('serving-playground', ServingPlayground);

declare global {
  interface HTMLElementTagNameMap {
    'serving-playground': ServingPlayground;
  }
}
