/**
 * The UI's handle on the engine worker. The worker's API type is imported as a type only, so no
 * engine code is bundled into the main thread.
 */
import * as Comlink from 'comlink';
import type { EngineApi } from '../engine/worker';

export type { GpuStatus } from '../engine/worker';
export type { ProbeReport } from '../engine/gpu-check';

let engine: Comlink.Remote<EngineApi> | undefined;

export function engineClient(): Comlink.Remote<EngineApi> {
  engine ??= Comlink.wrap<EngineApi>(new Worker(new URL('../engine/worker.ts', import.meta.url), { type: 'module', name: 'engine' }));
  return engine;
}

/** SharedArrayBuffer needs a cross-origin-isolated page (COOP + COEP headers). */
export function isolationStatus(): { isolated: boolean; note: string } {
  const isolated = globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
  return {
    isolated,
    note: isolated
      ? 'Cross-origin isolated: live views read the page pool from shared memory each frame.'
      : 'Not cross-origin isolated (this host sends no COOP/COEP headers): live views fall back to periodic snapshots.',
  };
}
