/** Scheduler loops: schedule -> fake tokens -> update, with the arithmetic of each step in comments. */
import { describe, expect, it } from 'vitest';
import { fakeTokens, makeScheduler, prompt, rows, step } from './helpers';

const spec = (id: string, n: number, maxTokens = 4, base = 1, extra: object = {}) => ({
  requestId: id,
  tenant: 't',
  model: 'm',
  promptTokenIds: prompt(n, base),
  maxTokens,
  ...extra,
});

describe('budget, chunked prefill, decode-first', () => {
  it('splits the token budget between decodes and prefill chunks', () => {
    const { sched, clock } = makeScheduler(64, 16, { maxNumBatchedTokens: 64 });
    sched.addRequest(spec('a', 40, 3, 1));
    sched.addRequest(spec('b', 40, 3, 500));
    // step 1: budget 64 - 40 prefill a = 24 left -> b gets a 24-token chunk.
    let o = step(sched, clock);
    expect(rows(o)).toEqual(['a:40@0', 'b:24@0']);
    expect(o.scheduled.map((r) => r.numSamples)).toEqual([1, 0]);
    expect(o.record.numBudgetLeft).toBe(0);
    // step 2: decode-first: a 1 decode, then b's remaining 40 - 24 = 16; 64 - 1 - 16 = 47 left.
    o = step(sched, clock);
    expect(rows(o)).toEqual(['a:1@40', 'b:16@24']);
    expect(o.record.numBudgetLeft).toBe(47);
    expect(o.record.numDecodeTokens).toBe(1);
    // step 3: two decodes (a's 2nd and b's 2nd token).
    o = step(sched, clock);
    expect(rows(o)).toEqual(['a:1@41', 'b:1@40']);
    // a sampled 3 tokens (steps 1, 2, 3) = maxTokens: finished, freed.
    expect(sched.getRequest('a')!.finishReason).toBe('length');
    o = step(sched, clock);
    expect(rows(o)).toEqual(['b:1@41']);
    expect(o.finishedIds).toEqual(['a']);
    sched.checkInvariants();
  });

  it('caps prefill chunks at long_prefill_token_threshold', () => {
    const { sched, clock } = makeScheduler(64, 16, { maxNumBatchedTokens: 64, longPrefillTokenThreshold: 16 });
    sched.addRequest(spec('a', 40, 2, 1));
    sched.addRequest(spec('b', 20, 2, 500));
    // step 1: a 16 (threshold) + b 16 = 32 of 64.
    let o = step(sched, clock);
    expect(rows(o)).toEqual(['a:16@0', 'b:16@0']);
    // step 2: a 16 more (32 of 40), b its last 4 -> b samples.
    o = step(sched, clock);
    expect(rows(o)).toEqual(['a:16@16', 'b:4@16']);
    o = step(sched, clock);
    expect(rows(o)).toEqual(['a:8@32', 'b:1@20']);
  });

  it('without chunked prefill, admission stops at the first prompt that does not fit the budget', () => {
    const { sched, clock } = makeScheduler(64, 16, { maxNumBatchedTokens: 64, enableChunkedPrefill: false, maxModelLen: 64 });
    sched.addRequest(spec('a', 40, 2, 1));
    sched.addRequest(spec('b', 30, 2, 500));
    sched.addRequest(spec('c', 10, 2, 900));
    // step 1: a 40; b needs 30 > 24 left -> blocked; c (10 would fit) is not considered: FCFS head-of-line.
    const o = step(sched, clock);
    expect(rows(o)).toEqual(['a:40@0']);
    expect(o.record.decisions).toContainEqual(expect.objectContaining({ kind: 'blocked', requestId: 'b', reason: 'budget' }));
    // step 2: a decode 1; 63 left: b 30, c 10.
    expect(rows(step(sched, clock))).toEqual(['a:1@40', 'b:30@0', 'c:10@0']);
  });

  it('respects max_num_seqs', () => {
    const { sched, clock } = makeScheduler(64, 16, { maxNumSeqs: 2 });
    for (const id of ['a', 'b', 'c']) sched.addRequest(spec(id, 8, 2, id.charCodeAt(0) * 10));
    const o = step(sched, clock);
    expect(rows(o)).toEqual(['a:8@0', 'b:8@0']);
    expect(o.record.decisions.at(-1)).toMatchObject({ kind: 'blocked', requestId: 'c', reason: 'max-seqs' });
  });
});

