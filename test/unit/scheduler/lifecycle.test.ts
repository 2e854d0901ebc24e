/**
 * What the engine calls between steps: device loss (`preemptAll`), unloading a model (`removeSession`),
 * and the arrival timeout of incomplete gangs. Loops of schedule -> fake tokens -> update, arithmetic in comments.
 */
import { describe, expect, it } from 'vitest';
import { fakeTokens, makeScheduler, prompt, rows, step, TINY_LAYOUT } from './helpers';

const spec = (id: string, n: number, maxTokens: number, base: number, extra: object = {}) => ({
  requestId: id,
  tenant: 't',
  model: 'm',
  promptTokenIds: prompt(n, base),
  maxTokens,
  ...extra,
});

const twoModels = [
  { id: 'm', layout: { ...TINY_LAYOUT }, maxModelLen: 64 },
  { id: 'n', layout: { ...TINY_LAYOUT }, maxModelLen: 64 },
];

describe('preemptAll (device loss)', () => {
  it('requeues every running request to the front in arrival order; they recompute and all finish', () => {
    // 32 usable pages of 16 tokens; max_num_seqs 2 keeps c waiting.
    const preempted: string[] = [];
    const { sched, clock, pool } = makeScheduler(33, 16, { maxNumSeqs: 2, hooks: { onPreempted: (r, mode, reason) => preempted.push(`${r.requestId}:${mode}:${reason}`) } });
    sched.addRequest(spec('a', 20, 6, 1));
    sched.addRequest(spec('b', 20, 6, 100));
    sched.addRequest(spec('c', 20, 6, 200));
    // step 1: a 20 + b 20 = 40 of 64; c blocked by max_num_seqs. step 2: one decode each (22 tokens now).
    expect(rows(step(sched, clock))).toEqual(['a:20@0', 'b:20@0']);
    expect(rows(step(sched, clock))).toEqual(['a:1@20', 'b:1@20']);
    // a and b hold 2 pages each; page 1 of each (tokens 0-15) is full and cached.
    expect(pool.numUsedPages).toBe(4);
    expect(pool.numCachedPages).toBe(2);

    expect(sched.preemptAll(null, 'GPU device lost (test)')).toEqual(['a', 'b']);
    // Every page is back and the cache is empty: the KV was on the lost device.
    expect(pool.numUsedPages).toBe(0);
    expect(pool.numCachedPages).toBe(0);
    expect(sched.running('m')).toEqual([]);
    expect(sched.getRequest('a')).toMatchObject({ state: 'preempted', numComputedTokens: 0, numPreemptions: 1 });
    expect(sched.stats).toMatchObject({ numPreemptions: 2, numRecomputePreemptions: 2 });
    expect(preempted).toEqual(['a:recompute:device-lost', 'b:recompute:device-lost']);
    sched.checkInvariants();

    // step 3: a and b are back in front of c and recompute all 22 tokens (20 prompt + 2 outputs): no prefix hit.
    const o = step(sched, clock);
    expect(rows(o)).toEqual(['a:22@0', 'b:22@0']);
    expect(o.record.decisions.filter((d) => d.kind === 'preempted')).toEqual([
      { kind: 'preempted', requestId: 'a', tenant: 't', session: 'm', mode: 'recompute', reason: 'device-lost', forRequestId: null, numPagesFreed: 2, swapFellBack: false, detail: 'GPU device lost (test)' },
      { kind: 'preempted', requestId: 'b', tenant: 't', session: 'm', mode: 'recompute', reason: 'device-lost', forRequestId: null, numPagesFreed: 2, swapFellBack: false, detail: 'GPU device lost (test)' },
    ]);
    expect(sched.getRequest('a')!.numPrefixHitTokens).toBe(0);
    for (let i = 0; i < 40 && sched.hasUnfinishedRequests(); i++) {
      step(sched, clock);
      sched.checkInvariants();
    }
    for (const id of ['a', 'b', 'c']) expect(sched.getRequest(id)).toMatchObject({ finishReason: 'length', numOutputTokens: 6 });
    expect(pool.numUsedPages).toBe(0);
  });

  it('of one session: the output in flight goes stale, other sessions keep their requests and cached pages', () => {
    const { sched, clock, pool } = makeScheduler(33, 16, { sessions: twoModels });
    sched.addRequest(spec('a', 20, 5, 1));
    sched.addRequest({ ...spec('x', 20, 5, 300), model: 'n' });
    // Time slices alternate: step 1 m (a 20), step 2 n (x 20).
    expect(step(sched, clock).sessionId).toBe('m');
    expect(step(sched, clock).sessionId).toBe('n');
    const o3 = sched.schedule(); // m: a decodes position 20
    expect(rows(o3)).toEqual(['a:1@20']);
    // The device goes while step 3 runs: the engine never gets its tokens.
    expect(sched.preemptAll('m')).toEqual(['a']);
    // An update with that output changes nothing: a is no longer running.
    expect(sched.update(o3, fakeTokens(o3)).numNewTokens).toBe(0);
    expect(sched.getRequest('a')!.numOutputTokens).toBe(1);
    // x keeps its 2 pages and its cached page 1; a's cached page was dropped.
    expect(sched.getRequest('x')!.state).toBe('running');
    expect(pool.numUsedPages).toBe(2);
    expect(pool.numCachedPages).toBe(1);
    expect(() => sched.preemptAll('gpt-9')).toThrow(/Unknown session "gpt-9"/);
    // step 4 is n's slice (x decodes position 20), step 5 m's: a recomputes its 21 tokens (20 + 1 output).
    expect(rows(step(sched, clock))).toEqual(['x:1@20']);
    expect(rows(step(sched, clock))).toEqual(['a:21@0']);
    for (let i = 0; i < 30 && sched.hasUnfinishedRequests(); i++) step(sched, clock);
    expect(sched.getRequest('a')).toMatchObject({ finishReason: 'length', numOutputTokens: 5 });
    expect(sched.getRequest('x')).toMatchObject({ finishReason: 'length', numOutputTokens: 5 });
  });

  it('drops host copies of swapped-out waiting requests: they recompute instead of swapping in', () => {
    // 4 usable pages; a, b: 31-token prompts (2 pages each). At position 32, a needs a 3rd page: b swaps out.
    const { sched, clock, pool } = makeScheduler(5, 16, { maxModelLen: 64, preemptionMode: 'swap', numHostSwapPages: 8 });
    sched.addRequest(spec('a', 31, 10, 1));
    sched.addRequest(spec('b', 31, 10, 500));
    step(sched, clock);
    step(sched, clock);
    const o3 = sched.schedule();
    expect(o3.swapOut).toEqual([{ page: 3, hostSlot: 0 }, { page: 4, hostSlot: 1 }]);
    sched.update(o3, fakeTokens(o3));
    expect(sched.allocator('m').isSwapped('b')).toBe(true);
    expect(sched.swapSpace.numFreeSlots).toBe(6);

    expect(sched.preemptAll()).toEqual(['a']);
    expect(sched.allocator('m').isSwapped('b')).toBe(false);
    expect(sched.getRequest('b')!.numComputedTokens).toBe(0);
    expect(sched.swapSpace.numFreeSlots).toBe(8);
    // b's next admission recomputes from position 0 with nothing swapped in (later swaps may come: pages
    // stay short), and both finish.
    let firstB: string | null = null;
    for (let i = 0; i < 100 && sched.hasUnfinishedRequests(); i++) {
      const o = step(sched, clock);
      const row = o.scheduled.find((r) => r.requestId === 'b');
      if (row && firstB === null) firstB = `${row.positionStart} swapIn=${o.swapIn.length}`;
      sched.checkInvariants();
    }
    expect(firstB).toBe('0 swapIn=0');
    expect(sched.getRequest('a')).toMatchObject({ finishReason: 'length', numOutputTokens: 10 });
    expect(sched.getRequest('b')).toMatchObject({ finishReason: 'length', numOutputTokens: 10 });
    expect(pool.numUsedPages).toBe(0);
    expect(sched.swapSpace.numFreeSlots).toBe(8);
  });
});

