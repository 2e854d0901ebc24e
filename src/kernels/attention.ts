/**
 * Typed wrapper for shaders/attention.wgsl + shaders/attention-reduce.wgsl: causal GQA attention over a
 * mixed batch of prefill chunks and decodes, reading K/V from the paged pool (PagedAttention) or from a
 * contiguous [seq][maxLen] cache (ContiguousAttention, the pre-paging baseline: the same kernel with the
 * block-table lookup compiled out).
 *
 * Per step: `prepare(batch)` builds the work items (attention-plan.ts) and uploads them with one
 * writeBuffer into reused buffers, plus the per-layer parameter slots; then, for each layer,
 * `encode(pass, plan, {q, pool, out}, layer)` records up to three dispatches into the caller's pass:
 *   decode split items (grid numSplitItems x numKvHeads), prefill tile items (numTileItems x numKvHeads),
 *   and the split reduce (numDecode x numHeads) when numSplits > 1. An empty batch records nothing.
 * The wrapper never submits. Bind groups are cached per (q, pool, out) buffers; the layer is a dynamic
 * uniform offset, so all layers of a step share one bind group and one upload.
 */
import attentionCode from '../../shaders/attention.wgsl';
import reduceCode from '../../shaders/attention-reduce.wgsl';
import subgroupPrefix from '../../shaders/attention-subgroups.wgsl';
import decodeSubgroupCode from '../../shaders/attention-decode-subgroups.wgsl';
import { createBuffer, storageBuffer, GpuLimitError, type ComputePipelineSpec, type GpuContext, type PipelineCache } from '../gpu';
import { buildAttentionPlan, defaultSplitPolicy, type AttentionBatch, type AttentionPlan, type SplitPolicy } from './attention-plan';

export * from './attention-plan';

export interface AttentionConfig {
  numHeads: number;
  numKvHeads: number;
  /** Multiple of 4, at most 128. */
  headDim: number;
  numLayers: number;
  /** Paged: tokens per page (16 by default). Contiguous: maxLen, the slots reserved per sequence. */
  tokensPerPage: number;
  /** Capacities that size the reused metadata and partials buffers. */
  maxTokens: number;
  maxSeqs: number;
  /** Total block-table entries of one step (sum of pages over the step's sequences). */
  maxBlockTableEntries?: number;
  /** f32 elements between consecutive tokens' q rows: numHeads * headDim for plain Q, (numHeads + 2 * numKvHeads) * headDim for fused QKV rows. */
  qStride?: number;
  policy?: SplitPolicy;
  /** Threads per workgroup and keys per tile (WGSL overrides). keysPerTile is the decode-split variant's (and the prefill tile's, unless prefillKeysPerTile is given). */
  workgroupSize?: number;
  keysPerTile?: number;
  prefillKeysPerTile?: number;
  /** Score-phase threads per key (LK, at most; each variant clamps it, see chooseLanesPerKey). 1 = a thread per K row. */
  lanesPerKey?: number;
  /** P.V query rows per thread (NRV, at most; clamped to the variant's rows and to 8). 1 = V re-read per row. */
  rowsPerThread?: number;
  /** Score phase holds its query quads in registers where the variant allows it (see qInRegisters). */
  queryRegisters?: boolean;
  /** Score loop without branches around its K loads (CLAMPK: clamped indices, masked contributions). */
  clampedLoads?: boolean;
  /**
   * Sum the lanes of a key with subgroupShuffleXor (the subgroup variant, shaders/attention-subgroups.wgsl)
   * where the device has `subgroups` and the variant allows it (see subgroupLaneSum); implies clampedLoads.
   */
  subgroupLanes?: boolean;
  /**
   * Kernel for the decode-split items: 'tile' (attention.wgsl's decode variant) or 'subgroup'
   * (shaders/attention-decode-subgroups.wgsl: one subgroup per item and kv head, registers only, no
   * barrier). Default: see chooseDecodeKernel.
   */
  decodeKernel?: DecodeKernel;
  label?: string;
}

