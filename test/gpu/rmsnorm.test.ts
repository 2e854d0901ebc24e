// rmsnorm against its f64 reference: rows not a multiple of the workgroup, 1 token, tiny dims, an empty batch.
import { describe, expect } from 'vitest';
import { gpuTest, expectClose } from './harness';
import { PipelineCache, readBuffer, storageBuffer } from '../../src/gpu';
import { RmsNormKernel, rmsnormReference } from '../../src/kernels/rmsnorm';
import { normal, uniform } from '../util/rng';

interface Case {
  numTokens: number;
  dim: number;
  wg: number;
  eps: number;
}

const cases: Case[] = [
  { numTokens: 1, dim: 1, wg: 64, eps: 1e-5 },
  { numTokens: 1, dim: 7, wg: 64, eps: 1e-5 },
  { numTokens: 3, dim: 255, wg: 64, eps: 1e-6 },
  { numTokens: 5, dim: 256, wg: 256, eps: 1e-5 },
  { numTokens: 2, dim: 1000, wg: 256, eps: 1e-5 },
  { numTokens: 4, dim: 4096, wg: 256, eps: 1e-6 },
  { numTokens: 0, dim: 64, wg: 64, eps: 1e-5 },
];

describe('rmsnorm', () => {
  for (const c of cases) {
    gpuTest(`rmsnorm tokens=${c.numTokens} dim=${c.dim} wg=${c.wg} eps=${c.eps}`, async ({ device }) => {
      const seed = c.numTokens * 1000 + c.dim;
      const x = normal(c.numTokens * c.dim, seed, 3);
      const w = uniform(c.dim, seed + 1, 0.5, 1.5);
      const kernel = new RmsNormKernel(device, new PipelineCache(device), { dim: c.dim, eps: c.eps, workgroupSize: c.wg });
      const xb = storageBuffer(device, 'Test.x', x.length ? x : new Float32Array(1));
      const wb = storageBuffer(device, 'Test.weight', w);
      const yb = storageBuffer(device, 'Test.y', Math.max(4, x.length * 4));
      const enc = device.createCommandEncoder({ label: 'Test.encoder' });
      const pass = enc.beginComputePass({ label: 'Test.pass' });
      kernel.encode(pass, xb, wb, yb, c.numTokens);
      kernel.encode(pass, xb, wb, yb, c.numTokens); // same buffers: the cached bind group
      pass.end();
      device.queue.submit([enc.finish()]);
      const got = new Float32Array(await readBuffer(device, yb, Math.max(4, x.length * 4))).subarray(0, x.length);
      expectClose(got, rmsnormReference(x, w, c.numTokens, c.dim, c.eps), 1e-5, 1e-5, 'y');
      expect(kernel['bindGroups'].numCreated).toBe(c.numTokens ? 1 : 0);
    });
  }
});
