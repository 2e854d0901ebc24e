/**
 * The engine worker: owns the GPU device. The main thread reaches it only through comlink, typed by
 * `EngineApi` (a type-only import there), so nothing of the engine runs on the UI thread.
 */
import * as Comlink from 'comlink';
import { acquireGpu, WebGpuUnavailableError, type GpuContext } from '../gpu';
import { describeGpu, runProbe, type GpuDescription, type ProbeReport } from './gpu-check';

/** What the UI needs to know about the GPU: its description, or why there is none and how to get one. */
export type GpuStatus =
  | ({ available: true } & GpuDescription)
  | { available: false; reason: string; hint: string };

let gpu: Promise<GpuContext> | undefined;

function device(): Promise<GpuContext> {
  gpu ??= acquireGpu(navigator.gpu).catch((e: unknown) => {
    gpu = undefined; // a later call may try again (e.g. after the user enables a flag)
    throw e;
  });
  return gpu;
}

const api = {
  async gpuStatus(): Promise<GpuStatus> {
    try {
      return { available: true, ...describeGpu(await device()) };
    } catch (e) {
      if (e instanceof WebGpuUnavailableError) return { available: false, reason: e.message, hint: e.hint };
      throw e;
    }
  },
  async runProbe(n: number): Promise<ProbeReport> {
    return runProbe(await device(), n);
  },
};

export type EngineApi = typeof api;

Comlink.expose(api);
