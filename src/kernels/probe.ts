/**
 * Typed wrapper for shaders/probe.wgsl (y = a·x + b, plus per-workgroup sums) and its reference.
 * Used by the first page and the GPU-layer tests to show a device computes correctly.
 */
import code from '../../shaders/probe.wgsl';
import { PipelineCache, storageBuffer, uniformBuffer, readBuffer, type GpuTimer, type FrameTiming } from '../gpu';

export interface ProbeResult {
  y: Float32Array;
  partial: Float32Array;
  /** The dispatch's time, when a timer was passed. */
  timing?: FrameTiming;
}

/** Reference: the same math in plain TypeScript, sums accumulated in f64. */
export function probeReference(x: Float32Array, a: number, b: number, wg = 64): ProbeResult {
  const y = new Float32Array(x.length);
  const partial = new Float32Array(Math.ceil(x.length / wg));
  for (let i = 0; i < x.length; i++) y[i] = Math.fround(a * x[i]! + b);
  for (let w = 0; w < partial.length; w++) {
    let s = 0;
    for (let i = w * wg; i < Math.min(x.length, (w + 1) * wg); i++) s += y[i]!;
    partial[w] = s;
  }
  return { y, partial };
}

export class ProbeKernel {
  private readonly pipeline: GPUComputePipeline;

  constructor(
    private readonly device: GPUDevice,
    cache: PipelineCache,
    readonly workgroupSize = 64,
  ) {
    this.pipeline = cache.compute({ label: 'Probe.pipeline', code, constants: { WG: workgroupSize } });
  }

  /** Runs once on `x` and reads the result back (setup-time helper: allocates its buffers). */
  async run(x: Float32Array, a: number, b: number, timer?: GpuTimer): Promise<ProbeResult> {
    const { device } = this;
    const n = x.length;
    const groups = Math.ceil(n / this.workgroupSize);
    const params = uniformBuffer(device, 'Probe.params', new Uint32Array([n, 0, 0, 0]));
    device.queue.writeBuffer(params, 4, new Float32Array([a, b]));
    const xb = storageBuffer(device, 'Probe.x', x.length ? x : new Float32Array(1));
    const yb = storageBuffer(device, 'Probe.y', Math.max(4, n * 4));
    const pb = storageBuffer(device, 'Probe.partial', Math.max(4, groups * 4));
    try {
      let timing: FrameTiming | undefined;
      if (n > 0) {
        const bindGroup = device.createBindGroup({
          label: 'Probe.bindGroup',
          layout: this.pipeline.getBindGroupLayout(0),
          entries: [params, xb, yb, pb].map((buffer, binding) => ({ binding, resource: { buffer } })),
        });
        const enc = device.createCommandEncoder({ label: 'Probe.encoder' });
        timer?.begin();
        const pass = enc.beginComputePass(timer ? timer.pass('probe') : { label: 'Probe.pass' });
        pass.setPipeline(this.pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(groups);
        pass.end();
        timer?.end(enc);
        device.queue.submit([enc.finish()]);
        if (timer) timing = await timer.read();
      }
      const y = new Float32Array(await readBuffer(device, yb, n * 4 || 4)).subarray(0, n);
      const partial = new Float32Array(await readBuffer(device, pb, groups * 4 || 4)).subarray(0, groups);
      return timing ? { y, partial, timing } : { y, partial };
    } finally {
      for (const b of [params, xb, yb, pb]) b.destroy();
    }
  }
}