describe('prefix caching', () => {
  it('admits a request with a cached prefix and computes only the rest', () => {
    const { sched, clock } = makeScheduler(64, 16, {});
    sched.addRequest(spec('a', 40, 1, 1));
    step(sched, clock); // a: 40 tokens, pages 1-2 full and cached; a finishes (maxTokens 1)
    sched.addRequest(spec('b', 40, 1, 1));
    // b: 32 tokens from the cache (2 pages), 40 - 32 = 8 computed.
    const o = step(sched, clock);
    expect(rows(o)).toEqual(['b:8@32']);
    expect(o.record.decisions).toContainEqual(expect.objectContaining({ kind: 'admitted', requestId: 'b', numPrefixHitTokens: 32 }));
    const s = sched.allocator('m').prefixStats;
    expect(s).toMatchObject({ numQueries: 2, numHitQueries: 1, numQueryTokens: 80, numHitTokens: 32 });
  });

  it('with prefix caching off nothing is shared', () => {
    const { sched, clock } = makeScheduler(64, 16, { enablePrefixCaching: false });
    sched.addRequest(spec('a', 40, 1, 1));
    step(sched, clock);
    sched.addRequest(spec('b', 40, 1, 1));
    expect(rows(step(sched, clock))).toEqual(['b:40@0']);
  });
});

describe('preemption', () => {
  it('recompute: the last admitted is preempted to the front of the queue and resumes with its cached prefix', () => {
    // 6 usable pages of 16 tokens. a, b: 30-token prompts = 2 pages each; 4 used, 2 free.
    const { sched, clock, pool } = makeScheduler(7, 16, { maxModelLen: 96 });
    sched.addRequest(spec('a', 30, 40, 1));
    sched.addRequest(spec('b', 30, 40, 500));
    step(sched, clock); // a 30, b 30 -> both sample their 1st token
    // Decode until both need a 3rd page at token 33: 30 + 3 = 33 tokens -> page 3. Steps 2, 3 decode positions 30, 31.
    step(sched, clock);
    step(sched, clock);
    expect(pool.numFreePages()).toBe(2);
    // step 4: positions 32: a takes page 5, b takes page 6. 0 free.
    step(sched, clock);
    expect(pool.numFreePages()).toBe(0);
    // Decode until position 48 needs a 4th page: 15 more steps each fit in the 3rd page.
    for (let i = 0; i < 15; i++) step(sched, clock);
    // Now a needs a page: none free -> victim = last admitted = b (recompute, to the front of the queue).
    const o = step(sched, clock);
    expect(o.preempted).toEqual(['b']);
    expect(o.record.decisions).toContainEqual(
      expect.objectContaining({ kind: 'preempted', requestId: 'b', mode: 'recompute', reason: 'pages', forRequestId: 'a', numPagesFreed: 3 }),
    );
    expect(rows(o)).toEqual(['a:1@48']);
    expect(sched.getRequest('b')!.state).toBe('preempted');
    expect(sched.waiting('m').map((r) => r.requestId)).toEqual(['b']);
    sched.checkInvariants();
    // Run to the end: b comes back (its first 2 full pages may still be cached), everything finishes.
    for (let i = 0; i < 200 && sched.hasUnfinishedRequests(); i++) {
      step(sched, clock);
      sched.checkInvariants();
    }
    expect(sched.getRequest('a')!.numOutputTokens).toBe(40);
    expect(sched.getRequest('b')!.numOutputTokens).toBe(40);
    expect(sched.getRequest('b')!.numPreemptions).toBeGreaterThanOrEqual(1);
    expect(pool.numUsedPages).toBe(0);
  });

  it('swap: pages go to host and come back; falls back to recompute without host space', () => {
    const { sched, clock, pool } = makeScheduler(5, 16, { maxModelLen: 64, preemptionMode: 'swap', numHostSwapPages: 8 });
    // 4 usable pages; a, b: 31-token prompts, 2 pages each. At position 32 a needs a 3rd page.
    sched.addRequest(spec('a', 31, 10, 1));
    sched.addRequest(spec('b', 31, 10, 500));
    step(sched, clock); // a 31, b 31 -> pages 1,2 and 3,4
    const o = step(sched, clock); // a writes position 31 (page 2), b position 31 (page 4): fits
    expect(rows(o)).toEqual(['a:1@31', 'b:1@31']);
    const o3 = sched.schedule(); // a needs page for position 32 -> b swapped out: b holds 32 computed tokens = 2 pages
    expect(o3.swapOut).toEqual([{ page: 3, hostSlot: 0 }, { page: 4, hostSlot: 1 }]);
    expect(o3.record.decisions).toContainEqual(expect.objectContaining({ kind: 'preempted', requestId: 'b', mode: 'swap' }));
    sched.update(o3, fakeTokens(o3));
    expect(sched.swapSpace.numFreeSlots).toBe(6);
    for (let i = 0; i < 100 && sched.hasUnfinishedRequests(); i++) {
      const s = step(sched, clock);
      if (s.swapIn.length > 0) expect(s.swapIn.map((x) => x.hostSlot)).toEqual([0, 1]);
      sched.checkInvariants();
    }
    expect(sched.stats.numSwapPreemptions).toBeGreaterThanOrEqual(1);
    expect(sched.getRequest('b')!.numOutputTokens).toBe(10);
    expect(pool.numUsedPages).toBe(0);
    expect(sched.swapSpace.numFreeSlots).toBe(8);

    const x = makeScheduler(5, 16, { maxModelLen: 64, preemptionMode: 'swap', numHostSwapPages: 0 });
    x.sched.addRequest(spec('a', 31, 10, 1));
    x.sched.addRequest(spec('b', 31, 10, 500));
    step(x.sched, x.clock);
    step(x.sched, x.clock);
    const y = x.sched.schedule();
    expect(y.record.decisions).toContainEqual(expect.objectContaining({ kind: 'preempted', requestId: 'b', mode: 'recompute', swapFellBack: true }));
  });
});

