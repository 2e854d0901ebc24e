/**
 * Paged KV allocation for one model (vLLM's KVCacheManager): per-request block tables over the shared
 * `PagePool`, prefix-cache lookup, copy-on-write for forked samples, fork reservations and swap.
 *
 * Invariants:
 * - A request's block table is append-only except copy-on-write, which replaces a shared page (ref > 1)
 *   with a private copy before the first write to it. Only pages that hold not-yet-computed positions are
 *   ever written, so full pages (the only ones cached) are immutable.
 * - Each table entry and each reserved fork page holds exactly one ref on its page; the pool's ref count of a
 *   page equals the number of entries (over all tables and reservations) naming it.
 * - A page is cached only when full of computed-or-being-computed tokens; `chain[i]` is the page that
 *   represents block i in the cache chain (this request's page, a verified duplicate, or -1 once the chain
 *   breaks); a child page is cached only under a chained parent so every cached page is reachable.
 */
import { ConfigError, requirePositiveInt } from './errors';
import { chainHash, rootHash, type PageHash } from './hash';
import type { PagePool } from './page_pool';
import {
  EMPTY_COMPUTED,
  HostSwapSpace,
  type Allocation,
  type AllocationAsk,
  type ComputedPages,
  type KVCacheAllocator,
  type KVRequest,
  type PageCopy,
  type PrefixCacheStats,
  type SwapPair,
} from './allocator';

export interface KVCacheManagerConfig {
  modelId: string;
  tokensPerPage: number;
  maxModelLen: number;
  enablePrefixCaching: boolean;
  /** Host slots for swap preemption; a manager built without one cannot swap. */
  swapSpace?: HostSwapSpace;
}

interface RequestKV {
  table: number[];
  /** Canonical cached page of each block index (see class docs); length = numCachedPages. */
  chain: number[];
  reserved: number[];
}

const NO_PAGES: readonly number[] = Object.freeze([]);
const NO_COPIES: readonly PageCopy[] = Object.freeze([]);
const NO_SWAPS: readonly SwapPair[] = Object.freeze([]);
/** What a step that only writes into pages the request already holds gets back (most decodes). */
const NOTHING_NEW: Allocation = Object.freeze({ newPages: NO_PAGES, copies: NO_COPIES, swapIn: NO_SWAPS });

interface Plan {
  numSwapIn: number;
  numFresh: number;
  numCow: number;
  numFromPool: number;
  start: number;
  end: number;
}

export class KVCacheManager implements KVCacheAllocator {
  readonly kind = 'paged' as const;
  readonly modelId: string;
  readonly tokensPerPage: number;
  readonly maxModelLen: number;
  readonly pool: PagePool;
  readonly enablePrefixCaching: boolean;
  readonly prefixStats: PrefixCacheStats = { numQueries: 0, numHitQueries: 0, numQueryTokens: 0, numHitTokens: 0, numCollisions: 0 };

  private readonly swapSpace: HostSwapSpace | null;
  private readonly states = new Map<string, RequestKV>();
  private readonly hashes = new Map<string, PageHash[]>();
  private readonly swapped = new Map<string, number[]>();
  private readonly roots = new Map<string, PageHash>();
  /** `plan`'s result, reused: it is read right after each call and never kept (no allocation per decode). */
  private readonly scratch: Plan = { numSwapIn: 0, numFresh: 0, numCow: 0, numFromPool: 0, start: 0, end: 0 };

  constructor(pool: PagePool, config: KVCacheManagerConfig) {
    requirePositiveInt('tokensPerPage', config.tokensPerPage);
    requirePositiveInt('maxModelLen', config.maxModelLen);
    const maxPages = Math.ceil(config.maxModelLen / config.tokensPerPage);
    if (maxPages > pool.numUsablePages) {
      throw new ConfigError(
        `Model "${config.modelId}": max_model_len ${config.maxModelLen} needs ${maxPages} pages of ${config.tokensPerPage} tokens; ` +
          `the pool has ${pool.numUsablePages} usable pages.`,
        'pool-too-small',
      );
    }
    this.pool = pool;
    this.modelId = config.modelId;
    this.tokensPerPage = config.tokensPerPage;
    this.maxModelLen = config.maxModelLen;
    this.enablePrefixCaching = config.enablePrefixCaching;
    this.swapSpace = config.swapSpace ?? null;
  }

