/**
 * Which matmul kernel runs, and with which tile sizes: the rules are here, explicit, and tested
 * (test/unit/matmul-variant.test.ts), so a benchmark or a trace can say why a variant ran.
 *
 * Variants (each documented in its shader's header):
 *   tiled            shaders/matmul_tiled.wgsl            register-blocked GEMM, prefill-sized M; K split into
 *                    slices when its grid is too small (chooseSplitK; + shaders/matmul_splitk_reduce.wgsl)
 *   skinny           shaders/matmul_skinny.wgsl           matrix-vector, <= 8 rows of x a workgroup, workgroup-memory reduction
 *   skinny-subgroup  shaders/matmul_skinny_subgroups.wgsl the same, reduced with subgroupAdd (needs `subgroups`)
 *   skinny-f16       shaders/matmul_skinny.f16.wgsl       the same with native f16 products (needs `shader-f16`, f16 W)
 * Weight types: 'f32', and 'f16' (packed two per u32, src/kernels/f16.ts; read by every variant, with
 * unpack2x16float everywhere except skinny-f16, which reads the same bytes as vec4<f16>).
 */

export type MatmulVariant = 'tiled' | 'skinny' | 'skinny-subgroup' | 'skinny-f16';
export type MatmulWeightType = 'f32' | 'f16';

export const MATMUL_VARIANTS: readonly MatmulVariant[] = ['tiled', 'skinny', 'skinny-subgroup', 'skinny-f16'];

/** The default bound of chooseMatmulVariant: skinny for M <= 16 (configs move it: `skinnyMaxM`). */
export const SKINNY_MAX_M = 16;

/**
 * Rows of x one skinny workgroup handles at most (its named accumulators acc0 .. acc7, see
 * shaders/matmul_skinny.wgsl). Larger M runs in chunks of 8 rows, the chunks of one row group of W side
 * by side in the grid so that W is read from memory once.
 */
export const SKINNY_ROWS = 8;

/** Rows of x per skinny workgroup for M rows: the next power of two >= M, at most `maxRows` (1, 2, 4 or 8). */
export function skinnyRows(M: number, maxRows = SKINNY_ROWS): number {
  return Math.min(maxRows, 2 ** Math.ceil(Math.log2(Math.max(1, M))));
}

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
 *   1. M > skinnyMaxM                           -> tiled (enough rows to reuse each loaded W tile BM times;
 *      split along K when its grid is too small for the GPU: chooseSplitK);
 *      (M > 8 on the skinny path runs in chunks of 8 rows, which read W from cache after the first)
 *   2. otherwise, if the device has subgroups  -> skinny-subgroup (decode is bound by weight bytes, which
 *      every skinny variant reads once; they differ in the reduction, and subgroupAdd needs 1 barrier);
 *   3. otherwise, f16 weights and shader-f16    -> skinny-f16 (f16 products halve the ALU work per weight);
 *   4. otherwise                                -> skinny (portable: compatibility mode, no features).
 * N and K do not change the variant: every kernel handles any N and K (K padded, see matmul_layout.ts).
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
  void M; // every variant takes any M (skinny in chunks of SKINNY_ROWS rows)
  if (variant === 'skinny-subgroup' && !features.subgroups) return 'skinny-subgroup needs the subgroups feature';
  if (variant === 'skinny-f16' && !features.shaderF16) return 'skinny-f16 needs the shader-f16 feature';
  if (variant === 'skinny-f16' && weightType !== 'f16') return 'skinny-f16 reads f16 weights only';
  return undefined;
}

/** A tiled workgroup shape: WGX × WGY threads, each TM × TN outputs (multiples of 4, <= 8), BK k-columns per tile (multiple of 8). */
export interface TileShape {
  wgx: number;
  wgy: number;
  tm: number;
  tn: number;
  bk: number;
}

/**
 * When the tiled variant splits K (shaders/matmul_tiled.wgsl "Split-K", reduced by
 * shaders/matmul_splitk_reduce.wgsl). WebGPU does not say how many multiprocessors a GPU has, so the
 * config states the device size it is written for.
 */
export interface SplitKRule {
  /** Split only when the unsplit grid has fewer workgroups than this (0: never split). */
  belowWorkgroups: number;
  /** Then use the smallest power-of-two split S with grid · S >= this ... */
  targetWorkgroups: number;
  /** ... but at most this many slices, ... */
  maxSplit: number;
  /** ... each at least this many k columns (the partials' traffic must stay small next to the work), ... */
  minSliceK: number;
  /** ... and a workspace (S · M · N f32 partials) of at most this many bytes. */
  maxWorkspaceBytes: number;
}

