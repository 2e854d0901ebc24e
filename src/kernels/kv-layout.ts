/**
 * The KV-cache page layout, written once. The kv-write, attention and page-copy shaders compute the
 * same offsets (their headers restate this formula); the references, tests and the engine use these
 * functions, so there is exactly one definition of where a key lives.
 *
 * The pool is ONE storage buffer of f32 holding every layer of every page:
 *
 *   pool[page][layer][kv][kvHead][slot][dim]       kv = 0 for K, 1 for V
 *
 *   offset(page, layer, kv, kvHead, slot, dim)
 *     = ((((page * numLayers + layer) * 2 + kv) * numKvHeads + kvHead) * tokensPerPage + slot) * headDim + dim
 *
 * Why this order:
 * - For one (page, layer, K|V, kv head) the tokensPerPage x headDim block is contiguous (16 x 128 x 4 B =
 *   8 KiB), so the threads of an attention workgroup that read consecutive dims of consecutive slots read
 *   consecutive addresses (coalesced), and one page of keys for one head is a single burst.
 * - Everything a page holds is one contiguous range of `pageStride` elements, so copy-on-write, swap and
 *   page copy move one range per page, and the scheduler's page is exactly a byte range of the buffer.
 * - Layer sits inside the page (not outside) so a page is one allocation unit for all layers, as vLLM's
 *   block is; the cost is that one layer's keys are strided by pageStride across pages, which attention
 *   reads through the block table anyway.
 *
 * What bounds the pool: its byte size must be <= device.limits.maxStorageBufferBindingSize (and
 * maxBufferSize), i.e. numPages <= floor(maxStorageBufferBindingSize / pageBytes). Shaders index the
 * pool in f32 elements with u32 arithmetic, so the element count must stay < 2^32; since a binding is
 * below 4 GiB (= 2^30 f32 elements) in every implementation we know, the binding limit is the one that
 * binds. `checkPool` enforces both. headDim must be a multiple of 4 (kernels move vec4s).
 */

export interface KvPoolLayout {
  numPages: number;
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  /** Token slots per page (16 by default, as vLLM). */
  tokensPerPage: number;
}

export const DEFAULT_TOKENS_PER_PAGE = 16;
/** Bytes per stored element: the pool is f32 (SwiftShader and Dawn's GL backend have no shader-f16). */
export const KV_ELEMENT_BYTES = 4;

/** Elements one page holds: every layer, K and V, every kv head, every slot, every dim. */
export function pageStride(l: Omit<KvPoolLayout, 'numPages'>): number {
  return l.numLayers * 2 * l.numKvHeads * l.tokensPerPage * l.headDim;
}

/** Element offset of (page, layer, kv, kvHead, slot, dim) in the pool. kv: 0 = K, 1 = V. */
export function kvOffset(
  l: Omit<KvPoolLayout, 'numPages'>,
  page: number,
  layer: number,
  kv: 0 | 1,
  kvHead: number,
  slot: number,
  dim: number,
): number {
  return ((((page * l.numLayers + layer) * 2 + kv) * l.numKvHeads + kvHead) * l.tokensPerPage + slot) * l.headDim + dim;
}

/** Pool size in bytes. */
export function poolBytes(l: KvPoolLayout): number {
  return l.numPages * pageStride(l) * KV_ELEMENT_BYTES;
}

/** Byte range [offset, offset + size) of one page, for copyBufferToBuffer to another buffer (swap). */
export function pageByteRange(l: Omit<KvPoolLayout, 'numPages'>, page: number): { offset: number; size: number } {
  const size = pageStride(l) * KV_ELEMENT_BYTES;
  return { offset: page * size, size };
}

/** The largest page count a device can bind as one pool. */
export function maxPoolPages(l: Omit<KvPoolLayout, 'numPages'>, limits: { maxStorageBufferBindingSize: number; maxBufferSize: number }): number {
  const bytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  return Math.min(Math.floor(bytes / (pageStride(l) * KV_ELEMENT_BYTES)), Math.floor((2 ** 32 - 1) / pageStride(l)));
}

/** Throws a RangeError naming the bound a layout breaks. */
export function checkPool(l: KvPoolLayout, limits?: { maxStorageBufferBindingSize: number; maxBufferSize: number }): void {
  for (const k of ['numPages', 'numLayers', 'numKvHeads', 'headDim', 'tokensPerPage'] as const) {
    if (!Number.isInteger(l[k]) || l[k] < 1) throw new RangeError(`KV pool: ${k} must be a positive integer, got ${l[k]}.`);
  }
  if (l.headDim % 4 !== 0) throw new RangeError(`KV pool: headDim ${l.headDim} must be a multiple of 4 (kernels move vec4s).`);
  const elements = l.numPages * pageStride(l);
  if (elements >= 2 ** 32) throw new RangeError(`KV pool: ${elements} elements exceed u32 indexing (2^32).`);
  if (limits) {
    const max = maxPoolPages(l, limits);
    if (l.numPages > max) {
      throw new RangeError(
        `KV pool: ${l.numPages} pages of ${pageStride(l) * KV_ELEMENT_BYTES} B = ${poolBytes(l)} B exceed this device's binding limit ` +
          `(${Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize)} B, at most ${max} pages).`,
      );
    }
  }
}

/**
 * The contiguous (pre-paging) cache is the same formula with one "page" per sequence of maxLen slots:
 * cache[seq][layer][kv][kvHead][maxLen][dim]. Attention over it is the paged kernel with the block-table
 * lookup compiled out (page = sequence index, tokensPerPage = maxLen).
 */
export function contiguousLayout(numSeqs: number, maxLen: number, l: Omit<KvPoolLayout, 'numPages' | 'tokensPerPage'>): KvPoolLayout {
  return { ...l, numPages: numSeqs, tokensPerPage: maxLen };
}
