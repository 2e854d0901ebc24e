/** Test helpers: a seeded PRNG and a fake engine loop (schedule -> fake tokens -> update). */
import { PagePool } from '../../../src/kv/index';
import { Scheduler, type SchedulerConfig, type SchedulerOutput } from '../../../src/scheduler/index';

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A layout whose bytesPerToken is 2*1*1*4*2 = 16 bytes; with pageBytes = 16 * tpp, a page holds tpp tokens. */
export const TINY_LAYOUT = { numLayers: 1, numKvHeads: 1, headDim: 4, elementBytes: 2 } as const;
export const BYTES_PER_TOKEN = 16;

export function makeScheduler(
  numPages: number,
  tokensPerPage: number,
  config: Partial<SchedulerConfig> & { maxModelLen?: number },
): { pool: PagePool; sched: Scheduler; clock: { now: number } } {
  const pool = new PagePool({ numPages, pageBytes: tokensPerPage * BYTES_PER_TOKEN });
  const clock = { now: 0 };
  const sched = new Scheduler(pool, {
    sessions: config.sessions ?? [{ id: 'm', layout: { ...TINY_LAYOUT }, maxModelLen: config.maxModelLen ?? 256 }],
    tenants: config.tenants ?? [{ id: 't' }],
    maxNumBatchedTokens: 64,
    maxNumSeqs: 16,
    clock: () => clock.now,
    ...config,
  });
  return { pool, sched, clock };
}

/** Sampled tokens for every row that samples: token = 1000 + step (never a stop token unless asked). */
export function fakeTokens(out: SchedulerOutput, token: (requestId: string, k: number) => number = () => 1000 + out.step): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const r of out.scheduled) {
    if (r.numSamples === 0) continue;
    const t: number[] = [];
    for (let k = 0; k < r.numSamples; k++) t.push(token(r.requestId, k));
    m.set(r.requestId, t);
  }
  return m;
}

/** One engine step: schedule, fake tokens, update; the clock advances 1 ms. */
export function step(sched: Scheduler, clock: { now: number }): SchedulerOutput {
  const out = sched.schedule();
  clock.now += 1;
  sched.update(out, fakeTokens(out));
  return out;
}

/** Row summary `id:numTokens@positionStart` for compact assertions. */
export function rows(out: SchedulerOutput): string[] {
  return out.scheduled.map((r) => `${r.requestId}:${r.numTokens}@${r.positionStart}`);
}

export function prompt(n: number, base = 1): number[] {
  return Array.from({ length: n }, (_, i) => base + i);
}
