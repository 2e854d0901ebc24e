/**
 * Typed wrapper for shaders/silu-mul.wgsl (SwiGLU) and its plain-TS reference.
 * gateUp (numTokens, 2·ffn) = [gate | up] per row (the fused gate|up matmul's output) -> out (numTokens, ffn).
 */
import code from '../../shaders/silu-mul.wgsl';
import type { PipelineCache } from '../gpu';
import { BindGroupCache } from './bind-group-cache';
import { checkRows, workgroupSizeFor } from './grid';

export interface SiluMulConfig {
  ffn: number;
  workgroupSize?: number;
}

/** Reference in f64: out[t, j] = silu(gate[t, j]) · up[t, j]. */
export function siluMulReference(gateUp: Float32Array, numTokens: number, ffn: number): Float32Array {
  const out = new Float32Array(numTokens * ffn);
  for (let t = 0; t < numTokens; t++) {
    for (let j = 0; j < ffn; j++) {
      const g = gateUp[t * 2 * ffn + j]!;
      const u = gateUp[t * 2 * ffn + ffn + j]!;
      out[t * ffn + j] = (g / (1 + Math.exp(-g))) * u;
    }
  }
  return out;
}

export class SiluMulKernel {
  readonly pipeline: GPUComputePipeline;
  readonly workgroupSize: number;
  private readonly bindGroups: BindGroupCache;

  constructor(
    private readonly device: GPUDevice,
    cache: PipelineCache,
    readonly config: SiluMulConfig,
  ) {
    this.workgroupSize = workgroupSizeFor(device, config.workgroupSize ?? 256);
    this.pipeline = cache.compute({ label: 'SiluMul.pipeline', code, constants: { WG: this.workgroupSize, FFN: config.ffn } });
    this.bindGroups = new BindGroupCache(device, 'SiluMul.bindGroup');
  }

  encode(pass: GPUComputePassEncoder, gateUp: GPUBuffer, out: GPUBuffer, numTokens: number): void {
    if (numTokens === 0) return;
    checkRows(this.device, 'SiluMul', numTokens);
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroups.get(this.pipeline, [gateUp, out]));
    pass.dispatchWorkgroups(Math.ceil(this.config.ffn / this.workgroupSize), numTokens);
  }
}
