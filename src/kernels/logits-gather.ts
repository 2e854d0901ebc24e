/**
 * Typed wrapper for shaders/logits-gather.wgsl and its plain-TS reference: copies each sequence's last
 * token's hidden row into a compact (numSeqs, dim) buffer, so the lm_head runs on numSeqs rows only.
 */
import code from '../../shaders/logits-gather.wgsl';
import type { PipelineCache } from '../gpu';
import { BindGroupCache } from './bind-group-cache';
import { checkRows, workgroupSizeFor } from './grid';

export interface LogitsGatherConfig {
  dim: number;
  workgroupSize?: number;
}

/** Reference: out[s, :] = hidden[lastIndex[s], :]. */
export function logitsGatherReference(hidden: Float32Array, lastIndex: Uint32Array, dim: number): Float32Array {
  const out = new Float32Array(lastIndex.length * dim);
  for (let s = 0; s < lastIndex.length; s++) out.set(hidden.subarray(lastIndex[s]! * dim, (lastIndex[s]! + 1) * dim), s * dim);
  return out;
}

/** The flat token index of each sequence's last token, from the tokens each sequence has in the step. */
export function lastTokenIndices(numScheduledTokens: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(numScheduledTokens.length);
  let end = 0;
  for (let s = 0; s < out.length; s++) {
    end += numScheduledTokens[s]!;
    out[s] = end - 1;
  }
  return out;
}

export class LogitsGatherKernel {
  readonly pipeline: GPUComputePipeline;
  readonly workgroupSize: number;
  private readonly bindGroups: BindGroupCache;

  constructor(
    private readonly device: GPUDevice,
    cache: PipelineCache,
    readonly config: LogitsGatherConfig,
  ) {
    this.workgroupSize = workgroupSizeFor(device, config.workgroupSize ?? 256);
    this.pipeline = cache.compute({ label: 'LogitsGather.pipeline', code, constants: { WG: this.workgroupSize, DIM: config.dim } });
    this.bindGroups = new BindGroupCache(device, 'LogitsGather.bindGroup');
  }

  encode(pass: GPUComputePassEncoder, hidden: GPUBuffer, lastIndex: GPUBuffer, out: GPUBuffer, numSeqs: number): void {
    if (numSeqs === 0) return;
    checkRows(this.device, 'LogitsGather', numSeqs);
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroups.get(this.pipeline, [hidden, lastIndex, out]));
    pass.dispatchWorkgroups(Math.ceil(this.config.dim / this.workgroupSize), numSeqs);
  }
}
