/**
 * Does a model fit the device? Each weight tensor becomes one storage buffer bound whole by the kernels,
 * so it must fit both maxBufferSize and maxStorageBufferBindingSize. Throws ModelTooLargeError naming the
 * limit and the tensor, before anything is uploaded.
 */
import type { ModelConfig } from './config';
import { ModelTooLargeError } from './errors';
import type { TensorInfo } from './weights';

export interface BufferLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export interface LimitCheckOptions {
  /** Bytes per element on the GPU when the uploader converts (e.g. 4 for f32, 2 for f16); default: as yielded. */
  bytesPerElement?: number;
}

/** Throws ModelTooLargeError for the first tensor that exceeds a limit (the larger offender named first). */
export function checkDeviceLimits(tensors: readonly TensorInfo[], limits: BufferLimits, opts: LimitCheckOptions = {}): void {
  for (const t of tensors) {
    const elems = t.shape.reduce((a, b) => a * b, 1);
    const bytes = opts.bytesPerElement ? elems * opts.bytesPerElement : t.byteLength;
    if (bytes > limits.maxBufferSize) throw new ModelTooLargeError('maxBufferSize', bytes, limits.maxBufferSize, t.name);
    if (bytes > limits.maxStorageBufferBindingSize) {
      throw new ModelTooLargeError('maxStorageBufferBindingSize', bytes, limits.maxStorageBufferBindingSize, t.name);
    }
  }
}

/** Bytes one token's K and V take over all layers at `bytesPerElement` (for sizing the KV page pool). */
export function kvBytesPerToken(c: ModelConfig, bytesPerElement = 4): number {
  return 2 * c.numLayers * c.numKvHeads * c.headDim * bytesPerElement;
}