export type DecodeKernel = 'tile' | 'subgroup';

/** Lanes per key for the subgroup decode kernel: the smallest power of two <= wg with G * ceil(D / 4 / LK) <= 16 query/accumulator quads per lane (the shader's MAX_RQ); 0 when even LK = wg leaves more. */
export function subgroupDecodeLanes(headDim: number, group: number, wg: number): number {
  const d4 = headDim / 4;
  for (let lk = 1; lk <= wg; lk *= 2) if (group * Math.ceil(d4 / lk) <= 16) return lk;
  return 0;
}

/**
 * Decode kernel per adapter (explicit rule):
 * - 'subgroup' where the device has `subgroups`, the adapter is software (SwiftShader), and the registers
 *   fit (subgroupDecodeLanes > 0). There a workgroup's barriers are the cost (each one switches every
 *   subgroup's coroutine on a CPU core): the tile kernel's 5 barriers per 64-key tile over 64 threads cost
 *   ~0.7 ms per (row, kv head) for a 64-key decode of stories260K (bench/results/model.md), while a
 *   one-subgroup workgroup has none.
 * - 'tile' on hardware: the tile kernel's defaults are measured on an H200 (defaultAttentionTiles); the
 *   subgroup kernel (a warp per item and kv head on NVIDIA) is selectable (`decodeKernel: 'subgroup'`)
 *   and has kernels.attention cases of its own, so the H200 can decide; not the default before it does.
 */
export function chooseDecodeKernel(gpu: GpuContext, headDim: number, group: number): DecodeKernel {
  return gpu.hasSubgroups && gpu.info.isSoftware && subgroupDecodeLanes(headDim, group, subgroupWorkgroupSize(gpu)) > 0 ? 'subgroup' : 'tile';
}

/** Threads of the subgroup decode kernel: the adapter's smallest subgroup size (4, WebGPU's minimum, when it does not say), so a workgroup is one subgroup. */
export function subgroupWorkgroupSize(gpu: GpuContext): number {
  const min = (gpu.adapter.info as GPUAdapterInfo & { subgroupMinSize?: number }).subgroupMinSize || 4;
  return Math.min(Math.max(4, min), gpu.device.limits.maxComputeInvocationsPerWorkgroup);
}

export interface AttentionTiles {
  workgroupSize: number;
  /** Keys per tile of the decode-split variant (the split length is a multiple of it). */
  keysPerTile: number;
  /** Keys per tile of the prefill-tile variant. */
  prefillKeysPerTile: number;
  /** Keys per tile of the decode-split variant when it sums lanes with subgroups (subgroupLanes and the device allows it). */
  subgroupKeysPerTile: number;
  lanesPerKey: number;
  rowsPerThread: number;
  queryRegisters: boolean;
  clampedLoads: boolean;
  subgroupLanes: boolean;
}

/**
 * Tile configuration by adapter (all WGSL overrides; lanesPerKey and rowsPerThread are upper bounds that
 * each variant clamps). Measured on an H200 (Dawn/Vulkan), all in one run, bench/results/
 * kernels-attention-h200.json and kernels-attention.md:
 * - decode: 128 threads, 32-key tiles, 8 lanes per key (8 consecutive threads read a K row's 128-byte
 *   lines), up to 8 P.V rows per thread (each V vec4 read once for the whole GQA group). Batch 32 x
 *   context 4096 x 32/8 heads x D 128: 0.590 ms (1.82 TB/s of K/V) vs 0.796 ms for the previous default
 *   (128 threads, 128 keys, a thread per K row, V re-read per head); 64-key tiles with the same lanes and
 *   rows 0.774 ms, 128-key tiles 1.09 ms; 1 lane + 4 rows 0.665 ms. Batch 8 x context 512 x 8 heads x D 64:
 *   13.7 us vs 13.5 us before (G = 1, so no V reuse there).
 * - prefill tile: 128-key tiles (the 8 KiB partials budget then leaves 1 lane for 16 rows), 8 P.V rows per
 *   thread: 512 tokens x 8 heads x D 64 in 0.111 ms vs 0.180 ms before (0.118 ms with 64-key tiles).
 * - decode, run 4 (kernels-attention-h200.json): where the device has subgroups, the lanes of a key sum
 *   their partial dots with subgroupShuffleXor (no partials, no fifth barrier; shaders/attention-subgroups.wgsl)
 *   and decode tiles are 64 keys: batch 32 x context 4096 0.496 ms (2.17 TB/s) vs 0.600 ms for the
 *   workgroup-memory sums in the same run; batch 8 x context 512 0.0136 ms (32-key tiles with subgroups
 *   0.0148 ms). Without subgroups the decode keeps 32-key tiles and workgroup-memory sums. Clamped K loads
 *   alone (CLAMPK) measured 0.595 vs 0.600 ms: the branches were not the cost, so that is off.
 * Software: 64 threads, 64 keys, 1 lane, 1 row, for both (SwiftShader runs a workgroup's threads on one
 * CPU core; the measured choice there, and no extra barrier for the lane sums).
 */