describe('removeSession (unload one model)', () => {
  it("cancels only that session's requests, drops its cached pages, and forgets it", () => {
    const { sched, clock, pool } = makeScheduler(33, 16, { sessions: twoModels });
    sched.addRequest(spec('a', 20, 10, 1));
    sched.addRequest(spec('b', 20, 10, 100));
    sched.addRequest({ ...spec('g1', 8, 2, 200), gang: { id: 'G', size: 2 } });
    sched.addRequest({ ...spec('x', 20, 3, 300), model: 'n' });
    // step 1 m: a 20, b 20 (g1 waits for its gang); step 2 n: x 20; step 3 m: a, b decode.
    expect(rows(step(sched, clock))).toEqual(['a:20@0', 'b:20@0']);
    expect(rows(step(sched, clock))).toEqual(['x:20@0']);
    expect(rows(step(sched, clock))).toEqual(['a:1@20', 'b:1@20']);
    expect(pool.numUsedPages).toBe(6);

    expect(sched.removeSession('m')).toBe(true);
    for (const id of ['a', 'b', 'g1']) expect(sched.getRequest(id)).toMatchObject({ state: 'finished', finishReason: 'cancelled', finishDetail: 'model "m" was unloaded' });
    // Only x's 2 pages stay in use, and only x's page 1 stays cached.
    expect(pool.numUsedPages).toBe(2);
    expect(pool.numCachedPages).toBe(1);
    expect(sched.removeSession('m')).toBe(false);
    expect(() => sched.allocator('m')).toThrow(/Unknown session "m"; loaded: n/);
    expect(sched.addRequest(spec('late', 8, 2, 1))).toMatchObject({ finishReason: 'rejected', finishDetail: 'unknown model "m"; loaded: n' });
    sched.checkInvariants();

    // Every step is n's now; the cancellations are in the next record.
    const o = step(sched, clock);
    expect(o.sessionId).toBe('n');
    expect(rows(o)).toEqual(['x:1@20']);
    expect(o.finishedIds).toEqual(['a', 'b', 'g1', 'late']);
    expect(o.record.decisions.filter((d) => d.kind === 'finished').map((d) => d.requestId)).toEqual(['a', 'b', 'g1']);
    step(sched, clock);
    expect(sched.getRequest('x')).toMatchObject({ finishReason: 'length', numOutputTokens: 3 });

    // Loaded again under the same id: a fresh session; a's old prefix is not in the cache, the gang stays failed.
    sched.addSession({ id: 'm', layout: { ...TINY_LAYOUT }, maxModelLen: 64 });
    sched.addRequest(spec('a2', 20, 1, 1));
    expect(sched.addRequest({ ...spec('g2', 8, 2, 250), gang: { id: 'G', size: 2 } })).toMatchObject({
      finishReason: 'rejected',
      finishDetail: 'gang "G" failed: model "m" was unloaded',
    });
    expect(rows(step(sched, clock))).toEqual(['a2:20@0']);
    expect(sched.getRequest('a2')!.numPrefixHitTokens).toBe(0);
    expect(pool.numUsedPages).toBe(0);
  });
});

