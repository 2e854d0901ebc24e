// silu-mul (SwiGLU) against its f64 reference, including gate values far in both tails.
import { describe } from 'vitest';
import { gpuTest, expectClose } from './harness';
import { PipelineCache, readBuffer, storageBuffer } from '../../src/gpu';
import { SiluMulKernel, siluMulReference } from '../../src/kernels/silu-mul';
import { normal } from '../util/rng';

const cases = [
  { numTokens: 1, ffn: 1 },
  { numTokens: 3, ffn: 257 },
  { numTokens: 2, ffn: 1000 },
  { numTokens: 1, ffn: 11008 },
  { numTokens: 0, ffn: 64 },
];

describe('silu-mul', () => {
  for (const c of cases) {
    gpuTest(`silu-mul tokens=${c.numTokens} ffn=${c.ffn}`, async ({ device }) => {
      const gateUp = normal(c.numTokens * 2 * c.ffn, c.ffn + c.numTokens, 4);
      // The tails: exp(-g) overflows for g < -88 and must still give -0, not NaN.
      if (gateUp.length >= 4) gateUp.set([-100, 100, -30, 30], 0);
      const kernel = new SiluMulKernel(device, new PipelineCache(device), { ffn: c.ffn, workgroupSize: 64 });
      const gb = storageBuffer(device, 'Test.gateUp', gateUp.length ? gateUp : new Float32Array(1));
      const n = c.numTokens * c.ffn;
      const ob = storageBuffer(device, 'Test.out', Math.max(4, n * 4));
      const enc = device.createCommandEncoder({ label: 'Test.encoder' });
      const pass = enc.beginComputePass({ label: 'Test.pass' });
      kernel.encode(pass, gb, ob, c.numTokens);
      pass.end();
      device.queue.submit([enc.finish()]);
      const got = new Float32Array(await readBuffer(device, ob, Math.max(4, n * 4))).subarray(0, n);
      expectClose(got, siluMulReference(gateUp, c.numTokens, c.ffn), 1e-5, 1e-5, 'out');
    });
  }
});
