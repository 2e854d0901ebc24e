// The matmul variant rules and tile-config checks (src/kernels/matmul_variant.ts, matmul_layout.ts).
import { describe, expect, test } from 'vitest';
import {
  HARDWARE_CONFIG,
  SOFTWARE_CONFIG,
  checkMatmulConfig,
  chooseMatmulVariant,
  chooseSplitK,
  matmulConfigFor,
  skinnyRows,
  splitOf,
  tiledWorkgroups,
  variantUnsupported,
  type MatmulFeatures,
  type MatmulVariant,
  type MatmulWeightType,
} from '../../src/kernels/matmul_variant';
import { matmulKStride, matmulWeightBytes, padRows } from '../../src/kernels/matmul_layout';
import { describeAdapter } from '../../src/gpu/device';

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
    const rows = { ...HARDWARE_CONFIG, skinny: { ...HARDWARE_CONFIG.skinny, maxRows: 16 } };
    expect(() => checkMatmulConfig(rows, limits)).toThrow(/maxRows/);
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

describe('skinnyRows', () => {
  test('the next power of two >= M, at most 8 (or the config maxRows)', () => {
    expect([1, 2, 3, 4, 5, 8, 9, 64].map((m) => skinnyRows(m))).toEqual([1, 2, 4, 4, 8, 8, 8, 8]);
    expect(skinnyRows(7, 4)).toBe(4);
  });
});

describe('chooseSplitK (the tiled split-K rule)', () => {
  const KP = (k: number) => Math.ceil(k / 4) * 4;
  // [M, N, K, expected S] under HARDWARE_CONFIG (128 × 128 tiles, split below 132 workgroups, target 256,
  // <= 16 slices of >= 64 columns, <= 64 MiB of partials).
  const hardware: Array<[number, number, number, number, string]> = [
    [2048, 2048, 2048, 1, '256 workgroups: enough'],
    [4096, 4096, 4096, 1, '1024 workgroups'],
    [1024, 1024, 1024, 4, '64 workgroups -> 256'],
    [512, 4096, 4096, 2, '128 workgroups -> 256'],
    [128, 4096, 4096, 8, '32 workgroups -> 256, slices of 512'],
    [128, 4096, 14336, 8, '32 workgroups -> 256'],
    [256, 4096, 4096, 4, '64 -> 256'],
    [128, 768, 768, 8, '6 workgroups: 256 would need 64 slices; 16 max; slices >= 64 columns: 8 of 96'],
    [512, 512, 512, 8, '16 workgroups: 16 slices would be 32 columns: 8 of 64'],
    [129, 260, 40, 1, 'K = 40 is shorter than one minimum slice'],
    [65, 130, 136, 2, 'the GPU test case: 2 slices of 72 and 64 columns'],
    [65, 130, 520, 8, '8 slices of 72 columns, the last 16'],
    [128, 128256, 4096, 1, 'an LM head: 1002 workgroups'],
  ];
  for (const [M, N, K, want, why] of hardware) {
    test(`hardware ${M}x${N}x${K} -> S = ${want} (${why})`, () => {
      const s = chooseSplitK(M, N, KP(K), HARDWARE_CONFIG);
      expect(s.S).toBe(want);
      expect(s.KS % HARDWARE_CONFIG.tiled.bk).toBe(0);
      expect(Math.ceil(KP(K) / s.KS)).toBe(s.S);
      if (s.S > 1) expect(tiledWorkgroups(M, N, HARDWARE_CONFIG.tiled)).toBeLessThan(HARDWARE_CONFIG.splitK.belowWorkgroups);
    });
  }
  test('the workspace cap lowers the split', () => {
    // 32 workgroups want 8 slices; 8 · 2048 · 2048 · 4 B = 128 MiB > 64 MiB, 4 slices = 64 MiB fits.
    const c = HARDWARE_CONFIG;
    const few = { ...c, splitK: { ...c.splitK, belowWorkgroups: 1e9, targetWorkgroups: 8 * tiledWorkgroups(2048, 2048, c.tiled) } };
    expect(chooseSplitK(2048, 2048, 8192, few).S).toBe(4);
  });
  test('software adapters never split', () => {
    expect(chooseSplitK(1, 1, 1 << 20, SOFTWARE_CONFIG)).toEqual({ S: 1, KS: 1 << 20 });
    expect(chooseSplitK(128, 4096, 4096, SOFTWARE_CONFIG).S).toBe(1);
  });
  test('splitOf: slices are multiples of BK; a short K gives fewer slices', () => {
    expect(splitOf(300, 3, 8)).toEqual({ S: 3, KS: 104 });
    expect(splitOf(8, 4, 8)).toEqual({ S: 1, KS: 8 });
    expect(splitOf(44, 6, 8)).toEqual({ S: 6, KS: 8 });
    expect(splitOf(4096, 1, 8)).toEqual({ S: 1, KS: 4096 });
  });
});

describe('per adapter: description -> config -> variant and split', () => {
  // Adapter infos as the browsers and Dawn report them (SwiftShader in Chrome 156, Dawn/Vulkan and Dawn/GL on an H200).
  const adapter = (info: Partial<GPUAdapterInfo>) => describeAdapter({ info: { vendor: '', architecture: '', device: '', description: '', ...info } } as GPUAdapter, 'core');
  const swiftshader = adapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' });
  const llvmpipe = adapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' });
  const h200 = adapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' });
  const h200gl = adapter({ vendor: 'nvidia', description: 'OpenGL ES 3.2 NVIDIA 580.159.04' });
  test('software adapters: skinny for every M with subgroups, never split', () => {
    for (const a of [swiftshader, llvmpipe]) {
      const c = matmulConfigFor(a);
      expect(c).toBe(SOFTWARE_CONFIG);
      expect(chooseMatmulVariant(1, 2048, 2048, 'f32', SG, c.skinnyMaxM)).toBe('skinny-subgroup');
      expect(chooseMatmulVariant(1024, 1024, 1024, 'f16', SG, c.skinnyMaxM)).toBe('skinny-subgroup');
      expect(chooseSplitK(128, 4096, 4096, c).S).toBe(1);
    }
  });
  test('hardware adapters: skinny up to M = 64, then tiled, split where the grid is small', () => {
    for (const [a, f] of [[h200, SG], [h200gl, NONE]] as const) {
      const c = matmulConfigFor(a);
      expect(c).toBe(HARDWARE_CONFIG);
      expect(chooseMatmulVariant(1, 4096, 4096, 'f32', f, c.skinnyMaxM)).toBe(f.subgroups ? 'skinny-subgroup' : 'skinny');
      expect(chooseMatmulVariant(64, 4096, 4096, 'f32', f, c.skinnyMaxM)).toBe(f.subgroups ? 'skinny-subgroup' : 'skinny');
      expect(chooseMatmulVariant(65, 4096, 4096, 'f32', f, c.skinnyMaxM)).toBe('tiled');
      expect(chooseSplitK(128, 4096, 4096, c).S).toBe(8);
      expect(chooseSplitK(2048, 2048, 2048, c).S).toBe(1);
    }
  });
});
