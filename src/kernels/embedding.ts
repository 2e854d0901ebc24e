/**
 * Typed wrapper for shaders/embedding.wgsl (x[t] = E[tokenIds[t]]) and its plain-TS reference, for f32
 * and f16-packed tables (src/kernels/f16.ts's layout, so a tied lm_head shares the buffer).
 */
import code from '../../shaders/embedding.wgsl';
import type { PipelineCache } from '../gpu';
import { BindGroupCache } from './bind-group-cache';
import { f16RowStride, packF16Rows, unpackF16Rows } from './f16';
import { checkRows, workgroupSizeFor } from './grid';

export type EmbeddingFormat = 'f32' | 'f16';

export interface EmbeddingConfig {
  dim: number;
  format: EmbeddingFormat;
  /** First vocab row in this table chunk (default 0) and its number of rows (default: the whole vocab). */
  rowStart?: number;
  numRows: number;
  workgroupSize?: number;
}

/** u32 words per table row: dim for f32, roundUp(dim, 8) / 2 for packed f16. */
export function embeddingRowStride(dim: number, format: EmbeddingFormat): number {
  return format === 'f32' ? dim : f16RowStride(dim) / 2;
}

/** The table's GPU words for E (rows, dim) f32: its bits, or packed f16. */
export function embeddingTableWords(e: Float32Array, rows: number, dim: number, format: EmbeddingFormat): Uint32Array {
  return format === 'f32' ? new Uint32Array(e.buffer, e.byteOffset, rows * dim) : packF16Rows(e, rows, dim);
}

/** Reference: x[t] = E[ids[t]], with E's values as the format stores them (f16-rounded for 'f16'). */
export function embeddingReference(e: Float32Array, rows: number, dim: number, format: EmbeddingFormat, ids: Uint32Array): Float32Array {
  const stored = format === 'f32' ? e : unpackF16Rows(packF16Rows(e, rows, dim), rows, dim);
  const x = new Float32Array(ids.length * dim);
  for (let t = 0; t < ids.length; t++) x.set(stored.subarray(ids[t]! * dim, (ids[t]! + 1) * dim), t * dim);
  return x;
}

export class EmbeddingKernel {
  readonly pipeline: GPUComputePipeline;
  readonly workgroupSize: number;
  private readonly bindGroups: BindGroupCache;

  constructor(
    private readonly device: GPUDevice,
    cache: PipelineCache,
    readonly config: EmbeddingConfig,
  ) {
    this.workgroupSize = workgroupSizeFor(device, config.workgroupSize ?? 256);
    this.pipeline = cache.compute({
      label: `Embedding.pipeline.${config.format}`,
      code,
      constants: {
        WG: this.workgroupSize,
        DIM: config.dim,
        ROW_STRIDE: embeddingRowStride(config.dim, config.format),
        ROW_START: config.rowStart ?? 0,
        NUM_ROWS: config.numRows,
        PACKED_F16: config.format === 'f16' ? 1 : 0,
      },
    });
    this.bindGroups = new BindGroupCache(device, 'Embedding.bindGroup');
  }

  /** Records x[t] = table row of tokenIds[t] for the ids in this chunk; other rows of x are left alone. */
  encode(pass: GPUComputePassEncoder, tokenIds: GPUBuffer, table: GPUBuffer, x: GPUBuffer, numTokens: number): void {
    if (numTokens === 0) return;
    checkRows(this.device, 'Embedding', numTokens);
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroups.get(this.pipeline, [tokenIds, table, x]));
    pass.dispatchWorkgroups(Math.ceil(this.config.dim / this.workgroupSize), numTokens);
  }
}
