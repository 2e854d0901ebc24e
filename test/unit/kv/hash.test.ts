import { describe, expect, it } from 'vitest';
import { chainHash, fnv1a64Bytes, rootHash } from '../../../src/kv/index';

const bytes = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

describe('FNV-1a 64 (two u32 halves)', () => {
  it('matches the published test vectors', () => {
    expect(fnv1a64Bytes([])).toBe('cbf29ce484222325');
    expect(fnv1a64Bytes(bytes('a'))).toBe('af63dc4c8601ec8c');
    expect(fnv1a64Bytes(bytes('foobar'))).toBe('85944171f73967e8');
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
  });
});
