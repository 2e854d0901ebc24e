import { describe, expect, it } from 'vitest';
import { chainHash, fnv1a64Bytes, rootHash } from '../../../src/kv/index';
import { mulberry32 } from '../scheduler/helpers';

const bytes = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

/** BigInt FNV-1a 64 from a given state: the reference the two-u32-halves code must equal bit for bit. */
function fnvRef(state: bigint, data: readonly number[]): bigint {
  let x = state;
  for (const b of data) x = ((x ^ BigInt(b & 0xff)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return x;
}
/** Little-endian bytes of 32-bit words, as chainHash feeds them (count first, then each token). */
const wordBytes = (words: readonly number[]) => words.flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, (w >>> 24) & 0xff]);

describe('FNV-1a 64 (two u32 halves)', () => {
  it('matches the published test vectors', () => {
    expect(fnv1a64Bytes([])).toBe('cbf29ce484222325');
    expect(fnv1a64Bytes(bytes('a'))).toBe('af63dc4c8601ec8c');
    expect(fnv1a64Bytes(bytes('foobar'))).toBe('85944171f73967e8');
  });

  it('equals a BigInt reference on random bytes, parents and tokens (incl. negative and > 2^31 words)', () => {
    const rnd = mulberry32(99);
    const u32 = () => Math.floor(rnd() * 2 ** 32);
    for (let t = 0; t < 300; t++) {
      const data = Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256));
      expect(fnv1a64Bytes(data)).toBe(fnvRef(0xcbf29ce484222325n, data).toString(16).padStart(16, '0'));
      const parent = { hi: u32(), lo: u32(), key: '' };
      const count = 1 + Math.floor(rnd() * 17);
      const tokens = Array.from({ length: count + 3 }, () => (rnd() < 0.2 ? u32() | 0 : Math.floor(rnd() * 50000)));
      const start = Math.floor(rnd() * 3);
      const h = chainHash(parent, tokens, start, count);
      const ref = fnvRef((BigInt(parent.hi) << 32n) | BigInt(parent.lo), wordBytes([count, ...tokens.slice(start, start + count)]));
      expect([h.hi, h.lo, h.key]).toEqual([Number(ref >> 32n), Number(ref & 0xffffffffn), ref.toString(16).padStart(16, '0')]);
    }
  });

  it('chains deterministically and separates model, salt, parent and tokens', () => {
    const r = rootHash('llama', null);
    const a = chainHash(r, [1, 2, 3, 4], 0, 4);
    expect(chainHash(rootHash('llama', null), [1, 2, 3, 4], 0, 4).key).toBe(a.key);
    expect(chainHash(rootHash('qwen', null), [1, 2, 3, 4], 0, 4).key).not.toBe(a.key);
    expect(chainHash(rootHash('llama', 'tenant-a'), [1, 2, 3, 4], 0, 4).key).not.toBe(a.key);
    expect(chainHash(r, [1, 2, 3, 5], 0, 4).key).not.toBe(a.key);
    // Same tokens under a different parent: a different page.
    expect(chainHash(a, [1, 2, 3, 4], 0, 4).key).not.toBe(a.key);
    expect(a.key).toMatch(/^[0-9a-f]{16}$/);
    // The root mixes each UTF-16 code unit as a 4-byte word: model, NUL, salt, SOH.
    const ref = fnvRef(0xcbf29ce484222325n, wordBytes(Array.from('llama\u0000tenant-a\u0001', (c) => c.charCodeAt(0))));
    expect(rootHash('llama', 'tenant-a').key).toBe(ref.toString(16).padStart(16, '0'));
  });
});