describe('incomplete gangs', () => {
  it('rejects the arrived members after gangTimeoutSteps x gangArrivalTimeoutFactor steps', () => {
    // T = 2 x 3 = 6 steps. g1 arrives before step 1: the gang waits through steps 1..6 and is rejected at step 7.
    const { sched, clock } = makeScheduler(33, 16, { gangTimeoutSteps: 2, gangArrivalTimeoutFactor: 3 });
    sched.addRequest({ ...spec('g1', 8, 2, 1), gang: { id: 'G', size: 3 } });
    sched.addRequest(spec('x', 8, 20, 100));
    let o = step(sched, clock);
    expect(rows(o)).toEqual(['x:8@0']);
    expect(o.record.decisions).toContainEqual(expect.objectContaining({ kind: 'blocked', requestId: 'g1', reason: 'gang-incomplete', detail: 'gang "G": 1 of 3 members have arrived' }));
    step(sched, clock);
    sched.addRequest({ ...spec('g2', 8, 2, 200), gang: { id: 'G', size: 3 } });
    for (let s = 3; s <= 6; s++) {
      o = step(sched, clock);
      expect(o.record.decisions).toContainEqual(expect.objectContaining({ kind: 'blocked', requestId: 'g1', reason: 'gang-incomplete', detail: 'gang "G": 2 of 3 members have arrived' }));
    }
    o = step(sched, clock); // step 7
    const reason = 'gang "G": 2 of 3 members arrived within 6 steps (gangTimeoutSteps 2 x 3)';
    expect(o.step).toBe(7);
    expect(o.record.decisions.filter((d) => d.kind === 'rejected')).toEqual([
      { kind: 'rejected', requestId: 'g1', tenant: 't', reason },
      { kind: 'rejected', requestId: 'g2', tenant: 't', reason },
    ]);
    expect(o.record.decisions.some((d) => d.kind === 'blocked')).toBe(false);
    expect(o.finishedIds).toEqual(['g1', 'g2']);
    expect(sched.getRequest('g2')).toMatchObject({ finishReason: 'rejected', finishDetail: reason });
    expect(sched.stats.numRejected).toBe(2);
    // The third member, late, is rejected at once; x was never held up.
    expect(sched.addRequest({ ...spec('g3', 8, 2, 300), gang: { id: 'G', size: 3 } })).toMatchObject({ finishReason: 'rejected', finishDetail: `gang "G" failed: ${reason}` });
    expect(rows(o)).toEqual(['x:1@13']);
    sched.checkInvariants();
  });

  it('a gang whose members all arrive in time is admitted as before', () => {
    const { sched, clock } = makeScheduler(33, 16, { gangTimeoutSteps: 1, gangArrivalTimeoutFactor: 2 });
    sched.addRequest({ ...spec('g1', 8, 2, 1), gang: { id: 'G', size: 2 } });
    step(sched, clock); // step 1: 1 of 2
    sched.addRequest({ ...spec('g2', 8, 2, 100), gang: { id: 'G', size: 2 } });
    const o = step(sched, clock); // step 2 = arrival step 0 + T 2: still in time
    expect(o.record.decisions).toContainEqual({ kind: 'gang-admitted', gangId: 'G', requestIds: ['g1', 'g2'] });
  });
});

describe('request ids', () => {
  it("rejects ids with '#', reserved for forked samples", () => {
    const { sched } = makeScheduler(33, 16, {});
    expect(sched.addRequest(spec('p#1', 8, 2, 1))).toMatchObject({
      finishReason: 'rejected',
      finishDetail: `request id "p#1" contains '#', which names the samples forked from an n > 1 request (<id>#k)`,
    });
  });
});
