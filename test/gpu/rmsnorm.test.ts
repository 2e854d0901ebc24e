// rmsnorm against its f64 reference: rows not a multiple of the workgroup, 1 token, tiny dims, an empty
// batch; and every elementwise kernel once on a compatibility-mode device.
import { describe, expect, test } from 'vitest';
import { gpuTest, expectClose } from './harness';
import { acquireGpu, PipelineCache, readBuffer, storageBuffer } from '../../src/gpu';
import { RmsNormKernel, rmsnormReference } from '../../src/kernels/rmsnorm';
import { chooseRowShape, type RowReduce } from '../../src/kernels/row-reduce';
import { RopeKernel, ropeReference } from '../../src/kernels/rope';
import { SiluMulKernel, siluMulReference } from '../../src/kernels/silu-mul';
import { EmbeddingKernel, embeddingReference, embeddingTableWords } from '../../src/kernels/embedding';
import { LogitsGatherKernel, logitsGatherReference } from '../../src/kernels/logits-gather';
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
  // Every variant on every case: the workgroup-memory tree (at the case's WG), and where the device has
  // subgroups the one-subgroup-per-row and the wide subgroupAdd + barrier variants; plus the automatic choice.
  const variants: Array<RowReduce | 'auto'> = ['auto', 'workgroup', 'subgroup-row', 'subgroup-wide'];
  for (const c of cases) {
    gpuTest(`rmsnorm tokens=${c.numTokens} dim=${c.dim} wg=${c.wg} eps=${c.eps} (every variant)`, async ({ ctx, device }) => {
      const seed = c.numTokens * 1000 + c.dim;
      const x = normal(c.numTokens * c.dim, seed, 3);
      const w = uniform(c.dim, seed + 1, 0.5, 1.5);
      const want = rmsnormReference(x, w, c.numTokens, c.dim, c.eps);
      const cache = new PipelineCache(device);
      const xb = storageBuffer(device, 'Test.x', x.length ? x : new Float32Array(1));
      const wb = storageBuffer(device, 'Test.weight', w);
      for (const v of variants.filter((v) => ctx.hasSubgroups || !v.startsWith('subgroup'))) {
        const kernel = new RmsNormKernel(device, cache, { dim: c.dim, eps: c.eps, workgroupSize: c.wg, ...(v === 'auto' ? {} : { reduce: v }) });
        const yb = storageBuffer(device, 'Test.y', Math.max(4, x.length * 4));
        const enc = device.createCommandEncoder({ label: 'Test.encoder' });
        const pass = enc.beginComputePass({ label: 'Test.pass' });
        kernel.encode(pass, xb, wb, yb, c.numTokens);
        kernel.encode(pass, xb, wb, yb, c.numTokens); // same buffers: the cached bind group
        pass.end();
        device.queue.submit([enc.finish()]);
        const got = new Float32Array(await readBuffer(device, yb, Math.max(4, x.length * 4))).subarray(0, x.length);
        expectClose(got, want, 1e-5, 1e-5, `y (${v} -> ${kernel.reduce}, WG ${kernel.workgroupSize})`);
        expect(kernel['bindGroups'].numCreated).toBe(c.numTokens ? 1 : 0);
        if (v !== 'auto') expect(kernel.reduce).toBe(v);
        else if (c.numTokens === 1 && c.dim === 1) console.log(`[rmsnorm] this adapter's choice: ${kernel.reduce}, WG ${kernel.workgroupSize}`);
      }
    });
  }

  gpuTest('variant rule: subgroup-row for short rows and software adapters, wide otherwise, tree without subgroups', async ({ device }) => {
    const sg = { subgroups: true, subgroupMinSize: 32, isSoftware: false };
    expect(chooseRowShape(device, 1024, 256, undefined, sg)).toEqual({ reduce: 'subgroup-row', workgroupSize: 32 });
    expect(chooseRowShape(device, 4096, 256, undefined, sg)).toEqual({ reduce: 'subgroup-wide', workgroupSize: 256 });
    expect(chooseRowShape(device, 4096, 256, undefined, { ...sg, subgroupMinSize: 4, isSoftware: true })).toEqual({ reduce: 'subgroup-row', workgroupSize: 4 });
    const none = { subgroups: false, subgroupMinSize: 4, isSoftware: false };
    expect(chooseRowShape(device, 64, 256, undefined, none)).toEqual({ reduce: 'workgroup', workgroupSize: 32 });
    expect(chooseRowShape(device, 1000, 256, undefined, none)).toEqual({ reduce: 'workgroup', workgroupSize: 128 });
    expect(chooseRowShape(device, 4096, 256, undefined, none)).toEqual({ reduce: 'workgroup', workgroupSize: 256 });
    expect(() => chooseRowShape(device, 64, 256, 'subgroup-row', none)).toThrow(/subgroups/);
  });
});

