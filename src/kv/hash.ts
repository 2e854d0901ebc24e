/**
 * Prefix-cache page hashes: 64-bit FNV-1a, computed as two u32 halves so it runs on plain JS numbers.
 *
 * A full page is identified by the chain `hash(page i) = FNV(hash(page i-1), tokens of page i)`, where the
 * chain starts from `rootHash(model, salt)`. The model id and the optional per-tenant salt are therefore in
 * every page's hash through its parent, so two models (or two salted tenants) never share a page.
 *
 * Collision risk: FNV-1a is fast and deterministic but not collision resistant; an adversary can build two
 * prompts with the same 64-bit hash, and random prompts collide with probability about n^2 / 2^65 for n
 * cached pages (~1e-11 for 16,384 pages). A collision can NOT produce wrong KV here: the page pool stores
 * each cached page's tokens, root key and parent page (with its generation) and verifies them on every hit
 * (see `PagePool.verifyCached`), so a collision only costs a cache miss, counted in `numCollisions`.
 */

/** A page's chained hash: the two u32 halves and the 16-hex-digit key used in the cache map and the UI. */
export interface PageHash {
  readonly hi: number;
  readonly lo: number;
  readonly key: string;
}

const FNV_OFFSET_HI = 0xcbf29ce4;
const FNV_OFFSET_LO = 0x84222325;
// FNV-1a 64-bit prime 0x00000100_000001b3 = (hi 0x100, lo 0x1b3).
const PRIME_LO = 0x1b3;

/*
 * One FNV-1a byte step on the halves (h, l), in int32 arithmetic only (no doubles, so no heap numbers):
 *   l ^= b;  (h, l) = (h, l) * (0x100 << 32 | 0x1b3)  mod 2^64
 *   lo' = l * 0x1b3 mod 2^32                                  = Math.imul(l, 0x1b3)
 *   carry = floor(l * 0x1b3 / 2^32), with l = lh * 2^16 + ll:  = (lh * 0x1b3 + (ll * 0x1b3 >>> 16)) >>> 16
 *   hi' = h * 0x1b3 + l * 0x100 + carry  mod 2^32              = imul(h, 0x1b3) + (l << 8) + carry, wrapped
 * Every product is < 2^26, so it is exact. The step is written out in each loop below (rather than a helper
 * writing module state) so the two halves stay in registers.
 */

/** Char codes of the hex digits '0'..'f'. */
const HEX: number[] = Array.from({ length: 16 }, (_, i) => i.toString(16).charCodeAt(0));

/**
 * (hi, lo) as the 16-hex-digit key. Built in one `fromCharCode` so the key is a flat string: a string
 * concatenated from parts is a rope that the cache map must flatten before hashing it (twice as slow).
 */
function hexKey(h: number, l: number): string {
  return String.fromCharCode(
    HEX[h >>> 28]!, HEX[(h >>> 24) & 15]!, HEX[(h >>> 20) & 15]!, HEX[(h >>> 16) & 15]!,
    HEX[(h >>> 12) & 15]!, HEX[(h >>> 8) & 15]!, HEX[(h >>> 4) & 15]!, HEX[h & 15]!,
    HEX[l >>> 28]!, HEX[(l >>> 24) & 15]!, HEX[(l >>> 20) & 15]!, HEX[(l >>> 16) & 15]!,
    HEX[(l >>> 12) & 15]!, HEX[(l >>> 8) & 15]!, HEX[(l >>> 4) & 15]!, HEX[l & 15]!,
  );
}

function pageHash(h: number, l: number): PageHash {
  return { hi: h >>> 0, lo: l >>> 0, key: hexKey(h, l) };
}

/** The chain's start for one model and optional tenant salt. */
export function rootHash(modelId: string, salt: string | null): PageHash {
  let h = FNV_OFFSET_HI | 0;
  let l = FNV_OFFSET_LO | 0;
  const s = salt === null ? `${modelId}\u0000` : `${modelId}\u0000${salt}\u0001`;
  for (let i = 0; i < s.length; i++) {
    const w = s.charCodeAt(i);
    for (let shift = 0; shift < 32; shift += 8) {
      l ^= (w >>> shift) & 0xff;
      const carry = ((l >>> 16) * PRIME_LO + (((l & 0xffff) * PRIME_LO) >>> 16)) >>> 16;
      h = (((Math.imul(h, PRIME_LO) + (l << 8)) | 0) + carry) | 0;
      l = Math.imul(l, PRIME_LO);
    }
  }
  return pageHash(h, l);
}

/** Hash of the page holding `tokens[start, start + count)`, chained to `parent`: FNV over count, then each token (4 bytes, little end first). */
export function chainHash(parent: PageHash, tokens: ArrayLike<number>, start: number, count: number): PageHash {
  let h = parent.hi | 0;
  let l = parent.lo | 0;
  const end = start + count;
  for (let i = start - 1; i < end; i++) {
    const w = i < start ? count : (tokens[i] ?? 0) | 0;
    for (let shift = 0; shift < 32; shift += 8) {
      l ^= (w >>> shift) & 0xff;
      const carry = ((l >>> 16) * PRIME_LO + (((l & 0xffff) * PRIME_LO) >>> 16)) >>> 16;
      h = (((Math.imul(h, PRIME_LO) + (l << 8)) | 0) + carry) | 0;
      l = Math.imul(l, PRIME_LO);
    }
  }
  return pageHash(h, l);
}

/** Plain 64-bit FNV-1a of a byte string given as numbers 0..255; for tests against published vectors. */
export function fnv1a64Bytes(bytes: ArrayLike<number>): string {
  let h = FNV_OFFSET_HI | 0;
  let l = FNV_OFFSET_LO | 0;
  for (let i = 0; i < bytes.length; i++) {
    l ^= (bytes[i] ?? 0) & 0xff;
    const carry = ((l >>> 16) * PRIME_LO + (((l & 0xffff) * PRIME_LO) >>> 16)) >>> 16;
    h = (((Math.imul(h, PRIME_LO) + (l << 8)) | 0) + carry) | 0;
    l = Math.imul(l, PRIME_LO);
  }
  return pageHash(h, l).key;
}
