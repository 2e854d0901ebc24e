/**
 * What a benchmark suite is. Suites are plain objects registered in `suites/index.ts`; the same suite
 * runs in a Chrome page (`bench.html`) and in Node on Dawn (`--runtime node`), so a suite may use only
 * the `BenchContext` it is given, never the DOM or Node APIs.
 */
import type { GpuContext } from '../gpu/device';
import { median } from '../metrics/stats';

/** How a sample was timed. GPU timestamps measure kernel time only; wall-clock includes submit and sync. */
export type TimingMethod = 'gpu-timestamp' | 'wall-clock' | 'cpu';

export interface BenchSample {
  /** Duration of one timed repetition in milliseconds. */
  ms: number;
  method: TimingMethod;
}

export interface BenchCase {
  /** Unique within its suite; derived from the parameters so it cannot lie (e.g. `matmul f32 256x256x256`). */
  name: string;
  params: Record<string, number | string | boolean>;
  /** Work done by one repetition, from which the runner derives GFLOP/s and GB/s. */
  work?: { flops?: number; bytes?: number };
  /** Runs one repetition and reports how long it took. */
  run(): Promise<BenchSample>;
  /** Releases what the case allocated. */
  dispose?(): void;
}

export interface BenchContext {
  /** Null for suites that need no GPU (e.g. the scheduler's CPU-time suite). */
  gpu: GpuContext | null;
  /** Smaller shapes, for the CI smoke run. */
  smoke: boolean;
  log(message: string): void;
  /**
   * Reads a file by its path relative to the repository root (e.g. `public/models/x/config.json`,
   * `../shared/models/y/config.json`); null when it does not exist. The Chrome page fetches it through
   * the dev server, Node reads the disk. Absent where the host serves no files.
   */
  fetchFile?(path: string): Promise<ArrayBuffer | null>;
}

export interface BenchSuite {
  name: string;
  description: string;
  needsGpu: boolean;
  cases(ctx: BenchContext): Promise<BenchCase[]>;
}

export interface CaseResult {
  suite: string;
  name: string;
  params: BenchCase['params'];
  method: TimingMethod;
  samples: number[];
  median_ms: number;
  min_ms: number;
  max_ms: number;
  gflops?: number;
  gbps?: number;
}

export interface RunOptions {
  warmup: number;
  repetitions: number;
  smoke: boolean;
  /** Run only the cases whose name contains one of these (case-sensitive); each must match something. */
  cases?: string[];
  onProgress?: (done: number, total: number, label: string) => void;
}

/** Runs every case of the given suites: `warmup` untimed repetitions, then `repetitions` timed ones. */
export async function runSuites(
  suites: BenchSuite[],
  ctx: Omit<BenchContext, 'smoke'>,
  opts: RunOptions,
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const context: BenchContext = { ...ctx, smoke: opts.smoke };
  const planned: Array<{ suite: BenchSuite; cases: BenchCase[] }> = [];
  for (const suite of suites) {
    if (suite.needsGpu && !ctx.gpu) throw new Error(`Suite "${suite.name}" needs a GPU device and none was acquired.`);
    const all = await suite.cases(context);
    const keep = opts.cases?.length ? all.filter((c) => opts.cases!.some((f) => c.name.includes(f))) : all;
    for (const c of all) if (!keep.includes(c)) c.dispose?.();
    planned.push({ suite, cases: keep });
  }
  const unmatched = (opts.cases ?? []).filter((f) => !planned.some((p) => p.cases.some((c) => c.name.includes(f))));
  if (unmatched.length) {
    for (const p of planned) for (const c of p.cases) c.dispose?.();
    throw new Error(`--case ${unmatched.map((f) => `"${f}"`).join(', ')} matched no case of ${suites.map((s) => s.name).join(', ')}.`);
  }
  const total = planned.reduce((n, p) => n + p.cases.length, 0);
  let done = 0;
  for (const { suite, cases } of planned) {
    for (const c of cases) {
      opts.onProgress?.(done, total, `${suite.name}: ${c.name}`);
      for (let i = 0; i < opts.warmup; i++) await c.run();
      const samples: BenchSample[] = [];
      for (let i = 0; i < opts.repetitions; i++) samples.push(await c.run());
      c.dispose?.();
      const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
      const med = median(ms);
      const r: CaseResult = {
        suite: suite.name,
        name: c.name,
        params: c.params,
        method: samples[0]?.method ?? 'wall-clock',
        samples: samples.map((s) => s.ms),
        median_ms: med,
        min_ms: ms[0] ?? NaN,
        max_ms: ms[ms.length - 1] ?? NaN,
      };
      if (c.work?.flops) r.gflops = c.work.flops / (med * 1e6);
      if (c.work?.bytes) r.gbps = c.work.bytes / (med * 1e6);
      results.push(r);
      done++;
    }
  }
  opts.onProgress?.(done, total, 'done');
  return results;
}