  getComputedPages(req: KVRequest): ComputedPages {
    if (!this.enablePrefixCaching) return EMPTY_COMPUTED;
    const tpp = this.tokensPerPage;
    const tokens = req.allTokenIds;
    // The last token is always recomputed: its logits are needed to sample.
    const maxPages = Math.floor((tokens.length - 1) / tpp);
    if (maxPages <= 0) return EMPTY_COMPUTED;
    const hashes = this.ensureHashes(req, maxPages);
    const root = this.root(req).key;
    const pages: number[] = [];
    let parent = -1;
    for (let i = 0; i < maxPages; i++) {
      const page = this.pool.lookup(hashes[i]!.key);
      if (page < 0) break;
      if (this.pool.regionOfPage(page) !== req.region || !this.pool.verifyCached(page, root, parent, tokens, i * tpp, tpp)) {
        this.prefixStats.numCollisions++;
        break;
      }
      pages.push(page);
      parent = page;
    }
    if (pages.length === 0) return EMPTY_COMPUTED;
    return { pages, numComputedTokens: pages.length * tpp };
  }

  recordPrefixQuery(numQueryTokens: number, numHitTokens: number): void {
    const s = this.prefixStats;
    s.numQueries++;
    s.numQueryTokens += numQueryTokens;
    s.numHitTokens += numHitTokens;
    if (numHitTokens > 0) s.numHitQueries++;
  }

  numPagesNeeded(ask: AllocationAsk): number {
    const p = this.plan(ask.req, this.states.get(ask.req.requestId), ask.numComputedTokens, ask.numNewTokens, ask.computed ?? EMPTY_COMPUTED, ask.numLookaheadTokens ?? 0);
    return p.numFromPool + (ask.numForks ?? 0);
  }

  canAllocateAll(asks: readonly AllocationAsk[]): boolean {
    const perRegion = new Map<number, number>();
    for (const a of asks) perRegion.set(a.req.region, (perRegion.get(a.req.region) ?? 0) + this.numPagesNeeded(a));
    for (const [region, n] of perRegion) if (n > this.pool.numFreePages(region)) return false;
    return true;
  }

  allocateSlots(req: KVRequest, numComputedTokens: number, numNewTokens: number, computed: ComputedPages = EMPTY_COMPUTED, numLookaheadTokens = 0): Allocation | null {
    let st = this.states.get(req.requestId);
    const plan = this.plan(req, st, numComputedTokens, numNewTokens, computed, numLookaheadTokens);
    if (plan.numFromPool > this.pool.numFreePages(req.region)) return null;
    const numKnown = req.allTokenIds.length + (req.numPlaceholders ?? 0);
    if (plan.start + numNewTokens > numKnown) {
      throw new ConfigError(`allocateSlots(${req.requestId}): ${plan.start + numNewTokens} tokens scheduled but only ${numKnown} known.`, 'invalid-request');
    }
    if (!st) {
      st = { table: [], chain: [], reserved: [] };
      this.states.set(req.requestId, st);
    }
    const owner = req.owner;
    const pool = this.pool;
    let newPages: number[] | null = null;
    let swapIn: SwapPair[] | null = null;
    let copies: PageCopy[] | null = null;

    if (plan.numSwapIn > 0) {
      const slots = this.swapped.get(req.requestId)!;
      const pages = pool.allocate(slots.length, req.region, owner);
      swapIn = [];
      for (let i = 0; i < slots.length; i++) {
        swapIn.push({ page: pages[i]!, hostSlot: slots[i]! });
        pool.recordSwap('swapped-in', pages[i]!, slots[i]!, owner);
      }
      this.swapSpace!.release(slots);
      this.swapped.delete(req.requestId);
      st.table.push(...pages);
      newPages = pages.slice();
    }
    if (computed.pages.length > 0) {
      for (const p of computed.pages) {
        pool.touch(p, owner);
        st.table.push(p);
        st.chain.push(p);
      }
      newPages = (newPages ?? []).concat(computed.pages);
    }
    if (plan.numCow > 0) {
      const tpp = this.tokensPerPage;
      const last = Math.min(st.table.length, Math.ceil((plan.start + numNewTokens) / tpp));
      copies = [];
      for (let i = Math.floor(plan.start / tpp); i < last; i++) {
        const src = st.table[i]!;
        if (pool.refCountOf(src) <= 1) continue;
        const dst = this.takePage(st, req);
        copies.push({ src, dst });
        pool.recordCopy(src, dst, owner);
        pool.release(src, owner);
        st.table[i] = dst;
      }
    }
    const numFresh = plan.numFresh;
    const end = plan.start + numNewTokens;
    if (numFresh > 0) {
      newPages ??= [];
      for (let i = 0; i < numFresh; i++) {
        const p = this.takePage(st, req);
        st.table.push(p);
        newPages.push(p);
      }
    }
    // Only pages whose every token id is known can be hashed; one completed by a placeholder is offered
    // at the request's next allocation.
    if (this.enablePrefixCaching) this.cacheFullPages(req, st, Math.min(end, req.allTokenIds.length));
    if (newPages === null && copies === null && swapIn === null) return NOTHING_NEW;
    return { newPages: newPages ?? NO_PAGES, copies: copies ?? NO_COPIES, swapIn: swapIn ?? NO_SWAPS };
  }

