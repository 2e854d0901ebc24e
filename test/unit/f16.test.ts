// f32 <-> f16 conversion and the packed-f16 weight layout (src/kernels/f16.ts) the matmul kernels and
// model loaders share.
import { describe, expect, test } from 'vitest';
import { f16BitsToF32, f16RowStride, f32ToF16Bits, packF16Rows, roundToF16, unpackF16Rows } from '../../src/kernels/f16';

describe('f32ToF16Bits', () => {
  // [value, bits]: IEEE 754 binary16 encodings.
  const known: Array<[number, number]> = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest finite
    [65520, 0x7c00], // rounds up to Inf (half-way above max rounds to even = Inf)
    [1e6, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // half the smallest subnormal: tie, rounds to even (0)
    [1.5 * 2 ** -25, 0x0001],
    [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10: to even (1)
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 1+2^-10 and 1+2^-9: to even
    [0.1, 0x2e66],
  ];
  for (const [v, bits] of known) {
    test(`${v} -> 0x${bits.toString(16).padStart(4, '0')}`, () => expect(f32ToF16Bits(v)).toBe(bits));
  }
  test('NaN stays NaN', () => expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN)))).toBe(true));
  test('every f16 value round-trips exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = f16BitsToF32(h);
      if (Number.isNaN(v)) continue;
      expect(f32ToF16Bits(v)).toBe(h);
    }
  });
  test('rounding picks the nearest f16 (relative error <= 2^-11 in the normal range)', () => {
    for (let i = 0; i < 2000; i++) {
      const v = (Math.sin(i * 12.9898) * 43758.5453) % 1000;
      const r = roundToF16(v);
      if (Math.abs(v) >= 2 ** -14) expect(Math.abs(r - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11);
    }
  });
});

describe('packF16Rows', () => {
  test('row stride rounds K up to 8; K = 1 and K = 8 and K = 9', () => {
    expect([1, 8, 9, 16].map(f16RowStride)).toEqual([8, 8, 16, 16]);
  });
  test('layout: low half = even k, rows padded with zeros', () => {
    // W (2, 3) = [[1, 2, 3], [-1, 0.5, 0]]
    const p = packF16Rows([1, 2, 3, -1, 0.5, 0], 2, 3);
    expect(p.length).toBe(8); // 2 rows × 8 halves / 2
    expect(Array.from(p)).toEqual([
      0x3c00 | (0x4000 << 16), 0x4200, 0, 0,
      0xbc00 | (0x3800 << 16), 0, 0, 0,
    ].map((v) => v >>> 0));
  });
  test('unpack inverts pack on f16-representable values', () => {
    const [rows, k] = [5, 13];
    const w = Float32Array.from({ length: rows * k }, (_, i) => roundToF16(Math.cos(i) * 3));
    expect(Array.from(unpackF16Rows(packF16Rows(w, rows, k), rows, k))).toEqual(Array.from(w));
  });
  test('too little data is an error', () => expect(() => packF16Rows([1, 2], 2, 2)).toThrow(RangeError));
});
