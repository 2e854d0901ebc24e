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
  /** Threads per workgroup and keys per tile (WGSL overrides). */
  workgroupSize?: number;
  keysPerTile?: number;
  label?: string;
}

/**
 * Threads per workgroup and keys per tile, by adapter (both WGSL overrides). Hardware: 128 threads, 128
 * keys: on an H200 (bench/results/kernels-attention-h200.json) decode B8 x ctx 512 x 8 heads x D 64 took
 * 12.4 us vs 18.4 us at 64/32, prefill of 512 tokens 0.212 ms vs 0.335 ms at 64/64 and 0.362 ms at 64/32,
 * decode B32 x ctx 4096 x 32/8 heads x D 128 0.82 ms (target 4096) vs 1.04 ms at 64/64 (128/64 measured
 * 0.77 ms there but was not measured on the other shapes). Software: 64 threads, 64 keys (SwiftShader runs
 * a workgroup's threads on one CPU core; fewer, cheaper barriers matter more than width there).
 */
export function defaultAttentionTiles(isSoftware: boolean): { workgroupSize: number; keysPerTile: number } {
  return isSoftware ? { workgroupSize: 64, keysPerTile: 64 } : { workgroupSize: 128, keysPerTile: 128 };
}

/** Bytes of workgroup memory attention.wgsl declares for a configuration (see its header). */
export function attentionWorkgroupBytes(d: number, rows: number, qt: number, bk: number, wg: number): number {
  const d4 = d / 4;
  const js = Math.max(1, Math.floor(wg / (rows * d4)));
  return 16 * rows * d4 + 4 * rows * bk + 16 * rows * d4 * js + 4 * rows * js + 8 * rows + 4 * rows + 4 * bk + 4 * qt + 8;
}

/**
 * Query tokens per prefill tile: the largest QT with QT * G rows <= min(32, 256 / (D / 4)) rows (so the
 * query rows and accumulators stay <= 4 KiB each) whose workgroup memory fits the device; at least 1.
 */
export function choosePrefillTokensPerTile(headDim: number, group: number, bk: number, wg: number, maxWorkgroupBytes: number): number {
  const maxRows = Math.min(32, Math.floor(256 / (headDim / 4)));
  let qt = Math.max(1, Math.floor(maxRows / group));
  while (qt > 1 && attentionWorkgroupBytes(headDim, qt * group, qt, bk, wg) > maxWorkgroupBytes) qt--;
  return qt;
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
  readonly bk: number;
  readonly wg: number;
  readonly policy: SplitPolicy;
  readonly qStride: number;
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
    if (numHeads % numKvHeads !== 0) throw new RangeError(`attention: numHeads ${numHeads} is not a multiple of numKvHeads ${numKvHeads}.`);
    if (headDim % 4 !== 0 || headDim > 128) throw new RangeError(`attention: headDim ${headDim} must be a multiple of 4 and <= 128.`);
    if (numHeads / numKvHeads > 32) throw new RangeError(`attention: ${numHeads / numKvHeads} query heads per kv head; the kernel holds at most 32 rows (MAX_ROWS).`);
    this.label = cfg.label ?? (paged ? 'PagedAttention' : 'ContiguousAttention');
    this.group = numHeads / numKvHeads;
    this.qStride = cfg.qStride ?? numHeads * headDim;
    const tiles = defaultAttentionTiles(gpu.info.isSoftware);
    this.wg = cfg.workgroupSize ?? tiles.workgroupSize;
    this.bk = cfg.keysPerTile ?? tiles.keysPerTile;
    this.policy = cfg.policy ?? defaultSplitPolicy(gpu.info.isSoftware);
    const maxWgBytes = device.limits.maxComputeWorkgroupStorageSize;
    this.qt = choosePrefillTokensPerTile(headDim, this.group, this.bk, this.wg, maxWgBytes);
    const decodeBytes = attentionWorkgroupBytes(headDim, this.group, 1, this.bk, this.wg);
    if (decodeBytes > maxWgBytes) {
      throw new GpuLimitError('maxComputeWorkgroupStorageSize', decodeBytes, maxWgBytes, `${this.label} (group ${this.group}, head dim ${headDim})`);
    }

    const layouts = attentionLayouts(device, cache);
    this.mainLayout = layouts.main;
    this.reduceLayout = layouts.reduce;
    // Pipelines are compiled on first use (a decode-only engine never compiles the tile variant).
    const common = { D: headDim, G: this.group, BK: this.bk, WG: this.wg, PAGED: paged ? 1 : 0 };
    this.decodeSpec = { label: `${this.label}.decodePipeline`, code: attentionCode, layout: layouts.mainPl, constants: { ...common, QT: 1, TILE: 0 } };
    this.tileSpec = { label: `${this.label}.tilePipeline`, code: attentionCode, layout: layouts.mainPl, constants: { ...common, QT: this.qt, TILE: 1 } };
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
