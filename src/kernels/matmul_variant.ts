/**
 * Which matmul kernel runs, and with which tile sizes: the rules are here, explicit, and tested
 * (test/unit/matmul-variant.test.ts), so a benchmark or a trace can say why a variant ran.
 *
 * Variants (each documented in its shader's header):
 *   tiled            shaders/matmul_tiled.wgsl            register-blocked GEMM, prefill-sized M
 *   skinny           shaders/matmul_skinny.wgsl           matrix-vector, 16 rows of x a workgroup, workgroup-memory reduction
 *   skinny-subgroup  shaders/matmul_skinny_subgroups.wgsl the same, reduced with subgroupAdd (needs `subgroups`)
 *   skinny-f16       shaders/matmul_skinny.f16.wgsl       the same with native f16 products (needs `shader-f16`, f16 W)
 * Weight types: 'f32', and 'f16' (packed two per u32, src/kernels/f16.ts; read by every variant, with
 * unpack2x16float everywhere except skinny-f16, which reads the same bytes as vec4<f16>).
 */

export type MatmulVariant = 'tiled' | 'skinny' | 'skinny-subgroup' | 'skinny-f16';
export type MatmulWeightType = 'f32' | 'f16';

export const MATMUL_VARIANTS: readonly MatmulVariant[] = ['tiled', 'skinny', 'skinny-subgroup', 'skinny-f16'];

/**
 * Rows of x one skinny workgroup handles (MR <= 16: each thread keeps MR × NR partial sums). Larger M
 * runs in chunks of 16 rows (grid z), each re-reading W.
 */
export const SKINNY_MAX_M = 16;

export interface MatmulFeatures {
  subgroups: boolean;
  shaderF16: boolean;
}

/**
 * The automatic choice. `skinnyMaxM` comes from the adapter's MatmulConfig: 16 by default; 64 on hardware,
 * where a grid of 128 × 128 tiled blocks has too few workgroups for M <= 64 (32×2048×2048 is 16
 * workgroups; on an H200 skinny-subgroup took 91 µs there vs 202 µs tiled, and 163 vs 207 µs at M = 64,
 * while tiled won at 128×768×768, 84 vs 102 µs; bench/results/kernels-matmul-h200.json); unbounded on
 * software adapters (SOFTWARE_CONFIG says why).
 *   1. M > skinnyMaxM                           -> tiled (enough rows to reuse each loaded W tile BM times);
 *      (M > 16 on the skinny path runs in chunks of 16 rows, each re-reading W)
 *   2. otherwise, if the device has subgroups  -> skinny-subgroup (decode is bound by weight bytes, which
 *      every skinny variant reads once; they differ in the reduction, and subgroupAdd needs no barriers);
 *   3. otherwise, f16 weights and shader-f16    -> skinny-f16 (f16 products halve the ALU work per weight);
 *   4. otherwise                                -> skinny (portable: compatibility mode, no features).
 * N and K do not change the choice: both kernels handle any N and K (K padded, see matmul_layout.ts).
 */
export function chooseMatmulVariant(
  M: number,
  _N: number,
  _K: number,
  weightType: MatmulWeightType,
  features: MatmulFeatures,
  skinnyMaxM = SKINNY_MAX_M,
): MatmulVariant {
  if (M > skinnyMaxM) return 'tiled';
  if (features.subgroups) return 'skinny-subgroup';
  if (weightType === 'f16' && features.shaderF16) return 'skinny-f16';
  return 'skinny';
}

/** Why `variant` cannot run here (a missing feature, an unsupported shape), or undefined if it can. */
export function variantUnsupported(
  variant: MatmulVariant,
  M: number,
  weightType: MatmulWeightType,
  features: MatmulFeatures,
): string | undefined {
  void M; // every variant takes any M (skinny in chunks of SKINNY_MAX_M rows)
  if (variant === 'skinny-subgroup' && !features.subgroups) return 'skinny-subgroup needs the subgroups feature';
  if (variant === 'skinny-f16' && !features.shaderF16) return 'skinny-f16 needs the shader-f16 feature';
  if (variant === 'skinny-f16' && weightType !== 'f16') return 'skinny-f16 reads f16 weights only';
  return undefined;
}

/** Tile sizes, set as WGSL overrides. */
export interface MatmulConfig {
  /** Why this config was picked, for logs and benchmark JSON. */
  name: string;
  /** tiled: threads WGX × WGY, each TM × TN outputs (multiples of 4, <= 8), BK k-columns per tile (multiple of 8). */
  tiled: { wgx: number; wgy: number; tm: number; tn: number; bk: number };
  /**
   * skinny*: WG threads (power of two), NR rows of W per group (<= 4), GPW groups per workgroup (one
   * after the other), RCH values per tree round.
   */
  skinny: { wg: number; nr: number; gpw: number; rch: number };
  /** The automatic choice runs skinny for M <= skinnyMaxM (chooseMatmulVariant). */
  skinnyMaxM: number;
}

/**
 * Hardware GPUs: a 128 × 128 block per 256-thread workgroup, 8 × 8 outputs per thread (64 FMAs per
 * 16 values read from workgroup memory), BK = 8 (16 KiB of double-buffered tiles, inside the default
 * 16 KiB limit so compatibility-mode devices take it too). Skinny: 256 threads over K, 4 rows of W per
 * workgroup (4 independent 16-byte loads in flight per thread). Measured on an H200 (Dawn/Vulkan, GPU
 * timestamps, bench/results/kernels-matmul-h200.json): tiled 2048³ f32 40.1 TFLOP/s with this config vs
 * 25.7 (64 × 64 tiles, 4 × 4 each), 11.0 (128 × 64, BK 16) and 10.0 (128 × 128, BK 16); skinny 1×4096×4096
 * f16 8.1 µs (4.1 TB/s of weights) vs 15.6 µs (128 threads), 24.7 µs (2 rows a workgroup), 21.8 µs (64 threads).
 */