export function defaultAttentionTiles(isSoftware: boolean): AttentionTiles {
  return isSoftware
    ? { workgroupSize: 64, keysPerTile: 64, prefillKeysPerTile: 64, subgroupKeysPerTile: 64, lanesPerKey: 1, rowsPerThread: 1, queryRegisters: false, clampedLoads: false, subgroupLanes: false }
    : { workgroupSize: 128, keysPerTile: 32, prefillKeysPerTile: 128, subgroupKeysPerTile: 64, lanesPerKey: 8, rowsPerThread: 8, queryRegisters: false, clampedLoads: false, subgroupLanes: true };
}

/**
 * Workgroup memory kept for the lanes' partial dots (bounds LK for many-row variants): 8 KiB keeps a
 * decode workgroup of G <= 4 rows, D 128, 64-key tiles near 20 KiB in all, so about ten fit an SM.
 */
export const PARTIALS_BUDGET_BYTES = 8192;

/** The shader's derived overrides for one variant (see shaders/attention.wgsl). */
export function attentionShape(d: number, rows: number, bk: number, wg: number, lk: number, nrv: number) {
  const d4 = d / 4;
  const rgv = Math.ceil(rows / nrv);
  const js = Math.max(1, Math.floor(wg / (rgv * d4)));
  const pstr = rows * bk + Math.max(1, Math.floor(32 / lk));
  const ps = lk > 1 ? lk * pstr : 1;
  return { d4, rgv, js, pstr, ps };
}

/** Bytes of workgroup memory attention.wgsl declares for a configuration (qS, sS, partS, accS, lS, mS, alphaS, vBaseS, posS, rangeS). */
export function attentionWorkgroupBytes(d: number, rows: number, qt: number, bk: number, wg: number, lk = 1, nrv = 1): number {
  const { d4, js, ps } = attentionShape(d, rows, bk, wg, lk, nrv);
  return 16 * rows * d4 + 4 * rows * bk + 4 * ps + 16 * rows * d4 * js + 4 * rows * js + 8 * rows + 4 * rows + 4 * bk + 4 * qt + 8;
}

/**
 * Lanes per key for a variant: the largest power of two <= min(max, D / 4) whose partial dots
 * (LK x rows x BK f32) fit PARTIALS_BUDGET_BYTES; 1 when even 2 lanes do not fit.
 */
export function chooseLanesPerKey(headDim: number, rows: number, bk: number, max: number): number {
  let lk = 1;
  while (lk * 2 <= Math.min(max, headDim / 4)) lk *= 2;
  while (lk > 1 && 4 * lk * rows * bk > PARTIALS_BUDGET_BYTES) lk /= 2;
  return lk;
}

/** P.V rows per thread for a variant: min(max, rows, 8), at least 1. */
export function chooseRowsPerThread(rows: number, max: number): number {
  return Math.max(1, Math.min(max, rows, 8));
}

