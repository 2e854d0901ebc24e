/**
 * The page pool's state as a flat Int32Array the UI can draw each frame: PAGE_FIELDS values per page.
 * When the page is cross-origin isolated the array lives in a SharedArrayBuffer the worker writes
 * after every step and the UI reads without copying; otherwise the engine posts a copy (throttled).
 *
 *   [page * PAGE_FIELDS + 0] owner tenant index + 1 (0 = nobody)
 *   [            ... + 1] session index + 1 (0 = nobody)
 *   [            ... + 2] request number + 1 of the first holder (0 = nobody); numbers come from `requestNumbers`
 *   [            ... + 3] tokens stored in the page (its fill); -1 = full, for a cached page no running request holds
 *   [            ... + 4] ref count
 *   [            ... + 5] flags: 1 = holds a cached prefix (hashed), 2 = free, 4 = shared (ref count > 1),
 *                                 8 = reserved NULL page
 * Header (before the pages): [0] version counter (bumped per write), [1] numPages, [2..3] unused.
 */
import type { PagePool, PageEvent } from '../kv';
import type { Engine } from './engine';

export const PAGE_FIELDS = 6;
export const MIRROR_HEADER = 4;
export const PAGE_FLAG = { cached: 1, free: 2, shared: 4, reserved: 8 } as const;

export function mirrorLength(numPages: number): number {
  return MIRROR_HEADER + numPages * PAGE_FIELDS;
}

export class PoolMirror {
  readonly data: Int32Array;
  readonly shared: boolean;
  /** Request id -> number, assigned in order of first sight (stable for a run). */
  readonly requestNumbers = new Map<string, number>();
  readonly requestIds: string[] = [];

