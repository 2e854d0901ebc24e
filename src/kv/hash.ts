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
const TWO_32 = 4294967296;

// Running state of the hash being computed (module scratch; the functions below are not re-entrant).
let H = 0;
let L = 0;

function mixByte(b: number): void {
  L = (L ^ b) >>> 0;
  const p = L * PRIME_LO; // < 2^41: exact in a double
  const lo = p >>> 0; // ToUint32 is `mod 2^32`
  const carry = (p - lo) / TWO_32;
  // hi' = hi*PRIME_LO + lo*PRIME_HI(0x100) + carry  (mod 2^32)
  H = (Math.imul(H, PRIME_LO) + ((L << 8) >>> 0) + carry) >>> 0;
  L = lo;
}

function mixWord(w: number): void {
  mixByte(w & 0xff);
  mixByte((w >>> 8) & 0xff);
  mixByte((w >>> 16) & 0xff);
  mixByte((w >>> 24) & 0xff);
}

function hex8(x: number): string {
  return x.toString(16).padStart(8, '0');
}

function finish(): PageHash {
  return { hi: H, lo: L, key: hex8(H) + hex8(L) };
}

/** The chain's start for one model and optional tenant salt. */
export function rootHash(modelId: string, salt: string | null): PageHash {
  H = FNV_OFFSET_HI;
  L = FNV_OFFSET_LO;
  const s = salt === null ? `${modelId}\u0000` : `${modelId}\u0000${salt}\u0001`;
  for (let i = 0; i < s.length; i++) mixWord(s.charCodeAt(i));
  return finish();
}

/** Hash of the page holding `tokens[start, start + count)`, chained to `parent`. */
export function chainHash(parent: PageHash, tokens: ArrayLike<number>, start: number, count: number): PageHash {
  H = parent.hi;
  L = parent.lo;
  mixWord(count);
  for (let i = start; i < start + count; i++) mixWord((tokens[i] ?? 0) | 0);
  return finish();
}

/** Plain 64-bit FNV-1a of a byte string given as numbers 0..255; for tests against published vectors. */
export function fnv1a64Bytes(bytes: ArrayLike<number>): string {
  H = FNV_OFFSET_HI;
  L = FNV_OFFSET_LO;
  for (let i = 0; i < bytes.length; i++) mixByte((bytes[i] ?? 0) & 0xff);
  return finish().key;
}