/**
 * (LK, NRV) for a variant of `rows` query rows: the choices above, then LK and after it NRV halved
 * until the workgroup memory fits `maxBytes` (NRV > 1 multiplies the P.V key splits' accumulators).
 */
export function chooseVariant(headDim: number, rows: number, qt: number, bk: number, wg: number, maxLanes: number, maxRows: number, maxBytes: number) {
  let lk = chooseLanesPerKey(headDim, rows, bk, maxLanes);
  let nrv = chooseRowsPerThread(rows, maxRows);
  const bytes = () => attentionWorkgroupBytes(headDim, rows, qt, bk, wg, lk, nrv);
  while (bytes() > maxBytes && lk > 1) lk /= 2;
  while (bytes() > maxBytes && nrv > 1) nrv = Math.ceil(nrv / 2);
  return { lk, nrv };
}

/**
 * Whether the QREG override may be on: a thread keeps one lane for every key it scores (WG <= BK * LK,
 * so RG = 1, and WG a multiple of LK) and its NR * DQ = rows * ceil(D / 4 / LK) quads fit 16 registers.
 */
export function qInRegisters(headDim: number, rows: number, bk: number, wg: number, lk: number): boolean {
  return wg <= bk * lk && wg % lk === 0 && rows * Math.ceil(headDim / 4 / lk) <= 16;
}

/**
 * Query tokens per prefill tile: the largest QT with QT * G rows <= min(32, 256 / (D / 4)) rows (so the
 * query rows and accumulators stay <= 4 KiB each) whose workgroup memory fits the device; at least 1.
 * `variant(rows)` gives the (LK, NRV) the tile variant would use with that many rows.
 */
export function choosePrefillTokensPerTile(
  headDim: number,
  group: number,
  bk: number,
  wg: number,
  maxWorkgroupBytes: number,
  variant: (rows: number, qt: number) => { lk: number; nrv: number } = () => ({ lk: 1, nrv: 1 }),
): number {
  const maxRows = Math.min(32, Math.floor(256 / (headDim / 4)));
  const bytes = (qt: number) => {
    const v = variant(qt * group, qt);
    return attentionWorkgroupBytes(headDim, qt * group, qt, bk, wg, v.lk, v.nrv);
  };
  let qt = Math.max(1, Math.floor(maxRows / group));
  while (qt > 1 && bytes(qt) > maxWorkgroupBytes) qt--;
  return qt;
}

/**
 * Whether a variant may sum its lanes with subgroup shuffles: the device has `subgroups`, 1 < LK <= 8,
 * LK <= the adapter's smallest subgroup size (4 when the adapter does not say: SwiftShader's width), and
 * WG a multiple of LK (a key's lanes are consecutive invocations of one subgroup).
 */
export function subgroupLaneSum(gpu: GpuContext, lk: number, wg: number): boolean {
  const minSize = (gpu.adapter.info as GPUAdapterInfo & { subgroupMinSize?: number }).subgroupMinSize || 4;
  return gpu.hasSubgroups && lk > 1 && lk <= 8 && lk <= minSize && wg % lk === 0;
}

/** attention.wgsl for the subgroup variant: its `lane-sum` block replaced by attention-subgroups.wgsl, prepended. */
export function subgroupAttentionCode(): string {
  const block = /\/\/ BEGIN lane-sum[\s\S]*?\/\/ END lane-sum\n/;
  if (!block.test(attentionCode)) throw new Error('attention.wgsl: lane-sum block not found');
  return subgroupPrefix + '\n' + attentionCode.replace(block, '');
}

interface AttentionLayouts {
  main: GPUBindGroupLayout;
  reduce: GPUBindGroupLayout;
  mainPl: GPUPipelineLayout;
  reducePl: GPUPipelineLayout;
}
const layoutsByCache = new WeakMap<PipelineCache, AttentionLayouts>();

/**
 * The family's explicit layouts (binding 0 is a uniform with a dynamic offset: the layer's params slot),
 * one set per pipeline cache so every kernel instance on a device shares pipelines.
 */
