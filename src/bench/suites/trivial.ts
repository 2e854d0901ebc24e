/**
 * The foundation's suite: times the probe kernel (y = a·x + b with a workgroup reduction) at a few
 * sizes, to prove the runner, the timer and both runtimes work before real kernels exist.
 */
import code from '../../../shaders/probe.wgsl';
import { GpuTimer, PipelineCache, storageBuffer, uniformBuffer } from '../../gpu';
import type { BenchCase, BenchSuite } from '../suite';

export const trivialSuite: BenchSuite = {
  name: 'trivial',
  description: 'probe kernel (axpb + workgroup sums): proves the runner and timer',
  needsGpu: true,
  async cases(ctx) {
    const gpu = ctx.gpu!;
    const { device } = gpu;
    const cache = new PipelineCache(device);
    const sizes = ctx.smoke ? [1 << 12] : [1 << 16, 1 << 20];
    return sizes.map((n): BenchCase => {
      const wg = 64;
      const pipeline = cache.compute({ label: 'Probe.pipeline', code, constants: { WG: wg } });
      const params = uniformBuffer(device, 'Probe.params', new Float32Array([0, 2, 1, 0]));
      device.queue.writeBuffer(params, 0, new Uint32Array([n]));
      const x = storageBuffer(device, 'Probe.x', new Float32Array(n).fill(1));
      const y = storageBuffer(device, 'Probe.y', n * 4);
      const partial = storageBuffer(device, 'Probe.partial', Math.ceil(n / wg) * 4);
      const bindGroup = device.createBindGroup({
        label: 'Probe.bindGroup',
        layout: pipeline.getBindGroupLayout(0),
        entries: [params, x, y, partial].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      const timer = new GpuTimer(gpu, 1);
      return {
        name: `probe n=${n}`,
        params: { n },
        work: { bytes: n * 8, flops: n * 3 },
        async run() {
          timer.begin();
          const enc = device.createCommandEncoder({ label: 'Probe.bench' });
          const pass = enc.beginComputePass(timer.pass('probe'));
          pass.setPipeline(pipeline);
          pass.setBindGroup(0, bindGroup);
          pass.dispatchWorkgroups(Math.ceil(n / wg));
          pass.end();
          timer.end(enc);
          device.queue.submit([enc.finish()]);
          const t = await timer.read();
          return { ms: t.totalMs, method: t.method };
        },
        dispose() {
          for (const b of [params, x, y, partial]) b.destroy();
          timer.destroy();
        },
      };
    });
  },
};
