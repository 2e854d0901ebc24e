/**
 * The page pool (vLLM's BlockPool): a fixed number of pages of a fixed byte size, shared by every loaded
 * model, with ref counts, the free queue and the prefix-cache map.
 *
 * Invariants (checked by `checkInvariants`, asserted by the property tests):
 * - Page 0 is the reserved NULL page: never allocated, never freed, never cached. Block tables are padded
 *   with it and kernels may write padding tokens to it. All other ids `1 .. numPages-1` are usable.
 * - ref count > 0: the page is in use by that many holders (block-table entries or fork reservations) and
 *   is in no free queue. ref count 0: the page is in exactly one free queue (its region's) and may be reused.
 * - A page with ref count 0 that still has a hash is a *cached free* page: its KV is valid and a new request
 *   with the same prefix may take it back (`touch`) without recomputing; it stays evictable until then.
 * - Eviction order is the free queue's order: least recently freed first (LRU); callers free a request's
 *   pages tail first, so its tail pages go before its prefix pages. A cached page's hash is dropped only when
 *   it is popped for reuse (`evicted` event).
 * - `numUsedPages + numFreePages = numUsablePages`, and `numFreePages = numCachedFreePages + numEmptyFreePages`.
 *   Both counts are maintained incrementally (`numFree`, `numCachedFree`), so `usageSnapshot` is O(1) per step.
 * - Regions (used by the `partition` sharing policy) split the usable ids into disjoint ranges, each with its
 *   own free queue; pages never move between regions. Without partitions there is one region.
 * - Each used page is charged to one tenant (the first holder that took it from the free queue); a shared page
 *   is not charged again. Sum of `tenantUsage` over tenants = `numUsedPages`.
 */
import { ConfigError, PoolExhaustedError, requirePositiveInt } from './errors';
import { FreePageQueue } from './free_page_queue';
import type { PageEventSink, PageOwner } from './events';

export interface PagePoolConfig {
  /** Total pages including the reserved NULL page 0; at least 2. */
  numPages: number;
  /** Bytes per page (every model stores floor(pageBytes / bytesPerToken) tokens in one). */
  pageBytes: number;
}

export interface PageRegion {
  readonly name: string;
  /** First page id (inclusive). */
  readonly start: number;
  /** One past the last page id. */
  readonly end: number;
}

/** Counts for the views and metrics (all in pages). */
export interface PoolUsage {
  numPages: number;
  numUsablePages: number;
  numUsedPages: number;
  numCachedFreePages: number;
  numEmptyFreePages: number;
}

export const NULL_PAGE = 0;

export class PagePool {
  readonly numPages: number;
  readonly pageBytes: number;
  readonly numUsablePages: number;
  /** Called for every page event; null means events are off. */
  sink: PageEventSink | null = null;

  private readonly refCount: Int32Array;
  private readonly regionOf: Int32Array;
  private regionList: PageRegion[] = [];
  private queues: FreePageQueue[] = [];
  /** Bumped each time a page is handed out fresh from a free queue; a cached child's parent link names it. */
  private readonly generation: Uint32Array;
  private readonly owner: (PageOwner | null)[];
  private readonly charged: (string | null)[];
  private readonly usage = new Map<string, number>();

  // Prefix-cache metadata of cached pages (hash !== null).
  private readonly hashOf: (string | null)[];
  private readonly cacheTokens: (Int32Array | null)[];
  private readonly cacheRoot: (string | null)[];
  private readonly cacheParent: Int32Array;
  private readonly cacheParentGen: Uint32Array;
  private readonly hashToPage = new Map<string, number>();
  private numCachedFree = 0;
  /** Sum of the free queues' lengths, kept in step with every pop / append / remove. */
  private numFree = 0;

  constructor(config: PagePoolConfig) {
    requirePositiveInt('numPages', config.numPages);
    requirePositiveInt('pageBytes', config.pageBytes);
    if (config.numPages < 2) {
      throw new ConfigError(`numPages must be at least 2 (page 0 is the reserved NULL page), got ${config.numPages}.`);
    }
    this.numPages = config.numPages;
    this.pageBytes = config.pageBytes;
    this.numUsablePages = config.numPages - 1;
    const n = config.numPages;
    this.refCount = new Int32Array(n);
    this.regionOf = new Int32Array(n).fill(-1);
    this.generation = new Uint32Array(n);
    this.owner = new Array<PageOwner | null>(n).fill(null);
    this.charged = new Array<string | null>(n).fill(null);
    this.hashOf = new Array<string | null>(n).fill(null);
    this.cacheTokens = new Array<Int32Array | null>(n).fill(null);
    this.cacheRoot = new Array<string | null>(n).fill(null);
    this.cacheParent = new Int32Array(n).fill(-1);
    this.cacheParentGen = new Uint32Array(n);
    this.setRegions([{ name: 'shared', numPages: this.numUsablePages }]);
  }

