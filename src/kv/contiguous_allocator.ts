/**
 * The pre-PagedAttention allocator, behind the same interface as the paged manager: on admission each
 * request reserves one contiguous run of ceil(max_model_len / tokensPerPage) pages (first fit, lowest page id
 * first), whatever its real length, so the lessons and the benchmark can show internal fragmentation (slots
 * reserved but never written) and external fragmentation (enough free pages, no run long enough).
 *
 * No prefix caching and no sharing: a fork (n > 1) reserves a whole new run and copies the computed pages.
 * Invariant: a request's block table is exactly its run, `[start, start + pagesPerRequest)`, each page at ref 1.
 */
import { ConfigError, requirePositiveInt } from './errors';
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

export interface ContiguousAllocatorConfig {
  modelId: string;
  tokensPerPage: number;
  maxModelLen: number;
  swapSpace?: HostSwapSpace;
}

interface RunState {
  table: number[];
  /** Start page of each reserved fork run. */
  reserved: number[][];
}

const NO_PAGES: readonly number[] = Object.freeze([]);
const NO_COPIES: readonly PageCopy[] = Object.freeze([]);
const NO_SWAPS: readonly SwapPair[] = Object.freeze([]);

export class ContiguousAllocator implements KVCacheAllocator {
  readonly kind = 'contiguous' as const;
  readonly modelId: string;
  readonly tokensPerPage: number;
  readonly maxModelLen: number;
  readonly pool: PagePool;
  /** Pages in every request's run. */
  readonly pagesPerRequest: number;
  readonly prefixStats: PrefixCacheStats = { numQueries: 0, numHitQueries: 0, numQueryTokens: 0, numHitTokens: 0, numCollisions: 0 };

  private readonly swapSpace: HostSwapSpace | null;
  private readonly states = new Map<string, RunState>();
  private readonly swapped = new Map<string, number[]>();
  private pendingCopies: PageCopy[] = [];

  constructor(pool: PagePool, config: ContiguousAllocatorConfig) {
    requirePositiveInt('tokensPerPage', config.tokensPerPage);
    requirePositiveInt('maxModelLen', config.maxModelLen);
    this.pagesPerRequest = Math.ceil(config.maxModelLen / config.tokensPerPage);
    if (this.pagesPerRequest > pool.numUsablePages) {
      throw new ConfigError(
        `Model "${config.modelId}": a contiguous run of max_model_len ${config.maxModelLen} needs ${this.pagesPerRequest} pages; ` +
          `the pool has ${pool.numUsablePages} usable pages.`,
        'pool-too-small',
      );
    }
    this.pool = pool;
    this.modelId = config.modelId;
    this.tokensPerPage = config.tokensPerPage;
    this.maxModelLen = config.maxModelLen;
    this.swapSpace = config.swapSpace ?? null;
  }

  getComputedPages(_req: KVRequest): ComputedPages {
    return EMPTY_COMPUTED;
  }

  recordPrefixQuery(numQueryTokens: number, _numHitTokens: number): void {
    this.prefixStats.numQueries++;
    this.prefixStats.numQueryTokens += numQueryTokens;
  }

  numPagesNeeded(ask: AllocationAsk): number {
    const runs = (this.states.has(ask.req.requestId) ? 0 : 1) + (ask.numForks ?? 0);
    return runs * this.pagesPerRequest;
  }

  canAllocateAll(asks: readonly AllocationAsk[]): boolean {
    const taken = new Set<number>();
    for (const a of asks) {
      const runs = (this.states.has(a.req.requestId) ? 0 : 1) + (a.numForks ?? 0);
      for (let r = 0; r < runs; r++) {
        const start = this.findRun(a.req.region, taken);
        if (start < 0) return false;
        for (let p = start; p < start + this.pagesPerRequest; p++) taken.add(p);
      }
    }
    return true;
  }

  allocateSlots(req: KVRequest, numComputedTokens: number, numNewTokens: number, _computed?: ComputedPages, numLookaheadTokens = 0): Allocation | null {
    const end = numComputedTokens + numNewTokens + numLookaheadTokens;
    if (end > this.pagesPerRequest * this.tokensPerPage) {
      throw new ConfigError(`Request ${req.requestId} needs ${end} tokens; its contiguous run holds ${this.pagesPerRequest * this.tokensPerPage}.`, 'invalid-request');
    }
    if (this.states.has(req.requestId)) return { newPages: NO_PAGES, copies: NO_COPIES, swapIn: NO_SWAPS };
    const start = this.findRun(req.region, null);
    if (start < 0) return null;
    const table = this.takeRun(start, req);
    this.states.set(req.requestId, { table, reserved: [] });
    let swapIn: SwapPair[] = [];
    const slots = this.swapped.get(req.requestId);
    if (slots) {
      swapIn = slots.map((hostSlot, i) => ({ page: table[i]!, hostSlot }));
      for (const s of swapIn) this.pool.recordSwap('swapped-in', s.page, s.hostSlot, req.owner);
      this.swapSpace!.release(slots);
      this.swapped.delete(req.requestId);
    }
    return { newPages: table.slice(), copies: NO_COPIES, swapIn };
  }