describe('n > 1 samples and gangs', () => {
  it('prefills once, forks n samples sharing pages, copies the shared partial page on first write', () => {
    const { sched, clock, pool } = makeScheduler(17, 16, {});
    sched.addRequest({ ...spec('p', 20, 3, 1), n: 3 });
    // step 1: prompt 20 tokens = pages 1, 2 (page 2 partial: 4 tokens); 2 pages reserved for the 2 extra samples.
    let o = sched.schedule();
    expect(rows(o)).toEqual(['p:20@0']);
    expect(o.scheduled[0]!.numSamples).toBe(3);
    expect(pool.numUsedPages).toBe(4);
    sched.update(o, new Map([['p', [7, 8, 9]]]));
    expect(o.scheduled[0]!.blockTable).toEqual([1, 2]);
    expect(sched.running('m').map((r) => `${r.requestId}:${r.outputTokenIds.join(',')}`)).toEqual(['p:7', 'p#1:8', 'p#2:9']);
    expect(pool.refCountOf(1)).toBe(3);
    // step 2: each sample writes position 20 into shared page 2: p and p#1 copy it (into reserved pages), p#2 is then alone.
    o = sched.schedule();
    expect(rows(o)).toEqual(['p:1@20', 'p#1:1@20', 'p#2:1@20']);
    expect(o.pagesToCopy).toHaveLength(2);
    expect(o.pagesToCopy.every((c) => c.src === 2)).toBe(true);
    expect(pool.refCountOf(2)).toBe(1);
    sched.update(o, fakeTokens(o));
    sched.checkInvariants();
    for (let i = 0; i < 5; i++) step(sched, clock);
    expect(['p', 'p#1', 'p#2'].map((id) => sched.getRequest(id)!.finishReason)).toEqual(['length', 'length', 'length']);
    expect(pool.numUsedPages).toBe(0);
  });

  it('admits a tagged gang all together or not at all, and requeues it after the timeout', () => {
    // 8 usable pages. x0 holds 4 (60 tokens). g1, g2: 40 tokens = 3 pages each: the gang needs 6 > 4 free.
    const { sched, clock } = makeScheduler(9, 16, { maxModelLen: 128, maxNumBatchedTokens: 128, gangTimeoutSteps: 2, gangBackoffSteps: 3 });
    sched.addRequest(spec('x0', 60, 50, 900));
    step(sched, clock);
    sched.addRequest({ ...spec('g1', 40, 2, 1), gang: { id: 'G', size: 2 } });
    let o = step(sched, clock);
    expect(o.record.decisions).toContainEqual(expect.objectContaining({ kind: 'blocked', reason: 'gang-incomplete' }));
    sched.addRequest({ ...spec('g2', 40, 2, 100), gang: { id: 'G', size: 2 } });
    sched.addRequest(spec('x', 10, 2, 300));
    // Steps 3, 4: the gang is blocked at the head; x (1 page would fit) waits behind it: admission stops.
    o = step(sched, clock);
    expect(rows(o)).toEqual(['x0:1@61']);
    expect(o.record.decisions).toContainEqual(expect.objectContaining({ kind: 'blocked', requestId: 'g1', reason: 'gang-pages' }));
    o = step(sched, clock);
    expect(rows(o)).toEqual(['x0:1@62']);
    // Step 5: waited 2 steps = timeout: requeued to the back with a 3-step backoff; x is admitted.
    o = step(sched, clock);
    expect(o.record.decisions).toContainEqual(
      expect.objectContaining({ kind: 'gang-requeued', gangId: 'G', requestIds: ['g1', 'g2'], reason: 'gang-pages', numWaitedSteps: 2 }),
    );
    expect(rows(o)).toEqual(['x0:1@63', 'x:10@0']);
    expect(sched.stats.numGangRequeues).toBe(1);
    // A gang that cannot fit even an empty pool is rejected with the reason.
    sched.addRequest({ ...spec('h1', 70, 2, 1), gang: { id: 'H', size: 2 } });
    sched.addRequest({ ...spec('h2', 70, 2, 1), gang: { id: 'H', size: 2 } });
    for (let i = 0; i < 60 && sched.hasUnfinishedRequests(); i++) step(sched, clock);
    expect(sched.getRequest('h1')).toMatchObject({ finishReason: 'rejected', finishDetail: 'gang needs 10 pages at once for tenant "t"; it can hold at most 8' });
    expect(sched.getRequest('g1')!.finishReason).toBe('length');
  });

  it('admits a fitting gang in one step', () => {
    const { sched, clock, pool } = makeScheduler(17, 16, { maxNumBatchedTokens: 32 });
    sched.addRequest({ ...spec('g1', 20, 2, 1), gang: { id: 'G', size: 2 } });
    sched.addRequest({ ...spec('g2', 20, 2, 100), gang: { id: 'G', size: 2 } });
    // budget 32: g1 20, g2 12 (chunk) -- but both are admitted with pages for their full prompts (2 + 2).
    const o = step(sched, clock);
    expect(rows(o)).toEqual(['g1:20@0', 'g2:12@0']);
    expect(o.record.decisions).toContainEqual({ kind: 'gang-admitted', gangId: 'G', requestIds: ['g1', 'g2'] });
    expect(pool.numUsedPages).toBe(4);
  });
});

