/**
 * Typed wrapper for shaders/kv-write.wgsl: stores each new token's K and V (from the fused QKV rows,
 * [token][numHeads + 2 * numKvHeads][headDim]) into its (page, slot) of the KV pool, from a slot mapping
 * (slot = page * tokensPerPage + offset; -1 skips a padding token). Plus its plain-TS reference.
 *
 * `prepare(slots)` uploads the step's slot mapping and per-layer params (writeBuffer into reused
 * buffers); `encode(pass, {qkv, pool}, layer)` records one dispatch per layer into the caller's pass.
 */
import code from '../../shaders/kv-write.wgsl';
import { createBuffer, storageBuffer, type GpuContext, type PipelineCache } from '../gpu';
import { kvOffset, type KvPoolLayout } from './kv-layout';

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

/** One explicit layout per pipeline cache (binding 0 has a dynamic offset: the layer's params slot). */
const layoutsByCache = new WeakMap<PipelineCache, { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout }>();

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
  private readonly groups = new WeakMap<GPUBuffer, WeakMap<GPUBuffer, GPUBindGroup>>();
  private numTokens = 0;
  readonly wg = 64;

  constructor(gpu: GpuContext, cache: PipelineCache, readonly cfg: KvWriteConfig) {
    const { device } = gpu;
    this.device = device;
    this.label = cfg.label ?? 'KvWrite';
    if (cfg.headDim % 4) throw new RangeError(`${this.label}: headDim ${cfg.headDim} must be a multiple of 4.`);
    this.qkvStride = cfg.qkvStride ?? (cfg.numHeads + 2 * cfg.numKvHeads) * cfg.headDim;
    let layouts = layoutsByCache.get(cache);
    if (!layouts) {
      const C = GPUShaderStage.COMPUTE;
      const bgl = device.createBindGroupLayout({
        label: 'KvWrite.layout',
        entries: [
          { binding: 0, visibility: C, buffer: { type: 'uniform', hasDynamicOffset: true } },
          { binding: 1, visibility: C, buffer: { type: 'read-only-storage' } },
          { binding: 2, visibility: C, buffer: { type: 'read-only-storage' } },
          { binding: 3, visibility: C, buffer: { type: 'storage' } },
        ],
      });
      layouts = { bgl, pl: device.createPipelineLayout({ label: 'KvWrite.pipelineLayout', bindGroupLayouts: [bgl] }) };
      layoutsByCache.set(cache, layouts);
    }
    this.layout = layouts.bgl;
    this.pipeline = cache.compute({ label: `${this.label}.pipeline`, code, layout: layouts.pl, constants: { D: cfg.headDim, WG: this.wg } });
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

  /** Records the write of the prepared tokens' K/V of `layer`; nothing for an empty step. */
  encode(pass: GPUComputePassEncoder, bufs: { qkv: GPUBuffer; pool: GPUBuffer }, layer = 0): void {
    if (!this.numTokens) return;
    let m = this.groups.get(bufs.qkv);
    if (!m) this.groups.set(bufs.qkv, (m = new WeakMap()));
    let bg = m.get(bufs.pool);
    if (!bg) {
      bg = this.device.createBindGroup({
        label: `${this.label}.bindGroup`,
        layout: this.layout,
        entries: [
          { binding: 0, resource: { buffer: this.params, size: 32 } },
          { binding: 1, resource: { buffer: bufs.qkv } },
          { binding: 2, resource: { buffer: this.slots } },
          { binding: 3, resource: { buffer: bufs.pool } },
        ],
      });
      m.set(bufs.pool, bg);
    }
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bg, [layer * this.slotBytes]);
    pass.dispatchWorkgroups(Math.ceil((this.cfg.numKvHeads * this.cfg.headDim) / 4 / this.wg), this.numTokens);
  }

  destroy(): void {
    this.params.destroy();
    this.slots.destroy();
  }
}