  reserveForks(req: KVRequest, numForks: number): boolean {
    if (numForks <= 0) return true;
    if (numForks > this.pool.numFreePages(req.region)) return false;
    let st = this.states.get(req.requestId);
    if (!st) {
      st = { table: [], chain: [], reserved: [] };
      this.states.set(req.requestId, st);
    }
    st.reserved.push(...this.pool.allocate(numForks, req.region, req.owner));
    return true;
  }

  fork(parent: KVRequest, child: KVRequest, numComputedTokens: number): void {
    const ps = this.states.get(parent.requestId);
    if (!ps) throw new ConfigError(`fork: request ${parent.requestId} holds no pages.`, 'unknown-request');
    if (this.states.has(child.requestId)) throw new ConfigError(`fork: request ${child.requestId} already holds pages.`, 'invalid-request');
    const numPages = Math.ceil(numComputedTokens / this.tokensPerPage);
    const table = ps.table.slice(0, numPages);
    for (const p of table) this.pool.touch(p, child.owner);
    const numFull = Math.floor(numComputedTokens / this.tokensPerPage);
    const cs: RequestKV = { table, chain: ps.chain.slice(0, Math.min(numFull, ps.chain.length)), reserved: [] };
    const r = ps.reserved.pop();
    if (r !== undefined) cs.reserved.push(r);
    this.states.set(child.requestId, cs);
    const h = this.hashes.get(parent.requestId);
    if (h) this.hashes.set(child.requestId, h.slice(0, numFull));
  }

  drainCopies(): readonly PageCopy[] {
    return NO_COPIES;
  }

  free(req: KVRequest): void {
    const st = this.states.get(req.requestId);
    if (st) {
      for (const p of st.reserved) this.pool.release(p, req.owner);
      // Tail first: those pages are evicted before the shared prefix.
      for (let i = st.table.length - 1; i >= 0; i--) this.pool.release(st.table[i]!, req.owner);
      this.states.delete(req.requestId);
    }
    const slots = this.swapped.get(req.requestId);
    if (slots) {
      this.swapSpace!.release(slots);
      this.swapped.delete(req.requestId);
    }
    this.hashes.delete(req.requestId);
  }

  swapOut(req: KVRequest, numComputedTokens: number): SwapPair[] | null {
    const st = this.states.get(req.requestId);
    if (!this.swapSpace || !st) return null;
    const k = Math.min(st.table.length, Math.ceil(numComputedTokens / this.tokensPerPage));
    if (k > this.swapSpace.numFreeSlots) return null;
    const slots = this.swapSpace.allocate(k);
    const pairs: SwapPair[] = [];
    for (let i = 0; i < k; i++) {
      pairs.push({ page: st.table[i]!, hostSlot: slots[i]! });
      this.pool.recordSwap('swapped-out', st.table[i]!, slots[i]!, req.owner);
    }
    const hashes = this.hashes.get(req.requestId);
    this.free(req);
    if (hashes) this.hashes.set(req.requestId, hashes);
    if (k > 0) this.swapped.set(req.requestId, slots);
    return pairs;
  }