export const HARDWARE_CONFIG: MatmulConfig = {
  name: 'hardware: tiled 128x128 (16x16 threads, 8x8 each, BK 8); skinny 256 threads x 4 rows',
  tiled: { wgx: 16, wgy: 16, tm: 8, tn: 8, bk: 8 },
  skinny: { wg: 256, nr: 4, gpw: 1, rch: 8 },
  skinnyMaxM: 64,
};

/**
 * Software adapters. SwiftShader runs a workgroup's invocations on one CPU thread as 4-wide SIMD groups
 * and a barrier switches between all of its groups, so fewer invocations per workgroup cost less, and
 * a loop without barriers beats staging tiles in workgroup memory (on a CPU, caches already do that).
 * So skinny uses ONE SIMD group (4 threads) per workgroup, for which subgroupAdd and its one barrier are
 * nearly free (each workgroup does 8 groups of 4 rows in turn: no measurable change at 1×2048×2048,
 * 46.7 vs 47.3 ms), and the automatic choice runs skinny for EVERY M (chunks of 16 rows, skinnyMaxM = ∞);
 * tiled (when forced) uses 64 × 64 blocks of 8 × 8 threads. Measured on SwiftShader (2 cores shared with
 * other work, GPU timestamps, medians of 5): skinny-subgroup vs tiled 256³ 89 vs 200 ms, 512³ 754 vs
 * 2694 ms, 32×2048×2048 816 vs 5034 ms, 128×768×768 463 vs 926 ms; skinny 1×2048×2048 took 49 ms with
 * 4 threads × 4 rows vs 146 ms with 64 × 4 and 172 ms with 16 × 4; tiled 512³ 2.6 s with this config vs
 * 3.5 s (BK 16), 5.2 s (4 × 4 per thread) and 6.4 s (4 × 4 threads). Hardware GPUs rank these the other
 * way (HARDWARE_CONFIG); the kernels.matmul benchmark's `config` cases time both configs on every
 * software run.
 */
export const SOFTWARE_CONFIG: MatmulConfig = {
  name: 'software: skinny for every M (4 threads x 4 rows x 8 groups, chunks of 16 rows); tiled 64x64 (8x8 threads, 8x8 each, BK 8)',
  tiled: { wgx: 8, wgy: 8, tm: 8, tn: 8, bk: 8 },
  skinny: { wg: 4, nr: 4, gpw: 8, rch: 4 },
  skinnyMaxM: Number.POSITIVE_INFINITY,
};

/** The config for an adapter: software (SwiftShader, llvmpipe, WARP) or hardware. */
export function matmulConfigFor(info: { isSoftware: boolean }): MatmulConfig {
  return info.isSoftware ? SOFTWARE_CONFIG : HARDWARE_CONFIG;
}

/** Checks a config against the WGSL's fixed register arrays and the device's limits; throws on a bad one. */
export function checkMatmulConfig(
  c: MatmulConfig,
  limits: { maxComputeInvocationsPerWorkgroup: number; maxComputeWorkgroupStorageSize: number; maxComputeWorkgroupSizeX: number; maxComputeWorkgroupSizeY: number },
): void {
  const { wgx, wgy, tm, tn, bk } = c.tiled;
  const bad = (why: string) => {
    throw new RangeError(`matmul config "${c.name}": ${why}`);
  };
  if (![4, 8].includes(tm) || ![4, 8].includes(tn)) bad('TM and TN must be 4 or 8');
  if (bk % 8 !== 0 || bk <= 0) bad('BK must be a positive multiple of 8');
  const nt = wgx * wgy;
  if (nt > limits.maxComputeInvocationsPerWorkgroup) bad(`${nt} threads > maxComputeInvocationsPerWorkgroup`);
  if (wgx > limits.maxComputeWorkgroupSizeX || wgy > limits.maxComputeWorkgroupSizeY) bad('workgroup size over the limits');
  const bm = tm * wgy;
  const bn = tn * wgx;
  if (Math.ceil((bm * bk) / 4 / nt) > 4) bad('more than 4 x loads per thread (register array size)');
  if (Math.ceil((bn * bk) / 4 / nt) > 4) bad('more than 4 W loads per thread (register array size)');
  const tiledBytes = 2 * bk * (bm + bn) * 4;
  if (tiledBytes > limits.maxComputeWorkgroupStorageSize) bad(`tiled needs ${tiledBytes} B of workgroup memory`);
  const { wg, nr, rch } = c.skinny;
  if (wg & (wg - 1) || wg < 4) bad('skinny WG must be a power of two >= 4');
  if (wg > limits.maxComputeInvocationsPerWorkgroup || wg > limits.maxComputeWorkgroupSizeX) bad('skinny WG over the limits');
  if (nr < 1 || nr > 4) bad('skinny NR must be 1..4');
  if (!(c.skinny.gpw >= 1) || !Number.isInteger(c.skinny.gpw)) bad('skinny GPW must be a whole number >= 1');
  const subgroupBytes = (wg / 4) * SKINNY_MAX_M * nr * 4;
  if (subgroupBytes > limits.maxComputeWorkgroupStorageSize) bad(`skinny-subgroup needs ${subgroupBytes} B of workgroup memory`);
  if (rch * wg * 4 > limits.maxComputeWorkgroupStorageSize) bad('skinny RCH × WG over the workgroup memory limit');
  if (rch < 1 || rch > wg) bad('skinny RCH must be 1..WG (thread j < RCH writes value j of a round)');
}