  /**
   * Cuts the usable pages into consecutive regions (page 1 upward), each with its own free queue. Only
   * allowed while no page is in use; cached free pages are dropped. Sizes must sum to at most numUsablePages
   * (leftover pages join the last region).
   */
  setRegions(regions: ReadonlyArray<{ name: string; numPages: number }>): PageRegion[] {
    if (regions.length === 0) throw new ConfigError('setRegions needs at least one region.');
    if (this.queues.length > 0 && this.numUsedPages !== 0) throw new ConfigError('setRegions: pages are in use; regions can only change on an idle pool.');
    let total = 0;
    for (const r of regions) {
      requirePositiveInt(`region "${r.name}" numPages`, r.numPages);
      total += r.numPages;
    }
    if (total > this.numUsablePages) {
      throw new ConfigError(
        `Regions need ${total} pages but the pool has ${this.numUsablePages} usable pages (page 0 is reserved).`,
        'pool-too-small',
      );
    }
    for (const key of [...this.hashToPage.keys()]) this.dropHash(this.hashToPage.get(key)!);
    this.regionList = [];
    this.queues = [];
    let start = 1;
    regions.forEach((r, i) => {
      const end = i === regions.length - 1 ? this.numPages : start + r.numPages;
      this.regionList.push({ name: r.name, start, end });
      const ids: number[] = [];
      for (let p = start; p < end; p++) {
        ids.push(p);
        this.regionOf[p] = i;
      }
      this.queues.push(new FreePageQueue(this.numPages, ids));
      start = end;
    });
    this.numFree = this.numUsablePages;
    return this.regionList.slice();
  }

  get regions(): readonly PageRegion[] {
    return this.regionList;
  }

  regionOfPage(page: number): number {
    return this.regionOf[page] ?? -1;
  }

  numFreePages(region = 0): number {
    return this.queue(region).numFreePages;
  }

  get numFreePagesTotal(): number {
    return this.numFree;
  }

  get numUsedPages(): number {
    return this.numUsablePages - this.numFreePagesTotal;
  }

  get numCachedFreePages(): number {
    return this.numCachedFree;
  }

  get numCachedPages(): number {
    return this.hashToPage.size;
  }

  usageSnapshot(): PoolUsage {
    const free = this.numFreePagesTotal;
    return {
      numPages: this.numPages,
      numUsablePages: this.numUsablePages,
      numUsedPages: this.numUsablePages - free,
      numCachedFreePages: this.numCachedFree,
      numEmptyFreePages: free - this.numCachedFree,
    };
  }

  refCountOf(page: number): number {
    return this.refCount[page] ?? 0;
  }

  ownerOf(page: number): PageOwner | null {
    return this.owner[page] ?? null;
  }

  hashOfPage(page: number): string | null {
    return this.hashOf[page] ?? null;
  }

  /** Pages currently charged to `tenant`. */
  tenantUsage(tenant: string): number {
    return this.usage.get(tenant) ?? 0;
  }

  /** Free-queue order of one region, head (evicted first) to tail; O(n), for tests and views. */
  freeQueueOrder(region = 0): number[] {
    return this.queue(region).toArray();
  }

