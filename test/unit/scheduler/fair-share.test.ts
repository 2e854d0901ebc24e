/**
 * Fair-share stalls: a tenant whose granted step scheduled nothing is passed over until something is
 * released. These loops once livelocked (found by scanning 12,000 seeded workloads): with a one-step
 * pass-over, two blocked tenants alternated forever while the tenant holding the slots never ran.
 */
import { describe, expect, it } from 'vitest';
import { makeScheduler, prompt, rows, step } from './helpers';

const spec = (id: string, tenant: string, n: number, maxTokens: number, base: number) => ({ requestId: id, tenant, model: 'm', promptTokenIds: prompt(n, base), maxTokens });

describe('fair-share stalls', () => {
  it('passes blocked tenants over until the slots they wait for are released', () => {
    // 16 usable pages; max_num_seqs 2. T2 (weight 1) holds both slots with 4 pages: page share 4/16 = 0.25.
    const { sched, clock } = makeScheduler(17, 16, {
      sharingPolicy: 'fair-share',
      maxNumSeqs: 2,
      maxModelLen: 64,
      tenants: [
        { id: 'T0', weight: 3, quotaPages: 5 },
        { id: 'T1', weight: 3, quotaPages: 5 },
        { id: 'T2', weight: 1, quotaPages: 6 },
      ],
    });
    sched.addRequest(spec('t2a', 'T2', 20, 8, 1));
    sched.addRequest(spec('t2b', 'T2', 20, 8, 100));
    // step 1: only T2 has work: both prompts (40 tokens), one token each.
    expect(rows(step(sched, clock))).toEqual(['t2a:20@0', 't2b:20@0']);
    sched.addRequest(spec('r0', 'T0', 8, 2, 200));
    sched.addRequest(spec('r1', 'T1', 8, 2, 300));
    const granted: string[] = [];
    for (let i = 0; i < 20 && sched.hasUnfinishedRequests(); i++) {
      const o = step(sched, clock);
      granted.push(`${o.record.tenantFilter![0]}${o.scheduled.length === 0 ? '(stalled)' : ''}`);
    }
    // step 2: T0 (share 0 < T2's 0.25) is blocked by max_num_seqs: stalled. step 3: T1 likewise. steps 4-10:
    // T2 decodes its 7 remaining tokens (8 in all) and frees the slots. step 11: T0's step share decayed
    // from 0.1 for 8 steps (0.043 / 3) is below T1's (0.048 / 3): T0, then T1.
    expect(granted.slice(0, 11)).toEqual(['T0(stalled)', 'T1(stalled)', 'T2', 'T2', 'T2', 'T2', 'T2', 'T2', 'T2', 'T0', 'T1']);
    for (const id of ['t2a', 't2b', 'r0', 'r1']) expect(sched.getRequest(id)!.finishReason).toBe('length');
  });

  it('when every tenant with work is stalled, the one stalled longest gets the step (and its other session)', () => {
    // T1's n = 3 request fills max_num_seqs on model m; T1's request on model n is over T1's page limit
    // (quota 4 + borrow 0); T0 (weight 3) waits on m behind max_num_seqs. With both stalled and no release,
    // the lowest share (T0) would take every step; the rotation gives T1 its step on m, where it can run.
    const { sched, clock } = makeScheduler(11, 16, {
      sharingPolicy: 'fair-share',
      maxNumSeqs: 3,
      sessions: [
        { id: 'm', layout: { numLayers: 1, numKvHeads: 1, headDim: 4, elementBytes: 2 }, maxModelLen: 64 },
        { id: 'n', layout: { numLayers: 1, numKvHeads: 1, headDim: 4, elementBytes: 2 }, maxModelLen: 64 },
      ],
      tenants: [
        { id: 'T0', weight: 3, quotaPages: 5, borrowLimitPages: 0 },
        { id: 'T1', weight: 1, quotaPages: 4, borrowLimitPages: 0 },
      ],
    });
    sched.addRequest({ ...spec('p', 'T1', 20, 12, 1), n: 3 });
    // step 1: T1 alone: p's prompt (2 pages) + 2 reserved fork pages = 4 pages = T1's limit.
    expect(rows(step(sched, clock))).toEqual(['p:20@0']);
    sched.addRequest({ ...spec('q', 'T1', 20, 2, 500), model: 'n' });
    sched.addRequest(spec('r', 'T0', 8, 2, 900));
    for (let i = 0; i < 60 && sched.hasUnfinishedRequests(); i++) step(sched, clock);
    for (const id of ['p', 'p#1', 'p#2', 'q', 'r']) expect(sched.getRequest(id)!.finishReason).toBe('length');
  });
});