/** Tile sizes (set as WGSL overrides) and the variant rules of one kind of adapter. */
export interface MatmulConfig {
  /** Why this config was picked, for logs and benchmark JSON. */
  name: string;
  /** The tiled variant's workgroup shape. */
  tiled: TileShape;
  /** skinny*: WG threads (power of two >= 4), at most maxRows (1, 2, 4 or 8) rows of x per workgroup. */
  skinny: { wg: number; maxRows: number };
  /** The automatic choice runs skinny for M <= skinnyMaxM (chooseMatmulVariant). */
  skinnyMaxM: number;
  /** When the tiled variant splits K (chooseSplitK). */
  splitK: SplitKRule;
}

/**
 * Hardware GPUs: a 128 × 128 block per 256-thread workgroup, 8 × 8 outputs per thread (64 FMAs per
 * 16 values read from workgroup memory), BK = 8 (16 KiB of double-buffered tiles, inside the default
 * 16 KiB limit so compatibility-mode devices take it too). Skinny: 256 threads over K, 4 rows of W and up
 * to 8 rows of x per workgroup. Measured on an H200 (Dawn/Vulkan, GPU timestamps,
 * bench/results/kernels-matmul-h200.json): tiled 2048³ f32 40.1 TFLOP/s with this tile vs 25.7 (64 × 64
 * tiles, 4 × 4 each), 11.0 (128 × 64, BK 16) and 10.0 (128 × 128, BK 16); skinny 1×4096×4096 f16 8.1 µs
 * (4.1 TB/s of weights) vs 15.6 µs (128 threads), 24.7 µs (2 rows a workgroup), 21.8 µs (64 threads).
 * Split-K: written for the H100/H200 (132 SMs): a grid of fewer than 132 of these workgroups leaves SMs
 * idle (128×4096×4096 is 32 workgroups), so it is split until it has >= 256 workgroups (about 2 per SM;
 * 2048³'s grid, which runs at 39-40 TFLOP/s unsplit and is not split), in slices of at least 64 k columns,
 * at most 16 slices and 64 MiB of partials. Measured on an H200 (bench/results/kernels-matmul-h200-session2.json,
 * `split S=...` cases, one block per shape, S = 1 being the unsplit kernel; the rule's S starred):
 * 128×4096×4096 455 µs -> S=2 239, S=4 136, S=8* 144, S=16 168; 128×4096(N)×14336(K) 8205 -> S=4 1632,
 * S=8* 1561; 256×4096×4096 1210 -> S=2 689, S=4* 684; 1024³ 657 -> S=4* 237; 512³ 125 -> S=8* 43;
 * 128×768×768 116 -> S=8* 22; 512×4096×4096 (128 workgroups) 1752 -> S=2* 1750 (no gain, no loss), S=4 1940.
 * The same run showed 2-3x differences between cases of one kernel and shape with fresh buffers, so the
 * rule follows each shape's own block, not single figures. A 64 × 64 tile (`split64` cases) won only on the
 * smallest shapes (512³ 27 µs, 128×768×768 17 µs) and lost 1.5-1.8x on the 4096-wide ones: not used.
 * On a smaller GPU this splits a little more than needed (the partials' extra traffic), never less.
 */
export const HARDWARE_CONFIG: MatmulConfig = {
  name: 'hardware: tiled 128x128 (16x16 threads, 8x8 each, BK 8), split-K below 132 workgroups; skinny 256 threads x 4 rows of W x <= 8 rows of x',
  tiled: { wgx: 16, wgy: 16, tm: 8, tn: 8, bk: 8 },
  skinny: { wg: 256, maxRows: 8 },
  skinnyMaxM: 64,
  splitK: { belowWorkgroups: 132, targetWorkgroups: 256, maxSplit: 16, minSliceK: 64, maxWorkspaceBytes: 64 << 20 },
};

