/**
 * The interface the scheduler allocates KV memory through, implemented by the paged `KVCacheManager`
 * (PagedAttention) and the `ContiguousAllocator` (one max_model_len slab per request, as before it).
 * One allocator per loaded model (session); all of them share one `PagePool`.
 */
import type { PageOwner } from './events';
import type { PagePool } from './page_pool';

/** What the allocator needs to know about a request (the scheduler's Request satisfies it). */
export interface KVRequest {
  readonly requestId: string;
  /** Tenant, model and request id, used for events and tenant page accounting. */
  readonly owner: PageOwner;
  /** Prompt tokens followed by the output tokens so far. */
  readonly allTokenIds: readonly number[];
  /**
   * Tokens sampled by scheduled steps whose output is not read back yet (pipelined steps): they follow
   * allTokenIds, may be scheduled as inputs (the GPU feeds them), and are not hashed until known.
   */
  readonly numPlaceholders?: number;
  /** Per-tenant prefix-cache salt; null shares cached pages with every tenant of the same model. */
  readonly cacheSalt: string | null;
  /** Page region the request allocates from (0 unless the partition policy split the pool). */
  readonly region: number;
}

/** Cached pages found for a request's prefix (a prefix-cache hit of `numComputedTokens` tokens). */
export interface ComputedPages {
  readonly pages: readonly number[];
  readonly numComputedTokens: number;
}

/** An instruction for the GPU's page-copy kernel: copy every slot of page `src` into page `dst`. */
export interface PageCopy {
  readonly src: number;
  readonly dst: number;
}

/** A page <-> host swap slot transfer. */
export interface SwapPair {
  readonly page: number;
  readonly hostSlot: number;
}

/** What one `allocateSlots` call did. */
export interface Allocation {
  /** Pages appended to the block table (fresh, reserved or swapped in), in table order. */
  readonly newPages: readonly number[];
  /** Copy-on-write copies to run before the forward pass. */
  readonly copies: readonly PageCopy[];
  /** Host -> page copies of a swapped-out request coming back. */
  readonly swapIn: readonly SwapPair[];
}

/** One member of an all-or-nothing (gang) allocation check. */
export interface AllocationAsk {
  req: KVRequest;
  numComputedTokens: number;
  numNewTokens: number;
  computed?: ComputedPages;
  numLookaheadTokens?: number;
  /** Extra samples (n - 1) whose first pages must be reserved now. */
  numForks?: number;
}

export interface PrefixCacheStats {
  /** Lookups made at admission. */
  numQueries: number;
  /** Lookups that found at least one cached page. */
  numHitQueries: number;
  /** Prompt tokens looked up. */
  numQueryTokens: number;
  /** Tokens served from the cache (not recomputed). */
  numHitTokens: number;
  /** Hash matches rejected by verification (collisions or stale parent links). */
  numCollisions: number;
}

export const EMPTY_COMPUTED: ComputedPages = Object.freeze({ pages: Object.freeze([]) as readonly number[], numComputedTokens: 0 });

export interface KVCacheAllocator {
  readonly kind: 'paged' | 'contiguous';
  readonly modelId: string;
  readonly tokensPerPage: number;
  readonly maxModelLen: number;
  readonly pool: PagePool;
  readonly prefixStats: PrefixCacheStats;

  /** Longest verified run of cached pages for the request's prefix; never covers its last token. */
  getComputedPages(req: KVRequest): ComputedPages;
  /** Counts one admission lookup in `prefixStats`. */
  recordPrefixQuery(numQueryTokens: number, numHitTokens: number): void;
  /** Pages the allocation would take from the pool (and charge to the tenant); 0 if none. */
  numPagesNeeded(ask: AllocationAsk): number;
  /** True when every ask could be allocated at once (gang admission). Does not change state. */
  canAllocateAll(asks: readonly AllocationAsk[]): boolean;
  /**
   * Grows the request's block table to hold `numComputedTokens + computed + numNewTokens + lookahead`
   * tokens, copy-on-write for shared pages being written, swap-in of swapped pages; caches newly full pages.
   * Returns null (changing nothing) when the region has too few free pages.
   */
  allocateSlots(
    req: KVRequest,
    numComputedTokens: number,
    numNewTokens: number,
    computed?: ComputedPages,
    numLookaheadTokens?: number,
  ): Allocation | null;
  /** Reserves the first page(s) of `numForks` future samples; call right after a successful allocateSlots. */
  reserveForks(req: KVRequest, numForks: number): boolean;
  /** Gives `child` the parent's first `numComputedTokens` tokens of KV (shared pages or a copy). */
  fork(parent: KVRequest, child: KVRequest, numComputedTokens: number): void;
  /** Copies queued by fork (contiguous allocator) for the next step; the paged manager returns a shared empty list. */
  drainCopies(): readonly PageCopy[];
  /** Releases every page and reservation of the request: tail pages first. */
  free(req: KVRequest): void;
  /** Copies the pages holding computed tokens to host and frees them; null if the host space is short. */
  swapOut(req: KVRequest, numComputedTokens: number): SwapPair[] | null;
  /** True while the request has pages swapped out to host. */
  isSwapped(requestId: string): boolean;
  /** The request's block table (logical page index -> page id); valid until the next allocator call. */
  blockTable(requestId: string): readonly number[];
  /** Request ids holding pages (for invariant checks). */
  requestIds(): IterableIterator<string>;
  /** Reserved fork pages held by the request. */
  reservedPages(requestId: string): readonly number[];
}

/**
 * Host memory for swapped-out pages: `numHostPages` slots of one page each. Slots are handed out lowest
 * first. Shared by every allocator of a scheduler.
 */
export class HostSwapSpace {
  readonly numHostPages: number;
  private readonly freeSlots: number[];
  constructor(numHostPages: number) {
    this.numHostPages = numHostPages;
    this.freeSlots = [];
    for (let i = numHostPages - 1; i >= 0; i--) this.freeSlots.push(i);
  }
  get numFreeSlots(): number {
    return this.freeSlots.length;
  }
  allocate(n: number): number[] {
    if (n > this.freeSlots.length) throw new Error(`HostSwapSpace: ${n} slots asked, ${this.freeSlots.length} free.`);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.freeSlots.pop()!);
    return out;
  }
  release(slots: readonly number[]): void {
    for (let i = slots.length - 1; i >= 0; i--) this.freeSlots.push(slots[i]!);
  }
}
