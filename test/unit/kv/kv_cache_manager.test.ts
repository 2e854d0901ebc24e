import { describe, expect, it } from 'vitest';
import { ContiguousAllocator, HostSwapSpace, KVCacheManager, PagePool, type KVRequest } from '../../../src/kv/index';

function req(id: string, tokens: number[], tenant = 't', salt: string | null = null): KVRequest & { allTokenIds: number[] } {
  return { requestId: id, owner: { tenant, model: 'm', request: id }, allTokenIds: tokens, cacheSalt: salt, region: 0 };
}
const seq = (n: number, base = 1) => Array.from({ length: n }, (_, i) => base + i);

function setup(numPages = 10, tpp = 4, swap = 0) {
  const pool = new PagePool({ numPages, pageBytes: 64 });
  const swapSpace = new HostSwapSpace(swap);
  const mgr = new KVCacheManager(pool, { modelId: 'm', tokensPerPage: tpp, maxModelLen: 32, enablePrefixCaching: true, swapSpace });
  return { pool, mgr, swapSpace };
}

describe('KVCacheManager (paged)', () => {
  it('allocates exact pages, caches full ones, frees tail first', () => {
    const { pool, mgr } = setup();
    const a = req('a', seq(10));
    // 10 tokens / 4 per page = 3 pages: 1, 2 full (cached), 3 partial.
    expect(mgr.allocateSlots(a, 0, 10)!.newPages).toEqual([1, 2, 3]);
    expect(pool.numCachedPages).toBe(2);
    mgr.free(a);
    expect(pool.freeQueueOrder()).toEqual([4, 5, 6, 7, 8, 9, 3, 2, 1]);
    pool.checkInvariants();
  });

  it('reuses the longest cached prefix, never the last token', () => {
    const { pool, mgr } = setup();
    const a = req('a', seq(10));
    mgr.allocateSlots(a, 0, 10);
    mgr.free(a);
    // b shares the first 8 tokens: pages 1, 2 are hits (8 tokens), 2 tokens remain -> one fresh page (4).
    const b = req('b', [...seq(8), 50, 51]);
    const hit = mgr.getComputedPages(b);
    expect(hit).toEqual({ pages: [1, 2], numComputedTokens: 8 });
    expect(mgr.numPagesNeeded({ req: b, numComputedTokens: 0, numNewTokens: 2, computed: hit })).toBe(3); // 1 fresh + 2 cached free pages taken back
    expect(mgr.allocateSlots(b, 0, 2, hit)!.newPages).toEqual([1, 2, 4]);
    expect(pool.freeQueueOrder()).toEqual([5, 6, 7, 8, 9, 3]);
    // A prompt of exactly 8 tokens can reuse only page 1: the last token is recomputed for its logits.
    expect(mgr.getComputedPages(req('c', seq(8))).pages).toEqual([1]);
    // Another salt (tenant isolation) or another token sees nothing.
    expect(mgr.getComputedPages(req('d', seq(10), 't2', 'salt')).pages).toEqual([]);
    expect(mgr.getComputedPages(req('e', [9, ...seq(9)])).pages).toEqual([]);
    pool.checkInvariants();
  });

  it('shares pages of a fork and copies a shared partial page on first write', () => {
    const { pool, mgr } = setup();
    const p = req('p', seq(6));
    // 6 prompt tokens: page 1 full, page 2 holds 2 tokens. One fork reserves page 3.
    expect(mgr.allocateSlots(p, 0, 6)!.newPages).toEqual([1, 2]);
    expect(mgr.reserveForks(p, 1)).toBe(true);
    const c = req('c', [...seq(6), 77]);
    p.allTokenIds.push(66);
    mgr.fork(p, c, 6);
    expect(mgr.blockTable('c')).toEqual([1, 2]);
    expect(pool.refCountOf(1)).toBe(2);
    expect(pool.refCountOf(2)).toBe(2);
    // c writes position 6 into shared page 2 -> copy into its reserved page 3.
    const ac = mgr.allocateSlots(c, 6, 1)!;
    expect(ac.copies).toEqual([{ src: 2, dst: 3 }]);
    expect(mgr.blockTable('c')).toEqual([1, 3]);
    // p now holds page 2 alone: writes in place, no copy.
    expect(mgr.allocateSlots(p, 6, 1)!.copies).toEqual([]);
    expect(pool.refCountOf(2)).toBe(1);
    expect(pool.refCountOf(1)).toBe(2);
    mgr.free(c);
    mgr.free(p);
    pool.checkInvariants();
    expect(pool.numUsedPages).toBe(0);
  });

  it('swaps out to host and back into fresh pages', () => {
    const { pool, mgr, swapSpace } = setup(10, 4, 4);
    const a = req('a', seq(9));
    mgr.allocateSlots(a, 0, 9); // pages 1, 2, 3
    expect(mgr.swapOut(a, 9)).toEqual([{ page: 1, hostSlot: 0 }, { page: 2, hostSlot: 1 }, { page: 3, hostSlot: 2 }]);
    expect(swapSpace.numFreeSlots).toBe(1);
    expect(pool.numUsedPages).toBe(0);
    expect(mgr.isSwapped('a')).toBe(true);
    // Free queue after swap-out: 4..9 then 3, 2, 1 (tail first). Swap-in takes 4, 5, 6; the 10th token fits page 6.
    a.allTokenIds.push(99);
    const back = mgr.allocateSlots(a, 9, 1)!;
    expect(back.swapIn).toEqual([{ page: 4, hostSlot: 0 }, { page: 5, hostSlot: 1 }, { page: 6, hostSlot: 2 }]);
    expect(mgr.blockTable('a')).toEqual([4, 5, 6]);
    expect(swapSpace.numFreeSlots).toBe(4);
    // Not enough host slots: swap-out refuses (the scheduler falls back to recompute).
    const big = req('big', seq(20, 100));
    mgr.allocateSlots(big, 0, 20);
    expect(mgr.swapOut(big, 20)).toBeNull();
    pool.checkInvariants();
  });

  it('counts a hash match with other tokens as a collision and misses', () => {
    const { pool, mgr } = setup();
    const a = req('a', seq(10));
    const hit = mgr.getComputedPages(a); // computes a's page hashes, nothing cached yet
    expect(hit.pages).toEqual([]);
    // Forge a collision: cache a page holding other tokens under a's first page key.
    const [p] = pool.allocate(1, 0, a.owner);
    const key = (mgr as unknown as { hashes: Map<string, { key: string }[]> }).hashes.get('a')![0]!.key;
    pool.cache(p!, key, 'x', -1, [9, 9, 9, 9], 0, 4, a.owner);
    expect(mgr.getComputedPages(a).pages).toEqual([]);
    expect(mgr.prefixStats.numCollisions).toBe(1);
  });

  it('returns null and changes nothing when the pool is short', () => {
    const pool = new PagePool({ numPages: 4, pageBytes: 64 }); // 3 usable pages
    expect(() => new KVCacheManager(pool, { modelId: 'm', tokensPerPage: 4, maxModelLen: 32, enablePrefixCaching: true })).toThrow(
      /max_model_len 32 needs 8 pages of 4 tokens; the pool has 3 usable pages/,
    );
    const mgr = new KVCacheManager(pool, { modelId: 'm', tokensPerPage: 4, maxModelLen: 12, enablePrefixCaching: true });
    const a = req('a', seq(16));
    expect(mgr.allocateSlots(a, 0, 16)).toBeNull();
    expect(pool.freeQueueOrder()).toEqual([1, 2, 3]);
    expect(mgr.blockTable('a')).toEqual([]);
  });
});

