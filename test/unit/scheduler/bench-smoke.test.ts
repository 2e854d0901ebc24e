/** Runs the scheduler bench suite's cases once (smoke sizes) and the full-size step case a few times. */
import { describe, expect, it } from 'vitest';
import { schedulerSuite, simulateWaste } from '../../../src/bench/suites/scheduler';

describe('scheduler bench suite', () => {
  it('produces finite timings and waste numbers (smoke sizes)', async () => {
    const logs: string[] = [];
    const cases = await schedulerSuite.cases({ gpu: null, smoke: true, log: (m) => logs.push(m) });
    expect(cases).toHaveLength(3);
    for (const c of cases) {
      const s = await c.run();
      expect(Number.isFinite(s.ms)).toBe(true);
      expect(s.method).toBe('cpu');
    }
    const [, paged, contiguous] = cases;
    expect(Number(paged!.params.waste_pct)).toBeLessThan(Number(contiguous!.params.waste_pct));
    expect(logs).toHaveLength(2);
    console.log(logs.join('\n'));
  });

  it('full size: step time at 256 seqs / 16,384 pages and paged waste <= 4%', async () => {
    const cases = await schedulerSuite.cases({ gpu: null, smoke: false, log: (m) => console.log(m) });
    const step = cases[0]!;
    const ms: number[] = [];
    for (let i = 0; i < 20; i++) await step.run();
    for (let i = 0; i < 200; i++) ms.push((await step.run()).ms);
    ms.sort((a, b) => a - b);
    console.log(`${step.name}: median ${ms[100]!.toFixed(4)} ms, p90 ${ms[180]!.toFixed(4)} ms`);
    expect(Number(cases[1]!.params.waste_pct)).toBeLessThanOrEqual(4);
    expect(simulateWaste('paged', 50, 1024).wastePct).toBeGreaterThan(0);
  }, 60_000);
});