function attentionLayouts(device: GPUDevice, cache: PipelineCache): AttentionLayouts {
  const hit = layoutsByCache.get(cache);
  if (hit) return hit;
  const ro = { type: 'read-only-storage' } as const;
  const rw = { type: 'storage' } as const;
  const C = GPUShaderStage.COMPUTE;
  const uni = { type: 'uniform', hasDynamicOffset: true } as const;
  const main = device.createBindGroupLayout({
    label: 'Attention.mainLayout',
    entries: [uni, ro, ro, ro, rw, rw].map((buffer, binding) => ({ binding, visibility: C, buffer })),
  });
  const reduce = device.createBindGroupLayout({
    label: 'Attention.reduceLayout',
    entries: [uni, ro, ro, rw].map((buffer, binding) => ({ binding, visibility: C, buffer })),
  });
  const l: AttentionLayouts = {
    main,
    reduce,
    mainPl: device.createPipelineLayout({ label: 'Attention.mainPipelineLayout', bindGroupLayouts: [main] }),
    reducePl: device.createPipelineLayout({ label: 'Attention.reducePipelineLayout', bindGroupLayouts: [reduce] }),
  };
  layoutsByCache.set(cache, l);
  return l;
}

class BindGroupCache {
  private readonly map = new WeakMap<GPUBuffer, WeakMap<GPUBuffer, WeakMap<GPUBuffer, GPUBindGroup>>>();
  get(a: GPUBuffer, b: GPUBuffer, c: GPUBuffer, make: () => GPUBindGroup): GPUBindGroup {
    let m1 = this.map.get(a);
    if (!m1) this.map.set(a, (m1 = new WeakMap()));
    let m2 = m1.get(b);
    if (!m2) m1.set(b, (m2 = new WeakMap()));
    let bg = m2.get(c);
    if (!bg) m2.set(c, (bg = make()));
    return bg;
  }
}

export interface AttentionBuffers {
  /** Query rows, [numTokens][qStride] f32. */
  q: GPUBuffer;
  /** The KV pool (paged) or the contiguous cache, f32, layout of kv-layout.ts. */
  pool: GPUBuffer;
  /** Output, [numTokens][numHeads][headDim] f32. */
  out: GPUBuffer;
}

export class PagedAttention {
  readonly paged: boolean = true;
  readonly group: number;
  readonly qt: number;
  /** Keys per tile of the decode-split variant (splits are whole tiles) and of the prefill-tile variant. */
  readonly bk: number;
  readonly prefillBk: number;
  readonly wg: number;
  /** (LK, NRV) of the decode-split and prefill-tile pipelines. */
  readonly decodeVariant: { lk: number; nrv: number; qreg: boolean; clamp: boolean; sg: boolean };
  readonly tileVariant: { lk: number; nrv: number; qreg: boolean; clamp: boolean; sg: boolean };
  readonly policy: SplitPolicy;
  readonly qStride: number;
  /** Kernel of the decode-split items (chooseDecodeKernel unless the config says). */
  readonly decodeKernel: DecodeKernel;
  private readonly label: string;
  private readonly device: GPUDevice;
  private readonly cache: PipelineCache;
  private readonly decodeSpec: ComputePipelineSpec;
  private readonly tileSpec: ComputePipelineSpec;
  private readonly reduceSpec: ComputePipelineSpec;
  private readonly mainLayout: GPUBindGroupLayout;
  private readonly reduceLayout: GPUBindGroupLayout;
  private readonly params: GPUBuffer;
  private readonly meta: GPUBuffer;
  private readonly partials: GPUBuffer;
  private readonly scratch: Uint32Array<ArrayBuffer>;
  private readonly paramWords: ArrayBuffer;
  private readonly slotBytes: number;
  private readonly mainGroups = new BindGroupCache();
  private readonly reduceGroups = new WeakMap<GPUBuffer, GPUBindGroup>();

