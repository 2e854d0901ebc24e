/** Queue, victim and sharing policies, and bad input. */
import { describe, expect, it } from 'vitest';
import { ConfigError, PagePool } from '../../../src/kv/index';
import { Scheduler, createQueuePolicy, createSharingPolicy, createVictimPolicy } from '../../../src/scheduler/index';
import { BYTES_PER_TOKEN, TINY_LAYOUT, makeScheduler, prompt, rows, step } from './helpers';

const spec = (id: string, tenant: string, n: number, maxTokens = 4, base = 1, extra: object = {}) => ({
  requestId: id,
  tenant,
  model: 'm',
  promptTokenIds: prompt(n, base),
  maxTokens,
  ...extra,
});

describe('queue policies', () => {
  it('priority: lower value first, arrival breaks ties', () => {
    const { sched, clock } = makeScheduler(64, 16, { queuePolicy: 'priority', maxNumSeqs: 1 });
    sched.addRequest(spec('low', 't', 8, 1, 1, { priority: 5, arrivalTime: 0 }));
    sched.addRequest(spec('high-late', 't', 8, 1, 100, { priority: 1, arrivalTime: 2 }));
    sched.addRequest(spec('high-early', 't', 8, 1, 200, { priority: 1, arrivalTime: 1 }));
    const order = [step(sched, clock), step(sched, clock), step(sched, clock)].map((o) => rows(o)[0]);
    expect(order).toEqual(['high-early:8@0', 'high-late:8@0', 'low:8@0']);
  });

  it('longest-prefix: the request with the most cached tokens goes first', () => {
    const { sched, clock } = makeScheduler(64, 16, { queuePolicy: 'longest-prefix', maxNumSeqs: 1 });
    sched.addRequest(spec('warm', 't', 40, 1, 1));
    step(sched, clock); // caches 2 pages of prompt(40, 1)
    sched.addRequest(spec('cold', 't', 40, 1, 500));
    sched.addRequest(spec('hit', 't', 40, 1, 1));
    expect(rows(step(sched, clock))).toEqual(['hit:8@32']);
  });

  it('factories reject unknown names', () => {
    expect(() => createQueuePolicy('lifo' as never)).toThrow(/Unknown queue policy "lifo"/);
    expect(() => createVictimPolicy('random' as never)).toThrow(/Unknown victim policy/);
    expect(() => createSharingPolicy('mig' as never)).toThrow(/Unknown sharing policy/);
  });
});

describe('victim policies', () => {
  it('lowest-priority preempts the least important running request', () => {
    // 6 usable pages: three 30-token requests (2 pages each) fill the pool; the first to need page 3 preempts.
    const { sched, clock } = makeScheduler(7, 16, { victimPolicy: 'lowest-priority', maxModelLen: 64 });
    sched.addRequest(spec('a', 't', 30, 20, 1, { priority: 0 }));
    sched.addRequest(spec('b', 't', 30, 20, 100, { priority: 9 }));
    sched.addRequest(spec('c', 't', 30, 20, 200, { priority: 3 }));
    const preempted: string[] = [];
    for (let i = 0; i < 4; i++) preempted.push(...step(sched, clock).preempted);
    expect(preempted[0]).toBe('b');
  });
});

