/**
 * GPU test wrapper in the style of webgpu-utils' test/webgpu.js: each test runs inside validation and
 * out-of-memory error scopes, every buffer, texture and query set it creates is tracked and destroyed
 * afterwards, and any error (captured or uncaptured) fails the test. No adapter is a failure, never a
 * skip: a GPU test that cannot reach a GPU has not tested anything.
 */
import { test, expect } from 'vitest';
import { acquireGpu, adapterLine, type GpuContext } from '../../src/gpu';

let shared: Promise<GpuContext> | undefined;

/** One device per test file (per browser page), acquired on first use. */
export function sharedGpu(): Promise<GpuContext> {
  shared ??= acquireGpu(navigator.gpu).then(
    (ctx) => {
      console.log(`[gpu] adapter: ${adapterLine(ctx.info)}; features: ${[...ctx.features].join(', ') || 'none'}`);
      return ctx;
    },
    (e: unknown) => {
      // Every test that needs the GPU fails with this message; none is skipped.
      throw new Error(`No WebGPU adapter in the test browser: ${(e as Error).message} Was Chrome started with the WebGPU flags of src/bench/chrome.mjs?`);
    },
  );
  return shared;
}

export interface GpuTestContext {
  ctx: GpuContext;
  device: GPUDevice;
}

type Destroyable = { destroy(): void };

/** A device proxy that remembers what it created, so the wrapper can destroy it after the test. */
function trackingDevice(device: GPUDevice, tracked: Destroyable[]): GPUDevice {
  const creators = new Set(['createBuffer', 'createTexture', 'createQuerySet']);
  return new Proxy(device, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (creators.has(prop as string)) {
        return (...args: unknown[]) => {
          const obj = (value as (...a: unknown[]) => Destroyable).apply(target, args);
          tracked.push(obj);
          return obj;
        };
      }
      void receiver;
      return value.bind(target);
    },
  });
}

/** Declares a GPU test: `fn` gets the shared context and a tracking device. */
export function gpuTest(name: string, fn: (t: GpuTestContext) => Promise<void>, timeout?: number): void {
  test(
    name,
    async () => {
      const ctx = await sharedGpu();
      const tracked: Destroyable[] = [];
      const uncaptured: string[] = [];
      const onError = (e: Event) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message);
      ctx.device.addEventListener('uncapturederror', onError);
      ctx.device.pushErrorScope('out-of-memory');
      ctx.device.pushErrorScope('validation');
      const device = trackingDevice(ctx.device, tracked);
      let failure: unknown;
      try {
        await fn({ ctx: { ...ctx, device }, device });
      } catch (e) {
        failure = e;
      }
      const validation = await ctx.device.popErrorScope();
      const oom = await ctx.device.popErrorScope();
      await ctx.device.queue.onSubmittedWorkDone();
      ctx.device.removeEventListener('uncapturederror', onError);
      for (const r of tracked) r.destroy();
      if (failure) throw failure;
      expect(validation?.message ?? null, 'WebGPU validation error').toBeNull();
      expect(oom?.message ?? null, 'WebGPU out-of-memory error').toBeNull();
      expect(uncaptured, 'uncaptured WebGPU errors').toEqual([]);
    },
    timeout,
  );
}

/**
 * Compares `actual` to `expected` with |a - e| <= atol + rtol·|e| and fails listing the first
 * mismatches with their indices (STYLE.md: a failure says where).
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-5, rtol = 1e-4, what = 'values'): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const bad: string[] = [];
  let numBad = 0;
  let maxErr = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const err = Math.abs(a - e);
    maxErr = Math.max(maxErr, Number.isFinite(err) ? err : Infinity);
    if (!(err <= atol + rtol * Math.abs(e))) {
      numBad++;
      if (bad.length < 8) bad.push(`[${i}] got ${a}, want ${e} (|diff| ${err.toExponential(2)})`);
    }
  }
  if (numBad) {
    expect.fail(`${what}: ${numBad} of ${expected.length} mismatches (atol ${atol}, rtol ${rtol}, max |diff| ${maxErr.toExponential(2)}):\n  ${bad.join('\n  ')}`);
  }
}
