/**
 * Static (pre-Orca) vs continuous batching, as loops of schedule -> fake tokens -> update with the
 * arithmetic in comments. The same four requests run under both; static admits the next request only when
 * the whole batch has left.
 */
import { describe, expect, it } from 'vitest';
import type { SchedulerOutput } from '../../../src/scheduler/index';
import { makeScheduler, prompt, rows, step } from './helpers';

const spec = (id: string, n: number, maxTokens: number, base: number) => ({ requestId: id, tenant: 't', model: 'm', promptTokenIds: prompt(n, base), maxTokens });

/** a, b, c: 20-token prompts with 2, 4, 3 output tokens; d: 8 tokens, 1 output. Budget 32, max_num_seqs 3. */
function fourRequests(batching: 'static' | 'continuous') {
  const s = makeScheduler(64, 16, { maxNumSeqs: 3, maxNumBatchedTokens: 32, batching });
  s.sched.addRequest(spec('a', 20, 2, 1));
  s.sched.addRequest(spec('b', 20, 4, 100));
  s.sched.addRequest(spec('c', 20, 3, 200));
  s.sched.addRequest(spec('d', 8, 1, 300));
  return s;
}

const blocked = (o: SchedulerOutput) => o.record.decisions.filter((d) => d.kind === 'blocked').map((d) => `${d.requestId}:${d.kind === 'blocked' ? d.reason : ''}`);

describe('static batching', () => {
  it('admits a whole batch into an idle session, chunks its prefill by the budget, and admits nothing more until it has finished', () => {
    const { sched, clock, pool } = fourRequests('static');
    // step 1 (idle session: a batch forms): a 20 (32 - 20 = 12 left), b a 12-token chunk (0 left), c admitted
    // with 0 tokens (pages for its 20 prompt tokens reserved), d blocked: 3 running = max_num_seqs.
    let o = step(sched, clock);
    expect(rows(o)).toEqual(['a:20@0', 'b:12@0']);
    expect(o.record.decisions.filter((d) => d.kind === 'admitted').map((d) => (d.kind === 'admitted' ? `${d.requestId}:${d.numTokens}` : ''))).toEqual(['a:20', 'b:12', 'c:0']);
    expect(blocked(o)).toEqual(['d:max-seqs']);
    expect(pool.numUsedPages).toBe(6); // 2 pages each for a, b (20 tokens reserved) and c
    // step 2: a decodes (32 - 1 = 31), b its last 8 prompt tokens (23), c its whole prompt (3 left). a has
    // its 2 tokens and finishes, but d may not join the running batch.
    o = step(sched, clock);
    expect(rows(o)).toEqual(['a:1@20', 'b:8@12', 'c:20@0']);
    expect(blocked(o)).toEqual(['d:static-batch']);
    expect(sched.getRequest('a')!.finishReason).toBe('length');
    // steps 3, 4: b and c decode; c has 3 tokens after step 4.
    expect(rows(step(sched, clock))).toEqual(['b:1@20', 'c:1@20']);
    o = step(sched, clock);
    expect(rows(o)).toEqual(['b:1@21', 'c:1@21']);
    expect(blocked(o)).toEqual(['d:static-batch']);
    // step 5: only b is left (its 4th token); d still waits.
    o = step(sched, clock);
    expect(rows(o)).toEqual(['b:1@22']);
    expect(blocked(o)).toEqual(['d:static-batch']);
    expect(o.record.decisions.find((d) => d.kind === 'blocked')).toMatchObject({ detail: 'static batching: 1 request(s) of the running batch have not finished' });
    // step 6: the batch is gone: d forms the next batch.
    expect(rows(step(sched, clock))).toEqual(['d:8@0']);
    expect(sched.getRequest('d')).toMatchObject({ finishReason: 'length', numOutputTokens: 1 });
    expect(pool.numUsedPages).toBe(0);
  });

  it('continuous batching runs the same requests in 3 steps: d takes the slot a left', () => {
    const { sched, clock } = fourRequests('continuous');
    // step 1: a 20, b 12; c blocked by the budget (admission stops at the first that does not fit).
    let o = step(sched, clock);
    expect(rows(o)).toEqual(['a:20@0', 'b:12@0']);
    expect(blocked(o)).toEqual(['c:budget']);
    // step 2: a 1 + b 8 + c 20 = 29; d blocked by max_num_seqs (a leaves only at this step's update).
    o = step(sched, clock);
    expect(rows(o)).toEqual(['a:1@20', 'b:8@12', 'c:20@0']);
    expect(blocked(o)).toEqual(['d:max-seqs']);
    // step 3: d joins at once: 1 + 1 + 8 = 10 tokens.
    expect(rows(step(sched, clock))).toEqual(['b:1@20', 'c:1@20', 'd:8@0']);
    expect(sched.getRequest('d')!.finishReason).toBe('length');
  });

  it('without chunked prefill a member whose prompt exceeds the budget left is admitted with 0 tokens and runs whole later', () => {
    const { sched, clock } = makeScheduler(64, 16, { batching: 'static', enableChunkedPrefill: false, maxNumBatchedTokens: 64, maxModelLen: 64 });
    sched.addRequest(spec('a', 40, 2, 1));
    sched.addRequest(spec('b', 30, 2, 100));
    // step 1: a 40 (24 left); b needs 30 > 24: admitted with 0 tokens (continuous would block it).
    let o = step(sched, clock);
    expect(rows(o)).toEqual(['a:40@0']);
    expect(o.record.decisions).toContainEqual(expect.objectContaining({ kind: 'admitted', requestId: 'b', numTokens: 0 }));
    // step 2: a decodes (63 left), b's whole prompt fits.
    o = step(sched, clock);
    expect(rows(o)).toEqual(['a:1@40', 'b:30@0']);
  });

  it('a member preempted during the batch rejoins with the next batch', () => {
    // 6 usable pages; a, b, c: 30-token prompts (2 pages each) fill the pool; the first to need page 3
    // preempts the last admitted (c), which waits until a and b have finished.
    const { sched, clock, pool } = makeScheduler(7, 16, { batching: 'static', maxNumBatchedTokens: 128, maxModelLen: 64 });
    sched.addRequest(spec('a', 30, 4, 1));
    sched.addRequest(spec('b', 30, 4, 100));
    sched.addRequest(spec('c', 30, 4, 200));
    expect(rows(step(sched, clock))).toEqual(['a:30@0', 'b:30@0', 'c:30@0']);
    // step 2: positions 30 fit page 2; step 3: position 31 too; step 4: a needs page 3 for position 32 -> c preempted.
    step(sched, clock);
    step(sched, clock);
    const o = step(sched, clock);
    expect(o.preempted).toEqual(['c']);
    expect(rows(o)).toEqual(['a:1@32', 'b:1@32']);
    // a and b finish at step 4 (4 tokens each); c comes back alone in the next batch (step 5) and finishes.
    expect(pool.numUsedPages).toBe(0);
    const o5 = step(sched, clock);
    expect(rows(o5)).toEqual(['c:33@0']);
    for (let i = 0; i < 5 && sched.hasUnfinishedRequests(); i++) step(sched, clock);
    expect(sched.getRequest('c')).toMatchObject({ finishReason: 'length', numOutputTokens: 4 });
  });

  it('rejects an unknown batching mode', () => {
    expect(() => makeScheduler(7, 16, { batching: 'dynamic' as never })).toThrow(/batching must be "continuous" or "static", got "dynamic"/);
  });
});