describe('sharing policies', () => {
  const twoModels = {
    sessions: [
      { id: 'm', layout: { ...TINY_LAYOUT }, maxModelLen: 64 },
      { id: 'n', layout: { ...TINY_LAYOUT }, maxModelLen: 64 },
    ],
  };

  it('time-slice rotates steps between sessions with work', () => {
    const { sched, clock } = makeScheduler(64, 16, { ...twoModels });
    sched.addRequest(spec('a', 't', 8, 3, 1));
    sched.addRequest({ ...spec('b', 't', 8, 3, 1), model: 'n' });
    const sessions = [1, 2, 3, 4].map(() => step(sched, clock).sessionId);
    expect(sessions).toEqual(['m', 'n', 'm', 'n']);
  });

  it('time-slice weighted follows session weights', () => {
    const { sched, clock } = makeScheduler(64, 16, {
      sessions: [
        { id: 'm', layout: { ...TINY_LAYOUT }, maxModelLen: 64, weight: 2 },
        { id: 'n', layout: { ...TINY_LAYOUT }, maxModelLen: 64, weight: 1 },
      ],
      timeSliceMode: 'weighted',
    });
    sched.addRequest(spec('a', 't', 8, 50, 1));
    sched.addRequest({ ...spec('b', 't', 8, 50, 1), model: 'n' });
    const sessions = [1, 2, 3, 4, 5, 6].map(() => step(sched, clock).sessionId);
    expect(sessions).toEqual(['m', 'n', 'm', 'm', 'n', 'm']);
  });

  it('partition: fixed page ranges, fixed step shares, idle slices, salted caches', () => {
    const { sched, clock, pool } = makeScheduler(13, 16, {
      sharingPolicy: 'partition',
      maxModelLen: 64,
      tenants: [{ id: 'A', partitionPages: 8 }, { id: 'B', partitionPages: 4 }],
    });
    expect(pool.regions).toEqual([{ name: 'A', start: 1, end: 9 }, { name: 'B', start: 9, end: 13 }]);
    // Only A has work: B's slices are idle steps (no borrowing).
    sched.addRequest(spec('a1', 'A', 40, 30, 1));
    sched.addRequest(spec('a2', 'A', 40, 30, 100));
    const o1 = step(sched, clock);
    const o2 = step(sched, clock);
    expect([o1.sessionId, o2.sessionId]).toEqual(['m', null]);
    expect(o2.record.grantReason).toMatch(/tenant "B" unused/);
    for (const p of [...sched.allocator('m').blockTable('a1'), ...sched.allocator('m').blockTable('a2')]) expect(p).toBeLessThan(9);
    // B's identical prompt does not hit A's cached pages (salted per tenant).
    sched.addRequest(spec('b1', 'B', 40, 2, 1));
    let sawB = false;
    for (let i = 0; i < 6; i++) {
      const o = step(sched, clock);
      for (const r of o.scheduled) if (r.requestId === 'b1' && r.positionStart === 0) sawB = true;
      sched.checkInvariants();
    }
    expect(sawB).toBe(true);
    expect(sched.getRequest('b1')!.numPrefixHitTokens).toBe(0);
    expect(() => makeScheduler(13, 16, { sharingPolicy: 'partition', maxModelLen: 64, tenants: [{ id: 'A', partitionPages: 10 }, { id: 'B', partitionPages: 4 }] })).toThrow(
      /Partitions sum to 14 pages; the pool has 12/,
    );
  });

  it('fair-share: a borrower is preempted when the lender needs its quota back', () => {
    // 8 usable pages, quota 4 each. B borrows: 3 requests x 2 pages = 6 pages (2 over quota).
    const { sched, clock } = makeScheduler(9, 16, {
      sharingPolicy: 'fair-share',
      maxModelLen: 64,
      maxNumBatchedTokens: 128,
      tenants: [{ id: 'A', quotaPages: 4 }, { id: 'B', quotaPages: 4 }],
    });
    for (const id of ['b1', 'b2', 'b3']) sched.addRequest(spec(id, 'B', 30, 20, id.charCodeAt(1) * 40));
    let o = step(sched, clock);
    expect(o.record.tenantPages).toEqual({ A: 0, B: 6 });
    expect(o.record.decisions).toContainEqual({ kind: 'borrowing', tenant: 'B', numBorrowedPages: 2, quotaPages: 4 });
    // A arrives needing 3 pages (40 tokens): 2 free, A is under quota -> reclaim from borrower B.
    sched.addRequest(spec('a1', 'A', 40, 5, 1));
    const decisions = [];
    for (let i = 0; i < 4; i++) {
      o = step(sched, clock);
      decisions.push(...o.record.decisions);
      sched.checkInvariants();
    }
    expect(decisions).toContainEqual(expect.objectContaining({ kind: 'preempted', tenant: 'B', reason: 'reclaim', forRequestId: 'a1' }));
    expect(decisions).toContainEqual(expect.objectContaining({ kind: 'reclaimed', fromTenant: 'B', forTenant: 'A' }));
    expect(decisions).toContainEqual(expect.objectContaining({ kind: 'admitted', requestId: 'a1' }));
  });

  it('priority: a more important tenant preempts a less important one at admission', () => {
    const { sched, clock } = makeScheduler(7, 16, {
      sharingPolicy: 'priority',
      maxModelLen: 64,
      maxNumBatchedTokens: 128,
      tenants: [{ id: 'gold', priority: 0 }, { id: 'free', priority: 5 }],
    });
    for (const id of ['f1', 'f2', 'f3']) sched.addRequest(spec(id, 'free', 30, 20, id.charCodeAt(1) * 40));
    step(sched, clock); // 6 pages used by 'free'
    sched.addRequest(spec('g1', 'gold', 30, 2, 1));
    const o = step(sched, clock);
    expect(o.record.decisions).toContainEqual(expect.objectContaining({ kind: 'preempted', tenant: 'free', reason: 'priority', forRequestId: 'g1' }));
    expect(rows(o)).toContain('g1:30@0');
  });
});

