import { describe, expect, test } from 'vitest';
import { runSuites, type BenchCase, type BenchSuite } from '../../../src/bench/suite';

/** A GPU-less suite whose cases count their runs and disposals, so the filter's effect is observable. */
function countingSuite(names: string[]) {
  const runs = new Map<string, number>();
  const disposed: string[] = [];
  const suite: BenchSuite = {
    name: 'counting',
    description: 'test',
    needsGpu: false,
    async cases(): Promise<BenchCase[]> {
      return names.map((name) => ({
        name,
        params: {},
        async run() {
          runs.set(name, (runs.get(name) ?? 0) + 1);
          return { ms: 1, method: 'wall-clock' as const };
        },
        dispose: () => void disposed.push(name),
      }));
    },
  };
  return { suite, runs, disposed };
}

describe('runSuites case filter', () => {
  test('runs only cases whose name contains a fragment, and disposes of the others unrun', async () => {
    const { suite, runs, disposed } = countingSuite(['m decode B1', 'm decode B32', 'm prefill B1x4']);
    const results = await runSuites([suite], { gpu: null, log: () => {} }, { warmup: 1, repetitions: 5, smoke: false, cases: ['decode B32', 'prefill'] });
    expect(results.map((r) => r.name)).toEqual(['m decode B32', 'm prefill B1x4']);
    expect(runs.get('m decode B1')).toBeUndefined();
    expect(runs.get('m decode B32')).toBe(6);
    expect(disposed.sort()).toEqual(['m decode B1', 'm decode B32', 'm prefill B1x4']);
  });

  test('a fragment that matches nothing is an error naming it', async () => {
    const { suite, runs } = countingSuite(['a', 'b']);
    await expect(runSuites([suite], { gpu: null, log: () => {} }, { warmup: 0, repetitions: 5, smoke: false, cases: ['a', 'zzz'] })).rejects.toThrow(/--case "zzz" matched no case of counting/);
    expect(runs.size).toBe(0);
  });
});
