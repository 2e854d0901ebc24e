/**
 * Pipelined steps (the engine schedules step N+1 before step N's tokens are read back; N+1 embeds them on
 * the GPU): the scheduler counts a request's pending token as a placeholder. Driven here like the engine
 * drives it, against the serial loop on the same random workloads (every policy, chunked prefill, prefix
 * caching, swap and recompute preemption under tight pools, n > 1 forks, stop tokens, device losses).
 *
 * A fake token depends only on (request, position), as a seeded sampler's does, so every request must end
 * with the same tokens and the same finish reason both ways; the invariants hold after every call; and a
 * row of step N+1 may read past the known tokens only at the one position whose token step N samples.
 */
import { describe, expect, it } from 'vitest';
import { PagePool } from '../../../src/kv/index';
import { Scheduler, type SchedulerOutput } from '../../../src/scheduler/index';
import { BYTES_PER_TOKEN, mulberry32 } from './helpers';
import { makeWorkload, type Workload } from './workload';

/** Token at `position` of request `id`: a hash, 1..60 (the workloads' stop tokens are 1..50). */
function tokenAt(id: string, position: number): number {
  let h = 2166136261 ^ position;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return 1 + ((h >>> 0) % 60);
}

function sampledTokens(out: SchedulerOutput): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const r of out.scheduled) {
    if (r.numSamples === 0) continue;
    const pos = r.positionStart + r.numTokens;
    m.set(r.requestId, Array.from({ length: r.numSamples }, (_, k) => tokenAt(k === 0 ? r.requestId : `${r.requestId}#${k}`, pos)));
  }
  return m;
}

function run(w: Workload, pipelined: boolean) {
  const pool = new PagePool({ numPages: w.numPages, pageBytes: w.tokensPerPage * BYTES_PER_TOKEN });
  let now = 0;
  const sched = new Scheduler(pool, { ...w.config, clock: () => now });
  const ids = w.arrivals.map((a) => a.spec.requestId);
  let inFlight: SchedulerOutput | null = null;
  let placeholderInputs = 0;
  const check = () => {
    sched.checkInvariants();
    pool.checkInvariants();
  };
  for (let k = 0; k < 2000; k++) {
    for (const a of w.arrivals) if (a.step === k) sched.addRequest(a.spec);
    if (w.deviceLosses.includes(k)) {
      sched.preemptAll(null);
      inFlight = null; // the engine drops the lost step's output
      check();
    }
    if (k > w.lastEventStep && !sched.hasUnfinishedRequests() && !inFlight) break;
    now++;
    const out = sched.schedule();
    check();
    if (pipelined) {
      // Rows may read past the known tokens only at the position of the in-flight step's sample.
      for (const r of out.scheduled) {
        const known = r.allTokenIds.length;
        if (r.positionStart + r.numTokens <= known) continue;
        expect(r.positionStart + r.numTokens, `${r.requestId} step ${out.step}`).toBe(known + 1);
        placeholderInputs++;
        const prev = inFlight?.scheduled.find((p) => p.requestId === r.requestId && p.numSamples > 0);
        expect(prev && prev.positionStart + prev.numTokens, `${r.requestId} step ${out.step}: its input is step ${inFlight?.step}'s sample`).toBe(known);
      }
      if (inFlight) sched.update(inFlight, sampledTokens(inFlight));
      check();
      inFlight = out;
    } else {
      sched.update(out, sampledTokens(out));
      check();
    }
  }
  if (inFlight) sched.update(inFlight, sampledTokens(inFlight));
  expect(sched.hasUnfinishedRequests()).toBe(false);
  const result = new Map<string, string>();
  for (const id of ids) {
    for (let s = 0; s < 4; s++) {
      const r = sched.getRequest(s === 0 ? id : `${id}#${s}`);
      if (r) result.set(r.requestId, `${r.finishReason}: ${r.outputTokenIds.join(',')}`);
    }
  }
  return { result, stats: sched.stats, placeholderInputs };
}

/** The property workloads without the parts whose outcome depends on timing (aborts, unloads, gangs). */
function workload(seed: number): Workload {
  const policies = [['time-slice', 'fcfs', 'last-admitted'], ['fair-share', 'priority', 'lowest-priority'], ['partition', 'fcfs', 'last-admitted']] as const;
  const [sharing, queue, victim] = policies[seed % policies.length]!;
  const w = makeWorkload(seed, sharing, queue, victim);
  const arrivals = w.arrivals.filter((a) => !a.spec.gang);
  return { ...w, arrivals, aborts: [], removal: null, lastEventStep: Math.max(0, ...arrivals.map((a) => a.step), ...w.deviceLosses) };
}

describe('pipelined steps (placeholders for tokens still on the GPU)', () => {
  it('give every request the same tokens and finish reason as serial steps, over 300 random workloads', () => {
    let preemptions = 0;
    let placeholderInputs = 0;
    const rnd = mulberry32(99);
    for (let i = 0; i < 300; i++) {
      const seed = Math.floor(rnd() * 1e9);
      const w = workload(seed);
      const serial = run(w, false);
      const piped = run(w, true);
      expect(piped.result, `seed ${seed}`).toEqual(serial.result);
      preemptions += piped.stats.numPreemptions;
      placeholderInputs += piped.placeholderInputs;
    }
    // The workloads exercise what the placeholders must survive.
    expect(preemptions).toBeGreaterThan(50);
    expect(placeholderInputs).toBeGreaterThan(1000);
  }, 120_000);

  it('a request scheduled past its pending token decodes from it; one ending by length is not run past it', () => {
    const pool = new PagePool({ numPages: 17, pageBytes: 4 * BYTES_PER_TOKEN });
    const sched = new Scheduler(pool, { sessions: [{ id: 'm', layout: { numLayers: 1, numKvHeads: 1, headDim: 4, elementBytes: 2 }, maxModelLen: 64 }], tenants: [{ id: 't' }], maxNumBatchedTokens: 64, maxNumSeqs: 4, clock: () => 0 });
    sched.addRequest({ requestId: 'a', tenant: 't', model: 'm', promptTokenIds: [5, 6, 7], maxTokens: 3 });
    const s1 = sched.schedule(); // prefill 3, samples token 3
    const s2 = sched.schedule(); // before s1's update: decode position 3 (the placeholder)
    expect(s2.scheduled.map((r) => `${r.requestId}:${r.numTokens}@${r.positionStart}/${r.numSamples}`)).toEqual(['a:1@3/1']);
    expect(sched.getRequest('a')!.numPlaceholders).toBe(2);
    sched.update(s1, new Map([['a', [40]]]));
    const s3 = sched.schedule(); // a has 1 output + 1 pending: the third and last token comes from s3
    expect(s3.scheduled.map((r) => `${r.requestId}:${r.numTokens}@${r.positionStart}`)).toEqual(['a:1@4']);
    sched.update(s2, new Map([['a', [41]]]));
    const s4 = sched.schedule(); // 2 outputs + 1 pending = maxTokens: nothing more to run
    expect(s4.scheduled).toEqual([]);
    sched.update(s3, new Map([['a', [42]]]));
    expect(sched.getRequest('a')).toMatchObject({ finishReason: 'length', numPlaceholders: 0 });
    expect(sched.getRequest('a')!.outputTokenIds).toEqual([40, 41, 42]);
  });
});
