import { describe, expect } from 'vitest';
import { test } from 'vitest';
import { gpuTest, expectClose, sharedGpu } from './harness';
import {
  acquireGpu,
  DeviceLostError,
  GpuLimitError,
  GpuOutOfMemoryError,
  GpuTimer,
  GpuValidationError,
  PipelineCache,
  ReadbackRing,
  RAISED_LIMITS,
  storageBuffer,
  toTypedError,
  withErrorScopes,
} from '../../src/gpu';
import { ProbeKernel, probeReference } from '../../src/kernels/probe';

function randomArray(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

describe('device acquisition', () => {
  test('reports adapter, granted features and raised limits', async () => {
    const ctx = await sharedGpu();
    expect(ctx.info.featureLevel).toBe('core');
    for (const name of RAISED_LIMITS) {
      expect(ctx.limits[name], name).toBe((ctx.adapter.limits as unknown as Record<string, number>)[name]);
    }
    for (const f of ['shader-f16', 'subgroups', 'timestamp-query']) {
      expect(ctx.features.has(f), f).toBe(ctx.adapter.features.has(f as GPUFeatureName));
    }
    expect(ctx.hasTimestamps).toBe(ctx.features.has('timestamp-query'));
  });

  test('a compatibility-mode device runs the probe kernel', async () => {
    const ctx = await acquireGpu(navigator.gpu, { featureLevel: 'compatibility', label: 'compat' });
    expect(ctx.info.featureLevel).toBe('compatibility');
    expect(ctx.features.has('core-features-and-limits')).toBe(false);
    const x = randomArray(100, 3);
    const got = await new ProbeKernel(ctx.device, new PipelineCache(ctx.device)).run(x, 0.5, 2);
    expectClose(got.y, probeReference(x, 0.5, 2).y);
    ctx.device.destroy();
  });

  test('device loss is reported with its reason', async () => {
    const ctx = await acquireGpu(navigator.gpu, { label: 'to-lose' });
    ctx.device.destroy();
    const lost = await ctx.lost;
    expect(lost).toBeInstanceOf(DeviceLostError);
    expect(lost.reason).toBe('destroyed');
    expect(lost.message).toContain('GPU device lost (destroyed)');
  });
});

describe('probe kernel against its reference', () => {
  // Sizes around the workgroup (64): one element, WG - 1, WG, WG + 1, several groups, empty.
  for (const n of [1, 63, 64, 65, 1000, 0]) {
    gpuTest(`probe n=${n}`, async ({ device }) => {
      const x = randomArray(n, n + 1);
      const got = await new ProbeKernel(device, new PipelineCache(device)).run(x, -1.5, 0.25);
      const want = probeReference(x, -1.5, 0.25);
      expectClose(got.y, want.y, 1e-6, 1e-6, 'y');
      expectClose(got.partial, want.partial, 1e-4, 1e-4, 'partial sums');
    });
  }
});

describe('error scopes become typed errors', () => {
  gpuTest('a validation error throws GpuValidationError naming the label', async ({ device }) => {
    const err = await withErrorScopes(device, 'Test.badBuffer', () => {
      // MAP_READ may only be combined with COPY_DST: a validation error, not an exception.
      device.createBuffer({ label: 'bad', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpuValidationError);
    expect((err as Error).message).toMatch(/^Test\.badBuffer: WebGPU validation error/);
  });

  test('GPU error classes map to typed errors', () => {
    expect(toTypedError(new GPUOutOfMemoryError('no memory'), 'Pool', 1 << 30)).toBeInstanceOf(GpuOutOfMemoryError);
    expect(toTypedError(new GPUOutOfMemoryError('no memory'), 'Pool', 1 << 30).message).toBe('Pool: GPU out of memory allocating 1.00 GiB: no memory');
    expect(toTypedError(new GPUValidationError('bad'), 'X')).toBeInstanceOf(GpuValidationError);
  });

  gpuTest('a buffer over maxBufferSize is refused naming the limit', async ({ device }) => {
    const size = device.limits.maxBufferSize + 4;
    expect(() => storageBuffer(device, 'Huge', size)).toThrow(GpuLimitError);
    expect(() => storageBuffer(device, 'Huge', size)).toThrow(/maxStorageBufferBindingSize|maxBufferSize/);
  });
});

describe('readback ring', () => {
  gpuTest('reuses its staging buffers across reads and refuses a full ring', async ({ device }) => {
    const src = storageBuffer(device, 'Ring.src', new Uint32Array([1, 2, 3, 4, 5, 6, 7, 8]));
    const ring = new ReadbackRing(device, 32, 2, 'Test.ring');
    const out = new Uint32Array(4);
    let created = 0;
    const original = device.createBuffer.bind(device);
    (device as { createBuffer: GPUDevice['createBuffer'] }).createBuffer = (d) => (created++, original(d));
    for (let round = 0; round < 5; round++) {
      const enc = device.createCommandEncoder();
      const a = ring.enqueue(enc, src, 0, 16);
      const b = ring.enqueue(enc, src, 16, 16);
      expect(() => ring.enqueue(enc, src, 0, 16)).toThrow(/all 2 slots/);
      device.queue.submit([enc.finish()]);
      expect([...(await ring.read(a, out))]).toEqual([1, 2, 3, 4]);
      expect([...(await ring.read(b, out))]).toEqual([5, 6, 7, 8]);
      expect(ring.numFree).toBe(2);
    }
    expect(created, 'buffers created by five rounds of readback').toBe(0);
    ring.destroy();
  });
});

describe('pipeline cache', () => {
  gpuTest('keys pipelines by shader + constants', async ({ device }) => {
    const cache = new PipelineCache(device);
    const k1 = new ProbeKernel(device, cache, 64);
    const k2 = new ProbeKernel(device, cache, 64);
    const k3 = new ProbeKernel(device, cache, 128);
    expect(cache.numCreated).toBe(2);
    expect(cache.numHits).toBe(1);
    const x = randomArray(300, 9);
    expectClose((await k3.run(x, 1, 0)).partial, probeReference(x, 1, 0, 128).partial, 1e-4, 1e-4);
    void k1;
    void k2;
  });
});

describe('GPU timer', () => {
  gpuTest('uses timestamp queries where offered, and says when it falls back', async ({ ctx, device }) => {
    for (const forceWallClock of [false, true]) {
      const timer = new GpuTimer(ctx, 4, { forceWallClock });
      if (forceWallClock || !ctx.hasTimestamps) {
        expect(timer.method).toBe('wall-clock');
        expect(timer.fallbackReason).toBeTruthy();
      } else {
        expect(timer.method).toBe('gpu-timestamp');
        expect(timer.fallbackReason).toBeUndefined();
      }
      const kernel = new ProbeKernel(device, new PipelineCache(device));
      void kernel;
      timer.begin();
      const enc = device.createCommandEncoder();
      enc.beginComputePass(timer.pass('empty-a')).end();
      enc.beginComputePass(timer.pass('empty-b')).end();
      timer.end(enc);
      device.queue.submit([enc.finish()]);
      const t = await timer.read();
      expect(t.method).toBe(timer.method);
      expect(t.totalMs).toBeGreaterThanOrEqual(0);
      expect(t.passes.map((p) => p.label)).toEqual(timer.method === 'gpu-timestamp' ? ['empty-a', 'empty-b'] : []);
      timer.destroy();
    }
  });
});
