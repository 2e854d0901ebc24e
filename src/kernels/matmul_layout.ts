/**
 * Memory layout the matmul kernels read (shaders/matmul*.wgsl), and helpers that build it.
 *
 *   x  (M, KP) f32, row stride KP        W (N, KP) row-major, Hugging Face [out, in]     y, r  (M, N) f32
 *
 * KP = K rounded up to 4 for f32 weights (one vec4<f32> load) or to 8 for f16 weights (one vec4<u32> of
 * packed pairs), so every row starts 16-byte aligned. Pad columns (k >= K) of x and W must be zero: the
 * kernels multiply them instead of masking. For every real model K is a multiple of 8 and this is exactly
 * the checkpoint's layout; the padding matters only for odd test shapes.
 */
import { packF16Rows, f16RowStride } from './f16';
import type { MatmulWeightType } from './matmul_variant';

/** Row stride (elements) of x and W for a weight type. */
export function matmulKStride(k: number, weightType: MatmulWeightType): number {
  return weightType === 'f16' ? f16RowStride(k) : Math.ceil(k / 4) * 4;
}

/** Copies a[rows, k] (stride k) to stride `stride`, zero-filling the pad columns. */
export function padRows(a: Float32Array, rows: number, k: number, stride: number): Float32Array {
  if (stride === k) return a.subarray(0, rows * k);
  const out = new Float32Array(rows * stride);
  for (let r = 0; r < rows; r++) out.set(a.subarray(r * k, r * k + k), r * stride);
  return out;
}

/** The bytes of W[n, k] (f32, stride k) in the kernels' layout for `weightType`. */
export function matmulWeightData(w: Float32Array, n: number, k: number, weightType: MatmulWeightType): Uint32Array | Float32Array {
  return weightType === 'f16' ? packF16Rows(w, n, k) : padRows(w, n, k, matmulKStride(k, 'f32'));
}

/** Bytes of a W buffer: N·KP·4 (f32) or N·KP·2 (f16). */
export function matmulWeightBytes(n: number, k: number, weightType: MatmulWeightType): number {
  return n * matmulKStride(k, weightType) * (weightType === 'f16' ? 2 : 4);
}