describe('bad input', () => {
  it('rejects requests with a reason and affects nothing else', () => {
    const { sched, clock, pool } = makeScheduler(17, 16, { maxModelLen: 64 });
    sched.addRequest(spec('ok', 't', 8, 2, 1));
    const bad = [
      sched.addRequest({ ...spec('m?', 't', 8), model: 'gpt-9' }),
      sched.addRequest(spec('t?', 'nobody', 8)),
      sched.addRequest(spec('long', 't', 64)),
      sched.addRequest(spec('empty', 't', 0)),
      sched.addRequest(spec('zero', 't', 8, 0)),
      sched.addRequest({ ...spec('n0', 't', 8), n: 0 }),
    ];
    expect(bad.map((r) => [r.state, r.finishReason])).toEqual(Array(6).fill(['finished', 'rejected']));
    expect(bad.map((r) => r.finishDetail)).toEqual([
      'unknown model "gpt-9"; loaded: m',
      'unknown tenant "nobody"; known: t',
      'prompt of 64 tokens leaves no room for output: max_model_len of "m" is 64',
      'empty prompt',
      'maxTokens must be a positive integer, got 0',
      'n must be a positive integer, got 0',
    ]);
    expect(() => sched.addRequest(spec('ok', 't', 8))).toThrow(/already submitted/);
    const o = step(sched, clock);
    expect(rows(o)).toEqual(['ok:8@0']);
    expect(o.finishedIds).toEqual(['m?', 't?', 'long', 'empty', 'zero', 'n0']);
    expect(o.record.decisions.filter((d) => d.kind === 'rejected')).toHaveLength(6);
    step(sched, clock);
    expect(sched.getRequest('ok')!.finishReason).toBe('length');
    expect(pool.numUsedPages).toBe(0);
  });

  it('rejects configs that can never work, with clear messages', () => {
    const pool = new PagePool({ numPages: 9, pageBytes: 16 * BYTES_PER_TOKEN });
    const base = { sessions: [{ id: 'm', layout: { ...TINY_LAYOUT }, maxModelLen: 64 }], tenants: [{ id: 't' }], maxNumBatchedTokens: 64, maxNumSeqs: 4 };
    expect(() => new Scheduler(pool, { ...base, maxNumBatchedTokens: 0 })).toThrow(/maxNumBatchedTokens must be a positive integer, got 0/);
    expect(() => new Scheduler(pool, { ...base, maxNumSeqs: -1 })).toThrow(ConfigError);
    expect(() => new Scheduler(pool, { ...base, tenants: [] })).toThrow(/At least one tenant/);
    expect(() => new Scheduler(pool, { ...base, sessions: [{ id: 'm', layout: { ...TINY_LAYOUT }, maxModelLen: 1024 }] })).toThrow(
      /max_model_len 1024 needs 64 pages of 16 tokens; the pool has 8 usable pages/,
    );
    expect(() => new Scheduler(pool, { ...base, sessions: [{ id: 'big', layout: { ...TINY_LAYOUT, numLayers: 32 }, maxModelLen: 64 }] })).toThrow(
      /"big" needs 512 bytes per token.*more than one page of 256 bytes/,
    );
    expect(() => new Scheduler(pool, { ...base, enableChunkedPrefill: false, maxNumBatchedTokens: 32 })).toThrow(/Chunked prefill is off/);
    expect(() => new Scheduler(pool, { ...base, sharingPolicy: 'fair-share', tenants: [{ id: 'a', quotaPages: 5 }, { id: 'b', quotaPages: 5 }] })).toThrow(
      /quotas sum to 10 pages; the pool has 8/,
    );
  });
});