  /**
   * Takes `n` pages from the head of `region`'s free queue (evicting cached ones), each with ref count 1,
   * charged to `owner.tenant`. Throws PoolExhaustedError if fewer are free: callers check first.
   */
  allocate(n: number, region: number, owner: PageOwner): number[] {
    const q = this.queue(region);
    if (n > q.numFreePages) {
      throw new PoolExhaustedError(`Asked for ${n} pages from region ${region}; only ${q.numFreePages} are free.`);
    }
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const p = q.popLeft();
      this.takeFresh(p, owner);
      out[i] = p;
    }
    this.numFree -= n;
    return out;
  }

  /** `allocate(1, region, owner)[0]` without the array: the decode path takes one page at a time. */
  allocateOne(region: number, owner: PageOwner): number {
    const q = this.queue(region);
    if (q.numFreePages === 0) throw new PoolExhaustedError(`Asked for 1 page from region ${region}; none is free.`);
    const p = q.popLeft();
    this.takeFresh(p, owner);
    this.numFree--;
    return p;
  }

  /** Takes one specific free page (the contiguous allocator's runs); evicts it if cached. */
  allocateSpecific(page: number, owner: PageOwner): void {
    const q = this.queue(this.regionOfPage(page));
    if (!q.has(page)) throw new PoolExhaustedError(`Page ${page} is not free.`);
    q.remove(page);
    this.takeFresh(page, owner);
    this.numFree--;
  }

  /** True when `page` is in a free queue (ref count 0). */
  isFree(page: number): boolean {
    const r = this.regionOfPage(page);
    return r >= 0 && this.queues[r]!.has(page);
  }

  /**
   * Adds one holder to a page. A page at ref count 0 (a cached free page: a prefix-cache hit) leaves the
   * free queue and is charged to `owner.tenant`.
   */
  touch(page: number, owner: PageOwner): void {
    const rc = this.refCount[page]!;
    if (rc === 0) {
      this.queue(this.regionOfPage(page)).remove(page);
      this.numFree--;
      if (this.hashOf[page] !== null) this.numCachedFree--;
      this.charge(page, owner.tenant);
      this.owner[page] = owner;
    }
    this.refCount[page] = rc + 1;
    if (this.sink) this.sink({ kind: 'hit', page, owner });
  }

  /** Drops one holder; at ref count 0 the page is appended to its free queue (still cached if hashed). */
  release(page: number, owner: PageOwner | null): void {
    const rc = this.refCount[page]!;
    if (rc <= 0 || page === NULL_PAGE) throw new Error(`PagePool.release: page ${page} has ref count ${rc}.`);
    this.refCount[page] = rc - 1;
    if (rc === 1) {
      this.uncharge(page);
      this.queue(this.regionOfPage(page)).append(page);
      this.numFree++;
      if (this.hashOf[page] !== null) this.numCachedFree++;
      if (this.sink) this.sink({ kind: 'freed', page, owner });
    }
  }

  /** Page cached under `key`, or -1. Not verified: use `verifyCached`. */
  lookup(key: string): number {
    return this.hashToPage.get(key) ?? -1;
  }

  /**
   * True when cached `page` holds exactly `tokens[start, start+count)` under `root`, chained after
   * `parentPage` (-1 for the first page) as it is now. Guards against hash collisions.
   */
  verifyCached(page: number, root: string, parentPage: number, tokens: ArrayLike<number>, start: number, count: number): boolean {
    const t = this.cacheTokens[page];
    if (!t || t.length !== count || this.cacheRoot[page] !== root) return false;
    if (this.cacheParent[page] !== parentPage) return false;
    if (parentPage >= 0 && this.cacheParentGen[page] !== this.generation[parentPage]) return false;
    for (let i = 0; i < count; i++) if (t[i] !== tokens[start + i]) return false;
    return true;
  }

  /**
   * Registers a full, in-use page in the prefix cache. No-op (returns false) when the page is already cached
   * or another page holds the key (duplicates are not cached; the other page serves hits).
   */
  cache(page: number, key: string, root: string, parentPage: number, tokens: ArrayLike<number>, start: number, count: number, owner: PageOwner | null): boolean {
    if (this.hashOf[page] !== null || this.hashToPage.has(key)) return false;
    this.hashOf[page] = key;
    this.hashToPage.set(key, page);
    const t = new Int32Array(count);
    for (let i = 0; i < count; i++) t[i] = tokens[start + i]!;
    this.cacheTokens[page] = t;
    this.cacheRoot[page] = root;
    this.cacheParent[page] = parentPage;
    this.cacheParentGen[page] = parentPage >= 0 ? this.generation[parentPage]! : 0;
    if (this.refCount[page] === 0) this.numCachedFree++;
    if (this.sink) this.sink({ kind: 'cached', page, owner, hash: key });
    return true;
  }

  /** Records a page copy (copy-on-write or fork) for the views. */
  recordCopy(src: number, dst: number, owner: PageOwner): void {
    if (this.sink) this.sink({ kind: 'copied', page: dst, src, owner });
  }

  /** Records a swap for the views. */
  recordSwap(kind: 'swapped-out' | 'swapped-in', page: number, hostSlot: number, owner: PageOwner): void {
    if (this.sink) this.sink({ kind, page, hostSlot, owner });
  }

  /**
   * Drops every cached free page's hash (e.g. after weights change or the device's KV was lost); with
   * `model`, only pages last held for that model (a cached page's owner is the request that last held it,
   * and only requests of the page's own model can hit it). Used pages keep their hashes. Returns the count.
   */
  resetPrefixCache(model?: string): number {
    let n = 0;
    for (const page of [...this.hashToPage.values()]) {
      if (this.refCount[page] === 0 && (model === undefined || this.owner[page]?.model === model)) {
        this.dropHash(page);
        n++;
      }
    }
    return n;
  }

  /** Throws with a description of the first broken invariant. O(numPages). */
  checkInvariants(): void {
    let free = 0;
    let cachedFree = 0;
    if (this.refCount[NULL_PAGE] !== 0 || this.regionOf[NULL_PAGE] !== -1) throw new Error('NULL page 0 was touched.');
    const usage = new Map<string, number>();
    for (let p = 1; p < this.numPages; p++) {
      const rc = this.refCount[p]!;
      if (rc < 0) throw new Error(`page ${p} has negative ref count ${rc}.`);
      const inQ = this.isFree(p);
      if ((rc === 0) !== inQ) throw new Error(`page ${p}: ref count ${rc} but ${inQ ? 'in' : 'not in'} the free queue.`);
      if (rc === 0) {
        free++;
        if (this.hashOf[p] !== null) cachedFree++;
        if (this.charged[p] !== null) throw new Error(`free page ${p} is still charged to ${this.charged[p]}.`);
      } else {
        const t = this.charged[p];
        if (t === null || t === undefined) throw new Error(`used page ${p} is charged to nobody.`);
        usage.set(t, (usage.get(t) ?? 0) + 1);
      }
      const h = this.hashOf[p];
      if (h !== null && h !== undefined && this.hashToPage.get(h) !== p) throw new Error(`page ${p} hash ${h} not mapped back.`);
    }
    let queued = 0;
    for (const q of this.queues) queued += q.numFreePages;
    if (free !== queued) throw new Error(`free pages ${free} != queue lengths ${queued}.`);
    if (free !== this.numFree) throw new Error(`free pages ${free} != counter ${this.numFree}.`);
    if (cachedFree !== this.numCachedFree) throw new Error(`cached free pages ${cachedFree} != counter ${this.numCachedFree}.`);
    for (const [t, n] of this.usage) if ((usage.get(t) ?? 0) !== n) throw new Error(`tenant ${t} usage ${n} != charged pages ${usage.get(t) ?? 0}.`);
    for (const [t, n] of usage) if ((this.usage.get(t) ?? 0) !== n) throw new Error(`tenant ${t} charged ${n} pages but usage says ${this.usage.get(t) ?? 0}.`);
    for (const [key, p] of this.hashToPage) if (this.hashOf[p] !== key) throw new Error(`hash ${key} maps to page ${p} with hash ${this.hashOf[p]}.`);
  }

  private queue(region: number): FreePageQueue {
    const q = this.queues[region];
    if (!q) throw new ConfigError(`Unknown page region ${region}; the pool has ${this.queues.length}.`);
    return q;
  }

  private takeFresh(page: number, owner: PageOwner): void {
    if (this.hashOf[page] !== null) {
      const key = this.hashOf[page]!;
      this.dropHash(page, true);
      if (this.sink) this.sink({ kind: 'evicted', page, owner: this.owner[page] ?? null, hash: key });
    }
    this.generation[page] = (this.generation[page]! + 1) >>> 0;
    this.refCount[page] = 1;
    this.owner[page] = owner;
    this.charge(page, owner.tenant);
    if (this.sink) this.sink({ kind: 'allocated', page, owner });
  }

  /** Removes a page's cache entry; `wasFree` says the page was counted as cached free. */
  private dropHash(page: number, wasFree = this.refCount[page] === 0): void {
    const key = this.hashOf[page];
    if (key === null || key === undefined) return;
    this.hashToPage.delete(key);
    this.hashOf[page] = null;
    this.cacheTokens[page] = null;
    this.cacheRoot[page] = null;
    this.cacheParent[page] = -1;
    if (wasFree) this.numCachedFree--;
  }

  private charge(page: number, tenant: string): void {
    this.charged[page] = tenant;
    this.usage.set(tenant, (this.usage.get(tenant) ?? 0) + 1);
  }

  private uncharge(page: number): void {
    const t = this.charged[page];
    if (t === null || t === undefined) return;
    this.charged[page] = null;
    const n = (this.usage.get(t) ?? 0) - 1;
    if (n === 0) this.usage.delete(t);
    else this.usage.set(t, n);
  }
}
