/**
 * Typed wrapper for the rmsnorm kernels and their plain-TS reference.
 * y[t, :] = x[t, :] / sqrt(mean(x[t, :]^2) + eps) * weight, one workgroup per token row.
 *
 * Variant per adapter (src/kernels/row-reduce.ts, chooseRowShape, states the rule and why):
 *   `subgroup-row`  shaders/rmsnorm-subgroups.wgsl main_row: the workgroup is one subgroup (WG = the
 *                   adapter's smallest subgroup size), one subgroupAdd, no barrier. Devices with
 *                   `subgroups` when dim <= 32 * subgroupMinSize, and every software adapter.
 *   `subgroup-wide` shaders/rmsnorm-subgroups.wgsl main_wide: WG threads, subgroupAdd + one barrier.
 *                   Devices with `subgroups` and longer rows.
 *   `workgroup`     shaders/rmsnorm.wgsl: WG threads fitted to the row (32..256), halving tree in
 *                   workgroup memory. Devices without `subgroups` (compatibility mode on OpenGL ES).
 * `reduce` in the config forces a variant (tests, benchmarks); `reduce: 'workgroup'` with
 * workgroupSize 256 is the kernel as it was before the variants (bench baseline).
 */
import code from '../../shaders/rmsnorm.wgsl';
import subgroupCode from '../../shaders/rmsnorm-subgroups.wgsl';
import type { PipelineCache } from '../gpu';
import { BindGroupCache } from './bind-group-cache';
import { checkRows } from './grid';
import { chooseRowShape, type RowReduce } from './row-reduce';

export interface RmsNormConfig {
  dim: number;
  eps: number;
  /** Upper bound on threads per row for the wide variants (power of two); default 256, capped by the device. */
  workgroupSize?: number;
  /** Force a variant (default: chooseRowShape's rule for this device and dim). */
  reduce?: RowReduce;
}

/** Reference in f64: x (numTokens, dim), weight (dim) -> y (numTokens, dim). */
export function rmsnormReference(x: Float32Array, weight: Float32Array, numTokens: number, dim: number, eps: number): Float32Array {
  const y = new Float32Array(numTokens * dim);
  for (let t = 0; t < numTokens; t++) {
    let ss = 0;
    for (let d = 0; d < dim; d++) ss += x[t * dim + d]! ** 2;
    const inv = 1 / Math.sqrt(ss / dim + eps);
    for (let d = 0; d < dim; d++) y[t * dim + d] = x[t * dim + d]! * inv * weight[d]!;
  }
  return y;
}

export class RmsNormKernel {
  readonly pipeline: GPUComputePipeline;
  readonly workgroupSize: number;
  readonly reduce: RowReduce;
  private readonly bindGroups: BindGroupCache;

  constructor(
    private readonly device: GPUDevice,
    cache: PipelineCache,
    readonly config: RmsNormConfig,
  ) {
    const shape = chooseRowShape(device, config.dim, config.workgroupSize ?? 256, config.reduce);
    this.workgroupSize = shape.workgroupSize;
    this.reduce = shape.reduce;
    const sub = shape.reduce !== 'workgroup';
    this.pipeline = cache.compute({
      label: `RmsNorm.pipeline.${shape.reduce}`,
      code: sub ? subgroupCode : code,
      entryPoint: shape.reduce === 'subgroup-row' ? 'main_row' : shape.reduce === 'subgroup-wide' ? 'main_wide' : 'main',
      constants: { WG: this.workgroupSize, DIM: config.dim, EPS: config.eps },
    });
    this.bindGroups = new BindGroupCache(device, 'RmsNorm.bindGroup');
  }

  /** Records y = rmsnorm(x) · weight for `numTokens` rows into `pass` (no dispatch for 0 rows). */
  encode(pass: GPUComputePassEncoder, x: GPUBuffer, weight: GPUBuffer, y: GPUBuffer, numTokens: number): void {
    if (numTokens === 0) return;
    checkRows(this.device, 'RmsNorm', numTokens);
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroups.get(this.pipeline, [x, weight, y]));
    pass.dispatchWorkgroups(numTokens);
  }
}
