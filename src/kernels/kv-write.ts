/**
 * Typed wrapper for shaders/kv-write.wgsl: stores each new token's K and V (from the fused QKV rows,
 * [token][numHeads + 2 * numKvHeads][headDim]) into its (page, slot) of the KV pool, from a slot mapping
 * (slot = page * tokensPerPage + offset; -1 skips a padding token). Plus its plain-TS reference.
 *
 * `prepare(slots)` uploads the step's slot mapping and per-layer params (writeBuffer into reused
 * buffers); `encode(pass, {qkv, pool}, layer)` records one dispatch per layer into the caller's pass.
 *
 * With `rope` given, the same dispatch also applies rotary embedding (shaders/rope.wgsl's `rope_kv_write`
 * entry): Q rotated in place in qkv, K rotated on its way into the pool, V copied. The model's layer then
 * runs one kernel where rope + kv-write ran two (a dispatch is ~3 us on an H200 and far more on a
 * software adapter, so for small models the count matters more than the work). `encode` then needs the
 * step's positions buffer.
 */
import code from '../../shaders/kv-write.wgsl';
import ropeCode from '../../shaders/rope.wgsl';
import { createBuffer, storageBuffer, type GpuContext, type PipelineCache } from '../gpu';
import { kvOffset, type KvPoolLayout } from './kv-layout';
import { ropeFreqTable, ropeInvFreq, type RopeConvention } from './rope';

/** Rotary embedding fused into the K/V store: full rotary (rotaryDim = headDim) only. */
export interface KvWriteRope {
  theta: number;
  convention: RopeConvention;
  /** Custom inverse frequencies (scaled rope); default ropeInvFreq(headDim, theta). */
  invFreq?: ArrayLike<number>;
}

export interface KvWriteConfig {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  numLayers: number;
  tokensPerPage: number;
  maxTokens: number;
  /** f32 elements per qkv row; default (numHeads + 2 * numKvHeads) * headDim. */
  qkvStride?: number;
  label?: string;
}

/** Reference: writes into a copy of `pool` exactly what the kernel writes. */
export function kvWriteReference(
  pool: Float32Array,
  qkv: Float32Array,
  slots: Int32Array,
  c: Omit<KvWriteConfig, 'maxTokens'> & { layer: number },
): Float32Array {
  const out = pool.slice();
  const D = c.headDim;
  const stride = c.qkvStride ?? (c.numHeads + 2 * c.numKvHeads) * D;
  const layout: Omit<KvPoolLayout, 'numPages'> = c;
  slots.forEach((slot, t) => {
    if (slot < 0) return;
    const page = Math.floor(slot / c.tokensPerPage);
    const s = slot % c.tokensPerPage;
    for (let h = 0; h < c.numKvHeads; h++) {
      for (let d = 0; d < D; d++) {
        out[kvOffset(layout, page, c.layer, 0, h, s, d)] = qkv[t * stride + (c.numHeads + h) * D + d]!;
        out[kvOffset(layout, page, c.layer, 1, h, s, d)] = qkv[t * stride + (c.numHeads + c.numKvHeads + h) * D + d]!;
      }
    }
  });
  return out;
}

interface Layouts {
  bgl: GPUBindGroupLayout;
  pl: GPUPipelineLayout;
}
/** One explicit layout per pipeline cache and form (the params binding has a dynamic offset: the layer's slot). */
const layoutsByCache = new WeakMap<PipelineCache, { plain?: Layouts; rope?: Layouts }>();

function layoutsFor(device: GPUDevice, cache: PipelineCache, form: 'plain' | 'rope'): Layouts {
  let byForm = layoutsByCache.get(cache);
  if (!byForm) layoutsByCache.set(cache, (byForm = {}));
  const have = byForm[form];
  if (have) return have;
  const C = GPUShaderStage.COMPUTE;
  const ro = { type: 'read-only-storage' } as const;
  const params = { type: 'uniform', hasDynamicOffset: true } as const;
  // plain (kv-write.wgsl): params, qkv, slots, pool; rope (rope.wgsl): qkv, positions, freqs, params, slots, pool.
  const buffers: GPUBufferBindingLayout[] = form === 'plain' ? [params, ro, ro, { type: 'storage' }] : [{ type: 'storage' }, ro, ro, params, ro, { type: 'storage' }];
  const bgl = device.createBindGroupLayout({ label: `KvWrite.layout.${form}`, entries: buffers.map((buffer, binding) => ({ binding, visibility: C, buffer })) });
  const made = { bgl, pl: device.createPipelineLayout({ label: `KvWrite.pipelineLayout.${form}`, bindGroupLayouts: [bgl] }) };
  byForm[form] = made;
  return made;
}

export class KvWrite {
  readonly qkvStride: number;
  private readonly label: string;
  private readonly device: GPUDevice;
  private readonly pipeline: GPUComputePipeline;
  private readonly layout: GPUBindGroupLayout;
  private readonly params: GPUBuffer;
  private readonly slots: GPUBuffer;
  private readonly slotBytes: number;
  private readonly paramWords: Uint32Array<ArrayBuffer>;
  /** Bind groups by qkv, then pool, then (rope only) positions buffer. */
  private readonly groups = new WeakMap<GPUBuffer, WeakMap<GPUBuffer, GPUBindGroup | WeakMap<GPUBuffer, GPUBindGroup>>>();
  private numTokens = 0;
  readonly wg = 64;
  /** The frequency table (rope form only). */
  private readonly freqs: GPUBuffer | null = null;
  /** Threads per token: vec4 pairs of K/V, or (rope form) rope pairs of Q and K plus V quads. */
  private readonly threadsPerToken: number;

