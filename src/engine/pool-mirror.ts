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

  /** Rewrites every page from the engine's pool and the block tables of its requests. O(pages). */
  update(engine: Engine): void {
    const pool = engine.pagePool;
    const sch = engine.schedulerState;
    const d = this.data;
    const tenants = sch ? sch.config.tenants.map((t) => t.id) : [];
    const sessions = engine.sessionIds();
    for (let p = 0; p < this.numPages; p++) {
      const o = MIRROR_HEADER + p * PAGE_FIELDS;
      const rc = p < pool.numPages ? pool.refCountOf(p) : 0;
      const owner = p === 0 ? null : pool.ownerOf(p);
      d[o] = owner ? tenants.indexOf(owner.tenant) + 1 : 0;
      d[o + 1] = owner ? sessions.indexOf(owner.model) + 1 : 0;
      d[o + 2] = owner ? this.requestNumber(owner.request) + 1 : 0;
      d[o + 3] = 0;
      d[o + 4] = rc;
      d[o + 5] = (p === 0 ? PAGE_FLAG.reserved : 0) | (pool.hashOfPage(p) !== null ? PAGE_FLAG.cached : 0) | (rc === 0 && p !== 0 ? PAGE_FLAG.free : 0) | (rc > 1 ? PAGE_FLAG.shared : 0);
    }
    // Fill: walk each running request's block table; a page shared by several holds the most tokens any writes.
    if (sch) {
      for (const sid of sessions) {
        const alloc = sch.allocator(sid);
        const tpp = alloc.tokensPerPage;
        for (const req of sch.running(sid)) {
          const table = alloc.blockTable(req.requestId);
          const n = req.numComputedTokens;
          for (let i = 0; i < table.length; i++) {
            const page = table[i]!;
            const fill = Math.max(0, Math.min(tpp, n - i * tpp));
            const o = MIRROR_HEADER + page * PAGE_FIELDS + 3;
            if (fill > d[o]!) d[o] = fill;
          }
        }
      }
    }
    // Only full pages are cached, so a cached page no running request holds is full.
    for (let p = 1; p < this.numPages; p++) {
      const o = MIRROR_HEADER + p * PAGE_FIELDS;
      if (d[o + 3] === 0 && d[o + 5]! & PAGE_FLAG.cached) d[o + 3] = -1;
    }
    d[0] = (d[0]! + 1) | 0;
  }
}
