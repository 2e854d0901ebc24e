import { describe, expect, it } from 'vitest';
import { WorkloadDriver, generateWorkload, type GeneratedRequest } from '../../../src/workload/index';

function reqs(times: number[]): GeneratedRequest[] {
  return times.map((t, i) => ({
    requestId: `r${i}`,
    arrivalTimeS: t,
    tenant: 't',
    model: 'm',
    promptTokenIds: [1, 2],
    maxTokens: 4,
    n: 1,
    sampling: { temperature: 1, topP: 1, topK: 0, seed: i },
    priority: 0,
    sharedPrefix: null,
  }));
}
const ids = (rs: GeneratedRequest[]) => rs.map((r) => r.requestId);

describe('WorkloadDriver', () => {
  it('open loop: releases each request at its scheduled time, whenever polled', () => {
    const d = new WorkloadDriver(reqs([0, 0.5, 0.5, 2]));
    expect(d.nextArrivalTimeS()).toBe(0);
    expect(ids(d.nextArrivals(0.4))).toEqual(['r0']);
    expect(d.nextArrivalTimeS()).toBe(0.5);
    const late = d.nextArrivals(1.9); // polled late: arrival times are still the scheduled ones
    expect(late.map((r) => r.arrivalTimeS)).toEqual([0.5, 0.5]);
    expect(ids(d.nextArrivals(5))).toEqual(['r3']);
    expect(d.nextArrivalTimeS()).toBeNull();
    expect(d.done).toBe(false); // 4 in flight
    for (const id of ['r0', 'r1', 'r2', 'r3']) d.onFinished(id, 6);
    expect(d.done).toBe(true);
  });

  it('closed loop (infinite rate, cap 2): a new request at each finish, arrival = finish time', () => {
    const d = new WorkloadDriver(reqs([0, 0, 0, 0, 0]), { maxConcurrency: 2 });
    expect(ids(d.nextArrivals(0))).toEqual(['r0', 'r1']);
    expect(d.nextArrivalTimeS()).toBeNull(); // blocked on a finish
    expect(d.nextArrivals(10)).toEqual([]);
    d.onFinished('r1', 1.5);
    expect(d.nextArrivalTimeS()).toBe(1.5);
    const [r2] = d.nextArrivals(1.7);
    expect(r2).toMatchObject({ requestId: 'r2', arrivalTimeS: 1.5 });
    d.onFinished('r0', 2);
    d.onFinished('r2', 2.5);
    // Slots freed at 2 and 2.5, handed out in order.
    expect(d.nextArrivals(3).map((r) => [r.requestId, r.arrivalTimeS])).toEqual([['r3', 2], ['r4', 2.5]]);
    expect(d.numInFlight).toBe(2);
  });

  it('cap on an open-loop process: release = max(scheduled, slot free)', () => {
    const d = new WorkloadDriver(reqs([0, 1, 5]), { maxConcurrency: 1 });
    expect(ids(d.nextArrivals(0))).toEqual(['r0']);
    d.onFinished('r0', 3); // r1 was due at 1, waited for the slot until 3
    d.nextArrivals(3);
    d.onFinished('r1', 4); // r2 is due at 5 > 4: goes out at 5
    expect(d.nextArrivalTimeS()).toBe(5);
    expect(d.nextArrivals(4.9)).toEqual([]);
    expect(d.nextArrivals(5)[0]!.arrivalTimeS).toBe(5);
  });

  it('a fake engine with 1 s service time and cap 3 never has more than 3 in flight', () => {
    const d = new WorkloadDriver(generateWorkload({ seed: 1, numRequests: 9, arrival: { kind: 'infinite' }, promptLength: { kind: 'fixed', value: 4 }, outputLength: { kind: 'fixed', value: 4 }, vocabSize: 100 }), { maxConcurrency: 3 });
    const running = new Map<string, number>(); // id -> finish time
    const arrivals: number[] = [];
    let now = 0;
    while (!d.done) {
      for (const r of d.nextArrivals(now)) {
        arrivals.push(r.arrivalTimeS);
        running.set(r.requestId, now + 1);
      }
      expect(running.size).toBeLessThanOrEqual(3);
      const next = Math.min(...running.values(), d.nextArrivalTimeS() ?? Infinity);
      now = next;
      for (const [id, t] of running) if (t <= now) (running.delete(id), d.onFinished(id, t));
    }
    expect(arrivals).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
  });

  it('rejects bad input and misuse', () => {
    expect(() => new WorkloadDriver(reqs([0, 0]).map((r) => ({ ...r, requestId: 'x' })))).toThrow(/duplicate/);
    expect(() => new WorkloadDriver(reqs([0]), { maxConcurrency: 0 })).toThrow(/maxConcurrency/);
    expect(() => new WorkloadDriver(reqs([-1]))).toThrow(/arrival/);
    const d = new WorkloadDriver(reqs([0]));
    expect(() => d.onFinished('r0', 0)).toThrow(/never released/);
    d.nextArrivals(0);
    d.onFinished('r0', 1);
    expect(() => d.onFinished('r0', 1)).toThrow(/finished twice/);
  });
});
