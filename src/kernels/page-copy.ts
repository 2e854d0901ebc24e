/**
 * Typed wrapper for shaders/page-copy.wgsl: copies whole pages inside the KV pool (copy-on-write, and
 * swap between pool regions), plus its reference. For a copy to ANOTHER buffer (swap to host-visible
 * memory) use `copyBufferToBuffer` with kv-layout.ts `pageByteRange`: a page is one contiguous range.
 *
 * `prepare(pairs)` validates and uploads the (src, dst) list; `encode(pass, pool)` records one dispatch.
 */
import code from '../../shaders/page-copy.wgsl';
import { storageBuffer, uniformBuffer, type GpuContext, type PipelineCache } from '../gpu';
import { pageStride, type KvPoolLayout } from './kv-layout';

export type PagePair = readonly [src: number, dst: number];

/** Throws unless destinations are distinct, no destination is also a source, and all pages exist. */
export function checkPagePairs(pairs: readonly PagePair[], numPages: number): void {
  const dsts = new Set<number>();
  const srcs = new Set(pairs.map((p) => p[0]));
  for (const [s, d] of pairs) {
    for (const p of [s, d]) if (!(Number.isInteger(p) && p >= 0 && p < numPages)) throw new RangeError(`page copy: page ${p} outside [0, ${numPages}).`);
    if (dsts.has(d)) throw new RangeError(`page copy: page ${d} is a destination twice.`);
    if (srcs.has(d)) throw new RangeError(`page copy: page ${d} is both a source and a destination in one batch.`);
    dsts.add(d);
  }
}

/** Reference: the pool after the copies. */
export function pageCopyReference(pool: Float32Array, pairs: readonly PagePair[], layout: Omit<KvPoolLayout, 'numPages'>): Float32Array {
  const out = pool.slice();
  const n = pageStride(layout);
  for (const [s, d] of pairs) out.set(pool.subarray(s * n, (s + 1) * n), d * n);
  return out;
}

export class PageCopy {
  readonly wg = 64;
  private readonly label: string;
  private readonly device: GPUDevice;
  private readonly pipeline: GPUComputePipeline;
  private readonly params: GPUBuffer;
  private readonly pairs: GPUBuffer;
  private readonly pageStride4: number;
  private readonly gridX: number;
  private readonly groups = new WeakMap<GPUBuffer, GPUBindGroup>();
  private numPairs = 0;

  constructor(gpu: GpuContext, cache: PipelineCache, readonly layout: KvPoolLayout, readonly maxPairs: number, label = 'PageCopy') {
    this.device = gpu.device;
    this.label = label;
    this.pipeline = cache.compute({ label: `${label}.pipeline`, code, constants: { WG: this.wg } });
    this.pageStride4 = pageStride(layout) / 4;
    this.gridX = Math.min(Math.ceil(this.pageStride4 / this.wg), 1024);
    this.params = uniformBuffer(this.device, `${label}.params`, 16);
    this.pairs = storageBuffer(this.device, `${label}.pairs`, Math.max(1, maxPairs) * 8);
  }

  prepare(pairs: readonly PagePair[]): void {
    if (pairs.length > this.maxPairs) throw new RangeError(`${this.label}: ${pairs.length} pairs > capacity ${this.maxPairs}.`);
    checkPagePairs(pairs, this.layout.numPages);
    this.numPairs = pairs.length;
    if (pairs.length) this.device.queue.writeBuffer(this.pairs, 0, new Uint32Array(pairs.flat()));
    this.device.queue.writeBuffer(this.params, 0, new Uint32Array([pairs.length, this.pageStride4, this.gridX, 0]));
  }

  encode(pass: GPUComputePassEncoder, pool: GPUBuffer): void {
    if (!this.numPairs) return;
    let bg = this.groups.get(pool);
    if (!bg) {
      bg = this.device.createBindGroup({
        label: `${this.label}.bindGroup`,
        layout: this.pipeline.getBindGroupLayout(0),
        entries: [this.params, this.pairs, pool].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      this.groups.set(pool, bg);
    }
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(this.gridX, this.numPairs);
  }

  destroy(): void {
    this.params.destroy();
    this.pairs.destroy();
  }
}