  constructor(
    private readonly gpu: GpuContext,
    cache: PipelineCache,
    readonly cfg: AttentionConfig,
    paged = true,
  ) {
    this.paged = paged;
    const { device } = gpu;
    this.device = device;
    const { numHeads, numKvHeads, headDim, numLayers } = cfg;
    const tiles = defaultAttentionTiles(gpu.info.isSoftware);
    if (numHeads % numKvHeads !== 0) throw new RangeError(`attention: numHeads ${numHeads} is not a multiple of numKvHeads ${numKvHeads}.`);
    if (headDim % 4 !== 0 || headDim > 128) throw new RangeError(`attention: headDim ${headDim} must be a multiple of 4 and <= 128.`);
    if (numHeads / numKvHeads > 32) throw new RangeError(`attention: ${numHeads / numKvHeads} query heads per kv head; the kernel holds at most 32 rows (MAX_ROWS).`);
    this.label = cfg.label ?? (paged ? 'PagedAttention' : 'ContiguousAttention');
    this.group = numHeads / numKvHeads;
    this.qStride = cfg.qStride ?? numHeads * headDim;
    this.wg = cfg.workgroupSize ?? tiles.workgroupSize;
    const maxLanes = cfg.lanesPerKey ?? tiles.lanesPerKey;
    const wantSg = cfg.subgroupLanes ?? tiles.subgroupLanes;
    // The decode tile's default depends on whether its lanes will sum with subgroups (lanes as the decode
    // variant would pick them before the memory checks below, which may only lower them).
    const sgLikely = wantSg && subgroupLaneSum(gpu, chooseLanesPerKey(headDim, this.group, tiles.subgroupKeysPerTile, maxLanes), this.wg);
    this.bk = cfg.keysPerTile ?? (sgLikely ? tiles.subgroupKeysPerTile : tiles.keysPerTile);
    this.prefillBk = cfg.prefillKeysPerTile ?? cfg.keysPerTile ?? tiles.prefillKeysPerTile;
    const maxRows = cfg.rowsPerThread ?? tiles.rowsPerThread;
    this.policy = cfg.policy ?? defaultSplitPolicy(gpu.info.isSoftware);
    const maxWgBytes = device.limits.maxComputeWorkgroupStorageSize;
    const variant = (bk: number) => (rows: number, qt: number) => chooseVariant(headDim, rows, qt, bk, this.wg, maxLanes, maxRows, maxWgBytes);
    this.qt = choosePrefillTokensPerTile(headDim, this.group, this.prefillBk, this.wg, maxWgBytes, variant(this.prefillBk));
    const qreg = cfg.queryRegisters ?? tiles.queryRegisters;
    const wantClamp = cfg.clampedLoads ?? tiles.clampedLoads;
    const full = (rows: number, qt: number, bk: number) => {
      const v = variant(bk)(rows, qt);
      const sg = wantSg && subgroupLaneSum(gpu, v.lk, this.wg);
      return { ...v, qreg: qreg && qInRegisters(headDim, rows, bk, this.wg, v.lk), clamp: wantClamp || sg, sg };
    };
    this.decodeVariant = full(this.group, 1, this.bk);
    this.tileVariant = full(this.qt * this.group, this.qt, this.prefillBk);
    const decodeBytes = attentionWorkgroupBytes(headDim, this.group, 1, this.bk, this.wg, this.decodeVariant.lk, this.decodeVariant.nrv);
    if (decodeBytes > maxWgBytes) {
      throw new GpuLimitError('maxComputeWorkgroupStorageSize', decodeBytes, maxWgBytes, `${this.label} (group ${this.group}, head dim ${headDim})`);
    }

    const layouts = attentionLayouts(device, cache);
    this.mainLayout = layouts.main;
    this.reduceLayout = layouts.reduce;
    // Pipelines are compiled on first use (a decode-only engine never compiles the tile variant).
    const common = { D: headDim, G: this.group, WG: this.wg, PAGED: paged ? 1 : 0 };
    const spec = (name: string, v: PagedAttention['decodeVariant'], bk: number, qt: number, tile: boolean): ComputePipelineSpec => ({
      label: `${this.label}.${name}`,
      code: v.sg ? subgroupAttentionCode() : attentionCode,
      layout: layouts.mainPl,
      constants: { ...common, BK: bk, QT: qt, TILE: tile ? 1 : 0, LK: v.lk, NRV: v.nrv, QREG: v.qreg ? 1 : 0, CLAMPK: v.clamp ? 1 : 0 },
    });
    this.decodeKernel = cfg.decodeKernel ?? chooseDecodeKernel(gpu, headDim, this.group);
    if (this.decodeKernel === 'subgroup') {
      if (!gpu.hasSubgroups) throw new RangeError(`${this.label}: decodeKernel 'subgroup' needs the subgroups feature.`);
      const wg = subgroupWorkgroupSize(gpu);
      const lk = subgroupDecodeLanes(headDim, this.group, wg);
      if (!lk) throw new RangeError(`${this.label}: decodeKernel 'subgroup' holds at most 16 query quads per lane (group ${this.group}, head dim ${headDim}).`);
      this.decodeSpec = {
        label: `${this.label}.decodeSubgroupPipeline`,
        code: decodeSubgroupCode,
        layout: layouts.mainPl,
        constants: { D: headDim, G: this.group, WG: wg, LK: lk, PAGED: paged ? 1 : 0 },
      };
    } else {
      this.decodeSpec = spec('decodePipeline', this.decodeVariant, this.bk, 1, false);
    }
    this.tileSpec = spec('tilePipeline', this.tileVariant, this.prefillBk, this.qt, true);
    this.reduceSpec = { label: `${this.label}.reducePipeline`, code: reduceCode, layout: layouts.reducePl, constants: { D: headDim, WG: 32 } };
    this.cache = cache;

    // One 48-byte Params per layer, each at a uniform-offset-aligned slot (dynamic offset = layer * slotBytes).
    this.slotBytes = Math.max(256, device.limits.minUniformBufferOffsetAlignment);
    this.params = createBuffer(device, {
      label: `${this.label}.params`,
      size: this.slotBytes * numLayers,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.paramWords = new ArrayBuffer(this.slotBytes * numLayers);
    const maxItems = cfg.maxSeqs * Math.max(this.policy.maxSplits, 1) + Math.ceil(cfg.maxTokens / this.qt) + cfg.maxSeqs;
    const metaWords = 4 * maxItems + cfg.maxTokens + (paged ? cfg.maxBlockTableEntries ?? cfg.maxSeqs * 64 : 0);
    this.scratch = new Uint32Array(metaWords);
    this.meta = storageBuffer(device, `${this.label}.meta`, metaWords * 4);
    this.partials = storageBuffer(
      device,
      `${this.label}.partials`,
      cfg.maxSeqs * this.policy.maxSplits * numHeads * (headDim + 4) * 4,
    );
  }

  /** Builds the step's work items and uploads them and the per-layer params (two writeBuffers, no allocation on the GPU). */
  prepare(batch: AttentionBatch): AttentionPlan {
    const { cfg } = this;
    if (batch.numTokens > cfg.maxTokens) throw new RangeError(`${this.label}: ${batch.numTokens} tokens > capacity ${cfg.maxTokens}.`);
    if (batch.seqs.length > cfg.maxSeqs) throw new RangeError(`${this.label}: ${batch.seqs.length} sequences > capacity ${cfg.maxSeqs}.`);
    const plan = buildAttentionPlan(
      batch,
      {
        qt: this.qt,
        bk: this.bk,
        paged: this.paged,
        numKvHeads: cfg.numKvHeads,
        tokensPerPage: cfg.tokensPerPage,
        policy: this.policy,
        ...(this.paged ? {} : { maxLen: cfg.tokensPerPage }),
      },
      this.scratch,
    );
    const maxDim = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (plan.numSplitItems > maxDim || plan.numTileItems > maxDim) {
      throw new GpuLimitError('maxComputeWorkgroupsPerDimension', Math.max(plan.numSplitItems, plan.numTileItems), maxDim, this.label);
    }
    if (plan.meta.length) this.device.queue.writeBuffer(this.meta, 0, plan.meta);
    const u = new Uint32Array(this.paramWords);
    const f = new Float32Array(this.paramWords);
    for (let layer = 0; layer < cfg.numLayers; layer++) {
      const o = (layer * this.slotBytes) / 4;
      u.set(
        [cfg.numHeads, cfg.numKvHeads, this.qStride, cfg.numLayers, layer, cfg.tokensPerPage, plan.numSplits, plan.splitLen, plan.numSplitItems, plan.posOffset],
        o,
      );
      f[o + 10] = 1 / Math.sqrt(cfg.headDim);
    }
    this.device.queue.writeBuffer(this.params, 0, this.paramWords);
    return plan;
  }

  /** Records the step's attention for one layer into `pass`. Nothing is recorded for an empty plan. */
  encode(pass: GPUComputePassEncoder, plan: AttentionPlan, bufs: AttentionBuffers, layer = 0): void {
    if (plan.numSplitItems + plan.numTileItems === 0) return;
    const offsets = [layer * this.slotBytes];
    const main = this.mainGroups.get(bufs.q, bufs.pool, bufs.out, () =>
      this.device.createBindGroup({
        label: `${this.label}.bindGroup`,
        layout: this.mainLayout,
        entries: [
          { binding: 0, resource: { buffer: this.params, size: 48 } },
          { binding: 1, resource: { buffer: bufs.q } },
          { binding: 2, resource: { buffer: bufs.pool } },
          { binding: 3, resource: { buffer: this.meta } },
          { binding: 4, resource: { buffer: bufs.out } },
          { binding: 5, resource: { buffer: this.partials } },
        ],
      }),
    );
    const { numKvHeads, numHeads } = this.cfg;
    pass.setBindGroup(0, main, offsets);
    if (plan.numSplitItems) {
      pass.setPipeline(this.cache.compute(this.decodeSpec));
      pass.dispatchWorkgroups(plan.numSplitItems, numKvHeads);
    }
    if (plan.numTileItems) {
      pass.setPipeline(this.cache.compute(this.tileSpec));
      pass.dispatchWorkgroups(plan.numTileItems, numKvHeads);
    }
    if (plan.numSplits > 1 && plan.numDecode > 0) {
      let rg = this.reduceGroups.get(bufs.out);
      if (!rg) {
        rg = this.device.createBindGroup({
          label: `${this.label}.reduceBindGroup`,
          layout: this.reduceLayout,
          entries: [
            { binding: 0, resource: { buffer: this.params, size: 48 } },
            { binding: 1, resource: { buffer: this.meta } },
            { binding: 2, resource: { buffer: this.partials } },
            { binding: 3, resource: { buffer: bufs.out } },
          ],
        });
        this.reduceGroups.set(bufs.out, rg);
      }
      pass.setPipeline(this.cache.compute(this.reduceSpec));
      pass.setBindGroup(0, rg, offsets);
      pass.dispatchWorkgroups(plan.numDecode, numHeads);
    }
  }

  destroy(): void {
    this.params.destroy();
    this.meta.destroy();
    this.partials.destroy();
  }
}

/**
 * The pre-paging baseline: K/V of sequence `cacheRow` at cache[row][layer][kv][kvHead][maxLen][dim]
 * (kv-layout.ts `contiguousLayout`), read by the same kernel with PAGED = false.
 */
export class ContiguousAttention extends PagedAttention {
  constructor(gpu: GpuContext, cache: PipelineCache, cfg: Omit<AttentionConfig, 'tokensPerPage' | 'maxBlockTableEntries'> & { maxLen: number }) {
    super(gpu, cache, { ...cfg, tokensPerPage: cfg.maxLen }, false);
  }
}