describe('compatibility mode', () => {
  // Dawn's OpenGL ES backend offers only compatibility mode: every elementwise kernel must run there.
  test('rmsnorm, rope (both conventions), silu-mul, embedding (f16) and logits gather on a compatibility-mode device without subgroups', async () => {
    // subgroups off, as on Dawn's OpenGL ES backend: rmsnorm takes its workgroup-memory variant.
    const ctx = await acquireGpu(navigator.gpu, { featureLevel: 'compatibility', label: 'compat', disableFeatures: ['subgroups'] });
    const { device } = ctx;
    try {
      expect(ctx.info.featureLevel).toBe('compatibility');
      device.pushErrorScope('validation');
      const cache = new PipelineCache(device);
      const enc = device.createCommandEncoder({ label: 'Test.encoder' });
      const pass = enc.beginComputePass({ label: 'Test.pass' });
      const checks: Array<() => Promise<void>> = [];
      const read = async (b: GPUBuffer, n: number) => new Float32Array(await readBuffer(device, b, n * 4));

      const [T, D] = [3, 100];
      const x = normal(T * D, 1);
      const w = uniform(D, 2, 0.5, 1.5);
      const xb = storageBuffer(device, 'Compat.x', x);
      const yb = storageBuffer(device, 'Compat.y', T * D * 4);
      const norm = new RmsNormKernel(device, cache, { dim: D, eps: 1e-5 });
      expect(norm.reduce).toBe('workgroup');
      norm.encode(pass, xb, storageBuffer(device, 'Compat.w', w), yb, T);
      checks.push(async () => expectClose(await read(yb, T * D), rmsnormReference(x, w, T, D, 1e-5), 1e-5, 1e-5, 'rmsnorm'));

      for (const convention of ['interleaved', 'rotate-half'] as const) {
        const cfg = { convention, numHeads: 4, numKvHeads: 2, headDim: 64, theta: 10000 };
        const n = 2 * 8 * 64;
        const qkv = normal(n, 3);
        const pos = new Uint32Array([5, 70000]);
        const qb = storageBuffer(device, 'Compat.qkv', qkv);
        new RopeKernel(device, cache, cfg).encode(pass, qb, storageBuffer(device, 'Compat.positions', pos), 2);
        checks.push(async () => expectClose(await read(qb, n), ropeReference(qkv, pos, 2, cfg), 1e-5, 1e-6, `rope ${convention}`));
      }

      const ffn = 77;
      const gu = normal(T * 2 * ffn, 4);
      const sb = storageBuffer(device, 'Compat.silu', T * ffn * 4);
      new SiluMulKernel(device, cache, { ffn }).encode(pass, storageBuffer(device, 'Compat.gateUp', gu), sb, T);
      checks.push(async () => expectClose(await read(sb, T * ffn), siluMulReference(gu, T, ffn), 1e-5, 1e-5, 'silu-mul'));

      const [vocab, dim] = [20, 9];
      const e = normal(vocab * dim, 5);
      const ids = new Uint32Array([19, 0, 7]);
      const eb = storageBuffer(device, 'Compat.embedded', ids.length * dim * 4);
      new EmbeddingKernel(device, cache, { dim, format: 'f16', numRows: vocab }).encode(
        pass, storageBuffer(device, 'Compat.ids', ids), storageBuffer(device, 'Compat.table', embeddingTableWords(e, vocab, dim, 'f16')), eb, ids.length);
      checks.push(async () => expectClose(await read(eb, ids.length * dim), embeddingReference(e, vocab, dim, 'f16', ids), 0, 0, 'embedding f16'));

      const last = new Uint32Array([2, 0]);
      const gb = storageBuffer(device, 'Compat.gathered', last.length * D * 4);
      new LogitsGatherKernel(device, cache, { dim: D }).encode(pass, xb, storageBuffer(device, 'Compat.last', last), gb, last.length);
      checks.push(async () => expectClose(await read(gb, last.length * D), logitsGatherReference(x, last, D), 0, 0, 'logits gather'));

      pass.end();
      device.queue.submit([enc.finish()]);
      for (const check of checks) await check();
      expect((await device.popErrorScope())?.message ?? null).toBeNull();
    } finally {
      device.destroy();
    }
  });
});
