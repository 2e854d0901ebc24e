import { describe, expect, it } from 'vitest';
import { ConfigError, FreePageQueue, PagePool, PageEventLog, bytesPerToken, tokensPerPage } from '../../../src/kv/index';

const A = { tenant: 'ta', model: 'm', request: 'a' };
const B = { tenant: 'tb', model: 'm', request: 'b' };

describe('FreePageQueue', () => {
  it('pops from the head, appends at the tail, removes from the middle', () => {
    const q = new FreePageQueue(8, [1, 2, 3, 4]);
    expect(q.popLeft()).toBe(1);
    q.remove(3);
    q.append(1);
    expect(q.toArray()).toEqual([2, 4, 1]);
    expect(q.numFreePages).toBe(3);
    expect(() => q.append(2)).toThrow(/already free/);
    expect(q.popLeft()).toBe(2);
    expect(q.popLeft()).toBe(4);
    expect(q.popLeft()).toBe(1);
    expect(q.popLeft()).toBe(-1);
  });
});

describe('PagePool', () => {
  it('reserves page 0 and hands out pages 1.. in order', () => {
    const pool = new PagePool({ numPages: 8, pageBytes: 64 });
    expect(pool.numUsablePages).toBe(7);
    expect(pool.freeQueueOrder()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(pool.allocate(3, 0, A)).toEqual([1, 2, 3]);
    expect(pool.freeQueueOrder()).toEqual([4, 5, 6, 7]);
    // Freed tail first: 3, 2, 1 go to the back in that order, so 3 is evicted before 1.
    pool.release(3, A);
    pool.release(2, A);
    pool.release(1, A);
    expect(pool.freeQueueOrder()).toEqual([4, 5, 6, 7, 3, 2, 1]);
    pool.checkInvariants();
  });

  it('keeps cached pages evictable, LRU first, and counts used + cached + empty = usable', () => {
    const log = new PageEventLog();
    const pool = new PagePool({ numPages: 5, pageBytes: 64 });
    pool.sink = log.sink;
    const [p1, p2] = pool.allocate(2, 0, A) as [number, number];
    pool.cache(p1, 'h1', 'root', -1, [1, 2], 0, 2, A);
    pool.cache(p2, 'h2', 'root', p1, [3, 4], 0, 2, A);
    pool.release(p2, A);
    pool.release(p1, A);
    expect(pool.usageSnapshot()).toEqual({ numPages: 5, numUsablePages: 4, numUsedPages: 0, numCachedFreePages: 2, numEmptyFreePages: 2 });
    expect(pool.freeQueueOrder()).toEqual([3, 4, 2, 1]);
    // A hit takes page 1 out of the free queue without evicting it.
    expect(pool.lookup('h1')).toBe(1);
    pool.touch(1, B);
    expect(pool.tenantUsage('tb')).toBe(1);
    expect(pool.freeQueueOrder()).toEqual([3, 4, 2]);
    // Three fresh pages: 3, 4, then cached page 2 is evicted (its hash dropped).
    expect(pool.allocate(3, 0, B)).toEqual([3, 4, 2]);
    expect(pool.lookup('h2')).toBe(-1);
    expect(pool.numCachedPages).toBe(1);
    expect(log.drain().map((e) => `${e.kind}:${e.page}`)).toEqual([
      'allocated:1', 'allocated:2', 'cached:1', 'cached:2', 'freed:2', 'freed:1', 'hit:1', 'allocated:3', 'allocated:4', 'evicted:2', 'allocated:2',
    ]);
    pool.checkInvariants();
    expect(() => pool.allocate(1, 0, B)).toThrow(/only 0 are free/);
  });

  it('verifies cached pages: tokens, root and the parent generation', () => {
    const pool = new PagePool({ numPages: 5, pageBytes: 64 });
    const [p1, p2] = pool.allocate(2, 0, A) as [number, number];
    pool.cache(p1, 'h1', 'root', -1, [1, 2], 0, 2, A);
    pool.cache(p2, 'h2', 'root', p1, [3, 4], 0, 2, A);
    expect(pool.verifyCached(p2, 'root', p1, [3, 4], 0, 2)).toBe(true);
    expect(pool.verifyCached(p2, 'root', p1, [3, 5], 0, 2)).toBe(false);
    expect(pool.verifyCached(p2, 'other', p1, [3, 4], 0, 2)).toBe(false);
    // The parent is evicted and reused: the child's link is stale even if page 1 is cached again.
    pool.release(p1, A);
    pool.allocate(3, 0, B); // 3, 4, then evicts 1
    pool.cache(p1, 'h1', 'root', -1, [1, 2], 0, 2, B);
    expect(pool.verifyCached(p2, 'root', p1, [3, 4], 0, 2)).toBe(false);
  });

  it('splits into regions with their own free queues', () => {
    const pool = new PagePool({ numPages: 9, pageBytes: 64 });
    const regions = pool.setRegions([{ name: 'a', numPages: 3 }, { name: 'b', numPages: 5 }]);
    expect(regions).toEqual([{ name: 'a', start: 1, end: 4 }, { name: 'b', start: 4, end: 9 }]);
    expect(pool.allocate(3, 0, A)).toEqual([1, 2, 3]);
    expect(pool.numFreePages(0)).toBe(0);
    expect(pool.allocate(1, 1, B)).toEqual([4]);
    expect(() => pool.setRegions([{ name: 'x', numPages: 8 }])).toThrow(ConfigError);
    pool.checkInvariants();
  });

  it('rejects bad sizes with clear errors', () => {
    expect(() => new PagePool({ numPages: 0, pageBytes: 64 })).toThrow(/numPages must be a positive integer/);
    expect(() => new PagePool({ numPages: 1, pageBytes: 64 })).toThrow(/at least 2/);
    expect(() => new PagePool({ numPages: 4, pageBytes: -1 })).toThrow(/pageBytes/);
    expect(() => new PagePool({ numPages: 2.5, pageBytes: 64 })).toThrow(ConfigError);
  });

  it('derives tokens per page from the model layout', () => {
    const layout = { numLayers: 22, numKvHeads: 4, headDim: 64, elementBytes: 2 };
    expect(bytesPerToken(layout)).toBe(2 * 22 * 4 * 64 * 2); // 22,528 bytes
    expect(tokensPerPage(16 * 22528 + 100, layout)).toBe(16);
    expect(() => tokensPerPage(1024, layout, 'tinyllama')).toThrow(/tinyllama.*22528 bytes per token/);
    expect(() => bytesPerToken({ ...layout, headDim: 0 })).toThrow(/headDim/);
  });
});