  constructor(readonly numPages: number, useShared = typeof SharedArrayBuffer !== 'undefined' && globalThis.crossOriginIsolated === true) {
    const bytes = mirrorLength(numPages) * 4;
    this.shared = useShared;
    this.data = new Int32Array(useShared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    this.data[1] = numPages;
    this.mark = new Uint8Array(numPages);
  }

  requestNumber(id: string): number {
    let n = this.requestNumbers.get(id);
    if (n === undefined) {
      n = this.requestIds.length;
      this.requestNumbers.set(id, n);
      this.requestIds.push(id);
    }
    return n;
  }

  // Incremental state (updateStep): what the last update saw.
  private lastPool: PagePool | null = null;
  private lastKey = '';
  /** Pages with ref count > 1 at the last update: a holder may leave them without a page event. */
  private sharedPages: number[] = [];
  private sharedNext: number[] = [];
  /** Running request id -> its computed tokens at the last update (where its fill walk resumes). */
  private computed = new Map<string, number>();
  /** The map the next walk fills (swapped with `computed`: no allocation per step). */
  private computedNext = new Map<string, number>();
  private readonly mark: Uint8Array;
  private readonly dirty: number[] = [];

  /** Owner, ref count and flags of page p from the pool; the fill is left to the caller. */
  private writePage(pool: PagePool, p: number, tenants: readonly string[], sessions: readonly string[]): number {
    const d = this.data;
    const o = MIRROR_HEADER + p * PAGE_FIELDS;
    const rc = p < pool.numPages ? pool.refCountOf(p) : 0;
    const owner = p === 0 ? null : pool.ownerOf(p);
    d[o] = owner ? tenants.indexOf(owner.tenant) + 1 : 0;
    d[o + 1] = owner ? sessions.indexOf(owner.model) + 1 : 0;
    d[o + 2] = owner ? this.requestNumber(owner.request) + 1 : 0;
    d[o + 4] = rc;
    d[o + 5] = (p === 0 ? PAGE_FLAG.reserved : 0) | (pool.hashOfPage(p) !== null ? PAGE_FLAG.cached : 0) | (rc === 0 && p !== 0 ? PAGE_FLAG.free : 0) | (rc > 1 ? PAGE_FLAG.shared : 0);
    return rc;
  }

  /**
   * Fill: walks running requests' block tables from page `from(request)` on; a page shared by several
   * holds the most tokens any writes (fills only grow while a page is held). Records where each walk
   * resumes next time.
   */
  private walkFills(engine: Engine, sessions: readonly string[], from: (id: string, n: number, tpp: number) => number): void {
    const sch = engine.schedulerState;
    const d = this.data;
    const next = this.computedNext;
    next.clear();
    if (sch) {
      for (const sid of sessions) {
        const alloc = sch.allocator(sid);
        const tpp = alloc.tokensPerPage;
        for (const req of sch.running(sid)) {
          const table = alloc.blockTable(req.requestId);
          const n = req.numComputedTokens;
          next.set(req.requestId, n);
          for (let i = from(req.requestId, n, tpp); i < table.length; i++) {
            const page = table[i]!;
            const fill = Math.max(0, Math.min(tpp, n - i * tpp));
            const o = MIRROR_HEADER + page * PAGE_FIELDS + 3;
            if (fill > d[o]!) d[o] = fill;
          }
        }
      }
    }
    this.computedNext = this.computed;
    this.computed = next;
  }

  private keyOf(engine: Engine): string {
    const sch = engine.schedulerState;
    return `${sch ? sch.config.tenants.map((t) => t.id).join('\u0000') : ''}\u0001${engine.sessionIds().join('\u0000')}`;
  }

  /** Rewrites every page from the engine's pool and the block tables of its requests. O(pages). */
  update(engine: Engine): void {
    const pool = engine.pagePool;
    const sch = engine.schedulerState;
    const d = this.data;
    const tenants = sch ? sch.config.tenants.map((t) => t.id) : [];
    const sessions = engine.sessionIds();
    const shared = this.sharedNext;
    shared.length = 0;
    for (let p = 0; p < this.numPages; p++) {
      d[MIRROR_HEADER + p * PAGE_FIELDS + 3] = 0;
      if (this.writePage(pool, p, tenants, sessions) > 1) shared.push(p);
    }
    this.walkFills(engine, sessions, () => 0);
    // Only full pages are cached, so a cached page no running request holds is full.
    for (let p = 1; p < this.numPages; p++) {
      const o = MIRROR_HEADER + p * PAGE_FIELDS;
      if (d[o + 3] === 0 && d[o + 5]! & PAGE_FLAG.cached) d[o + 3] = -1;
    }
    this.sharedNext = this.sharedPages;
    this.sharedPages = shared;
    this.lastPool = pool;
    this.lastKey = this.keyOf(engine);
    d[0] = (d[0]! + 1) | 0;
  }

  /**
   * After a step: rewrites only what the step can have changed, giving the same array as `update`
   * (test/unit/engine/telemetry-overhead.test.ts checks it after every step of a workload):
   * - pages named by the step's page events (allocated, hit, freed, cached, evicted, copied, swapped),
   *   whose fill restarts from 0;
   * - pages that were shared (ref count > 1): a holder leaves those without an event;
   * - fills of running requests' pages from the page that held their last computed token on (a new
   *   request, or one readmitted, from its first page). A page's fill only grows while it is held.
   * Falls back to `update` on the first call, a new pool, or changed tenants / sessions.
   * O(events + shared pages + running requests + new pages) instead of O(pages).
   */
  updateStep(engine: Engine, events: readonly PageEvent[]): void {
    const pool = engine.pagePool;
    if (pool !== this.lastPool || this.keyOf(engine) !== this.lastKey) return this.update(engine);
    const sch = engine.schedulerState;
    const d = this.data;
    const tenants = sch ? sch.config.tenants.map((t) => t.id) : [];
    const sessions = engine.sessionIds();
    const { mark, dirty } = this;
    dirty.length = 0;
    for (const e of events) {
      if (e.page > 0 && e.page < this.numPages && !mark[e.page]) {
        mark[e.page] = 2; // an event page: fill restarts
        dirty.push(e.page);
      }
    }
    for (const p of this.sharedPages) {
      if (!mark[p]) {
        mark[p] = 1;
        dirty.push(p);
      }
    }
    const shared = this.sharedNext;
    shared.length = 0;
    for (const p of dirty) {
      const rc = this.writePage(pool, p, tenants, sessions);
      const o = MIRROR_HEADER + p * PAGE_FIELDS + 3;
      if (rc === 0 || mark[p] === 2 || d[o]! < 0) d[o] = 0;
      if (rc > 1) shared.push(p);
    }
    const computed = this.computed;
    this.walkFills(engine, sessions, (id, n, tpp) => {
      const prev = computed.get(id);
      return prev === undefined || prev > n ? 0 : Math.floor(prev / tpp);
    });
    for (const p of dirty) {
      const o = MIRROR_HEADER + p * PAGE_FIELDS;
      if (d[o + 3] === 0 && d[o + 5]! & PAGE_FLAG.cached) d[o + 3] = -1;
      mark[p] = 0;
    }
    this.sharedNext = this.sharedPages;
    this.sharedPages = shared;
    d[0] = (d[0]! + 1) | 0;
  }
}
