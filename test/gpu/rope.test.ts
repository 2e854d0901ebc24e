// rope in both conventions against its f64 reference: head dims 8/64/128, GQA, partial rotary,
// positions 0, 1, a page boundary and large ones (the shader's angle stays exact up to 2^24).
import { describe, expect } from 'vitest';
import { gpuTest, expectClose } from './harness';
import { PipelineCache, readBuffer, storageBuffer } from '../../src/gpu';
import { RopeKernel, ropeFreqTable, ropeInvFreq, ropeReference, type RopeConfig, type RopeConvention } from '../../src/kernels/rope';
import { normal } from '../util/rng';

interface Case extends RopeConfig {
  positions: number[];
}

const cases: Case[] = [];
for (const convention of ['interleaved', 'rotate-half'] as RopeConvention[]) {
  cases.push(
    { convention, numHeads: 1, numKvHeads: 1, headDim: 8, theta: 10000, positions: [0] },
    { convention, numHeads: 4, numKvHeads: 2, headDim: 64, theta: 10000, positions: [0, 1, 15, 16, 17] },
    { convention, numHeads: 2, numKvHeads: 1, headDim: 128, theta: 500000, positions: [1, 4095, 131071, 1000003] },
    { convention, numHeads: 3, numKvHeads: 3, headDim: 64, rotaryDim: 32, theta: 10000, positions: [7, 70000] },
    { convention, numHeads: 8, numKvHeads: 1, headDim: 64, theta: 10000, positions: [(1 << 24) - 1] },
  );
}

const caseName = (c: Case) =>
  `rope ${c.convention} heads=${c.numHeads}/${c.numKvHeads} headDim=${c.headDim}` +
  `${c.rotaryDim ? ` rotary=${c.rotaryDim}` : ''} theta=${c.theta} positions=${c.positions.join(',')}`;

describe('rope', () => {
  for (const c of cases) {
    gpuTest(caseName(c), async ({ device }) => {
      const numTokens = c.positions.length;
      const n = numTokens * (c.numHeads + 2 * c.numKvHeads) * c.headDim;
      const qkv = normal(n, n + c.headDim);
      const positions = new Uint32Array(c.positions);
      const kernel = new RopeKernel(device, new PipelineCache(device), c);
      const qb = storageBuffer(device, 'Test.qkv', qkv);
      const pb = storageBuffer(device, 'Test.positions', positions);
      const enc = device.createCommandEncoder({ label: 'Test.encoder' });
      const pass = enc.beginComputePass({ label: 'Test.pass' });
      kernel.encode(pass, qb, pb, numTokens);
      pass.end();
      device.queue.submit([enc.finish()]);
      const got = new Float32Array(await readBuffer(device, qb, n * 4));
      // Angle within ~2e-6 rad and cos/sin to ~1e-7: measured max |diff| 2.8e-6 on SwiftShader at p = 2^24 - 1.
      expectClose(got, ropeReference(qkv, positions, numTokens, c), 1e-5, 1e-6, 'qkv');
      kernel.destroy();
    });
  }

  gpuTest('rope empty batch records no dispatch', async ({ device }) => {
    const kernel = new RopeKernel(device, new PipelineCache(device), { convention: 'interleaved', numHeads: 1, numKvHeads: 1, headDim: 8, theta: 10000 });
    const qb = storageBuffer(device, 'Test.qkv', 4);
    const enc = device.createCommandEncoder({ label: 'Test.encoder' });
    const pass = enc.beginComputePass({ label: 'Test.pass' });
    kernel.encode(pass, qb, qb, 0);
    pass.end();
    device.queue.submit([enc.finish()]);
    kernel.destroy();
  });

  gpuTest('rope frequency table: hi and mid have 12 significant bits and hi + mid + lo is inv_freq / 2pi', async () => {
    const inv = ropeInvFreq(128, 500000);
    const table = ropeFreqTable(inv);
    const bits12 = (x: number) => x === 0 || Number.isInteger(x / 2 ** (Math.floor(Math.log2(Math.abs(x))) - 11));
    for (let i = 0; i < inv.length; i++) {
      const [hi, mid, lo] = [table[4 * i]!, table[4 * i + 1]!, table[4 * i + 2]!];
      expect(bits12(hi) && bits12(mid), `hi, mid [${i}] have 12 bits`).toBe(true);
      const f = inv[i]! / (2 * Math.PI);
      expect(Math.abs(hi + mid + lo - f) / f).toBeLessThan(1e-12);
    }
  });
});