/**
 * Software adapters. SwiftShader runs a workgroup's invocations on one CPU thread as 4-wide SIMD groups
 * and a barrier switches between all of its groups, so fewer invocations per workgroup cost less, and
 * a loop without barriers beats staging tiles in workgroup memory (on a CPU, caches already do that).
 * So skinny uses ONE SIMD group (4 threads) per workgroup, for which subgroupAdd and its one barrier are
 * nearly free, and the automatic choice runs skinny for EVERY M (chunks of 8 rows, skinnyMaxM = ∞);
 * tiled (when forced) uses 64 × 64 blocks of 8 × 8 threads and never splits K (the CPU has 2-16 threads,
 * not 132 SMs). Measured on SwiftShader (2 cores shared with other work, medians of 5; session 1 kernels):
 * skinny-subgroup vs tiled 256³ 89 vs 200 ms, 512³ 754 vs 2694 ms, 32×2048×2048 816 vs 5034 ms,
 * 128×768×768 463 vs 926 ms; skinny 1×2048×2048 took 49 ms with 4 threads × 4 rows vs 146 ms with 64 × 4
 * and 172 ms with 16 × 4; tiled 512³ 2.6 s with this config vs 3.5 s (BK 16), 5.2 s (4 × 4 per thread) and
 * 6.4 s (4 × 4 threads). Hardware GPUs rank these the other way (HARDWARE_CONFIG); the kernels.matmul
 * benchmark's `config` cases time both configs on every software run.
 */
export const SOFTWARE_CONFIG: MatmulConfig = {
  name: 'software: skinny for every M (4 threads x 4 rows of W x <= 8 rows of x); tiled 64x64 (8x8 threads, 8x8 each, BK 8), no split-K',
  tiled: { wgx: 8, wgy: 8, tm: 8, tn: 8, bk: 8 },
  skinny: { wg: 4, maxRows: 8 },
  skinnyMaxM: Number.POSITIVE_INFINITY,
  splitK: { belowWorkgroups: 0, targetWorkgroups: 0, maxSplit: 1, minSliceK: 0, maxWorkspaceBytes: 0 },
};

/** The config for an adapter: software (SwiftShader, llvmpipe, WARP) or hardware. */
export function matmulConfigFor(info: { isSoftware: boolean }): MatmulConfig {
  return info.isSoftware ? SOFTWARE_CONFIG : HARDWARE_CONFIG;
}

/** Workgroups of the tiled grid for (M, N) with this tile, before any split. */
export function tiledWorkgroups(M: number, N: number, t: TileShape): number {
  return Math.ceil(M / (t.tm * t.wgy)) * Math.ceil(N / (t.tn * t.wgx));
}

/** How the tiled variant splits K: S slices of KS k columns (KS a multiple of BK; S = 1, KS = KP: no split). */
export interface SplitK {
  S: number;
  KS: number;
}

/**
 * The split-K rule (SplitKRule's fields, in order): no split if the grid has >= belowWorkgroups
 * workgroups; otherwise the smallest power of two S with grid · S >= targetWorkgroups, lowered while
 * S > maxSplit, KP / S < minSliceK or S · M · N · 4 > maxWorkspaceBytes. Slices are KS = KP / S rounded
 * up to BK columns, so S = ceil(KP / KS) may come out lower (small K). `KP` is the padded K.
 */
export function chooseSplitK(M: number, N: number, KP: number, config: Pick<MatmulConfig, 'tiled' | 'splitK'>): SplitK {
  const rule = config.splitK;
  const grid = tiledWorkgroups(M, N, config.tiled);
  let S = 1;
  if (grid < rule.belowWorkgroups) {
    while (grid * S < rule.targetWorkgroups) S *= 2;
    while (S > 1 && (S > rule.maxSplit || KP / S < rule.minSliceK || S * M * N * 4 > rule.maxWorkspaceBytes)) S /= 2;
  }
  return splitOf(KP, S, config.tiled.bk);
}

/** S slices of KP k columns, each a multiple of bk (the last may be shorter); the actual slice count. */
export function splitOf(KP: number, S: number, bk: number): SplitK {
  const KS = Math.max(bk, Math.ceil(KP / S / bk) * bk);
  return { S: Math.ceil(KP / KS), KS };
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
  const { wg, maxRows } = c.skinny;
  if (wg & (wg - 1) || wg < 4) bad('skinny WG must be a power of two >= 4');
  if (wg > limits.maxComputeInvocationsPerWorkgroup || wg > limits.maxComputeWorkgroupSizeX) bad('skinny WG over the limits');
  if (![1, 2, 4, 8].includes(maxRows)) bad('skinny maxRows must be 1, 2, 4 or 8 (the shader has 8 named accumulators)');
  // skinny-subgroup: (WG / 4) · maxRows vec4 partials (subgroups of 4 or more); skinny, skinny-f16: WG vec4.
  const skinnyBytes = Math.max((wg / 4) * maxRows, wg) * 16;
  if (skinnyBytes > limits.maxComputeWorkgroupStorageSize) bad(`skinny needs ${skinnyBytes} B of workgroup memory`);
  const r = c.splitK;
  if (r.maxSplit < 1 || !Number.isInteger(r.maxSplit)) bad('splitK.maxSplit must be a whole number >= 1');
}