describe('finishing', () => {
  it('stops on a stop token, at maxTokens and at max_model_len', () => {
    const { sched, clock } = makeScheduler(32, 16, { maxModelLen: 24 });
    sched.addRequest(spec('stop', 8, 10, 1, { sampling: { stopTokenIds: [1002] } }));
    sched.addRequest(spec('len', 20, 100, 100));
    for (let i = 0; i < 10; i++) step(sched, clock); // tokens are 1000 + step: step 2 samples 1002
    expect(sched.getRequest('stop')).toMatchObject({ finishReason: 'stop', finishDetail: 'stop token 1002' });
    expect(sched.getRequest('stop')!.numOutputTokens).toBe(2);
    // 20 prompt + 4 outputs = 24 = max_model_len.
    expect(sched.getRequest('len')).toMatchObject({ finishReason: 'length', finishDetail: 'max_model_len 24' });
    expect(sched.getRequest('len')!.numOutputTokens).toBe(4);
  });

  it('cancels a running request and frees its pages; metrics hooks see every finish', () => {
    const finished: string[] = [];
    const { sched, clock, pool } = makeScheduler(32, 16, { hooks: { onRequestFinished: (m) => finished.push(`${m.requestId}:${m.finishReason}`) } });
    sched.addRequest(spec('a', 20, 10, 1, { slo: { ttftMs: 5 } }));
    step(sched, clock);
    expect(sched.abortRequest('a')).toBe(true);
    expect(sched.abortRequest('a')).toBe(false);
    expect(pool.numUsedPages).toBe(0);
    sched.addRequest(spec('b', 20, 3, 1, { arrivalTime: clock.now }));
    for (let i = 0; i < 4; i++) step(sched, clock);
    expect(finished).toEqual(['a:cancelled', 'b:length']);
    const t = sched.metricsByTenant()[0]!;
    expect(t).toMatchObject({ numFinished: 1, numCancelled: 1, numOutputTokens: 4 });
  });

  it('reports TTFT, TPOT, ITL, queue time and E2E from the clock', () => {
    let m: import('../../../src/scheduler/index').RequestMetrics | null = null;
    const { sched, clock } = makeScheduler(32, 16, { hooks: { onRequestFinished: (x) => (m = x) } });
    sched.addRequest(spec('a', 20, 3, 1, { arrivalTime: 0, slo: { ttftMs: 2, tpotMs: 1 } }));
    clock.now = 2; // the first schedule is at t = 2
    for (let i = 0; i < 3; i++) step(sched, clock); // tokens at t = 3, 4, 5
    expect(m).toMatchObject({ queueTimeMs: 2, ttftMs: 3, tpotMs: 1, itlMs: [1, 1], e2eMs: 5, metSlo: false });
  });
});
