/**
 * The page pool's mirror layout (written by the engine's PoolMirror, src/engine/pool-mirror.ts) and
 * the grid geometry the pool view draws it in. The layout constants are imported from the engine's
 * mirror module: plain numbers, no engine code comes with them.
 */
export { PAGE_FIELDS, PAGE_FLAG, MIRROR_HEADER } from '../engine/pool-mirror';
import { MIRROR_HEADER, PAGE_FIELDS, PAGE_FLAG } from '../engine/pool-mirror';

export interface PageInfo {
  page: number;
  /** Tenant index (0-based) of the owner, or -1. */
  tenant: number;
  /** Request number of the first holder, or -1. */
  request: number;
  /** Tokens in the page; -1 = full (a cached page no running request holds). */
  fill: number;
  refCount: number;
  cached: boolean;
  free: boolean;
  shared: boolean;
  reserved: boolean;
}

export function mirrorNumPages(d: Int32Array): number {
  return d[1] ?? 0;
}

export function readPage(d: Int32Array, page: number): PageInfo {
  const o = MIRROR_HEADER + page * PAGE_FIELDS;
  const flags = d[o + 5]!;
  return {
    page,
    tenant: d[o]! - 1,
    request: d[o + 2]! - 1,
    fill: d[o + 3]!,
    refCount: d[o + 4]!,
    cached: (flags & PAGE_FLAG.cached) !== 0,
    free: (flags & PAGE_FLAG.free) !== 0,
    shared: (flags & PAGE_FLAG.shared) !== 0,
    reserved: (flags & PAGE_FLAG.reserved) !== 0,
  };
}

export interface PoolSummary {
  numPages: number;
  used: number;
  cachedFree: number;
  emptyFree: number;
  shared: number;
  /** Token slots allocated but not (yet) written in used pages: internal fragmentation. */
  emptySlots: number;
  usedSlots: number;
  perTenant: number[];
}

/** Counts over the mirror, as text for the view (the same numbers the colours show). */
export function summarize(d: Int32Array, tokensPerPage: number, numTenants: number): PoolSummary {
  const n = mirrorNumPages(d);
  const s: PoolSummary = { numPages: n, used: 0, cachedFree: 0, emptyFree: 0, shared: 0, emptySlots: 0, usedSlots: 0, perTenant: new Array(numTenants).fill(0) };
  for (let p = 1; p < n; p++) {
    const o = MIRROR_HEADER + p * PAGE_FIELDS;
    const flags = d[o + 5]!;
    if (flags & PAGE_FLAG.free) {
      if (flags & PAGE_FLAG.cached) s.cachedFree++;
      else s.emptyFree++;
      continue;
    }
    s.used++;
    if (flags & PAGE_FLAG.shared) s.shared++;
    const fill = d[o + 3]! < 0 ? tokensPerPage : d[o + 3]!;
    s.usedSlots += fill;
    s.emptySlots += tokensPerPage - fill;
    const t = d[o]! - 1;
    if (t >= 0 && t < numTenants) s.perTenant[t]!++;
  }
  return s;
}

export interface GridGeometry {
  /** Cell edge in CSS pixels. */
  cell: number;
  cols: number;
  rows: number;
}

/** Largest cell (3..28 px) that fits `numPages` cells into `width` x about `targetHeight`. */
export function gridGeometry(numPages: number, width: number, targetHeight: number): GridGeometry {
  const n = Math.max(1, numPages);
  const w = Math.max(40, width);
  let cell = Math.floor(Math.sqrt((w * targetHeight) / n));
  cell = Math.max(3, Math.min(28, cell));
  // Shrink until the rows fit the target height (the sqrt estimate ignores the partial last column).
  while (cell > 3 && Math.ceil(n / Math.floor(w / cell)) * cell > targetHeight * 1.15) cell--;
  const cols = Math.max(1, Math.floor(w / cell));
  return { cell, cols, rows: Math.ceil(n / cols) };
}