  isSwapped(requestId: string): boolean {
    return this.swapped.has(requestId);
  }

  blockTable(requestId: string): readonly number[] {
    return this.states.get(requestId)?.table ?? NO_PAGES;
  }

  requestIds(): IterableIterator<string> {
    return this.states.keys();
  }

  reservedPages(requestId: string): readonly number[] {
    return this.states.get(requestId)?.reserved ?? NO_PAGES;
  }

  /** What an allocation would take; `st` is the request's state (`states.get(req.requestId)`), looked up once by the caller. */
  private plan(req: KVRequest, st: RequestKV | undefined, numComputed: number, numNew: number, computed: ComputedPages, lookahead: number): Plan {
    const tpp = this.tokensPerPage;
    const tableLen = st ? st.table.length : 0;
    const slots = tableLen === 0 ? this.swapped.get(req.requestId) : undefined;
    const numSwapIn = slots ? slots.length : 0;
    const hits = computed.pages;
    const start = numComputed + computed.numComputedTokens;
    const end = start + numNew + lookahead;
    const numFresh = Math.max(0, Math.ceil(end / tpp) - (tableLen + numSwapIn + hits.length));
    let numCow = 0;
    if (st && numNew > 0) {
      const last = Math.min(tableLen, Math.ceil((start + numNew) / tpp));
      for (let i = Math.floor(start / tpp); i < last; i++) if (this.pool.refCountOf(st.table[i]!) > 1) numCow++;
    }
    let numHitFree = 0;
    for (let i = 0; i < hits.length; i++) if (this.pool.refCountOf(hits[i]!) === 0) numHitFree++;
    const numReserved = st ? st.reserved.length : 0;
    const fromReserved = Math.min(numReserved, numFresh + numCow);
    const p = this.scratch;
    p.numSwapIn = numSwapIn;
    p.numFresh = numFresh;
    p.numCow = numCow;
    p.numFromPool = numSwapIn + numFresh + numCow - fromReserved + numHitFree;
    p.start = start;
    p.end = end;
    return p;
  }

  private takePage(st: RequestKV, req: KVRequest): number {
    const r = st.reserved.pop();
    if (r !== undefined) return r;
    return this.pool.allocateOne(req.region, req.owner);
  }

  private root(req: KVRequest): PageHash {
    const k = req.cacheSalt ?? '';
    let r = this.roots.get(k);
    if (!r) {
      r = rootHash(this.modelId, req.cacheSalt);
      this.roots.set(k, r);
    }
    return r;
  }

  private ensureHashes(req: KVRequest, numPages: number): PageHash[] {
    let h = this.hashes.get(req.requestId);
    if (!h) {
      h = [];
      this.hashes.set(req.requestId, h);
    }
    const tpp = this.tokensPerPage;
    while (h.length < numPages) {
      const i = h.length;
      h.push(chainHash(i === 0 ? this.root(req) : h[i - 1]!, req.allTokenIds, i * tpp, tpp));
    }
    return h;
  }

  /** Offers pages full after `numTokens` tokens to the prefix cache, extending the chain. */
  private cacheFullPages(req: KVRequest, st: RequestKV, numTokens: number): void {
    const tpp = this.tokensPerPage;
    const numFull = Math.min(Math.floor(numTokens / tpp), st.table.length);
    if (st.chain.length >= numFull) return;
    const hashes = this.ensureHashes(req, numFull);
    const root = this.root(req).key;
    const tokens = req.allTokenIds;
    for (let i = st.chain.length; i < numFull; i++) {
      const parent = i === 0 ? -1 : st.chain[i - 1]!;
      if (i > 0 && parent < 0) {
        st.chain.push(-1);
        continue;
      }
      const page = st.table[i]!;
      const key = hashes[i]!.key;
      if (this.pool.cache(page, key, root, parent, tokens, i * tpp, tpp, req.owner)) {
        st.chain.push(page);
      } else if (this.pool.hashOfPage(page) === key) {
        st.chain.push(page);
      } else {
        const dup = this.pool.lookup(key);
        st.chain.push(dup >= 0 && this.pool.verifyCached(dup, root, parent, tokens, i * tpp, tpp) ? dup : -1);
      }
    }
  }
}