  reserveForks(req: KVRequest, numForks: number): boolean {
    const st = this.states.get(req.requestId);
    if (!st) return false;
    const runs: number[][] = [];
    for (let i = 0; i < numForks; i++) {
      const start = this.findRun(req.region, null);
      if (start < 0) {
        for (const run of runs) for (const p of run) this.pool.release(p, req.owner);
        return false;
      }
      runs.push(this.takeRun(start, req));
    }
    st.reserved.push(...runs);
    return true;
  }

  fork(parent: KVRequest, child: KVRequest, numComputedTokens: number): void {
    const ps = this.states.get(parent.requestId);
    if (!ps) throw new ConfigError(`fork: request ${parent.requestId} holds no pages.`, 'unknown-request');
    let table = ps.reserved.pop();
    if (!table) {
      const start = this.findRun(child.region, null);
      if (start < 0) throw new ConfigError(`fork: no contiguous run free for ${child.requestId} and none reserved.`, 'pool-exhausted');
      table = this.takeRun(start, child);
    }
    this.states.set(child.requestId, { table, reserved: [] });
    const k = Math.ceil(numComputedTokens / this.tokensPerPage);
    for (let i = 0; i < k; i++) {
      this.pendingCopies.push({ src: ps.table[i]!, dst: table[i]! });
      this.pool.recordCopy(ps.table[i]!, table[i]!, child.owner);
    }
  }

  drainCopies(): PageCopy[] {
    const c = this.pendingCopies;
    this.pendingCopies = [];
    return c;
  }

  free(req: KVRequest): void {
    const st = this.states.get(req.requestId);
    if (st) {
      // A fork's copies not yet drained write into this run: they must not land in pages handed to someone else.
      if (this.pendingCopies.length > 0) {
        const start = st.table[0]!;
        const end = start + st.table.length;
        this.pendingCopies = this.pendingCopies.filter((c) => c.dst < start || c.dst >= end);
      }
      for (const run of st.reserved) for (let i = run.length - 1; i >= 0; i--) this.pool.release(run[i]!, req.owner);
      for (let i = st.table.length - 1; i >= 0; i--) this.pool.release(st.table[i]!, req.owner);
      this.states.delete(req.requestId);
    }
    const slots = this.swapped.get(req.requestId);
    if (slots) {
      this.swapSpace!.release(slots);
      this.swapped.delete(req.requestId);
    }
  }

  swapOut(req: KVRequest, numComputedTokens: number): SwapPair[] | null {
    const st = this.states.get(req.requestId);
    if (!this.swapSpace || !st) return null;
    const k = Math.min(st.table.length, Math.ceil(numComputedTokens / this.tokensPerPage));
    if (k > this.swapSpace.numFreeSlots) return null;
    const slots = this.swapSpace.allocate(k);
    const pairs = slots.map((hostSlot, i) => ({ page: st.table[i]!, hostSlot }));
    for (const s of pairs) this.pool.recordSwap('swapped-out', s.page, s.hostSlot, req.owner);
    this.free(req);
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
    return this.states.get(requestId)?.reserved.flat() ?? NO_PAGES;
  }

  /** Lowest start of `pagesPerRequest` consecutive free pages in the region (skipping `taken`), or -1. */
  private findRun(region: number, taken: Set<number> | null): number {
    const r = this.pool.regions[region];
    if (!r) return -1;
    const need = this.pagesPerRequest;
    let runStart = r.start;
    let runLen = 0;
    for (let p = r.start; p < r.end; p++) {
      if (this.pool.isFree(p) && !(taken && taken.has(p))) {
        if (runLen === 0) runStart = p;
        if (++runLen === need) return runStart;
      } else {
        runLen = 0;
      }
    }
    return -1;
  }

  private takeRun(start: number, req: KVRequest): number[] {
    const table: number[] = [];
    for (let p = start; p < start + this.pagesPerRequest; p++) {
      this.pool.allocateSpecific(p, req.owner);
      table.push(p);
    }
    return table;
  }
}
