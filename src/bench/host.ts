/**
 * Runs suites on a given `GPU` object: the one entry shared by the Chrome benchmark page and the
 * Node/Dawn runtime, so both measure the same code.
 */
import { acquireGpu, adapterLine, type AcquireOptions, type GpuContext } from '../gpu';
import { runSuites, type BenchContext, type BenchSuite, type CaseResult } from './suite';
import { suites } from './suites';

export interface HostRunOptions {
  suites: string[];
  warmup: number;
  repetitions: number;
  smoke: boolean;
  /** Only the cases whose name contains one of these. */
  cases?: string[];
  acquire?: AcquireOptions;
  /** Browser only: URL prefix under which the repository's files are fetched (the CLI's `/@fs/<root>/`). */
  fileRoot?: string;
}

export interface HostRunResult {
  adapter: GpuContext['info'] | null;
  adapterLine: string;
  features: string[];
  timing: string;
  results: CaseResult[];
}

export function suiteNames(): string[] {
  return Object.keys(suites);
}

/**
 * Suites by name; a name also selects its family (`kernels` runs `kernels.matmul`, `kernels.attention`, ...).
 * Unknown names are an error listing the known ones.
 */
export function selectSuites(names: string[]): BenchSuite[] {
  return names.flatMap((name) => {
    const found = Object.values(suites).filter((s) => s.name === name || s.name.startsWith(`${name}.`));
    if (!found.length) throw new Error(`Unknown suite "${name}". Known: ${suiteNames().join(', ')}.`);
    return found;
  });
}

export async function runOnHost(
  gpuObject: GPU | undefined,
  opts: HostRunOptions,
  log: (msg: string) => void,
  progress: (done: number, total: number, label: string) => void,
  fetchFile?: BenchContext['fetchFile'],
): Promise<HostRunResult> {
  const chosen = selectSuites(opts.suites);
  const needsGpu = chosen.some((s) => s.needsGpu);
  const gpu = needsGpu ? await acquireGpu(gpuObject, opts.acquire) : null;
  const line = gpu ? adapterLine(gpu.info) : 'none (CPU-only suites)';
  log(`adapter: ${line}`);
  const results = await runSuites(chosen, { gpu, log, ...(fetchFile ? { fetchFile } : {}) }, { warmup: opts.warmup, repetitions: opts.repetitions, smoke: opts.smoke, ...(opts.cases ? { cases: opts.cases } : {}), onProgress: progress });
  const out: HostRunResult = {
    adapter: gpu?.info ?? null,
    adapterLine: line,
    features: gpu ? [...gpu.features].sort() : [],
    timing: gpu ? (gpu.hasTimestamps ? 'gpu-timestamp' : 'wall-clock') : 'cpu',
    results,
  };
  gpu?.device.destroy();
  return out;
}