describe('ContiguousAllocator', () => {
  it('reserves max_model_len per request, first fit, and shows external fragmentation', () => {
    const pool = new PagePool({ numPages: 13, pageBytes: 64 });
    // max_model_len 16 / 4 tokens per page = runs of 4 pages; 12 usable pages = 3 runs.
    const ca = new ContiguousAllocator(pool, { modelId: 'm', tokensPerPage: 4, maxModelLen: 16 });
    const a = req('a', seq(3));
    const b = req('b', seq(3));
    const c = req('c', seq(3));
    expect(ca.allocateSlots(a, 0, 3)!.newPages).toEqual([1, 2, 3, 4]);
    expect(ca.allocateSlots(b, 0, 3)!.newPages).toEqual([5, 6, 7, 8]);
    expect(ca.allocateSlots(c, 0, 3)!.newPages).toEqual([9, 10, 11, 12]);
    // 3 tokens in 16 reserved slots each: 39 of 48 slots unused.
    ca.free(b);
    pool.allocate(1, 0, a.owner); // someone takes page 5 (free queue head after b's release order 8,7,6,5? -> first popped)
    expect(ca.canAllocateAll([{ req: req('d', seq(3)), numComputedTokens: 0, numNewTokens: 3 }])).toBe(false);
    expect(ca.allocateSlots(req('d', seq(3)), 0, 3)).toBeNull();
    pool.checkInvariants();
  });

  it('forks by reserving a whole run and copying the computed pages', () => {
    const pool = new PagePool({ numPages: 9, pageBytes: 64 });
    const ca = new ContiguousAllocator(pool, { modelId: 'm', tokensPerPage: 4, maxModelLen: 16 });
    const p = req('p', seq(6));
    ca.allocateSlots(p, 0, 6);
    expect(ca.reserveForks(p, 1)).toBe(true);
    ca.fork(p, req('c', seq(6)), 6);
    expect(ca.blockTable('c')).toEqual([5, 6, 7, 8]);
    expect(ca.drainCopies()).toEqual([{ src: 1, dst: 5 }, { src: 2, dst: 6 }]);
    expect(() => new ContiguousAllocator(pool, { modelId: 'big', tokensPerPage: 4, maxModelLen: 64 })).toThrow(/needs 16 pages/);
  });
});