  constructor(gpu: GpuContext, cache: PipelineCache, readonly cfg: KvWriteConfig, readonly rope?: KvWriteRope) {
    const { device } = gpu;
    this.device = device;
    this.label = cfg.label ?? 'KvWrite';
    if (cfg.headDim % 4) throw new RangeError(`${this.label}: headDim ${cfg.headDim} must be a multiple of 4.`);
    this.qkvStride = cfg.qkvStride ?? (cfg.numHeads + 2 * cfg.numKvHeads) * cfg.headDim;
    if (rope && this.qkvStride !== (cfg.numHeads + 2 * cfg.numKvHeads) * cfg.headDim) throw new RangeError(`${this.label}: the rope form needs packed qkv rows (stride ${(cfg.numHeads + 2 * cfg.numKvHeads) * cfg.headDim}), got ${this.qkvStride}.`);
    const layouts = layoutsFor(device, cache, rope ? 'rope' : 'plain');
    this.layout = layouts.bgl;
    if (rope) {
      this.pipeline = cache.compute({
        label: `${this.label}.pipeline.rope-${rope.convention}`,
        code: ropeCode,
        entryPoint: 'rope_kv_write',
        layout: layouts.pl,
        constants: { WG: this.wg, NUM_HEADS: cfg.numHeads, NUM_KV_HEADS: cfg.numKvHeads, HEAD_DIM: cfg.headDim, ROTARY_DIM: cfg.headDim, ROTATE_HALF: rope.convention === 'rotate-half' ? 1 : 0 },
      });
      this.freqs = storageBuffer(device, `${this.label}.freqs`, ropeFreqTable(rope.invFreq ?? ropeInvFreq(cfg.headDim, rope.theta)));
      this.threadsPerToken = ((cfg.numHeads + cfg.numKvHeads) * cfg.headDim) / 2 + (cfg.numKvHeads * cfg.headDim) / 4;
    } else {
      this.pipeline = cache.compute({ label: `${this.label}.pipeline`, code, layout: layouts.pl, constants: { D: cfg.headDim, WG: this.wg } });
      this.threadsPerToken = (cfg.numKvHeads * cfg.headDim) / 4;
    }
    this.slotBytes = Math.max(256, device.limits.minUniformBufferOffsetAlignment);
    this.params = createBuffer(device, { label: `${this.label}.params`, size: this.slotBytes * cfg.numLayers, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.paramWords = new Uint32Array((this.slotBytes * cfg.numLayers) / 4);
    this.slots = storageBuffer(device, `${this.label}.slots`, cfg.maxTokens * 4);
  }

  /** Uploads the step's slot mapping (one entry per token; -1 = skip). */
  prepare(slotMapping: Int32Array<ArrayBuffer>): void {
    const n = slotMapping.length;
    if (n > this.cfg.maxTokens) throw new RangeError(`${this.label}: ${n} tokens > capacity ${this.cfg.maxTokens}.`);
    this.numTokens = n;
    if (n) this.device.queue.writeBuffer(this.slots, 0, slotMapping);
    const { cfg } = this;
    for (let layer = 0; layer < cfg.numLayers; layer++) {
      this.paramWords.set([n, cfg.numHeads, cfg.numKvHeads, this.qkvStride, cfg.numLayers, layer, cfg.tokensPerPage], (layer * this.slotBytes) / 4);
    }
    this.device.queue.writeBuffer(this.params, 0, this.paramWords);
  }

  /**
   * Records the write of the prepared tokens' K/V of `layer` (rope form: and the rotation of their Q and
   * K at `positions`, u32 per token); nothing for an empty step.
   */
  encode(pass: GPUComputePassEncoder, bufs: { qkv: GPUBuffer; pool: GPUBuffer; positions?: GPUBuffer }, layer = 0): void {
    if (!this.numTokens) return;
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup(bufs), [layer * this.slotBytes]);
    pass.dispatchWorkgroups(Math.ceil(this.threadsPerToken / this.wg), this.numTokens);
  }

  private bindGroup(bufs: { qkv: GPUBuffer; pool: GPUBuffer; positions?: GPUBuffer }): GPUBindGroup {
    let byPool = this.groups.get(bufs.qkv);
    if (!byPool) this.groups.set(bufs.qkv, (byPool = new WeakMap()));
    const params = { buffer: this.params, size: 32 };
    if (!this.freqs) {
      let bg = byPool.get(bufs.pool) as GPUBindGroup | undefined;
      if (!bg) {
        const resources = [params, { buffer: bufs.qkv }, { buffer: this.slots }, { buffer: bufs.pool }];
        bg = this.device.createBindGroup({ label: `${this.label}.bindGroup`, layout: this.layout, entries: resources.map((resource, binding) => ({ binding, resource })) });
        byPool.set(bufs.pool, bg);
      }
      return bg;
    }
    if (!bufs.positions) throw new Error(`${this.label}: the rope form needs the step's positions buffer.`);
    let byPos = byPool.get(bufs.pool) as WeakMap<GPUBuffer, GPUBindGroup> | undefined;
    if (!byPos) byPool.set(bufs.pool, (byPos = new WeakMap()));
    let bg = byPos.get(bufs.positions);
    if (!bg) {
      const resources = [{ buffer: bufs.qkv }, { buffer: bufs.positions }, { buffer: this.freqs }, params, { buffer: this.slots }, { buffer: bufs.pool }];
      bg = this.device.createBindGroup({ label: `${this.label}.bindGroup.rope`, layout: this.layout, entries: resources.map((resource, binding) => ({ binding, resource })) });
      byPos.set(bufs.positions, bg);
    }
    return bg;
  }

  destroy(): void {
    this.params.destroy();
    this.slots.destroy();
    this.freqs?.destroy();
  }
}
