/**
 * Typed wrapper for shaders/rmsnorm.wgsl and its plain-TS reference.
 * y[t, :] = x[t, :] / sqrt(mean(x[t, :]^2) + eps) * weight, one workgroup per token row.
 */
import code from '../../shaders/rmsnorm.wgsl';
import type { PipelineCache } from '../gpu';
import { BindGroupCache } from './bind-group-cache';
import { checkRows, workgroupSizeFor } from './grid';

export interface RmsNormConfig {
  dim: number;
  eps: number;
  /** Threads per row (power of two); default 256, capped by the device. */
  workgroupSize?: number;
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
  private readonly bindGroups: BindGroupCache;

  constructor(
    private readonly device: GPUDevice,
    cache: PipelineCache,
    readonly config: RmsNormConfig,
  ) {
    this.workgroupSize = workgroupSizeFor(device, config.workgroupSize ?? 256);
    this.pipeline = cache.compute({
      label: 'RmsNorm.pipeline',
      code,
      constants: { WG: this.workgroupSize, DIM: config.dim, EPS: config.eps },
    });
    this.bindGroups = new BindGroupCache(device, 'RmsNorm.bindGroup');
  }

  /** Records y = rmsnorm(x) · weight for `numTokens` rows into `pass` (no dispatch for 0 rows). */
  encode(pass: GPUComputePassEncoder, x: GPUBuffer, weight: GPUBuffer, y: GPUBuffer, numTokens: number): void {
    if (numTokens === 0) return;
    checkRows(this.device, 'RmsNorm', numTokens);
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroups.get(this.pipeline.getBindGroupLayout(0), [x, weight, y]));
    pass.dispatchWorkgroups(numTokens);
  }
}
