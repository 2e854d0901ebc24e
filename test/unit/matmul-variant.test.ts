// The matmul variant rules and tile-config checks (src/kernels/matmul_variant.ts, matmul_layout.ts).
import { describe, expect, test } from 'vitest';
import {
  HARDWARE_CONFIG,
  SOFTWARE_CONFIG,
  checkMatmulConfig,
  chooseMatmulVariant,
  matmulConfigFor,
  variantUnsupported,
  type MatmulFeatures,
  type MatmulVariant,
  type MatmulWeightType,
} from '../../src/kernels/matmul_variant';
import { matmulKStride, matmulWeightBytes, padRows } from '../../src/kernels/matmul_layout';

const NONE: MatmulFeatures = { subgroups: false, shaderF16: false };
const SG: MatmulFeatures = { subgroups: true, shaderF16: false };
const F16: MatmulFeatures = { subgroups: false, shaderF16: true };
const BOTH: MatmulFeatures = { subgroups: true, shaderF16: true };

describe('chooseMatmulVariant', () => {
  // [M, weight type, features, expected]
  const table: Array<[number, MatmulWeightType, MatmulFeatures, MatmulVariant]> = [
    [1, 'f32', NONE, 'skinny'],
    [16, 'f32', NONE, 'skinny'],
    [17, 'f32', NONE, 'tiled'], // rule 1: M > 16
    [512, 'f16', BOTH, 'tiled'],
    [1, 'f32', SG, 'skinny-subgroup'], // rule 2
    [8, 'f16', BOTH, 'skinny-subgroup'], // rule 2 before rule 3
    [8, 'f16', F16, 'skinny-f16'], // rule 3
    [8, 'f32', F16, 'skinny'], // rule 3 needs f16 weights
    [16, 'f16', NONE, 'skinny'], // rule 4
  ];
  for (const [M, wt, f, want] of table) {
    test(`M=${M} ${wt} subgroups=${f.subgroups} shader-f16=${f.shaderF16} -> ${want}`, () => {
      expect(chooseMatmulVariant(M, 2048, 2048, wt, f)).toBe(want);
      expect(variantUnsupported(want, M, wt, f)).toBeUndefined();
    });
  }
  test('skinnyMaxM (64 on hardware, unbounded on software) moves the skinny/tiled boundary', () => {
    expect(chooseMatmulVariant(64, 2048, 2048, 'f32', SG, HARDWARE_CONFIG.skinnyMaxM)).toBe('skinny-subgroup');
    expect(chooseMatmulVariant(65, 2048, 2048, 'f32', SG, HARDWARE_CONFIG.skinnyMaxM)).toBe('tiled');
    expect(chooseMatmulVariant(4096, 2048, 2048, 'f32', SG, SOFTWARE_CONFIG.skinnyMaxM)).toBe('skinny-subgroup'); // software: every M
    expect(chooseMatmulVariant(17, 2048, 2048, 'f32', SG)).toBe('tiled'); // default bound 16
  });
  test('N and K do not change the choice', () => {
    for (const [N, K] of [[1, 1], [1, 4096], [128256, 1]]) expect(chooseMatmulVariant(4, N!, K!, 'f32', SG)).toBe('skinny-subgroup');
  });
});

describe('variantUnsupported', () => {
  test('names the missing feature or the shape', () => {
    expect(variantUnsupported('skinny', 17, 'f32', BOTH)).toBeUndefined(); // chunks of 16 rows
    expect(variantUnsupported('skinny-subgroup', 1, 'f32', NONE)).toMatch(/subgroups/);
    expect(variantUnsupported('skinny-f16', 1, 'f16', SG)).toMatch(/shader-f16/);
    expect(variantUnsupported('skinny-f16', 1, 'f32', F16)).toMatch(/f16 weights/);
    expect(variantUnsupported('tiled', 1, 'f32', NONE)).toBeUndefined();
  });
});

describe('tile configs', () => {
  const limits = { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupSizeY: 256 };
  test('both shipped configs fit the default (and compatibility-mode) limits', () => {
    expect(() => checkMatmulConfig(HARDWARE_CONFIG, limits)).not.toThrow();
    expect(() => checkMatmulConfig(SOFTWARE_CONFIG, limits)).not.toThrow();
  });
  test('software adapters get the software config', () => {
    expect(matmulConfigFor({ isSoftware: true })).toBe(SOFTWARE_CONFIG);
    expect(matmulConfigFor({ isSoftware: false })).toBe(HARDWARE_CONFIG);
  });
  test('a config over the limits is refused with the reason', () => {
    const big = { ...HARDWARE_CONFIG, tiled: { ...HARDWARE_CONFIG.tiled, bk: 16 } };
    expect(() => checkMatmulConfig(big, limits)).toThrow(/32768 B of workgroup memory/);
    const odd = { ...HARDWARE_CONFIG, tiled: { ...HARDWARE_CONFIG.tiled, tm: 6 } };
    expect(() => checkMatmulConfig(odd, limits)).toThrow(/TM and TN/);
    const wg = { ...HARDWARE_CONFIG, skinny: { ...HARDWARE_CONFIG.skinny, wg: 96 } };
    expect(() => checkMatmulConfig(wg, limits)).toThrow(/power of two/);
  });
});

describe('layout', () => {
  test('K stride: 4 for f32, 8 for f16', () => {
    expect([1, 4, 5, 8, 9].map((k) => matmulKStride(k, 'f32'))).toEqual([4, 4, 8, 8, 12]);
    expect([1, 4, 5, 8, 9].map((k) => matmulKStride(k, 'f16'))).toEqual([8, 8, 8, 8, 16]);
  });
  test('weight bytes: f16 is half of f32 when K is a multiple of 8', () => {
    expect(matmulWeightBytes(4096, 4096, 'f16') * 2).toBe(matmulWeightBytes(4096, 4096, 'f32'));
  });
  test('padRows zero-fills the pad columns', () => {
    expect(Array.from(padRows(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3, 4))).toEqual([1, 2, 3, 0, 4, 5, 6, 0]);
  });
});
